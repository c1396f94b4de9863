#pragma once
// Builders and a small driver for the international domain tests.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tane/international/joint_call.h"
#include "tane/international/proposal.h"
#include "tane/international/registry.h"

namespace tane::international::testing {

inline constexpr char kCallId[] = "5f0c1c1e-8c1a-4d7e-9a51-0d3f6a2b7c10";
inline constexpr char kOtherCallId[] = "9a8b7c6d-1e2f-4a3b-8c4d-5e6f7a8b9c0d";
inline constexpr char kApplicationId[] = "0b7e2a44-1f3c-4f6a-b6a1-3d2c1b0a9f88";

/// 2017-06-07 00:00 JST plus `days`.
absl::Time Day(int days = 0);
/// `t` to whole seconds.
google::protobuf::Timestamp Ts(absl::Time t);

common::v1::Actor Staff();
/// A partner acting for `agency`.
common::v1::Actor Partner(const std::string& agency = "ANR");
common::v1::Actor System();
Context Ctx(const common::v1::Actor& actor, absl::Time now = Day());

/// ANR (France, EUR) sharing titles, team, budget and decisions.
v1::PartnerAgency Anr();
/// NSF (USA, USD), sharing titles only.
v1::PartnerAgency Nsf();
/// JICA (Japan, JPY) for SATREPS.
v1::PartnerAgency Jica();

/// A parallel SICORP joint call with ANR on kCallId, EUR 100,000.00–500,000.00.
v1::JointCall ParallelCall();
/// The same call under the lead-agency model, led by `lead`.
v1::JointCall LeadCall(v1::Side lead);
/// A SATREPS call with JICA on kOtherCallId (parallel).
v1::JointCall SatrepsCall();

/// ApplicationSubmitted of kApplicationId in `call_id` with joint proposal
/// id `joint_id`, a Japanese title, a team and sensitive personal data.
calls::v1::ApplicationSubmitted Submitted(const std::string& joint_id = "JP-001",
                                          const std::string& call_id = kCallId,
                                          const std::string& application_id = kApplicationId,
                                          const std::string& partner_agency = "ANR");

/// calls' ApplicationWithdrawn of kApplicationId in kCallId, at `at`.
calls::v1::ApplicationWithdrawn Withdrawn(absl::Time at);

/// A valid partner proposal for ParallelCall (EUR 250,000.00).
v1::PartnerProposal PartnerProposalFor(const std::string& joint_id = "JP-001",
                                       const std::string& reference = "ANR-17-JAPA-0001");
/// A JICA-side proposal with its SATREPS request (JPY).
v1::PartnerProposal SatrepsProposalFor(const std::string& joint_id = "SAT-01");

/// reviews' ProposalDecided of kApplicationId in kCallId, with the
/// supervisor's (internal) reason and a departure from the ranking.
reviews::v1::ProposalDecided JstDecision(bool adopted, const std::string& decision_id = "dec-1");
v1::PartnerDecision PartnerDecisionOf(bool adopted, const std::string& reference = "ANR-D-1");

/// Drives one joint proposal through commands, keeping the stored proposal
/// as the wiring would (written only when a transition changed it) and
/// every event published.
class Driver {
 public:
  Driver(v1::JointCall call, v1::PartnerAgency agency) : call_(call), agency_(agency) {}

  absl::StatusOr<Transition> Submit(const calls::v1::ApplicationSubmitted& event,
                                    absl::Time now = Day());
  absl::StatusOr<Transition> PartnerProposal(const v1::PartnerProposal& proposal,
                                             absl::Time now = Day());
  absl::StatusOr<Transition> Jst(const reviews::v1::ProposalDecided& decision,
                                 absl::Time now = Day());
  absl::StatusOr<Transition> PartnerDecision(const v1::PartnerDecision& decision,
                                             absl::Time now = Day());
  absl::StatusOr<Transition> Withdraw(const calls::v1::ApplicationWithdrawn& event,
                                      absl::Time now = Day());
  absl::StatusOr<Transition> Rd(const std::string& reference, absl::Time signed_at,
                                absl::Time now = Day());

  const std::optional<v1::JointProposal>& proposal() const { return proposal_; }
  const std::vector<Event>& events() const { return events_; }
  /// The events of one type published so far.
  template <typename E>
  std::vector<E> EventsOf() const {
    std::vector<E> out;
    for (const auto& e : events_) {
      if (const E* typed = std::get_if<E>(&e)) out.push_back(*typed);
    }
    return out;
  }
  const v1::JointCall& call() const { return call_; }
  std::string joint_id() const { return proposal_ ? proposal_->joint_proposal_id() : "JP-001"; }

 private:
  absl::StatusOr<Transition> Keep(absl::StatusOr<Transition> t);
  const v1::JointProposal* current() const { return proposal_ ? &*proposal_ : nullptr; }

  v1::JointCall call_;
  v1::PartnerAgency agency_;
  std::optional<v1::JointProposal> proposal_;
  std::vector<Event> events_;
};

}  // namespace tane::international::testing
