// What partners see: their own joint calls only, and of the JST side only
// what the agreement shares — never reviewer identities or confidential
// comments.

#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tane/international/views.h"
#include "test_support.h"

namespace tane::international {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace tane::international::testing;  // NOLINT

v1::JointProposal Decided() {
  Driver d(ParallelCall(), Anr());
  EXPECT_TRUE(d.Submit(Submitted()).ok());
  EXPECT_TRUE(d.PartnerProposal(PartnerProposalFor()).ok());
  EXPECT_TRUE(d.Jst(JstDecision(true)).ok());
  EXPECT_TRUE(d.PartnerDecision(PartnerDecisionOf(true)).ok());
  return *d.proposal();
}

TEST(PartnerIsolationTest, PartnerANeverSeesPartnerBsCalls) {
  v1::JointCall anr = ParallelCall();
  v1::JointCall nsf = ParallelCall();
  nsf.set_joint_call_id(JointCallIdFor(kOtherCallId));
  nsf.set_call_id(kOtherCallId);
  nsf.set_partner_agency("NSF");
  const std::vector<v1::JointCall> calls = {anr, nsf};

  struct Case {
    std::string name;
    common::v1::Actor actor;
    std::vector<std::string> visible;
  };
  common::v1::Actor no_agency = Partner("ANR");
  no_agency.clear_agency();
  const std::vector<Case> cases = {
      {"ANR", Partner("ANR"), {anr.joint_call_id()}},
      {"NSF", Partner("NSF"), {nsf.joint_call_id()}},
      {"DFG (no calls)", Partner("DFG"), {}},
      {"partner without agency", no_agency, {}},
      {"program officer", Staff(), {anr.joint_call_id(), nsf.joint_call_id()}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<std::string> seen;
    for (const auto& call : VisibleJointCalls(c.actor, calls, {})) {
      seen.push_back(call.joint_call_id());
    }
    EXPECT_EQ(seen, c.visible);
  }
  // A partner naming another's call gets the answer of an unknown id.
  const absl::Status other = AuthorizeJointCall(Partner("ANR"), nsf);
  EXPECT_EQ(other.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(other.message(), "no joint call " + nsf.joint_call_id());
  EXPECT_EQ(AuthorizeJointCall(no_agency, anr).code(), absl::StatusCode::kPermissionDenied);
  // And every exchange command refuses it the same way.
  Driver d(nsf, Nsf());
  v1::SubmitPartnerProposalRequest r;
  r.set_joint_call_id(nsf.joint_call_id());
  *r.mutable_partner_proposal() = PartnerProposalFor();
  EXPECT_EQ(SubmitPartnerProposal(nsf, Nsf(), nullptr, "", r, Ctx(Partner("ANR"))).status().code(),
            absl::StatusCode::kNotFound);
  v1::RecordPartnerDecisionRequest dr;
  dr.set_joint_call_id(nsf.joint_call_id());
  dr.set_joint_proposal_id("JP-001");
  const v1::JointProposal decided = Decided();
  EXPECT_EQ(RecordPartnerDecision(nsf, Nsf(), &decided, dr, Ctx(Partner("ANR"))).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(PartnerIsolationTest, AgencyRecordsAreTheirOwn) {
  EXPECT_TRUE(AuthorizeAgencyRead(Partner("ANR"), Anr()).ok());
  EXPECT_EQ(AuthorizeAgencyRead(Partner("ANR"), Nsf()).code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(AuthorizeAgencyRead(Staff(), Nsf()).ok());
}

TEST(PartnerViewTest, NeverCarriesInternalReasonsOrPersonalIds) {
  const v1::JointProposal p = Decided();
  // The staff view has them...
  // (Serialized bytes hold strings verbatim; DebugString would escape the UTF-8.)
  ASSERT_THAT(p.SerializeAsString(), HasSubstr("審査委員会の指摘"));
  ASSERT_THAT(p.SerializeAsString(), HasSubstr("国際連携の意義"));
  // ...no partner view has, whatever is shared.
  std::vector<v1::DataScope> all;
  for (int s = v1::DataScope_MIN; s <= v1::DataScope_MAX; ++s) {
    if (s != v1::DATA_SCOPE_UNSPECIFIED) all.push_back(static_cast<v1::DataScope>(s));
  }
  const std::string view = PartnerViewOf(p, all).SerializeAsString();
  ASSERT_THAT(view, HasSubstr("山田 太郎"));  // the shared data is there
  for (const std::string secret :
       {"審査委員会の指摘", "国際連携の意義", "po-1", "case-1", "12345678", "87654321"}) {
    EXPECT_THAT(view, Not(HasSubstr(secret))) << secret;
  }
}

// Structural: no message reachable from the partner view has a field that
// could hold them.
void CollectFieldNames(const google::protobuf::Descriptor* d, std::set<std::string>& seen,
                       std::vector<std::string>& names) {
  if (!seen.insert(d->full_name()).second) return;
  for (int i = 0; i < d->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* f = d->field(i);
    names.push_back(std::string(d->name()) + "." + std::string(f->name()));
    if (f->message_type() != nullptr) CollectFieldNames(f->message_type(), seen, names);
  }
}

TEST(PartnerViewTest, HasNoFieldForReviewersConfidentialOrPersonalData) {
  std::set<std::string> seen;
  std::vector<std::string> names;
  CollectFieldNames(v1::PartnerJointProposal::descriptor(), seen, names);
  ASSERT_GT(names.size(), 40u);
  for (const std::string& name : names) {
    for (const std::string forbidden :
         {"reviewer", "confidential", "comment_to", "reason", "departure", "birth", "degree",
          "researcher_id", "childcare", "decided_by", "feedback"}) {
      EXPECT_THAT(name, Not(HasSubstr(forbidden)));
    }
  }
}

TEST(PartnerViewTest, SharesExactlyTheAgreedScopes) {
  const v1::JointProposal p = Decided();
  struct Case {
    std::string name;
    std::vector<v1::DataScope> scopes;
    bool titles, abstract, team, budget, decision;
  };
  const std::vector<Case> cases = {
      {"nothing", {}, false, false, false, false, false},
      {"titles", {v1::DATA_SCOPE_JST_TITLES}, true, false, false, false, false},
      {"abstract", {v1::DATA_SCOPE_JST_ABSTRACT}, false, true, false, false, false},
      {"team", {v1::DATA_SCOPE_JST_TEAM}, false, false, true, false, false},
      {"budget", {v1::DATA_SCOPE_JST_BUDGET}, false, false, false, true, false},
      {"decision", {v1::DATA_SCOPE_JST_DECISION}, false, false, false, false, true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const v1::PartnerJointProposal v = PartnerViewOf(p, c.scopes);
    const v1::SharedJstSide& jst = v.jst();
    EXPECT_EQ(jst.application_id(), kApplicationId);
    EXPECT_EQ(jst.title_ja() == "熱輸送のスペクトル学的理解と機能的制御", c.titles);
    EXPECT_EQ(!jst.abstract().empty() && jst.keywords_size() == 1, c.abstract);
    EXPECT_EQ(jst.principal_investigator().name_ja() == "山田 太郎" &&
                  jst.co_investigators_size() == 1 &&
                  jst.co_investigators(0).institution_name() == "大阪大学",
              c.team);
    EXPECT_EQ(jst.total_direct_yen() == 15000000 && jst.yearly_costs_size() == 1, c.budget);
    EXPECT_EQ(jst.decision() == v1::SIDE_DECISION_ADOPTED &&
                  jst.decided_at().seconds() == absl::ToUnixSeconds(Day(-1)),
              c.decision);
    // Always shared: the partner's own side and the joint decision.
    EXPECT_EQ(v.partner().proposal().partner_reference_id(), "ANR-17-JAPA-0001");
    EXPECT_EQ(v.decision().outcome(), v1::JOINT_OUTCOME_ADOPTED);
    EXPECT_EQ(v.shared_data_size(), static_cast<int>(c.scopes.size()));
  }
}

TEST(PartnerViewTest, AgreementNarrowsTheAgencysScopes) {
  v1::JointCall call = ParallelCall();
  EXPECT_EQ(EffectiveScopes(Anr(), call),
            (std::vector<v1::DataScope>{v1::DATA_SCOPE_JST_TITLES, v1::DATA_SCOPE_JST_TEAM,
                                        v1::DATA_SCOPE_JST_BUDGET, v1::DATA_SCOPE_JST_DECISION}));
  call.mutable_agreement()->add_shared_data(v1::DATA_SCOPE_JST_TITLES);
  call.mutable_agreement()->add_shared_data(v1::DATA_SCOPE_JST_ABSTRACT);  // not the agency's
  EXPECT_EQ(EffectiveScopes(Anr(), call), (std::vector<v1::DataScope>{v1::DATA_SCOPE_JST_TITLES}));
}

TEST(JointDecisionsTest, ListsDecidedProposalsByOutcome) {
  const v1::JointProposal adopted = Decided();
  Driver rejected(ParallelCall(), Anr());
  ASSERT_TRUE(
      rejected.Submit(Submitted("JP-000", kCallId, "00000000-0000-4000-8000-000000000001")).ok());
  ASSERT_TRUE(rejected.PartnerProposal(PartnerProposalFor("JP-000", "ANR-0")).ok());
  reviews::v1::ProposalDecided no = JstDecision(false);
  no.set_application_id("00000000-0000-4000-8000-000000000001");
  ASSERT_TRUE(rejected.Jst(no).ok());
  ASSERT_TRUE(rejected.PartnerDecision(PartnerDecisionOf(true)).ok());
  Driver open(ParallelCall(), Anr());
  ASSERT_TRUE(open.PartnerProposal(PartnerProposalFor("JP-009", "ANR-9")).ok());
  const std::vector<v1::JointProposal> all = {adopted, *open.proposal(), *rejected.proposal()};

  const auto every = JointDecisions(all, v1::JOINT_OUTCOME_UNSPECIFIED);
  ASSERT_EQ(every.size(), 2u);
  EXPECT_EQ(every[0].joint_proposal_id(), "JP-000");
  EXPECT_EQ(every[0].decision().outcome(), v1::JOINT_OUTCOME_REJECTED_BY_JST);
  EXPECT_EQ(every[1].joint_proposal_id(), "JP-001");
  EXPECT_EQ(every[1].application_id(), kApplicationId);
  const auto only_adopted = JointDecisions(all, v1::JOINT_OUTCOME_ADOPTED);
  ASSERT_EQ(only_adopted.size(), 1u);
  EXPECT_EQ(only_adopted[0].partner_reference_id(), "ANR-17-JAPA-0001");

  v1::ListJointProposalsRequest filter;
  filter.set_joint_call_id(ParallelCall().joint_call_id());
  filter.set_state(v1::JOINT_PROPOSAL_STATE_AWAITING_JST_PROPOSAL);
  const auto awaiting = FilterJointProposals(all, filter);
  ASSERT_EQ(awaiting.size(), 1u);
  EXPECT_EQ(awaiting[0].joint_proposal_id(), "JP-009");
}

}  // namespace
}  // namespace tane::international
