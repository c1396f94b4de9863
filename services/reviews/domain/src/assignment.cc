#include "tane/reviews/assignment.h"

#include <algorithm>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "internal.h"
#include "tane/core/ids.h"
#include "tane/reviews/assignment/affinity.h"
#include "tane/reviews/assignment/recusal.h"
#include "tane/reviews/assignment/solver.h"
#include "tane/reviews/cases.h"
#include "tane/reviews/reviewer.h"
#include "tane/reviews/visibility.h"

namespace tane::reviews {

using core::Violations;
using internal::Bump;
using internal::FindReviewer;
using internal::IsSet;

namespace {

constexpr int kMaxReviewersPerProposal = 50;
constexpr char kRunIdNamespace[] = "tane.reviews.assignment-run";

bool IsCurrentIn(const v1::StageAssignment& sa, std::string_view reviewer_id) {
  return std::any_of(sa.reviewers().begin(), sa.reviewers().end(),
                     [&](const v1::AssignedReviewer& r) { return r.reviewer_id() == reviewer_id; });
}

// Current assignments per reviewer over the call's cases, all stages but `except`.
absl::flat_hash_map<std::string, int> Loads(std::span<const v1::ReviewCase> cases,
                                            Stage except = calls::v1::REVIEW_STAGE_UNSPECIFIED) {
  absl::flat_hash_map<std::string, int> load;
  for (const auto& c : cases) {
    for (const auto& sa : c.assignments()) {
      if (sa.stage() == except) continue;
      for (const auto& r : sa.reviewers()) ++load[r.reviewer_id()];
    }
  }
  return load;
}

std::string ConflictText(const assignment::Conflict& c) {
  return absl::StrCat(std::string(assignment::ConflictReasonName(c.reason)), ": ", c.detail);
}

v1::Shortfall ToProtoShortfall(const assignment::Shortfall& s, const v1::ReviewCase& c) {
  v1::Shortfall out;
  out.set_case_id(c.case_id());
  out.set_application_id(c.application_id());
  out.set_assigned(s.assigned);
  out.set_required(s.required);
  out.set_reason(s.reason == assignment::ShortfallReason::kCapacityExhausted
                     ? v1::SHORTFALL_REASON_CAPACITY_EXHAUSTED
                     : v1::SHORTFALL_REASON_NOT_ENOUGH_CANDIDATES);
  out.set_eligible(s.eligible);
  out.set_conflicted(s.conflicted);
  out.set_forbidden(s.forbidden);
  out.set_below_min_affinity(s.below_min_affinity);
  out.set_unavailable(s.unavailable);
  out.set_detail(s.detail);
  return out;
}

// The engine's view of one stage of a call.
struct StageProblem {
  assignment::Instance instance;
  assignment::Options options;
  // instance.proposals[i] is cases[case_index[i]].
  std::vector<size_t> case_index;
  // The stage's current assignments, in instance order.
  assignment::Solution current;
};

struct BuildInput {
  const v1::CallReview& call_review;
  std::span<const v1::ReviewCase> cases;
  std::span<const v1::Reviewer> pool;
  Stage stage;
  int n;
  const v1::SolveAssignmentRequest& settings;
  const Context& ctx;
  // Solve: the program officer's pins become engine pins (those the engine
  // would refuse are noted and skipped). Refill: pins play no part.
  bool with_pin_rules;
};

StageProblem BuildStageProblem(const BuildInput& in, std::vector<std::string>& notes) {
  StageProblem p;
  const Stage stage = in.stage;
  for (size_t i = 0; i < in.cases.size(); ++i) {
    const auto& c = in.cases[i];
    if (c.call_id() == in.call_review.call_id() && c.state() == v1::CASE_STATE_IN_REVIEW &&
        c.stage() == stage) {
      p.case_index.push_back(i);
    }
  }
  absl::flat_hash_set<std::string> restricted(in.settings.reviewer_ids().begin(),
                                              in.settings.reviewer_ids().end());
  const auto other_load = Loads(in.cases, stage);
  absl::flat_hash_map<std::string, int> this_stage;
  for (size_t i : p.case_index) {
    if (const auto* sa = FindStageAssignment(in.cases[i], stage)) {
      for (const auto& r : sa->reviewers()) ++this_stage[r.reviewer_id()];
    }
  }
  absl::flat_hash_map<std::string, const assignment::Reviewer*> engine_reviewer;
  absl::flat_hash_set<std::string> takes_new_ids;
  p.instance.reviewers.reserve(in.pool.size());
  for (const auto& r : in.pool) {
    assignment::Reviewer er = ToEngineReviewer(r);
    const bool takes_new = (restricted.empty() || restricted.contains(r.reviewer_id())) &&
                           IsAvailableAt(r, in.ctx.now) &&
                           ReviewsInLanguage(r, in.settings.required_language());
    const auto held = this_stage.find(r.reviewer_id());
    const int held_here = held == this_stage.end() ? 0 : held->second;
    const auto other = other_load.find(r.reviewer_id());
    const int capacity =
        r.max_load_per_call() - (other == other_load.end() ? 0 : other->second);
    // Reviewers who take nothing new still hold their current assignments.
    if (takes_new) takes_new_ids.insert(r.reviewer_id());
    er.available = takes_new || held_here > 0;
    er.max_load = takes_new ? std::max(capacity, held_here) : held_here;
    p.instance.reviewers.push_back(std::move(er));
  }
  for (const auto& er : p.instance.reviewers) engine_reviewer[er.id] = &er;
  p.instance.sections = in.ctx.rules.sections;

  p.options.reviewers_per_proposal = in.n;
  p.options.min_affinity = in.settings.min_affinity();
  p.options.keyword_candidates = in.settings.keyword_candidates();
  p.options.fairness.enabled = in.settings.fairness().enabled();
  if (in.settings.fairness().max_rounds() > 0) {
    p.options.fairness.max_rounds = in.settings.fairness().max_rounds();
  }
  p.options.conflicts = ConflictPolicyOf(in.call_review, in.ctx.now);
  if (in.settings.has_institution_window_years()) {
    p.options.conflicts.institution_window_years = in.settings.institution_window_years();
  }

  absl::flat_hash_map<std::string, int> pins_of_reviewer;
  for (size_t i : p.case_index) {
    const auto& c = in.cases[i];
    p.instance.proposals.push_back(ToEngineProposal(c));
    const assignment::Proposal& proposal = p.instance.proposals.back();
    for (const auto& d : c.conflicts()) {
      if (engine_reviewer.contains(d.reviewer_id())) {
        p.instance.declared_conflicts.push_back({c.case_id(), d.reviewer_id(), d.reason()});
      }
    }
    assignment::ProposalAssignment pa;
    pa.proposal_id = c.case_id();
    int pinned_here = 0;
    if (const auto* sa = FindStageAssignment(c, stage)) {
      for (const auto& r : sa->reviewers()) {
        pa.reviewers.push_back({r.reviewer_id(), r.affinity(), r.pinned()});
        pa.total_affinity += r.affinity();
        // Current reviewers stay: they are pins of the run.
        p.instance.pins.push_back({c.case_id(), r.reviewer_id(), "assigned"});
        ++pinned_here;
        ++pins_of_reviewer[r.reviewer_id()];
      }
    }
    p.current.assignments.push_back(std::move(pa));
    for (const auto& rule : c.pair_rules()) {
      if (rule.stage() != stage) continue;
      const auto it = engine_reviewer.find(rule.reviewer_id());
      if (it == engine_reviewer.end()) continue;
      if (rule.kind() == v1::PAIR_RULE_KIND_FORBID) {
        p.instance.forbids.push_back({c.case_id(), rule.reviewer_id(), rule.note()});
        continue;
      }
      if (rule.kind() != v1::PAIR_RULE_KIND_PIN || !in.with_pin_rules) continue;
      if (const auto* sa = FindStageAssignment(c, stage); sa && IsCurrentIn(*sa, rule.reviewer_id())) {
        continue;
      }
      const assignment::Reviewer& er = *it->second;
      const std::string what = absl::StrCat("pin of ", rule.reviewer_id(), " on ", c.case_id());
      if (auto conflict = assignment::FindConflict(proposal, er, p.options.conflicts,
                                                   p.instance.declared_conflicts)) {
        notes.push_back(absl::StrCat(what, " skipped: conflicted (", ConflictText(*conflict), ")"));
      } else if (!takes_new_ids.contains(rule.reviewer_id())) {
        notes.push_back(absl::StrCat(what, " skipped: the reviewer takes no new assignments"));
      } else if (pinned_here >= in.n) {
        notes.push_back(absl::StrCat(what, " skipped: the case already has ", in.n, " reviewers"));
      } else if (pins_of_reviewer[rule.reviewer_id()] >= er.max_load) {
        notes.push_back(absl::StrCat(what, " skipped: the reviewer is at their load cap"));
      } else {
        p.instance.pins.push_back({c.case_id(), rule.reviewer_id(), rule.note()});
        ++pinned_here;
        ++pins_of_reviewer[rule.reviewer_id()];
      }
    }
  }
  p.current.quality = assignment::Measure(p.current.assignments, in.n);
  return p;
}

// Removes the reviewer from `sa` and stops counting their reviews of that stage.
void Release(v1::ReviewCase& c, v1::StageAssignment& sa, const std::string& reviewer_id) {
  auto* rs = sa.mutable_reviewers();
  rs->erase(std::remove_if(rs->begin(), rs->end(),
                           [&](const v1::AssignedReviewer& r) { return r.reviewer_id() == reviewer_id; }),
            rs->end());
  if (auto* review = internal::MutableReview(c, sa.stage(), reviewer_id)) review->set_counted(false);
}

// The settings of the stage's last run (refills choose as it did).
v1::SolveAssignmentRequest LastSettings(const v1::CallReview& cr, Stage stage) {
  for (const auto& s : cr.schedules()) {
    if (s.stage() == stage && s.has_last_run()) return s.last_run().settings();
  }
  return {};
}

void SortReviewers(v1::StageAssignment& sa) {
  auto* rs = sa.mutable_reviewers();
  std::sort(rs->begin(), rs->end(), [](const v1::AssignedReviewer& a, const v1::AssignedReviewer& b) {
    return a.affinity() != b.affinity() ? a.affinity() > b.affinity()
                                        : a.reviewer_id() < b.reviewer_id();
  });
}

void SetShortfall(v1::StageAssignment& sa, const v1::ReviewCase& c,
                  const std::optional<assignment::Shortfall>& shortfall) {
  if (shortfall) {
    *sa.mutable_shortfall() = ToProtoShortfall(*shortfall, c);
  } else {
    sa.clear_shortfall();
  }
}

// Removes `reviewer_id` from the current stage of work[target] and refills it
// as the stage's last run would have. Returns the ids added.
absl::StatusOr<std::vector<std::string>> RemoveAndRefill(const v1::CallReview& cr,
                                                         std::vector<v1::ReviewCase>& work,
                                                         size_t target,
                                                         std::span<const v1::Reviewer> pool,
                                                         const std::string& reviewer_id,
                                                         const std::string& reason,
                                                         const Context& ctx) {
  v1::ReviewCase& c = work[target];
  const Stage stage = c.stage();
  v1::StageAssignment* sa = internal::MutableStageAssignment(c, stage);
  const v1::SolveAssignmentRequest settings = LastSettings(cr, stage);
  std::vector<std::string> notes;
  const StageProblem p = BuildStageProblem(
      {cr, work, pool, stage, sa->required_reviewers(), settings, ctx, /*with_pin_rules=*/false},
      notes);
  assignment::Solution solution = p.current;
  auto refill = assignment::RecuseAndRefill(p.instance, p.options,
                                            {c.case_id(), reviewer_id, reason}, solution);
  if (!refill.ok()) return refill.status();
  Release(c, *sa, reviewer_id);
  std::vector<std::string> added;
  for (const auto& a : refill->added) {
    auto* r = sa->add_reviewers();
    r->set_reviewer_id(a.reviewer_id);
    r->set_affinity(a.affinity);
    *r->mutable_assigned_at() = ToTimestamp(ctx.now);
    added.push_back(a.reviewer_id);
  }
  SortReviewers(*sa);
  SetShortfall(*sa, c, refill->shortfall);
  return added;
}

// Recuses `reviewer_id` from every stage of work[target]: the current stage is
// refilled while in review; earlier stages only lose them. Appends history
// and events.
absl::Status Recuse(const v1::CallReview& cr, std::vector<v1::ReviewCase>& work, size_t target,
                    std::span<const v1::Reviewer> pool, const std::string& reviewer_id,
                    v1::AssignmentChangeKind kind, const std::string& reason, const Context& ctx,
                    std::vector<Event>& events) {
  std::vector<Stage> stages;
  for (const auto& sa : work[target].assignments()) {
    if (IsCurrentIn(sa, reviewer_id)) stages.push_back(sa.stage());
  }
  for (Stage stage : stages) {
    v1::ReviewCase& c = work[target];
    std::vector<std::string> added;
    if (stage == c.stage() && c.state() == v1::CASE_STATE_IN_REVIEW) {
      auto refilled = RemoveAndRefill(cr, work, target, pool, reviewer_id, reason, ctx);
      if (!refilled.ok()) return refilled.status();
      added = std::move(*refilled);
    } else {
      Release(c, *internal::MutableStageAssignment(c, stage), reviewer_id);
    }
    v1::ReviewCase& after = work[target];
    auto* h = internal::AddHistory(after, stage, kind, reason, ctx);
    h->add_removed_reviewer_ids(reviewer_id);
    for (auto& id : added) h->add_added_reviewer_ids(id);
    events.push_back(internal::AssignedEvent(after, *internal::MutableStageAssignment(after, stage), *h, ctx));
  }
  // Reviews of stages they no longer hold stop counting too.
  for (auto& review : *work[target].mutable_reviews()) {
    if (review.reviewer_id() == reviewer_id) review.set_counted(false);
  }
  return absl::OkStatus();
}

// The index of the case a command names; NOT_FOUND when it is not among `cases`.
absl::StatusOr<size_t> TargetCase(std::span<const v1::ReviewCase> cases, const std::string& case_id,
                                  const Context& ctx) {
  if (auto s = internal::CheckActor(ctx); !s.ok()) return s;
  for (size_t i = 0; i < cases.size(); ++i) {
    if (cases[i].case_id() == case_id) return i;
  }
  return absl::NotFoundError(absl::StrCat("no case ", case_id));
}

}  // namespace

absl::StatusOr<SolveResult> SolveAssignment(const v1::CallReview& call_review,
                                            std::span<const v1::ReviewCase> cases,
                                            std::span<const v1::Reviewer> pool,
                                            const v1::SolveAssignmentRequest& request,
                                            const Context& ctx) {
  if (auto s = internal::CheckActor(ctx); !s.ok()) return s;
  if (auto s = internal::CheckVersion(request.version(), call_review.version(), "call review",
                                      call_review.call_id());
      !s.ok()) {
    return s;
  }
  absl::flat_hash_map<std::string, const v1::Reviewer*> by_id;
  for (const auto& r : pool) by_id[r.reviewer_id()] = &r;
  const Stage stage = internal::ResolveStage(call_review, request.stage());
  const int n = request.reviewers_per_proposal() > 0 ? request.reviewers_per_proposal()
                                                     : internal::ReviewersFor(call_review, ctx.rules);
  Violations v;
  if (request.call_id() != call_review.call_id()) {
    v.Add("call_id", absl::StrCat("does not name call ", call_review.call_id()));
  }
  if (internal::StageIndex(call_review, stage) < 0) {
    v.Add("stage", absl::StrCat("call ", call_review.call_id(), " has no ", StageName(stage),
                                " stage"));
  }
  if (request.reviewers_per_proposal() < 0 || n < 1 || n > kMaxReviewersPerProposal) {
    v.Add("reviewers_per_proposal", absl::StrCat("must be 1–", kMaxReviewersPerProposal));
  }
  if (request.min_affinity() < 0) v.Add("min_affinity", "must not be negative");
  if (request.has_institution_window_years() && request.institution_window_years() < 0) {
    v.Add("institution_window_years", "must not be negative");
  }
  if (request.fairness().max_rounds() < 0) v.Add("fairness.max_rounds", "must not be negative");
  if (!request.required_language().empty() && !IsLanguageTag(request.required_language())) {
    v.Add("required_language", "must be a BCP 47 language tag such as en");
  }
  for (int i = 0; i < request.reviewer_ids_size(); ++i) {
    if (!by_id.contains(request.reviewer_ids(i))) {
      v.Add(absl::StrCat("reviewer_ids[", i, "]"),
            absl::StrCat("no reviewer ", request.reviewer_ids(i)));
    }
  }
  if (!v.empty()) return v.ToStatus("invalid assignment request");
  if (call_review.state() != v1::CALL_REVIEW_STATE_CLOSED) {
    return absl::FailedPreconditionError(absl::StrCat(
        "call ", call_review.call_id(), " has not closed: reviewers are assigned after CallClosed"));
  }
  if (!ReadyForAssignment(call_review, cases)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "call ", call_review.call_id(), " closed with ", call_review.expected_cases(),
        " applications ever submitted; only ", CountedCases(call_review, cases), " have arrived so far"));
  }

  v1::CallReview next_call = call_review;
  if (request.has_institution_window_years()) {
    next_call.set_institution_window_years(request.institution_window_years());
  }
  std::vector<v1::ReviewCase> work(cases.begin(), cases.end());
  std::vector<std::string> notes;
  // Case index → reviewers released because they became conflicted.
  absl::flat_hash_map<size_t, std::vector<std::string>> released;
  for (size_t i = 0; i < work.size(); ++i) {
    v1::ReviewCase& c = work[i];
    if (c.call_id() != call_review.call_id() || c.state() != v1::CASE_STATE_IN_REVIEW ||
        c.stage() != stage) {
      continue;
    }
    v1::StageAssignment* sa = internal::MutableStageAssignment(c, stage);
    if (sa == nullptr) continue;
    std::vector<std::pair<std::string, std::string>> drop;
    for (const auto& r : sa->reviewers()) {
      const auto found = by_id.find(r.reviewer_id());
      const v1::Reviewer* reviewer = found == by_id.end() ? nullptr : found->second;
      if (reviewer == nullptr) {
        return absl::FailedPreconditionError(absl::StrCat(
            "reviewer ", r.reviewer_id(), " of case ", c.case_id(), " is not in the pool given"));
      }
      const auto conflicts = ConflictsOf(c, *reviewer, next_call, ctx.now);
      if (!conflicts.empty()) drop.push_back({r.reviewer_id(), ConflictText(conflicts.front())});
    }
    for (const auto& [id, why] : drop) {
      Release(c, *sa, id);
      auto* h = internal::AddHistory(c, stage, v1::ASSIGNMENT_CHANGE_KIND_AUTOMATIC_CONFLICT, why, ctx);
      h->add_removed_reviewer_ids(id);
      released[i].push_back(id);
      notes.push_back(absl::StrCat("released ", id, " from ", c.case_id(), ": ", why));
    }
    if (sa->reviewers_size() > n) {
      Violations too_few;
      too_few.Add("reviewers_per_proposal",
                  absl::StrCat(n, " is below the ", sa->reviewers_size(), " reviewers case ",
                               c.case_id(), " already has"));
      return too_few.ToStatus("invalid assignment request");
    }
  }

  v1::SolveAssignmentRequest settings = request;
  settings.clear_idempotency_key();
  settings.clear_version();
  settings.set_stage(stage);
  settings.set_reviewers_per_proposal(n);
  const StageProblem p = BuildStageProblem(
      {next_call, work, pool, stage, n, settings, ctx, /*with_pin_rules=*/true}, notes);
  auto solution = assignment::Solve(p.instance, p.options);
  if (!solution.ok()) return solution.status();

  Bump(next_call, ctx.now);
  v1::AssignmentRun run;
  run.set_run_id(core::NameUuid(
      kRunIdNamespace, absl::StrCat(call_review.call_id(), "/", StageName(stage), "/",
                                    next_call.version())));
  run.set_stage(stage);
  *run.mutable_ran_at() = ToTimestamp(ctx.now);
  *run.mutable_ran_by() = ctx.actor;
  run.set_reviewers_per_proposal(n);
  run.set_cases(static_cast<int>(p.case_index.size()));
  run.set_total_affinity(solution->quality.objective);
  run.set_min_case_affinity(solution->quality.min_total);
  *run.mutable_settings() = settings;

  absl::flat_hash_map<std::string, const assignment::Shortfall*> shortfall_of;
  for (const auto& s : solution->shortfalls) shortfall_of[s.proposal_id] = &s;

  SolveResult result;
  for (size_t k = 0; k < p.case_index.size(); ++k) {
    const size_t i = p.case_index[k];
    v1::ReviewCase& c = work[i];
    const auto& engine = solution->assignments[k];
    v1::StageAssignment* sa = internal::MutableStageAssignment(c, stage);
    const bool first = sa == nullptr || !IsSet(sa->assigned_at());
    if (sa == nullptr) {
      sa = c.add_assignments();
      sa->set_stage(stage);
    }
    absl::flat_hash_map<std::string, v1::AssignedReviewer> before;
    for (const auto& r : sa->reviewers()) before[r.reviewer_id()] = r;
    const std::string shortfall_before = sa->shortfall().SerializeAsString();
    const int required_before = sa->required_reviewers();

    sa->clear_reviewers();
    std::vector<std::string> added;
    for (const auto& er : engine.reviewers) {
      auto* r = sa->add_reviewers();
      if (auto it = before.find(er.reviewer_id); it != before.end()) {
        *r = it->second;
      } else {
        r->set_reviewer_id(er.reviewer_id);
        r->set_pinned(er.pinned);
        *r->mutable_assigned_at() = ToTimestamp(ctx.now);
        added.push_back(er.reviewer_id);
      }
      r->set_affinity(er.affinity);
    }
    sa->set_required_reviewers(n);
    if (first) *sa->mutable_assigned_at() = ToTimestamp(ctx.now);
    const auto sf = shortfall_of.find(c.case_id());
    SetShortfall(*sa, c,
                 sf == shortfall_of.end() ? std::nullopt
                                          : std::optional<assignment::Shortfall>(*sf->second));
    if (sa->has_shortfall()) {
      *run.add_shortfalls() = sa->shortfall();
    } else {
      run.set_fully_covered(run.fully_covered() + 1);
    }
    run.set_new_pairs(run.new_pairs() + static_cast<int>(added.size()));

    const auto rel = released.find(i);
    const bool changed = first || !added.empty() || rel != released.end() ||
                         required_before != n ||
                         sa->shortfall().SerializeAsString() != shortfall_before;
    if (!changed) continue;
    auto* h = internal::AddHistory(c, stage, v1::ASSIGNMENT_CHANGE_KIND_SOLVED,
                         sa->has_shortfall() ? sa->shortfall().detail() : "", ctx);
    h->set_run_id(run.run_id());
    for (auto& id : added) h->add_added_reviewer_ids(id);
    if (rel != released.end()) {
      for (const auto& id : rel->second) h->add_removed_reviewer_ids(id);
    }
    result.transition.events.push_back(internal::AssignedEvent(c, *sa, *h, ctx));
    Bump(c, ctx.now);
    result.transition.cases.push_back(c);
  }
  for (auto& note : notes) run.add_notes(std::move(note));

  v1::StageSchedule* schedule = nullptr;
  for (auto& s : *next_call.mutable_schedules()) {
    if (s.stage() == stage) schedule = &s;
  }
  if (schedule == nullptr) {
    schedule = next_call.add_schedules();
    schedule->set_stage(stage);
  }
  if (!IsSet(schedule->first_assigned_at()) && !p.case_index.empty()) {
    *schedule->mutable_first_assigned_at() = ToTimestamp(ctx.now);
  }
  if (!IsSet(schedule->review_deadline()) && !p.case_index.empty()) {
    *schedule->mutable_review_deadline() =
        ToTimestamp(EndOfJstDayAfter(ctx.now, ctx.rules.default_review_days));
  }
  *schedule->mutable_last_run() = run;
  result.transition.call_review = std::move(next_call);
  result.run = std::move(run);
  return result;
}

