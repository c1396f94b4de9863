#pragma once
/// The reviews gRPC service: tane.reviews.v1.ReviewsService over the domain
/// library (tane::reviews_domain) and the shared ServiceKit.
///
/// Writes: a command loads its call (storage.h: the call review and its
/// cases), runs the domain function, and commits the call review, the changed
/// cases, their indexes and events (outbox → tane.reviews.events) in one
/// script, idempotently under the request's idempotency_key
/// (runtime::RunCommand). Reviewer records are their own aggregates.
///
/// Consumed events (tane.calls.events), each applied once (bus::ApplyOnce):
/// an event older than what a case has applied (by the application's
/// version) changes nothing, so the latest submitted snapshot wins.
/// ApplicationSubmitted opens a case (a newer one replaces its snapshot and
/// reopens a withdrawn case, see ResubmitCase), ApplicationWithdrawn drops
/// it, CallClosed closes the call review. When the call has closed and every application
/// counted at closing has its case, the first stage is assigned in the same
/// commit (actor system:reviews), so assignment happens exactly once whatever
/// order the events arrive in.
///
/// A reviewer's profile change (UpdateReviewer, AddStandingConflict) that
/// makes them conflicted on a case they review recuses them from it and
/// refills it, one commit per call, right after the profile commit. That
/// commit also writes ReviewerProfileChanged to the outbox; the service
/// consumes it from tane.reviews.events and repeats the recusal (a no-op when
/// done), so it completes even if the process stops in between. Meanwhile the
/// reviewer sees nothing of the case (visibility checks conflicts live
/// against the caller's stored record). A commit that adds reviewers to cases
/// (a solve, a refill) rereads those reviewers afterwards and recuses any
/// whose stored profile now conflicts: a profile change that landed after the
/// pool was loaded found no assignment to recuse from yet.
///
/// Access: the gateway checks roles (the proto's policy); this service checks
/// objects (visibility.h). Callers with role "reviewer" are matched to their
/// reviewer record by subject.
///
/// Thread-safe: gRPC and the consumer call it concurrently.

#include <functional>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/statusor.h"
#include "tane/calls/v1/events.pb.h"
#include "tane/common/v1/envelope.pb.h"
#include "tane/reviews/rules.h"
#include "tane/reviews/storage.h"
#include "tane/reviews/v1/events.pb.h"
#include "tane/reviews/v1/reviews.grpc.pb.h"
#include "tane/reviews/visibility.h"
#include "tane/runtime/service_kit.h"

namespace tane::reviews {

/// Test seams; empty in production.
struct ReviewsServiceHooks {
  /// Runs after an assignment solve (SolveAssignment, or the automatic first
  /// stage) has loaded the reviewer pool, before its commit; gets the call id.
  std::function<void(const std::string& call_id)> after_pool_load;
};

class ReviewsService final : public v1::ReviewsService::Service {
 public:
  /// The topics whose events Subscribe() handles.
  static std::vector<std::string> ConsumedTopics();

  /// `rules` by program id (ReviewRules::FromProgram over the catalog);
  /// programs not in it get the defaults. The kit must outlive this.
  ReviewsService(runtime::ServiceKit& kit, std::map<std::string, ReviewRules> rules,
                 ReviewsServiceHooks hooks = {});

  /// Registers the event handlers on the kit (before kit.Start()).
  void Subscribe();

  /// Handlers, public for the kit and for tests. Idempotent.
  absl::Status OnApplicationSubmitted(const common::v1::EventEnvelope& envelope,
                                      const calls::v1::ApplicationSubmitted& submitted);
  absl::Status OnApplicationWithdrawn(const common::v1::EventEnvelope& envelope,
                                      const calls::v1::ApplicationWithdrawn& withdrawn);
  absl::Status OnCallClosed(const common::v1::EventEnvelope& envelope,
                            const calls::v1::CallClosed& closed);
  /// Our own event (tane.reviews.events), written with a reviewer's profile
  /// change: completes the recusals the change calls for.
  absl::Status OnReviewerProfileChanged(const common::v1::EventEnvelope& envelope,
                                        const v1::ReviewerProfileChanged& changed);

