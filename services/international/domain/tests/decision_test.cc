// The both-sides rule (parallel model), the lead-agency model, repeated and
// contradicting decisions, over every combination and arrival order.

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tane/core/errors.h"
#include "test_support.h"

namespace tane::international {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;
using namespace tane::international::testing;  // NOLINT

enum class Step { kJstFiles, kPartnerFiles, kJstDecides, kPartnerDecides };

const char* Name(Step s) {
  switch (s) {
    case Step::kJstFiles:
      return "jst-files";
    case Step::kPartnerFiles:
      return "partner-files";
    case Step::kJstDecides:
      return "jst-decides";
    case Step::kPartnerDecides:
      return "partner-decides";
  }
  return "?";
}

// Every order of the four steps in which each side decides after filing:
// the 6 interleavings of (JST files, JST decides) with (partner files,
// partner decides), JST-first and partner-first alike.
std::vector<std::vector<Step>> ArrivalOrders() {
  std::vector<Step> steps = {Step::kJstFiles, Step::kPartnerFiles, Step::kJstDecides,
                             Step::kPartnerDecides};
  std::vector<std::vector<Step>> out;
  std::sort(steps.begin(), steps.end());
  do {
    auto pos = [&](Step s) { return std::find(steps.begin(), steps.end(), s) - steps.begin(); };
    if (pos(Step::kJstFiles) < pos(Step::kJstDecides) &&
        pos(Step::kPartnerFiles) < pos(Step::kPartnerDecides)) {
      out.push_back(steps);
    }
  } while (std::next_permutation(steps.begin(), steps.end()));
  return out;
}

std::string OrderName(const std::vector<Step>& order) {
  std::vector<std::string> names;
  for (Step s : order) names.push_back(Name(s));
  return absl::StrJoin(names, " → ");
}

absl::StatusOr<Transition> RunStep(Driver& d, Step step, std::optional<bool> jst,
                                   std::optional<bool> partner, int at) {
  const absl::Time now = Day(at);
  switch (step) {
    case Step::kJstFiles:
      return d.Submit(Submitted(), now);
    case Step::kPartnerFiles:
      return d.PartnerProposal(PartnerProposalFor(), now);
    case Step::kJstDecides:
      return d.Jst(JstDecision(*jst), now);
    case Step::kPartnerDecides:
      return d.PartnerDecision(PartnerDecisionOf(*partner), now);
  }
  return absl::InternalError("unreachable");
}

struct Combination {
  std::optional<bool> jst;      // nullopt: JST has not decided
  std::optional<bool> partner;  // nullopt: the partner has not decided
  std::optional<v1::JointOutcome> outcome;
};

std::string Word(std::optional<bool> d) { return !d ? "none" : (*d ? "adopted" : "rejected"); }

TEST(ParallelModelTest, BothSidesRuleOverEveryCombinationAndArrivalOrder) {
  const std::vector<Combination> combinations = {
      {true, true, v1::JOINT_OUTCOME_ADOPTED},
      {false, true, v1::JOINT_OUTCOME_REJECTED_BY_JST},
      {true, false, v1::JOINT_OUTCOME_REJECTED_BY_PARTNER},
      {false, false, v1::JOINT_OUTCOME_REJECTED_BY_BOTH},
      {true, std::nullopt, std::nullopt},
      {false, std::nullopt, std::nullopt},
      {std::nullopt, true, std::nullopt},
      {std::nullopt, false, std::nullopt},
      {std::nullopt, std::nullopt, std::nullopt},
  };
  const auto orders = ArrivalOrders();
  ASSERT_EQ(orders.size(), 6u);
  int cases = 0;
  for (const auto& c : combinations) {
    for (const auto& order : orders) {
      SCOPED_TRACE(
          absl::StrCat("JST ", Word(c.jst), ", partner ", Word(c.partner), "; ", OrderName(order)));
      ++cases;
      Driver d(ParallelCall(), Anr());
      std::vector<Step> done;
      for (Step step : order) {
        if ((step == Step::kJstDecides && !c.jst) ||
            (step == Step::kPartnerDecides && !c.partner)) {
          continue;
        }
        const size_t decisions_before = d.EventsOf<v1::JointDecisionMade>().size();
        auto t = RunStep(d, step, c.jst, c.partner, static_cast<int>(done.size()));
        ASSERT_TRUE(t.ok()) << t.status();
        EXPECT_TRUE(t->changed);
        EXPECT_TRUE(t->refusal.ok());
        done.push_back(step);
        const bool last = done.size() == 4;
        // The joint decision appears exactly at the step that completes it.
        EXPECT_EQ(d.EventsOf<v1::JointDecisionMade>().size() - decisions_before,
                  c.outcome && last ? 1u : 0u)
            << "after " << Name(step);
      }
      const auto decided = d.EventsOf<v1::JointDecisionMade>();
      ASSERT_EQ(decided.size(), c.outcome ? 1u : 0u);
      EXPECT_EQ(d.EventsOf<v1::JointProposalMatched>().size(), 1u);
      const v1::JointProposal& p = *d.proposal();
      if (c.outcome) {
        EXPECT_EQ(decided[0].outcome(), *c.outcome);
        EXPECT_EQ(decided[0].adopted(), *c.outcome == v1::JOINT_OUTCOME_ADOPTED);
        EXPECT_EQ(p.decision().outcome(), *c.outcome);
        EXPECT_EQ(p.state(), v1::JOINT_PROPOSAL_STATE_DECIDED);
      } else {
        EXPECT_FALSE(p.has_decision());
        EXPECT_EQ(p.state(), v1::JOINT_PROPOSAL_STATE_AWAITING_DECISIONS);
      }
      // Every step again (late or repeated deliveries): nothing changes.
      const int64_t version = p.version();
      const size_t events = d.events().size();
      for (Step step : done) {
        auto again = RunStep(d, step, c.jst, c.partner, 10);
        ASSERT_TRUE(again.ok()) << Name(step) << ": " << again.status();
        EXPECT_FALSE(again->changed) << Name(step);
        EXPECT_TRUE(again->refusal.ok());
      }
      EXPECT_EQ(d.proposal()->version(), version);
      EXPECT_EQ(d.events().size(), events);
    }
  }
  EXPECT_EQ(cases, 54);
}

TEST(ParallelModelTest, JointDecisionCarriesWhatProjectsNeeds) {
  Driver d(ParallelCall(), Anr());
  ASSERT_TRUE(d.Submit(Submitted()).ok());
  ASSERT_TRUE(d.PartnerProposal(PartnerProposalFor()).ok());
  ASSERT_TRUE(d.PartnerDecision(PartnerDecisionOf(true)).ok());
  ASSERT_TRUE(d.Jst(JstDecision(true, "reviews-decision-7"), Day(3)).ok());
  const auto decided = d.EventsOf<v1::JointDecisionMade>();
  ASSERT_EQ(decided.size(), 1u);
  const v1::JointDecisionMade& e = decided[0];
  EXPECT_EQ(e.joint_decision_id(), JointDecisionIdFor(ParallelCall().joint_call_id(), "JP-001"));
  EXPECT_EQ(e.joint_call_id(), ParallelCall().joint_call_id());
  EXPECT_EQ(e.call_id(), kCallId);
  EXPECT_EQ(e.application_id(), kApplicationId);
  EXPECT_EQ(e.program_id(), "sicorp-core-team");
  EXPECT_EQ(e.research_area_id(), "area-thermal");
  EXPECT_EQ(e.partner_agency(), "ANR");
  EXPECT_EQ(e.call_type(), v1::JOINT_CALL_TYPE_SICORP_CORE_TEAM);
  EXPECT_EQ(e.review_model(), v1::JOINT_REVIEW_MODEL_PARALLEL);
  EXPECT_EQ(e.jst_decision(), v1::SIDE_DECISION_ADOPTED);
  EXPECT_EQ(e.jst_decision_id(), "reviews-decision-7");
  EXPECT_EQ(e.partner_decision(), v1::SIDE_DECISION_ADOPTED);
  EXPECT_TRUE(MessageDifferencer::Equals(e.jst_submission(), Submitted()));
  EXPECT_EQ(e.partner_proposal().partner_reference_id(), "ANR-17-JAPA-0001");
  EXPECT_EQ(e.partner_decision_detail().partner_decision_reference(), "ANR-D-1");
  EXPECT_EQ(e.decided_at().seconds(), absl::ToUnixSeconds(Day(3)));
  EXPECT_FALSE(e.has_record_of_discussions());
  EXPECT_EQ(e.research_start_time().seconds(), absl::ToUnixSeconds(Day(116)));
}

TEST(ParallelModelTest, JstDecisionBeforeTheJointCallIsRecordedAndCombinedWhenThePartnerFiles) {
  // The application and its decision are consumed before staff created the
  // joint call: the decision is kept on the JST side, nothing is decided yet.
  const Context system = Ctx(System());
  const JstKey key = JstKeyFor(Submitted(), nullptr);
  auto filed = ApplyApplicationSubmitted(nullptr, nullptr, Submitted(), key, system);
  ASSERT_TRUE(filed.ok()) << filed.status();
  auto decided = ApplyJstDecision(nullptr, filed->proposal, JstDecision(true, "dec-7"), system);
  ASSERT_TRUE(decided.ok()) << decided.status();
  EXPECT_TRUE(decided->changed);
  EXPECT_TRUE(decided->events.empty());
  EXPECT_EQ(decided->proposal.jst().decision().decision_id(), "dec-7");
  EXPECT_FALSE(decided->proposal.has_decision());
  auto again = ApplyJstDecision(nullptr, decided->proposal, JstDecision(true, "dec-7"), system);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->changed);

