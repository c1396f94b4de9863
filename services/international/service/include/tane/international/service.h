#pragma once
/// The international service's gRPC adapter: InternationalService over
/// tane::international_domain, its aggregates in Redis (runtime::ServiceKit's
/// AggregateStore, events through the outbox) and the events it consumes:
/// tane.calls.v1.ApplicationSubmitted (tane.calls.events) and
/// tane.reviews.v1.ProposalDecided (tane.reviews.events).
///
/// Every RPC answers the domain's status codes (international.proto); Redis
/// unreachable is UNAVAILABLE. Mutations run as runtime::RunCommand: a
/// repeated idempotency_key returns the first answer. Every partner exchange
/// (any RPC called by a partner, and every import and export) is written to
/// the audit trail and published as ExchangeAudited, whatever its outcome.
///
/// Imports touch many joint proposals; they are committed one proposal at a
/// time (each with its version check), so an interrupted import is completed
/// by sending the same file again (its applied rows are then unchanged).
///
/// Thread-safe: gRPC calls handlers concurrently; all state is in Redis.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tane/calls/v1/events.pb.h"
#include "tane/international/context.h"
#include "tane/international/v1/international.grpc.pb.h"
#include "tane/reviews/v1/events.pb.h"
#include "tane/runtime/service_kit.h"

namespace tane::international {

namespace service {
class Repository;
}

class InternationalService final : public v1::InternationalService::Service {
 public:
  /// `kit` must outlive the service.
  explicit InternationalService(runtime::ServiceKit& kit);
  ~InternationalService() override;

  /// Registers the consumed events' handlers with the kit; before kit.Start().
  void RegisterEventHandlers();

  /// ApplicationSubmitted of a call with a partner agency files the JST side
  /// and applies the JST decisions parked for it (those not older than the
  /// submission, see DecidesSubmission); others are ignored.
  /// Idempotent (bus::ApplyOnce; parked decisions are idempotent by content).
  absl::Status OnApplicationSubmitted(const common::v1::EventEnvelope& envelope,
                                      const calls::v1::ApplicationSubmitted& event);
  /// ApplicationWithdrawn of an application filed here takes its JST side
  /// out of the pairing (ApplyApplicationWithdrawn); a later
  /// ApplicationSubmitted files it again. Others are ignored, and so is (logged
  /// as stale) one withdrawn before the held submission was submitted: a late
  /// copy from before a resubmission. Idempotent. FAILED_PRECONDITION
  /// (dead-lettered) after the joint decision.
  absl::Status OnApplicationWithdrawn(const common::v1::EventEnvelope& envelope,
                                      const calls::v1::ApplicationWithdrawn& event);
  /// ProposalDecided with joint_call set is the JST decision; others are
  /// ignored. A contradicting decision is flagged and the event counts as
  /// handled. A decision whose application is not filed yet (calls' event
  /// still behind: there is no order across topics) is parked, idempotently,
  /// and applied by OnApplicationSubmitted; without a joint call yet it is
  /// recorded on the JST side and combined once the partner files.
  /// INVALID_ARGUMENT (dead-lettered) for a decision without its ids.
  absl::Status OnProposalDecided(const common::v1::EventEnvelope& envelope,
                                 const reviews::v1::ProposalDecided& event);

