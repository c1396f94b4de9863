// The domain's SolveAssignment (protos in, cases and events out) against the
// engine's Solve on the same synthetic instance, so the cost of the
// translation layer (instance building from cases and reviewer records,
// conflict re-checks, result mapping) is visible next to the flow itself.
//
//   reviews_domain_bench [--benchmark_filter=...]
//
// Sizes: 10,000 cases × 1,000 reviewers and KAKENHI scale (90,000 × 8,000),
// N = 5, one thread.
#include <benchmark/benchmark.h>

#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "tane/reviews/assignment.h"
#include "tane/reviews/assignment/solver.h"
#include "tane/reviews/assignment/synthetic.h"
#include "tane/reviews/cases.h"

namespace {

namespace ra = tane::reviews::assignment;
namespace rv = tane::reviews;
namespace v1 = tane::reviews::v1;

struct World {
  ra::Instance instance;
  rv::ReviewRules rules;
  v1::CallReview call;
  std::vector<v1::ReviewCase> cases;
  std::vector<v1::Reviewer> pool;
};

tane::calls::v1::Person PersonOf(const ra::Investigator& i) {
  tane::calls::v1::Person p;
  p.set_researcher_id(i.researcher_id);
  if (!i.institution_ids.empty()) p.set_institution_id(i.institution_ids.front());
  return p;
}

void AddRelations(v1::Reviewer& r, const std::vector<std::string>& ids, v1::RelationKind kind) {
  for (const auto& id : ids) {
    auto* c = r.add_standing_conflicts();
    c->set_researcher_id(id);
    c->set_kind(kind);
  }
}

// The synthetic instance as the service would hold it: cases from
// applications, reviewer records with their periods and relations.
std::unique_ptr<World> Build(const ra::SyntheticSpec& spec) {
  auto w = std::make_unique<World>();
  w->instance = ra::GenerateSynthetic(spec);
  w->rules.program_id = "kakenhi";
  w->rules.reviewers_per_proposal = spec.reviewers_per_proposal;
  w->rules.sections = w->instance.sections;
  w->call.set_call_id("call-bench");
  w->call.set_program_id("kakenhi");
  w->call.set_state(v1::CALL_REVIEW_STATE_CLOSED);
  *w->call.mutable_closed_at() = rv::ToTimestamp(spec.as_of);
  w->call.set_expected_cases(static_cast<int64_t>(w->instance.proposals.size()));
  w->call.add_stages(tane::calls::v1::REVIEW_STAGE_DOCUMENT);
  w->call.set_institution_window_years(3);
  w->call.set_version(1);
  std::map<std::string, std::vector<const ra::DeclaredConflict*>> declared;
  for (const auto& d : w->instance.declared_conflicts) declared[d.proposal_id].push_back(&d);
  for (const auto& p : w->instance.proposals) {
    v1::ReviewCase c;
    c.set_case_id(p.id);
    c.set_application_id(p.id);
    c.set_call_id("call-bench");
    c.set_state(v1::CASE_STATE_IN_REVIEW);
    c.set_stage(tane::calls::v1::REVIEW_STAGE_DOCUMENT);
    auto* a = c.mutable_application();
    a->set_application_id(p.id);
    a->set_review_section(p.review_section);
    for (const auto& k : p.keywords) a->add_keywords(k);
    *a->mutable_principal_investigator() = PersonOf(p.pi);
    for (const auto& co : p.co_investigators) *a->add_co_investigators()->mutable_person() = PersonOf(co);
    for (const auto* d : declared[p.id]) {
      auto* dc = c.add_conflicts();
      dc->set_reviewer_id(d->reviewer_id);
      dc->set_reason(d->reason);
    }
    w->cases.push_back(std::move(c));
  }
  for (const auto& r : w->instance.reviewers) {
    v1::Reviewer out;
    out.set_reviewer_id(r.id);
    out.set_researcher_id(r.researcher_id);
    for (const auto& a : r.affiliations) {
      auto* aff = out.add_affiliations();
      aff->set_institution_id(a.institution_id);
      if (a.from != absl::InfinitePast()) *aff->mutable_start_time() = rv::ToTimestamp(a.from);
      if (a.to != absl::InfiniteFuture()) *aff->mutable_end_time() = rv::ToTimestamp(a.to);
    }
    for (const auto& s : r.review_sections) out.add_review_sections(s);
    for (const auto& k : r.keywords) out.add_keywords(k);
    AddRelations(out, r.coauthor_ids, v1::RELATION_KIND_COAUTHOR);
    AddRelations(out, r.collaborator_ids, v1::RELATION_KIND_COLLABORATOR);
    AddRelations(out, r.relation_ids, v1::RELATION_KIND_RELATIVE);
    out.set_max_load_per_call(r.max_load);
    out.set_suspended(!r.available);
    w->pool.push_back(std::move(out));
  }
  return w;
}

const World& WorldOf(int64_t proposals) {
  static std::map<int64_t, std::unique_ptr<World>> worlds;
  auto& w = worlds[proposals];
  if (!w) w = Build(proposals >= 90'000 ? ra::KakenhiSpec() : ra::SyntheticSpec{});
  return *w;
}

void BM_DomainSolve(benchmark::State& state) {
  const World& w = WorldOf(state.range(0));
  tane::common::v1::Actor actor;
  actor.set_role("program_officer");
  actor.set_subject("po-bench");
  const rv::Context ctx{w.rules, actor, absl::FromUnixSeconds(1'730'000'000)};
  v1::SolveAssignmentRequest request;
  request.set_call_id("call-bench");
  int64_t covered = 0, events = 0;
  for (auto _ : state) {
    auto solved = rv::SolveAssignment(w.call, w.cases, w.pool, request, ctx);
    if (!solved.ok()) {
      state.SkipWithError(std::string(solved.status().message()).c_str());
      return;
    }
    covered = solved->run.fully_covered();
    events = static_cast<int64_t>(solved->transition.events.size());
    benchmark::DoNotOptimize(solved->transition.cases.data());
  }
  state.counters["cases"] = static_cast<double>(w.cases.size());
  state.counters["reviewers"] = static_cast<double>(w.pool.size());
  state.counters["fully_covered"] = static_cast<double>(covered);
  state.counters["events"] = static_cast<double>(events);
}

void BM_EngineSolve(benchmark::State& state) {
  const World& w = WorldOf(state.range(0));
  ra::Options o;
  o.reviewers_per_proposal = w.rules.reviewers_per_proposal;
  o.conflicts.as_of = ra::SyntheticSpec{}.as_of;
  int64_t covered = 0;
  for (auto _ : state) {
    auto solved = ra::Solve(w.instance, o);
    if (!solved.ok()) {
      state.SkipWithError(std::string(solved.status().message()).c_str());
      return;
    }
    covered = static_cast<int64_t>(w.instance.proposals.size() - solved->shortfalls.size());
    benchmark::DoNotOptimize(solved->assignments.data());
  }
  state.counters["fully_covered"] = static_cast<double>(covered);
}

BENCHMARK(BM_EngineSolve)->Arg(10'000)->Arg(90'000)->Unit(benchmark::kMillisecond)->Iterations(2);
BENCHMARK(BM_DomainSolve)->Arg(10'000)->Arg(90'000)->Unit(benchmark::kMillisecond)->Iterations(2);

}  // namespace

BENCHMARK_MAIN();
