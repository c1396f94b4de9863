#include "tane/gateway/text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tane::gateway {
namespace {

using ::testing::HasSubstr;

TEST(TextTest, Utf8Validation) {
  struct Case {
    std::string text;
    bool valid;
    size_t bad_offset;
  } cases[] = {
      {"", true, 0},
      {"plain ascii", true, 0},
      {"ナノスケール・サーマルマネージメント", true, 0},
      {"emoji \xF0\x9F\x8C\xB1 seed", true, 0},
      {"\xC2\x80 and \xF4\x8F\xBF\xBF (U+10FFFF)", true, 0},
      {"ab\x80", false, 2},            // lone continuation byte
      {"\xC0\xAF", false, 0},          // overlong '/'
      {"x\xE0\x80\xAF", false, 1},     // overlong 3-byte
      {"\xED\xA0\x80", false, 0},      // UTF-16 surrogate
      {"\xF4\x90\x80\x80", false, 0},  // above U+10FFFF
      {"ok\xE3\x83", false, 2},        // truncated
      {"\xFF", false, 0},
  };
  for (const Case& c : cases) {
    size_t bad = 12345;
    EXPECT_EQ(IsValidUtf8(c.text, &bad), c.valid) << c.text;
    if (!c.valid) {
      EXPECT_EQ(bad, c.bad_offset) << c.text;
    }
  }
}

TEST(TextTest, PercentDecoding) {
  struct Case {
    std::string text;
    PercentDecoding mode;
    std::string decoded;  // or the error substring, when error is true
    bool error = false;
  } cases[] = {
      {"abc", PercentDecoding::kSegment, "abc"},
      {"a%20b", PercentDecoding::kSegment, "a b"},
      {"a+b", PercentDecoding::kSegment, "a+b"},
      {"a+b", PercentDecoding::kQuery, "a b"},
      {"%E7%A8%AE", PercentDecoding::kSegment, "種"},
      {"a%2Fb", PercentDecoding::kSegment, "a/b"},
      {"a%2Fb/c", PercentDecoding::kMultiSegment, "a%2Fb/c"},
      {"a%2fb", PercentDecoding::kMultiSegment, "a%2fb"},
      {"x%3Ay", PercentDecoding::kMultiSegment, "x:y"},
      {"bad%2", PercentDecoding::kSegment, "invalid percent-encoding at \"%2\"", true},
      {"bad%zz", PercentDecoding::kQuery, "invalid percent-encoding at \"%zz\"", true},
      {"%FF", PercentDecoding::kSegment, "not valid UTF-8 once percent-decoded (byte 0)", true},
  };
  for (const Case& c : cases) {
    auto decoded = PercentDecode(c.text, c.mode);
    if (c.error) {
      ASSERT_FALSE(decoded.ok()) << c.text;
      EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_THAT(std::string(decoded.status().message()), HasSubstr(c.decoded));
    } else {
      ASSERT_TRUE(decoded.ok()) << c.text << ": " << decoded.status();
      EXPECT_EQ(*decoded, c.decoded) << c.text;
    }
  }
}

}  // namespace
}  // namespace tane::gateway