  const ReviewRules& RulesFor(const std::string& program_id) const;

  /// A domain command over one call: the transition, or an error.
  using CallDecision =
      std::function<absl::StatusOr<CallTransition>(const CallData& call, const Context& ctx)>;

  // --- gRPC -----------------------------------------------------------------
  grpc::Status CreateReviewer(grpc::ServerContext* context, const v1::CreateReviewerRequest* request,
                              v1::Reviewer* response) override;
  grpc::Status UpdateReviewer(grpc::ServerContext* context, const v1::UpdateReviewerRequest* request,
                              v1::Reviewer* response) override;
  grpc::Status GetReviewer(grpc::ServerContext* context, const v1::GetReviewerRequest* request,
                           v1::Reviewer* response) override;
  grpc::Status GetMyReviewerProfile(grpc::ServerContext* context,
                                    const v1::GetMyReviewerProfileRequest* request,
                                    v1::Reviewer* response) override;
  grpc::Status ListReviewers(grpc::ServerContext* context, const v1::ListReviewersRequest* request,
                             v1::ListReviewersResponse* response) override;
  grpc::Status AddStandingConflict(grpc::ServerContext* context,
                                   const v1::AddStandingConflictRequest* request,
                                   v1::Reviewer* response) override;
  grpc::Status GetCallReview(grpc::ServerContext* context, const v1::GetCallReviewRequest* request,
                             v1::CallReview* response) override;
  grpc::Status SetReviewDeadline(grpc::ServerContext* context,
                                 const v1::SetReviewDeadlineRequest* request,
                                 v1::CallReview* response) override;
  grpc::Status SolveAssignment(grpc::ServerContext* context,
                               const v1::SolveAssignmentRequest* request,
                               v1::SolveAssignmentResponse* response) override;
  grpc::Status ListReviewCases(grpc::ServerContext* context,
                               const v1::ListReviewCasesRequest* request,
                               v1::ListReviewCasesResponse* response) override;
  grpc::Status GetReviewCase(grpc::ServerContext* context, const v1::GetReviewCaseRequest* request,
                             v1::ReviewCase* response) override;
  grpc::Status SetPairRule(grpc::ServerContext* context, const v1::SetPairRuleRequest* request,
                           v1::ReviewCase* response) override;
  grpc::Status ReassignReviewer(grpc::ServerContext* context,
                                const v1::ReassignReviewerRequest* request,
                                v1::ReviewCase* response) override;
  grpc::Status DeclareConflict(grpc::ServerContext* context,
                               const v1::DeclareConflictRequest* request,
                               v1::ReviewCase* response) override;
  grpc::Status ListMyReviewAssignments(grpc::ServerContext* context,
                                       const v1::ListMyReviewAssignmentsRequest* request,
                                       v1::ListMyReviewAssignmentsResponse* response) override;
  grpc::Status GetReviewForm(grpc::ServerContext* context, const v1::GetReviewFormRequest* request,
                             v1::ReviewForm* response) override;
  grpc::Status SubmitReview(grpc::ServerContext* context, const v1::SubmitReviewRequest* request,
                            v1::Review* response) override;
  grpc::Status GetMyReview(grpc::ServerContext* context, const v1::GetMyReviewRequest* request,
                           v1::Review* response) override;
  grpc::Status GetRanking(grpc::ServerContext* context, const v1::GetRankingRequest* request,
                          v1::Ranking* response) override;
  grpc::Status ShortlistProposal(grpc::ServerContext* context,
                                 const v1::ShortlistProposalRequest* request,
                                 v1::ReviewCase* response) override;
  grpc::Status DecideProposal(grpc::ServerContext* context, const v1::DecideProposalRequest* request,
                              v1::ReviewCase* response) override;
  grpc::Status GetFeedback(grpc::ServerContext* context, const v1::GetFeedbackRequest* request,
                           v1::Feedback* response) override;

