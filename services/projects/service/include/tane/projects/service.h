#pragma once
/// The projects gRPC service: tane.projects.v1.ProjectsService over the
/// domain's state machine (project.h) and the shared ServiceKit.
///
/// Writes: every command loads the project, runs the domain function, and
/// commits the new project, its events (outbox → tane.projects.events) and
/// its index changes (read_model.h) in one script, idempotently under the
/// request's idempotency_key (runtime::RunCommand). Consumed events create
/// projects (ProposalDecided, JointDecisionMade) and put them on hold
/// (AllocationRejected), each applied once (bus::ApplyOnce).
///
/// Access: the gateway checks roles (the proto's policy); this service checks
/// objects. A caller with role "applicant" sees and changes only projects
/// whose pi_subject is their subject (PERMISSION_DENIED otherwise, whether or
/// not the project exists); program officers, operators, finance officers,
/// auditors and internal callers (role "system") see all; any other role is
/// PERMISSION_DENIED. The staff-only queries (history, overdue reports,
/// upcoming evaluations, KPIs) refuse applicants.
///
/// Thread-safe: gRPC and the consumer call it concurrently.

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tane/common/v1/envelope.pb.h"
#include "tane/funds/v1/events.pb.h"
#include "tane/international/v1/events.pb.h"
#include "tane/projects/project.h"
#include "tane/projects/rules.h"
#include "tane/projects/v1/projects.grpc.pb.h"
#include "tane/reviews/v1/events.pb.h"
#include "tane/runtime/service_kit.h"

namespace tane::projects {

class ProjectsService final : public v1::ProjectsService::Service {
 public:
  /// The topics whose events Subscribe() handles.
  static std::vector<std::string> ConsumedTopics();

  /// `rules` by program id (RulesFromCatalog). The kit must outlive this.
  ProjectsService(runtime::ServiceKit& kit, std::map<std::string, ProgramRules> rules);

  /// Registers the event handlers on the kit (before kit.Start()).
  void Subscribe();

  /// Handlers, public for the kit and for tests. Each is idempotent; see
  /// README.md for what each does with a decision it cannot apply.
  absl::Status OnProposalDecided(const common::v1::EventEnvelope& envelope,
                                 const reviews::v1::ProposalDecided& decided);
  absl::Status OnJointDecisionMade(const common::v1::EventEnvelope& envelope,
                                   const international::v1::JointDecisionMade& joint);
  absl::Status OnAllocationRejected(const common::v1::EventEnvelope& envelope,
                                    const funds::v1::AllocationRejected& rejected);

  /// The rules of a program, nullptr when the catalog has none.
  const ProgramRules* RulesFor(const std::string& program_id) const;

  // --- gRPC -----------------------------------------------------------------
  grpc::Status GetProject(grpc::ServerContext* context, const v1::GetProjectRequest* request,
                          v1::Project* response) override;
  grpc::Status ListProjects(grpc::ServerContext* context, const v1::ListProjectsRequest* request,
                            v1::ListProjectsResponse* response) override;
  grpc::Status AddContract(grpc::ServerContext* context, const v1::AddContractRequest* request,
                           v1::Project* response) override;
  grpc::Status ActivateProject(grpc::ServerContext* context, const v1::ActivateProjectRequest* request,
                               v1::Project* response) override;
  grpc::Status SuspendProject(grpc::ServerContext* context, const v1::SuspendProjectRequest* request,
                              v1::Project* response) override;
  grpc::Status ResumeProject(grpc::ServerContext* context, const v1::ResumeProjectRequest* request,
                             v1::Project* response) override;
  grpc::Status TerminateProject(grpc::ServerContext* context, const v1::TerminateProjectRequest* request,
                                v1::Project* response) override;
  grpc::Status CompleteProject(grpc::ServerContext* context, const v1::CompleteProjectRequest* request,
                               v1::Project* response) override;
  grpc::Status ExtendProject(grpc::ServerContext* context, const v1::ExtendProjectRequest* request,
                             v1::Project* response) override;
  grpc::Status PauseProject(grpc::ServerContext* context, const v1::PauseProjectRequest* request,
                            v1::Project* response) override;
  grpc::Status ReleaseHold(grpc::ServerContext* context, const v1::ReleaseHoldRequest* request,
                           v1::Project* response) override;
  grpc::Status AddMember(grpc::ServerContext* context, const v1::AddMemberRequest* request,
                         v1::Project* response) override;
  grpc::Status RemoveMember(grpc::ServerContext* context, const v1::RemoveMemberRequest* request,
                            v1::Project* response) override;
  grpc::Status TransferInstitution(grpc::ServerContext* context, const v1::TransferInstitutionRequest* request,
                                   v1::Project* response) override;
  grpc::Status RevisePlan(grpc::ServerContext* context, const v1::RevisePlanRequest* request,
                          v1::Project* response) override;
  grpc::Status SubmitReport(grpc::ServerContext* context, const v1::SubmitReportRequest* request,
                            v1::Project* response) override;
  grpc::Status RecordEvaluation(grpc::ServerContext* context, const v1::RecordEvaluationRequest* request,
                                v1::Project* response) override;
  grpc::Status GetProjectHistory(grpc::ServerContext* context, const v1::GetProjectHistoryRequest* request,
                                 v1::GetProjectHistoryResponse* response) override;
  grpc::Status ListOverdueReports(grpc::ServerContext* context, const v1::ListOverdueReportsRequest* request,
                                  v1::ListOverdueReportsResponse* response) override;
  grpc::Status ListUpcomingEvaluations(grpc::ServerContext* context,
                                       const v1::ListUpcomingEvaluationsRequest* request,
                                       v1::ListUpcomingEvaluationsResponse* response) override;
  grpc::Status CountOutputs(grpc::ServerContext* context, const v1::CountOutputsRequest* request,
                            v1::CountOutputsResponse* response) override;