absl::StatusOr<CaseTransition> SetPairRule(const v1::ReviewCase& review_case,
                                           const v1::CallReview& call_review,
                                           std::span<const v1::Reviewer> pool,
                                           const v1::SetPairRuleRequest& request,
                                           const Context& ctx) {
  if (auto s = internal::CheckActor(ctx); !s.ok()) return s;
  Violations v;
  if (request.case_id() != review_case.case_id()) {
    v.Add("case_id", absl::StrCat("does not name case ", review_case.case_id()));
  }
  const Stage stage =
      request.stage() == calls::v1::REVIEW_STAGE_UNSPECIFIED ? review_case.stage() : request.stage();
  const int stage_index = internal::StageIndex(call_review, stage);
  if (stage_index < 0 || stage_index < internal::StageIndex(call_review, review_case.stage())) {
    v.Add("stage", absl::StrCat("must be the case's current stage (", StageName(review_case.stage()),
                                ") or a later one of the call"));
  }
  if (request.kind() == v1::PAIR_RULE_KIND_UNSPECIFIED || !v1::PairRuleKind_IsValid(request.kind())) {
    v.Add("kind", "must be PIN, FORBID or CLEAR");
  }
  if (request.reviewer_id().empty()) v.Add("reviewer_id", "is required");
  internal::CheckText(request.note(), "note", false, true, internal::kMaxReasonChars, v);
  if (!v.empty()) return v.ToStatus();
  if (auto s = internal::CheckVersion(request.version(), review_case.version(), "case",
                                      review_case.case_id());
      !s.ok()) {
    return s;
  }
  if (review_case.state() != v1::CASE_STATE_IN_REVIEW) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot set a pin or forbid: the case is ", CaseStateName(review_case.state())));
  }
  const v1::StageAssignment* assigned = FindStageAssignment(review_case, stage);
  if (StageAssigned(review_case, stage) && !assigned->has_shortfall()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the ", StageName(stage), " stage of case ", review_case.case_id(),
        " is fully assigned; change reviewers with :reassign"));
  }
  const v1::Reviewer* reviewer = FindReviewer(pool, request.reviewer_id());
  if (reviewer == nullptr) return absl::NotFoundError(absl::StrCat("no reviewer ", request.reviewer_id()));
  if (request.kind() == v1::PAIR_RULE_KIND_FORBID && assigned != nullptr &&
      IsCurrentIn(*assigned, request.reviewer_id())) {
    return absl::FailedPreconditionError(absl::StrCat(
        request.reviewer_id(), " already reviews case ", review_case.case_id(),
        "; remove them with :reassign"));
  }

  v1::ReviewCase next = review_case;
  auto* rules = next.mutable_pair_rules();
  const auto same_pair = [&](const v1::PairRule& r) {
    return r.stage() == stage && r.reviewer_id() == request.reviewer_id();
  };
  const bool existed = std::any_of(rules->begin(), rules->end(), same_pair);
  rules->erase(std::remove_if(rules->begin(), rules->end(), same_pair), rules->end());
  if (request.kind() == v1::PAIR_RULE_KIND_CLEAR) {
    if (!existed) {
      return absl::NotFoundError(absl::StrCat("no pin or forbid of ", request.reviewer_id(),
                                              " on case ", review_case.case_id()));
    }
  } else {
    if (request.kind() == v1::PAIR_RULE_KIND_PIN) {
      Violations pin;
      if (const auto conflicts = ConflictsOf(review_case, *reviewer, call_review, ctx.now);
          !conflicts.empty()) {
        pin.Add("reviewer_id", absl::StrCat(request.reviewer_id(), " is conflicted on case ",
                                            review_case.case_id(), " (",
                                            ConflictText(conflicts.front()), ")"));
      }
      if (reviewer->suspended()) {
        pin.Add("reviewer_id", absl::StrCat(request.reviewer_id(), " is suspended from the pool"));
      }
      const int n = internal::ReviewersFor(call_review, ctx.rules);
      const int pins = static_cast<int>(std::count_if(rules->begin(), rules->end(), [&](const v1::PairRule& r) {
        return r.stage() == stage && r.kind() == v1::PAIR_RULE_KIND_PIN;
      }));
      if (pins >= n) {
        pin.Add("reviewer_id", absl::StrCat("case ", review_case.case_id(), " already has ", pins,
                                            " pins for ", n, " reviewers"));
      }
      if (!pin.empty()) return pin.ToStatus("cannot pin");
    }
    auto* rule = rules->Add();
    rule->set_stage(stage);
    rule->set_reviewer_id(request.reviewer_id());
    rule->set_kind(request.kind());
    rule->set_note(request.note());
    *rule->mutable_set_at() = ToTimestamp(ctx.now);
    *rule->mutable_set_by() = ctx.actor;
  }
  Bump(next, ctx.now);
  return CaseTransition{std::move(next), {}};
}

