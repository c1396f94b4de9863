// Matching JST applications with partner proposals, the matching-rate KPI and
// the unmatched lists.

#include "absl/strings/ascii.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tane/core/errors.h"
#include "tane/international/views.h"
#include "test_support.h"

namespace tane::international {
namespace {

using ::testing::HasSubstr;
using namespace tane::international::testing;  // NOLINT

TEST(JointProposalIdTest, NormalisesWhatApplicantsType) {
  struct Case {
    std::string raw;
    std::string normalized;
    bool usable;
  };
  const std::vector<Case> cases = {
      {"jp-001", "JP-001", true},
      {"  JP-001\t", "JP-001", true},
      {"\xE3\x80\x80jp-001\xE3\x80\x80", "JP-001", true},  // ideographic spaces
      {"anr.2017_07", "ANR.2017_07", true},
      {"", "", false},
      {"JP 001", "JP 001", false},
      {"ＪＰ－００１", "ＪＰ－００１", false},  // full-width: not an id
      {"jst-123", "JST-123", false},            // reserved prefix
      {std::string(65, 'A'), std::string(65, 'A'), false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.raw);
    EXPECT_EQ(NormalizeJointProposalId(c.raw), c.normalized);
    EXPECT_EQ(JointProposalIdProblem(c.normalized).empty(), c.usable);
  }
}

TEST(MatchingTest, MatchesWhicheverSideComesSecondWithCaseDifferences) {
  for (bool jst_first : {true, false}) {
    SCOPED_TRACE(jst_first ? "JST first" : "partner first");
    Driver d(ParallelCall(), Anr());
    if (jst_first) {
      ASSERT_TRUE(d.Submit(Submitted(" jp-001 ")).ok());
      EXPECT_EQ(d.proposal()->state(), v1::JOINT_PROPOSAL_STATE_AWAITING_PARTNER_PROPOSAL);
      ASSERT_TRUE(d.PartnerProposal(PartnerProposalFor("JP-001"), Day(1)).ok());
    } else {
      ASSERT_TRUE(d.PartnerProposal(PartnerProposalFor("Jp-001")).ok());
      EXPECT_EQ(d.proposal()->state(), v1::JOINT_PROPOSAL_STATE_AWAITING_JST_PROPOSAL);
      ASSERT_TRUE(d.Submit(Submitted("JP-001"), Day(1)).ok());
    }
    const auto matched = d.EventsOf<v1::JointProposalMatched>();
    ASSERT_EQ(matched.size(), 1u);
    EXPECT_EQ(matched[0].joint_proposal_id(), "JP-001");
    EXPECT_EQ(matched[0].application_id(), kApplicationId);
    EXPECT_EQ(matched[0].partner_reference_id(), "ANR-17-JAPA-0001");
    EXPECT_EQ(matched[0].matched_at().seconds(), absl::ToUnixSeconds(Day(1)));
    EXPECT_EQ(d.proposal()->state(), v1::JOINT_PROPOSAL_STATE_AWAITING_DECISIONS);
    EXPECT_EQ(d.proposal()->version(), 2);
  }
}

TEST(MatchingTest, ApplicationsThatCannotBeMatchedAreKeptUnderTheirOwnKey) {
  struct Case {
    std::string name;
    std::string joint_id;
    std::string problem;
  };
  const std::vector<Case> cases = {
      {"no id", "", "gives no joint proposal id"},
      {"malformed id", "共同-1", "may contain only letters"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto event = Submitted(c.joint_id);
    const JstKey key = JstKeyFor(event, nullptr);
    EXPECT_EQ(key.joint_proposal_id, absl::AsciiStrToUpper(std::string("JST-") + kApplicationId));
    EXPECT_THAT(key.problem, HasSubstr(c.problem));
    auto t = ApplyApplicationSubmitted(nullptr, nullptr, event, key, Ctx(System()));
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_EQ(t->proposal.match_problem(), key.problem);
    EXPECT_EQ(t->proposal.joint_call_id(), JointCallIdFor(kCallId));
  }
}

TEST(MatchingTest, SecondApplicationWithTheSameIdIsNotMatched) {
  Driver d(ParallelCall(), Anr());
  ASSERT_TRUE(d.Submit(Submitted("JP-001")).ok());
  const auto second = Submitted("JP-001", kCallId, "11111111-2222-4333-8444-555555555555");
  const JstKey key = JstKeyFor(second, &*d.proposal());
  EXPECT_EQ(key.joint_proposal_id, "JST-11111111-2222-4333-8444-555555555555");
  EXPECT_THAT(key.problem, HasSubstr("already used by application " + std::string(kApplicationId)));
  // Applying it to the held proposal anyway is refused.
  auto t = ApplyApplicationSubmitted(&d.call(), &*d.proposal(), second, JstKey{"JP-001", ""},
                                     Ctx(System()));
  EXPECT_EQ(t.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(MatchingTest, PartnerReferencesAreUniqueAndRevisableUntilDecided) {
  Driver d(ParallelCall(), Anr());
  ASSERT_TRUE(d.PartnerProposal(PartnerProposalFor("JP-001", "ANR-1")).ok());
  // Same content again: nothing changes.
  auto same = d.PartnerProposal(PartnerProposalFor("jp-001", "ANR-1"));
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(same->changed);
  // Another reference under the same joint id.
  auto other = d.PartnerProposal(PartnerProposalFor("JP-001", "ANR-2"));
  EXPECT_EQ(other.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(other.status().message(), HasSubstr("already has partner proposal ANR-1"));
  // The same reference under another joint id.
  v1::SubmitPartnerProposalRequest r;
  r.set_joint_call_id(ParallelCall().joint_call_id());
  *r.mutable_partner_proposal() = PartnerProposalFor("JP-002", "ANR-1");
  auto moved = SubmitPartnerProposal(ParallelCall(), Anr(), nullptr, "JP-001", r, Ctx(Partner()));
  EXPECT_EQ(moved.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(moved.status().message(), HasSubstr("already filed under joint proposal JP-001"));
  // A revision before the decision is taken.
  v1::PartnerProposal revised = PartnerProposalFor("JP-001", "ANR-1");
  revised.mutable_requested_amount()->set_units(30000000);
  auto rev = d.PartnerProposal(revised);
  ASSERT_TRUE(rev.ok()) << rev.status();
  EXPECT_TRUE(rev->changed);
  EXPECT_TRUE(rev->events.empty());
  EXPECT_EQ(d.proposal()->partner().proposal().requested_amount().units(), 30000000);
  // After the partner decided, no more revisions.
  ASSERT_TRUE(d.PartnerDecision(PartnerDecisionOf(true)).ok());
  revised.mutable_requested_amount()->set_units(40000000);
  auto late = d.PartnerProposal(revised);
  EXPECT_EQ(late.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(late.status().message(), HasSubstr("the partner has decided"));
}

TEST(MatchingTest, PartnerProposalValidationListsEveryProblem) {
  v1::PartnerProposal p;
  p.set_joint_proposal_id("JP 1");
  p.mutable_principal_investigator()->set_email("not-an-email");
  p.mutable_principal_investigator()->set_orcid("0000-0002-1825-0098");
  p.mutable_institution()->set_country_code("fr");
  p.mutable_requested_amount()->set_currency_code("USD");
  p.mutable_requested_amount()->set_units(100);
  v1::SubmitPartnerProposalRequest r;
  r.set_joint_call_id(ParallelCall().joint_call_id());
  *r.mutable_partner_proposal() = p;
  auto t = SubmitPartnerProposal(ParallelCall(), Anr(), nullptr, "", r, Ctx(Partner()));
  ASSERT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  std::vector<std::string> fields;
  for (const auto& v : core::ViolationsOf(t.status())) fields.push_back(v.field);
  EXPECT_THAT(fields,
              ::testing::UnorderedElementsAre(
                  "partner_proposal.joint_proposal_id", "partner_proposal.partner_reference_id",
                  "partner_proposal.title_en", "partner_proposal.principal_investigator.name",
                  "partner_proposal.principal_investigator.email",
                  "partner_proposal.principal_investigator.orcid",
                  "partner_proposal.institution.name", "partner_proposal.institution.country_code",
                  "partner_proposal.requested_amount.currency_code"));
}

TEST(MatchingTest, RequestedAmountMustBeWithinThePartnersRange) {
  struct Case {
    int64_t cents;
    bool ok;
  };
  for (const Case& c :
       {Case{9999999, false}, Case{10000000, true}, Case{50000000, true}, Case{50000001, false}}) {
    SCOPED_TRACE(c.cents);
    v1::SubmitPartnerProposalRequest r;
    r.set_joint_call_id(ParallelCall().joint_call_id());
    *r.mutable_partner_proposal() = PartnerProposalFor();
    r.mutable_partner_proposal()->mutable_requested_amount()->set_units(c.cents);
    auto t = SubmitPartnerProposal(ParallelCall(), Anr(), nullptr, "", r, Ctx(Partner()));
    EXPECT_EQ(t.ok(), c.ok) << t.status();
    if (!c.ok) {
      EXPECT_THAT(t.status().ToString(),
                  HasSubstr(c.cents < 10000000 ? "is below the minimum EUR 100,000.00"
                                               : "is above the maximum EUR 500,000.00"));
    }
  }
}

TEST(MatchingReportTest, CountsRateAndUnmatchedLists) {
  std::vector<v1::JointProposal> proposals;
  auto keep = [&](absl::StatusOr<Transition> t) {
    ASSERT_TRUE(t.ok()) << t.status();
    proposals.push_back(t->proposal);
  };
  const v1::JointCall call = ParallelCall();
  // Three matched pairs.
  for (const std::string id : {"JP-001", "JP-002", "JP-003"}) {
    Driver d(call, Anr());
    const std::string app = "00000000-0000-4000-8000-00000000000" + id.substr(5);
    ASSERT_TRUE(d.Submit(Submitted(id, kCallId, app)).ok());
    ASSERT_TRUE(d.PartnerProposal(PartnerProposalFor(id, "ANR-" + id)).ok());
    proposals.push_back(*d.proposal());
  }
  // One JST-only, one with no id, two partner-only.
  const auto jst_only = Submitted("JP-010", kCallId, "00000000-0000-4000-8000-000000000010");
  keep(ApplyApplicationSubmitted(&call, nullptr, jst_only, JstKeyFor(jst_only, nullptr),
                                 Ctx(System())));
  const auto no_id = Submitted("", kCallId, "00000000-0000-4000-8000-000000000011");
  keep(ApplyApplicationSubmitted(&call, nullptr, no_id, JstKeyFor(no_id, nullptr), Ctx(System())));
  for (const std::string id : {"JP-020", "JP-021"}) {
    Driver d(call, Anr());
    keep(d.PartnerProposal(PartnerProposalFor(id, "ANR-" + id)));
  }
  const v1::MatchingReport r = BuildMatchingReport(call.joint_call_id(), proposals);
  EXPECT_EQ(r.jst_proposals(), 5);
  EXPECT_EQ(r.partner_proposals(), 5);
  EXPECT_EQ(r.matched(), 3);
  EXPECT_EQ(r.jst_only(), 2);
  EXPECT_EQ(r.partner_only(), 2);
  EXPECT_EQ(r.matching_rate_bp(), 4285);      // 3 / 7, rounded down
  EXPECT_EQ(r.jst_matching_rate_bp(), 6000);  // 3 / 5
  ASSERT_EQ(r.unmatched_size(), 4);
  EXPECT_EQ(r.unmatched(0).joint_proposal_id(), "JP-010");
  EXPECT_EQ(r.unmatched(0).side(), v1::SIDE_JST);
  EXPECT_EQ(r.unmatched(0).title(), "熱輸送のスペクトル学的理解と機能的制御");
  EXPECT_EQ(r.unmatched(1).side(), v1::SIDE_PARTNER);
  EXPECT_EQ(r.unmatched(1).partner_reference_id(), "ANR-JP-020");
  EXPECT_THAT(r.unmatched(1).problem(), HasSubstr("no JST application"));
  EXPECT_EQ(r.unmatched(3).side(), v1::SIDE_JST);
  EXPECT_EQ(r.unmatched(3).application_id(), "00000000-0000-4000-8000-000000000011");
  EXPECT_THAT(r.unmatched(3).problem(), HasSubstr("gives no joint proposal id"));

  const v1::MatchingReport empty = BuildMatchingReport(call.joint_call_id(), {});
  EXPECT_EQ(empty.matching_rate_bp(), 0);
  EXPECT_EQ(empty.jst_matching_rate_bp(), 0);
}

TEST(WithdrawalTest, WithdrawnApplicationLeavesThePairingUntilItIsSubmittedAgain) {
  Driver d(ParallelCall(), Anr());
  ASSERT_TRUE(d.Submit(Submitted()).ok());
  ASSERT_TRUE(d.PartnerProposal(PartnerProposalFor()).ok());
  ASSERT_EQ(d.proposal()->state(), v1::JOINT_PROPOSAL_STATE_AWAITING_DECISIONS);

  auto withdrawn = d.Withdraw(Withdrawn(Day(2)), Day(2));
  ASSERT_TRUE(withdrawn.ok()) << withdrawn.status();
  EXPECT_TRUE(withdrawn->changed);
  const v1::JointProposal& p = *d.proposal();
  EXPECT_EQ(p.state(), v1::JOINT_PROPOSAL_STATE_AWAITING_JST_PROPOSAL);
  EXPECT_FALSE(p.has_jst());
  EXPECT_FALSE(p.has_matched_at());
  EXPECT_EQ(p.withdrawn_jst().submission().application().application_id(), kApplicationId);
  EXPECT_EQ(p.withdrawn_jst().withdrawn_at().seconds(), absl::ToUnixSeconds(Day(2)));
  EXPECT_EQ(p.withdrawn_jst().withdrawal_reason(), "共同研究者の異動のため");
  const v1::MatchingReport unpaired = BuildMatchingReport(ParallelCall().joint_call_id(), {p});
  EXPECT_EQ(unpaired.matched(), 0);
  EXPECT_EQ(unpaired.partner_only(), 1);
  EXPECT_EQ(unpaired.jst_proposals(), 0);

  // The same withdrawal again, and the old submission redelivered, change nothing.
  auto again = d.Withdraw(Withdrawn(Day(2)), Day(3));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->changed);
  auto stale = d.Submit(Submitted(), Day(3));
  ASSERT_TRUE(stale.ok()) << stale.status();
  EXPECT_FALSE(stale->changed);
  EXPECT_EQ(d.proposal()->version(), p.version());

  // Submitted again after the withdrawal: filed and matched anew.
  calls::v1::ApplicationSubmitted resubmitted = Submitted();
  *resubmitted.mutable_application()->mutable_submitted_at() = Ts(Day(4));
  auto restored = d.Submit(resubmitted, Day(4));
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_TRUE(restored->changed);
  EXPECT_EQ(d.proposal()->state(), v1::JOINT_PROPOSAL_STATE_AWAITING_DECISIONS);
  EXPECT_FALSE(d.proposal()->has_withdrawn_jst());
  EXPECT_EQ(d.proposal()->matched_at().seconds(), absl::ToUnixSeconds(Day(4)));
  EXPECT_EQ(d.EventsOf<v1::JointProposalMatched>().size(), 2u);
  EXPECT_EQ(BuildMatchingReport(ParallelCall().joint_call_id(), {*d.proposal()}).matched(), 1);
}

TEST(WithdrawalTest, AfterTheJointDecisionTheWithdrawalIsRefused) {
  Driver d(ParallelCall(), Anr());
  ASSERT_TRUE(d.Submit(Submitted()).ok());
  ASSERT_TRUE(d.PartnerProposal(PartnerProposalFor()).ok());
  ASSERT_TRUE(d.Jst(JstDecision(true)).ok());
  ASSERT_TRUE(d.PartnerDecision(PartnerDecisionOf(true)).ok());
  ASSERT_EQ(d.proposal()->state(), v1::JOINT_PROPOSAL_STATE_DECIDED);
  auto refused = d.Withdraw(Withdrawn(Day(2)), Day(2));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(d.proposal()->has_jst());
}

TEST(WithdrawalTest, JstOnlyProposalIsWithdrawnAndFoundByItsApplication) {
  Driver d(ParallelCall(), Anr());
  ASSERT_TRUE(d.Submit(Submitted()).ok());
  ASSERT_TRUE(d.Withdraw(Withdrawn(Day(1))).ok());
  EXPECT_EQ(d.proposal()->state(), v1::JOINT_PROPOSAL_STATE_WITHDRAWN);

  const std::vector<v1::JointProposal> proposals = {*d.proposal()};
  const v1::JointProposal* found = ProposalOfApplication(proposals, kApplicationId);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->joint_proposal_id(), "JP-001");
  EXPECT_EQ(ProposalOfApplication(proposals, "another-application"), nullptr);

  // Never filed here (not a joint call): nothing to do.
  auto none = ApplyApplicationWithdrawn(nullptr, Withdrawn(Day(1)), Ctx(System()));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->changed);

  calls::v1::ApplicationWithdrawn bare;
  const absl::Status s = ApplyApplicationWithdrawn(found, bare, Ctx(System())).status();
  ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  std::vector<std::string> fields;
  for (const auto& v : core::ViolationsOf(s)) fields.push_back(v.field);
  EXPECT_THAT(fields, ::testing::ElementsAre("application_id", "call_id"));
}

TEST(WithdrawalTest, LateCopyOfAnEarlierWithdrawalLeavesTheResubmissionFiled) {
  // Withdrawn from JP-001 on day 2, submitted again on day 4 under JP-002.
  Driver first(ParallelCall(), Anr());
  ASSERT_TRUE(first.Submit(Submitted()).ok());
  ASSERT_TRUE(first.Withdraw(Withdrawn(Day(2)), Day(2)).ok());
  calls::v1::ApplicationSubmitted resubmitted = Submitted("JP-002");
  *resubmitted.mutable_application()->mutable_submitted_at() = Ts(Day(4));
  struct Case {
    std::string name;
    std::optional<absl::Time> withdrawn_at;  // nullopt: not given
    bool applied;
  };
  const std::vector<Case> cases = {
      {"the old withdrawal redelivered", Day(2), false},
      {"a second before the resubmission", Day(4) - absl::Seconds(1), false},
      {"at the resubmission", Day(4), true},
      {"after the resubmission", Day(5), true},
      {"without a time", std::nullopt, true},
  };
  for (const Case& c : cases) {
    Driver second(ParallelCall(), Anr());
    ASSERT_TRUE(second.Submit(resubmitted, Day(4)).ok());
    const std::vector<v1::JointProposal> proposals = {*first.proposal(), *second.proposal()};
    const v1::JointProposal* holder = ProposalOfApplication(proposals, kApplicationId);
    ASSERT_NE(holder, nullptr);
    ASSERT_EQ(holder->joint_proposal_id(), "JP-002");

    calls::v1::ApplicationWithdrawn event = Withdrawn(c.withdrawn_at.value_or(Day(5)));
    if (!c.withdrawn_at) event.clear_withdrawn_at();
    EXPECT_EQ(WithdrawalPrecedesSubmission(holder->jst(), event), !c.applied) << c.name;
    auto t = second.Withdraw(event, Day(6));
    ASSERT_TRUE(t.ok()) << c.name << ": " << t.status();
    EXPECT_EQ(t->changed, c.applied) << c.name;
    EXPECT_EQ(second.proposal()->has_jst(), !c.applied) << c.name;
  }

  // Decided under JP-002: the late copy is ignored, not refused.
  Driver decided(ParallelCall(), Anr());
  ASSERT_TRUE(decided.Submit(resubmitted, Day(4)).ok());
  ASSERT_TRUE(decided.PartnerProposal(PartnerProposalFor("JP-002")).ok());
  reviews::v1::ProposalDecided jst_decision = JstDecision(true);
  jst_decision.set_joint_proposal_id("JP-002");
  *jst_decision.mutable_decided_at() = Ts(Day(5));
  ASSERT_TRUE(decided.Jst(jst_decision, Day(5)).ok());
  ASSERT_TRUE(decided.PartnerDecision(PartnerDecisionOf(true), Day(5)).ok());
  ASSERT_EQ(decided.proposal()->state(), v1::JOINT_PROPOSAL_STATE_DECIDED);
  auto late = decided.Withdraw(Withdrawn(Day(2)), Day(6));
  ASSERT_TRUE(late.ok()) << late.status();
  EXPECT_FALSE(late->changed);
  EXPECT_TRUE(decided.proposal()->has_jst());
}

TEST(WithdrawalTest, OnlyDecisionsFromAfterASubmissionDecideIt) {
  struct Case {
    std::string name;
    int decided_day;  // 0: no decided_at
    int submitted_day;
    std::string application_id;
    bool decides;
  };
  const std::vector<Case> cases = {
      {"decided after the submission", 5, 4, kApplicationId, true},
      {"decided at the submission instant", 4, 4, kApplicationId, true},
      {"decided before the resubmission", 3, 4, kApplicationId, false},
      {"no decision time", 0, 4, kApplicationId, true},
      {"another application", 5, 4, "another-application", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    reviews::v1::ProposalDecided decision = JstDecision(true);
    decision.set_application_id(c.application_id);
    if (c.decided_day == 0) {
      decision.clear_decided_at();
    } else {
      *decision.mutable_decided_at() = Ts(Day(c.decided_day));
    }
    calls::v1::ApplicationSubmitted submission = Submitted();
    *submission.mutable_application()->mutable_submitted_at() = Ts(Day(c.submitted_day));
    EXPECT_EQ(DecidesSubmission(decision, submission), c.decides);
  }
}

}  // namespace
}  // namespace tane::international
