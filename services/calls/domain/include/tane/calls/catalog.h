#pragma once
/// The program catalog: every funding program (CREST, PRESTO, ..., KAKENHI
/// categories, SICORP types) with the rules calls and applications are checked
/// against. Loaded from YAML (services/calls/catalog/programs.yaml); the file
/// is validated as a whole and the first load error names the program and the
/// field. A loaded Catalog is immutable and safe to share between threads.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "tane/calls/v1/calls.pb.h"

namespace tane::calls {

struct PeriodRule {
  std::optional<int> min_months;
  std::optional<int> max_months;
  std::optional<int> extension_max_months;
  std::optional<int> pause_max_months;
};

/// Direct costs in yen; nullopt means "not stated in the sources".
struct DirectCostRule {
  std::optional<int64_t> total_min_yen;
  std::optional<int64_t> total_max_yen;
  std::optional<int64_t> yearly_min_yen;
  std::optional<int64_t> yearly_max_yen;
  std::optional<int64_t> yearly_average_yen;  // informative only
  bool per_site = false;
};

struct FundTypeChange {
  int from_fiscal_year = 0;
  v1::FundType fund_type = v1::FUND_TYPE_UNSPECIFIED;
};

struct StageGateRule {
  std::optional<int> at_month;
  std::vector<v1::StageGateOutcome> outcomes;
  std::string next_program_id;
};

struct EvaluationRule {
  std::optional<int> interim_at_month;
  bool final_evaluation = false;
  std::vector<StageGateRule> stage_gates;
};

struct PriorProgram {
  std::string program_id;
  int from_fiscal_year = 0;  // 0: always accepted
};

struct EligibilityRule {
  std::optional<int> max_years_since_phd;
  bool childcare_leave_extends = false;
  std::optional<int> childcare_extension_max_months;
  std::optional<int> max_age;
  bool young_researchers_only = false;
  bool students_allowed = false;
  bool institution_in_japan_at_start = false;
  std::optional<int> japan_institution_grace_months;
  bool foreign_institution_with_supervisor_approval = false;
  std::vector<PriorProgram> requires_prior_award;
};

struct ReviewRule {
  std::vector<v1::ReviewStage> stages;
  std::optional<int> reviewers_per_proposal;
  bool review_section_required = false;
  std::string decided_by;
  bool single_panel = false;
};

/// One program of the catalog.
struct ProgramRule {
  std::string id;
  std::string name_ja;
  std::string name_en;
  std::string scheme_ja;
  std::string notes;
  v1::Agency agency = v1::AGENCY_UNSPECIFIED;
  v1::ProgramKind kind = v1::PROGRAM_KIND_UNSPECIFIED;
  bool area_based = false;
  bool co_investigators_allowed = false;
  PeriodRule period;
  DirectCostRule direct_cost;
  /// nullopt: not stated; each call must then set its own rate.
  std::optional<int> indirect_rate_percent;
  bool indirect_rate_negotiable = false;
  v1::FundType agency_budget = v1::FUND_TYPE_UNSPECIFIED;
  /// Fund type before the first change (UNSPECIFIED: not stated).
  v1::FundType fund_type = v1::FUND_TYPE_UNSPECIFIED;
  /// Later changes, ascending by from_fiscal_year.
  std::vector<FundTypeChange> fund_type_changes;
  /// Explicit carry-over rule; nullopt: derived from the fund type in force.
  std::optional<v1::CarryOverRule> carry_over;
  std::map<v1::FundType, v1::CarryOverRule> carry_over_by_fund_type;
  std::optional<int> reallocation_limit_percent;
  ReviewRule review;
  EvaluationRule evaluation;
  EligibilityRule eligibility;
  std::optional<int> available_from_fiscal_year;

  /// The fund type for awards made in `fiscal_year` (KAKENHI 基盤研究(B) is
  /// GRANT_IN_AID in FY2022 and MULTI_YEAR_FUND from FY2023).
  v1::FundType FundTypeFor(int fiscal_year) const;
  /// The carry-over rule for awards made in `fiscal_year`.
  v1::CarryOverRule CarryOverFor(int fiscal_year) const;
  /// The program as the API shows it, with fund_type and carry_over resolved
  /// for `fiscal_year`.
  v1::Program ToProto(int fiscal_year) const;
};

class Catalog final {
 public:
  /// Parses and validates a catalog. INVALID_ARGUMENT naming the program and
  /// field for: malformed YAML, unknown keys, unknown enum values (kind,
  /// agency, fund type, ...), negative amounts or periods, min > max, duplicate
  /// ids, references to unknown programs.
  static absl::StatusOr<Catalog> LoadFromString(std::string_view yaml);
  /// Reads the file and calls LoadFromString; NOT_FOUND when it cannot be read.
  static absl::StatusOr<Catalog> LoadFromFile(const std::string& path);

  /// nullptr when unknown.
  const ProgramRule* Find(std::string_view program_id) const;
  /// NOT_FOUND when unknown.
  absl::StatusOr<const ProgramRule*> Get(std::string_view program_id) const;
  /// In file order.
  const std::vector<ProgramRule>& programs() const { return programs_; }

 private:
  std::vector<ProgramRule> programs_;
};

/// Lowercase snake names used in YAML ("multi_year_fund", "team"), for messages.
std::string_view FundTypeName(v1::FundType type);
std::string_view ProgramKindName(v1::ProgramKind kind);

}  // namespace tane::calls
