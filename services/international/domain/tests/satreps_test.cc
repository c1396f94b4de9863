// SATREPS: an adoption waits for the Record of Discussions.

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tane/core/errors.h"
#include "test_support.h"

namespace tane::international {
namespace {

using ::testing::HasSubstr;
using namespace tane::international::testing;  // NOLINT

calls::v1::ApplicationSubmitted SatrepsSubmitted() {
  return Submitted("SAT-01", kOtherCallId, kApplicationId, "JICA");
}

reviews::v1::ProposalDecided SatrepsJst(bool adopted) {
  reviews::v1::ProposalDecided d = JstDecision(adopted);
  d.set_call_id(kOtherCallId);
  d.set_partner_agency("JICA");
  return d;
}

v1::PartnerDecision JicaDecision(bool adopted) { return PartnerDecisionOf(adopted, "JICA-D-1"); }

Driver Matched() {
  Driver d(SatrepsCall(), Jica());
  EXPECT_TRUE(d.Submit(SatrepsSubmitted()).ok());
  EXPECT_TRUE(d.PartnerProposal(SatrepsProposalFor()).ok());
  return d;
}

TEST(SatrepsTest, AdoptionIsHeldUntilTheRecordOfDiscussions) {
  Driver d = Matched();
  ASSERT_TRUE(d.Jst(SatrepsJst(true), Day(1)).ok());
  ASSERT_TRUE(d.PartnerDecision(JicaDecision(true), Day(2)).ok());
  EXPECT_TRUE(d.EventsOf<v1::JointDecisionMade>().empty()) << "no project before the R/D";
  EXPECT_EQ(d.proposal()->state(), v1::JOINT_PROPOSAL_STATE_AWAITING_RECORD_OF_DISCUSSIONS);
  EXPECT_TRUE(d.proposal()->decision().held_for_record_of_discussions());
  EXPECT_EQ(d.proposal()->decision().outcome(), v1::JOINT_OUTCOME_ADOPTED);

  auto t = d.Rd("RD-ID-2017-03", Day(20), Day(21));
  ASSERT_TRUE(t.ok()) << t.status();
  // SatrepsRdSigned, then the released adoption, in one commit.
  ASSERT_EQ(t->events.size(), 2u);
  const auto* signed_event = std::get_if<v1::SatrepsRdSigned>(&t->events[0]);
  ASSERT_NE(signed_event, nullptr);
  EXPECT_TRUE(signed_event->releases_adoption());
  EXPECT_EQ(signed_event->satreps().oda_request_reference(), "ODA-ID-2016-044");
  EXPECT_EQ(signed_event->application_id(), kApplicationId);
  const auto* decided = std::get_if<v1::JointDecisionMade>(&t->events[1]);
  ASSERT_NE(decided, nullptr);
  EXPECT_TRUE(decided->adopted());
  EXPECT_EQ(decided->call_type(), v1::JOINT_CALL_TYPE_SATREPS);
  EXPECT_EQ(decided->record_of_discussions().reference(), "RD-ID-2017-03");
  EXPECT_EQ(decided->decided_at().seconds(), absl::ToUnixSeconds(Day(2)));
  EXPECT_EQ(d.proposal()->state(), v1::JOINT_PROPOSAL_STATE_DECIDED);
  EXPECT_EQ(d.proposal()->decision().published_at().seconds(), absl::ToUnixSeconds(Day(21)));
  EXPECT_FALSE(d.proposal()->decision().held_for_record_of_discussions());

  // The same R/D again: nothing; a different one: refused.
  auto same = d.Rd("RD-ID-2017-03", Day(20), Day(22));
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(same->changed);
  auto other = d.Rd("RD-ID-2017-99", Day(20), Day(22));
  EXPECT_EQ(other.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(other.status().message(), HasSubstr("already has R/D RD-ID-2017-03"));
  EXPECT_EQ(d.EventsOf<v1::JointDecisionMade>().size(), 1u);
}

TEST(SatrepsTest, RecordOfDiscussionsBeforeTheDecisionsReleasesAtOnce) {
  Driver d = Matched();
  auto rd = d.Rd("RD-ID-2017-03", Day(0), Day(1));
  ASSERT_TRUE(rd.ok()) << rd.status();
  ASSERT_EQ(rd->events.size(), 1u);
  EXPECT_FALSE(std::get<v1::SatrepsRdSigned>(rd->events[0]).releases_adoption());
  ASSERT_TRUE(d.PartnerDecision(JicaDecision(true), Day(2)).ok());
  ASSERT_TRUE(d.Jst(SatrepsJst(true), Day(3)).ok());
  ASSERT_EQ(d.EventsOf<v1::JointDecisionMade>().size(), 1u);
  EXPECT_EQ(d.proposal()->state(), v1::JOINT_PROPOSAL_STATE_DECIDED);
}

TEST(SatrepsTest, RejectionIsPublishedAtOnceAndTakesNoRecord) {
  struct Case {
    bool jst;
    bool jica;
    v1::JointOutcome outcome;
  };
  for (const Case& c : {Case{false, true, v1::JOINT_OUTCOME_REJECTED_BY_JST},
                        Case{true, false, v1::JOINT_OUTCOME_REJECTED_BY_PARTNER}}) {
    SCOPED_TRACE(v1::JointOutcome_Name(c.outcome));
    Driver d = Matched();
    ASSERT_TRUE(d.Jst(SatrepsJst(c.jst)).ok());
    // One side's rejection is known: no R/D even before the other decides.
    auto early = d.Rd("RD-X", Day(0));
    EXPECT_EQ(early.status().code(),
              c.jst ? absl::StatusCode::kOk : absl::StatusCode::kFailedPrecondition);
    if (!c.jst) {
      EXPECT_THAT(early.status().message(), HasSubstr("rejected by JST"));
    }
    ASSERT_TRUE(d.PartnerDecision(JicaDecision(c.jica)).ok());
    ASSERT_EQ(d.EventsOf<v1::JointDecisionMade>().size(), 1u);
    EXPECT_EQ(d.EventsOf<v1::JointDecisionMade>()[0].outcome(), c.outcome);
    if (c.jst) continue;  // the R/D was recorded before JICA rejected
    auto late = d.Rd("RD-X", Day(0));
    EXPECT_EQ(late.status().code(), absl::StatusCode::kFailedPrecondition);
  }
}

TEST(SatrepsTest, RecordOfDiscussionsRules) {
  Driver sicorp(ParallelCall(), Anr());
  ASSERT_TRUE(sicorp.PartnerProposal(PartnerProposalFor()).ok());
  auto not_satreps = sicorp.Rd("RD-1", Day(0));
  EXPECT_EQ(not_satreps.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(not_satreps.status().message(), HasSubstr("not a SATREPS call"));

  Driver jst_only(SatrepsCall(), Jica());
  ASSERT_TRUE(jst_only.Submit(SatrepsSubmitted()).ok());
  auto no_partner = jst_only.Rd("RD-1", Day(0));
  EXPECT_EQ(no_partner.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(no_partner.status().message(), HasSubstr("has no JICA-side proposal"));

  Driver d = Matched();
  auto future = d.Rd("", Day(5), Day(0));
  ASSERT_EQ(future.status().code(), absl::StatusCode::kInvalidArgument);
  std::vector<std::string> fields;
  for (const auto& v : core::ViolationsOf(future.status())) fields.push_back(v.field);
  EXPECT_THAT(fields, ::testing::UnorderedElementsAre("record_of_discussions.reference",
                                                      "record_of_discussions.signed_at"));
}

TEST(SatrepsTest, PartnerProposalNeedsTheOdaRequest) {
  Driver d(SatrepsCall(), Jica());
  v1::PartnerProposal p = SatrepsProposalFor();
  p.clear_satreps();
  auto t = d.PartnerProposal(p);
  ASSERT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  ASSERT_EQ(core::ViolationsOf(t.status()).size(), 1u);
  EXPECT_EQ(core::ViolationsOf(t.status())[0].field, "partner_proposal.satreps");

  Driver sicorp(ParallelCall(), Anr());
  v1::PartnerProposal with = PartnerProposalFor();
  *with.mutable_satreps() = SatrepsProposalFor().satreps();
  t = sicorp.PartnerProposal(with);
  ASSERT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(core::ViolationsOf(t.status())[0].description, HasSubstr("only for SATREPS"));
}

}  // namespace
}  // namespace tane::international
