#include "tane/telemetry/trace.h"

#include <gtest/gtest.h>

#include <set>

namespace tane::telemetry {
namespace {

TEST(TraceId, NewIdsAreValidAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewTraceId();
    ASSERT_EQ(id.size(), 32u);
    ASSERT_TRUE(IsValidTraceId(id)) << id;
    for (char c : id) ASSERT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(TraceId, Validation) {
  EXPECT_TRUE(IsValidTraceId("0123456789abcdefABCDEF0123456789"));
  EXPECT_FALSE(IsValidTraceId("00000000000000000000000000000000"));
  EXPECT_FALSE(IsValidTraceId("0123456789abcdef"));
  EXPECT_FALSE(IsValidTraceId("0123456789abcdef0123456789abcdeg"));
  EXPECT_FALSE(IsValidTraceId(""));
}

TEST(TraceId, FromMetadataLowerCasesAndRejectsGarbage) {
  Metadata md;
  EXPECT_EQ(TraceIdFromMetadata(md), "");
  std::string key = kTraceIdMetadataKey;
  std::string good = "0123456789ABCDEF0123456789abcdef";
  md.emplace(key, good);
  EXPECT_EQ(TraceIdFromMetadata(md), "0123456789abcdef0123456789abcdef");
  Metadata bad;
  std::string garbage = "not-a-trace-id";
  bad.emplace(key, garbage);
  EXPECT_EQ(TraceIdFromMetadata(bad), "");
}

}  // namespace
}  // namespace tane::telemetry
