#pragma once
/// What projects reads from other services' events, mapped onto the domain's
/// own structs (the domain library does not depend on their packages).

#include "absl/time/time.h"
#include "tane/funds/v1/events.pb.h"
#include "tane/international/v1/events.pb.h"
#include "tane/projects/project.h"
#include "tane/reviews/v1/events.pb.h"

namespace tane::projects {

/// The application snapshot (PI, co-investigators, institutions, period,
/// budget plan) as an adoption. Budget lines of one fiscal year and category
/// are summed (the application may split them by description); the indirect
/// rate is the one the call applied (total indirect / total direct, rounded),
/// or 0 (the program's default) when the snapshot has no costs.
AdoptionDecision AdoptionOfApplication(const calls::v1::Application& application);

/// reviews' ProposalDecided (adopted or not; joint_call as sent).
AdoptionDecision AdoptionFromProposal(const reviews::v1::ProposalDecided& decided);

/// The research start reviews uses when the decision did not set one:
/// 1 April (JST) of `start_fiscal_year`, or the first day (JST) of the month
/// after `decided_at` when that is already past.
absl::Time DefaultResearchStart(int start_fiscal_year, absl::Time decided_at);

/// international's JointDecisionMade. The research start is the one the JST
/// side's decision chose: from the event (research_start_time), else from
/// `jst_side` (reviews' ProposalDecided of the JST side, when projects has
/// seen it), else DefaultResearchStart.
AdoptionDecision AdoptionFromJointDecision(const international::v1::JointDecisionMade& joint,
                                           const reviews::v1::ProposalDecided* jst_side);

/// funds' AllocationRejected: the reason with the shortfall in yen, and the
/// fiscal year when exactly one fell short.
AllocationRejection RejectionFromFunds(const funds::v1::AllocationRejected& rejected);

}  // namespace tane::projects
