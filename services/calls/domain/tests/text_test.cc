#include "tane/calls/text.h"

#include <string>

#include "gtest/gtest.h"

namespace tane::calls {
namespace {

TEST(TextTest, Utf8Validity) {
  struct Case {
    const char* name;
    std::string text;
    bool valid;
  };
  const Case cases[] = {
      {"ascii", "CREST 2017", true},
      {"japanese", "ナノスケール・サーマルマネージメント基盤技術の創出", true},
      {"emoji (4 bytes)", "\xF0\x9F\x8C\xB1", true},
      {"empty", "", true},
      {"stray continuation", "\x80", false},
      {"overlong slash", "\xC0\xAF", false},
      {"overlong 3-byte", "\xE0\x80\xAF", false},
      {"surrogate", "\xED\xA0\x80", false},
      {"above U+10FFFF", "\xF4\x90\x80\x80", false},
      {"truncated", "\xE3\x83", false},
      {"5-byte lead", "\xF8\x88\x80\x80\x80", false},
      {"latin-1 byte", "caf\xE9", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(IsValidUtf8(c.text), c.valid);
  }
}

TEST(TextTest, ControlCharacters) {
  EXPECT_FALSE(HasControlCharacters("題名", false));
  EXPECT_TRUE(HasControlCharacters("a\nb", false));
  EXPECT_FALSE(HasControlCharacters("a\nb\tc\r\n", true));
  EXPECT_TRUE(HasControlCharacters(std::string("a\0b", 3), true));
  EXPECT_TRUE(HasControlCharacters("a\x7F", true));
}

TEST(TextTest, NormalizeForMatching) {
  struct Case {
    const char* name;
    std::string in;
    std::string out;
  };
  const Case cases[] = {
      {"trim and collapse", "  nano   scale \t\n heat  ", "nano scale heat"},
      {"full-width ASCII to half-width", "ＣＲＥＳＴ２０１７", "crest2017"},
      {"ideographic space", "熱輸送\u3000制御", "熱輸送 制御"},
      {"half-width katakana to full-width", "ﾅﾉｽｹｰﾙ", "ナノスケール"},
      {"voiced half-width katakana", "ﾃﾞｰﾀ", "データ"},
      {"ASCII case fold", "Thermal Management", "thermal management"},
      {"non-ASCII case fold", "ÉCOLE", "école"},
      {"zero-width space removed", "熱\u200B輸送", "熱輸送"},
      {"circled digit", "①", "1"},
      {"Japanese unchanged", "生体における微粒子の機能と制御", "生体における微粒子の機能と制御"},
      {"empty", "   ", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(NormalizeForMatching(c.in), c.out);
  }
}

TEST(TextTest, MatchingHashIgnoresTrivialDifferences) {
  const std::string a = MatchingHash("ナノスケール熱輸送の制御");
  EXPECT_EQ(a.size(), 64u);
  EXPECT_EQ(MatchingHash("  ﾅﾉｽｹｰﾙ熱輸送の制御 "), a);
  EXPECT_NE(MatchingHash("ナノスケール熱輸送の解明"), a);
  EXPECT_EQ(MatchingHash(" \u3000 "), "");
}

TEST(TextTest, Sha256KnownVector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(TextTest, FormatYen) {
  EXPECT_EQ(FormatYen(0), "¥0");
  EXPECT_EQ(FormatYen(999), "¥999");
  EXPECT_EQ(FormatYen(1000), "¥1,000");
  EXPECT_EQ(FormatYen(150'000'000), "¥150,000,000");
  EXPECT_EQ(FormatYen(-5), "-¥5");
  EXPECT_EQ(FormatYen(INT64_MIN), "-¥9,223,372,036,854,775,808");
}

}  // namespace
}  // namespace tane::calls
