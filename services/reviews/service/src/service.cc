#include "tane/reviews/service.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tane/bus/consumer.h"
#include "tane/core/errors.h"
#include "tane/reviews/assignment.h"
#include "tane/reviews/cases.h"
#include "tane/reviews/decision.h"
#include "tane/reviews/reviewer.h"
#include "tane/reviews/scoring.h"
#include "tane/reviews/visibility.h"
#include "tane/runtime/status.h"
#include "tane/telemetry/log.h"

namespace tane::reviews {
namespace {

namespace tel = ::tane::telemetry;
using common::v1::EventEnvelope;

constexpr char kReviewerIdNamespace[] = "tane.reviews.reviewer";
constexpr int kMaxApplyAttempts = 8;

common::v1::Actor ActorOf(const runtime::CallerIdentity& caller) {
  common::v1::Actor actor;
  actor.set_subject(caller.subject);
  actor.set_role(caller.role);
  actor.set_agency(caller.agency);
  return actor;
}

common::v1::Actor SystemActor() {
  common::v1::Actor actor;
  actor.set_role("system");
  actor.set_subject("reviews");
  return actor;
}

absl::Status Required(const std::string& value, const std::string& field) {
  if (!value.empty()) return absl::OkStatus();
  core::Violations v;
  v.Add(field, "is required");
  return v.ToStatus();
}

const v1::ReviewCase* FindCase(const CallData& call, const std::string& case_id) {
  for (const auto& c : call.cases) {
    if (c.case_id() == case_id) return &c;
  }
  return nullptr;
}

/// The call as `t` leaves it.
CallData After(const CallData& before, const CallTransition& t) {
  CallData after = before;
  if (t.call_review) after.review.value = *t.call_review;
  for (const auto& c : t.cases) {
    auto it = std::find_if(after.cases.begin(), after.cases.end(),
                           [&](const v1::ReviewCase& x) { return x.case_id() == c.case_id(); });
    if (it == after.cases.end()) {
      after.cases.push_back(c);
    } else {
      *it = c;
    }
  }
  return after;
}

/// `next` happened after `into`: its call review and cases win.
void Merge(CallTransition& into, CallTransition next) {
  if (next.call_review) into.call_review = std::move(next.call_review);
  for (auto& c : next.cases) {
    auto it = std::find_if(into.cases.begin(), into.cases.end(),
                           [&](const v1::ReviewCase& x) { return x.case_id() == c.case_id(); });
    if (it == into.cases.end()) {
      into.cases.push_back(std::move(c));
    } else {
      *it = std::move(c);
    }
  }
  for (auto& e : next.events) into.events.push_back(std::move(e));
}

/// The reviewers `t` puts on a case they were not on in `before` (any stage).
std::set<std::string> AddedReviewers(const CallData& before, const CallTransition& t) {
  std::set<std::string> added;
  for (const auto& c : t.cases) {
    const v1::ReviewCase* was = FindCase(before, c.case_id());
    for (const auto& sa : c.assignments()) {
      for (const auto& r : sa.reviewers()) {
        if (was == nullptr || !IsAssigned(*was, r.reviewer_id())) added.insert(r.reviewer_id());
      }
    }
  }
  return added;
}

CallTransition FromCase(CaseTransition t) {
  CallTransition out;
  out.cases.push_back(std::move(t.review_case));
  out.events = std::move(t.events);
  return out;
}

}  // namespace

std::vector<std::string> ReviewsService::ConsumedTopics() { return {"tane.calls.events", "tane.reviews.events"}; }

ReviewsService::ReviewsService(runtime::ServiceKit& kit, std::map<std::string, ReviewRules> rules,
                               ReviewsServiceHooks hooks)
    : kit_(kit),
      storage_(kit),
      rules_(std::move(rules)),
      default_rules_(ReviewRules::FromProgram(nullptr)),
      hooks_(std::move(hooks)) {}

void ReviewsService::Subscribe() {
  kit_.On<calls::v1::ApplicationSubmitted>(
      [this](const EventEnvelope& e, const calls::v1::ApplicationSubmitted& p) {
        return OnApplicationSubmitted(e, p);
      });
  kit_.On<calls::v1::ApplicationWithdrawn>(
      [this](const EventEnvelope& e, const calls::v1::ApplicationWithdrawn& p) {
        return OnApplicationWithdrawn(e, p);
      });
  kit_.On<calls::v1::CallClosed>(
      [this](const EventEnvelope& e, const calls::v1::CallClosed& p) { return OnCallClosed(e, p); });
  kit_.On<v1::ReviewerProfileChanged>(
      [this](const EventEnvelope& e, const v1::ReviewerProfileChanged& p) { return OnReviewerProfileChanged(e, p); });
}

const ReviewRules& ReviewsService::RulesFor(const std::string& program_id) const {
  auto it = rules_.find(program_id);
  return it == rules_.end() ? default_rules_ : it->second;
}

// ---------------------------------------------------------------- plumbing

absl::StatusOr<ReviewsService::Caller> ReviewsService::Begin(const grpc::ServerContext& context) {
  auto request = kit_.Begin(context);
  if (!request.ok()) return request.status();
  Caller caller{*std::move(request), {}, std::nullopt};
  caller.actor = ActorOf(caller.request.caller);
  if (caller.actor.role() == "reviewer") {
    auto reviewer = storage_.ReviewerOfSubject(caller.actor.subject());
    if (!reviewer.ok()) return reviewer.status();
    caller.reviewer = *std::move(reviewer);
  }
  return caller;
}

absl::StatusOr<std::string> ReviewsService::CallOfCase(const std::string& case_id) {
  if (auto s = Required(case_id, "case_id"); !s.ok()) return s;
  auto call = storage_.CallOfCase(case_id);
  if (!call.ok()) return call.status();
  if (!call->has_value()) return absl::NotFoundError(absl::StrCat("no case ", case_id));
  return **call;
}

template <typename Response>
absl::StatusOr<Response> ReviewsService::MutateCall(
    const Caller& caller, const std::string& call_id, const CaseSelection& cases,
    const std::string& idempotency_key, const google::protobuf::Message& request,
    const CallDecision& decide,
    const std::function<absl::StatusOr<Response>(const CallData& after, const Context& ctx)>& respond) {
  if (auto s = Required(call_id, "call_id"); !s.ok()) return s;
  runtime::CommandKey key;
  key.aggregate_id = call_id;
  key.idempotency_key = idempotency_key;
  key.subject = caller.actor.subject();
  key.request = &request;
  std::optional<std::pair<CallData, CallTransition>> committed;  // the last attempt's
  auto result = runtime::RunCommand<Response>(
      kit_.store(), key, [&]() -> absl::StatusOr<runtime::Mutation<Response>> {
        auto call = storage_.LoadCall(call_id, cases);
        if (!call.ok()) return call.status();
        if (!call->review.exists()) {
          return absl::NotFoundError(absl::StrCat("call ", call_id, " has no review"));
        }
        const Context ctx{RulesFor(call->review.value.program_id()), caller.actor, caller.request.now};
        auto t = decide(*call, ctx);
        if (!t.ok()) return t.status();
        auto commit = storage_.CallCommit(*call, *t, caller.request);
        if (!commit.ok()) return commit.status();
        auto response = respond(After(*call, *t), ctx);
        if (!response.ok()) return response.status();
        committed.emplace(*call, *t);
        return runtime::Mutation<Response>{*std::move(commit), *std::move(response)};
      });
  tel::ScopedTraceId trace(caller.request.trace_id);
  if (result.ok() && committed) {
    RecuseConflictedAssignees(caller.request, caller.actor, committed->first, committed->second);
  }
  if (result.ok()) {
    tel::LogInfo("call review changed", {{"call_id", call_id},
                                         {"request", request.GetDescriptor()->name()},
                                         {"actor", caller.request.actor()}});
  } else {
    tel::LogInfo("command refused", {{"call_id", call_id},
                                     {"request", request.GetDescriptor()->name()},
                                     {"code", absl::StatusCodeToString(result.status().code())},
                                     {"error", std::string(result.status().message())},
                                     {"actor", caller.request.actor()}});
  }
  return result;
}

absl::StatusOr<v1::ReviewCase> ReviewsService::MutateCase(const Caller& caller,
                                                          const std::string& case_id, bool all_cases,
                                                          const std::string& idempotency_key,
                                                          const google::protobuf::Message& request,
                                                          const CallDecision& decide) {
  auto call_id = CallOfCase(case_id);
  if (!call_id.ok()) return call_id.status();
  return MutateCall<v1::ReviewCase>(
      caller, *call_id, all_cases ? CaseSelection::All() : CaseSelection::One(case_id),
      idempotency_key, request, decide,
      [&](const CallData& after, const Context& ctx) -> absl::StatusOr<v1::ReviewCase> {
        const v1::ReviewCase* c = FindCase(after, case_id);
        if (c == nullptr) return absl::NotFoundError(absl::StrCat("no case ", case_id));
        auto view = ViewCase(*c, after.review.value, caller.viewer(), ctx.now);
        if (absl::IsNotFound(view.status()) && caller.actor.role() == "reviewer") {
          // A reviewer who has just recused themselves sees only that it is done.
          v1::ReviewCase done;
          done.set_case_id(c->case_id());
          done.set_state(c->state());
          return done;
        }
        return view;
      });
}

absl::Status ReviewsService::ApplyToCall(
    const std::string& call_id, const CaseSelection& cases, const runtime::RequestContext& ctx,
    const EventEnvelope* event,
    const std::function<absl::StatusOr<std::optional<CallTransition>>(const CallData&)>& decide) {
  if (auto s = Required(call_id, "call_id"); !s.ok()) return s;
  for (int attempt = 0; attempt < kMaxApplyAttempts; ++attempt) {
    auto call = storage_.LoadCall(call_id, cases);
    if (!call.ok()) return call.status();
    if (cases.kind == CaseSelection::Kind::kOne && call->review.exists() &&
        call->review.value.state() == v1::CALL_REVIEW_STATE_CLOSED) {
      call = storage_.LoadCall(call_id, CaseSelection::All());
      if (!call.ok()) return call.status();
    }
    auto t = decide(*call);
    if (!t.ok()) return t.status();
    if (!t->has_value()) return absl::OkStatus();
    auto commit = storage_.CallCommit(*call, **t, ctx);
    if (!commit.ok()) return commit.status();
    absl::Status s;
    if (event != nullptr) {
      s = bus::ApplyOnce(kit_.store(), *event, *std::move(commit)).status();
    } else {
      s = kit_.store().Commit(*commit).status();
    }
    if (s.ok()) RecuseConflictedAssignees(ctx, SystemActor(), *call, **t);
    if (!absl::IsAborted(s)) return s;
  }
  return absl::AbortedError(absl::StrCat("call ", call_id, " kept changing; try again"));
}

absl::Status ReviewsService::AssignWhenReady(const CallData& before, CallTransition& t,
                                             const Context& ctx) {
  const CallData now = After(before, t);
  const v1::CallReview& cr = now.review.value;
  if (!ReadyForAssignment(cr, now.cases) || cr.stages().empty()) return absl::OkStatus();
  const Stage first = static_cast<Stage>(cr.stages(0));
  const bool waiting = std::any_of(now.cases.begin(), now.cases.end(), [&](const v1::ReviewCase& c) {
    return c.state() == v1::CASE_STATE_IN_REVIEW && c.stage() == first && !StageAssigned(c, first);
  });
  if (!waiting) return absl::OkStatus();
  auto pool = LoadSolvePool(cr.call_id());
  if (!pool.ok()) return pool.status();
  v1::SolveAssignmentRequest request;
  request.set_call_id(cr.call_id());
  request.set_stage(first);
  auto solved = reviews::SolveAssignment(cr, now.cases, *pool, request, ctx);
  if (!solved.ok()) return solved.status();
  tel::LogInfo("reviewers assigned", {{"call_id", cr.call_id()},
                                      {"stage", StageName(first)},
                                      {"cases", solved->run.cases()},
                                      {"fully_covered", solved->run.fully_covered()},
                                      {"shortfalls", solved->run.shortfalls_size()}});
  Merge(t, std::move(solved->transition));
  return absl::OkStatus();
}

// ---------------------------------------------------------------- consumed events

absl::Status ReviewsService::OnApplicationSubmitted(const EventEnvelope& envelope,
                                                    const calls::v1::ApplicationSubmitted& event) {
  // The snapshot carries the application's version; the envelope's stands in
  // when it does not.
  calls::v1::ApplicationSubmitted submitted = event;
  auto& app = *submitted.mutable_application();
  if (app.application_id().empty()) return absl::InvalidArgumentError("ApplicationSubmitted without application_id");
  if (app.version() == 0) app.set_version(envelope.aggregate_version());
  const ApplicationEventOrder order{
      app.version(), app.has_submitted_at() ? FromTimestamp(app.submitted_at()) : FromTimestamp(envelope.occurred_at())};
  const std::string case_id = CaseIdForApplication(app.application_id());
  const absl::Time now = kit_.clock().Now();
  const runtime::RequestContext rctx = runtime::ContextOfEvent(envelope, now, kit_.service());
  return ApplyToCall(
      app.call_id(), CaseSelection::One(case_id), rctx, &envelope,
      [&](const CallData& call) -> absl::StatusOr<std::optional<CallTransition>> {
        const v1::ReviewCase* existing = FindCase(call, case_id);
        if (existing != nullptr && !FollowsCase(*existing, order)) {
          tel::LogInfo("older or redelivered submission ignored",
                       {{"case_id", case_id}, {"application_version", app.version()},
                        {"case_application_version", existing->application_version()}});
          return std::optional<CallTransition>();
        }
        const Context ctx{RulesFor(submitted.program_id()), SystemActor(), now};
        auto opened = existing == nullptr ? OpenCase(submitted, ctx) : ResubmitCase(*existing, submitted, ctx);
        if (!opened.ok()) return opened.status();
        CallTransition t = FromCase(*std::move(opened));
        const std::optional<v1::CallReview> review =
            call.review.exists() ? std::optional<v1::CallReview>(call.review.value) : std::nullopt;
        t.call_review = NoteSubmission(review, submitted, ctx);
        if (auto s = AssignWhenReady(call, t, ctx); !s.ok()) return s;
        tel::LogInfo(existing == nullptr ? "review case opened" : "review case took a newer submission",
                     {{"case_id", case_id},
                      {"application_id", app.application_id()},
                      {"application_version", app.version()},
                      {"call_id", app.call_id()}});
        return std::optional<CallTransition>(std::move(t));
      });
}

absl::Status ReviewsService::OnApplicationWithdrawn(const EventEnvelope& envelope,
                                                    const calls::v1::ApplicationWithdrawn& withdrawn) {
  const std::string case_id = CaseIdForApplication(withdrawn.application_id());
  std::string call_id = withdrawn.call_id();
  if (call_id.empty()) {
    auto found = storage_.CallOfCase(case_id);
    if (!found.ok()) return found.status();
    if (!found->has_value()) return absl::OkStatus();
    call_id = **found;
  }
  const ApplicationEventOrder order{envelope.aggregate_version(),
                                    withdrawn.has_withdrawn_at() ? FromTimestamp(withdrawn.withdrawn_at())
                                                                    : FromTimestamp(envelope.occurred_at())};
  const absl::Time now = kit_.clock().Now();
  const runtime::RequestContext rctx = runtime::ContextOfEvent(envelope, now, kit_.service());
  return ApplyToCall(
      call_id, CaseSelection::One(case_id), rctx, &envelope,
      [&](const CallData& call) -> absl::StatusOr<std::optional<CallTransition>> {
        const v1::ReviewCase* c = FindCase(call, case_id);
        if (c == nullptr || c->state() == v1::CASE_STATE_WITHDRAWN || !FollowsCase(*c, order)) {
          tel::LogInfo("withdrawal without a live case, or older than the case's submission",
                       {{"application_id", withdrawn.application_id()}, {"was_submitted", withdrawn.was_submitted()}});
          return std::optional<CallTransition>();
        }
        const Context ctx{RulesFor(c->program_id()), SystemActor(), now};
        auto t = WithdrawCase(*c, withdrawn, order.version, ctx);
        if (!t.ok()) return t.status();
        return std::optional<CallTransition>(FromCase(*std::move(t)));
      });
}

absl::Status ReviewsService::OnCallClosed(const EventEnvelope& envelope, const calls::v1::CallClosed& closed) {
  const absl::Time now = kit_.clock().Now();
  const runtime::RequestContext rctx = runtime::ContextOfEvent(envelope, now, kit_.service());
  return ApplyToCall(
      closed.call_id(), CaseSelection::All(), rctx, &envelope,
      [&](const CallData& call) -> absl::StatusOr<std::optional<CallTransition>> {
        if (call.review.exists() && call.review.value.state() == v1::CALL_REVIEW_STATE_CLOSED) {
          return std::optional<CallTransition>();
        }
        const Context ctx{RulesFor(closed.program_id()), SystemActor(), now};
        const std::optional<v1::CallReview> existing =
            call.review.exists() ? std::optional<v1::CallReview>(call.review.value) : std::nullopt;
        auto review = CloseCallReview(existing, closed, ctx);
        if (!review.ok()) return review.status();
        CallTransition t;
        t.call_review = *std::move(review);
        if (auto s = AssignWhenReady(call, t, ctx); !s.ok()) return s;
        tel::LogInfo("call closed for review", {{"call_id", closed.call_id()},
                                                {"expected", closed.applications_ever_submitted()},
                                                {"submitted_at_closing", closed.application_count()},
                                                {"arrived", CountedCases(*t.call_review, call.cases)}});
        return std::optional<CallTransition>(std::move(t));
      });
}

// ---------------------------------------------------------------- reviewers

absl::StatusOr<v1::Reviewer> ReviewsService::MutateReviewer(
    const Caller& caller, const std::string& reviewer_id, const std::string& idempotency_key,
    const google::protobuf::Message& request,
    const std::function<absl::StatusOr<ReviewerTransition>(const runtime::Loaded<v1::Reviewer>&,
                                                           const Context&)>& decide) {
  if (auto s = Required(reviewer_id, "reviewer_id"); !s.ok()) return s;
  runtime::CommandKey key;
  key.aggregate_id = reviewer_id;
  key.idempotency_key = idempotency_key;
  key.subject = caller.actor.subject();
  key.request = &request;
  bool existed = false;
  auto result = runtime::RunCommand<v1::Reviewer>(
      kit_.store(), key, [&]() -> absl::StatusOr<runtime::Mutation<v1::Reviewer>> {
        auto loaded = storage_.LoadReviewer(reviewer_id);
        if (!loaded.ok()) return loaded.status();
        existed = loaded->exists();
        const Context ctx{default_rules_, caller.actor, caller.request.now};
        auto t = decide(*loaded, ctx);
        if (!t.ok()) return t.status();
        return runtime::Mutation<v1::Reviewer>{storage_.ReviewerCommit(*loaded, t->reviewer, caller.request),
                                               t->reviewer};
      });
  if (result.ok() && existed) {
    // At once, so the reply already reflects it; should this fail or the
    // process stop first, the ReviewerProfileChanged of the same commit
    // repeats it from the consumer.
    const absl::Status s = RecuseAfterProfileChange(caller.request, caller.actor, reviewer_id);
    if (!s.ok()) {
      tel::LogWarn("recusal after a profile change failed; its event retries it",
                   {{"reviewer_id", reviewer_id}, {"error", s}});
    }
  }
  return result;
}

absl::Status ReviewsService::OnReviewerProfileChanged(const EventEnvelope& envelope,
                                                      const v1::ReviewerProfileChanged& changed) {
  if (changed.reviewer_id().empty()) return absl::InvalidArgumentError("ReviewerProfileChanged without reviewer_id");
  const runtime::RequestContext rctx = runtime::ContextOfEvent(envelope, kit_.clock().Now(), kit_.service());
  return RecuseAfterProfileChange(rctx, SystemActor(), changed.reviewer_id());
}

absl::Status ReviewsService::RecuseAfterProfileChange(const runtime::RequestContext& request,
                                                      const common::v1::Actor& actor,
                                                      const std::string& reviewer_id) {
  auto calls = storage_.CallsOfReviewer(reviewer_id);
  if (!calls.ok()) return calls.status();
  absl::Status first_error;
  for (const auto& call_id : *calls) {
    // Idempotent without ApplyOnce: a recusal already made leaves nothing to do.
    const absl::Status s = ApplyToCall(
        call_id, CaseSelection::All(), request, nullptr,
        [&](const CallData& call) -> absl::StatusOr<std::optional<CallTransition>> {
          if (!call.review.exists()) return std::optional<CallTransition>();
          auto pool = storage_.LoadPool();
          if (!pool.ok()) return pool.status();
          const Context ctx{RulesFor(call.review.value.program_id()), actor, request.now};
          auto t = RecuseOnProfileChange(call.review.value, call.cases, *pool, reviewer_id, ctx);
          if (!t.ok()) return t.status();
          if (t->cases.empty()) return std::optional<CallTransition>();
          tel::LogInfo("reviewer recused after a profile change",
                       {{"reviewer_id", reviewer_id}, {"call_id", call_id}, {"cases", t->cases.size()}});
          return std::optional<CallTransition>(*std::move(t));
        });
    if (!s.ok()) {
      tel::LogWarn("recusal after a profile change failed",
                   {{"reviewer_id", reviewer_id}, {"call_id", call_id}, {"error", s}});
      if (first_error.ok()) first_error = s;
    }
  }
  return first_error;
}

void ReviewsService::RecuseConflictedAssignees(const runtime::RequestContext& request,
                                               const common::v1::Actor& actor, const CallData& before,
                                               const CallTransition& t) {
  const std::set<std::string> added = AddedReviewers(before, t);
  if (added.empty()) return;
  const CallData after = After(before, t);
  for (const auto& reviewer_id : added) {
    // Read after the commit: a profile change not seen here runs its own
    // recusal after it commits, and that one finds this call's assignment.
    auto loaded = storage_.LoadReviewer(reviewer_id);
    absl::Status s = loaded.status();
    if (s.ok() && loaded->exists()) {
      const bool conflicted = std::any_of(after.cases.begin(), after.cases.end(), [&](const v1::ReviewCase& c) {
        return IsAssigned(c, reviewer_id) && !ConflictsOf(c, loaded->value, after.review.value, request.now).empty();
      });
      if (!conflicted) continue;
      tel::LogInfo("assigned reviewer's profile changed meanwhile; recusing",
                   {{"reviewer_id", reviewer_id}, {"call_id", after.review.value.call_id()}});
      s = RecuseAfterProfileChange(request, actor, reviewer_id);
    }
    if (!s.ok()) {
      tel::LogWarn("recusal of a reviewer assigned during their profile change failed",
                   {{"reviewer_id", reviewer_id}, {"error", s}});
    }
  }
}

absl::StatusOr<std::vector<v1::Reviewer>> ReviewsService::LoadSolvePool(const std::string& call_id) {
  auto pool = storage_.LoadPool();
  if (pool.ok() && hooks_.after_pool_load) hooks_.after_pool_load(call_id);
  return pool;
}

template <typename Response>
grpc::Status ReviewsService::Serve(
    const grpc::ServerContext& context, Response* response,
    const std::function<absl::StatusOr<std::type_identity_t<Response>>(const Caller&)>& body) {
  auto caller = Begin(context);
  if (!caller.ok()) return runtime::ToGrpcStatus(caller.status());
  return runtime::Reply(body(*caller), response);
}

absl::StatusOr<CallData> ReviewsService::LoadExistingCall(const std::string& call_id,
                                                          const CaseSelection& cases) {
  if (auto s = Required(call_id, "call_id"); !s.ok()) return s;
  auto call = storage_.LoadCall(call_id, cases);
  if (!call.ok()) return call.status();
  if (!call->review.exists()) return absl::NotFoundError(absl::StrCat("call ", call_id, " has no review"));
  return call;
}

absl::StatusOr<CallData> ReviewsService::LoadCaseCall(const std::string& case_id) {
  auto call_id = CallOfCase(case_id);
  if (!call_id.ok()) return call_id.status();
  auto call = LoadExistingCall(*call_id, CaseSelection::One(case_id));
  if (!call.ok()) return call.status();
  if (call->cases.empty()) return absl::NotFoundError(absl::StrCat("no case ", case_id));
  return call;
}

namespace {

/// A case-level domain command as a command over its call.
template <typename Fn>
ReviewsService::CallDecision OnCase(const std::string& case_id, Fn fn) {
  return [case_id, fn](const CallData& call, const Context& ctx) -> absl::StatusOr<CallTransition> {
    const v1::ReviewCase* c = FindCase(call, case_id);
    if (c == nullptr) return absl::NotFoundError(absl::StrCat("no case ", case_id));
    absl::StatusOr<CaseTransition> t = fn(*c, call, ctx);
    if (!t.ok()) return t.status();
    return FromCase(*std::move(t));
  };
}

}  // namespace

grpc::Status ReviewsService::CreateReviewer(grpc::ServerContext* context, const v1::CreateReviewerRequest* request,
                                            v1::Reviewer* response) {
  return Serve<v1::Reviewer>(*context, response, [&](const Caller& caller) {
    const std::string id =
        runtime::IdForCreate(kReviewerIdNamespace, caller.actor.subject(), request->idempotency_key());
    return MutateReviewer(
        caller, id, request->idempotency_key(), *request,
        [&](const runtime::Loaded<v1::Reviewer>& existing, const Context& ctx) -> absl::StatusOr<ReviewerTransition> {
          if (existing.exists()) return absl::AlreadyExistsError(absl::StrCat("reviewer ", id, " exists"));
          auto t = NewReviewer(request->reviewer(), id, ctx);
          if (!t.ok()) return t.status();
          if (auto s = ClaimSubjectOf(t->reviewer, existing); !s.ok()) return s;
          return t;
        });
  });
}

absl::Status ReviewsService::ClaimSubjectOf(const v1::Reviewer& after, const runtime::Loaded<v1::Reviewer>& before) {
  if (after.subject().empty() || (before.exists() && before.value.subject() == after.subject())) {
    return absl::OkStatus();
  }
  return storage_.ClaimSubject(after.subject(), after.reviewer_id(), before.version + 1);
}

grpc::Status ReviewsService::UpdateReviewer(grpc::ServerContext* context, const v1::UpdateReviewerRequest* request,
                                            v1::Reviewer* response) {
  return Serve<v1::Reviewer>(*context, response, [&](const Caller& caller) {
    const std::string& id = request->reviewer().reviewer_id();
    return MutateReviewer(
        caller, id, request->idempotency_key(), *request,
        [&](const runtime::Loaded<v1::Reviewer>& existing, const Context& ctx) -> absl::StatusOr<ReviewerTransition> {
          if (!existing.exists()) return absl::NotFoundError(absl::StrCat("no reviewer ", id));
          auto t = reviews::UpdateReviewer(existing.value, request->reviewer(), request->update_mask(), ctx);
          if (!t.ok()) return t.status();
          if (auto s = ClaimSubjectOf(t->reviewer, existing); !s.ok()) return s;
          return t;
        });
  });
}

grpc::Status ReviewsService::AddStandingConflict(grpc::ServerContext* context,
                                                 const v1::AddStandingConflictRequest* request,
                                                 v1::Reviewer* response) {
  return Serve<v1::Reviewer>(*context, response, [&](const Caller& caller) {
    return MutateReviewer(
        caller, request->reviewer_id(), request->idempotency_key(), *request,
        [&](const runtime::Loaded<v1::Reviewer>& existing, const Context& ctx) -> absl::StatusOr<ReviewerTransition> {
          if (!existing.exists()) return absl::NotFoundError(absl::StrCat("no reviewer ", request->reviewer_id()));
          return reviews::AddStandingConflict(existing.value, *request, ctx);
        });
  });
}

grpc::Status ReviewsService::GetReviewer(grpc::ServerContext* context, const v1::GetReviewerRequest* request,
                                         v1::Reviewer* response) {
  return Serve<v1::Reviewer>(*context, response, [&](const Caller& caller) -> absl::StatusOr<v1::Reviewer> {
    if (auto s = Required(request->reviewer_id(), "reviewer_id"); !s.ok()) return s;
    auto loaded = storage_.LoadReviewer(request->reviewer_id());
    if (!loaded.ok()) return loaded.status();
    if (!loaded->exists()) return absl::NotFoundError(absl::StrCat("no reviewer ", request->reviewer_id()));
    return ViewReviewer(loaded->value, caller.viewer());
  });
}

grpc::Status ReviewsService::GetMyReviewerProfile(grpc::ServerContext* context,
                                                  const v1::GetMyReviewerProfileRequest*, v1::Reviewer* response) {
  return Serve<v1::Reviewer>(*context, response, [&](const Caller& caller) -> absl::StatusOr<v1::Reviewer> {
    if (!caller.reviewer) return absl::NotFoundError("you have no reviewer record");
    return *caller.reviewer;
  });
}

grpc::Status ReviewsService::ListReviewers(grpc::ServerContext* context, const v1::ListReviewersRequest* request,
                                           v1::ListReviewersResponse* response) {
  return Serve<v1::ListReviewersResponse>(
      *context, response, [&](const Caller& caller) -> absl::StatusOr<v1::ListReviewersResponse> {
        auto pool = storage_.LoadPool();
        if (!pool.ok()) return pool.status();
        return reviews::ListReviewers(*pool, *request, caller.viewer());
      });
}

// ---------------------------------------------------------------- calls and cases

grpc::Status ReviewsService::GetCallReview(grpc::ServerContext* context, const v1::GetCallReviewRequest* request,
                                           v1::CallReview* response) {
  return Serve<v1::CallReview>(*context, response, [&](const Caller& caller) -> absl::StatusOr<v1::CallReview> {
    if (!IsStaff(caller.actor)) return absl::PermissionDeniedError("a call's review is for staff");
    auto call = LoadExistingCall(request->call_id(), CaseSelection::None());
    if (!call.ok()) return call.status();
    return call->review.value;
  });
}

grpc::Status ReviewsService::SetReviewDeadline(grpc::ServerContext* context,
                                               const v1::SetReviewDeadlineRequest* request,
                                               v1::CallReview* response) {
  return Serve<v1::CallReview>(*context, response, [&](const Caller& caller) {
    return MutateCall<v1::CallReview>(
        caller, request->call_id(), CaseSelection::None(), request->idempotency_key(), *request,
        [&](const CallData& call, const Context& ctx) -> absl::StatusOr<CallTransition> {
          auto next = reviews::SetReviewDeadline(call.review.value, *request, ctx);
          if (!next.ok()) return next.status();
          CallTransition t;
          t.call_review = *std::move(next);
          return t;
        },
        [](const CallData& after, const Context&) -> absl::StatusOr<v1::CallReview> { return after.review.value; });
  });
}

grpc::Status ReviewsService::SolveAssignment(grpc::ServerContext* context, const v1::SolveAssignmentRequest* request,
                                             v1::SolveAssignmentResponse* response) {
  return Serve<v1::SolveAssignmentResponse>(*context, response, [&](const Caller& caller) {
    v1::AssignmentRun run;
    return MutateCall<v1::SolveAssignmentResponse>(
        caller, request->call_id(), CaseSelection::All(), request->idempotency_key(), *request,
        [&](const CallData& call, const Context& ctx) -> absl::StatusOr<CallTransition> {
          auto pool = LoadSolvePool(call.review.value.call_id());
          if (!pool.ok()) return pool.status();
          auto solved = reviews::SolveAssignment(call.review.value, call.cases, *pool, *request, ctx);
          if (!solved.ok()) return solved.status();
          run = std::move(solved->run);
          return std::move(solved->transition);
        },
        [&](const CallData& after, const Context&) -> absl::StatusOr<v1::SolveAssignmentResponse> {
          v1::SolveAssignmentResponse out;
          *out.mutable_call_review() = after.review.value;
          *out.mutable_run() = run;
          return out;
        });
  });
}

grpc::Status ReviewsService::ListReviewCases(grpc::ServerContext* context, const v1::ListReviewCasesRequest* request,
                                             v1::ListReviewCasesResponse* response) {
  return Serve<v1::ListReviewCasesResponse>(
      *context, response, [&](const Caller& caller) -> absl::StatusOr<v1::ListReviewCasesResponse> {
        auto call = LoadExistingCall(request->call_id(), CaseSelection::All());
        if (!call.ok()) return call.status();
        return reviews::ListReviewCases(call->review.value, call->cases, *request, caller.viewer(),
                                        caller.request.now);
      });
}

grpc::Status ReviewsService::GetReviewCase(grpc::ServerContext* context, const v1::GetReviewCaseRequest* request,
                                           v1::ReviewCase* response) {
  return Serve<v1::ReviewCase>(*context, response, [&](const Caller& caller) -> absl::StatusOr<v1::ReviewCase> {
    auto call = LoadCaseCall(request->case_id());
    if (!call.ok()) return call.status();
    return ViewCase(call->cases.front(), call->review.value, caller.viewer(), caller.request.now);
  });
}

grpc::Status ReviewsService::SetPairRule(grpc::ServerContext* context, const v1::SetPairRuleRequest* request,
                                         v1::ReviewCase* response) {
  return Serve<v1::ReviewCase>(*context, response, [&](const Caller& caller) {
    return MutateCase(caller, request->case_id(), false, request->idempotency_key(), *request,
                      OnCase(request->case_id(),
                             [&](const v1::ReviewCase& c, const CallData& call,
                                 const Context& ctx) -> absl::StatusOr<CaseTransition> {
                               auto pool = storage_.LoadPool();
                               if (!pool.ok()) return pool.status();
                               return reviews::SetPairRule(c, call.review.value, *pool, *request, ctx);
                             }));
  });
}

grpc::Status ReviewsService::ReassignReviewer(grpc::ServerContext* context,
                                              const v1::ReassignReviewerRequest* request, v1::ReviewCase* response) {
  return Serve<v1::ReviewCase>(*context, response, [&](const Caller& caller) {
    return MutateCase(caller, request->case_id(), true, request->idempotency_key(), *request,
                      [&](const CallData& call, const Context& ctx) -> absl::StatusOr<CallTransition> {
                        auto pool = storage_.LoadPool();
                        if (!pool.ok()) return pool.status();
                        return reviews::ReassignReviewer(call.review.value, call.cases, *pool, *request, ctx);
                      });
  });
}

grpc::Status ReviewsService::DeclareConflict(grpc::ServerContext* context, const v1::DeclareConflictRequest* request,
                                             v1::ReviewCase* response) {
  return Serve<v1::ReviewCase>(*context, response, [&](const Caller& caller) {
    return MutateCase(caller, request->case_id(), true, request->idempotency_key(), *request,
                      [&](const CallData& call, const Context& ctx) -> absl::StatusOr<CallTransition> {
                        auto pool = storage_.LoadPool();
                        if (!pool.ok()) return pool.status();
                        return reviews::DeclareConflict(call.review.value, call.cases, *pool,
                                                        caller.viewer().reviewer, *request, ctx);
                      });
  });
}

// ---------------------------------------------------------------- reviewing

grpc::Status ReviewsService::ListMyReviewAssignments(grpc::ServerContext* context,
                                                     const v1::ListMyReviewAssignmentsRequest* request,
                                                     v1::ListMyReviewAssignmentsResponse* response) {
  return Serve<v1::ListMyReviewAssignmentsResponse>(
      *context, response, [&](const Caller& caller) -> absl::StatusOr<v1::ListMyReviewAssignmentsResponse> {
        if (!caller.reviewer) return v1::ListMyReviewAssignmentsResponse();  // no record: nothing assigned
        auto call_ids = storage_.CallsOfReviewer(caller.reviewer->reviewer_id());
        if (!call_ids.ok()) return call_ids.status();
        std::vector<v1::CallReview> reviews;
        std::vector<v1::ReviewCase> cases;
        for (const auto& call_id : *call_ids) {
          if (!request->call_id().empty() && call_id != request->call_id()) continue;
          auto call = storage_.LoadCall(call_id, CaseSelection::All());
          if (!call.ok()) return call.status();
          if (!call->review.exists()) continue;
          reviews.push_back(std::move(call->review.value));
          for (auto& c : call->cases) cases.push_back(std::move(c));
        }
        return reviews::ListMyReviewAssignments(CallReviews{reviews}, cases, *caller.reviewer, *request,
                                                caller.request.now);
      });
}

grpc::Status ReviewsService::GetReviewForm(grpc::ServerContext* context, const v1::GetReviewFormRequest* request,
                                           v1::ReviewForm* response) {
  return Serve<v1::ReviewForm>(*context, response, [&](const Caller&) -> absl::StatusOr<v1::ReviewForm> {
    if (auto s = Required(request->program_id(), "program_id"); !s.ok()) return s;
    auto it = rules_.find(request->program_id());
    if (it == rules_.end()) return absl::NotFoundError(absl::StrCat("no program ", request->program_id()));
    const ReviewRules& rules = it->second;
    if (request->stage() != calls::v1::REVIEW_STAGE_UNSPECIFIED &&
        std::find(rules.stages.begin(), rules.stages.end(), request->stage()) == rules.stages.end()) {
      core::Violations v;
      v.Add("stage", absl::StrCat(request->program_id(), " has no ", StageName(request->stage()), " stage"));
      return v.ToStatus();
    }
    return rules.FormFor(request->stage());
  });
}

grpc::Status ReviewsService::SubmitReview(grpc::ServerContext* context, const v1::SubmitReviewRequest* request,
                                          v1::Review* response) {
  return Serve<v1::Review>(*context, response, [&](const Caller& caller) -> absl::StatusOr<v1::Review> {
    auto call_id = CallOfCase(request->case_id());
    if (!call_id.ok()) return call_id.status();
    if (!caller.reviewer) return absl::NotFoundError(absl::StrCat("no case ", request->case_id()));
    const v1::Reviewer& reviewer = *caller.reviewer;
    return MutateCall<v1::Review>(
        caller, *call_id, CaseSelection::One(request->case_id()), request->idempotency_key(), *request,
        OnCase(request->case_id(),
               [&](const v1::ReviewCase& c, const CallData& call, const Context& ctx) {
                 return reviews::SubmitReview(c, call.review.value, reviewer, *request, ctx);
               }),
        [&](const CallData& after, const Context& ctx) -> absl::StatusOr<v1::Review> {
          return ViewMyReview(*FindCase(after, request->case_id()), after.review.value, reviewer, ctx.now);
        });
  });
}

grpc::Status ReviewsService::GetMyReview(grpc::ServerContext* context, const v1::GetMyReviewRequest* request,
                                         v1::Review* response) {
  return Serve<v1::Review>(*context, response, [&](const Caller& caller) -> absl::StatusOr<v1::Review> {
    auto call = LoadCaseCall(request->case_id());
    if (!call.ok()) return call.status();
    if (!caller.reviewer) return absl::NotFoundError(absl::StrCat("no case ", request->case_id()));
    return ViewMyReview(call->cases.front(), call->review.value, *caller.reviewer, caller.request.now);
  });
}

// ---------------------------------------------------------------- ranking and decisions

grpc::Status ReviewsService::GetRanking(grpc::ServerContext* context, const v1::GetRankingRequest* request,
                                        v1::Ranking* response) {
  return Serve<v1::Ranking>(*context, response, [&](const Caller& caller) -> absl::StatusOr<v1::Ranking> {
    auto call = LoadExistingCall(request->call_id(), CaseSelection::All());
    if (!call.ok()) return call.status();
    return ViewRanking(call->review.value, call->cases, request->stage(), caller.viewer(), caller.request.now);
  });
}

grpc::Status ReviewsService::ShortlistProposal(grpc::ServerContext* context,
                                               const v1::ShortlistProposalRequest* request,
                                               v1::ReviewCase* response) {
  return Serve<v1::ReviewCase>(*context, response, [&](const Caller& caller) {
    return MutateCase(caller, request->case_id(), true, request->idempotency_key(), *request,
                      OnCase(request->case_id(), [&](const v1::ReviewCase& c, const CallData& call, const Context& ctx) {
                        return reviews::ShortlistProposal(c, call.review.value, call.cases, *request, ctx);
                      }));
  });
}

grpc::Status ReviewsService::DecideProposal(grpc::ServerContext* context, const v1::DecideProposalRequest* request,
                                            v1::ReviewCase* response) {
  return Serve<v1::ReviewCase>(*context, response, [&](const Caller& caller) {
    return MutateCase(caller, request->case_id(), true, request->idempotency_key(), *request,
                      OnCase(request->case_id(), [&](const v1::ReviewCase& c, const CallData& call, const Context& ctx) {
                        return reviews::DecideProposal(c, call.review.value, call.cases, *request, ctx);
                      }));
  });
}

grpc::Status ReviewsService::GetFeedback(grpc::ServerContext* context, const v1::GetFeedbackRequest* request,
                                         v1::Feedback* response) {
  return Serve<v1::Feedback>(*context, response, [&](const Caller& caller) -> absl::StatusOr<v1::Feedback> {
    if (auto s = Required(request->application_id(), "application_id"); !s.ok()) return s;
    auto call = LoadCaseCall(CaseIdForApplication(request->application_id()));
    if (absl::IsNotFound(call.status())) {
      return absl::NotFoundError(absl::StrCat("no application ", request->application_id()));
    }
    if (!call.ok()) return call.status();
    const v1::ReviewCase& c = call->cases.front();
    return ViewFeedback(c, RulesFor(c.program_id()), caller.viewer());
  });
}

}  // namespace tane::reviews
