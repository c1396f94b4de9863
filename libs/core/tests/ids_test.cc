#include "tane/core/ids.h"

#include <set>

#include "gtest/gtest.h"

namespace tane::core {
namespace {

TEST(UuidTest, RandomUuidsAreCanonicalAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewUuid();
    EXPECT_TRUE(IsUuid(id)) << id;
    EXPECT_EQ(id[14], '4');
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(UuidTest, NameUuidIsDeterministicPerNamespace) {
  EXPECT_EQ(NameUuid("tane.calls.application", "key-1"), NameUuid("tane.calls.application", "key-1"));
  EXPECT_NE(NameUuid("tane.calls.application", "key-1"), NameUuid("tane.calls.application", "key-2"));
  EXPECT_NE(NameUuid("tane.calls.application", "key-1"), NameUuid("tane.calls.call", "key-1"));
  EXPECT_TRUE(IsUuid(NameUuid("ns", "研究提案")));
  EXPECT_EQ(NameUuid("ns", "x")[14], '5');
}

TEST(UuidTest, RejectsMalformed) {
  EXPECT_FALSE(IsUuid(""));
  EXPECT_FALSE(IsUuid("not-a-uuid"));
  EXPECT_FALSE(IsUuid("123e4567-e89b-12d3-a456-42661417400g"));
  EXPECT_FALSE(IsUuid("123e4567e89b-12d3-a456-426614174000-"));
  EXPECT_TRUE(IsUuid("123e4567-e89b-12d3-a456-426614174000"));
}

TEST(ResearcherIdTest, EradIsEightDigits) {
  EXPECT_TRUE(IsEradResearcherNumber("12345678"));
  EXPECT_FALSE(IsEradResearcherNumber("1234567"));
  EXPECT_FALSE(IsEradResearcherNumber("1234567a"));
  EXPECT_FALSE(IsEradResearcherNumber("１２３４５６７８"));  // full-width digits
}

TEST(ResearcherIdTest, OrcidChecksum) {
  EXPECT_TRUE(IsOrcid("0000-0002-1825-0097"));
  EXPECT_TRUE(IsOrcid("0000-0002-1694-233X"));
  EXPECT_FALSE(IsOrcid("0000-0002-1825-0098"));
  EXPECT_FALSE(IsOrcid("0000000218250097"));
  EXPECT_FALSE(IsOrcid("0000-0002-1825-009"));
}

TEST(TypedIdTest, ComparesByValue) {
  struct CallTag {};
  using CallId = TypedId<CallTag>;
  EXPECT_EQ(CallId("a"), CallId("a"));
  EXPECT_LT(CallId("a"), CallId("b"));
  EXPECT_TRUE(CallId().empty());
}

}  // namespace
}  // namespace tane::core
