// The catalog, strategic goals, research areas and calls. Applications are in
// applications.cc.
#include "tane/calls/service/calls_service.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "keys.h"
#include "service_util.h"
#include "tane/calls/area_rules.h"
#include "tane/calls/call_rules.h"
#include "tane/calls/events.h"
#include "tane/calls/timestamps.h"
#include "tane/core/ids.h"
#include "tane/core/time.h"
#include "tane/telemetry/log.h"

namespace tane::calls {
namespace {

namespace tel = ::tane::telemetry;
using impl::CommandOf;
using impl::CommitOf;
using runtime::Mutation;

constexpr char kGoalIds[] = "tane.calls.goal";
constexpr char kAreaIds[] = "tane.calls.area";
constexpr char kCallIds[] = "tane.calls.call";

int FiscalYearOr(int requested, absl::Time now) {
  return requested != 0 ? requested : core::FiscalYear::Containing(now).year();
}

}  // namespace

CallsService::CallsService(runtime::ServiceKit& kit, const Catalog& catalog, CallsServiceOptions options)
    : kit_(kit), catalog_(catalog), options_(std::move(options)), commitments_(kit) {}

// ------------------------------------------------------------ gRPC handlers
//
// Each one only adapts: Serve() runs Begin() and turns the result into the
// reply; the overload taking the RequestContext does the work.

grpc::Status CallsService::ListPrograms(grpc::ServerContext* c, const v1::ListProgramsRequest* r,
                                        v1::ListProgramsResponse* out) {
  return kit_.Serve(*c, out, [&](const Ctx& ctx) { return ListPrograms(ctx, *r); });
}
grpc::Status CallsService::GetProgram(grpc::ServerContext* c, const v1::GetProgramRequest* r, v1::Program* out) {
  return kit_.Serve(*c, out, [&](const Ctx& ctx) { return GetProgram(ctx, *r); });
}
grpc::Status CallsService::CreateStrategicGoal(grpc::ServerContext* c, const v1::CreateStrategicGoalRequest* r,
                                               v1::StrategicGoal* out) {
  return kit_.Serve(*c, out, [&](const Ctx& ctx) { return CreateStrategicGoal(ctx, *r); });
}
grpc::Status CallsService::ListStrategicGoals(grpc::ServerContext* c, const v1::ListStrategicGoalsRequest* r,
                                              v1::ListStrategicGoalsResponse* out) {
  return kit_.Serve(*c, out, [&](const Ctx&) { return ListStrategicGoals(*r); });
}
grpc::Status CallsService::GetStrategicGoal(grpc::ServerContext* c, const v1::GetStrategicGoalRequest* r,
                                            v1::StrategicGoal* out) {
  return kit_.Serve(*c, out, [&](const Ctx&) -> absl::StatusOr<v1::StrategicGoal> {
    if (auto s = impl::RequireField("goal_id", r->goal_id()); !s.ok()) return s;
    auto goal = runtime::LoadAggregate<v1::StrategicGoal>(kit_.store(), keys::kGoal, r->goal_id());
    if (!goal.ok()) return goal.status();
    if (!goal->exists()) return impl::NotFound("strategic goal", r->goal_id());
    return goal->value;
  });
}
grpc::Status CallsService::CreateResearchArea(grpc::ServerContext* c, const v1::CreateResearchAreaRequest* r,
                                              v1::ResearchArea* out) {
  return kit_.Serve(*c, out, [&](const Ctx& ctx) { return CreateResearchArea(ctx, *r); });
}
grpc::Status CallsService::ListResearchAreas(grpc::ServerContext* c, const v1::ListResearchAreasRequest* r,
                                             v1::ListResearchAreasResponse* out) {
  return kit_.Serve(*c, out, [&](const Ctx&) { return ListResearchAreas(*r); });
}
grpc::Status CallsService::GetResearchArea(grpc::ServerContext* c, const v1::GetResearchAreaRequest* r,
                                           v1::ResearchArea* out) {
  return kit_.Serve(*c, out, [&](const Ctx&) -> absl::StatusOr<v1::ResearchArea> {
    if (auto s = impl::RequireField("area_id", r->area_id()); !s.ok()) return s;
    auto area = runtime::LoadAggregate<v1::ResearchArea>(kit_.store(), keys::kArea, r->area_id());
    if (!area.ok()) return area.status();
    if (!area->exists()) return impl::NotFound("research area", r->area_id());
    return area->value;
  });
}
grpc::Status CallsService::CreateCall(grpc::ServerContext* c, const v1::CreateCallRequest* r, v1::Call* out) {
  return kit_.Serve(*c, out, [&](const Ctx& ctx) { return CreateCall(ctx, *r); });
}
grpc::Status CallsService::UpdateCall(grpc::ServerContext* c, const v1::UpdateCallRequest* r, v1::Call* out) {
  return kit_.Serve(*c, out, [&](const Ctx& ctx) { return UpdateCall(ctx, *r); });
}
grpc::Status CallsService::PublishCall(grpc::ServerContext* c, const v1::PublishCallRequest* r, v1::Call* out) {
  return kit_.Serve(*c, out, [&](const Ctx& ctx) { return PublishCall(ctx, *r); });
}
grpc::Status CallsService::CloseCall(grpc::ServerContext* c, const v1::CloseCallRequest* r, v1::Call* out) {
  return kit_.Serve(*c, out, [&](const Ctx& ctx) { return CloseCall(ctx, *r); });
}
grpc::Status CallsService::CancelCall(grpc::ServerContext* c, const v1::CancelCallRequest* r, v1::Call* out) {
  return kit_.Serve(*c, out, [&](const Ctx& ctx) { return CancelCall(ctx, *r); });
}
grpc::Status CallsService::GetCall(grpc::ServerContext* c, const v1::GetCallRequest* r, v1::Call* out) {
  return kit_.Serve(*c, out, [&](const Ctx& ctx) -> absl::StatusOr<v1::Call> {
    auto call = LoadCall(r->call_id(), &ctx);
    if (!call.ok()) return call.status();
    return call->value;
  });
}
grpc::Status CallsService::ListCalls(grpc::ServerContext* c, const v1::ListCallsRequest* r,
                                     v1::ListCallsResponse* out) {
  return kit_.Serve(*c, out, [&](const Ctx& ctx) { return ListCalls(ctx, *r); });
}
grpc::Status CallsService::CreateApplication(grpc::ServerContext* c, const v1::CreateApplicationRequest* r,
                                             v1::Application* out) {
  return kit_.Serve(*c, out, [&](const Ctx& ctx) { return CreateApplication(ctx, *r); });
}
grpc::Status CallsService::UpdateApplication(grpc::ServerContext* c, const v1::UpdateApplicationRequest* r,
                                             v1::Application* out) {
  return kit_.Serve(*c, out, [&](const Ctx& ctx) { return UpdateApplication(ctx, *r); });
}
grpc::Status CallsService::SubmitApplication(grpc::ServerContext* c, const v1::SubmitApplicationRequest* r,
                                             v1::Application* out) {
  return kit_.Serve(*c, out, [&](const Ctx& ctx) { return SubmitApplication(ctx, *r); });
}
grpc::Status CallsService::WithdrawApplication(grpc::ServerContext* c, const v1::WithdrawApplicationRequest* r,
                                               v1::Application* out) {
  return kit_.Serve(*c, out, [&](const Ctx& ctx) { return WithdrawApplication(ctx, *r); });
}
grpc::Status CallsService::ValidateApplication(grpc::ServerContext* c, const v1::ValidateApplicationRequest* r,
                                               v1::ValidateApplicationResponse* out) {
  return kit_.Serve(*c, out, [&](const Ctx& ctx) { return ValidateApplication(ctx, *r); });
}
grpc::Status CallsService::GetApplication(grpc::ServerContext* c, const v1::GetApplicationRequest* r,
                                          v1::Application* out) {
  return kit_.Serve(*c, out, [&](const Ctx& ctx) -> absl::StatusOr<v1::Application> {
    auto application = LoadApplicationFor(ctx, r->application_id());
    if (!application.ok()) return application.status();
    return application->value;
  });
}
grpc::Status CallsService::ListApplications(grpc::ServerContext* c, const v1::ListApplicationsRequest* r,
                                            v1::ListApplicationsResponse* out) {
  return kit_.Serve(*c, out, [&](const Ctx& ctx) { return ListApplications(ctx, *r); });
}
grpc::Status CallsService::ListMyApplications(grpc::ServerContext* c, const v1::ListMyApplicationsRequest* r,
                                              v1::ListApplicationsResponse* out) {
  return kit_.Serve(*c, out, [&](const Ctx& ctx) { return ListMyApplications(ctx, *r); });
}
grpc::Status CallsService::CountApplications(grpc::ServerContext* c, const v1::CountApplicationsRequest* r,
                                             v1::CountApplicationsResponse* out) {
  return kit_.Serve(*c, out, [&](const Ctx& ctx) { return CountApplications(ctx, *r); });
}

// ------------------------------------------------------------------ catalog

absl::StatusOr<v1::ListProgramsResponse> CallsService::ListPrograms(const Ctx& ctx, const v1::ListProgramsRequest& r) {
  const int fiscal_year = FiscalYearOr(r.fiscal_year(), ctx.now);
  v1::ListProgramsResponse out;
  for (const ProgramRule& program : catalog_.programs()) {
    if (r.agency() != v1::AGENCY_UNSPECIFIED && program.agency != r.agency()) continue;
    *out.add_programs() = program.ToProto(fiscal_year);
  }
  return out;
}

absl::StatusOr<v1::Program> CallsService::GetProgram(const Ctx& ctx, const v1::GetProgramRequest& r) {
  auto program = catalog_.Get(r.program_id());
  if (!program.ok()) return program.status();
  return (*program)->ToProto(FiscalYearOr(r.fiscal_year(), ctx.now));
}

// --------------------------------------------------- goals and research areas

absl::StatusOr<v1::StrategicGoal> CallsService::CreateStrategicGoal(const Ctx& ctx,
                                                                    const v1::CreateStrategicGoalRequest& r) {
  const std::string id = runtime::IdForCreate(kGoalIds, ctx.caller.subject, r.idempotency_key());
  auto created = runtime::RunCommand<v1::StrategicGoal>(
      kit_.store(), CommandOf(ctx, id, r.idempotency_key(), r), [&]() -> absl::StatusOr<Mutation<v1::StrategicGoal>> {
        if (auto s = ValidateNewStrategicGoal(r.strategic_goal()); !s.ok()) return s;
        if (auto s = impl::CheckNotCreated(kit_.store(), keys::kGoal, id, "strategic goal"); !s.ok()) return s;
        Mutation<v1::StrategicGoal> m;
        m.response = r.strategic_goal();
        m.response.set_goal_id(id);
        *m.response.mutable_create_time() = ToTimestamp(ctx.now);
        m.commit = CommitOf(keys::kGoal, id, 0, m.response);
        m.commit.index_ops.push_back(
            store::IndexAdd(keys::kGoalsIndex, absl::StrFormat("%04d", m.response.fiscal_year()), id));
        return m;
      });
  if (created.ok()) tel::LogInfo("strategic goal created", {{"goal_id", id}, {"title_ja", created->title_ja()}});
  return created;
}

absl::StatusOr<v1::ListStrategicGoalsResponse> CallsService::ListStrategicGoals(
    const v1::ListStrategicGoalsRequest& r) {
  runtime::ListRequest list{.index = keys::kGoalsIndex, .page_token = r.page_token(), .page_size = r.page_size()};
  auto page = runtime::ListAggregates<v1::StrategicGoal>(
      kit_.store(), kit_.index(), keys::kGoal, list, [&](const v1::StrategicGoal& goal) {
        return (r.fiscal_year() == 0 || goal.fiscal_year() == r.fiscal_year()) &&
               (r.agency() == v1::AGENCY_UNSPECIFIED || goal.agency() == r.agency());
      });
  if (!page.ok()) return page.status();
  v1::ListStrategicGoalsResponse out;
  for (auto& goal : page->items) *out.add_strategic_goals() = std::move(goal);
  out.set_next_page_token(page->next_page_token);
  return out;
}

absl::StatusOr<v1::ResearchArea> CallsService::CreateResearchArea(const Ctx& ctx,
                                                                  const v1::CreateResearchAreaRequest& r) {
  const std::string id = runtime::IdForCreate(kAreaIds, ctx.caller.subject, r.idempotency_key());
  auto created = runtime::RunCommand<v1::ResearchArea>(
      kit_.store(), CommandOf(ctx, id, r.idempotency_key(), r), [&]() -> absl::StatusOr<Mutation<v1::ResearchArea>> {
        const v1::ResearchArea& area = r.research_area();
        runtime::Loaded<v1::StrategicGoal> goal;
        if (core::IsUuid(area.goal_id())) {
          auto loaded = runtime::LoadAggregate<v1::StrategicGoal>(kit_.store(), keys::kGoal, area.goal_id());
          if (!loaded.ok()) return loaded.status();
          goal = *std::move(loaded);
        }
        absl::Status valid = ValidateNewResearchArea(area, catalog_, goal.exists() ? &goal.value : nullptr);
        if (core::IsUuid(area.goal_id()) && !goal.exists()) {
          valid = impl::WithViolation(valid, "goal_id", "no strategic goal has this id", "invalid research area");
        }
        if (!valid.ok()) return valid;
        if (auto s = impl::CheckNotCreated(kit_.store(), keys::kArea, id, "research area"); !s.ok()) return s;
        Mutation<v1::ResearchArea> m;
        m.response = area;
        m.response.set_area_id(id);
        *m.response.mutable_create_time() = ToTimestamp(ctx.now);
        m.commit = CommitOf(keys::kArea, id, 0, m.response);
        const std::string order = store::SortKeyOfTime(ctx.now);
        m.commit.index_ops.push_back(store::IndexAdd(keys::kAreasIndex, order, id));
        m.commit.index_ops.push_back(store::IndexAdd(keys::AreasOfGoalIndex(area.goal_id()), order, id));
        v1::ResearchAreaCreated event;
        *event.mutable_research_area() = m.response;
        m.commit.events.push_back(ctx.NewEvent(event, keys::kArea, id));
        return m;
      });
  if (created.ok()) tel::LogInfo("research area created", {{"area_id", id}, {"goal_id", created->goal_id()}});
  return created;
}

absl::StatusOr<v1::ListResearchAreasResponse> CallsService::ListResearchAreas(const v1::ListResearchAreasRequest& r) {
  runtime::ListRequest list{.index = r.goal_id().empty() ? keys::kAreasIndex : keys::AreasOfGoalIndex(r.goal_id()),
                            .page_token = r.page_token(),
                            .page_size = r.page_size()};
  auto page = runtime::ListAggregates<v1::ResearchArea>(
      kit_.store(), kit_.index(), keys::kArea, list, [&](const v1::ResearchArea& area) {
        return r.program_id().empty() || std::find(area.program_ids().begin(), area.program_ids().end(),
                                                   r.program_id()) != area.program_ids().end();
      });
  if (!page.ok()) return page.status();
  v1::ListResearchAreasResponse out;
  for (auto& area : page->items) *out.add_research_areas() = std::move(area);
  out.set_next_page_token(page->next_page_token);
  return out;
}

// -------------------------------------------------------------------- calls

absl::StatusOr<runtime::Loaded<v1::Call>> CallsService::LoadCall(const std::string& call_id, const Ctx* visible_to) {
  if (auto s = impl::RequireField("call_id", call_id); !s.ok()) return s;
  auto call = runtime::LoadAggregate<v1::Call>(kit_.store(), keys::kCall, call_id);
  if (!call.ok()) return call.status();
  const bool hidden = visible_to != nullptr && call->exists() && call->value.state() == v1::CALL_STATE_DRAFT &&
                      !impl::ManagesCalls(*visible_to);
  if (!call->exists() || hidden) return impl::NotFound("call", call_id);
  return call;
}

absl::StatusOr<runtime::Loaded<v1::Call>> CallsService::LoadCallToChange(const std::string& call_id,
                                                                         int64_t expected_version) {
  auto call = LoadCall(call_id);
  if (!call.ok()) return call.status();
  if (auto s = CheckExpectedVersion(expected_version, call->version, "call " + call_id); !s.ok()) return s;
  return call;
}

absl::StatusOr<const ProgramRule*> CallsService::ProgramOf(const v1::Call& call) const {
  const ProgramRule* program = catalog_.Find(call.program_id());
  if (program == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("call ", call.call_id(), " names program ", call.program_id(),
                                                      ", which the catalog no longer has"));
  }
  return program;
}

