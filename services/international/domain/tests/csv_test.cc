// RFC 4180 parsing and writing.

#include "tane/international/csv.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tane::international {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

using Fields = std::vector<std::string>;

struct GoodCase {
  std::string name;
  std::string text;
  std::vector<Fields> records;
  std::vector<int> lines;
};

TEST(CsvParseTest, WellFormedEdgeCases) {
  const std::vector<GoodCase> cases = {
      {"plain, CRLF", "a,b\r\nc,d\r\n", {{"a", "b"}, {"c", "d"}}, {1, 2}},
      {"LF and no final line end", "a,b\nc,d", {{"a", "b"}, {"c", "d"}}, {1, 2}},
      {"empty fields", ",\r\n,x,\r\n", {{"", ""}, {"", "x", ""}}, {1, 2}},
      {"quoted comma", "\"a,b\",c\r\n", {{"a,b", "c"}}, {1}},
      {"doubled quotes", "\"say \"\"hi\"\"\",\"\"\"\"\r\n", {{"say \"hi\"", "\""}}, {1}},
      {"empty quoted", "\"\",x\r\n", {{"", "x"}}, {1}},
      {"quoted CRLF and LF keep later lines right",
       "id,text\r\n1,\"two\r\nlines\"\r\n2,\"three\nmore\nlines\"\r\n3,end\r\n",
       {{"id", "text"}, {"1", "two\r\nlines"}, {"2", "three\nmore\nlines"}, {"3", "end"}},
       {1, 2, 4, 7}},
      {"blank lines skipped, numbering kept",
       "a\r\n\r\nb\n\nc\n",
       {{"a"}, {"b"}, {"c"}},
       {1, 3, 5}},
      {"byte order mark", "\xEF\xBB\xBFid,name\r\n", {{"id", "name"}}, {1}},
      {"spaces are data", " a , b ", {{" a ", " b "}}, {1}},
      {"Japanese",
       "題名,氏名\r\n\"熱輸送、制御\",山田 太郎\r\n",
       {{"題名", "氏名"}, {"熱輸送、制御", "山田 太郎"}},
       {1, 2}},
      {"invalid UTF-8 passes through", "\xC3\x28,ok\r\n", {{"\xC3\x28", "ok"}}, {1}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const CsvContent csv = ParseCsv(c.text);
    EXPECT_TRUE(csv.problems.empty()) << csv.problems.front().reason;
    ASSERT_EQ(csv.records.size(), c.records.size());
    for (size_t i = 0; i < c.records.size(); ++i) {
      EXPECT_EQ(csv.records[i].fields, c.records[i]) << i;
      EXPECT_EQ(csv.records[i].line, c.lines[i]) << i;
    }
  }
}

struct BadCase {
  std::string name;
  std::string text;
  int problem_line;
  std::string reason;
  std::vector<int> good_lines;  // records still read, by line
};

TEST(CsvParseTest, MalformedRecordsAreReportedAndSkipped) {
  const std::vector<BadCase> cases = {
      {"quote inside an unquoted field",
       "a,b\r\nx,y\"z\r\nc,d\r\n",
       2,
       "inside the unquoted field 2",
       {1, 3}},
      {"text after a closing quote",
       "a\r\n\"x\"y,z\r\nc\r\n",
       2,
       "after the closing quote of field 1",
       {1, 3}},
      {"bare carriage return", "a\rb\r\nc\r\n", 1, "carriage return without a line feed", {2}},
      {"unterminated quote ends the parse",
       "a\r\n\"open,\r\nb\r\n",
       2,
       "opened on line 2 is never closed",
       {1}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const CsvContent csv = ParseCsv(c.text);
    ASSERT_EQ(csv.problems.size(), 1u);
    EXPECT_EQ(csv.problems[0].line, c.problem_line);
    EXPECT_THAT(csv.problems[0].reason, HasSubstr(c.reason));
    std::vector<int> lines;
    for (const auto& r : csv.records) lines.push_back(r.line);
    EXPECT_EQ(lines, c.good_lines);
  }
}

TEST(CsvWriteTest, QuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField(""), "");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvField(" padded"), "\" padded\"");
  EXPECT_EQ(CsvField("熱輸送"), "熱輸送");
  EXPECT_EQ(CsvLine({"a", "b,c", ""}), "a,\"b,c\",\r\n");
}

TEST(CsvWriteTest, WhateverIsWrittenReadsBackTheSame) {
  const std::vector<Fields> records = {
      {"joint_proposal_id", "title", "note"},
      {"JP-001", "熱輸送のスペクトル学的理解と機能的制御", "「引用」, with \"quotes\""},
      {"JP-002", "", "multi\r\nline\nvalue"},
      {"JP-003", " leading and trailing ", "Ünïcödé — 한국어 — 中文"},
      {"", "", ""},
  };
  std::string text;
  for (const auto& r : records) text += CsvLine(r);
  const CsvContent csv = ParseCsv(text);
  ASSERT_TRUE(csv.problems.empty());
  ASSERT_EQ(csv.records.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) EXPECT_EQ(csv.records[i].fields, records[i]);
  EXPECT_THAT(csv.records.back().fields, ElementsAre("", "", ""));
}

}  // namespace
}  // namespace tane::international
