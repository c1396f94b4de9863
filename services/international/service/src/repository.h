#pragma once
// The international service's keys in Redis: its aggregates, their indexes
// and the audit trail. Every index entry lives in its aggregate's shard and is
// written by the aggregate's commit; queries read all shards (ShardedIndex).
//
//   agg:partner_agency:<code>        PartnerAgencyRecord
//   agg:joint_call:<id>              JointCall
//   agg:joint_proposal:<id>          JointProposal (id: JointProposalAggregateId)
//   idx:agencies                     "<code>|<code>"
//   idx:joint-calls                  "<create time>|<joint call id>"
//   idx:jc-proposals:<joint call>    "<joint proposal id>|<joint proposal id>"
//   idx:jc-refs:<joint call>         "<sha256 of partner reference>|<joint proposal id>"
//   idx:credential:<credential id>   "<code>|<code>"
//   idx:cert:<identity sha256>       "<code>|<code>"
//   agg:parked_jst_decision:<decision id>
//                                    reviews' ProposalDecided that came before
//                                    its ApplicationSubmitted (kept after use)
//   idx:parked-jst:<application id>  "<parked time>|<decision id>"
//   idx:import-rows:<joint call>:<file sha256>:<format>:<kind>
//                                    hash: file line -> joint proposal id, the
//                                    rows of a file applied (by the proposal's
//                                    own commit), so a retry skips them
//   audit:<audit id>                 AuditRecord (in the shard of the audit id)
//   idx:audit, idx:audit-call:<joint call>, idx:audit-agency:<code>
//                                    "<time>|<audit id>"

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tane/international/batch.h"
#include "tane/international/proposal.h"
#include "tane/international/v1/international.pb.h"
#include "tane/international/v1/state.pb.h"
#include "tane/reviews/v1/events.pb.h"
#include "tane/runtime/service_kit.h"

namespace tane::international::service {

inline constexpr char kAgencyType[] = "partner_agency";
inline constexpr char kJointCallType[] = "joint_call";
inline constexpr char kProposalType[] = "joint_proposal";
inline constexpr char kParkedDecisionType[] = "parked_jst_decision";

class Repository final {
 public:
  explicit Repository(runtime::ServiceKit& kit) : kit_(kit) {}

  absl::StatusOr<runtime::Loaded<v1::PartnerAgencyRecord>> Agency(const std::string& code);
  absl::StatusOr<runtime::Loaded<v1::JointCall>> JointCall(const std::string& joint_call_id);
  absl::StatusOr<runtime::Loaded<v1::JointProposal>> Proposal(const std::string& joint_call_id,
                                                              const std::string& joint_proposal_id);
  /// Every proposal of a joint call, ordered by joint proposal id.
  absl::StatusOr<std::vector<v1::JointProposal>> CallProposals(const std::string& joint_call_id);
  /// The joint proposal id holding a partner reference in a joint call, or empty.
  absl::StatusOr<std::string> PartnerReferenceHolder(const std::string& joint_call_id,
                                                     const std::string& reference);
  /// Ordered by agency code.
  absl::StatusOr<std::vector<v1::PartnerAgencyRecord>> Agencies();
  /// Ordered by JointCallOrder.
  absl::StatusOr<std::vector<v1::JointCall>> JointCalls();
  /// "<create time>|<joint call id>": the order of idx:joint-calls.
  static std::string JointCallOrder(const v1::JointCall& call);
  /// The parked JST decisions of an application, in the order they were parked.
  absl::StatusOr<std::vector<reviews::v1::ProposalDecided>> ParkedDecisions(
      const std::string& application_id);
  /// The agency of a credential id or certificate identity digest; empty if none.
  absl::StatusOr<std::string> AgencyOfCredential(const std::string& credential_id);
  absl::StatusOr<std::string> AgencyOfCertificate(const std::string& identity_sha256_hex);

  /// The commits of each aggregate, with their index entries and events.
  store::Commit AgencyCommit(const v1::PartnerAgencyRecord& record, int64_t expected_version,
                             const std::vector<std::string>& new_credentials = {},
                             const std::vector<std::string>& new_certificate_digests = {});
  store::Commit JointCallCommit(const v1::JointCall& call);
  store::Commit ProposalCommit(const runtime::RequestContext& rc, const v1::JointProposal& proposal,
                               int64_t expected_version, const std::vector<Event>& events);
  /// The lines of the file `request` imports that an earlier import applied.
  absl::StatusOr<std::set<int>> AppliedImportLines(const v1::ImportPartnerDataRequest& request);
  /// ProposalCommit of one import write, recording its lines as applied.
  store::Commit ImportCommit(const runtime::RequestContext& rc,
                             const v1::ImportPartnerDataRequest& request,
                             const ProposalWrite& write);
  /// Parks a JST decision (new: expected version 0) until its application is filed.
  store::Commit ParkedDecisionCommit(const runtime::RequestContext& rc,
                                     const reviews::v1::ProposalDecided& decision);

  /// Writes an audit record and its ExchangeAudited event.
  absl::Status WriteAudit(const runtime::RequestContext& rc, const v1::AuditRecord& record);
  /// Audit records newest first, filtered by joint call or agency (at most
  /// one filter is used: the joint call's when both are given).
  absl::StatusOr<std::pair<std::vector<v1::AuditRecord>, std::string>> AuditPage(
      const std::string& joint_call_id, const std::string& partner_agency,
      const std::string& cursor, int limit);

 private:
  absl::StatusOr<std::string> FirstIdAfter(const std::string& key_suffix,
                                           const std::string& prefix);
  template <typename T>
  absl::StatusOr<std::vector<T>> LoadAll(const std::string& type,
                                         const std::vector<std::string>& ids);

  runtime::ServiceKit& kit_;
};

}  // namespace tane::international::service
