// Creating joint calls.

#include <functional>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tane/core/errors.h"
#include "test_support.h"

namespace tane::international {
namespace {

using ::testing::HasSubstr;
using namespace tane::international::testing;  // NOLINT

v1::CreateJointCallRequest Request(const v1::JointCall& call) {
  v1::CreateJointCallRequest r;
  *r.mutable_joint_call() = call;
  r.mutable_joint_call()->clear_joint_call_id();
  r.mutable_joint_call()->clear_version();
  return r;
}

TEST(JointCallTest, CreatedWithItsDerivedId) {
  const v1::PartnerAgency anr = Anr();
  auto c = CreateJointCall(nullptr, &anr, Request(ParallelCall()), Ctx(Staff()));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->joint_call_id(), JointCallIdFor(kCallId));
  EXPECT_EQ(c->version(), 1);
  EXPECT_EQ(c->title_ja(), "日本－フランス共同研究");
  EXPECT_EQ(CreateJointCall(&*c, &anr, Request(ParallelCall()), Ctx(Staff())).status().code(),
            absl::StatusCode::kAlreadyExists);
}

struct InvalidCase {
  std::string name;
  std::function<void(v1::JointCall&)> change;
  std::string field;
};

TEST(JointCallTest, EveryInvalidFieldIsNamed) {
  const std::vector<InvalidCase> cases = {
      {"call id", [](auto& c) { c.set_call_id("call-1"); }, "joint_call.call_id"},
      {"agency code", [](auto& c) { c.set_partner_agency("anr"); }, "joint_call.partner_agency"},
      {"no title",
       [](auto& c) {
         c.clear_title_ja();
         c.clear_title_en();
       },
       "joint_call.title_ja"},
      {"no type", [](auto& c) { c.clear_type(); }, "joint_call.type"},
      {"no review model", [](auto& c) { c.clear_review_model(); }, "joint_call.review_model"},
      {"lead side for parallel", [](auto& c) { c.set_lead_side(v1::SIDE_JST); },
       "joint_call.lead_side"},
      {"lead agency without lead",
       [](auto& c) { c.set_review_model(v1::JOINT_REVIEW_MODEL_LEAD_AGENCY); },
       "joint_call.lead_side"},
      {"no agreement kind", [](auto& c) { c.mutable_agreement()->clear_kind(); },
       "joint_call.agreement.kind"},
      {"no agreement reference", [](auto& c) { c.mutable_agreement()->clear_reference(); },
       "joint_call.agreement.reference"},
      {"agreement signed in the future",
       [](auto& c) {
         c.mutable_agreement()->mutable_signed_at()->set_seconds(absl::ToUnixSeconds(Day(9)));
       },
       "joint_call.agreement.signed_at"},
      {"bad scope", [](auto& c) { c.mutable_agreement()->add_shared_data(v1::DataScope(42)); },
       "joint_call.agreement.shared_data[0]"},
      {"range across currencies",
       [](auto& c) { c.mutable_partner_budget_max()->set_currency_code("USD"); },
       "joint_call.partner_budget_max.currency_code"},
      {"max below min", [](auto& c) { c.mutable_partner_budget_max()->set_units(100); },
       "joint_call.partner_budget_max"},
      {"unknown currency",
       [](auto& c) { c.mutable_partner_budget_min()->set_currency_code("EURO"); },
       "joint_call.partner_budget_min.currency_code"},
      {"negative minimum", [](auto& c) { c.mutable_partner_budget_min()->set_units(-1); },
       "joint_call.partner_budget_min.units"},
  };
  const v1::PartnerAgency anr = Anr();
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    v1::JointCall call = ParallelCall();
    c.change(call);
    auto t = CreateJointCall(nullptr, &anr, Request(call), Ctx(Staff()));
    ASSERT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
    std::vector<std::string> fields;
    for (const auto& v : core::ViolationsOf(t.status())) fields.push_back(v.field);
    EXPECT_THAT(fields, ::testing::Contains(c.field));
  }
}

TEST(JointCallTest, PartnerMustBeRegisteredAndSatrepsRunsWithJica) {
  auto unregistered = CreateJointCall(nullptr, nullptr, Request(ParallelCall()), Ctx(Staff()));
  EXPECT_EQ(unregistered.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(unregistered.status().message(), HasSubstr("ANR is not registered"));

  v1::JointCall satreps_with_anr = ParallelCall();
  satreps_with_anr.set_type(v1::JOINT_CALL_TYPE_SATREPS);
  const v1::PartnerAgency anr = Anr();
  auto wrong = CreateJointCall(nullptr, &anr, Request(satreps_with_anr), Ctx(Staff()));
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(wrong.status().message(), HasSubstr("run with JICA"));

  const v1::PartnerAgency jica = Jica();
  EXPECT_TRUE(CreateJointCall(nullptr, &jica, Request(SatrepsCall()), Ctx(Staff())).ok());
}

TEST(JointCallTest, PartnerCurrencyIsTheRangesElseTheAgencys) {
  EXPECT_EQ(PartnerCurrency(ParallelCall(), Anr()), "EUR");
  EXPECT_EQ(PartnerCurrency(SatrepsCall(), Jica()), "JPY");
  v1::JointCall usd = ParallelCall();
  usd.clear_partner_budget_min();
  usd.mutable_partner_budget_max()->set_currency_code("USD");
  EXPECT_EQ(PartnerCurrency(usd, Anr()), "USD");
}

}  // namespace
}  // namespace tane::international
