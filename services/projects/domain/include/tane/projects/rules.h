#pragma once
/// A program's rules for its projects: period limits, extension and pause,
/// the evaluation schedule with its stage gates, the grade scale, budget caps
/// and report due dates. Built in code (a catalog loader or a test); every
/// number is the program's, none is hard-wired in the state machine.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tane/core/time.h"
#include "tane/projects/v1/projects.pb.h"

namespace tane::projects {

/// A stage gate `month` months after the research start (pauses shift it).
struct StageGate {
  int month = 0;
  std::vector<v1::StageGateOutcome> allowed_outcomes;
};

/// What a failing grade (e.g. C) at a stage gate does.
enum class FailingGateAction {
  kTerminate,  // from the start of the next fiscal year
  kCutBudget,  // later fiscal years cut by failing_gate_budget_cut_percent
};

/// When annual reports are due, as calendar days in JST. A report is on time
/// until the end of its due day (the deadline is 00:00 JST the day after).
///
/// Defaults (practice; configurable per program):
/// - annual plan (年度研究計画書) for FY N: 30 April of FY N, one month into
///   the year. The first plan is due no earlier than `first_plan_grace_days`
///   after the research start (a project starting in October has 30 days).
/// - annual progress report (年度研究実施報告書) for FY N: 31 May after FY N
///   ends (calendar year N+1), two months after the year closes.
struct ReportDuePolicy {
  int plan_month = 4;
  int plan_day = 30;
  int first_plan_grace_days = 30;
  int progress_month = 5;  // of calendar year N+1; April or later
  int progress_day = 31;
};

struct ProgramRules {
  /// Matched against Project.program_id; empty matches any project.
  std::string program_id;
  /// Used in messages: "cannot extend beyond 120 months for FOREST".
  std::string name;

  int min_period_months = 1;
  int max_period_months = 0;
  /// Months an extension may add on top of the initial period, in total.
  int max_extension_months = 0;
  /// When > 0, an extension needs a continue/expand stage gate at this month.
  int extension_requires_gate_month = 0;
  /// Total pause months (childbirth, care); 0 = pauses not allowed.
  int max_pause_months = 0;

  std::vector<int> interim_months;
  std::vector<StageGate> stage_gates;
  bool final_evaluation = true;
  /// Follow-up evaluation (追跡評価) this many months after the end; 0 = none.
  int follow_up_after_months = 0;

  /// Best first. Any strings the program uses (S/A/B/C, JST's S..D, ...).
  std::vector<std::string> grade_scale{"S", "A", "B", "C"};
  std::vector<std::string> failing_grades{"C"};
  FailingGateAction failing_gate_action = FailingGateAction::kTerminate;
  int failing_gate_budget_cut_percent = 0;

  /// FOREST: support follows the PI to a new institution.
  bool support_follows_transfer = false;

  /// Direct costs per fiscal year, all categories; 0 = no cap.
  int64_t max_annual_direct_yen = 0;
  /// The cap after an "expand" stage gate; 0 = same as max_annual_direct_yen.
  int64_t expanded_max_annual_direct_yen = 0;
  /// 間接経費 (practice: 30% of direct costs).
  int default_indirect_rate_percent = 30;

  ReportDuePolicy reports;

  /// INVALID_ARGUMENT listing every inconsistent setting.
  absl::Status Validate() const;

  const StageGate* GateAt(int month) const;
  bool IsGrade(const std::string& grade) const;
  bool IsFailingGrade(const std::string& grade) const;
  /// Longest research period (initial + extensions), pauses excluded.
  int MaxTotalMonths() const { return max_period_months + max_extension_months; }

  /// FOREST 創発的研究支援事業 (JST): 7 years (84 months), up to 10 (120) by an
  /// extension after a passed stage gate in year 7; pause up to 2 years for
  /// childbirth or care; stage gates at months 36 and 84 (years 3 and 7) with
  /// continue / expand / stop; support follows an institution transfer;
  /// grades S/A/B/C with C failing. Budget caps are not stated in the seeds and
  /// left open.
  static ProgramRules Forest();
};

}  // namespace tane::projects