  // The joint call exists now; the partner files and decides: the recorded
  // JST decision counts.
  v1::SubmitPartnerProposalRequest submit;
  submit.set_joint_call_id(ParallelCall().joint_call_id());
  *submit.mutable_partner_proposal() = PartnerProposalFor();
  auto matched = SubmitPartnerProposal(ParallelCall(), Anr(), &decided->proposal, "", submit,
                                       Ctx(Partner()));
  ASSERT_TRUE(matched.ok()) << matched.status();
  v1::RecordPartnerDecisionRequest partner;
  partner.set_joint_call_id(ParallelCall().joint_call_id());
  partner.set_joint_proposal_id("JP-001");
  *partner.mutable_partner_decision() = PartnerDecisionOf(true);
  auto joint = RecordPartnerDecision(ParallelCall(), Anr(), &matched->proposal, partner,
                                     Ctx(Partner()));
  ASSERT_TRUE(joint.ok()) << joint.status();
  EXPECT_EQ(joint->proposal.decision().outcome(), v1::JOINT_OUTCOME_ADOPTED);
  int made = 0;
  for (const Event& e : joint->events) {
    if (const auto* m = std::get_if<v1::JointDecisionMade>(&e)) {
      ++made;
      EXPECT_EQ(m->jst_decision_id(), "dec-7");
    }
  }
  EXPECT_EQ(made, 1);

