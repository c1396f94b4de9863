#pragma once
/// Joint proposals: the JST-side application and the partner-side proposal
/// matched by the joint proposal id the applicants gave both agencies, the
/// decisions of both sides, the rules that combine them, and the SATREPS
/// Record of Discussions hold.
///
/// Every command is a function (joint call, proposal, input, context) → a
/// Transition (the new proposal and the events to publish), or an error that
/// changes nothing: INVALID_ARGUMENT with every field violation, NOT_FOUND,
/// ALREADY_EXISTS, FAILED_PRECONDITION, ABORTED for a version mismatch.
/// Nothing here reads a clock, a network or Redis.
///
/// Decision rules (evaluated after every change, so arrival order never
/// matters; a joint decision needs both sides matched):
/// - parallel: once both decisions exist — adopted only when both adopt,
///   otherwise rejected by JST, by the partner, or by both;
/// - lead agency: the lead's decision is final for both sides. A follower's
///   decision that differs from the lead's known one is refused; one recorded
///   before the lead decided differently is overridden and flagged.
/// - SATREPS: an adoption is held (no JointDecisionMade) until the Record of
///   Discussions is recorded; rejections are published at once.
///
/// Repeats and contradictions: the same decision again (late or repeated,
/// whatever its reference or comment) changes nothing (changed = false,
/// OK). A decision contradicting the one on record is refused with
/// FAILED_PRECONDITION — the state forbids it; ALREADY_EXISTS is kept for
/// identifiers filed twice — and flagged to the program officer: the
/// Transition then carries `refusal`, a DecisionConflict appended to the
/// proposal and DecisionConflictFlagged. The caller commits that transition
/// (so the flag is not lost) and answers with `refusal`; a consumer counts the
/// event as handled. The same contradiction again is not flagged twice.

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "tane/calls/v1/events.pb.h"
#include "tane/international/context.h"
#include "tane/international/v1/events.pb.h"
#include "tane/international/v1/international.pb.h"
#include "tane/reviews/v1/events.pb.h"

