#include "tane/projects/rules_from_catalog.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "tane/core/errors.h"

namespace tane::projects {
namespace {

// "CREST (team research)" → "CREST"; "Fusion Oriented ... (FOREST)" →
// "FOREST"; names without a short form stay whole. Used in messages.
std::string ShortName(const calls::ProgramRule& program) {
  const std::string& name = program.name_en.empty() ? program.id : program.name_en;
  const size_t open = name.find(" (");
  if (open == std::string::npos || name.back() != ')') return name;
  const std::string head = name.substr(0, open);
  if (head.find(' ') == std::string::npos) return head;
  const std::string inner = name.substr(open + 2, name.size() - open - 3);
  return inner.find(' ') == std::string::npos ? inner : name;
}

v1::StageGateOutcome OutcomeOf(calls::v1::StageGateOutcome outcome) {
  switch (outcome) {
    case calls::v1::STAGE_GATE_OUTCOME_CONTINUE:
    case calls::v1::STAGE_GATE_OUTCOME_ADVANCE:
      return v1::STAGE_GATE_OUTCOME_CONTINUE;
    case calls::v1::STAGE_GATE_OUTCOME_EXPAND:
      return v1::STAGE_GATE_OUTCOME_EXPAND;
    case calls::v1::STAGE_GATE_OUTCOME_STOP:
      return v1::STAGE_GATE_OUTCOME_STOP;
    default:
      return v1::STAGE_GATE_OUTCOME_UNSPECIFIED;
  }
}

}  // namespace

absl::StatusOr<ProgramRules> RulesFromProgram(const calls::ProgramRule& program) {
  ProgramRules r;
  r.program_id = program.id;
  r.name = ShortName(program);

  const calls::PeriodRule& period = program.period;
  r.min_period_months = period.min_months.value_or(1);
  r.max_period_months = period.max_months.value_or(kNoStatedLimitMonths);
  if (period.max_months && period.extension_max_months) {
    r.max_extension_months = std::max(0, *period.extension_max_months - *period.max_months);
  }
  r.max_pause_months = period.pause_max_months.value_or(0);

  const calls::EvaluationRule& evaluation = program.evaluation;
  if (evaluation.interim_at_month) r.interim_months.push_back(*evaluation.interim_at_month);
  for (const calls::StageGateRule& gate : evaluation.stage_gates) {
    if (!gate.at_month) continue;
    StageGate g;
    g.month = *gate.at_month;
    for (auto outcome : gate.outcomes) {
      const v1::StageGateOutcome mapped = OutcomeOf(outcome);
      if (mapped != v1::STAGE_GATE_OUTCOME_UNSPECIFIED &&
          std::find(g.allowed_outcomes.begin(), g.allowed_outcomes.end(), mapped) ==
              g.allowed_outcomes.end()) {
        g.allowed_outcomes.push_back(mapped);
      }
    }
    r.stage_gates.push_back(std::move(g));
  }
  r.final_evaluation = evaluation.final_evaluation;
  if (r.max_extension_months > 0 && r.GateAt(r.max_period_months) != nullptr) {
    r.extension_requires_gate_month = r.max_period_months;
  }

  r.support_follows_transfer = true;
  if (!program.direct_cost.per_site) {
    r.max_annual_direct_yen = program.direct_cost.yearly_max_yen.value_or(0);
  }
  if (program.indirect_rate_percent) r.default_indirect_rate_percent = *program.indirect_rate_percent;

  if (auto s = r.Validate(); !s.ok()) {
    std::string problems;
    for (const auto& v : core::ViolationsOf(s)) absl::StrAppend(&problems, "; ", v.field, " ", v.description);
    return absl::InvalidArgumentError(
        absl::StrCat("program ", program.id, " of the catalog gives invalid project rules", problems));
  }
  return r;
}

absl::StatusOr<std::map<std::string, ProgramRules>> RulesFromCatalog(const calls::Catalog& catalog) {
  std::map<std::string, ProgramRules> out;
  for (const calls::ProgramRule& program : catalog.programs()) {
    auto rules = RulesFromProgram(program);
    if (!rules.ok()) return rules.status();
    out.emplace(program.id, *std::move(rules));
  }
  return out;
}

}  // namespace tane::projects