namespace {

// The research area a call names, when it names one by a UUID (other values
// are the domain rules' to report).
absl::StatusOr<runtime::Loaded<v1::ResearchArea>> AreaOf(store::AggregateStore& store, const std::string& area_id) {
  if (!core::IsUuid(area_id)) return runtime::Loaded<v1::ResearchArea>{};
  return runtime::LoadAggregate<v1::ResearchArea>(store, keys::kArea, area_id);
}

// `status` with a violation on research_area_id when a UUID names no area.
absl::Status UnknownAreaOr(const absl::Status& status, const std::string& area_id,
                           const runtime::Loaded<v1::ResearchArea>& area) {
  if (!core::IsUuid(area_id) || area.exists()) return status;
  return impl::WithViolation(status, "research_area_id", "no research area has this id", "invalid call");
}

}  // namespace

absl::StatusOr<v1::Call> CallsService::CreateCall(const Ctx& ctx, const v1::CreateCallRequest& r) {
  const std::string id = runtime::IdForCreate(kCallIds, ctx.caller.subject, r.idempotency_key());
  auto created = runtime::RunCommand<v1::Call>(
      kit_.store(), CommandOf(ctx, id, r.idempotency_key(), r), [&]() -> absl::StatusOr<Mutation<v1::Call>> {
        auto area = AreaOf(kit_.store(), r.call().research_area_id());
        if (!area.ok()) return area.status();
        auto call = PrepareNewCall(r.call(), id, catalog_, area->exists() ? &area->value : nullptr, ctx.now);
        if (auto s = UnknownAreaOr(call.status(), r.call().research_area_id(), *area); !s.ok()) return s;
        if (auto s = impl::CheckNotCreated(kit_.store(), keys::kCall, id, "call"); !s.ok()) return s;
        Mutation<v1::Call> m;
        m.response = *std::move(call);
        m.commit = CommitOf(keys::kCall, id, 0, m.response);
        m.commit.index_ops = store::IndexDiff({}, keys::EntriesOf(m.response));
        return m;
      });
  if (created.ok()) tel::LogInfo("call created", {{"call_id", id}, {"program_id", created->program_id()}});
  return created;
}