  // Without the joint call a partner side cannot be combined with.
  auto no_call = ApplyJstDecision(nullptr, matched->proposal, JstDecision(true, "dec-8"), system);
  EXPECT_EQ(no_call.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(ParallelModelTest, JstDecisionWithoutItsIdsListsEveryProblem) {
  reviews::v1::ProposalDecided bare;
  bare.set_joint_call(true);
  const absl::Status s = ValidateJstDecision(bare);
  ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  std::vector<std::string> fields;
  for (const auto& v : core::ViolationsOf(s)) fields.push_back(v.field);
  EXPECT_THAT(fields, ::testing::ElementsAre("decision_id", "application_id", "call_id"));
  EXPECT_TRUE(ValidateJstDecision(JstDecision(true)).ok());
}

struct ContradictionCase {
  std::string name;
  bool partner_first;  // the partner decides before JST
  bool first_decision;
};

TEST(ParallelModelTest, ContradictingPartnerDecisionIsRefusedAndFlaggedOnce) {
  const std::vector<ContradictionCase> cases = {
      {"partner first, adopted then rejected", true, true},
      {"partner first, rejected then adopted", true, false},
      {"JST first, adopted then rejected", false, true},
      {"JST first, rejected then adopted", false, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Driver d(ParallelCall(), Anr());
    ASSERT_TRUE(d.Submit(Submitted()).ok());
    ASSERT_TRUE(d.PartnerProposal(PartnerProposalFor()).ok());
    if (c.partner_first) {
      ASSERT_TRUE(d.PartnerDecision(PartnerDecisionOf(c.first_decision)).ok());
      ASSERT_TRUE(d.Jst(JstDecision(true)).ok());
    } else {
      ASSERT_TRUE(d.Jst(JstDecision(true)).ok());
      ASSERT_TRUE(d.PartnerDecision(PartnerDecisionOf(c.first_decision)).ok());
    }
    const v1::JointDecision decision = d.proposal()->decision();
    const size_t published = d.EventsOf<v1::JointDecisionMade>().size();
    ASSERT_EQ(published, 1u);

    auto t = d.PartnerDecision(PartnerDecisionOf(!c.first_decision, "ANR-D-2"), Day(5));
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_EQ(t->refusal.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(t->refusal.message(),
                HasSubstr(absl::StrCat("already ", c.first_decision ? "adopted" : "rejected",
                                       " joint proposal JP-001 (ANR-D-1)")));
    EXPECT_THAT(t->refusal.message(), HasSubstr("flagged for the program officer"));
    EXPECT_TRUE(t->changed);  // the flag is written
    const auto flags = d.EventsOf<v1::DecisionConflictFlagged>();
    ASSERT_EQ(flags.size(), 1u);
    EXPECT_EQ(flags[0].conflict().side(), v1::SIDE_PARTNER);
    EXPECT_EQ(flags[0].conflict().refused(),
              c.first_decision ? v1::SIDE_DECISION_REJECTED : v1::SIDE_DECISION_ADOPTED);
    EXPECT_EQ(flags[0].conflict().actor(), "partner:anr-exchange (ANR)");
    // Nothing but the flag changed: the decision on record stands.
    EXPECT_TRUE(MessageDifferencer::Equals(d.proposal()->decision(), decision));
    EXPECT_EQ(d.proposal()->partner().decision().partner_decision_reference(), "ANR-D-1");
    EXPECT_EQ(d.EventsOf<v1::JointDecisionMade>().size(), published);

    // The same contradiction again: refused again, not flagged twice.
    auto again = d.PartnerDecision(PartnerDecisionOf(!c.first_decision, "ANR-D-2"), Day(6));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->refusal.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_FALSE(again->changed);
    EXPECT_EQ(d.EventsOf<v1::DecisionConflictFlagged>().size(), 1u);
    EXPECT_EQ(d.proposal()->conflicts_size(), 1);
  }
}

TEST(ParallelModelTest, ContradictionBeforeTheJointDecisionIsRefusedToo) {
  Driver d(ParallelCall(), Anr());
  ASSERT_TRUE(d.PartnerProposal(PartnerProposalFor()).ok());
  ASSERT_TRUE(d.PartnerDecision(PartnerDecisionOf(false)).ok());
  auto t = d.PartnerDecision(PartnerDecisionOf(true));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->refusal.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(d.proposal()->partner().decision().decision(), v1::SIDE_DECISION_REJECTED);
  // JST files and adopts afterwards: the partner's first decision counts.
  ASSERT_TRUE(d.Submit(Submitted()).ok());
  ASSERT_TRUE(d.Jst(JstDecision(true)).ok());
  EXPECT_EQ(d.proposal()->decision().outcome(), v1::JOINT_OUTCOME_REJECTED_BY_PARTNER);
}

TEST(ParallelModelTest, ContradictingJstDecisionIsRefusedAndFlagged) {
  Driver d(ParallelCall(), Anr());
  ASSERT_TRUE(d.Submit(Submitted()).ok());
  ASSERT_TRUE(d.Jst(JstDecision(true, "dec-1")).ok());
  auto t = d.Jst(JstDecision(false, "dec-2"));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->refusal.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(t->refusal.message(),
              HasSubstr("JST already adopted joint proposal JP-001 (decision dec-1)"));
  EXPECT_EQ(d.proposal()->jst().decision().decision_id(), "dec-1");
  ASSERT_EQ(d.EventsOf<v1::DecisionConflictFlagged>().size(), 1u);
  EXPECT_EQ(d.EventsOf<v1::DecisionConflictFlagged>()[0].conflict().side(), v1::SIDE_JST);
}

TEST(ParallelModelTest, LateRepeatWithAnotherReferenceIsIdempotent) {
  Driver d(ParallelCall(), Anr());
  ASSERT_TRUE(d.Submit(Submitted()).ok());
  ASSERT_TRUE(d.PartnerProposal(PartnerProposalFor()).ok());
  ASSERT_TRUE(d.PartnerDecision(PartnerDecisionOf(true, "ANR-D-1")).ok());
  ASSERT_TRUE(d.Jst(JstDecision(true)).ok());
  auto late = d.PartnerDecision(PartnerDecisionOf(true, "ANR-D-1-resent"), Day(30));
  ASSERT_TRUE(late.ok());
  EXPECT_FALSE(late->changed);
  EXPECT_TRUE(late->refusal.ok());
  EXPECT_EQ(d.proposal()->partner().decision().partner_decision_reference(), "ANR-D-1");
}

TEST(ParallelModelTest, PartnerDecisionNeedsItsProposal) {
  Driver nothing(ParallelCall(), Anr());
  auto unknown = nothing.PartnerDecision(PartnerDecisionOf(true));
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(unknown.status().message(), HasSubstr("has no joint proposal JP-001"));

  Driver jst_only(ParallelCall(), Anr());
  ASSERT_TRUE(jst_only.Submit(Submitted()).ok());
  auto early = jst_only.PartnerDecision(PartnerDecisionOf(true));
  EXPECT_EQ(early.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(early.status().message(), HasSubstr("has no partner proposal yet"));
}

TEST(ParallelModelTest, InvalidPartnerDecisionListsEveryProblem) {
  Driver d(ParallelCall(), Anr());
  ASSERT_TRUE(d.PartnerProposal(PartnerProposalFor()).ok());
  v1::PartnerDecision bad;
  bad.set_decision(v1::SIDE_DECISION_REJECTED);
  bad.mutable_decided_at()->set_seconds(absl::ToUnixSeconds(Day(2)));
  bad.mutable_approved_amount()->set_currency_code("EUR");
  bad.mutable_approved_amount()->set_units(100);
  auto t = d.PartnerDecision(bad, Day(0));
  ASSERT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  std::vector<std::string> fields;
  for (const auto& v : core::ViolationsOf(t.status())) fields.push_back(v.field);
  EXPECT_THAT(fields, ::testing::UnorderedElementsAre("partner_decision.decided_at",
                                                      "partner_decision.approved_amount"));

  v1::PartnerDecision wrong_currency = PartnerDecisionOf(true);
  wrong_currency.mutable_approved_amount()->set_currency_code("USD");
  wrong_currency.mutable_approved_amount()->set_units(100);
  t = d.PartnerDecision(wrong_currency);
  ASSERT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  ASSERT_EQ(core::ViolationsOf(t.status()).size(), 1u);
  EXPECT_EQ(core::ViolationsOf(t.status())[0].field,
            "partner_decision.approved_amount.currency_code");
}

TEST(ParallelModelTest, ExpectedVersionMismatchIsAborted) {
  Driver d(ParallelCall(), Anr());
  ASSERT_TRUE(d.PartnerProposal(PartnerProposalFor()).ok());
  v1::RecordPartnerDecisionRequest r;
  r.set_joint_call_id(ParallelCall().joint_call_id());
  r.set_joint_proposal_id("JP-001");
  *r.mutable_partner_decision() = PartnerDecisionOf(true);
  r.set_expected_version(7);
  auto t = RecordPartnerDecision(ParallelCall(), Anr(), &*d.proposal(), r, Ctx(Partner()));
  EXPECT_EQ(t.status().code(), absl::StatusCode::kAborted);
}

// ---- Lead-agency model -----------------------------------------------------

enum class Follower { kNone, kSameBefore, kSameAfter, kDifferentBefore, kDifferentAfter };

struct LeadCase {
  std::string name;
  v1::Side lead;
  bool lead_adopts;
  Follower follower;
};

TEST(LeadAgencyModelTest, TheLeadsDecisionIsFinalForBothSides) {
  std::vector<LeadCase> cases;
  for (v1::Side lead : {v1::SIDE_JST, v1::SIDE_PARTNER}) {
    for (bool adopts : {true, false}) {
      for (Follower f : {Follower::kNone, Follower::kSameBefore, Follower::kSameAfter,
                         Follower::kDifferentBefore, Follower::kDifferentAfter}) {
        cases.push_back(
            {absl::StrCat(lead == v1::SIDE_JST ? "JST" : "partner", " leads, ",
                          adopts ? "adopts" : "rejects", ", follower case ", static_cast<int>(f)),
             lead, adopts, f});
      }
    }
  }
  ASSERT_EQ(cases.size(), 20u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Driver d(LeadCall(c.lead), Anr());
    ASSERT_TRUE(d.Submit(Submitted()).ok());
    ASSERT_TRUE(d.PartnerProposal(PartnerProposalFor()).ok());
    const bool jst_leads = c.lead == v1::SIDE_JST;
    auto lead_decides = [&] {
      return jst_leads ? d.Jst(JstDecision(c.lead_adopts), Day(2))
                       : d.PartnerDecision(PartnerDecisionOf(c.lead_adopts), Day(2));
    };
    auto follower_decides = [&](bool adopts) {
      return jst_leads ? d.PartnerDecision(PartnerDecisionOf(adopts), Day(3))
                       : d.Jst(JstDecision(adopts), Day(3));
    };
    const bool same = c.follower == Follower::kSameBefore || c.follower == Follower::kSameAfter;
    const bool follower_adopts = same ? c.lead_adopts : !c.lead_adopts;
    if (c.follower == Follower::kSameBefore || c.follower == Follower::kDifferentBefore) {
      auto t = follower_decides(follower_adopts);
      ASSERT_TRUE(t.ok()) << t.status();
      EXPECT_TRUE(t->refusal.ok());
      EXPECT_TRUE(d.EventsOf<v1::JointDecisionMade>().empty())
          << "the follower alone decides nothing";
    }
    auto t = lead_decides();
    ASSERT_TRUE(t.ok()) << t.status();
    ASSERT_EQ(d.EventsOf<v1::JointDecisionMade>().size(), 1u) << "decided by the lead at once";
    const v1::JointOutcome expected = c.lead_adopts
                                          ? v1::JOINT_OUTCOME_ADOPTED
                                          : (jst_leads ? v1::JOINT_OUTCOME_REJECTED_BY_JST
                                                       : v1::JOINT_OUTCOME_REJECTED_BY_PARTNER);
    EXPECT_EQ(d.EventsOf<v1::JointDecisionMade>()[0].outcome(), expected);
    EXPECT_EQ(d.EventsOf<v1::JointDecisionMade>()[0].lead_side(), c.lead);
    EXPECT_EQ(d.EventsOf<v1::DecisionConflictFlagged>().size(),
              c.follower == Follower::kDifferentBefore ? 1u : 0u);
    if (c.follower == Follower::kDifferentBefore) {
      EXPECT_THAT(d.EventsOf<v1::DecisionConflictFlagged>()[0].conflict().message(),
                  HasSubstr("is overridden"));
    }
    if (c.follower == Follower::kSameAfter || c.follower == Follower::kDifferentAfter) {
      auto f = follower_decides(follower_adopts);
      ASSERT_TRUE(f.ok()) << f.status();
      if (same) {
        EXPECT_TRUE(f->refusal.ok());
      } else {
        EXPECT_EQ(f->refusal.code(), absl::StatusCode::kFailedPrecondition);
        EXPECT_THAT(f->refusal.message(), HasSubstr("is the lead agency"));
        EXPECT_EQ(d.EventsOf<v1::DecisionConflictFlagged>().size(), 1u);
      }
    }
    EXPECT_EQ(d.proposal()->decision().outcome(), expected);
    EXPECT_EQ(d.EventsOf<v1::JointDecisionMade>().size(), 1u);
  }
}

TEST(LeadAgencyModelTest, LeadDecisionBeforeMatchingDecidesOnMatch) {
  Driver d(LeadCall(v1::SIDE_JST), Anr());
  ASSERT_TRUE(d.Submit(Submitted()).ok());
  ASSERT_TRUE(d.Jst(JstDecision(true)).ok());
  EXPECT_TRUE(d.EventsOf<v1::JointDecisionMade>().empty());
  EXPECT_EQ(d.proposal()->state(), v1::JOINT_PROPOSAL_STATE_AWAITING_PARTNER_PROPOSAL);
  auto t = d.PartnerProposal(PartnerProposalFor());
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(d.EventsOf<v1::JointDecisionMade>().size(), 1u);
  EXPECT_EQ(d.EventsOf<v1::JointDecisionMade>()[0].outcome(), v1::JOINT_OUTCOME_ADOPTED);
  EXPECT_EQ(d.EventsOf<v1::JointDecisionMade>()[0].partner_decision(),
            v1::SIDE_DECISION_UNSPECIFIED);
}

}  // namespace
}  // namespace tane::international
