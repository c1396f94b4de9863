#include "tane/funds/program_terms.h"

#include "absl/strings/str_cat.h"

namespace tane::funds {
namespace {

struct InstrumentOf {
  Instrument rule;
  v1::FundingInstrument api;
};

InstrumentOf MapFundType(calls::v1::FundType type) {
  switch (type) {
    case calls::v1::FUND_TYPE_MULTI_YEAR_FUND:
      return {Instrument::kFund, v1::FUNDING_INSTRUMENT_FUND};
    case calls::v1::FUND_TYPE_GRANT_IN_AID:
      return {Instrument::kGrant, v1::FUNDING_INSTRUMENT_GRANT};
    case calls::v1::FUND_TYPE_CONTRACT:
      return {Instrument::kContract, v1::FUNDING_INSTRUMENT_CONTRACT};
    case calls::v1::FUND_TYPE_OPERATING_GRANT:
      return {Instrument::kOperatingGrant, v1::FUNDING_INSTRUMENT_OPERATING_GRANT};
    default:
      return {Instrument::kGrant, v1::FUNDING_INSTRUMENT_UNSPECIFIED};
  }
}

}  // namespace

FundingTerms FundingTermsFor(const calls::ProgramRule& program, int fiscal_year) {
  FundingTerms terms;
  const InstrumentOf instrument = MapFundType(program.FundTypeFor(fiscal_year));
  terms.instrument = instrument.api;
  terms.carry_over = program.CarryOverFor(fiscal_year);
  // The close follows the carry-over rule; a 基金 whose catalog entry asks
  // for approval closes like a grant.
  if (terms.carry_over == calls::v1::CARRY_OVER_RULE_AUTOMATIC) {
    terms.rules.instrument = Instrument::kFund;
  } else {
    terms.rules.instrument = instrument.rule == Instrument::kFund ? Instrument::kGrant : instrument.rule;
  }
  terms.indirect_rate_percent = program.indirect_rate_percent;
  if (program.indirect_rate_percent) terms.rules.indirect_rate = Ratio{*program.indirect_rate_percent, 100};
  terms.rules.reallocation_free_share = Ratio{program.reallocation_limit_percent.value_or(0), 100};
  return terms;
}

absl::StatusOr<ProgramTerms> ProgramTerms::LoadFromFile(const std::string& path) {
  auto catalog = calls::Catalog::LoadFromFile(path);
  if (!catalog.ok()) return catalog.status();
  return ProgramTerms(*std::move(catalog));
}

absl::StatusOr<FundingTerms> ProgramTerms::For(std::string_view program_id, int fiscal_year) const {
  const calls::ProgramRule* program = catalog_.Find(program_id);
  if (program == nullptr) {
    return absl::NotFoundError(absl::StrCat("program '", std::string(program_id), "' is not in the program catalog"));
  }
  return FundingTermsFor(*program, fiscal_year);
}

}  // namespace tane::funds