absl::StatusOr<v1::Call> CallsService::UpdateCall(const Ctx& ctx, const v1::UpdateCallRequest& r) {
  const std::string& id = r.call().call_id();
  if (auto s = impl::RequireField("call.call_id", id); !s.ok()) return s;
  auto updated = runtime::RunCommand<v1::Call>(
      kit_.store(), CommandOf(ctx, id, r.idempotency_key(), r), [&]() -> absl::StatusOr<Mutation<v1::Call>> {
        auto current = LoadCall(id);
        if (!current.ok()) return current.status();
        const bool area_changes = std::find(r.update_mask().paths().begin(), r.update_mask().paths().end(),
                                            "research_area_id") != r.update_mask().paths().end();
        const std::string& area_id = area_changes ? r.call().research_area_id() : current->value.research_area_id();
        auto area = AreaOf(kit_.store(), area_id);
        if (!area.ok()) return area.status();
        auto call = ApplyCallUpdate(current->value, r.call(), r.update_mask(), catalog_,
                                    area->exists() ? &area->value : nullptr, ctx.now);
        if (auto s = UnknownAreaOr(call.status(), area_id, *area); !s.ok()) return s;
        return CallMutation(*current, *std::move(call));
      });
  if (updated.ok()) tel::LogInfo("call updated", {{"call_id", id}, {"version", updated->version()}});
  return updated;
}

