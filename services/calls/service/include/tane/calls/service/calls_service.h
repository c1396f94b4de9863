#pragma once
/// The calls gRPC service (tane.calls.v1.CallsService) over the domain rules
/// (tane::calls_domain) and the shared kit (runtime::ServiceKit).
///
/// Every RPC: identity, trace id and "now" from ServiceKit::Begin; the rules
/// from the domain library; state in Redis through RunCommand (idempotency
/// keys, optimistic concurrency retried on conflict), index and read-model
/// updates and events in the aggregate's own commit (the outbox).
///
/// Object-level rules (the gateway has already checked the caller's role
/// against the RPC's policy):
/// - an applicant sees and changes only their own applications; anyone
///   else's is NOT_FOUND, so an applicant cannot even learn that an id
///   exists. Program officers, operators and auditors read all of them; any
///   other role gets PERMISSION_DENIED. Only the owner changes one.
/// - DRAFT calls are visible to operators and program officers only
///   (NOT_FOUND for others).
///
/// Submissions and the deadline: a submission is accepted when the server
/// clock at its arrival is inside [opens_at, closes_at) and its commit
/// lands before the call's close. Stopping a call's submissions (CloseCall,
/// CancelCall of a PUBLISHED call, or the DeadlineScheduler) takes three
/// steps: (1) commit the intent, the call CLOSING or CANCELLING, which takes
/// no more submissions; (2) raise the call's fence in every shard, which
/// every submit commit carries, so none lands afterwards; (3) count and
/// commit CLOSED with CallClosed (CANCELLED with CallCancelled), versioned
/// on the intent, so exactly once and with a final count. When (2) or (3)
/// fails or the process dies, the intent stays, and FinishIfStopping (which
/// every replica's scheduler runs) completes it.
///
/// Thread-safe: gRPC calls the handlers from many threads.

#include <grpcpp/server_context.h>

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "tane/calls/catalog.h"
#include "tane/calls/service/commitments_model.h"
#include "tane/calls/v1/calls.grpc.pb.h"
#include "tane/calls/v1/calls.pb.h"
#include "tane/runtime/service_kit.h"

namespace tane::calls {

/// The steps of stopping a call's submissions, in order (see above).
enum class StopStep {
  kIntentCommitted,  ///< the call is stored CLOSING or CANCELLING
  kFenceRaised,      ///< no submission lands in any shard any more
};

struct CallsServiceOptions {
  /// Test seam: called after each StopStep with the call id, on the thread
  /// that is stopping the call, so a test can interrupt it there (kill
  /// Redis, say). Unset in production.
  std::function<void(StopStep, const std::string& call_id)> after_step = {};
};

class CallsService final : public v1::CallsService::Service {
 public:
  /// `kit` and `catalog` must outlive the service. The kit must consume
  /// CommitmentsModel::Topics() and Subscribe() be called before kit.Start().
  CallsService(runtime::ServiceKit& kit, const Catalog& catalog, CallsServiceOptions options = {});

  /// Registers the commitments read model's event handlers with the kit.
  void Subscribe() { commitments_.Subscribe(); }

  /// Closes `call_id` if it is PUBLISHED and its closes_at has passed at
  /// `now`, emitting CallClosed (by_deadline) once however many replicas try
  /// at the same time. True when this call closed it; false when there was
  /// nothing to do (not published, not due, or another replica was first).
  absl::StatusOr<bool> CloseIfDue(const std::string& call_id, absl::Time now);

  /// Finishes a close or cancellation begun and not finished (the call is
  /// CLOSING or CANCELLING because its CloseCall or CancelCall failed after
  /// the intent, or its process died): raises the fence, counts, and commits
  /// CLOSED with CallClosed (CANCELLED with CallCancelled), once however many
  /// replicas try at the same time. True when this call finished it; false
  /// when there was nothing to do. UNAVAILABLE when Redis is unreachable.
  absl::StatusOr<bool> FinishIfStopping(const std::string& call_id, absl::Time now);

  // ---- tane.calls.v1.CallsService ----
  grpc::Status ListPrograms(grpc::ServerContext* context, const v1::ListProgramsRequest* request,
                            v1::ListProgramsResponse* response) override;
  grpc::Status GetProgram(grpc::ServerContext* context, const v1::GetProgramRequest* request,
                          v1::Program* response) override;

