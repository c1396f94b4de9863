#include "tane/projects/service.h"

#include <algorithm>
#include <set>
#include <span>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tane/bus/consumer.h"
#include "tane/core/errors.h"
#include "tane/projects/consumed_events.h"
#include "tane/projects/queries.h"
#include "tane/projects/read_model.h"
#include "tane/projects/reports.h"
#include "tane/projects/time_util.h"
#include "tane/runtime/status.h"
#include "tane/store/sharded_index.h"
#include "tane/telemetry/log.h"

namespace tane::projects {
namespace {

namespace tel = ::tane::telemetry;
using common::v1::EventEnvelope;
using core::Violations;

/// reviews' joint-call decisions wait here (by decision id) for JointDecisionMade.
constexpr char kParkedDecisionAggregate[] = "parked_decision";
/// At most this many index members are examined per list call; a page cut
/// short by it still carries a next_page_token.
constexpr size_t kMaxScannedPerCall = 5000;
constexpr int kScanBatch = 200;
constexpr int kDefaultHorizonDays = 90;

enum class Scope { kAll, kOwn };

absl::StatusOr<Scope> ScopeOf(const runtime::CallerIdentity& caller) {
  static const std::set<std::string> kStaff = {"program_officer", "operator", "finance_officer", "auditor",
                                               "system"};
  if (caller.role == "applicant") return Scope::kOwn;
  if (kStaff.contains(caller.role)) return Scope::kAll;
  return absl::PermissionDeniedError(absl::StrCat("role \"", caller.role, "\" has no access to projects"));
}

absl::Status RequireStaff(const runtime::RequestContext& ctx, const std::string& what) {
  auto scope = ScopeOf(ctx.caller);
  if (!scope.ok()) return scope.status();
  if (*scope != Scope::kAll) {
    return absl::PermissionDeniedError(absl::StrCat(what, " spans every project: not for applicants"));
  }
  return absl::OkStatus();
}

common::v1::Actor ActorOf(const runtime::CallerIdentity& caller) {
  common::v1::Actor actor;
  actor.set_subject(caller.subject);
  actor.set_role(caller.role);
  actor.set_agency(caller.agency);
  return actor;
}

/// The envelope's "role:subject", or system:<source> when it has none.
common::v1::Actor ActorOfEnvelope(const EventEnvelope& envelope, std::string_view source) {
  common::v1::Actor actor;
  const size_t colon = envelope.actor().find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == envelope.actor().size()) {
    actor.set_role("system");
    actor.set_subject(std::string(source));
  } else {
    actor.set_role(envelope.actor().substr(0, colon));
    actor.set_subject(envelope.actor().substr(colon + 1));
  }
  return actor;
}

absl::StatusOr<int> PageSizeOf(int32_t requested) {
  if (requested < 0) {
    Violations v;
    v.Add("page_size", "must not be negative");
    return v.ToStatus();
  }
  return requested == 0 ? kDefaultPageSize : std::min<int>(requested, kMaxPageSize);
}

absl::Status ProjectIdRequired(const std::string& project_id) {
  if (!project_id.empty()) return absl::OkStatus();
  Violations v;
  v.Add("project_id", "is required");
  return v.ToStatus();
}

std::vector<EventEnvelope> Envelopes(const std::vector<Event>& events, const runtime::RequestContext& ctx,
                                     const std::string& project_id) {
  std::vector<EventEnvelope> out;
  out.reserve(events.size());
  for (const Event& e : events) out.push_back(ctx.NewEvent(EventPayload(e), kProjectAggregate, project_id));
  return out;
}

std::string LastAction(const v1::Project& project) {
  return project.history().empty() ? std::string() : project.history().rbegin()->action();
}

/// What a batch visitor did with the members it was given.
struct Visited {
  size_t consumed = 0;  // members used, from the first
  bool page_full = false;
};
using BatchVisitor = std::function<absl::StatusOr<Visited>(const std::vector<std::string>& members)>;

/// Walks index `suffix` after the page token's cursor in batches; members
/// whose sort key is at or past `stop_before` ("" = no bound) end the walk.
/// Returns the next page token ("" when the walk reached the end).
absl::StatusOr<std::string> ScanIndex(const store::ShardedIndex& index, const std::string& suffix,
                                      const std::string& page_token, const std::string& stop_before,
                                      const BatchVisitor& visit) {
  std::string cursor;
  if (!page_token.empty()) {
    auto decoded = store::DecodePageToken(page_token);
    if (!decoded.ok()) return decoded.status();
    cursor = *std::move(decoded);
  }
  size_t scanned = 0;
  while (true) {
    auto page = index.Page(suffix, cursor, kScanBatch);
    if (!page.ok()) return page.status();
    std::vector<std::string>& members = page->members;
    bool bounded = false;
    if (!stop_before.empty()) {
      auto past = std::find_if(members.begin(), members.end(), [&](const std::string& m) {
        return m.substr(0, m.rfind('|')) >= stop_before;
      });
      bounded = past != members.end();
      members.erase(past, members.end());
    }
    if (members.empty()) return std::string();
    auto visited = visit(members);
    if (!visited.ok()) return visited.status();
    const bool more = !bounded && !page->next_cursor.empty();
    if (visited->page_full) {
      if (visited->consumed < members.size() || more) {
        return store::EncodePageToken(members[visited->consumed - 1]);
      }
      return std::string();
    }
    if (!more) return std::string();
    cursor = members.back();
    scanned += members.size();
    if (scanned >= kMaxScannedPerCall) return store::EncodePageToken(cursor);
  }
}

/// The shared walk of a due index's batch: parses each member's id, loads
/// the projects in one round trip, and hands each (id, project, rules) to
/// `take`, which returns whether the page is full.
template <typename DueId, typename Load, typename RulesOf, typename Take>
absl::StatusOr<Visited> VisitDueEntries(const std::vector<std::string>& members,
                                        absl::StatusOr<DueId> (*parse)(const std::string&), const Load& load,
                                        const RulesOf& rules_of, const Take& take) {
  std::vector<DueId> due;
  std::vector<std::string> ids;
  for (const auto& m : members) {
    auto parsed = parse(std::string(store::IndexMemberId(m)));
    if (!parsed.ok()) return parsed.status();
    ids.push_back(parsed->project_id);
    due.push_back(*std::move(parsed));
  }
  absl::StatusOr<std::vector<v1::Project>> projects = load(ids);
  if (!projects.ok()) return projects.status();
  Visited visited;
  for (size_t i = 0; i < due.size(); ++i) {
    ++visited.consumed;
    const v1::Project& p = (*projects)[i];
    if (p.project_id().empty()) continue;
    absl::StatusOr<const ProgramRules*> rules = rules_of(p);
    if (!rules.ok()) return rules.status();
    if (take(due[i], p, **rules)) {
      visited.page_full = true;
      break;
    }
  }
  return visited;
}

}  // namespace