absl::StatusOr<v1::Call> CallsService::PublishCall(const Ctx& ctx, const v1::PublishCallRequest& r) {
  if (auto s = impl::RequireField("call_id", r.call_id()); !s.ok()) return s;
  auto published = runtime::RunCommand<v1::Call>(
      kit_.store(), CommandOf(ctx, r.call_id(), r.idempotency_key(), r), [&]() -> absl::StatusOr<Mutation<v1::Call>> {
        auto current = LoadCallToChange(r.call_id(), r.version());
        if (!current.ok()) return current.status();
        auto call = calls::PublishCall(current->value, catalog_, ctx.now);
        if (!call.ok()) return call.status();
        Mutation<v1::Call> m = CallMutation(*current, *std::move(call));
        m.commit.events.push_back(ctx.NewEvent(CallPublishedEvent(m.response), keys::kCall, r.call_id()));
        return m;
      });
  if (published.ok()) {
    tel::LogInfo("call published",
                 {{"call_id", r.call_id()}, {"closes_at", FormatJst(ToTime(published->closes_at()))}});
  }
  return published;
}

Mutation<v1::Call> CallsService::CallMutation(const runtime::Loaded<v1::Call>& current, v1::Call next) {
  Mutation<v1::Call> m;
  m.response = std::move(next);
  m.commit = CommitOf(keys::kCall, m.response.call_id(), current.version, m.response);
  m.commit.index_ops = store::IndexDiff(keys::EntriesOf(current.value), keys::EntriesOf(m.response));
  return m;
}

