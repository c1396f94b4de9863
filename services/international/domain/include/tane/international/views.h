#pragma once
/// Read views over joint proposals: what a partner sees, the joint decisions,
/// the matching report (the matching-rate KPI and the unmatched lists), and
/// the staff list filters. Pure functions; thread-safe.

#include <string_view>
#include <vector>

#include "tane/international/v1/international.pb.h"

namespace tane::international {

/// The partner's view: its own side in full; of the JST side only the
/// fields of `scopes` (see EffectiveScopes in joint_call.h). Reviewer
/// identities, review comments, the supervisor's reasons, e-Rad numbers,
/// birth and degree years and leave months cannot appear: SharedJstSide has
/// no field for them.
v1::PartnerJointProposal PartnerViewOf(const v1::JointProposal& proposal,
                                       const std::vector<v1::DataScope>& scopes);

/// The joint decisions of `proposals` (held SATREPS adoptions included), of
/// `outcome` unless JOINT_OUTCOME_UNSPECIFIED, ordered by joint_proposal_id.
std::vector<v1::JointDecisionEntry> JointDecisions(const std::vector<v1::JointProposal>& proposals,
                                                   v1::JointOutcome outcome);

/// Counts, the matching rate in basis points (integer, rounded down) and the
/// unmatched proposals of both sides ordered by joint_proposal_id.
v1::MatchingReport BuildMatchingReport(std::string_view joint_call_id,
                                       const std::vector<v1::JointProposal>& proposals);

/// The proposals ListJointProposals answers for `request`'s filters, ordered
/// by joint_proposal_id.
std::vector<v1::JointProposal> FilterJointProposals(std::vector<v1::JointProposal> proposals,
                                                    const v1::ListJointProposalsRequest& request);

}  // namespace tane::international
