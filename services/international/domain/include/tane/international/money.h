#pragma once
/// Money in a partner's currency: tane.common.v1.Money, an ISO 4217 code and
/// int64 minor units. Never floating point: amounts are parsed from and
/// formatted to decimal text digit by digit, with the currency's minor-unit
/// exponent from the table below (ISO 4217 as published by SIX; a currency
/// not in the table is refused rather than guessed).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "tane/common/v1/types.pb.h"
#include "tane/core/errors.h"

namespace tane::international {

struct Currency {
  std::string_view code;  // ISO 4217 alphabetic, e.g. "EUR"
  int exponent;           // minor-unit digits: 2 for EUR, 0 for JPY, 3 for KWD
};

/// The currencies accepted, sorted by code: those of JST's SICORP and SATREPS
/// partner countries and the major reserve currencies.
std::span<const Currency> Currencies();
/// nullptr for a code not in the table (also for lower-case codes).
const Currency* FindCurrency(std::string_view code);

/// Adds violations under `field` ("requested_amount") for an unknown
/// currency_code (field + ".currency_code") or a negative amount, or a zero
/// one when `positive` (field + ".units").
void ValidateMoney(const common::v1::Money& money, const std::string& field, bool positive,
                   core::Violations& violations);

/// Parses a decimal amount in major units ("125000.50", "125000", "0.5") of
/// `currency_code` into minor units. Digits only, at most one '.', no sign,
/// no grouping, no exponent; at most the currency's exponent of fraction
/// digits (JPY takes none). INVALID_ARGUMENT naming the problem; OUT_OF_RANGE
/// when the minor units do not fit in int64.
absl::StatusOr<common::v1::Money> ParseDecimalAmount(std::string_view currency_code,
                                                     std::string_view amount);

/// The amount in major units with exactly the currency's fraction digits:
/// {EUR, 12500050} → "125000.50", {JPY, 3000000} → "3000000", {KWD, -5} →
/// "-0.005". An unknown currency is formatted as plain minor units.
std::string FormatDecimalAmount(const common::v1::Money& money);

/// "EUR 125,000.50", for messages.
std::string DescribeMoney(const common::v1::Money& money);

/// -1, 0 or 1. INVALID_ARGUMENT when the currencies differ (amounts in two
/// currencies are never compared: there is no exchange rate here).
absl::StatusOr<int> CompareMoney(const common::v1::Money& a, const common::v1::Money& b);

}  // namespace tane::international
