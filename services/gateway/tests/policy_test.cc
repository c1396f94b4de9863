#include "tane/gateway/policy.h"

#include <gmock/gmock.h>
#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include "tane/gwtest/v1/gwtest.pb.h"

namespace tane::gateway {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const google::protobuf::MethodDescriptor* Rpc(const std::string& name) {
  return gwtest::v1::Thing::descriptor()->file()->FindServiceByName("ThingService")->FindMethodByName(name);
}

TEST(PolicyTest, ReadsTheOptionFromTheProto) {
  MethodPolicy create = PolicyOf(*Rpc("CreateThing"));
  EXPECT_TRUE(create.declared);
  EXPECT_FALSE(create.anonymous);
  EXPECT_THAT(create.roles, ElementsAre("applicant"));
  MethodPolicy get = PolicyOf(*Rpc("GetThing"));
  EXPECT_TRUE(get.declared);
  EXPECT_TRUE(get.anonymous);
  EXPECT_FALSE(PolicyOf(*Rpc("Hidden")).declared);
}

TEST(PolicyTest, Decisions) {
  const auth::Principal applicant{"alice", "applicant", ""};
  const auth::Principal operator_{"olga", "operator", ""};
  const MethodPolicy roles{true, false, {"applicant", "auditor"}};
  const MethodPolicy anonymous{true, true, {}};
  const MethodPolicy undeclared{};
  struct Case {
    std::string name;
    const MethodPolicy* policy;
    const auth::Principal* caller;
    absl::StatusCode code;
    std::string message;
  } cases[] = {
      {"listed_role", &roles, &applicant, absl::StatusCode::kOk, ""},
      {"other_role", &roles, &operator_, absl::StatusCode::kPermissionDenied,
       "role \"operator\" may not call tane.x.S.M (allowed: applicant, auditor)"},
      {"no_credentials", &roles, nullptr, absl::StatusCode::kUnauthenticated,
       "tane.x.S.M needs credentials (Authorization: Bearer <token> or X-Api-Key); roles: applicant, auditor"},
      {"anonymous_without_credentials", &anonymous, nullptr, absl::StatusCode::kOk, ""},
      {"anonymous_with_credentials", &anonymous, &operator_, absl::StatusCode::kOk, ""},
      {"default_deny_anonymous", &undeclared, nullptr, absl::StatusCode::kPermissionDenied,
       "tane.x.S.M has no access policy, so it is denied to every caller"},
      {"default_deny_authenticated", &undeclared, &operator_, absl::StatusCode::kPermissionDenied,
       "has no access policy"},
  };
  for (const Case& c : cases) {
    absl::Status status = Authorize(*c.policy, c.caller, "tane.x.S.M");
    EXPECT_EQ(status.code(), c.code) << c.name;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.message)) << c.name;
  }
}

}  // namespace
}  // namespace tane::gateway