  grpc::Status CreateStrategicGoal(grpc::ServerContext* context, const v1::CreateStrategicGoalRequest* request,
                                   v1::StrategicGoal* response) override;
  grpc::Status ListStrategicGoals(grpc::ServerContext* context, const v1::ListStrategicGoalsRequest* request,
                                  v1::ListStrategicGoalsResponse* response) override;
  grpc::Status GetStrategicGoal(grpc::ServerContext* context, const v1::GetStrategicGoalRequest* request,
                                v1::StrategicGoal* response) override;

  grpc::Status CreateResearchArea(grpc::ServerContext* context, const v1::CreateResearchAreaRequest* request,
                                  v1::ResearchArea* response) override;
  grpc::Status ListResearchAreas(grpc::ServerContext* context, const v1::ListResearchAreasRequest* request,
                                 v1::ListResearchAreasResponse* response) override;
  grpc::Status GetResearchArea(grpc::ServerContext* context, const v1::GetResearchAreaRequest* request,
                               v1::ResearchArea* response) override;

  grpc::Status CreateCall(grpc::ServerContext* context, const v1::CreateCallRequest* request,
                          v1::Call* response) override;
  grpc::Status UpdateCall(grpc::ServerContext* context, const v1::UpdateCallRequest* request,
                          v1::Call* response) override;
  grpc::Status PublishCall(grpc::ServerContext* context, const v1::PublishCallRequest* request,
                           v1::Call* response) override;
  grpc::Status CloseCall(grpc::ServerContext* context, const v1::CloseCallRequest* request,
                         v1::Call* response) override;
  grpc::Status CancelCall(grpc::ServerContext* context, const v1::CancelCallRequest* request,
                          v1::Call* response) override;
  grpc::Status GetCall(grpc::ServerContext* context, const v1::GetCallRequest* request, v1::Call* response) override;
  grpc::Status ListCalls(grpc::ServerContext* context, const v1::ListCallsRequest* request,
                         v1::ListCallsResponse* response) override;

  grpc::Status CreateApplication(grpc::ServerContext* context, const v1::CreateApplicationRequest* request,
                                 v1::Application* response) override;
  grpc::Status UpdateApplication(grpc::ServerContext* context, const v1::UpdateApplicationRequest* request,
                                 v1::Application* response) override;
  grpc::Status SubmitApplication(grpc::ServerContext* context, const v1::SubmitApplicationRequest* request,
                                 v1::Application* response) override;
  grpc::Status WithdrawApplication(grpc::ServerContext* context, const v1::WithdrawApplicationRequest* request,
                                   v1::Application* response) override;
  grpc::Status ValidateApplication(grpc::ServerContext* context, const v1::ValidateApplicationRequest* request,
                                   v1::ValidateApplicationResponse* response) override;
  grpc::Status GetApplication(grpc::ServerContext* context, const v1::GetApplicationRequest* request,
                              v1::Application* response) override;
  grpc::Status ListApplications(grpc::ServerContext* context, const v1::ListApplicationsRequest* request,
                                v1::ListApplicationsResponse* response) override;
  grpc::Status ListMyApplications(grpc::ServerContext* context, const v1::ListMyApplicationsRequest* request,
                                  v1::ListApplicationsResponse* response) override;
  grpc::Status CountApplications(grpc::ServerContext* context, const v1::CountApplicationsRequest* request,
                                 v1::CountApplicationsResponse* response) override;

 private:
  using Ctx = runtime::RequestContext;

  // Catalog, goals, areas (calls_service.cc).
  absl::StatusOr<v1::ListProgramsResponse> ListPrograms(const Ctx& ctx, const v1::ListProgramsRequest& r);
  absl::StatusOr<v1::Program> GetProgram(const Ctx& ctx, const v1::GetProgramRequest& r);
  absl::StatusOr<v1::StrategicGoal> CreateStrategicGoal(const Ctx& ctx, const v1::CreateStrategicGoalRequest& r);
  absl::StatusOr<v1::ListStrategicGoalsResponse> ListStrategicGoals(const v1::ListStrategicGoalsRequest& r);
  absl::StatusOr<v1::ResearchArea> CreateResearchArea(const Ctx& ctx, const v1::CreateResearchAreaRequest& r);
  absl::StatusOr<v1::ListResearchAreasResponse> ListResearchAreas(const v1::ListResearchAreasRequest& r);