absl::StatusOr<CallTransition> DeclareConflict(const v1::CallReview& call_review,
                                               std::span<const v1::ReviewCase> cases,
                                               std::span<const v1::Reviewer> pool,
                                               const v1::Reviewer* caller,
                                               const v1::DeclareConflictRequest& request,
                                               const Context& ctx) {
  const auto target_index = TargetCase(cases, request.case_id(), ctx);
  if (!target_index.ok()) return target_index.status();
  const size_t t = *target_index;
  const v1::ReviewCase& target = cases[t];
  const v1::Reviewer* reviewer = nullptr;
  if (ctx.actor.role() == "reviewer") {
    if (caller == nullptr || !ReviewerMaySee(target, call_review, *caller, ctx.now)) {
      return absl::NotFoundError(absl::StrCat("no case ", request.case_id()));
    }
    if (!request.reviewer_id().empty() && request.reviewer_id() != caller->reviewer_id()) {
      return absl::PermissionDeniedError("a reviewer declares conflicts for themselves only");
    }
    reviewer = caller;
  } else {
    if (request.reviewer_id().empty()) {
      Violations v;
      v.Add("reviewer_id", "is required when declaring on behalf of a reviewer");
      return v.ToStatus();
    }
    reviewer = FindReviewer(pool, request.reviewer_id());
    if (reviewer == nullptr) {
      return absl::NotFoundError(absl::StrCat("no reviewer ", request.reviewer_id()));
    }
  }
  Violations v;
  internal::CheckText(request.reason(), "reason", true, true, internal::kMaxReasonChars, v);
  if (!v.empty()) return v.ToStatus();
  if (auto s = internal::CheckVersion(request.version(), target.version(), "case", target.case_id());
      !s.ok()) {
    return s;
  }
  if (target.state() == v1::CASE_STATE_DECIDED || target.state() == v1::CASE_STATE_WITHDRAWN) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot declare a conflict: the case is ", CaseStateName(target.state())));
  }
  for (const auto& d : target.conflicts()) {
    if (d.reviewer_id() == reviewer->reviewer_id()) {
      return absl::FailedPreconditionError(absl::StrCat(
          reviewer->reviewer_id(), " has already declared a conflict on case ", target.case_id()));
    }
  }

  std::vector<v1::ReviewCase> work(cases.begin(), cases.end());
  const bool assigned = IsAssigned(target, reviewer->reviewer_id());
  auto* d = work[t].add_conflicts();
  d->set_reviewer_id(reviewer->reviewer_id());
  d->set_reason(request.reason());
  *d->mutable_declared_at() = ToTimestamp(ctx.now);
  *d->mutable_declared_by() = ctx.actor;
  d->set_recused(assigned);
  CallTransition out;
  if (assigned) {
    if (auto s = Recuse(call_review, work, t, pool, reviewer->reviewer_id(),
                        v1::ASSIGNMENT_CHANGE_KIND_RECUSED,
                        absl::StrCat("declared conflict: ", request.reason()), ctx, out.events);
        !s.ok()) {
      return s;
    }
  }
  Bump(work[t], ctx.now);
  out.cases.push_back(std::move(work[t]));
  return out;
}