std::vector<std::string> ProjectsService::ConsumedTopics() {
  return {"tane.reviews.events", "tane.international.events", "tane.funds.events"};
}

ProjectsService::ProjectsService(runtime::ServiceKit& kit, std::map<std::string, ProgramRules> rules)
    : kit_(kit), rules_(std::move(rules)) {}

void ProjectsService::Subscribe() {
  kit_.On<reviews::v1::ProposalDecided>(
      [this](const EventEnvelope& e, const reviews::v1::ProposalDecided& p) { return OnProposalDecided(e, p); });
  kit_.On<international::v1::JointDecisionMade>(
      [this](const EventEnvelope& e, const international::v1::JointDecisionMade& p) {
        return OnJointDecisionMade(e, p);
      });
  kit_.On<funds::v1::AllocationRejected>(
      [this](const EventEnvelope& e, const funds::v1::AllocationRejected& p) { return OnAllocationRejected(e, p); });
}

const ProgramRules* ProjectsService::RulesFor(const std::string& program_id) const {
  auto it = rules_.find(program_id);
  return it == rules_.end() ? nullptr : &it->second;
}

absl::StatusOr<const ProgramRules*> ProjectsService::RulesOfProject(const v1::Project& project) const {
  const ProgramRules* rules = RulesFor(project.program_id());
  if (rules == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("project ", project.project_id(), " belongs to program ",
                                                      project.program_id(), ", which the catalog no longer has"));
  }
  return rules;
}