  // Calls (calls_service.cc).
  absl::StatusOr<v1::Call> CreateCall(const Ctx& ctx, const v1::CreateCallRequest& r);
  absl::StatusOr<v1::Call> UpdateCall(const Ctx& ctx, const v1::UpdateCallRequest& r);
  absl::StatusOr<v1::Call> PublishCall(const Ctx& ctx, const v1::PublishCallRequest& r);
  absl::StatusOr<v1::Call> CloseCall(const Ctx& ctx, const v1::CloseCallRequest& r);
  absl::StatusOr<v1::Call> CancelCall(const Ctx& ctx, const v1::CancelCallRequest& r);
  absl::StatusOr<v1::Call> GetCall(const Ctx& ctx, const v1::GetCallRequest& r);
  absl::StatusOr<v1::ListCallsResponse> ListCalls(const Ctx& ctx, const v1::ListCallsRequest& r);
  /// The commit of the stored call becoming `next`, with its index entries
  /// (events are the caller's to add).
  static runtime::Mutation<v1::Call> CallMutation(const runtime::Loaded<v1::Call>& current, v1::Call next);
  /// The caller of the service's own commands (the deadline, finishing).
  Ctx SystemContext(absl::Time now) const;
  struct Stopped {
    v1::Call call;  // as stored after the finish
    bool by_this = false;  // this call committed the finish
  };
  /// Steps (2) and (3) of stopping (see above) for a CLOSING or CANCELLING
  /// call; any other call is returned as stored, by_this false.
  absl::StatusOr<Stopped> FinishStop(const Ctx& ctx, const std::string& call_id);
  void AfterStep(StopStep step, const std::string& call_id) const;

  // Applications (applications.cc).
  absl::StatusOr<v1::Application> CreateApplication(const Ctx& ctx, const v1::CreateApplicationRequest& r);
  absl::StatusOr<v1::Application> UpdateApplication(const Ctx& ctx, const v1::UpdateApplicationRequest& r);
  absl::StatusOr<v1::Application> SubmitApplication(const Ctx& ctx, const v1::SubmitApplicationRequest& r);
  absl::StatusOr<v1::Application> WithdrawApplication(const Ctx& ctx, const v1::WithdrawApplicationRequest& r);
  absl::StatusOr<v1::ValidateApplicationResponse> ValidateApplication(const Ctx& ctx,
                                                                      const v1::ValidateApplicationRequest& r);
  absl::StatusOr<v1::Application> GetApplication(const Ctx& ctx, const v1::GetApplicationRequest& r);
  absl::StatusOr<v1::ListApplicationsResponse> ListApplications(const Ctx& ctx, const v1::ListApplicationsRequest& r);
  absl::StatusOr<v1::ListApplicationsResponse> ListMyApplications(const Ctx& ctx,
                                                                  const v1::ListMyApplicationsRequest& r);
  absl::StatusOr<v1::CountApplicationsResponse> CountApplications(const Ctx& ctx,
                                                                  const v1::CountApplicationsRequest& r);

  /// The call, or NOT_FOUND (also for a DRAFT the caller may not see).
  absl::StatusOr<runtime::Loaded<v1::Call>> LoadCall(const std::string& call_id, const Ctx* visible_to = nullptr);
  /// LoadCall, then ABORTED unless `expected_version` is 0 or the stored one.
  absl::StatusOr<runtime::Loaded<v1::Call>> LoadCallToChange(const std::string& call_id, int64_t expected_version);
  /// The application if the caller may read it (the object-level rules above).
  absl::StatusOr<runtime::Loaded<v1::Application>> LoadApplicationFor(const Ctx& ctx, const std::string& id);
  /// ... and change it (the owner only), at `expected_version` unless 0.
  absl::StatusOr<runtime::Loaded<v1::Application>> LoadApplicationToChange(const Ctx& ctx, const std::string& id,
                                                                           int64_t expected_version);
  /// The program of a stored call; FAILED_PRECONDITION when the catalog no longer has it.
  absl::StatusOr<const ProgramRule*> ProgramOf(const v1::Call& call) const;

  runtime::ServiceKit& kit_;
  const Catalog& catalog_;
  const CallsServiceOptions options_;
  CommitmentsModel commitments_;
};

}  // namespace tane::calls