 private:
  /// The caller as the domain sees them, with their reviewer record.
  struct Caller {
    runtime::RequestContext request;
    common::v1::Actor actor;
    std::optional<v1::Reviewer> reviewer;
    Viewer viewer() const { return Viewer{actor, reviewer ? &*reviewer : nullptr}; }
  };
  absl::StatusOr<Caller> Begin(const grpc::ServerContext& context);
  /// One RPC: the caller, then `body`, answered as a grpc::Status.
  template <typename Response>
  grpc::Status Serve(const grpc::ServerContext& context, Response* response,
                     const std::function<absl::StatusOr<std::type_identity_t<Response>>(const Caller&)>& body);
  /// NOT_FOUND when the call has no review yet.
  absl::StatusOr<CallData> LoadExistingCall(const std::string& call_id, const CaseSelection& cases);
  /// The call of a case with that one case; NOT_FOUND for an unknown case.
  absl::StatusOr<CallData> LoadCaseCall(const std::string& case_id);
  /// Claims the subject `after` names for its commit over `before` (nothing
  /// to do when it is empty or unchanged). ALREADY_EXISTS when another
  /// reviewer holds it (storage.h).
  absl::Status ClaimSubjectOf(const v1::Reviewer& after, const runtime::Loaded<v1::Reviewer>& before);
  /// Runs a command RPC on a call end to end, idempotently; `respond` builds
  /// the answer from the call after the change.
  template <typename Response>
  absl::StatusOr<Response> MutateCall(
      const Caller& caller, const std::string& call_id, const CaseSelection& cases,
      const std::string& idempotency_key, const google::protobuf::Message& request,
      const CallDecision& decide,
      const std::function<absl::StatusOr<Response>(const CallData& after, const Context& ctx)>& respond);
  /// A command on the case `case_id` (the call is looked up); `all_cases`
  /// loads the call's other cases too. Answers the case as the caller sees it.
  absl::StatusOr<v1::ReviewCase> MutateCase(const Caller& caller, const std::string& case_id,
                                            bool all_cases, const std::string& idempotency_key,
                                            const google::protobuf::Message& request,
                                            const CallDecision& decide);
  /// Applies a consumed event (once) or an internal follow-up to a call:
  /// `decide` returns nullopt when there is nothing to do. Retries contention.
  /// A kOne selection becomes kAll once the call has closed (assignment
  /// needs every case).
  absl::Status ApplyToCall(const std::string& call_id, const CaseSelection& cases,
                           const runtime::RequestContext& ctx,
                           const common::v1::EventEnvelope* event,
                           const std::function<absl::StatusOr<std::optional<CallTransition>>(
                               const CallData& call)>& decide);
  /// Adds the first stage's assignment to `t` when the call is ready and a
  /// case of the stage still waits for reviewers.
  absl::Status AssignWhenReady(const CallData& before, CallTransition& t, const Context& ctx);
  /// A reviewer command end to end, then recusals where the change conflicts.
  absl::StatusOr<v1::Reviewer> MutateReviewer(
      const Caller& caller, const std::string& reviewer_id, const std::string& idempotency_key,
      const google::protobuf::Message& request,
      const std::function<absl::StatusOr<ReviewerTransition>(const runtime::Loaded<v1::Reviewer>&,
                                                             const Context&)>& decide);
  /// Recuses `reviewer_id` from every case of their calls they are now
  /// conflicted on, and refills. Idempotent; the first error, after trying
  /// every call.
  absl::Status RecuseAfterProfileChange(const runtime::RequestContext& request, const common::v1::Actor& actor,
                                        const std::string& reviewer_id);
  /// After the commit of `t` over `before`: RecuseAfterProfileChange for
  /// every reviewer `t` added to a case whose stored profile, read now,
  /// conflicts with it (a profile change that raced the pool load). Failures
  /// are logged: the read path still hides the case from them.
  void RecuseConflictedAssignees(const runtime::RequestContext& request, const common::v1::Actor& actor,
                                 const CallData& before, const CallTransition& t);
  absl::StatusOr<std::vector<v1::Reviewer>> LoadSolvePool(const std::string& call_id);
  absl::StatusOr<std::string> CallOfCase(const std::string& case_id);

  runtime::ServiceKit& kit_;
  ReviewsStorage storage_;
  const std::map<std::string, ReviewRules> rules_;
  const ReviewRules default_rules_;
  const ReviewsServiceHooks hooks_;
};

}  // namespace tane::reviews
