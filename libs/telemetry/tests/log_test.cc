#include "tane/telemetry/log.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <mutex>
#include <thread>
#include <vector>

namespace tane::telemetry {
namespace {

google::protobuf::Struct ParseJson(const std::string& line) {
  google::protobuf::Struct parsed;
  auto status = google::protobuf::util::JsonStringToMessage(line, &parsed);
  EXPECT_TRUE(status.ok()) << status.ToString() << " in " << line;
  return parsed;
}

TEST(JsonQuote, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(JsonQuote("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(JsonQuote("\n\r\t\b\f"), R"("\n\r\t\b\f")");
  EXPECT_EQ(JsonQuote(std::string("\x01\x1f\x7f", 3)), R"("\u0001\u001f\u007f")");
  EXPECT_EQ(JsonQuote(std::string("a\0b", 3)), R"("a\u0000b")");
  EXPECT_EQ(JsonQuote("/"), R"("/")");
}

TEST(JsonQuote, PassesUtf8Through) {
  EXPECT_EQ(JsonQuote("戦略的創造研究推進事業 CREST"), "\"戦略的創造研究推進事業 CREST\"");
  EXPECT_EQ(JsonQuote("€ 𝄞"), "\"€ 𝄞\"");
}

TEST(JsonQuote, ReplacesInvalidUtf8) {
  EXPECT_EQ(JsonQuote("a\xff"
                      "b"),
            R"("a\ufffdb")");
  EXPECT_EQ(JsonQuote("\xe7\xa0"), R"("\ufffd\ufffd")");            // truncated 研
  EXPECT_EQ(JsonQuote("\xc0\xaf"), R"("\ufffd\ufffd")");            // overlong '/'
  EXPECT_EQ(JsonQuote("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");  // a surrogate
}

TEST(FormatLogLine, HasTheFixedFieldsThenTheExtras) {
  const absl::Time ts = absl::FromUnixMillis(1714532645678);  // 2024-05-01T03:04:05.678Z
  const std::string line = FormatLogLine(ts, LogLevel::kWarn, "calls", "0123456789abcdef0123456789abcdef", "submitted",
                                         {{"call_id", "c-1"}, {"shard", 3}, {"late", false}});
  EXPECT_EQ(line, R"({"ts":"2024-05-01T03:04:05.678Z","level":"warn","service":"calls",)"
                  R"("trace_id":"0123456789abcdef0123456789abcdef","msg":"submitted",)"
                  R"("call_id":"c-1","shard":3,"late":false})");
}

TEST(FormatLogLine, OmitsEmptyTraceIdAndRenamesReservedKeys) {
  const std::string line =
      FormatLogLine(absl::UnixEpoch(), LogLevel::kInfo, "funds", "", "m", {{"msg", "x"}, {"ts", 1.5}});
  EXPECT_EQ(line, R"({"ts":"1970-01-01T00:00:00.000Z","level":"info","service":"funds","msg":"m",)"
                  R"("x_msg":"x","x_ts":1.5})");
}

TEST(FormatLogLine, JapaneseAndControlCharactersRoundTripThroughAJsonParser) {
  const std::string title = "ナノ科学\t\"量子\"\\n\n\x01終";
  const std::string line = FormatLogLine(absl::Now(), LogLevel::kError, "サービス", "", title, {{"研究課題", title}});
  EXPECT_EQ(line.find('\n'), std::string::npos);
  auto parsed = ParseJson(line);
  EXPECT_EQ(parsed.fields().at("msg").string_value(), title);
  EXPECT_EQ(parsed.fields().at("service").string_value(), "サービス");
  EXPECT_EQ(parsed.fields().at("研究課題").string_value(), title);
  EXPECT_EQ(parsed.fields().at("level").string_value(), "error");
}

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogService("reviews");
    SetLogLevel(LogLevel::kInfo);
    SetLogSink([this](std::string_view line) {
      std::lock_guard lock(mu_);
      lines_.emplace_back(line);
    });
  }
  void TearDown() override {
    SetLogSink(nullptr);
    SetLogLevel(LogLevel::kInfo);
  }
  std::vector<std::string> Lines() {
    std::lock_guard lock(mu_);
    return lines_;
  }

  std::mutex mu_;
  std::vector<std::string> lines_;
};

TEST_F(LogTest, FiltersByLevel) {
  LogDebug("hidden");
  LogInfo("shown");
  SetLogLevel(LogLevel::kError);
  LogWarn("hidden too");
  LogError("shown too");
  auto lines = Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(ParseJson(lines[0]).fields().at("msg").string_value(), "shown");
  EXPECT_EQ(ParseJson(lines[1]).fields().at("msg").string_value(), "shown too");
}

TEST_F(LogTest, UsesTheScopedTraceIdOrAnExplicitOne) {
  {
    ScopedTraceId outer("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    LogInfo("one");
    {
      ScopedTraceId inner("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
      LogInfo("two");
    }
    LogInfo("three", {{"trace_id", "cccccccccccccccccccccccccccccccc"}});
  }
  LogInfo("four");
  auto lines = Lines();
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(ParseJson(lines[0]).fields().at("trace_id").string_value(), "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  EXPECT_EQ(ParseJson(lines[1]).fields().at("trace_id").string_value(), "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
  EXPECT_EQ(ParseJson(lines[2]).fields().at("trace_id").string_value(), "cccccccccccccccccccccccccccccccc");
  EXPECT_EQ(ParseJson(lines[3]).fields().count("trace_id"), 0u);
  EXPECT_EQ(ParseJson(lines[3]).fields().at("service").string_value(), "reviews");
}

TEST_F(LogTest, ConcurrentWritersProduceWholeLines) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < 100; ++i) LogInfo("審査", {{"thread", t}, {"i", i}});
    });
  }
  for (auto& th : threads) th.join();
  auto lines = Lines();
  ASSERT_EQ(lines.size(), 400u);
  for (const auto& line : lines) EXPECT_EQ(ParseJson(line).fields().at("msg").string_value(), "審査");
}

TEST(ParseLogLevel, AcceptsTheUsualNames) {
  EXPECT_EQ(ParseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(ParseLogLevel("INFO"), LogLevel::kInfo);
  EXPECT_EQ(ParseLogLevel("warning"), LogLevel::kWarn);
  EXPECT_EQ(ParseLogLevel("error"), LogLevel::kError);
  EXPECT_EQ(ParseLogLevel("verbose"), std::nullopt);
}

}  // namespace
}  // namespace tane::telemetry