// ---------------------------------------------------------------- consumed events

absl::Status ProjectsService::OnProposalDecided(const EventEnvelope& envelope,
                                                const reviews::v1::ProposalDecided& decided) {
  if (!decided.adopted()) {
    tel::LogInfo("proposal not adopted: no project",
                 {{"decision_id", decided.decision_id()}, {"application_id", decided.application_id()}});
    return absl::OkStatus();
  }
  if (!decided.joint_call()) return CreateFromAdoption(envelope, AdoptionFromProposal(decided));

  // A joint call: the project waits for JointDecisionMade; keep the JST-side
  // decision for the research start it names.
  if (decided.decision_id().empty()) return absl::InvalidArgumentError("ProposalDecided without decision_id");
  auto parked = runtime::LoadAggregate<reviews::v1::ProposalDecided>(kit_.store(), kParkedDecisionAggregate,
                                                                     decided.decision_id());
  if (!parked.ok()) return parked.status();
  if (parked->exists()) return absl::OkStatus();
  store::Commit commit;
  commit.aggregate_type = kParkedDecisionAggregate;
  commit.aggregate_id = decided.decision_id();
  commit.expected_version = 0;
  decided.SerializeToString(&commit.data);
  auto applied = bus::ApplyOnce(kit_.store(), envelope, std::move(commit));
  if (!applied.ok()) return applied.status();
  tel::LogInfo("joint-call adoption waits for JointDecisionMade",
               {{"decision_id", decided.decision_id()}, {"application_id", decided.application_id()}});
  return absl::OkStatus();
}

absl::Status ProjectsService::OnJointDecisionMade(const EventEnvelope& envelope,
                                                  const international::v1::JointDecisionMade& joint) {
  if (!joint.adopted()) {
    tel::LogInfo("joint decision not an adoption: no project",
                 {{"joint_decision_id", joint.joint_decision_id()}, {"application_id", joint.application_id()}});
    return absl::OkStatus();
  }
  runtime::Loaded<reviews::v1::ProposalDecided> jst_side;
  if (!joint.jst_decision_id().empty()) {
    auto parked = runtime::LoadAggregate<reviews::v1::ProposalDecided>(kit_.store(), kParkedDecisionAggregate,
                                                                       joint.jst_decision_id());
    if (!parked.ok()) return parked.status();
    jst_side = *std::move(parked);
  }
  return CreateFromAdoption(envelope,
                            AdoptionFromJointDecision(joint, jst_side.exists() ? &jst_side.value : nullptr));
}