runtime::RequestContext CallsService::SystemContext(absl::Time now) const {
  Ctx ctx;
  ctx.caller = {.subject = kit_.service(), .role = "system", .agency = ""};
  ctx.trace_id = tel::NewTraceId();
  ctx.now = now;
  return ctx;
}

void CallsService::AfterStep(StopStep step, const std::string& call_id) const {
  if (options_.after_step) options_.after_step(step, call_id);
}

// Stopping a call's submissions, step 1 (the intent) is the caller's: see
// calls_service.h. Steps 2 and 3 are here, and run again on every attempt:
// after a version conflict the call is reloaded, and whoever finished first
// (another replica's scheduler, say) has left nothing to do.
absl::StatusOr<CallsService::Stopped> CallsService::FinishStop(const Ctx& ctx, const std::string& call_id) {
  runtime::CommandKey command;  // no idempotency key: after a version conflict it decides again
  command.aggregate_id = call_id;
  std::optional<v1::Call> settled;
  auto finished = runtime::RunCommand<v1::Call>(kit_.store(), command, [&]() -> absl::StatusOr<Mutation<v1::Call>> {
    auto current = LoadCall(call_id);
    if (!current.ok()) return current.status();
    const v1::CallState state = current->value.state();
    if (state != v1::CALL_STATE_CLOSING && state != v1::CALL_STATE_CANCELLING) {
      settled = current->value;
      return absl::CancelledError("not stopping");
    }
    const bool closing = state == v1::CALL_STATE_CLOSING;
    if (auto s = kit_.index().RaiseFence(
            keys::CallFence(call_id),
            absl::StrCat("call ", call_id, closing ? " is closed and no longer accepts submissions" : " was cancelled"));
        !s.ok()) {
      return s;
    }
    AfterStep(StopStep::kFenceRaised, call_id);
    if (!closing) {
      auto cancelled = FinishCancel(current->value, ctx.now);
      if (!cancelled.ok()) return cancelled.status();
      Mutation<v1::Call> m = CallMutation(*current, *std::move(cancelled));
      m.commit.events.push_back(ctx.NewEvent(CallCancelledEvent(m.response), keys::kCall, call_id));
      return m;
    }
    // The fence is up in every shard, so no submission can change these
    // counts any more. Withdrawals still can lower SUBMITTED (they are
    // allowed after closing); the ever-submitted count they do not touch.
    auto counts = kit_.index().Counters(keys::CallApplicationCounts(call_id));
    if (!counts.ok()) return counts.status();
    const int64_t submitted = (*counts)[std::string(ApplicationStateName(v1::APPLICATION_STATE_SUBMITTED))];
    const int64_t ever_submitted = (*counts)[keys::kEverSubmittedCounter];
    auto closed = FinishClose(current->value, ctx.now);
    if (!closed.ok()) return closed.status();
    Mutation<v1::Call> m = CallMutation(*current, closed->call);
    m.commit.events.push_back(
        ctx.NewEvent(CallClosedEvent(*closed, submitted, ever_submitted), keys::kCall, call_id));
    return m;
  });
  if (settled) return Stopped{*std::move(settled), false};
  if (!finished.ok()) return finished.status();
  return Stopped{*std::move(finished), true};
}

