#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "internal.h"
#include "tane/core/ids.h"
#include "tane/core/money.h"
#include "tane/core/time.h"
#include "tane/projects/project.h"
#include "tane/projects/time_util.h"

namespace tane::projects {

using core::FiscalYear;
using core::Violations;
using namespace internal;  // NOLINT

namespace {

std::string KindName(v1::EvaluationKind kind, int month) {
  switch (kind) {
    case v1::EVALUATION_KIND_INTERIM:
      return absl::StrCat("month-", month, " interim evaluation");
    case v1::EVALUATION_KIND_STAGE_GATE:
      return absl::StrCat("month-", month, " stage gate");
    case v1::EVALUATION_KIND_FINAL:
      return "final evaluation";
    case v1::EVALUATION_KIND_FOLLOW_UP:
      return "follow-up evaluation";
    default:
      return "evaluation";
  }
}

std::string OutcomeName(v1::StageGateOutcome o) {
  switch (o) {
    case v1::STAGE_GATE_OUTCOME_CONTINUE:
      return "continue";
    case v1::STAGE_GATE_OUTCOME_EXPAND:
      return "expand";
    case v1::STAGE_GATE_OUTCOME_STOP:
      return "stop";
    default:
      return "none";
  }
}

}  // namespace

absl::StatusOr<Transition> RecordEvaluation(const v1::Project& project,
                                            const v1::RecordEvaluationRequest& request,
                                            const Context& ctx) {
  if (auto s = CheckCommand(project, request.project_id(), request.expected_version(), ctx);
      !s.ok()) {
    return s;
  }
  const auto& rules = ctx.rules;
  const auto kind = request.kind();
  const bool gate = kind == v1::EVALUATION_KIND_STAGE_GATE;
  const bool milestone = gate || kind == v1::EVALUATION_KIND_INTERIM;

  Violations v;
  if (kind == v1::EVALUATION_KIND_UNSPECIFIED || !v1::EvaluationKind_IsValid(kind)) {
    v.Add("kind", "is required (INTERIM, STAGE_GATE, FINAL or FOLLOW_UP)");
  }
  if (request.evaluators().empty()) v.Add("evaluators", "at least one evaluator is required");
  for (int i = 0; i < request.evaluators_size(); ++i) {
    if (request.evaluators(i).empty()) v.Add(absl::StrCat("evaluators[", i, "]"), "is empty");
  }
  if (!rules.IsGrade(request.grade())) {
    v.Add("grade", absl::StrCat("\"", request.grade(), "\" is not on ", rules.name, "'s scale (",
                                absl::StrJoin(rules.grade_scale, ", "), ")"));
  }
  if (milestone && request.milestone_month() <= 0) {
    v.Add("milestone_month", "is required for interim evaluations and stage gates");
  }
  if (!milestone && request.milestone_month() != 0) {
    v.Add("milestone_month", "only interim evaluations and stage gates have one");
  }
  if (gate && (request.outcome() == v1::STAGE_GATE_OUTCOME_UNSPECIFIED ||
               !v1::StageGateOutcome_IsValid(request.outcome()))) {
    v.Add("outcome", "is required for a stage gate (continue, expand or stop)");
  }
  if (!gate && request.outcome() != v1::STAGE_GATE_OUTCOME_UNSPECIFIED) {
    v.Add("outcome", "only stage gates have an outcome");
  }
  if (gate && request.outcome() == v1::STAGE_GATE_OUTCOME_EXPAND &&
      rules.IsFailingGrade(request.grade())) {
    v.Add("outcome", absl::StrCat("expand cannot go with the failing grade ", request.grade()));
  }
  if (!v.empty()) return v.ToStatus();

  const std::string what_kind = KindName(kind, request.milestone_month());
  const std::string verb = absl::StrCat("record the ", what_kind);
  switch (kind) {
    case v1::EVALUATION_KIND_INTERIM:
    case v1::EVALUATION_KIND_STAGE_GATE:
      if (auto s = RequireState(project, verb, {v1::PROJECT_STATE_ACTIVE}); !s.ok()) return s;
      break;
    case v1::EVALUATION_KIND_FINAL:
      if (auto s = RequireState(project, verb,
                                {v1::PROJECT_STATE_ACTIVE, v1::PROJECT_STATE_COMPLETED,
                                 v1::PROJECT_STATE_TERMINATED});
          !s.ok()) {
        return s;
      }
      if (!rules.final_evaluation) {
        return absl::FailedPreconditionError(
            absl::StrCat(rules.name, " holds no final evaluation"));
      }
      break;
    default:
      if (auto s = RequireState(project, verb,
                                {v1::PROJECT_STATE_COMPLETED, v1::PROJECT_STATE_TERMINATED});
          !s.ok()) {
        return s;
      }
      if (rules.follow_up_after_months <= 0) {
        return absl::FailedPreconditionError(
            absl::StrCat(rules.name, " holds no follow-up evaluation"));
      }
  }
  if (kind == v1::EVALUATION_KIND_INTERIM &&
      std::find(rules.interim_months.begin(), rules.interim_months.end(),
                request.milestone_month()) == rules.interim_months.end()) {
    return absl::FailedPreconditionError(
        rules.interim_months.empty()
            ? absl::StrCat(rules.name, " schedules no interim evaluation")
            : absl::StrCat(rules.name, " schedules no interim evaluation at month ",
                           request.milestone_month(), " (months ",
                           absl::StrJoin(rules.interim_months, ", "), ")"));
  }
  if (gate) {
    const StageGate* g = rules.GateAt(request.milestone_month());
    if (g == nullptr) {
      std::vector<int> months;
      for (const auto& sg : rules.stage_gates) months.push_back(sg.month);
      return absl::FailedPreconditionError(
          months.empty()
              ? absl::StrCat(rules.name, " has no stage gates")
              : absl::StrCat(rules.name, " has no stage gate at month ", request.milestone_month(),
                             " (gates at months ", absl::StrJoin(months, ", "), ")"));
    }
    if (std::find(g->allowed_outcomes.begin(), g->allowed_outcomes.end(), request.outcome()) ==
        g->allowed_outcomes.end()) {
      return absl::FailedPreconditionError(absl::StrCat("outcome ", OutcomeName(request.outcome()),
                                                        " is not allowed at the ", what_kind));
    }
  }
  for (const auto& e : project.evaluations()) {
    if (e.kind() == kind && e.milestone_month() == request.milestone_month()) {
      return absl::AlreadyExistsError(absl::StrCat("the ", what_kind,
                                                   " was already recorded (grade ", e.grade(), ", ",
                                                   JstDate(FromProto(e.recorded_at())), ")"));
    }
  }

  v1::Project next = project;
  auto* ev = next.add_evaluations();
  ev->set_evaluation_id(core::NameUuid(
      "tane.projects.evaluation", absl::StrCat(project.project_id(), "/", project.version() + 1)));
  ev->set_kind(kind);
  ev->set_milestone_month(request.milestone_month());
  *ev->mutable_evaluators() = request.evaluators();
  ev->set_grade(request.grade());
  ev->set_outcome(request.outcome());
  ev->set_comments(request.comments());
  *ev->mutable_recorded_at() = ToProto(ctx.now);
  *ev->mutable_recorded_by() = ctx.actor;
  ev->set_consequence(v1::CONSEQUENCE_NONE);

  std::vector<Event> after;
  std::string what = absl::StrCat(what_kind, ": grade ", request.grade());
  if (gate) absl::StrAppend(&what, ", ", OutcomeName(request.outcome()));
  absl::StrAppend(&what, " (evaluators: ", absl::StrJoin(request.evaluators(), ", "), ")");

  // Consequences take effect from the next fiscal year (JST): the current
  // year's money is committed already.
  const FiscalYear next_fy = FiscalYear::Containing(ctx.now).Next();
  const bool failing = rules.IsFailingGrade(request.grade());
  const bool stop =
      gate && (request.outcome() == v1::STAGE_GATE_OUTCOME_STOP ||
               (failing && rules.failing_gate_action == FailingGateAction::kTerminate));
  const bool cut =
      gate && !stop && failing && rules.failing_gate_action == FailingGateAction::kCutBudget;
  const std::string evaluation_id = ev->evaluation_id();
  if (stop) {
    ev->set_effective_fiscal_year(next_fy.year());
    if (next_fy.Start() >= FromProto(next.research_period().end_time())) {
      ev->set_consequence(v1::CONSEQUENCE_NO_EXTENSION);
      absl::StrAppend(&what, "; the project runs to its planned end and is not extended");
    } else {
      ev->set_consequence(v1::CONSEQUENCE_TERMINATE);
      const std::string reason =
          absl::StrCat(what_kind, ": ",
                       request.outcome() == v1::STAGE_GATE_OUTCOME_STOP
                           ? "stop"
                           : absl::StrCat("failing grade ", request.grade()));
      ApplyTermination(next, next_fy.Start(), reason, evaluation_id, ctx.now, after);
      absl::StrAppend(&what, "; terminated from the start of ", next_fy.ToString(),
                      ", later budget lines removed");
    }
  } else if (cut) {
    ev->set_effective_fiscal_year(next_fy.year());
    ev->set_consequence(v1::CONSEQUENCE_CUT_BUDGET);
    const int keep = 100 - rules.failing_gate_budget_cut_percent;
    for (auto& line : *next.mutable_budget_plan()) {
      if (line.fiscal_year() < next_fy.year()) continue;
      auto reduced = core::Yen(line.amount_yen()).MultiplyRatio(keep, 100);
      if (!reduced.ok()) return reduced.status();
      line.set_amount_yen(reduced->value());
    }
    const std::string cut_what = absl::StrCat(
        "budget from ", next_fy.ToString(), " cut by ", rules.failing_gate_budget_cut_percent,
        "% after the ", what_kind, " (grade ", request.grade(), "); total ",
        FormatYen(PlanTotal(project)), " → ", FormatYen(PlanTotal(next)));
    absl::StrAppend(&what, "; ", cut_what);
    after.emplace_back(Changed(next, v1::CHANGE_KIND_BUDGET_CUT, cut_what, true));
  } else if (gate && request.outcome() == v1::STAGE_GATE_OUTCOME_EXPAND) {
    ev->set_effective_fiscal_year(next_fy.year());
    ev->set_consequence(v1::CONSEQUENCE_EXPAND_BUDGET);
    next.set_expanded_from_fiscal_year(next_fy.year());
    absl::StrAppend(&what, "; budget may be increased");
    if (rules.expanded_max_annual_direct_yen > 0) {
      absl::StrAppend(&what, " up to ", FormatYen(rules.expanded_max_annual_direct_yen), " a year");
    }
  }

  v1::EvaluationRecorded recorded;
  recorded.set_project_id(next.project_id());
  recorded.set_program_id(next.program_id());
  *recorded.mutable_evaluation() = *ev;
  std::vector<Event> events;
  events.emplace_back(std::move(recorded));
  for (auto& e : after) events.push_back(std::move(e));
  return Commit(std::move(next), ctx, "evaluation_recorded", what, std::move(events));
}

}  // namespace tane::projects