absl::Status ProjectsService::CreateFromAdoption(const EventEnvelope& envelope, const AdoptionDecision& decision) {
  if (decision.decision_id.empty()) return absl::InvalidArgumentError("adoption without a decision id");
  const std::string project_id = ProjectIdForDecision(decision.decision_id);
  auto existing = runtime::LoadAggregate<v1::Project>(kit_.store(), kProjectAggregate, project_id);
  if (!existing.ok()) return existing.status();
  if (existing->exists()) {
    tel::LogInfo("decision already made a project", {{"decision_id", decision.decision_id}, {"project_id", project_id}});
    return absl::OkStatus();
  }
  const ProgramRules* rules = RulesFor(decision.program_id);
  if (rules == nullptr) {
    tel::LogError("adoption for a program the catalog does not have",
                  {{"decision_id", decision.decision_id}, {"program_id", decision.program_id}});
    return absl::FailedPreconditionError(
        absl::StrCat("decision ", decision.decision_id, ": program \"", decision.program_id, "\" is not in the catalog"));
  }
  const absl::Time now = kit_.clock().Now();
  auto transition = NewProjectFromAdoption(decision, *rules, now);
  if (!transition.ok()) {
    tel::LogError("adoption cannot become a project",
                  {{"decision_id", decision.decision_id}, {"error", transition.status()}});
    return transition.status();
  }
  const runtime::RequestContext ctx = runtime::ContextOfEvent(envelope, now, kit_.service());
  store::Commit commit;
  commit.aggregate_type = kProjectAggregate;
  commit.aggregate_id = project_id;
  commit.expected_version = 0;
  transition->project.SerializeToString(&commit.data);
  commit.events = Envelopes(transition->events, ctx, project_id);
  commit.index_ops = IndexChanges(nullptr, transition->project, *rules);
  auto applied = bus::ApplyOnce(kit_.store(), envelope, std::move(commit));
  if (!applied.ok()) return applied.status();  // ABORTED: created meanwhile; the retry finds it
  if (*applied) {
    tel::LogInfo("project created",
                 {{"project_id", project_id},
                  {"decision_id", decision.decision_id},
                  {"program_id", decision.program_id},
                  {"source", decision.source == AdoptionDecision::Source::kJointDecisionMade ? "JointDecisionMade"
                                                                                            : "ProposalDecided"}});
  }
  return absl::OkStatus();
}

