#pragma once
/// The funding terms of a program in a fiscal year, read from the shipped
/// program catalog (services/calls/catalog/programs.yaml, tane::calls_catalog):
/// the one place where funds turns catalog entries into ProgramRules.
///
///   catalog                          funds
///   fund_type / fund_type_changes    FundingTerms::instrument (reported in events)
///   carry_over (or by fund type)     close rule: AUTOMATIC → ProgramRules::instrument kFund
///                                    (carry-over free, 前倒し allowed); REQUIRES_APPROVAL →
///                                    the fund type's single-year instrument (繰越 needs an
///                                    approval); NOT_ALLOWED → returned at close, no approvals
///   indirect_rate_percent            ProgramRules::indirect_rate (null: the project's own rate)
///   reallocation_limit_percent       ProgramRules::reallocation_free_share (null: 0, every
///                                    move needs an approval)
///
/// 前倒し's limit is not in the catalog; ProgramRules' default (100% of the
/// next year's allocation) applies. Immutable once built; thread-safe.

#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "tane/calls/catalog.h"
#include "tane/funds/rules.h"
#include "tane/funds/v1/funds.pb.h"

namespace tane::funds {

struct FundingTerms {
  ProgramRules rules;
  v1::FundingInstrument instrument = v1::FUNDING_INSTRUMENT_UNSPECIFIED;
  /// nullopt: the catalog leaves the rate to each call.
  std::optional<int> indirect_rate_percent;
  /// UNSPECIFIED when the catalog states no fund type for the year.
  calls::v1::CarryOverRule carry_over = calls::v1::CARRY_OVER_RULE_UNSPECIFIED;
};

/// The terms of `program` for money awarded or budgeted in `fiscal_year`.
FundingTerms FundingTermsFor(const calls::ProgramRule& program, int fiscal_year);

/// The catalog with FundingTermsFor per program.
class ProgramTerms final {
 public:
  explicit ProgramTerms(calls::Catalog catalog) : catalog_(std::move(catalog)) {}
  /// Catalog::LoadFromFile's errors.
  static absl::StatusOr<ProgramTerms> LoadFromFile(const std::string& path);

  /// NOT_FOUND naming the program when the catalog does not list it.
  absl::StatusOr<FundingTerms> For(std::string_view program_id, int fiscal_year) const;
  const calls::Catalog& catalog() const { return catalog_; }

 private:
  calls::Catalog catalog_;
};

}  // namespace tane::funds