absl::StatusOr<v1::Call> CallsService::CloseCall(const Ctx& ctx, const v1::CloseCallRequest& r) {
  if (auto s = impl::RequireField("call_id", r.call_id()); !s.ok()) return s;
  bool closing = false;  // an earlier request began the close: only the finish is left
  auto begun = runtime::RunCommand<v1::Call>(
      kit_.store(), CommandOf(ctx, r.call_id(), r.idempotency_key(), r), [&]() -> absl::StatusOr<Mutation<v1::Call>> {
        auto current = LoadCallToChange(r.call_id(), r.version());
        if (!current.ok()) return current.status();
        closing = current->value.state() == v1::CALL_STATE_CLOSING;
        if (closing) return absl::CancelledError("closing already");
        auto next = BeginClose(current->value, ctx.now);
        if (!next.ok()) return next.status();
        return CallMutation(*current, *std::move(next));
      });
  if (!begun.ok() && !closing) return begun.status();
  AfterStep(StopStep::kIntentCommitted, r.call_id());
  auto closed = FinishStop(ctx, r.call_id());
  if (!closed.ok()) return closed.status();
  if (closed->by_this) tel::LogInfo("call closed", {{"call_id", r.call_id()}, {"by", ctx.actor()}});
  return closed->call;
}

absl::StatusOr<bool> CallsService::CloseIfDue(const std::string& call_id, absl::Time now) {
  const Ctx ctx = SystemContext(now);
  runtime::CommandKey command;  // no idempotency key: after a version conflict it decides again
  command.aggregate_id = call_id;
  bool due = false;
  auto begun = runtime::RunCommand<v1::Call>(kit_.store(), command, [&]() -> absl::StatusOr<Mutation<v1::Call>> {
    auto current = runtime::LoadAggregate<v1::Call>(kit_.store(), keys::kCall, call_id);
    if (!current.ok()) return current.status();
    // Not due: not yet, or closed already (by another replica, say).
    due = current->exists() && IsPastDeadline(current->value, now);
    if (!due) return absl::CancelledError("not due");
    auto next = BeginClose(current->value, now);
    if (!next.ok()) return next.status();
    return CallMutation(*current, *std::move(next));
  });
  if (!due) return false;
  if (!begun.ok()) return begun.status();
  AfterStep(StopStep::kIntentCommitted, call_id);
  auto closed = FinishStop(ctx, call_id);
  if (!closed.ok()) return closed.status();
  if (closed->by_this) {
    tel::ScopedTraceId trace(ctx.trace_id);
    tel::LogInfo("call closed at its deadline",
                 {{"call_id", call_id}, {"closes_at", FormatJst(ToTime(closed->call.closes_at()))}});
  }
  return closed->by_this;
}