absl::StatusOr<CallTransition> ReassignReviewer(const v1::CallReview& call_review,
                                                std::span<const v1::ReviewCase> cases,
                                                std::span<const v1::Reviewer> pool,
                                                const v1::ReassignReviewerRequest& request,
                                                const Context& ctx) {
  const auto target_index = TargetCase(cases, request.case_id(), ctx);
  if (!target_index.ok()) return target_index.status();
  const size_t t = *target_index;
  const v1::ReviewCase& target = cases[t];
  Violations v;
  if (request.remove_reviewer_id().empty()) v.Add("remove_reviewer_id", "is required");
  if (!request.add_reviewer_id().empty() && request.add_reviewer_id() == request.remove_reviewer_id()) {
    v.Add("add_reviewer_id", "must differ from remove_reviewer_id");
  }
  internal::CheckText(request.reason(), "reason", true, true, internal::kMaxReasonChars, v);
  if (!v.empty()) return v.ToStatus();
  if (auto s = internal::CheckVersion(request.version(), target.version(), "case", target.case_id());
      !s.ok()) {
    return s;
  }
  if (target.state() != v1::CASE_STATE_IN_REVIEW) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot reassign: the case is ", CaseStateName(target.state())));
  }
  const Stage stage = target.stage();
  const v1::StageAssignment* sa = FindStageAssignment(target, stage);
  if (sa == nullptr || !IsSet(sa->assigned_at())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the ", StageName(stage), " stage of case ", target.case_id(),
        " is not assigned yet; use pins and forbids before solving"));
  }
  if (!IsCurrentIn(*sa, request.remove_reviewer_id())) {
    return absl::FailedPreconditionError(absl::StrCat(request.remove_reviewer_id(),
                                                      " is not a reviewer of case ",
                                                      target.case_id()));
  }
  const v1::Reviewer* add = nullptr;
  if (!request.add_reviewer_id().empty()) {
    add = FindReviewer(pool, request.add_reviewer_id());
    if (add == nullptr) return absl::NotFoundError(absl::StrCat("no reviewer ", request.add_reviewer_id()));
    if (IsCurrentIn(*sa, add->reviewer_id())) {
      return absl::FailedPreconditionError(
          absl::StrCat(add->reviewer_id(), " already reviews case ", target.case_id()));
    }
    if (const auto conflicts = ConflictsOf(target, *add, call_review, ctx.now); !conflicts.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(add->reviewer_id(), " is conflicted on case ",
                                                        target.case_id(), " (",
                                                        ConflictText(conflicts.front()), ")"));
    }
    if (!IsAvailableAt(*add, ctx.now)) {
      return absl::FailedPreconditionError(
          absl::StrCat(add->reviewer_id(), " takes no new assignments now"));
    }
    const auto load = Loads(cases);
    const auto it = load.find(add->reviewer_id());
    if (it != load.end() && it->second >= add->max_load_per_call()) {
      return absl::FailedPreconditionError(absl::StrCat(add->reviewer_id(), " is at their load cap (",
                                                        add->max_load_per_call(), ") in this call"));
    }
  }

  std::vector<v1::ReviewCase> work(cases.begin(), cases.end());
  std::vector<std::string> added;
  const std::string reason = request.reason();
  if (add == nullptr) {
    auto refilled = RemoveAndRefill(call_review, work, t, pool, request.remove_reviewer_id(),
                                    absl::StrCat("reassigned: ", reason), ctx);
    if (!refilled.ok()) return refilled.status();
    added = std::move(*refilled);
  } else {
    v1::ReviewCase& c = work[t];
    v1::StageAssignment* msa = internal::MutableStageAssignment(c, stage);
    Release(c, *msa, request.remove_reviewer_id());
    const assignment::SectionTree tree(ctx.rules.sections);
    auto* r = msa->add_reviewers();
    r->set_reviewer_id(add->reviewer_id());
    r->set_affinity(assignment::Affinity(ToEngineProposal(c), ToEngineReviewer(*add), tree));
    r->set_manual(true);
    *r->mutable_assigned_at() = ToTimestamp(ctx.now);
    SortReviewers(*msa);
    if (msa->reviewers_size() >= msa->required_reviewers()) {
      msa->clear_shortfall();
    } else if (msa->has_shortfall()) {
      msa->mutable_shortfall()->set_assigned(msa->reviewers_size());
    }
    added.push_back(add->reviewer_id());
  }
  v1::ReviewCase& c = work[t];
  // The removed reviewer stays off this case in later runs; an earlier forbid
  // of the one the officer added gives way to that explicit choice.
  auto* rules = c.mutable_pair_rules();
  rules->erase(std::remove_if(rules->begin(), rules->end(),
                              [&](const v1::PairRule& r) {
                                return r.stage() == stage &&
                                       (r.reviewer_id() == request.remove_reviewer_id() ||
                                        (add != nullptr && r.reviewer_id() == add->reviewer_id() &&
                                         r.kind() == v1::PAIR_RULE_KIND_FORBID));
                              }),
               rules->end());
  auto* forbid = rules->Add();
  forbid->set_stage(stage);
  forbid->set_reviewer_id(request.remove_reviewer_id());
  forbid->set_kind(v1::PAIR_RULE_KIND_FORBID);
  forbid->set_note(absl::StrCat("removed by reassignment: ", reason));
  *forbid->mutable_set_at() = ToTimestamp(ctx.now);
  *forbid->mutable_set_by() = ctx.actor;

  auto* h = internal::AddHistory(c, stage, v1::ASSIGNMENT_CHANGE_KIND_REASSIGNED, reason, ctx);
  h->add_removed_reviewer_ids(request.remove_reviewer_id());
  for (auto& id : added) h->add_added_reviewer_ids(id);
  CallTransition out;
  out.events.push_back(internal::AssignedEvent(c, *internal::MutableStageAssignment(c, stage), *h, ctx));
  Bump(c, ctx.now);
  out.cases.push_back(std::move(c));
  return out;
}