 private:
  using Command = std::function<absl::StatusOr<Transition>(const v1::Project&, const Context&)>;

  /// Runs one command RPC end to end (see the file comment).
  absl::StatusOr<v1::Project> Mutate(const grpc::ServerContext& context, const std::string& project_id,
                                     const std::string& idempotency_key,
                                     const google::protobuf::Message& request, const Command& command);
  /// Creates the project of an adoption unless it exists.
  absl::Status CreateFromAdoption(const common::v1::EventEnvelope& envelope, const AdoptionDecision& decision);
  /// A project the caller may see; PERMISSION_DENIED / NOT_FOUND as above.
  absl::StatusOr<runtime::Loaded<v1::Project>> LoadVisible(const runtime::RequestContext& ctx,
                                                           const std::string& project_id);
  /// Loads projects in one round trip; missing ones are skipped.
  absl::StatusOr<std::vector<v1::Project>> LoadProjects(const std::vector<std::string>& ids);
  /// The rules of an existing project's program (FAILED_PRECONDITION when the
  /// catalog lost it).
  absl::StatusOr<const ProgramRules*> RulesOfProject(const v1::Project& project) const;

  template <typename Request, typename Response>
  using Query = absl::StatusOr<Response> (ProjectsService::*)(const runtime::RequestContext&, const Request&);
  /// A query RPC: the caller's context, then `query`, as a grpc::Status.
  template <typename Request, typename Response>
  grpc::Status Serve(const grpc::ServerContext& context, const Request& request, Response* response,
                     Query<Request, Response> query);

  absl::StatusOr<v1::Project> Get(const runtime::RequestContext& ctx, const v1::GetProjectRequest& request);
  absl::StatusOr<v1::GetProjectHistoryResponse> History(const runtime::RequestContext& ctx,
                                                        const v1::GetProjectHistoryRequest& request);
  absl::StatusOr<v1::ListProjectsResponse> List(const runtime::RequestContext& ctx,
                                                const v1::ListProjectsRequest& request);
  absl::StatusOr<v1::ListOverdueReportsResponse> Overdue(const runtime::RequestContext& ctx,
                                                         const v1::ListOverdueReportsRequest& request);
  absl::StatusOr<v1::ListUpcomingEvaluationsResponse> Upcoming(const runtime::RequestContext& ctx,
                                                               const v1::ListUpcomingEvaluationsRequest& request);
  absl::StatusOr<v1::CountOutputsResponse> Outputs(const runtime::RequestContext& ctx,
                                                   const v1::CountOutputsRequest& request);

  runtime::ServiceKit& kit_;
  const std::map<std::string, ProgramRules> rules_;
};

}  // namespace tane::projects
