#include "tane/auth/roles.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tane::auth {
namespace {

using ::testing::HasSubstr;

TEST(RolesTest, EveryDocumentedRoleIsKnown) {
  for (std::string_view role :
       {"applicant", "reviewer", "program_officer", "operator", "finance_officer", "partner", "auditor"}) {
    EXPECT_TRUE(IsKnownRole(role)) << role;
  }
  EXPECT_FALSE(IsKnownRole("admin"));
  EXPECT_FALSE(IsKnownRole("Applicant"));
  EXPECT_FALSE(IsKnownRole(""));
}

TEST(RolesTest, ValidatePrincipal) {
  struct Case {
    Principal principal;
    std::string error;  // empty: valid
  } cases[] = {
      {{"alice", "applicant", ""}, ""},
      {{"nsf-exchange", "partner", "NSF"}, ""},
      {{"jica", "partner", "JICA-JP"}, ""},
      {{"jica", "partner", "JICA_JP"}, ""},  // the international registry allows '_'
      {{"nsf", "partner", "NSF.US"}, "must be 2..16 characters"},
      {{"", "applicant", ""}, "subject is empty"},
      {{std::string(257, 'a'), "applicant", ""}, "longer than 256"},
      {{"アリス", "applicant", ""}, "printable ASCII"},
      {{"a\tb", "applicant", ""}, "printable ASCII"},
      {{"alice", "", ""}, "role is empty"},
      {{"alice", "root", ""}, "unknown role \"root\""},
      {{"nsf", "partner", ""}, "needs an agency code"},
      {{"nsf", "partner", "nsf"}, "must be 2..16 characters"},
      {{"nsf", "partner", "N"}, "must be 2..16 characters"},
      {{"bob", "operator", "JST"}, "only allowed with the partner role"},
  };
  for (const Case& c : cases) {
    absl::Status status = ValidatePrincipal(c.principal);
    if (c.error.empty()) {
      EXPECT_TRUE(status.ok()) << c.principal.subject << ": " << status;
    } else {
      EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.error;
      EXPECT_THAT(std::string(status.message()), HasSubstr(c.error));
    }
  }
}

}  // namespace
}  // namespace tane::auth
