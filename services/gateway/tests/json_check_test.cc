#include "tane/gateway/json_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tane::gateway {
namespace {

using ::testing::HasSubstr;

TEST(JsonCheckTest, AcceptsWellFormedJson) {
  for (std::string text : {"{}", "[]", "0", "-0.5e+3", "\"x\"", "true", "null", " {\"a\":[1,2,{\"b\":null}]} \n",
                           R"({"t":"種\u7a2e\ud83c\udf31\n\"\\\/"})", R"({"a":{"x":1},"b":{"x":2}})"}) {
    EXPECT_TRUE(CheckJson(text).ok()) << text << ": " << CheckJson(text);
  }
}

TEST(JsonCheckTest, RefusesWithLineAndColumn) {
  struct Case {
    std::string text;
    std::string error;
  } cases[] = {
      {"", "line 1, column 1: expected a JSON value, found nothing"},
      {"{", "line 1, column 2: expected a string object key"},
      {"{\"a\" 1}", "line 1, column 6: expected ':' after an object key"},
      {"{\"a\":1,}", "line 1, column 8: expected a string object key"},
      {"[1 2]", "line 1, column 4: expected ',' or ']' in an array"},
      {"{\"a\":1} x", "line 1, column 9: unexpected text after the JSON value"},
      {"{\n\"a\":1,\n\"a\":2}", "line 3, column 1: duplicate key \"a\""},
      {"{\"種\":tru}", "line 1, column 6: invalid literal, expected true"},
      {"01", "numbers cannot have leading zeros"},
      {"1.", "digits must follow '.'"},
      {"1e", "digits must follow the exponent"},
      {"-", "invalid number"},
      {"+1", "unexpected character '+'"},
      {"\"a\tb\"", "control character inside a string"},
      {"\"\\x\"", "invalid escape sequence"},
      {"\"\\u12\"", "\\u must be followed by four hex digits"},
      {"\"\\udc00\"", "lone low surrogate"},
      {"\"\\ud800x\"", "high surrogate \\u escape without its low surrogate"},
      {"\"abc", "unexpected end of input inside a string"},
      {"[\"\xe7\xa8\xae\", \"\xc3\x28\"]", "line 1, column 8: not valid UTF-8"},
      {"{'a':1}", "expected a string object key"},
  };
  for (const Case& c : cases) {
    absl::Status status = CheckJson(c.text);
    ASSERT_FALSE(status.ok()) << c.text;
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.error)) << c.text;
  }
}

TEST(JsonCheckTest, BoundsNesting) {
  EXPECT_TRUE(CheckJson(std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']')).ok());
  absl::Status deep = CheckJson(std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']'));
  EXPECT_THAT(std::string(deep.message()), HasSubstr("nested deeper than 64 levels"));
  // Far deeper than any stack would take if the checker recursed unbounded.
  EXPECT_FALSE(CheckJson(std::string(1 << 20, '[')).ok());
}

}  // namespace
}  // namespace tane::gateway
