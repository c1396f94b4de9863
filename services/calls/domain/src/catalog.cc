#include "tane/calls/catalog.h"

#include <algorithm>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tane/core/time.h"
#include "yaml_util.h"

namespace tane::calls {
namespace {

using impl::CheckMap;
using impl::Join;
using impl::ReadBool;
using impl::ReadOptionalInt;
using impl::ReadString;
using impl::YamlError;

constexpr int64_t kMaxMonths = 1200;  // a century: anything above is a typo
constexpr int64_t kMaxYen = std::numeric_limits<int64_t>::max();

template <typename Enum>
struct EnumName {
  std::string_view name;
  Enum value;
};

constexpr EnumName<v1::ProgramKind> kKinds[] = {
    {"individual", v1::PROGRAM_KIND_INDIVIDUAL},
    {"team", v1::PROGRAM_KIND_TEAM},
    {"leader_driven", v1::PROGRAM_KIND_LEADER_DRIVEN},
    {"international", v1::PROGRAM_KIND_INTERNATIONAL},
    {"follow_on", v1::PROGRAM_KIND_FOLLOW_ON},
    {"bottom_up", v1::PROGRAM_KIND_BOTTOM_UP},
};
constexpr EnumName<v1::Agency> kAgencies[] = {
    {"JST", v1::AGENCY_JST}, {"AMED", v1::AGENCY_AMED}, {"JSPS", v1::AGENCY_JSPS}};
constexpr EnumName<v1::FundType> kFundTypes[] = {
    {"operating_grant", v1::FUND_TYPE_OPERATING_GRANT},
    {"grant_in_aid", v1::FUND_TYPE_GRANT_IN_AID},
    {"multi_year_fund", v1::FUND_TYPE_MULTI_YEAR_FUND},
    {"contract", v1::FUND_TYPE_CONTRACT},
};
constexpr EnumName<v1::CarryOverRule> kCarryOver[] = {
    {"automatic", v1::CARRY_OVER_RULE_AUTOMATIC},
    {"requires_approval", v1::CARRY_OVER_RULE_REQUIRES_APPROVAL},
    {"not_allowed", v1::CARRY_OVER_RULE_NOT_ALLOWED},
};
constexpr EnumName<v1::ReviewStage> kStages[] = {
    {"document", v1::REVIEW_STAGE_DOCUMENT},
    {"interview", v1::REVIEW_STAGE_INTERVIEW},
    {"panel", v1::REVIEW_STAGE_PANEL},
};
constexpr EnumName<v1::StageGateOutcome> kOutcomes[] = {
    {"continue", v1::STAGE_GATE_OUTCOME_CONTINUE},
    {"expand", v1::STAGE_GATE_OUTCOME_EXPAND},
    {"stop", v1::STAGE_GATE_OUTCOME_STOP},
    {"advance", v1::STAGE_GATE_OUTCOME_ADVANCE},
};
// Who decides adoption; a closed list so that typos fail the load.
constexpr std::string_view kDeciders[] = {
    "research_supervisor", "program_supervisor", "program_officer",  "program_manager",
    "selection_panel",     "steering_committee", "review_committee",
};

template <typename Enum, size_t N>
std::string Choices(const EnumName<Enum> (&names)[N]) {
  std::string out;
  for (const auto& n : names) absl::StrAppend(&out, out.empty() ? "" : ", ", std::string(n.name));
  return out;
}

template <typename Enum, size_t N>
absl::Status ParseEnum(const YAML::Node& node, std::string_view path,
                       const EnumName<Enum> (&names)[N], Enum* out) {
  if (!node.IsScalar()) return YamlError(path, absl::StrCat("must be one of: ", Choices(names)));
  for (const auto& n : names) {
    if (n.name == node.Scalar()) {
      *out = n.value;
      return absl::OkStatus();
    }
  }
  return YamlError(path, absl::StrCat("unknown value \"", node.Scalar(),
                                      "\"; expected one of: ", Choices(names)));
}

// An enum field that may be absent (leaves *out) or null (sets `null_value`).
template <typename Enum, size_t N>
absl::Status ReadEnum(const YAML::Node& map, std::string_view key, std::string_view where,
                      const EnumName<Enum> (&names)[N], bool required, Enum null_value, Enum* out,
                      bool* present = nullptr) {
  const YAML::Node node = map[std::string(key)];
  if (present != nullptr) *present = node.IsDefined() && !node.IsNull();
  if (!node.IsDefined()) {
    if (required) return YamlError(Join(where, key), "is required");
    return absl::OkStatus();
  }
  if (node.IsNull()) {
    *out = null_value;
    return absl::OkStatus();
  }
  return ParseEnum(node, Join(where, key), names, out);
}

absl::Status ReadInt(const YAML::Node& map, std::string_view key, std::string_view where,
                     int64_t min, int64_t max, std::optional<int>* out) {
  std::optional<int64_t> value = *out;
  if (auto s = ReadOptionalInt(map, key, where, min, max, &value); !s.ok()) return s;
  *out = value ? std::optional<int>(static_cast<int>(*value)) : std::nullopt;
  return absl::OkStatus();
}

absl::Status CheckMinMax(std::string_view where, std::string_view min_key,
                         const std::optional<int64_t>& min, std::string_view max_key,
                         const std::optional<int64_t>& max) {
  if (min && max && *min > *max) {
    return YamlError(Join(where, min_key),
                     absl::StrCat(*min, " is greater than ", std::string(max_key), " ", *max));
  }
  return absl::OkStatus();
}

std::optional<int64_t> Widen(const std::optional<int>& v) {
  return v ? std::optional<int64_t>(*v) : std::nullopt;
}

struct Defaults {
  std::optional<int> indirect_rate_percent;
  std::optional<int> reallocation_limit_percent;
  std::optional<int> reviewers_per_proposal;
  std::map<v1::FundType, v1::CarryOverRule> carry_over_by_fund_type;
};

absl::Status ParseDefaults(const YAML::Node& node, Defaults* out) {
  if (!node.IsDefined() || node.IsNull()) return absl::OkStatus();
  const std::string where = "defaults";
  if (auto s = CheckMap(node, where,
                        {"indirect_rate_percent", "reallocation_limit_percent",
                         "reviewers_per_proposal", "carry_over_by_fund_type"});
      !s.ok()) {
    return s;
  }
  if (auto s = ReadInt(node, "indirect_rate_percent", where, 0, 100, &out->indirect_rate_percent);
      !s.ok()) {
    return s;
  }
  if (auto s = ReadInt(node, "reallocation_limit_percent", where, 0, 100,
                       &out->reallocation_limit_percent);
      !s.ok()) {
    return s;
  }
  if (auto s = ReadInt(node, "reviewers_per_proposal", where, 1, 100, &out->reviewers_per_proposal);
      !s.ok()) {
    return s;
  }
  const YAML::Node carry = node["carry_over_by_fund_type"];
  if (carry.IsDefined() && !carry.IsNull()) {
    const std::string cw = Join(where, "carry_over_by_fund_type");
    if (!carry.IsMap()) return YamlError(cw, "must be a map from fund type to carry-over rule");
    for (const auto& entry : carry) {
      v1::FundType fund{};
      v1::CarryOverRule rule{};
      if (auto s = ParseEnum(entry.first, cw, kFundTypes, &fund); !s.ok()) return s;
      if (auto s = ParseEnum(entry.second, Join(cw, entry.first.Scalar()), kCarryOver, &rule);
          !s.ok()) {
        return s;
      }
      out->carry_over_by_fund_type[fund] = rule;
    }
  }
  return absl::OkStatus();
}

absl::Status ParsePeriod(const YAML::Node& node, std::string_view where, PeriodRule* out) {
  if (!node.IsDefined()) return YamlError(where, "is required (use nulls for values not stated)");
  if (auto s = CheckMap(node, where, {"min", "max", "extension_max", "pause_max"}); !s.ok()) {
    return s;
  }
  // min and max must be written out (null when not stated) so that a missing
  // figure is a visible decision in the file, not an omission.
  for (const char* key : {"min", "max"}) {
    if (!node[key].IsDefined()) {
      return YamlError(Join(where, key), "is required (null when not stated in the sources)");
    }
  }
  if (auto s = ReadInt(node, "min", where, 1, kMaxMonths, &out->min_months); !s.ok()) return s;
  if (auto s = ReadInt(node, "max", where, 1, kMaxMonths, &out->max_months); !s.ok()) return s;
  if (auto s = ReadInt(node, "extension_max", where, 1, kMaxMonths, &out->extension_max_months);
      !s.ok()) {
    return s;
  }
  if (auto s = ReadInt(node, "pause_max", where, 1, kMaxMonths, &out->pause_max_months); !s.ok()) {
    return s;
  }
  if (auto s = CheckMinMax(where, "min", Widen(out->min_months), "max", Widen(out->max_months));
      !s.ok()) {
    return s;
  }
  return CheckMinMax(where, "max", Widen(out->max_months), "extension_max",
                     Widen(out->extension_max_months));
}

absl::Status ParseDirectCost(const YAML::Node& node, std::string_view where, DirectCostRule* out) {
  if (!node.IsDefined()) return YamlError(where, "is required (use nulls for values not stated)");
  if (auto s = CheckMap(
          node, where,
          {"total_min", "total_max", "yearly_min", "yearly_max", "yearly_average", "per_site"});
      !s.ok()) {
    return s;
  }
  for (const char* key : {"total_min", "total_max", "yearly_min", "yearly_max"}) {
    if (!node[key].IsDefined()) {
      return YamlError(Join(where, key), "is required (null when not stated in the sources)");
    }
  }
  struct {
    const char* key;
    std::optional<int64_t>* field;
  } fields[] = {{"total_min", &out->total_min_yen},
                {"total_max", &out->total_max_yen},
                {"yearly_min", &out->yearly_min_yen},
                {"yearly_max", &out->yearly_max_yen},
                {"yearly_average", &out->yearly_average_yen}};
  for (const auto& f : fields) {
    if (auto s = ReadOptionalInt(node, f.key, where, 0, kMaxYen, f.field); !s.ok()) return s;
  }
  if (auto s = ReadBool(node, "per_site", where, &out->per_site); !s.ok()) return s;
  if (auto s = CheckMinMax(where, "total_min", out->total_min_yen, "total_max", out->total_max_yen);
      !s.ok()) {
    return s;
  }
  if (auto s =
          CheckMinMax(where, "yearly_min", out->yearly_min_yen, "yearly_max", out->yearly_max_yen);
      !s.ok()) {
    return s;
  }
  if (!out->per_site && out->yearly_max_yen && out->total_max_yen &&
      *out->yearly_max_yen > *out->total_max_yen) {
    return YamlError(
        Join(where, "yearly_max"),
        absl::StrCat(*out->yearly_max_yen, " is greater than total_max ", *out->total_max_yen));
  }
  return absl::OkStatus();
}

absl::Status ParseReview(const YAML::Node& node, std::string_view where, const Defaults& defaults,
                         ReviewRule* out) {
  out->reviewers_per_proposal = defaults.reviewers_per_proposal;
  if (!node.IsDefined()) return YamlError(where, "is required");
  if (auto s = CheckMap(node, where,
                        {"stages", "reviewers_per_proposal", "review_section_required",
                         "decided_by", "single_panel"});
      !s.ok()) {
    return s;
  }
  const YAML::Node stages = node["stages"];
  const std::string sw = Join(where, "stages");
  if (!stages.IsDefined() || !stages.IsSequence() || stages.size() == 0) {
    return YamlError(sw, "must be a non-empty list of document | interview | panel");
  }
  for (size_t i = 0; i < stages.size(); ++i) {
    v1::ReviewStage stage{};
    if (auto s = ParseEnum(stages[i], absl::StrCat(sw, "[", i, "]"), kStages, &stage); !s.ok()) {
      return s;
    }
    out->stages.push_back(stage);
  }
  if (auto s = ReadInt(node, "reviewers_per_proposal", where, 1, 100, &out->reviewers_per_proposal);
      !s.ok()) {
    return s;
  }
  if (auto s = ReadBool(node, "review_section_required", where, &out->review_section_required);
      !s.ok()) {
    return s;
  }
  if (auto s = ReadBool(node, "single_panel", where, &out->single_panel); !s.ok()) return s;
  if (auto s = ReadString(node, "decided_by", where, true, &out->decided_by); !s.ok()) return s;
  if (std::find(std::begin(kDeciders), std::end(kDeciders), out->decided_by) ==
      std::end(kDeciders)) {
    std::string choices;
    for (auto d : kDeciders) absl::StrAppend(&choices, choices.empty() ? "" : ", ", std::string(d));
    return YamlError(Join(where, "decided_by"), absl::StrCat("unknown value \"", out->decided_by,
                                                             "\"; expected one of: ", choices));
  }
  return absl::OkStatus();
}

absl::Status ParseEvaluation(const YAML::Node& node, std::string_view where, EvaluationRule* out) {
  if (!node.IsDefined()) return YamlError(where, "is required");
  if (auto s = CheckMap(node, where, {"interim_at_month", "final", "stage_gates"}); !s.ok()) {
    return s;
  }
  if (auto s = ReadInt(node, "interim_at_month", where, 1, kMaxMonths, &out->interim_at_month);
      !s.ok()) {
    return s;
  }
  if (auto s = ReadBool(node, "final", where, &out->final_evaluation); !s.ok()) return s;
  const YAML::Node gates = node["stage_gates"];
  if (!gates.IsDefined() || gates.IsNull()) return absl::OkStatus();
  const std::string gw = Join(where, "stage_gates");
  if (!gates.IsSequence()) return YamlError(gw, "must be a list");
  for (size_t i = 0; i < gates.size(); ++i) {
    const std::string w = absl::StrCat(gw, "[", i, "]");
    StageGateRule gate;
    if (auto s = CheckMap(gates[i], w, {"at_month", "outcomes", "next_program_id"}); !s.ok()) {
      return s;
    }
    if (auto s = ReadInt(gates[i], "at_month", w, 1, kMaxMonths, &gate.at_month); !s.ok()) return s;
    const YAML::Node outcomes = gates[i]["outcomes"];
    if (!outcomes.IsDefined() || !outcomes.IsSequence() || outcomes.size() == 0) {
      return YamlError(Join(w, "outcomes"),
                       absl::StrCat("must be a non-empty list of: ", Choices(kOutcomes)));
    }
    for (size_t j = 0; j < outcomes.size(); ++j) {
      v1::StageGateOutcome o{};
      if (auto s = ParseEnum(outcomes[j], absl::StrCat(w, ".outcomes[", j, "]"), kOutcomes, &o);
          !s.ok()) {
        return s;
      }
      gate.outcomes.push_back(o);
    }
    if (auto s = ReadString(gates[i], "next_program_id", w, false, &gate.next_program_id);
        !s.ok()) {
      return s;
    }
    out->stage_gates.push_back(std::move(gate));
  }
  return absl::OkStatus();
}

absl::Status ParseEligibility(const YAML::Node& node, std::string_view where,
                              EligibilityRule* out) {
  if (!node.IsDefined() || node.IsNull()) return absl::OkStatus();
  if (auto s = CheckMap(
          node, where,
          {"max_years_since_phd", "childcare_leave_extends", "childcare_extension_max_months",
           "max_age", "young_researchers_only", "students_allowed", "institution_in_japan_at_start",
           "japan_institution_grace_months", "foreign_institution_with_supervisor_approval",
           "requires_prior_award"});
      !s.ok()) {
    return s;
  }
  if (auto s = ReadInt(node, "max_years_since_phd", where, 0, 100, &out->max_years_since_phd);
      !s.ok()) {
    return s;
  }
  if (auto s = ReadBool(node, "childcare_leave_extends", where, &out->childcare_leave_extends);
      !s.ok()) {
    return s;
  }
  if (auto s = ReadInt(node, "childcare_extension_max_months", where, 0, kMaxMonths,
                       &out->childcare_extension_max_months);
      !s.ok()) {
    return s;
  }
  if (auto s = ReadInt(node, "max_age", where, 1, 150, &out->max_age); !s.ok()) return s;
  if (auto s = ReadBool(node, "young_researchers_only", where, &out->young_researchers_only);
      !s.ok()) {
    return s;
  }
  if (auto s = ReadBool(node, "students_allowed", where, &out->students_allowed); !s.ok()) return s;
  if (auto s = ReadBool(node, "institution_in_japan_at_start", where,
                        &out->institution_in_japan_at_start);
      !s.ok()) {
    return s;
  }
  if (auto s = ReadInt(node, "japan_institution_grace_months", where, 0, kMaxMonths,
                       &out->japan_institution_grace_months);
      !s.ok()) {
    return s;
  }
  if (auto s = ReadBool(node, "foreign_institution_with_supervisor_approval", where,
                        &out->foreign_institution_with_supervisor_approval);
      !s.ok()) {
    return s;
  }
  const YAML::Node prior = node["requires_prior_award"];
  if (!prior.IsDefined() || prior.IsNull()) return absl::OkStatus();
  const std::string pw = Join(where, "requires_prior_award");
  if (!prior.IsSequence()) return YamlError(pw, "must be a list");
  for (size_t i = 0; i < prior.size(); ++i) {
    const std::string w = absl::StrCat(pw, "[", i, "]");
    if (auto s = CheckMap(prior[i], w, {"program_id", "from_fiscal_year"}); !s.ok()) return s;
    PriorProgram p;
    if (auto s = ReadString(prior[i], "program_id", w, true, &p.program_id); !s.ok()) return s;
    std::optional<int> from;
    if (auto s = ReadInt(prior[i], "from_fiscal_year", w, 1900, 2200, &from); !s.ok()) return s;
    p.from_fiscal_year = from.value_or(0);
    out->requires_prior_award.push_back(std::move(p));
  }
  return absl::OkStatus();
}

bool IsValidProgramId(std::string_view id) {
  if (id.empty() || id.size() > 63) return false;
  if (id.front() == '-' || id.back() == '-') return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

absl::Status ParseProgram(const YAML::Node& node, size_t index, const Defaults& defaults,
                          ProgramRule* p) {
  std::string where = absl::StrCat("programs[", index, "]");
  if (!node.IsMap()) return YamlError(where, "must be a map");
  if (auto s = ReadString(node, "id", where, true, &p->id); !s.ok()) return s;
  if (!IsValidProgramId(p->id)) {
    return YamlError(Join(where, "id"),
                     absl::StrCat("\"", p->id, "\" must be lowercase letters, digits and '-'"));
  }
  where = absl::StrCat("program \"", p->id, "\" (programs[", index, "])");
  if (auto s = CheckMap(node, where,
                        {"id",
                         "name_ja",
                         "name_en",
                         "scheme_ja",
                         "notes",
                         "agency",
                         "kind",
                         "area_based",
                         "co_investigators_allowed",
                         "period_months",
                         "direct_cost_yen",
                         "indirect_rate_percent",
                         "indirect_rate_negotiable",
                         "agency_budget",
                         "fund_type",
                         "fund_type_changes",
                         "carry_over",
                         "reallocation_limit_percent",
                         "review",
                         "evaluation",
                         "eligibility",
                         "available_from_fiscal_year"});
      !s.ok()) {
    return s;
  }
  if (auto s = ReadString(node, "name_ja", where, true, &p->name_ja); !s.ok()) return s;
  if (auto s = ReadString(node, "name_en", where, true, &p->name_en); !s.ok()) return s;
  if (auto s = ReadString(node, "scheme_ja", where, false, &p->scheme_ja); !s.ok()) return s;
  if (auto s = ReadString(node, "notes", where, false, &p->notes); !s.ok()) return s;
  if (auto s = ReadEnum(node, "agency", where, kAgencies, true, v1::AGENCY_UNSPECIFIED, &p->agency);
      !s.ok()) {
    return s;
  }
  if (p->agency == v1::AGENCY_UNSPECIFIED) return YamlError(Join(where, "agency"), "is required");
  if (auto s = ReadEnum(node, "kind", where, kKinds, true, v1::PROGRAM_KIND_UNSPECIFIED, &p->kind);
      !s.ok()) {
    return s;
  }
  if (p->kind == v1::PROGRAM_KIND_UNSPECIFIED) return YamlError(Join(where, "kind"), "is required");
  if (auto s = ReadBool(node, "area_based", where, &p->area_based); !s.ok()) return s;
  p->co_investigators_allowed = p->kind != v1::PROGRAM_KIND_INDIVIDUAL;
  if (auto s = ReadBool(node, "co_investigators_allowed", where, &p->co_investigators_allowed);
      !s.ok()) {
    return s;
  }
  if (auto s = ParsePeriod(node["period_months"], Join(where, "period_months"), &p->period);
      !s.ok()) {
    return s;
  }
  if (auto s =
          ParseDirectCost(node["direct_cost_yen"], Join(where, "direct_cost_yen"), &p->direct_cost);
      !s.ok()) {
    return s;
  }
  p->indirect_rate_percent = defaults.indirect_rate_percent;
  if (auto s = ReadInt(node, "indirect_rate_percent", where, 0, 100, &p->indirect_rate_percent);
      !s.ok()) {
    return s;
  }
  if (auto s = ReadBool(node, "indirect_rate_negotiable", where, &p->indirect_rate_negotiable);
      !s.ok()) {
    return s;
  }
  if (auto s = ReadEnum(node, "agency_budget", where, kFundTypes, false, v1::FUND_TYPE_UNSPECIFIED,
                        &p->agency_budget);
      !s.ok()) {
    return s;
  }
  if (auto s = ReadEnum(node, "fund_type", where, kFundTypes, true, v1::FUND_TYPE_UNSPECIFIED,
                        &p->fund_type);
      !s.ok()) {
    return s;
  }
  const YAML::Node changes = node["fund_type_changes"];
  if (changes.IsDefined() && !changes.IsNull()) {
    const std::string cw = Join(where, "fund_type_changes");
    if (!changes.IsSequence()) return YamlError(cw, "must be a list");
    for (size_t i = 0; i < changes.size(); ++i) {
      const std::string w = absl::StrCat(cw, "[", i, "]");
      if (auto s = CheckMap(changes[i], w, {"from_fiscal_year", "fund_type"}); !s.ok()) return s;
      std::optional<int> from;
      if (auto s = ReadInt(changes[i], "from_fiscal_year", w, 1900, 2200, &from); !s.ok()) return s;
      if (!from) return YamlError(Join(w, "from_fiscal_year"), "is required");
      FundTypeChange change{*from, v1::FUND_TYPE_UNSPECIFIED};
      if (auto s = ReadEnum(changes[i], "fund_type", w, kFundTypes, true, v1::FUND_TYPE_UNSPECIFIED,
                            &change.fund_type);
          !s.ok()) {
        return s;
      }
      if (!p->fund_type_changes.empty() &&
          p->fund_type_changes.back().from_fiscal_year >= change.from_fiscal_year) {
        return YamlError(Join(w, "from_fiscal_year"),
                         "changes must be in ascending fiscal-year order");
      }
      p->fund_type_changes.push_back(change);
    }
  }
  bool has_carry_over = false;
  v1::CarryOverRule carry{};
  if (auto s = ReadEnum(node, "carry_over", where, kCarryOver, false,
                        v1::CARRY_OVER_RULE_UNSPECIFIED, &carry, &has_carry_over);
      !s.ok()) {
    return s;
  }
  if (has_carry_over) p->carry_over = carry;
  p->carry_over_by_fund_type = defaults.carry_over_by_fund_type;
  p->reallocation_limit_percent = defaults.reallocation_limit_percent;
  if (auto s = ReadInt(node, "reallocation_limit_percent", where, 0, 100,
                       &p->reallocation_limit_percent);
      !s.ok()) {
    return s;
  }
  if (auto s = ParseReview(node["review"], Join(where, "review"), defaults, &p->review); !s.ok()) {
    return s;
  }
  if (auto s = ParseEvaluation(node["evaluation"], Join(where, "evaluation"), &p->evaluation);
      !s.ok()) {
    return s;
  }
  if (auto s = ParseEligibility(node["eligibility"], Join(where, "eligibility"), &p->eligibility);
      !s.ok()) {
    return s;
  }
  if (auto s = ReadInt(node, "available_from_fiscal_year", where, 1900, 2200,
                       &p->available_from_fiscal_year);
      !s.ok()) {
    return s;
  }
  if (p->kind == v1::PROGRAM_KIND_INDIVIDUAL && p->co_investigators_allowed) {
    return YamlError(Join(where, "co_investigators_allowed"),
                     "an individual program cannot allow co-investigators");
  }
  return absl::OkStatus();
}

}  // namespace

std::string_view FundTypeName(v1::FundType type) {
  for (const auto& n : kFundTypes) {
    if (n.value == type) return n.name;
  }
  return "not_stated";
}

std::string_view ProgramKindName(v1::ProgramKind kind) {
  for (const auto& n : kKinds) {
    if (n.value == kind) return n.name;
  }
  return "unspecified";
}

v1::FundType ProgramRule::FundTypeFor(int fiscal_year) const {
  v1::FundType type = fund_type;
  for (const auto& change : fund_type_changes) {
    if (fiscal_year >= change.from_fiscal_year) type = change.fund_type;
  }
  return type;
}

v1::CarryOverRule ProgramRule::CarryOverFor(int fiscal_year) const {
  if (carry_over) return *carry_over;
  auto it = carry_over_by_fund_type.find(FundTypeFor(fiscal_year));
  return it == carry_over_by_fund_type.end() ? v1::CARRY_OVER_RULE_UNSPECIFIED : it->second;
}

v1::Program ProgramRule::ToProto(int fiscal_year) const {
  v1::Program out;
  out.set_program_id(id);
  out.set_name_ja(name_ja);
  out.set_name_en(name_en);
  out.set_agency(agency);
  out.set_scheme_ja(scheme_ja);
  out.set_kind(kind);
  auto* period_out = out.mutable_period();
  if (period.min_months) period_out->set_min_months(*period.min_months);
  if (period.max_months) period_out->set_max_months(*period.max_months);
  if (period.extension_max_months)
    period_out->set_extension_max_months(*period.extension_max_months);
  if (period.pause_max_months) period_out->set_pause_max_months(*period.pause_max_months);
  auto* cost = out.mutable_direct_cost();
  if (direct_cost.total_min_yen) cost->set_total_min_yen(*direct_cost.total_min_yen);
  if (direct_cost.total_max_yen) cost->set_total_max_yen(*direct_cost.total_max_yen);
  if (direct_cost.yearly_min_yen) cost->set_yearly_min_yen(*direct_cost.yearly_min_yen);
  if (direct_cost.yearly_max_yen) cost->set_yearly_max_yen(*direct_cost.yearly_max_yen);
  if (direct_cost.yearly_average_yen) cost->set_yearly_average_yen(*direct_cost.yearly_average_yen);
  cost->set_per_site(direct_cost.per_site);
  out.set_indirect_rate_percent(indirect_rate_percent.value_or(0));
  out.set_indirect_rate_negotiable(indirect_rate_negotiable);
  out.set_agency_budget(agency_budget);
  out.set_fund_type(FundTypeFor(fiscal_year));
  {
    auto* first = out.add_fund_type_history();
    first->set_from_fiscal_year(0);
    first->set_fund_type(fund_type);
    for (const auto& change : fund_type_changes) {
      auto* h = out.add_fund_type_history();
      h->set_from_fiscal_year(change.from_fiscal_year);
      h->set_fund_type(change.fund_type);
    }
  }
  out.set_carry_over(CarryOverFor(fiscal_year));
  if (reallocation_limit_percent) out.set_reallocation_limit_percent(*reallocation_limit_percent);
  auto* review_out = out.mutable_review_model();
  for (auto stage : review.stages) review_out->add_stages(stage);
  if (review.reviewers_per_proposal) {
    review_out->set_reviewers_per_proposal(*review.reviewers_per_proposal);
  }
  review_out->set_review_section_required(review.review_section_required);
  review_out->set_decided_by(review.decided_by);
  review_out->set_single_panel(review.single_panel);
  auto* eval = out.mutable_evaluation();
  if (evaluation.interim_at_month) eval->set_interim_at_month(*evaluation.interim_at_month);
  eval->set_final_evaluation(evaluation.final_evaluation);
  for (const auto& gate : evaluation.stage_gates) {
    auto* g = eval->add_stage_gates();
    if (gate.at_month) g->set_at_month(*gate.at_month);
    for (auto o : gate.outcomes) g->add_outcomes(o);
    g->set_next_program_id(gate.next_program_id);
  }
  auto* elig = out.mutable_eligibility();
  if (eligibility.max_years_since_phd)
    elig->set_max_years_since_phd(*eligibility.max_years_since_phd);
  elig->set_childcare_leave_extends(eligibility.childcare_leave_extends);
  if (eligibility.childcare_extension_max_months) {
    elig->set_childcare_extension_max_months(*eligibility.childcare_extension_max_months);
  }
  if (eligibility.max_age) elig->set_max_age(*eligibility.max_age);
  elig->set_young_researchers_only(eligibility.young_researchers_only);
  elig->set_students_allowed(eligibility.students_allowed);
  elig->set_institution_in_japan_at_start(eligibility.institution_in_japan_at_start);
  if (eligibility.japan_institution_grace_months) {
    elig->set_japan_institution_grace_months(*eligibility.japan_institution_grace_months);
  }
  elig->set_foreign_institution_with_supervisor_approval(
      eligibility.foreign_institution_with_supervisor_approval);
  for (const auto& prior : eligibility.requires_prior_award) {
    auto* p = elig->add_requires_prior_award();
    p->set_program_id(prior.program_id);
    p->set_from_fiscal_year(prior.from_fiscal_year);
  }
  out.set_co_investigators_allowed(co_investigators_allowed);
  out.set_area_based(area_based);
  out.set_available_from_fiscal_year(available_from_fiscal_year.value_or(0));
  out.set_notes(notes);
  return out;
}

absl::StatusOr<Catalog> Catalog::LoadFromString(std::string_view yaml) {
  auto root = impl::ParseYaml(yaml, "catalog");
  if (!root.ok()) return root.status();
  if (auto s = CheckMap(*root, "catalog", {"schema_version", "defaults", "programs"}); !s.ok()) {
    return s;
  }
  std::optional<int> version;
  if (auto s = ReadInt(*root, "schema_version", "catalog", 1, 1, &version); !s.ok()) return s;
  if (!version) return YamlError("catalog.schema_version", "is required (1)");
  Defaults defaults;
  if (auto s = ParseDefaults((*root)["defaults"], &defaults); !s.ok()) return s;
  const YAML::Node programs = (*root)["programs"];
  if (!programs.IsDefined() || !programs.IsSequence() || programs.size() == 0) {
    return YamlError("catalog.programs", "must be a non-empty list");
  }
  Catalog catalog;
  std::set<std::string> ids;
  for (size_t i = 0; i < programs.size(); ++i) {
    ProgramRule rule;
    if (auto s = ParseProgram(programs[i], i, defaults, &rule); !s.ok()) return s;
    if (!ids.insert(rule.id).second) {
      return YamlError(absl::StrCat("programs[", i, "].id"),
                       absl::StrCat("duplicate program id \"", rule.id, "\""));
    }
    catalog.programs_.push_back(std::move(rule));
  }
  // References between programs are checked once every id is known.
  for (const auto& p : catalog.programs_) {
    for (const auto& prior : p.eligibility.requires_prior_award) {
      if (ids.count(prior.program_id) == 0) {
        return YamlError(absl::StrCat("program \"", p.id, "\".eligibility.requires_prior_award"),
                         absl::StrCat("unknown program \"", prior.program_id, "\""));
      }
    }
    for (const auto& gate : p.evaluation.stage_gates) {
      if (!gate.next_program_id.empty() && ids.count(gate.next_program_id) == 0) {
        return YamlError(absl::StrCat("program \"", p.id, "\".evaluation.stage_gates"),
                         absl::StrCat("unknown next_program_id \"", gate.next_program_id, "\""));
      }
    }
  }
  return catalog;
}

absl::StatusOr<Catalog> Catalog::LoadFromFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read catalog file ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto catalog = LoadFromString(buffer.str());
  if (!catalog.ok()) {
    return absl::Status(catalog.status().code(),
                        absl::StrCat(path, ": ", std::string(catalog.status().message())));
  }
  return catalog;
}

const ProgramRule* Catalog::Find(std::string_view program_id) const {
  for (const auto& p : programs_) {
    if (p.id == program_id) return &p;
  }
  return nullptr;
}

absl::StatusOr<const ProgramRule*> Catalog::Get(std::string_view program_id) const {
  if (const ProgramRule* p = Find(program_id)) return p;
  return absl::NotFoundError(absl::StrCat("unknown program \"", std::string(program_id), "\""));
}

}  // namespace tane::calls
