#include "tane/international/money.h"

#include <algorithm>
#include <array>
#include <limits>

#include "absl/strings/str_cat.h"
#include "internal.h"

namespace tane::international {

using internal::Sv;

namespace {

// ISO 4217 codes and minor-unit exponents. Sorted by code (checked by a test).
constexpr std::array<Currency, 66> kCurrencies = {{
    {"AED", 2}, {"ARS", 2}, {"AUD", 2}, {"BDT", 2}, {"BHD", 3}, {"BOB", 2}, {"BRL", 2}, {"CAD", 2},
    {"CHF", 2}, {"CLP", 0}, {"CNY", 2}, {"COP", 2}, {"CRC", 2}, {"CZK", 2}, {"DKK", 2}, {"EGP", 2},
    {"ETB", 2}, {"EUR", 2}, {"GBP", 2}, {"GHS", 2}, {"HKD", 2}, {"HNL", 2}, {"HUF", 2}, {"IDR", 2},
    {"ILS", 2}, {"INR", 2}, {"ISK", 0}, {"JOD", 3}, {"JPY", 0}, {"KES", 2}, {"KHR", 2}, {"KRW", 0},
    {"KWD", 3}, {"LAK", 2}, {"LKR", 2}, {"MAD", 2}, {"MMK", 2}, {"MNT", 2}, {"MXN", 2}, {"MYR", 2},
    {"MZN", 2}, {"NGN", 2}, {"NOK", 2}, {"NPR", 2}, {"NZD", 2}, {"OMR", 3}, {"PEN", 2}, {"PHP", 2},
    {"PKR", 2}, {"PLN", 2}, {"SAR", 2}, {"SEK", 2}, {"SGD", 2}, {"THB", 2}, {"TND", 3}, {"TRY", 2},
    {"TWD", 2}, {"TZS", 2}, {"UGX", 0}, {"USD", 2}, {"UZS", 2}, {"VND", 0}, {"XAF", 0}, {"XOF", 0},
    {"ZAR", 2}, {"ZMW", 2},
}};

int64_t PowerOfTen(int exponent) {
  int64_t p = 1;
  for (int i = 0; i < exponent; ++i) p *= 10;
  return p;
}

std::string GroupThousands(std::string_view digits) {
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

// Integer and fraction digits of |units| for `exponent` (no sign).
std::pair<std::string, std::string> SplitDigits(int64_t units, int exponent) {
  // Magnitude as unsigned so that INT64_MIN has one too.
  uint64_t magnitude = units < 0 ? 0 - static_cast<uint64_t>(units) : static_cast<uint64_t>(units);
  std::string digits = std::to_string(magnitude);
  if (exponent == 0) return {digits, ""};
  if (digits.size() <= static_cast<size_t>(exponent)) {
    digits.insert(0, static_cast<size_t>(exponent) + 1 - digits.size(), '0');
  }
  const size_t split = digits.size() - static_cast<size_t>(exponent);
  return {digits.substr(0, split), digits.substr(split)};
}

}  // namespace

std::span<const Currency> Currencies() { return kCurrencies; }

const Currency* FindCurrency(std::string_view code) {
  auto it = std::lower_bound(kCurrencies.begin(), kCurrencies.end(), code,
                             [](const Currency& c, std::string_view k) { return c.code < k; });
  if (it == kCurrencies.end() || it->code != code) return nullptr;
  return &*it;
}

void ValidateMoney(const common::v1::Money& money, const std::string& field, bool positive,
                   core::Violations& violations) {
  if (money.currency_code().empty()) {
    violations.Add(field + ".currency_code", "is required (an ISO 4217 code such as \"EUR\")");
  } else if (FindCurrency(money.currency_code()) == nullptr) {
    violations.Add(
        field + ".currency_code",
        absl::StrCat("\"", money.currency_code(), "\" is not a supported ISO 4217 currency code"));
  }
  if (money.units() < 0) {
    violations.Add(field + ".units", "must not be negative");
  } else if (positive && money.units() == 0) {
    violations.Add(field + ".units", "must be greater than zero");
  }
}

absl::StatusOr<common::v1::Money> ParseDecimalAmount(std::string_view currency_code,
                                                     std::string_view amount) {
  const Currency* currency = FindCurrency(currency_code);
  if (currency == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", Sv(currency_code), "\" is not a supported ISO 4217 currency code"));
  }
  if (amount.empty()) return absl::InvalidArgumentError("amount is empty");
  const size_t dot = amount.find('.');
  std::string_view whole = amount.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? "" : amount.substr(dot + 1);
  auto all_digits = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (whole.empty() || !all_digits(whole) || !all_digits(fraction) ||
      (dot != std::string_view::npos && fraction.empty())) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", Sv(amount),
                     "\" is not a plain decimal amount (digits with an optional '.' and "
                     "fraction; no sign, grouping or exponent)"));
  }
  if (fraction.size() > static_cast<size_t>(currency->exponent)) {
    return absl::InvalidArgumentError(
        currency->exponent == 0
            ? absl::StrCat(Sv(currency->code), " has no minor unit: \"", Sv(amount),
                           "\" must be a whole number")
            : absl::StrCat(Sv(currency->code), " has ", currency->exponent, " decimal places: \"",
                           Sv(amount), "\" has ", fraction.size()));
  }
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  const int64_t scale = PowerOfTen(currency->exponent);
  int64_t units = 0;
  for (char c : whole) {
    const int digit = c - '0';
    if (units > (kMax - digit) / 10) {
      return absl::OutOfRangeError(absl::StrCat("\"", Sv(amount), "\" is too large"));
    }
    units = units * 10 + digit;
  }
  if (units > kMax / scale) {
    return absl::OutOfRangeError(absl::StrCat("\"", Sv(amount), "\" is too large"));
  }
  units *= scale;
  int64_t fraction_units = 0;
  for (char c : fraction) fraction_units = fraction_units * 10 + (c - '0');
  fraction_units *= PowerOfTen(currency->exponent - static_cast<int>(fraction.size()));
  if (units > kMax - fraction_units) {
    return absl::OutOfRangeError(absl::StrCat("\"", Sv(amount), "\" is too large"));
  }
  common::v1::Money money;
  money.set_currency_code(std::string(currency->code));
  money.set_units(units + fraction_units);
  return money;
}

std::string FormatDecimalAmount(const common::v1::Money& money) {
  const Currency* currency = FindCurrency(money.currency_code());
  const int exponent = currency == nullptr ? 0 : currency->exponent;
  auto [whole, fraction] = SplitDigits(money.units(), exponent);
  return absl::StrCat(money.units() < 0 ? "-" : "", whole, fraction.empty() ? "" : ".", fraction);
}

std::string DescribeMoney(const common::v1::Money& money) {
  const Currency* currency = FindCurrency(money.currency_code());
  const int exponent = currency == nullptr ? 0 : currency->exponent;
  auto [whole, fraction] = SplitDigits(money.units(), exponent);
  return absl::StrCat(money.currency_code(), " ", money.units() < 0 ? "-" : "",
                      GroupThousands(whole), fraction.empty() ? "" : ".", fraction);
}

absl::StatusOr<int> CompareMoney(const common::v1::Money& a, const common::v1::Money& b) {
  if (a.currency_code() != b.currency_code()) {
    return absl::InvalidArgumentError(absl::StrCat("cannot compare ", a.currency_code(), " with ",
                                                   b.currency_code(), " amounts"));
  }
  return a.units() < b.units() ? -1 : (a.units() > b.units() ? 1 : 0);
}

}  // namespace tane::international