absl::StatusOr<CallTransition> RecuseOnProfileChange(const v1::CallReview& call_review,
                                                     std::span<const v1::ReviewCase> cases,
                                                     std::span<const v1::Reviewer> pool,
                                                     const std::string& changed_reviewer_id,
                                                     const Context& ctx) {
  if (auto s = internal::CheckActor(ctx); !s.ok()) return s;
  const v1::Reviewer* reviewer = FindReviewer(pool, changed_reviewer_id);
  if (reviewer == nullptr) return absl::NotFoundError(absl::StrCat("no reviewer ", changed_reviewer_id));
  std::vector<v1::ReviewCase> work(cases.begin(), cases.end());
  CallTransition out;
  for (size_t i = 0; i < work.size(); ++i) {
    const v1::ReviewCase& c = work[i];
    if (c.state() == v1::CASE_STATE_DECIDED || c.state() == v1::CASE_STATE_WITHDRAWN ||
        !IsAssigned(c, changed_reviewer_id)) {
      continue;
    }
    const auto conflicts = ConflictsOf(c, *reviewer, call_review, ctx.now);
    if (conflicts.empty()) continue;
    if (auto s = Recuse(call_review, work, i, pool, changed_reviewer_id,
                        v1::ASSIGNMENT_CHANGE_KIND_AUTOMATIC_CONFLICT,
                        ConflictText(conflicts.front()), ctx, out.events);
        !s.ok()) {
      return s;
    }
    Bump(work[i], ctx.now);
    out.cases.push_back(work[i]);
  }
  return out;
}

}  // namespace tane::reviews