absl::StatusOr<bool> CallsService::FinishIfStopping(const std::string& call_id, absl::Time now) {
  const Ctx ctx = SystemContext(now);
  auto stopped = FinishStop(ctx, call_id);
  if (!stopped.ok()) return stopped.status();
  if (stopped->by_this) {
    tel::ScopedTraceId trace(ctx.trace_id);
    tel::LogInfo("finished an interrupted close or cancellation",
                 {{"call_id", call_id}, {"state", std::string(CallStateName(stopped->call.state()))}});
  }
  return stopped->by_this;
}

absl::StatusOr<v1::Call> CallsService::CancelCall(const Ctx& ctx, const v1::CancelCallRequest& r) {
  if (auto s = impl::RequireField("call_id", r.call_id()); !s.ok()) return s;
  bool cancelling = false;  // an earlier request began the cancellation: only the finish is left
  auto begun = runtime::RunCommand<v1::Call>(
      kit_.store(), CommandOf(ctx, r.call_id(), r.idempotency_key(), r), [&]() -> absl::StatusOr<Mutation<v1::Call>> {
        auto current = LoadCallToChange(r.call_id(), r.version());
        if (!current.ok()) return current.status();
        cancelling = current->value.state() == v1::CALL_STATE_CANCELLING;
        if (cancelling) return absl::CancelledError("cancelling already");
        auto next = calls::CancelCall(current->value, r.reason(), ctx.now);
        if (!next.ok()) return next.status();
        Mutation<v1::Call> m = CallMutation(*current, *std::move(next));
        // A DRAFT has no submissions to stop: it is CANCELLED at once.
        if (m.response.state() == v1::CALL_STATE_CANCELLED) {
          m.commit.events.push_back(ctx.NewEvent(CallCancelledEvent(m.response), keys::kCall, r.call_id()));
        }
        return m;
      });
  if (!begun.ok() && !cancelling) return begun.status();
  absl::StatusOr<v1::Call> cancelled = begun;
  if (!begun.ok() || begun->state() == v1::CALL_STATE_CANCELLING) {
    AfterStep(StopStep::kIntentCommitted, r.call_id());
    auto stopped = FinishStop(ctx, r.call_id());
    if (!stopped.ok()) return stopped.status();
    cancelled = std::move(stopped->call);
  }
  tel::LogInfo("call cancelled", {{"call_id", r.call_id()}, {"reason", cancelled->cancel_reason()}});
  return cancelled;
}

