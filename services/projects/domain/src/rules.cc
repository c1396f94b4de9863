#include "tane/projects/rules.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "tane/core/errors.h"

namespace tane::projects {

absl::Status ProgramRules::Validate() const {
  core::Violations v;
  if (min_period_months < 1) v.Add("min_period_months", "must be at least 1");
  if (max_period_months < min_period_months) {
    v.Add("max_period_months", "must be at least min_period_months");
  }
  if (max_extension_months < 0) v.Add("max_extension_months", "must not be negative");
  if (max_pause_months < 0) v.Add("max_pause_months", "must not be negative");
  if (follow_up_after_months < 0) v.Add("follow_up_after_months", "must not be negative");
  for (size_t i = 0; i < interim_months.size(); ++i) {
    if (interim_months[i] <= 0) {
      v.Add(absl::StrCat("interim_months[", i, "]"), "must be positive");
    }
  }
  std::set<int> gate_months;
  for (size_t i = 0; i < stage_gates.size(); ++i) {
    const auto field = absl::StrCat("stage_gates[", i, "]");
    if (stage_gates[i].month <= 0) v.Add(field + ".month", "must be positive");
    if (!gate_months.insert(stage_gates[i].month).second) {
      v.Add(field + ".month", "two stage gates in the same month");
    }
    if (stage_gates[i].allowed_outcomes.empty()) {
      v.Add(field + ".allowed_outcomes", "must allow at least one outcome");
    }
    for (auto o : stage_gates[i].allowed_outcomes) {
      if (o == v1::STAGE_GATE_OUTCOME_UNSPECIFIED) {
        v.Add(field + ".allowed_outcomes", "unspecified outcome");
      }
    }
  }
  if (extension_requires_gate_month > 0 && GateAt(extension_requires_gate_month) == nullptr) {
    v.Add("extension_requires_gate_month", "no stage gate at that month");
  }
  if (grade_scale.empty()) v.Add("grade_scale", "must list at least one grade");
  for (const auto& g : failing_grades) {
    if (!IsGrade(g)) v.Add("failing_grades", absl::StrCat("\"", g, "\" is not on the grade scale"));
  }
  if (failing_gate_action == FailingGateAction::kCutBudget &&
      (failing_gate_budget_cut_percent <= 0 || failing_gate_budget_cut_percent > 100)) {
    v.Add("failing_gate_budget_cut_percent", "must be 1..100 when failing gates cut the budget");
  }
  if (max_annual_direct_yen < 0) v.Add("max_annual_direct_yen", "must not be negative");
  if (expanded_max_annual_direct_yen < 0 ||
      (expanded_max_annual_direct_yen > 0 &&
       expanded_max_annual_direct_yen < max_annual_direct_yen)) {
    v.Add("expanded_max_annual_direct_yen", "must be 0 or at least max_annual_direct_yen");
  }
  if (default_indirect_rate_percent < 0 || default_indirect_rate_percent > 100) {
    v.Add("default_indirect_rate_percent", "must be 0..100");
  }
  auto check_day = [&](const char* field, int month, int day) {
    // 2001 is not a leap year: a due day must exist every year.
    if (month < 1 || month > 12 || day < 1 ||
        day > (absl::CivilDay(absl::CivilMonth(2001, month) + 1) - 1).day()) {
      v.Add(field, "not a day that exists every year");
    }
  };
  check_day("reports.plan_day", reports.plan_month, reports.plan_day);
  check_day("reports.progress_day", reports.progress_month, reports.progress_day);
  if (reports.progress_month >= 1 && reports.progress_month < 4) {
    v.Add("reports.progress_month", "must fall after the fiscal year ends (April or later)");
  }
  if (reports.first_plan_grace_days < 0)
    v.Add("reports.first_plan_grace_days", "must not be negative");
  return v.ToStatus(absl::StrCat("invalid rules for program ", program_id));
}

const StageGate* ProgramRules::GateAt(int month) const {
  for (const auto& g : stage_gates) {
    if (g.month == month) return &g;
  }
  return nullptr;
}

bool ProgramRules::IsGrade(const std::string& grade) const {
  return std::find(grade_scale.begin(), grade_scale.end(), grade) != grade_scale.end();
}

bool ProgramRules::IsFailingGrade(const std::string& grade) const {
  return std::find(failing_grades.begin(), failing_grades.end(), grade) != failing_grades.end();
}

ProgramRules ProgramRules::Forest() {
  ProgramRules r;
  r.program_id = "forest";
  r.name = "FOREST";
  r.min_period_months = 84;
  r.max_period_months = 84;
  r.max_extension_months = 36;
  r.extension_requires_gate_month = 84;
  r.max_pause_months = 24;
  const std::vector<v1::StageGateOutcome> all{
      v1::STAGE_GATE_OUTCOME_CONTINUE, v1::STAGE_GATE_OUTCOME_EXPAND, v1::STAGE_GATE_OUTCOME_STOP};
  r.stage_gates = {{36, all}, {84, all}};
  r.final_evaluation = true;
  r.follow_up_after_months = 0;
  r.support_follows_transfer = true;
  r.default_indirect_rate_percent = 30;
  return r;
}

}  // namespace tane::projects