namespace tane::international {

using Event = std::variant<v1::JointProposalMatched, v1::PartnerDecisionReceived,
                           v1::JointDecisionMade, v1::SatrepsRdSigned, v1::DecisionConflictFlagged>;

/// The payload to pack into the envelope's Any.
const google::protobuf::Message& EventPayload(const Event& event);

struct Transition {
  /// The proposal after the command; its aggregate id is
  /// JointProposalAggregateId(proposal.joint_call_id(), proposal.joint_proposal_id()).
  v1::JointProposal proposal;
  std::vector<Event> events;
  /// False for a repeat that changes nothing: there is nothing to write.
  bool changed = false;
  /// Non-OK for a refused contradiction: write the transition when changed
  /// (the flag), then answer with this status.
  absl::Status refusal;
};

inline constexpr char kJointProposalIdNamespace[] = "tane.international.joint-proposal";
inline constexpr char kJointDecisionIdNamespace[] = "tane.international.joint-decision";
/// Prefix of the key of a JST application that cannot be matched.
inline constexpr char kUnmatchableJstPrefix[] = "JST-";

/// NameUuid(kJointProposalIdNamespace, joint_call_id + "/" + joint_proposal_id).
std::string JointProposalAggregateId(std::string_view joint_call_id,
                                     std::string_view joint_proposal_id);
/// NameUuid(kJointDecisionIdNamespace, the aggregate id): projects' decision id.
std::string JointDecisionIdFor(std::string_view joint_call_id, std::string_view joint_proposal_id);

/// What applicants type differs in case and surrounding blanks: trimmed of
/// ASCII white space (and U+3000), ASCII letters upper-cased.
std::string NormalizeJointProposalId(std::string_view raw);
/// Empty when a normalised id is usable: 1–64 of A–Z, 0–9, '.', '_', '-',
/// not starting with "JST-". Otherwise why not.
std::string JointProposalIdProblem(std::string_view normalized);

/// Where an ApplicationSubmitted goes: its normalised joint proposal id, or
/// "JST-<application_id>" with the reason it cannot be matched.
struct JstKey {
  std::string joint_proposal_id;
  std::string problem;
};

/// "JST-<APPLICATION ID>": the key of a JST application that cannot be matched.
std::string FallbackJointProposalId(std::string_view application_id);
/// The normalised joint_proposal_id the application gives (maybe unusable).
std::string RequestedJointProposalId(const calls::v1::ApplicationSubmitted& event);
/// The key for the JST side: the requested id, unless it is unusable or
/// `at_requested` (the proposal stored under it, or null) already holds
/// another application — then the "JST-<application_id>" fallback.
JstKey JstKeyFor(const calls::v1::ApplicationSubmitted& event,
                 const v1::JointProposal* at_requested);

/// ApplicationSubmitted of a call with a partner agency: files the JST side
/// under `key` (into `current`, the proposal stored there, or a new one).
/// `call` may be null while the joint call is not created yet. The same
/// application again changes nothing. An application withdrawn from
/// `current` (withdrawn_jst) is filed anew by a submission after its
/// withdrawal (application.submitted_at later than withdrawn_at); an older
/// one (a stale redelivery) changes nothing. INVALID_ARGUMENT for an event
/// without ids; FAILED_PRECONDITION when `current` holds another application
/// or `call` is null though the partner side is there.
absl::StatusOr<Transition> ApplyApplicationSubmitted(const v1::JointCall* call,
                                                     const v1::JointProposal* current,
                                                     const calls::v1::ApplicationSubmitted& event,
                                                     const JstKey& key, const Context& ctx);

/// The proposal of `proposals` whose JST side (filed or withdrawn) is
/// `application_id`; null when none.
const v1::JointProposal* ProposalOfApplication(const std::vector<v1::JointProposal>& proposals,
                                               std::string_view application_id);

/// True when `event` was withdrawn (withdrawn_at) before `side`'s submission
/// was submitted (submitted_at): a late copy of the withdrawal of an earlier
/// submission, possibly filed under another joint proposal. False when
/// either time is missing.
bool WithdrawalPrecedesSubmission(const v1::JstSide& side,
                                  const calls::v1::ApplicationWithdrawn& event);

/// ApplicationWithdrawn on `current`, the proposal holding the application:
/// the JST side leaves the pairing (moved to withdrawn_jst with the time and
/// reason; matched_at cleared), so the partner side is unmatched again. The
/// same withdrawal again, one of an application `current` does not hold
/// (null: never filed here), or one older than the held submission
/// (WithdrawalPrecedesSubmission) changes nothing. INVALID_ARGUMENT for an
/// event without ids; FAILED_PRECONDITION once the joint decision is made
/// (the project, if any, is projects' to end).
absl::StatusOr<Transition> ApplyApplicationWithdrawn(const v1::JointProposal* current,
                                                     const calls::v1::ApplicationWithdrawn& event,
                                                     const Context& ctx);

/// A partner-side proposal (see SubmitPartnerProposal in international.proto).
/// `current`: the proposal stored under the normalised joint proposal id, or
/// null. `partner_reference_holder`: the joint proposal id that already holds
/// this partner reference in the joint call, or empty. The actor must be
/// staff or the call's partner (NOT_FOUND otherwise).
absl::StatusOr<Transition> SubmitPartnerProposal(const v1::JointCall& call,
                                                 const v1::PartnerAgency& agency,
                                                 const v1::JointProposal* current,
                                                 std::string_view partner_reference_holder,
                                                 const v1::SubmitPartnerProposalRequest& request,
                                                 const Context& ctx);

/// Whether `decision` may decide `submission`: the same application, and not
/// decided before it was submitted (a decision on an earlier, withdrawn
/// submission). True when either time is missing.
bool DecidesSubmission(const reviews::v1::ProposalDecided& decision,
                       const calls::v1::ApplicationSubmitted& submission);

/// INVALID_ARGUMENT with every violation when a JST decision (reviews'
/// ProposalDecided) lacks the ids it is filed and found by: decision_id,
/// application_id, call_id.
absl::Status ValidateJstDecision(const reviews::v1::ProposalDecided& decision);

/// The JST decision (reviews' ProposalDecided with joint_call set) on the
/// application in `current`. `call` may be null while the joint call is not
/// created yet: the decision is then only recorded (there is no partner side
/// to combine it with; the rules run when the partner files). INVALID_ARGUMENT
/// as ValidateJstDecision, or when `current` is in another joint call;
/// FAILED_PRECONDITION when `current` has no JST side for
/// decision.application_id, or `call` is null though the partner side is there.
absl::StatusOr<Transition> ApplyJstDecision(const v1::JointCall* call,
                                            const v1::JointProposal& current,
                                            const reviews::v1::ProposalDecided& decision,
                                            const Context& ctx);

/// The partner's decision. NOT_FOUND for an unknown joint proposal (null
/// `current`) or a caller who is not this call's partner; FAILED_PRECONDITION
/// without a partner-side proposal.
absl::StatusOr<Transition> RecordPartnerDecision(const v1::JointCall& call,
                                                 const v1::PartnerAgency& agency,
                                                 const v1::JointProposal* current,
                                                 const v1::RecordPartnerDecisionRequest& request,
                                                 const Context& ctx);

/// SATREPS Record of Discussions. FAILED_PRECONDITION for another call type,
/// no partner-side proposal, a known rejection, or a different R/D on record;
/// the same R/D again changes nothing.
absl::StatusOr<Transition> RecordRecordOfDiscussions(
    const v1::JointCall& call, const v1::JointProposal* current,
    const v1::RecordRecordOfDiscussionsRequest& request, const Context& ctx);

/// The state a proposal's content implies.
v1::JointProposalState StateOf(const v1::JointProposal& proposal);

}  // namespace tane::international