absl::StatusOr<v1::ListCallsResponse> CallsService::ListCalls(const Ctx& ctx, const v1::ListCallsRequest& r) {
  runtime::ListRequest list{.index = r.open_only() ? keys::kPublishedCallsIndex : keys::kCallsIndex,
                            .page_token = r.page_token(),
                            .page_size = r.page_size()};
  auto page = runtime::ListAggregates<v1::Call>(kit_.store(), kit_.index(), keys::kCall, list, [&](const v1::Call& c) {
    return (c.state() != v1::CALL_STATE_DRAFT || impl::ManagesCalls(ctx)) &&
           (r.program_id().empty() || c.program_id() == r.program_id()) &&
           (r.research_area_id().empty() || c.research_area_id() == r.research_area_id()) &&
           (r.state() == v1::CALL_STATE_UNSPECIFIED || c.state() == r.state()) &&
           (r.fiscal_year() == 0 || c.fiscal_year() == r.fiscal_year()) &&
           (r.partner_agency().empty() || c.partner_agency() == r.partner_agency()) &&
           (!r.open_only() || IsOpen(c, ctx.now));
  });
  if (!page.ok()) return page.status();
  v1::ListCallsResponse out;
  for (auto& call : page->items) *out.add_calls() = std::move(call);
  out.set_next_page_token(page->next_page_token);
  return out;
}

}  // namespace tane::calls
