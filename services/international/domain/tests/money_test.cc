// Partner-currency money: ISO 4217 codes and exponents, decimal text to minor
// units and back, all in integers.

#include "tane/international/money.h"

#include <limits>
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tane::international {
namespace {

using ::testing::HasSubstr;

TEST(CurrencyTableTest, IsSortedUniqueWithIsoExponents) {
  const auto table = Currencies();
  ASSERT_FALSE(table.empty());
  std::set<std::string_view> codes;
  for (size_t i = 0; i < table.size(); ++i) {
    EXPECT_EQ(table[i].code.size(), 3u) << table[i].code;
    EXPECT_TRUE(table[i].exponent == 0 || table[i].exponent == 2 || table[i].exponent == 3)
        << table[i].code;
    if (i > 0) {
      EXPECT_LT(table[i - 1].code, table[i].code);
    }
    EXPECT_TRUE(codes.insert(table[i].code).second);
    EXPECT_EQ(FindCurrency(table[i].code), &table[i]);
  }
  struct Known {
    std::string_view code;
    int exponent;
  };
  for (const Known k :
       {Known{"JPY", 0}, Known{"USD", 2}, Known{"EUR", 2}, Known{"GBP", 2}, Known{"KRW", 0},
        Known{"VND", 0}, Known{"IDR", 2}, Known{"KWD", 3}, Known{"TND", 3}, Known{"XOF", 0}}) {
    ASSERT_NE(FindCurrency(k.code), nullptr) << k.code;
    EXPECT_EQ(FindCurrency(k.code)->exponent, k.exponent) << k.code;
  }
  EXPECT_EQ(FindCurrency("eur"), nullptr);
  EXPECT_EQ(FindCurrency("XXX"), nullptr);
  EXPECT_EQ(FindCurrency(""), nullptr);
}

struct ParseCase {
  std::string currency;
  std::string text;
  absl::StatusCode code;
  int64_t units;
  std::string message;
};

TEST(ParseDecimalAmountTest, Table) {
  const std::vector<ParseCase> cases = {
      {"EUR", "125000.50", absl::StatusCode::kOk, 12500050, ""},
      {"EUR", "125000.5", absl::StatusCode::kOk, 12500050, ""},
      {"EUR", "125000", absl::StatusCode::kOk, 12500000, ""},
      {"EUR", "0.01", absl::StatusCode::kOk, 1, ""},
      {"EUR", "007.10", absl::StatusCode::kOk, 710, ""},
      {"JPY", "30000000", absl::StatusCode::kOk, 30000000, ""},
      {"KWD", "1.234", absl::StatusCode::kOk, 1234, ""},
      {"USD", "92233720368547758.07", absl::StatusCode::kOk, std::numeric_limits<int64_t>::max(),
       ""},
      {"USD", "92233720368547758.08", absl::StatusCode::kOutOfRange, 0, "too large"},
      {"JPY", "9223372036854775808", absl::StatusCode::kOutOfRange, 0, "too large"},
      {"EUR", "125000.505", absl::StatusCode::kInvalidArgument, 0, "EUR has 2 decimal places"},
      {"JPY", "100.0", absl::StatusCode::kInvalidArgument, 0, "JPY has no minor unit"},
      {"EUR", "1,000.00", absl::StatusCode::kInvalidArgument, 0, "not a plain decimal"},
      {"EUR", "-5.00", absl::StatusCode::kInvalidArgument, 0, "not a plain decimal"},
      {"EUR", "+5", absl::StatusCode::kInvalidArgument, 0, "not a plain decimal"},
      {"EUR", "1e6", absl::StatusCode::kInvalidArgument, 0, "not a plain decimal"},
      {"EUR", ".5", absl::StatusCode::kInvalidArgument, 0, "not a plain decimal"},
      {"EUR", "5.", absl::StatusCode::kInvalidArgument, 0, "not a plain decimal"},
      {"EUR", "１００", absl::StatusCode::kInvalidArgument, 0, "not a plain decimal"},
      {"EUR", "", absl::StatusCode::kInvalidArgument, 0, "empty"},
      {"EUX", "5", absl::StatusCode::kInvalidArgument, 0, "not a supported ISO 4217"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.currency + " " + c.text);
    auto m = ParseDecimalAmount(c.currency, c.text);
    EXPECT_EQ(m.status().code(), c.code) << m.status();
    if (m.ok()) {
      EXPECT_EQ(m->currency_code(), c.currency);
      EXPECT_EQ(m->units(), c.units);
    } else {
      EXPECT_THAT(m.status().message(), HasSubstr(c.message));
    }
  }
}

TEST(FormatAmountTest, ExactDigitsAndRoundTrip) {
  struct Case {
    std::string currency;
    int64_t units;
    std::string decimal;
    std::string described;
  };
  const std::vector<Case> cases = {
      {"EUR", 12500050, "125000.50", "EUR 125,000.50"},
      {"EUR", 5, "0.05", "EUR 0.05"},
      {"EUR", 0, "0.00", "EUR 0.00"},
      {"JPY", 300000000, "300000000", "JPY 300,000,000"},
      {"KWD", -5, "-0.005", "KWD -0.005"},
      {"USD", std::numeric_limits<int64_t>::max(), "92233720368547758.07",
       "USD 92,233,720,368,547,758.07"},
      {"USD", std::numeric_limits<int64_t>::min(), "-92233720368547758.08",
       "USD -92,233,720,368,547,758.08"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.decimal);
    common::v1::Money m;
    m.set_currency_code(c.currency);
    m.set_units(c.units);
    EXPECT_EQ(FormatDecimalAmount(m), c.decimal);
    EXPECT_EQ(DescribeMoney(m), c.described);
    if (c.units >= 0) {
      auto back = ParseDecimalAmount(c.currency, c.decimal);
      ASSERT_TRUE(back.ok()) << back.status();
      EXPECT_EQ(back->units(), c.units);
    }
  }
}

TEST(MoneyTest, ValidateAndCompare) {
  common::v1::Money eur;
  eur.set_currency_code("EUR");
  eur.set_units(0);
  core::Violations v;
  ValidateMoney(eur, "amount", true, v);
  ASSERT_EQ(v.items().size(), 1u);
  EXPECT_EQ(v.items()[0].field, "amount.units");

  common::v1::Money bad;
  bad.set_currency_code("ABC");
  bad.set_units(-1);
  core::Violations w;
  ValidateMoney(bad, "amount", false, w);
  ASSERT_EQ(w.items().size(), 2u);
  EXPECT_EQ(w.items()[0].field, "amount.currency_code");
  EXPECT_EQ(w.items()[1].field, "amount.units");

  common::v1::Money more = eur;
  more.set_units(1);
  EXPECT_EQ(*CompareMoney(eur, more), -1);
  EXPECT_EQ(*CompareMoney(more, eur), 1);
  EXPECT_EQ(*CompareMoney(eur, eur), 0);
  common::v1::Money usd = more;
  usd.set_currency_code("USD");
  EXPECT_EQ(CompareMoney(usd, more).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tane::international
