// Applications (応募): draft, update, submit (with the effort and duplicate
// checks), withdraw, resubmit, and the queries.
#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "keys.h"
#include "service_util.h"
#include "tane/calls/application_rules.h"
#include "tane/calls/call_rules.h"
#include "tane/calls/commitments.h"
#include "tane/calls/events.h"
#include "tane/calls/service/calls_service.h"
#include "tane/calls/text.h"
#include "tane/calls/timestamps.h"
#include "tane/core/errors.h"
#include "tane/telemetry/log.h"

namespace tane::calls {
namespace {

namespace tel = ::tane::telemetry;
using impl::CommandOf;
using impl::CommitOf;
using runtime::Mutation;

constexpr char kApplicationIds[] = "tane.calls.application";

constexpr v1::ApplicationState kStates[] = {v1::APPLICATION_STATE_DRAFT, v1::APPLICATION_STATE_SUBMITTED,
                                            v1::APPLICATION_STATE_WITHDRAWN};

// Every secondary write of an application moving from `before` (nullptr: new)
// to `after`: its index entries, the per-call state counters and the
// commitments read model.
std::vector<store::IndexOp> ApplicationOps(const v1::Application* before, const v1::Application& after) {
  std::vector<store::IndexOp> ops = store::IndexDiff(
      before != nullptr ? keys::EntriesOf(*before) : std::vector<store::IndexEntry>{}, keys::EntriesOf(after));
  if (before == nullptr || before->state() != after.state()) {
    const std::string counts = keys::CallApplicationCounts(after.call_id());
    if (before != nullptr) {
      ops.push_back(store::CounterAdd(counts, std::string(ApplicationStateName(before->state())), -1));
    }
    ops.push_back(store::CounterAdd(counts, std::string(ApplicationStateName(after.state())), 1));
    // submitted_at stays set through a withdrawal, so only the first
    // submission of an application counts; a resubmission does not.
    const bool first_submission = after.state() == v1::APPLICATION_STATE_SUBMITTED &&
                                  (before == nullptr || !before->has_submitted_at());
    if (first_submission) ops.push_back(store::CounterAdd(counts, keys::kEverSubmittedCounter, 1));
  }
  for (auto& op : CommitmentsModel::PendingOps(before, after)) ops.push_back(std::move(op));
  return ops;
}

absl::Status CheckState(v1::ApplicationState state) {
  if (v1::ApplicationState_IsValid(state)) return absl::OkStatus();
  core::Violations violations;
  violations.Add("state", "is not an application state");
  return violations.ToStatus("invalid state filter");
}

v1::ListApplicationsResponse ToResponse(runtime::ListPage<v1::Application> page) {
  v1::ListApplicationsResponse out;
  for (auto& a : page.items) *out.add_applications() = std::move(a);
  out.set_next_page_token(std::move(page.next_page_token));
  return out;
}

}  // namespace

absl::StatusOr<runtime::Loaded<v1::Application>> CallsService::LoadApplicationFor(const Ctx& ctx,
                                                                                  const std::string& id) {
  if (auto s = impl::RequireField("application_id", id); !s.ok()) return s;
  auto application = runtime::LoadAggregate<v1::Application>(kit_.store(), keys::kApplication, id);
  if (!application.ok()) return application.status();
  // Someone else's application answers exactly like a missing one.
  if (!application->exists()) return impl::NotFound("application", id);
  if (ctx.caller.role == impl::kApplicant) {
    if (application->value.applicant_subject() != ctx.caller.subject) return impl::NotFound("application", id);
  } else if (!impl::ReadsAllApplications(ctx)) {
    return absl::PermissionDeniedError(absl::StrCat("role ", ctx.caller.role, " cannot read applications"));
  }
  return application;
}

absl::StatusOr<runtime::Loaded<v1::Application>> CallsService::LoadApplicationToChange(const Ctx& ctx,
                                                                                       const std::string& id,
                                                                                       int64_t expected_version) {
  auto application = LoadApplicationFor(ctx, id);
  if (!application.ok()) return application.status();
  if (ctx.caller.role != impl::kApplicant) {
    return absl::PermissionDeniedError("only the applicant who owns an application can change it");
  }
  if (auto s = CheckExpectedVersion(expected_version, application->version, "application " + id); !s.ok()) return s;
  return application;
}

absl::StatusOr<v1::Application> CallsService::CreateApplication(const Ctx& ctx, const v1::CreateApplicationRequest& r) {
  const std::string id = runtime::IdForCreate(kApplicationIds, ctx.caller.subject, r.idempotency_key());
  auto created = runtime::RunCommand<v1::Application>(
      kit_.store(), CommandOf(ctx, id, r.idempotency_key(), r), [&]() -> absl::StatusOr<Mutation<v1::Application>> {
        auto call = LoadCall(r.call_id(), &ctx);
        if (!call.ok()) return call.status();
        if (auto s = impl::CheckNotCreated(kit_.store(), keys::kApplication, id, "application"); !s.ok()) return s;
        auto draft = PrepareNewApplication(r.application(), call->value, id, ctx.caller.subject, ctx.now);
        if (!draft.ok()) return draft.status();
        Mutation<v1::Application> m;
        m.response = *std::move(draft);
        m.commit = CommitOf(keys::kApplication, id, 0, m.response);
        m.commit.index_ops = ApplicationOps(nullptr, m.response);
        return m;
      });
  if (created.ok()) tel::LogInfo("application drafted", {{"application_id", id}, {"call_id", r.call_id()}});
  return created;
}

absl::StatusOr<v1::Application> CallsService::UpdateApplication(const Ctx& ctx, const v1::UpdateApplicationRequest& r) {
  const std::string& id = r.application().application_id();
  if (auto s = impl::RequireField("application.application_id", id); !s.ok()) return s;
  return runtime::RunCommand<v1::Application>(
      kit_.store(), CommandOf(ctx, id, r.idempotency_key(), r), [&]() -> absl::StatusOr<Mutation<v1::Application>> {
        auto current = LoadApplicationToChange(ctx, id, /*expected_version=*/0);  // ApplyApplicationUpdate checks it
        if (!current.ok()) return current.status();
        auto call = LoadCall(current->value.call_id());
        if (!call.ok()) return call.status();
        auto updated = ApplyApplicationUpdate(current->value, r.application(), r.update_mask(), call->value, ctx.now);
        if (!updated.ok()) return updated.status();
        Mutation<v1::Application> m;
        m.response = *std::move(updated);
        m.commit = CommitOf(keys::kApplication, id, current->version, m.response);
        m.commit.index_ops = ApplicationOps(&current->value, m.response);
        return m;
      });
}

absl::StatusOr<v1::Application> CallsService::SubmitApplication(const Ctx& ctx, const v1::SubmitApplicationRequest& r) {
  if (auto s = impl::RequireField("application_id", r.application_id()); !s.ok()) return s;
  size_t duplicates = 0;
  auto submitted = runtime::RunCommand<v1::Application>(
      kit_.store(), CommandOf(ctx, r.application_id(), r.idempotency_key(), r),
      [&]() -> absl::StatusOr<Mutation<v1::Application>> {
        auto current = LoadApplicationToChange(ctx, r.application_id(), r.version());
        if (!current.ok()) return current.status();
        auto call = LoadCall(current->value.call_id());
        if (!call.ok()) return call.status();
        auto program = ProgramOf(call->value);
        if (!program.ok()) return program.status();
        // Known race, left open: the effort check reads the commitments read
        // model, and this commit writes only the application's shard. Two
        // applications naming the same researcher, submitted concurrently (to
        // different calls, say), can each pass without seeing the other and
        // together exceed 100% effort. Serialising them would need one commit
        // over every named researcher's commitments, which live in other
        // shards (one Lua script touches one slot). It is left because the
        // cross-application effort check is advisory in the agency's own
        // process: e-Rad checks effort across all agencies' projects.
        auto view = commitments_.ViewFor(current->value, ctx.now);
        if (!view.ok()) return view.status();
        auto outcome = calls::SubmitApplication(current->value, call->value, **program, *view, ctx.now);
        if (!outcome.ok()) return outcome.status();
        Mutation<v1::Application> m;
        m.response = std::move(outcome->application);
        m.commit = CommitOf(keys::kApplication, r.application_id(), current->version, m.response);
        // Refused once the call's close has begun (see calls_service.h).
        m.commit.fences.push_back(keys::CallFence(m.response.call_id()));
        m.commit.index_ops = ApplicationOps(&current->value, m.response);
        m.commit.events.push_back(
            ctx.NewEvent(ApplicationSubmittedEvent(m.response, call->value), keys::kApplication, r.application_id()));
        for (const auto& suspected : DuplicateSuspectedEvents(m.response, outcome->duplicates, ctx.now)) {
          m.commit.events.push_back(ctx.NewEvent(suspected, keys::kApplication, r.application_id()));
        }
        duplicates = outcome->duplicates.size();
        return m;
      });
  if (submitted.ok()) {
    tel::LogInfo("application submitted", {{"application_id", r.application_id()},
                                           {"call_id", submitted->call_id()},
                                           {"version", submitted->version()},
                                           {"duplicates_suspected", duplicates}});
  }
  return submitted;
}

absl::StatusOr<v1::Application> CallsService::WithdrawApplication(const Ctx& ctx,
                                                                  const v1::WithdrawApplicationRequest& r) {
  if (auto s = impl::RequireField("application_id", r.application_id()); !s.ok()) return s;
  auto withdrawn = runtime::RunCommand<v1::Application>(
      kit_.store(), CommandOf(ctx, r.application_id(), r.idempotency_key(), r),
      [&]() -> absl::StatusOr<Mutation<v1::Application>> {
        auto current = LoadApplicationToChange(ctx, r.application_id(), r.version());
        if (!current.ok()) return current.status();
        if (!IsValidUtf8(r.reason()) || HasControlCharacters(r.reason(), /*multiline=*/true)) {
          core::Violations violations;
          violations.Add("reason", "must be valid UTF-8 text without control characters");
          return violations.ToStatus("invalid withdrawal");
        }
        auto application = calls::WithdrawApplication(current->value, ctx.now);
        if (!application.ok()) return application.status();
        const bool was_submitted = current->value.state() == v1::APPLICATION_STATE_SUBMITTED;
        Mutation<v1::Application> m;
        m.response = *std::move(application);
        m.commit = CommitOf(keys::kApplication, r.application_id(), current->version, m.response);
        m.commit.index_ops = ApplicationOps(&current->value, m.response);
        m.commit.events.push_back(ctx.NewEvent(ApplicationWithdrawnEvent(m.response, was_submitted, r.reason()),
                                               keys::kApplication, r.application_id()));
        return m;
      });
  if (withdrawn.ok()) {
    tel::LogInfo("application withdrawn", {{"application_id", r.application_id()}, {"call_id", withdrawn->call_id()}});
  }
  return withdrawn;
}

absl::StatusOr<v1::ValidateApplicationResponse> CallsService::ValidateApplication(
    const Ctx& ctx, const v1::ValidateApplicationRequest& r) {
  auto application = LoadApplicationFor(ctx, r.application_id());
  if (!application.ok()) return application.status();
  auto call = LoadCall(application->value.call_id());
  if (!call.ok()) return call.status();
  auto program = ProgramOf(call->value);
  if (!program.ok()) return program.status();
  auto view = commitments_.ViewFor(application->value, ctx.now);
  if (!view.ok()) return view.status();
  const SubmitCheck check = CheckForSubmit(application->value, call->value, **program, *view, ctx.now);
  v1::ValidateApplicationResponse out;
  for (const auto& v : check.violations.items()) {
    auto* fv = out.mutable_violations()->add_field_violations();
    fv->set_field(v.field);
    fv->set_description(v.description);
  }
  out.set_window_closed(check.window_closed);
  for (const auto& d : check.duplicates) *out.add_duplicates() = d;
  return out;
}

absl::StatusOr<v1::ListApplicationsResponse> CallsService::ListApplications(const Ctx& ctx,
                                                                            const v1::ListApplicationsRequest& r) {
  if (!impl::ReadsAllApplications(ctx)) {
    return absl::PermissionDeniedError(absl::StrCat("role ", ctx.caller.role, " cannot list a call's applications"));
  }
  if (auto s = CheckState(r.state()); !s.ok()) return s;
  auto call = LoadCall(r.call_id(), &ctx);
  if (!call.ok()) return call.status();
  // The narrowest index that answers a filter; the others are applied on read.
  std::string index = keys::CallApplicationsIndex(r.call_id());
  if (!r.researcher_id().empty()) {
    index = keys::CallApplicationsOfPiIndex(r.call_id(), r.researcher_id());
  } else if (r.state() != v1::APPLICATION_STATE_UNSPECIFIED) {
    index = keys::CallApplicationsInStateIndex(r.call_id(), r.state());
  }
  auto page = runtime::ListAggregates<v1::Application>(
      kit_.store(), kit_.index(), keys::kApplication,
      {.index = index, .page_token = r.page_token(), .page_size = r.page_size()}, [&](const v1::Application& a) {
        return (r.state() == v1::APPLICATION_STATE_UNSPECIFIED || a.state() == r.state()) &&
               (r.researcher_id().empty() || a.principal_investigator().researcher_id() == r.researcher_id()) &&
               (r.review_section().empty() || a.review_section() == r.review_section());
      });
  if (!page.ok()) return page.status();
  return ToResponse(*std::move(page));
}

absl::StatusOr<v1::ListApplicationsResponse> CallsService::ListMyApplications(const Ctx& ctx,
                                                                              const v1::ListMyApplicationsRequest& r) {
  if (auto s = CheckState(r.state()); !s.ok()) return s;
  auto page = runtime::ListAggregates<v1::Application>(
      kit_.store(), kit_.index(), keys::kApplication,
      {.index = keys::MyApplicationsIndex(ctx.caller.subject),
       .page_token = r.page_token(),
       .page_size = r.page_size(),
       .descending = true},
      [&](const v1::Application& a) {
        return a.applicant_subject() == ctx.caller.subject &&
               (r.state() == v1::APPLICATION_STATE_UNSPECIFIED || a.state() == r.state());
      });
  if (!page.ok()) return page.status();
  return ToResponse(*std::move(page));
}

absl::StatusOr<v1::CountApplicationsResponse> CallsService::CountApplications(const Ctx& ctx,
                                                                              const v1::CountApplicationsRequest& r) {
  auto call = LoadCall(r.call_id(), &ctx);
  if (!call.ok()) return call.status();
  auto counts = kit_.index().Counters(keys::CallApplicationCounts(r.call_id()));
  if (!counts.ok()) return counts.status();
  v1::CountApplicationsResponse out;
  out.set_call_id(r.call_id());
  for (v1::ApplicationState state : kStates) {
    const int64_t n = (*counts)[std::string(ApplicationStateName(state))];
    auto* count = out.add_counts();
    count->set_state(state);
    count->set_count(n);
    out.set_total(out.total() + n);
  }
  return out;
}

}  // namespace tane::calls