absl::Status ProjectsService::OnAllocationRejected(const EventEnvelope& envelope,
                                                   const funds::v1::AllocationRejected& rejected) {
  auto loaded = runtime::LoadAggregate<v1::Project>(kit_.store(), kProjectAggregate, rejected.project_id());
  if (!loaded.ok()) return loaded.status();
  if (!loaded->exists()) {
    return absl::NotFoundError(absl::StrCat("AllocationRejected for unknown project ", rejected.project_id()));
  }
  auto rules = RulesOfProject(loaded->value);
  if (!rules.ok()) return rules.status();
  const absl::Time now = kit_.clock().Now();
  const Context domain_ctx{**rules, ActorOfEnvelope(envelope, "funds"), now};
  auto transition = PutOnHold(loaded->value, RejectionFromFunds(rejected), domain_ctx);
  if (!transition.ok()) {
    if (absl::IsFailedPrecondition(transition.status())) {
      tel::LogWarn("allocation rejected for a project that has ended: nothing to hold",
                   {{"project_id", rejected.project_id()}, {"error", transition.status()}});
      return absl::OkStatus();
    }
    return transition.status();
  }
  const runtime::RequestContext ctx = runtime::ContextOfEvent(envelope, now, kit_.service());
  store::Commit commit;
  commit.aggregate_type = kProjectAggregate;
  commit.aggregate_id = rejected.project_id();
  commit.expected_version = loaded->version;
  transition->project.SerializeToString(&commit.data);
  commit.events = Envelopes(transition->events, ctx, rejected.project_id());
  commit.index_ops = IndexChanges(&loaded->value, transition->project, **rules);
  auto applied = bus::ApplyOnce(kit_.store(), envelope, std::move(commit));
  if (!applied.ok()) return applied.status();  // ABORTED: a concurrent change; retried on fresh state
  if (*applied) {
    tel::LogInfo("project put on hold",
                 {{"project_id", rejected.project_id()}, {"reason", transition->project.hold_reason()}});
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------- commands

absl::StatusOr<runtime::Loaded<v1::Project>> ProjectsService::LoadVisible(const runtime::RequestContext& ctx,
                                                                          const std::string& project_id) {
  auto scope = ScopeOf(ctx.caller);
  if (!scope.ok()) return scope.status();
  if (auto s = ProjectIdRequired(project_id); !s.ok()) return s;
  auto loaded = runtime::LoadAggregate<v1::Project>(kit_.store(), kProjectAggregate, project_id);
  if (!loaded.ok()) return loaded.status();
  if (*scope == Scope::kOwn && (!loaded->exists() || loaded->value.pi_subject() != ctx.caller.subject)) {
    return absl::PermissionDeniedError(absl::StrCat("project ", project_id, " is not one of your projects"));
  }
  if (!loaded->exists()) return absl::NotFoundError(absl::StrCat("project ", project_id, " not found"));
  return loaded;
}

absl::StatusOr<v1::Project> ProjectsService::Mutate(const grpc::ServerContext& context,
                                                    const std::string& project_id,
                                                    const std::string& idempotency_key,
                                                    const google::protobuf::Message& request,
                                                    const Command& command) {
  auto ctx = kit_.Begin(context);
  if (!ctx.ok()) return ctx.status();
  if (auto s = ProjectIdRequired(project_id); !s.ok()) return s;
  std::string action = "replayed";  // stays so when the key's stored answer is returned
  runtime::CommandKey key;
  key.aggregate_id = project_id;
  key.idempotency_key = idempotency_key;
  key.subject = ctx->caller.subject;
  key.request = &request;
  auto result = runtime::RunCommand<v1::Project>(
      kit_.store(), key, [&]() -> absl::StatusOr<runtime::Mutation<v1::Project>> {
        auto loaded = LoadVisible(*ctx, project_id);
        if (!loaded.ok()) return loaded.status();
        auto rules = RulesOfProject(loaded->value);
        if (!rules.ok()) return rules.status();
        const Context domain_ctx{**rules, ActorOf(ctx->caller), ctx->now};
        auto transition = command(loaded->value, domain_ctx);
        if (!transition.ok()) return transition.status();
        runtime::Mutation<v1::Project> m;
        m.commit.aggregate_type = kProjectAggregate;
        m.commit.aggregate_id = project_id;
        m.commit.expected_version = loaded->version;
        transition->project.SerializeToString(&m.commit.data);
        m.commit.events = Envelopes(transition->events, *ctx, project_id);
        m.commit.index_ops = IndexChanges(&loaded->value, transition->project, **rules);
        action = LastAction(transition->project);
        m.response = ForView(transition->project);
        return m;
      });
  tel::ScopedTraceId trace(ctx->trace_id);
  if (result.ok()) {
    tel::LogInfo("project changed", {{"project_id", project_id},
                                     {"action", action},
                                     {"version", result->version()},
                                     {"state", StateName(result->state())},
                                     {"actor", ctx->actor()}});
  } else {
    tel::LogInfo("project command refused", {{"project_id", project_id},
                                             {"request", request.GetDescriptor()->name()},
                                             {"code", absl::StatusCodeToString(result.status().code())},
                                             {"error", std::string(result.status().message())},
                                             {"actor", ctx->actor()}});
  }
  return result;
}

namespace {

template <typename Request>
using DomainCommand = absl::StatusOr<Transition> (*)(const v1::Project&, const Request&, const Context&);

}  // namespace

#define TANE_PROJECT_COMMAND(Rpc, Request, Function)                                                        \
  grpc::Status ProjectsService::Rpc(grpc::ServerContext* context, const v1::Request* request,                \
                                    v1::Project* response) {                                                 \
    DomainCommand<v1::Request> fn = &Function;                                                               \
    return runtime::Reply(Mutate(*context, request->project_id(), request->idempotency_key(), *request,     \
                                 [&](const v1::Project& p, const Context& c) { return fn(p, *request, c); }), \
                          response);                                                                         \
  }

TANE_PROJECT_COMMAND(AddContract, AddContractRequest, projects::AddContract)
TANE_PROJECT_COMMAND(ActivateProject, ActivateProjectRequest, projects::Activate)
TANE_PROJECT_COMMAND(SuspendProject, SuspendProjectRequest, projects::Suspend)
TANE_PROJECT_COMMAND(ResumeProject, ResumeProjectRequest, projects::Resume)
TANE_PROJECT_COMMAND(TerminateProject, TerminateProjectRequest, projects::Terminate)
TANE_PROJECT_COMMAND(CompleteProject, CompleteProjectRequest, projects::Complete)
TANE_PROJECT_COMMAND(ExtendProject, ExtendProjectRequest, projects::Extend)
TANE_PROJECT_COMMAND(PauseProject, PauseProjectRequest, projects::Pause)
TANE_PROJECT_COMMAND(ReleaseHold, ReleaseHoldRequest, projects::ReleaseHold)
TANE_PROJECT_COMMAND(AddMember, AddMemberRequest, projects::AddMember)
TANE_PROJECT_COMMAND(RemoveMember, RemoveMemberRequest, projects::RemoveMember)
TANE_PROJECT_COMMAND(TransferInstitution, TransferInstitutionRequest, projects::TransferInstitution)
TANE_PROJECT_COMMAND(RevisePlan, RevisePlanRequest, projects::RevisePlan)
TANE_PROJECT_COMMAND(SubmitReport, SubmitReportRequest, projects::SubmitReport)
TANE_PROJECT_COMMAND(RecordEvaluation, RecordEvaluationRequest, projects::RecordEvaluation)

#undef TANE_PROJECT_COMMAND

// ---------------------------------------------------------------- queries

template <typename Request, typename Response>
grpc::Status ProjectsService::Serve(const grpc::ServerContext& context, const Request& request, Response* response,
                                    Query<Request, Response> query) {
  auto ctx = kit_.Begin(context);
  if (!ctx.ok()) return runtime::ToGrpcStatus(ctx.status());
  return runtime::Reply((this->*query)(*ctx, request), response);
}

absl::StatusOr<std::vector<v1::Project>> ProjectsService::LoadProjects(const std::vector<std::string>& ids) {
  auto raw = kit_.store().LoadMany(kProjectAggregate, ids);
  if (!raw.ok()) return raw.status();
  std::vector<v1::Project> out(raw->size());
  for (size_t i = 0; i < raw->size(); ++i) {
    if ((*raw)[i].version == 0) continue;  // left empty: removed since it was indexed
    if (!out[i].ParseFromString((*raw)[i].data)) {
      return absl::InternalError(absl::StrCat("stored project ", ids[i], " does not parse"));
    }
  }
  return out;
}

grpc::Status ProjectsService::GetProject(grpc::ServerContext* context, const v1::GetProjectRequest* request,
                                         v1::Project* response) {
  return Serve(*context, *request, response, &ProjectsService::Get);
}

absl::StatusOr<v1::Project> ProjectsService::Get(const runtime::RequestContext& ctx,
                                                 const v1::GetProjectRequest& request) {
  auto loaded = LoadVisible(ctx, request.project_id());
  if (!loaded.ok()) return loaded.status();
  return ForView(loaded->value);
}

grpc::Status ProjectsService::GetProjectHistory(grpc::ServerContext* context,
                                                const v1::GetProjectHistoryRequest* request,
                                                v1::GetProjectHistoryResponse* response) {
  return Serve(*context, *request, response, &ProjectsService::History);
}

absl::StatusOr<v1::GetProjectHistoryResponse> ProjectsService::History(const runtime::RequestContext& ctx,
                                                                       const v1::GetProjectHistoryRequest& request) {
  auto loaded = LoadVisible(ctx, request.project_id());
  if (!loaded.ok()) return loaded.status();
  return ProjectHistory(loaded->value, request);
}

grpc::Status ProjectsService::ListProjects(grpc::ServerContext* context, const v1::ListProjectsRequest* request,
                                           v1::ListProjectsResponse* response) {
  return Serve(*context, *request, response, &ProjectsService::List);
}

absl::StatusOr<v1::ListProjectsResponse> ProjectsService::List(const runtime::RequestContext& ctx,
                                                               const v1::ListProjectsRequest& request) {
  auto scope = ScopeOf(ctx.caller);
  if (!scope.ok()) return scope.status();
  // The domain's filter, used on each batch; on no projects it validates.
  v1::ListProjectsRequest filter = request;
  filter.clear_page_token();
  filter.set_page_size(kMaxPageSize);
  if (auto s = projects::ListProjects({}, filter); !s.ok()) return s.status();
  auto page_size = PageSizeOf(request.page_size());
  if (!page_size.ok()) return page_size.status();

  std::string suffix = AllProjectsIndex();
  if (*scope == Scope::kOwn) {
    suffix = PiIndex(ctx.caller.subject);
  } else if (!request.research_area_id().empty()) {
    suffix = AreaIndex(request.research_area_id());
  } else if (!request.program_id().empty()) {
    suffix = ProgramIndex(request.program_id());
  } else if (request.state() != v1::PROJECT_STATE_UNSPECIFIED) {
    suffix = StateIndex(request.state());
  } else if (request.fiscal_year() != 0) {
    suffix = FiscalYearIndex(request.fiscal_year());
  }

  v1::ListProjectsResponse out;
  auto token = ScanIndex(kit_.index(), suffix, request.page_token(), "",
                         [&](const std::vector<std::string>& members) -> absl::StatusOr<Visited> {
                           std::vector<std::string> ids;
                           for (const auto& m : members) ids.emplace_back(store::IndexMemberId(m));
                           auto projects = LoadProjects(ids);
                           if (!projects.ok()) return projects.status();
                           Visited visited;
                           for (const v1::Project& p : *projects) {
                             ++visited.consumed;
                             if (p.project_id().empty()) continue;
                             auto hit = projects::ListProjects(std::span(&p, 1), filter);
                             if (!hit.ok()) return hit.status();
                             if (hit->projects().empty()) continue;
                             *out.add_projects() = std::move(*hit->mutable_projects(0));
                             if (out.projects_size() == *page_size) {
                               visited.page_full = true;
                               break;
                             }
                           }
                           return visited;
                         });
  if (!token.ok()) return token.status();
  out.set_next_page_token(*token);
  return out;
}

grpc::Status ProjectsService::ListOverdueReports(grpc::ServerContext* context,
                                                 const v1::ListOverdueReportsRequest* request,
                                                 v1::ListOverdueReportsResponse* response) {
  return Serve(*context, *request, response, &ProjectsService::Overdue);
}

absl::StatusOr<v1::ListOverdueReportsResponse> ProjectsService::Overdue(
    const runtime::RequestContext& ctx, const v1::ListOverdueReportsRequest& request) {
  if (auto s = RequireStaff(ctx, "the overdue report list"); !s.ok()) return s;
  auto page_size = PageSizeOf(request.page_size());
  if (!page_size.ok()) return page_size.status();
  const std::string suffix = request.research_area_id().empty() ? ReportDueIndex(request.program_id(), "")
                                                                : ReportDueIndex("", request.research_area_id());
  v1::ListOverdueReportsResponse out;
  const auto load = [this](const std::vector<std::string>& ids) { return LoadProjects(ids); };
  const auto rules_of = [this](const v1::Project& p) { return RulesOfProject(p); };
  auto token = ScanIndex(
      kit_.index(), suffix, request.page_token(), store::SortKeyOfTime(ctx.now),
      [&](const std::vector<std::string>& members) {
        return VisitDueEntries(members, &ParseDueReportId, load, rules_of,
                               [&](const DueReportId& due, const v1::Project& p, const ProgramRules& rules) {
                                 if (!request.program_id().empty() && p.program_id() != request.program_id()) {
                                   return false;
                                 }
                                 for (auto& report : OverdueReports(p, rules, ctx.now)) {
                                   if (report.fiscal_year() == due.fiscal_year && report.kind() == due.kind) {
                                     *out.add_reports() = std::move(report);
                                   }
                                 }
                                 return out.reports_size() >= *page_size;
                               });
      });
  if (!token.ok()) return token.status();
  out.set_next_page_token(*token);
  return out;
}

grpc::Status ProjectsService::ListUpcomingEvaluations(grpc::ServerContext* context,
                                                      const v1::ListUpcomingEvaluationsRequest* request,
                                                      v1::ListUpcomingEvaluationsResponse* response) {
  return Serve(*context, *request, response, &ProjectsService::Upcoming);
}

absl::StatusOr<v1::ListUpcomingEvaluationsResponse> ProjectsService::Upcoming(
    const runtime::RequestContext& ctx, const v1::ListUpcomingEvaluationsRequest& request) {
  if (auto s = RequireStaff(ctx, "the upcoming evaluation list"); !s.ok()) return s;
  if (request.within_days() < 0) {
    Violations v;
    v.Add("within_days", "must not be negative");
    return v.ToStatus();
  }
  auto page_size = PageSizeOf(request.page_size());
  if (!page_size.ok()) return page_size.status();
  const int days = request.within_days() == 0 ? kDefaultHorizonDays : request.within_days();
  const absl::Time horizon = ctx.now + absl::Hours(24) * days;

  v1::ListUpcomingEvaluationsResponse out;
  const auto load = [this](const std::vector<std::string>& ids) { return LoadProjects(ids); };
  const auto rules_of = [this](const v1::Project& p) { return RulesOfProject(p); };
  auto token = ScanIndex(
      kit_.index(), EvaluationDueIndex(request.program_id()), request.page_token(), store::SortKeyOfTime(horizon),
      [&](const std::vector<std::string>& members) {
        return VisitDueEntries(members, &ParseDueEvaluationId, load, rules_of,
                               [&](const DueEvaluationId& due, const v1::Project& p, const ProgramRules& rules) {
                                 for (auto& pending : PendingEvaluations(p, rules)) {
                                   if (pending.kind() != due.kind || pending.milestone_month() != due.milestone_month) {
                                     continue;
                                   }
                                   pending.set_overdue(FromProto(pending.scheduled_time()) < ctx.now);
                                   *out.add_evaluations() = std::move(pending);
                                 }
                                 return out.evaluations_size() >= *page_size;
                               });
      });
  if (!token.ok()) return token.status();
  out.set_next_page_token(*token);
  return out;
}

grpc::Status ProjectsService::CountOutputs(grpc::ServerContext* context, const v1::CountOutputsRequest* request,
                                           v1::CountOutputsResponse* response) {
  return Serve(*context, *request, response, &ProjectsService::Outputs);
}

absl::StatusOr<v1::CountOutputsResponse> ProjectsService::Outputs(const runtime::RequestContext& ctx,
                                                                  const v1::CountOutputsRequest& request) {
  if (auto s = RequireStaff(ctx, "output counts"); !s.ok()) return s;
  if (auto s = projects::CountOutputs({}, request); !s.ok()) return s.status();  // validates
  // The program's projects, read in batches (without their history).
  std::vector<v1::Project> program_projects;
  std::string cursor;
  do {
    auto page = kit_.index().Page(ProgramIndex(request.program_id()), cursor, kMaxPageSize);
    if (!page.ok()) return page.status();
    std::vector<std::string> ids;
    for (const auto& m : page->members) ids.emplace_back(store::IndexMemberId(m));
    auto loaded = LoadProjects(ids);
    if (!loaded.ok()) return loaded.status();
    for (auto& p : *loaded) {
      if (p.project_id().empty()) continue;
      p.clear_history();
      program_projects.push_back(std::move(p));
    }
    cursor = page->next_cursor;
  } while (!cursor.empty());
  return projects::CountOutputs(program_projects, request);
}

}  // namespace tane::projects