  grpc::Status CreatePartnerAgency(grpc::ServerContext* context,
                                   const v1::CreatePartnerAgencyRequest* request,
                                   v1::PartnerAgency* response) override;
  grpc::Status GetPartnerAgency(grpc::ServerContext* context,
                                const v1::GetPartnerAgencyRequest* request,
                                v1::PartnerAgency* response) override;
  grpc::Status ListPartnerAgencies(grpc::ServerContext* context,
                                   const v1::ListPartnerAgenciesRequest* request,
                                   v1::ListPartnerAgenciesResponse* response) override;
  grpc::Status UpdatePartnerAgency(grpc::ServerContext* context,
                                   const v1::UpdatePartnerAgencyRequest* request,
                                   v1::PartnerAgency* response) override;
  grpc::Status IssuePartnerCredential(grpc::ServerContext* context,
                                      const v1::IssuePartnerCredentialRequest* request,
                                      v1::IssuePartnerCredentialResponse* response) override;
  grpc::Status RevokePartnerCredential(grpc::ServerContext* context,
                                       const v1::RevokePartnerCredentialRequest* request,
                                       v1::PartnerAgency* response) override;
  grpc::Status AuthenticatePartner(grpc::ServerContext* context,
                                   const v1::AuthenticatePartnerRequest* request,
                                   v1::AuthenticatePartnerResponse* response) override;
  grpc::Status CreateJointCall(grpc::ServerContext* context,
                               const v1::CreateJointCallRequest* request,
                               v1::JointCall* response) override;
  grpc::Status GetJointCall(grpc::ServerContext* context, const v1::GetJointCallRequest* request,
                            v1::JointCall* response) override;
  grpc::Status ListJointCalls(grpc::ServerContext* context,
                              const v1::ListJointCallsRequest* request,
                              v1::ListJointCallsResponse* response) override;
  grpc::Status ListJointProposals(grpc::ServerContext* context,
                                  const v1::ListJointProposalsRequest* request,
                                  v1::ListJointProposalsResponse* response) override;
  grpc::Status GetJointProposal(grpc::ServerContext* context,
                                const v1::GetJointProposalRequest* request,
                                v1::JointProposal* response) override;
  grpc::Status GetMatchingReport(grpc::ServerContext* context,
                                 const v1::GetMatchingReportRequest* request,
                                 v1::MatchingReport* response) override;
  grpc::Status ListPartnerJointProposals(grpc::ServerContext* context,
                                         const v1::ListPartnerJointProposalsRequest* request,
                                         v1::ListPartnerJointProposalsResponse* response) override;
  grpc::Status SubmitPartnerProposal(grpc::ServerContext* context,
                                     const v1::SubmitPartnerProposalRequest* request,
                                     v1::PartnerJointProposal* response) override;
  grpc::Status RecordPartnerDecision(grpc::ServerContext* context,
                                     const v1::RecordPartnerDecisionRequest* request,
                                     v1::PartnerJointProposal* response) override;
  grpc::Status RecordRecordOfDiscussions(grpc::ServerContext* context,
                                         const v1::RecordRecordOfDiscussionsRequest* request,
                                         v1::PartnerJointProposal* response) override;
  grpc::Status ListJointDecisions(grpc::ServerContext* context,
                                  const v1::ListJointDecisionsRequest* request,
                                  v1::ListJointDecisionsResponse* response) override;
  grpc::Status ImportPartnerData(grpc::ServerContext* context,
                                 const v1::ImportPartnerDataRequest* request,
                                 v1::ImportReport* response) override;
  grpc::Status ExportJointCall(grpc::ServerContext* context,
                               const v1::ExportJointCallRequest* request,
                               v1::ExportJointCallResponse* response) override;
  grpc::Status ListAuditRecords(grpc::ServerContext* context,
                                const v1::ListAuditRecordsRequest* request,
                                v1::ListAuditRecordsResponse* response) override;

 private:
  /// What an RPC touched and extra facts, for its audit record.
  struct Exchange {
    std::string partner_agency;
    std::string joint_call_id;
    std::string joint_proposal_id;
    std::map<std::string, std::string> details;

    static Exchange OfAgency(std::string code) {
      Exchange x;
      x.partner_agency = std::move(code);
      return x;
    }
    static Exchange OfCall(std::string joint_call_id, std::string joint_proposal_id = "") {
      Exchange x;
      x.joint_call_id = std::move(joint_call_id);
      x.joint_proposal_id = std::move(joint_proposal_id);
      return x;
    }
  };
  template <typename Response, typename Body>
  grpc::Status Serve(grpc::ServerContext* context, const char* action, Exchange exchange,
                     Response* out, Body body);
  /// Serve for a command on one joint proposal of a joint call the caller
  /// may see: `decide(call and agency, stored proposal or null, context)`.
  template <typename Request, typename Decide>
  grpc::Status ServeExchange(grpc::ServerContext* context, const char* action,
                             const Request& request, const std::string& joint_call_id,
                             const std::string& joint_proposal_id,
                             v1::PartnerJointProposal* response, Decide decide);

  /// Applies a JST decision to the first of `joint_proposal_ids` (of the
  /// decision's joint call) holding its application, with a versioned commit.
  /// False when none holds it yet.
  absl::StatusOr<bool> ApplyJstDecisionToFiled(const runtime::RequestContext& rc,
                                               const reviews::v1::ProposalDecided& event,
                                               const std::vector<std::string>& joint_proposal_ids);

  runtime::ServiceKit& kit_;
  std::unique_ptr<service::Repository> repo_;
};

}  // namespace tane::international
