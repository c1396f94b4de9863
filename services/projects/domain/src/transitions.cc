#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
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

// ---------------------------------------------------------------------------
// Shared helpers

const char* StateName(v1::ProjectState state) {
  switch (state) {
    case v1::PROJECT_STATE_CONTRACTING:
      return "contracting";
    case v1::PROJECT_STATE_ACTIVE:
      return "active";
    case v1::PROJECT_STATE_SUSPENDED:
      return "suspended";
    case v1::PROJECT_STATE_PAUSED:
      return "paused";
    case v1::PROJECT_STATE_COMPLETED:
      return "completed";
    case v1::PROJECT_STATE_TERMINATED:
      return "terminated";
    default:
      return "in an unknown state";
  }
}

bool IsTerminal(v1::ProjectState state) {
  return state == v1::PROJECT_STATE_COMPLETED || state == v1::PROJECT_STATE_TERMINATED;
}

std::vector<int> FiscalYearsOf(const v1::Project& project) {
  std::vector<int> years;
  const absl::Time start = FromProto(project.research_period().start_time());
  const absl::Time end = FromProto(project.research_period().end_time());
  if (end <= start) return years;
  const int first = FiscalYear::Containing(start).year();
  const int last = FiscalYear::Containing(end - absl::Nanoseconds(1)).year();
  for (int y = first; y <= last; ++y) years.push_back(y);
  return years;
}

int64_t DirectTotalOf(const v1::Project& project, int fiscal_year) {
  int64_t total = 0;
  for (const auto& line : project.budget_plan()) {
    if (line.fiscal_year() == fiscal_year) total += line.amount_yen();
  }
  return total;
}

const google::protobuf::Message& EventPayload(const Event& event) {
  return std::visit([](const auto& e) -> const google::protobuf::Message& { return e; }, event);
}

std::string ProjectIdForDecision(std::string_view decision_id) {
  return core::NameUuid(kProjectIdNamespace, decision_id);
}

namespace internal {

std::string FormatYen(int64_t amount) {
  std::string digits = std::to_string(amount < 0 ? -amount : amount);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return absl::StrCat(amount < 0 ? "-" : "", "¥", out);
}

std::string ActorLabel(const common::v1::Actor& actor) {
  return absl::StrCat(actor.role(), ":", actor.subject());
}

absl::Status CheckCommand(const v1::Project& project, const std::string& request_project_id,
                          int64_t expected_version, const Context& ctx) {
  if (ctx.actor.subject().empty() || ctx.actor.role().empty()) {
    return absl::InvalidArgumentError("the actor (role and subject) is required for the history");
  }
  if (!ctx.rules.program_id.empty() && ctx.rules.program_id != project.program_id()) {
    return absl::InternalError(absl::StrCat("rules of program ", ctx.rules.program_id,
                                            " applied to project ", project.project_id(),
                                            " of program ", project.program_id()));
  }
  if (request_project_id != project.project_id()) {
    Violations v;
    v.Add("project_id", absl::StrCat("does not name project ", project.project_id()));
    return v.ToStatus();
  }
  if (expected_version < 0) {
    Violations v;
    v.Add("expected_version", "must not be negative");
    return v.ToStatus();
  }
  if (expected_version != 0 && expected_version != project.version()) {
    return absl::AbortedError(absl::StrCat("project ", project.project_id(), " is at version ",
                                           project.version(), ", not ", expected_version,
                                           "; reload and retry"));
  }
  return absl::OkStatus();
}

absl::Status RequireState(const v1::Project& project, const std::string& verb,
                          std::initializer_list<v1::ProjectState> allowed) {
  for (auto s : allowed) {
    if (project.state() == s) return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      absl::StrCat("cannot ", verb, ": project is ", StateName(project.state())));
}

Transition Commit(v1::Project project, const Context& ctx, const std::string& action,
                  std::string description, std::vector<Event> events) {
  project.set_version(project.version() + 1);
  *project.mutable_updated_at() = ToProto(ctx.now);
  auto* entry = project.add_history();
  entry->set_version(project.version());
  *entry->mutable_time() = ToProto(ctx.now);
  *entry->mutable_actor() = ctx.actor;
  entry->set_action(action);
  entry->set_description(std::move(description));
  return Transition{std::move(project), std::move(events)};
}

v1::ProjectChanged Changed(const v1::Project& after, v1::ChangeKind kind, std::string description,
                           bool plan_changed, std::optional<absl::Time> effective) {
  v1::ProjectChanged e;
  e.set_project_id(after.project_id());
  e.set_program_id(after.program_id());
  e.set_change(kind);
  e.set_description(std::move(description));
  e.set_state(after.state());
  e.set_on_hold(after.on_hold());
  e.set_hold_reason(after.hold_reason());
  *e.mutable_research_period() = after.research_period();
  if (effective) *e.mutable_effective_time() = ToProto(*effective);
  e.set_budget_plan_changed(plan_changed);
  if (plan_changed) *e.mutable_budget_plan() = after.budget_plan();
  *e.mutable_principal_investigator() = after.principal_investigator();
  *e.mutable_institutions() = after.institutions();
  return e;
}

v1::Institution* FindInstitution(v1::Project& project, const std::string& institution_id) {
  for (auto& inst : *project.mutable_institutions()) {
    if (inst.institution_id() == institution_id) return &inst;
  }
  return nullptr;
}

const v1::Institution* FindInstitution(const v1::Project& project,
                                       const std::string& institution_id) {
  for (const auto& inst : project.institutions()) {
    if (inst.institution_id() == institution_id) return &inst;
  }
  return nullptr;
}

std::string InstitutionLabel(const v1::Project& project, const std::string& institution_id) {
  const auto* inst = FindInstitution(project, institution_id);
  if (inst == nullptr || inst->name().empty()) return institution_id;
  return absl::StrCat(inst->name(), " (", institution_id, ")");
}

bool MemberCurrentAt(const v1::Member& member, absl::Time t) {
  if (member.has_effective_from() && FromProto(member.effective_from()) > t) return false;
  if (member.has_effective_to() && FromProto(member.effective_to()) <= t) return false;
  return true;
}

std::vector<std::string> ParticipatingInstitutions(const v1::Project& project, absl::Time t) {
  std::vector<std::string> out{project.principal_investigator().institution_id()};
  for (const auto& m : project.members()) {
    if (!MemberCurrentAt(m, t)) continue;
    if (std::find(out.begin(), out.end(), m.institution_id()) == out.end()) {
      out.push_back(m.institution_id());
    }
  }
  return out;
}

void ValidateBudgetLines(const google::protobuf::RepeatedPtrField<v1::BudgetLine>& lines,
                         const std::vector<int>& fiscal_years, const std::string& field,
                         bool allow_zero, Violations& v) {
  std::set<std::pair<int, int>> seen;
  for (int i = 0; i < lines.size(); ++i) {
    const auto& line = lines[i];
    const std::string f = absl::StrCat(field, "[", i, "]");
    if (std::find(fiscal_years.begin(), fiscal_years.end(), line.fiscal_year()) ==
        fiscal_years.end()) {
      v.Add(f + ".fiscal_year",
            fiscal_years.empty()
                ? std::string("the research period is empty")
                : absl::StrCat("FY", line.fiscal_year(), " is outside the research period (FY",
                               fiscal_years.front(), "–FY", fiscal_years.back(), ")"));
    }
    if (line.category() == v1::BUDGET_CATEGORY_UNSPECIFIED ||
        !v1::BudgetCategory_IsValid(line.category())) {
      v.Add(f + ".category", "is required (EQUIPMENT, TRAVEL, PERSONNEL or OTHER)");
    }
    if (line.amount_yen() < 0) {
      v.Add(f + ".amount_yen", "must not be negative");
    } else if (line.amount_yen() == 0 && !allow_zero) {
      v.Add(f + ".amount_yen", "must be positive");
    }
    if (!seen.insert({line.fiscal_year(), line.category()}).second) {
      v.Add(f, absl::StrCat("a second line for FY", line.fiscal_year(), " ",
                            v1::BudgetCategory_Name(line.category())));
    }
  }
}

absl::Status CheckAnnualCaps(const v1::Project& project, const ProgramRules& rules,
                             int from_fiscal_year) {
  const int expanded_from = project.expanded_from_fiscal_year();
  auto cap_of = [&](int fy) {
    const bool expanded = expanded_from > 0 && fy >= expanded_from;
    return expanded && rules.expanded_max_annual_direct_yen > 0
               ? rules.expanded_max_annual_direct_yen
               : rules.max_annual_direct_yen;
  };
  std::map<int, int64_t> totals;
  for (const auto& line : project.budget_plan()) {
    auto sum = core::Yen(totals[line.fiscal_year()]).Add(core::Yen(line.amount_yen()));
    if (!sum.ok()) return sum.status();
    totals[line.fiscal_year()] = sum->value();
  }
  for (const auto& [fy, total] : totals) {
    const int64_t cap = cap_of(fy);
    if (fy < from_fiscal_year || cap <= 0 || total <= cap) continue;
    std::string msg = absl::StrCat("FY", fy, " direct costs ", FormatYen(total), " exceed ",
                                   rules.name, "'s annual cap of ", FormatYen(cap));
    if (expanded_from == 0 && rules.expanded_max_annual_direct_yen > cap) {
      absl::StrAppend(&msg, " (an \"expand\" stage gate raises it to ",
                      FormatYen(rules.expanded_max_annual_direct_yen),
                      " from the next fiscal year)");
    }
    return absl::FailedPreconditionError(msg);
  }
  return absl::OkStatus();
}

void DropBudgetFrom(v1::Project& project, absl::Time from) {
  auto* plan = project.mutable_budget_plan();
  plan->erase(std::remove_if(plan->begin(), plan->end(),
                             [&](const v1::BudgetLine& l) {
                               return FiscalYear(l.fiscal_year()).Start() >= from;
                             }),
              plan->end());
}

void RecomputeEnd(v1::Project& project) {
  auto* period = project.mutable_research_period();
  *period->mutable_end_time() = ToProto(
      AddMonths(FromProto(period->start_time()), period->months() + period->paused_months()));
}

int FirstFiscalYearStartingAtOrAfter(absl::Time t) {
  const FiscalYear fy = FiscalYear::Containing(t);
  return fy.Start() == t ? fy.year() : fy.year() + 1;
}

void SortPlan(v1::Project& project) {
  auto* plan = project.mutable_budget_plan();
  std::sort(plan->begin(), plan->end(), [](const v1::BudgetLine& a, const v1::BudgetLine& b) {
    return std::make_pair(a.fiscal_year(), static_cast<int>(a.category())) <
           std::make_pair(b.fiscal_year(), static_cast<int>(b.category()));
  });
}

absl::StatusOr<std::string> ApplyBudgetChanges(
    v1::Project& project, const google::protobuf::RepeatedPtrField<v1::BudgetLine>& changes,
    absl::Time now) {
  const int current = FiscalYear::Containing(now).year();
  for (const auto& c : changes) {
    if (c.fiscal_year() < current) {
      return absl::FailedPreconditionError(absl::StrCat("cannot change the FY", c.fiscal_year(),
                                                        " budget: that fiscal year has ended"));
    }
  }
  std::vector<std::string> parts;
  for (const auto& c : changes) {
    auto* plan = project.mutable_budget_plan();
    auto it = std::find_if(plan->begin(), plan->end(), [&](const v1::BudgetLine& l) {
      return l.fiscal_year() == c.fiscal_year() && l.category() == c.category();
    });
    const int64_t before = it == plan->end() ? 0 : it->amount_yen();
    if (c.amount_yen() == 0) {
      if (it != plan->end()) plan->erase(it);
    } else if (it == plan->end()) {
      *project.add_budget_plan() = c;
    } else {
      it->set_amount_yen(c.amount_yen());
    }
    parts.push_back(absl::StrCat("FY", c.fiscal_year(), " ",
                                 v1::BudgetCategory_Name(c.category()).substr(16), " ",
                                 FormatYen(before), " → ", FormatYen(c.amount_yen())));
  }
  SortPlan(project);
  return absl::StrJoin(parts, "; ");
}

int64_t PlanTotal(const v1::Project& project) {
  int64_t total = 0;
  for (const auto& l : project.budget_plan()) total += l.amount_yen();
  return total;
}

void ApplyTermination(v1::Project& project, absl::Time effective, std::string reason,
                      std::string evaluation_id, absl::Time now, std::vector<Event>& events) {
  project.set_state(v1::PROJECT_STATE_TERMINATED);
  auto* t = project.mutable_termination();
  *t->mutable_effective_time() = ToProto(effective);
  t->set_effective_fiscal_year(FirstFiscalYearStartingAtOrAfter(effective));
  t->set_reason(reason);
  t->set_evaluation_id(evaluation_id);
  *t->mutable_decided_at() = ToProto(now);
  if (effective < FromProto(project.research_period().end_time())) {
    *project.mutable_research_period()->mutable_end_time() = ToProto(effective);
  }
  DropBudgetFrom(project, effective);
  for (auto& inst : *project.mutable_institutions()) {
    if (inst.has_contract() && !inst.contract().has_end_time()) {
      *inst.mutable_contract()->mutable_end_time() = ToProto(effective);
    }
  }
  v1::ProjectTerminated e;
  e.set_project_id(project.project_id());
  e.set_program_id(project.program_id());
  *e.mutable_effective_time() = ToProto(effective);
  e.set_effective_fiscal_year(t->effective_fiscal_year());
  e.set_reason(std::move(reason));
  e.set_evaluation_id(std::move(evaluation_id));
  *e.mutable_budget_plan() = project.budget_plan();
  events.emplace_back(std::move(e));
}

// Someone still works at the institution after `t` (the PI or a member whose
// membership has not ended by then).
bool InstitutionStaffedAfter(const v1::Project& project, const std::string& institution_id,
                             absl::Time t) {
  if (project.principal_investigator().institution_id() == institution_id) return true;
  for (const auto& m : project.members()) {
    if (m.institution_id() != institution_id) continue;
    if (!m.has_effective_to() || FromProto(m.effective_to()) > t) return true;
  }
  return false;
}

void LeaveInstitution(v1::Project& project, const std::string& institution_id, absl::Time t) {
  auto* inst = FindInstitution(project, institution_id);
  if (inst == nullptr) return;
  *inst->mutable_left_at() = ToProto(t);
  if (inst->has_contract() && !inst->contract().has_end_time()) {
    *inst->mutable_contract()->mutable_end_time() = ToProto(t);
  }
}

// Adds the institution, or brings back one that was left (its old contract
// ended, so a new one is needed). Returns true when a contract is pending.
bool JoinInstitution(v1::Project& project, const std::string& institution_id,
                     const std::string& name) {
  auto* inst = FindInstitution(project, institution_id);
  if (inst == nullptr) {
    inst = project.add_institutions();
    inst->set_institution_id(institution_id);
    inst->set_name(name);
    return true;
  }
  if (inst->has_left_at()) {
    inst->clear_left_at();
    if (inst->has_contract()) {
      *inst->add_past_contracts() = inst->contract();
      inst->clear_contract();
    }
  }
  return !inst->has_contract();
}

}  // namespace internal

using namespace internal;  // NOLINT: this file implements them

// ---------------------------------------------------------------------------
// Lifecycle

absl::StatusOr<Transition> AddContract(const v1::Project& project,
                                       const v1::AddContractRequest& request, const Context& ctx) {
  if (auto s = CheckCommand(project, request.project_id(), request.expected_version(), ctx);
      !s.ok()) {
    return s;
  }
  Violations v;
  if (request.institution_id().empty()) v.Add("institution_id", "is required");
  if (request.contract_number().empty()) v.Add("contract_number", "is required");
  if (!request.has_start_time()) v.Add("start_time", "is required");
  if (!v.empty()) return v.ToStatus();
  if (auto s = RequireState(project, "add a contract",
                            {v1::PROJECT_STATE_CONTRACTING, v1::PROJECT_STATE_ACTIVE,
                             v1::PROJECT_STATE_SUSPENDED, v1::PROJECT_STATE_PAUSED});
      !s.ok()) {
    return s;
  }
  const auto* existing = FindInstitution(project, request.institution_id());
  if (existing == nullptr) {
    return absl::NotFoundError(absl::StrCat("institution ", request.institution_id(),
                                            " is not part of project ", project.project_id()));
  }
  if (existing->has_left_at()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot add a contract: institution ", request.institution_id(),
                     " left the project on ", JstDate(FromProto(existing->left_at()))));
  }
  if (existing->has_contract() && !existing->contract().has_end_time()) {
    return absl::AlreadyExistsError(absl::StrCat("institution ", request.institution_id(),
                                                 " already has contract ",
                                                 existing->contract().contract_number()));
  }
  const absl::Time start = FromProto(request.start_time());
  if (start >= FromProto(project.research_period().end_time())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot add a contract starting ", JstDate(start), ": the research period ends before it"));
  }
  v1::Project next = project;
  auto* inst = FindInstitution(next, request.institution_id());
  if (inst->has_contract()) *inst->add_past_contracts() = inst->contract();
  auto* c = inst->mutable_contract();
  c->Clear();
  c->set_contract_number(request.contract_number());
  *c->mutable_start_time() = request.start_time();
  *c->mutable_registered_at() = ToProto(ctx.now);
  std::string what =
      absl::StrCat("contract ", request.contract_number(), " with ",
                   InstitutionLabel(next, request.institution_id()), " from ", JstDate(start));
  auto event = Changed(next, v1::CHANGE_KIND_CONTRACT_ADDED, what, false, start);
  return Commit(std::move(next), ctx, "contract_added", what, {std::move(event)});
}

absl::StatusOr<Transition> Activate(const v1::Project& project,
                                    const v1::ActivateProjectRequest& request, const Context& ctx) {
  if (auto s = CheckCommand(project, request.project_id(), request.expected_version(), ctx);
      !s.ok()) {
    return s;
  }
  if (auto s = RequireState(project, "activate", {v1::PROJECT_STATE_CONTRACTING}); !s.ok()) {
    return s;
  }
  if (project.on_hold()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot activate: project is on hold (", project.hold_reason(), ")"));
  }
  for (const auto& id : ParticipatingInstitutions(project, ctx.now)) {
    const auto* inst = FindInstitution(project, id);
    if (inst == nullptr || !inst->has_contract() || inst->contract().has_end_time()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot activate: no contract for institution ", InstitutionLabel(project, id)));
    }
    const absl::Time start = FromProto(inst->contract().start_time());
    if (start > ctx.now) {
      return absl::FailedPreconditionError(absl::StrCat("cannot activate: the contract with ",
                                                        InstitutionLabel(project, id),
                                                        " starts on ", JstDate(start)));
    }
  }
  v1::Project next = project;
  next.set_state(v1::PROJECT_STATE_ACTIVE);
  if (!next.has_activated_at()) *next.mutable_activated_at() = ToProto(ctx.now);
  std::string what = "activated: contracts in place for every institution";
  auto event = Changed(next, v1::CHANGE_KIND_ACTIVATED, what, false);
  return Commit(std::move(next), ctx, "activated", what, {std::move(event)});
}

absl::StatusOr<Transition> Suspend(const v1::Project& project,
                                   const v1::SuspendProjectRequest& request, const Context& ctx) {
  if (auto s = CheckCommand(project, request.project_id(), request.expected_version(), ctx);
      !s.ok()) {
    return s;
  }
  if (request.reason().empty()) {
    Violations v;
    v.Add("reason", "is required");
    return v.ToStatus();
  }
  if (auto s = RequireState(project, "suspend", {v1::PROJECT_STATE_ACTIVE}); !s.ok()) return s;
  v1::Project next = project;
  next.set_state(v1::PROJECT_STATE_SUSPENDED);
  next.set_suspension_reason(request.reason());
  std::string what = absl::StrCat("suspended: ", request.reason());
  auto event = Changed(next, v1::CHANGE_KIND_SUSPENDED, what, false, ctx.now);
  return Commit(std::move(next), ctx, "suspended", what, {std::move(event)});
}

absl::StatusOr<Transition> Resume(const v1::Project& project,
                                  const v1::ResumeProjectRequest& request, const Context& ctx) {
  if (auto s = CheckCommand(project, request.project_id(), request.expected_version(), ctx);
      !s.ok()) {
    return s;
  }
  if (auto s =
          RequireState(project, "resume", {v1::PROJECT_STATE_SUSPENDED, v1::PROJECT_STATE_PAUSED});
      !s.ok()) {
    return s;
  }
  if (project.on_hold()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot resume: project is on hold (", project.hold_reason(), ")"));
  }
  v1::Project next = project;
  std::string what;
  if (project.state() == v1::PROJECT_STATE_PAUSED && next.pauses_size() > 0) {
    auto* pause = next.mutable_pauses(next.pauses_size() - 1);
    const int used = std::clamp(MonthsBetweenCeil(FromProto(pause->start_time()), ctx.now), 1,
                                pause->granted_months());
    auto* period = next.mutable_research_period();
    period->set_paused_months(period->paused_months() - (pause->used_months() - used));
    pause->set_used_months(used);
    *pause->mutable_resumed_at() = ToProto(ctx.now);
    RecomputeEnd(next);
    what = absl::StrCat("resumed after a pause of ", used, " of ", pause->granted_months(),
                        " granted months; research period now ends ",
                        JstDate(FromProto(period->end_time())));
  } else {
    what = absl::StrCat("resumed after suspension (", project.suspension_reason(), ")");
    next.clear_suspension_reason();
  }
  next.set_state(v1::PROJECT_STATE_ACTIVE);
  auto event = Changed(next, v1::CHANGE_KIND_RESUMED, what, false, ctx.now);
  return Commit(std::move(next), ctx, "resumed", what, {std::move(event)});
}

absl::StatusOr<Transition> Terminate(const v1::Project& project,
                                     const v1::TerminateProjectRequest& request,
                                     const Context& ctx) {
  if (auto s = CheckCommand(project, request.project_id(), request.expected_version(), ctx);
      !s.ok()) {
    return s;
  }
  Violations v;
  if (request.reason().empty()) v.Add("reason", "is required");
  if (request.has_effective_time() && FromProto(request.effective_time()) < ctx.now) {
    v.Add("effective_time", "must not be in the past");
  }
  if (!v.empty()) return v.ToStatus();
  if (auto s = RequireState(project, "terminate",
                            {v1::PROJECT_STATE_CONTRACTING, v1::PROJECT_STATE_ACTIVE,
                             v1::PROJECT_STATE_SUSPENDED, v1::PROJECT_STATE_PAUSED});
      !s.ok()) {
    return s;
  }
  const absl::Time effective =
      request.has_effective_time() ? FromProto(request.effective_time()) : ctx.now;
  const absl::Time end = FromProto(project.research_period().end_time());
  if (effective >= end) {
    return absl::FailedPreconditionError(absl::StrCat("cannot terminate on ", JstDate(effective),
                                                      ": the research period ends ", JstDate(end),
                                                      " (complete the project instead)"));
  }
  v1::Project next = project;
  std::vector<Event> events;
  ApplyTermination(next, effective, request.reason(), "", ctx.now, events);
  std::string what =
      absl::StrCat("terminated from ", JstDate(effective), " (budget released from FY",
                   next.termination().effective_fiscal_year(), "): ", request.reason());
  return Commit(std::move(next), ctx, "terminated", what, std::move(events));
}

absl::StatusOr<Transition> Complete(const v1::Project& project,
                                    const v1::CompleteProjectRequest& request, const Context& ctx) {
  if (auto s = CheckCommand(project, request.project_id(), request.expected_version(), ctx);
      !s.ok()) {
    return s;
  }
  if (auto s = RequireState(project, "complete", {v1::PROJECT_STATE_ACTIVE}); !s.ok()) return s;
  const absl::Time end = FromProto(project.research_period().end_time());
  if (ctx.now < end) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot complete: the research period runs until ", JstDate(end - absl::Seconds(1))));
  }
  v1::Project next = project;
  next.set_state(v1::PROJECT_STATE_COMPLETED);
  for (auto& inst : *next.mutable_institutions()) {
    if (inst.has_contract() && !inst.contract().has_end_time()) {
      *inst.mutable_contract()->mutable_end_time() = ToProto(end);
    }
  }
  v1::ProjectCompleted e;
  e.set_project_id(next.project_id());
  e.set_program_id(next.program_id());
  *e.mutable_research_period() = next.research_period();
  *e.mutable_completed_at() = ToProto(ctx.now);
  std::string what =
      absl::StrCat("completed; research period ended ", JstDate(end - absl::Seconds(1)));
  return Commit(std::move(next), ctx, "completed", what, {std::move(e)});
}

absl::StatusOr<Transition> Extend(const v1::Project& project,
                                  const v1::ExtendProjectRequest& request, const Context& ctx) {
  if (auto s = CheckCommand(project, request.project_id(), request.expected_version(), ctx);
      !s.ok()) {
    return s;
  }
  const auto& rules = ctx.rules;
  Violations v;
  if (request.additional_months() <= 0) v.Add("additional_months", "must be positive");
  if (request.reason().empty()) v.Add("reason", "is required");
  v1::Project next = project;
  if (request.additional_months() > 0) {
    auto* period = next.mutable_research_period();
    period->set_months(period->months() + request.additional_months());
    period->set_extension_months(period->extension_months() + request.additional_months());
    RecomputeEnd(next);
    ValidateBudgetLines(request.budget_lines(), FiscalYearsOf(next), "budget_lines", true, v);
  }
  if (!v.empty()) return v.ToStatus();
  if (auto s = RequireState(project, "extend", {v1::PROJECT_STATE_ACTIVE}); !s.ok()) return s;
  const absl::Time end = FromProto(project.research_period().end_time());
  if (ctx.now >= end) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot extend: the research period ended ", JstDate(end - absl::Seconds(1))));
  }
  if (rules.max_extension_months <= 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot extend: ", rules.name, " does not allow extensions"));
  }
  const int total = project.research_period().months() + request.additional_months();
  if (project.research_period().extension_months() + request.additional_months() >
          rules.max_extension_months ||
      total > rules.MaxTotalMonths()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot extend beyond ", rules.MaxTotalMonths(), " months for ", rules.name, " (now ",
        project.research_period().months(), ", asked for ", request.additional_months(), " more)"));
  }
  if (rules.extension_requires_gate_month > 0) {
    bool passed = false;
    for (const auto& e : project.evaluations()) {
      if (e.kind() == v1::EVALUATION_KIND_STAGE_GATE &&
          e.milestone_month() == rules.extension_requires_gate_month &&
          (e.outcome() == v1::STAGE_GATE_OUTCOME_CONTINUE ||
           e.outcome() == v1::STAGE_GATE_OUTCOME_EXPAND) &&
          e.consequence() != v1::CONSEQUENCE_CUT_BUDGET) {
        passed = true;
      }
    }
    if (!passed) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot extend: ", rules.name, " requires a continue or expand decision at the month-",
          rules.extension_requires_gate_month, " stage gate first"));
    }
  }
  std::string budget;
  if (!request.budget_lines().empty()) {
    auto changed = ApplyBudgetChanges(next, request.budget_lines(), ctx.now);
    if (!changed.ok()) return changed.status();
    budget = absl::StrCat("; budget ", *changed);
    if (auto s = CheckAnnualCaps(next, rules, core::FiscalYear::Containing(ctx.now).year());
        !s.ok())
      return s;
  }
  std::string what = absl::StrCat(
      "extended by ", request.additional_months(), " months to ", total, " months (ends ",
      JstDate(FromProto(next.research_period().end_time()) - absl::Seconds(1)),
      "): ", request.reason(), budget);
  auto event = Changed(next, v1::CHANGE_KIND_EXTENDED, what, !request.budget_lines().empty());
  return Commit(std::move(next), ctx, "extended", what, {std::move(event)});
}

absl::StatusOr<Transition> Pause(const v1::Project& project, const v1::PauseProjectRequest& request,
                                 const Context& ctx) {
  if (auto s = CheckCommand(project, request.project_id(), request.expected_version(), ctx);
      !s.ok()) {
    return s;
  }
  const auto& rules = ctx.rules;
  Violations v;
  if (request.months() <= 0) v.Add("months", "must be positive");
  if (request.reason() == v1::PAUSE_REASON_UNSPECIFIED ||
      !v1::PauseReason_IsValid(request.reason())) {
    v.Add("reason", "is required (childbirth, childcare, nursing care, illness, other)");
  }
  if (!v.empty()) return v.ToStatus();
  if (auto s = RequireState(project, "pause", {v1::PROJECT_STATE_ACTIVE}); !s.ok()) return s;
  const absl::Time end = FromProto(project.research_period().end_time());
  if (ctx.now >= end) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot pause: the research period ended ", JstDate(end - absl::Seconds(1))));
  }
  if (rules.max_pause_months <= 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot pause: ", rules.name, " does not allow pauses"));
  }
  const int used = project.research_period().paused_months();
  if (used + request.months() > rules.max_pause_months) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot pause for ", request.months(), " months: ", rules.name, " allows ",
                     rules.max_pause_months, " months of pauses in total and ", used, " are used"));
  }
  v1::Project next = project;
  auto* pause = next.add_pauses();
  *pause->mutable_start_time() = ToProto(ctx.now);
  pause->set_granted_months(request.months());
  pause->set_used_months(request.months());
  pause->set_reason(request.reason());
  pause->set_note(request.note());
  auto* period = next.mutable_research_period();
  period->set_paused_months(used + request.months());
  RecomputeEnd(next);
  next.set_state(v1::PROJECT_STATE_PAUSED);
  std::string what = absl::StrCat(
      "paused for ", request.months(), " months (",
      absl::AsciiStrToLower(v1::PauseReason_Name(request.reason()).substr(13)),
      "); research period now ends ", JstDate(FromProto(period->end_time()) - absl::Seconds(1)));
  auto event = Changed(next, v1::CHANGE_KIND_PAUSED, what, false, ctx.now);
  return Commit(std::move(next), ctx, "paused", what, {std::move(event)});
}

absl::StatusOr<Transition> PutOnHold(const v1::Project& project,
                                     const AllocationRejection& rejection, const Context& ctx) {
  if (auto s = CheckCommand(project, project.project_id(), 0, ctx); !s.ok()) return s;
  if (rejection.reason.empty()) {
    Violations v;
    v.Add("reason", "is required");
    return v.ToStatus();
  }
  if (IsTerminal(project.state())) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot put on hold: project is ", StateName(project.state())));
  }
  v1::Project next = project;
  next.set_on_hold(true);
  std::string reason = rejection.reason;
  if (!rejection.allocation_id.empty() || rejection.fiscal_year != 0) {
    reason = absl::StrCat(
        "allocation",
        rejection.allocation_id.empty() ? std::string() : absl::StrCat(" ", rejection.allocation_id),
        rejection.fiscal_year != 0 ? absl::StrCat(" for FY", rejection.fiscal_year) : std::string(),
        " rejected: ", rejection.reason);
  }
  next.set_hold_reason(reason);
  std::string what = absl::StrCat("on hold: ", reason);
  auto event = Changed(next, v1::CHANGE_KIND_PUT_ON_HOLD, what, false);
  return Commit(std::move(next), ctx, "put_on_hold", what, {std::move(event)});
}

absl::StatusOr<Transition> ReleaseHold(const v1::Project& project,
                                       const v1::ReleaseHoldRequest& request, const Context& ctx) {
  if (auto s = CheckCommand(project, request.project_id(), request.expected_version(), ctx);
      !s.ok()) {
    return s;
  }
  if (IsTerminal(project.state())) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot release the hold: project is ", StateName(project.state())));
  }
  if (!project.on_hold()) {
    return absl::FailedPreconditionError("cannot release the hold: project is not on hold");
  }
  v1::Project next = project;
  next.set_on_hold(false);
  next.clear_hold_reason();
  std::string what = absl::StrCat("hold released (was: ", project.hold_reason(), ")");
  if (!request.note().empty()) absl::StrAppend(&what, ": ", request.note());
  auto event = Changed(next, v1::CHANGE_KIND_HOLD_RELEASED, what, false);
  return Commit(std::move(next), ctx, "hold_released", what, {std::move(event)});
}

// ---------------------------------------------------------------------------
// Changes

namespace {
constexpr std::initializer_list<v1::ProjectState> kRunning = {
    v1::PROJECT_STATE_CONTRACTING, v1::PROJECT_STATE_ACTIVE, v1::PROJECT_STATE_SUSPENDED,
    v1::PROJECT_STATE_PAUSED};

void CheckWithinPeriod(const v1::Project& project, absl::Time t, const std::string& field,
                       Violations& v) {
  const absl::Time start = FromProto(project.research_period().start_time());
  const absl::Time end = FromProto(project.research_period().end_time());
  if (t < start || t >= end) {
    v.Add(field, absl::StrCat("must fall within the research period (", JstDate(start), " – ",
                              JstDate(end - absl::Seconds(1)), ")"));
  }
}
}  // namespace

absl::StatusOr<Transition> AddMember(const v1::Project& project,
                                     const v1::AddMemberRequest& request, const Context& ctx) {
  if (auto s = CheckCommand(project, request.project_id(), request.expected_version(), ctx);
      !s.ok()) {
    return s;
  }
  const auto& m = request.member();
  const absl::Time from = m.has_effective_from() ? FromProto(m.effective_from()) : ctx.now;
  Violations v;
  if (!core::IsEradResearcherNumber(m.researcher_id())) {
    v.Add("member.researcher_id", "must be an e-Rad researcher number (8 digits)");
  }
  if (m.name().empty()) v.Add("member.name", "is required");
  if (m.institution_id().empty()) v.Add("member.institution_id", "is required");
  if (m.role() == v1::MEMBER_ROLE_PRINCIPAL_INVESTIGATOR) {
    v.Add("member.role", "a project has one principal investigator; add co-investigators");
  } else if (!v1::MemberRole_IsValid(m.role())) {
    v.Add("member.role", "unknown role");
  }
  if (m.has_effective_to()) v.Add("member.effective_to", "must be unset when adding");
  CheckWithinPeriod(project, from, "member.effective_from", v);
  if (!m.institution_id().empty() && FindInstitution(project, m.institution_id()) == nullptr &&
      request.institution_name().empty()) {
    v.Add("institution_name", "is required for an institution new to the project");
  }
  if (!v.empty()) return v.ToStatus();
  if (auto s = RequireState(project, "add a member", kRunning); !s.ok()) return s;
  if (m.researcher_id() == project.principal_investigator().researcher_id()) {
    return absl::FailedPreconditionError(
        absl::StrCat("researcher ", m.researcher_id(), " is the project's principal investigator"));
  }
  for (const auto& existing : project.members()) {
    if (existing.researcher_id() == m.researcher_id() &&
        (!existing.has_effective_to() || FromProto(existing.effective_to()) > from)) {
      return absl::AlreadyExistsError(
          absl::StrCat("researcher ", m.researcher_id(), " is already a member"));
    }
  }
  v1::Project next = project;
  auto* added = next.add_members();
  *added = m;
  if (added->role() == v1::MEMBER_ROLE_UNSPECIFIED)
    added->set_role(v1::MEMBER_ROLE_CO_INVESTIGATOR);
  *added->mutable_effective_from() = ToProto(from);
  const bool pending = JoinInstitution(next, m.institution_id(), request.institution_name());
  std::string what =
      absl::StrCat("member ", m.researcher_id(), " (", m.name(), ", ",
                   InstitutionLabel(next, m.institution_id()), ") added from ", JstDate(from));
  if (pending) absl::StrAppend(&what, "; contract pending");
  auto event = Changed(next, v1::CHANGE_KIND_MEMBER_ADDED, what, false, from);
  return Commit(std::move(next), ctx, "member_added", what, {std::move(event)});
}

absl::StatusOr<Transition> RemoveMember(const v1::Project& project,
                                        const v1::RemoveMemberRequest& request,
                                        const Context& ctx) {
  if (auto s = CheckCommand(project, request.project_id(), request.expected_version(), ctx);
      !s.ok()) {
    return s;
  }
  const absl::Time at =
      request.has_effective_time() ? FromProto(request.effective_time()) : ctx.now;
  Violations v;
  if (request.researcher_id().empty()) v.Add("researcher_id", "is required");
  if (!v.empty()) return v.ToStatus();
  if (auto s = RequireState(project, "remove a member", kRunning); !s.ok()) return s;
  if (request.researcher_id() == project.principal_investigator().researcher_id()) {
    return absl::FailedPreconditionError(
        "cannot remove the principal investigator (terminate the project or transfer it)");
  }
  int index = -1;
  for (int i = 0; i < project.members_size(); ++i) {
    const auto& m = project.members(i);
    if (m.researcher_id() == request.researcher_id() && !m.has_effective_to()) index = i;
  }
  if (index < 0) {
    return absl::NotFoundError(
        absl::StrCat("researcher ", request.researcher_id(), " is not a current member"));
  }
  if (at < FromProto(project.members(index).effective_from())) {
    Violations bad;
    bad.Add("effective_time", "must not precede the membership's start");
    return bad.ToStatus();
  }
  v1::Project next = project;
  auto* m = next.mutable_members(index);
  *m->mutable_effective_to() = ToProto(at);
  std::string what =
      absl::StrCat("member ", m->researcher_id(), " (", m->name(), ") removed from ", JstDate(at));
  if (!InstitutionStaffedAfter(next, m->institution_id(), at)) {
    LeaveInstitution(next, m->institution_id(), at);
    absl::StrAppend(&what, "; ", InstitutionLabel(next, m->institution_id()),
                    " leaves the project and its contract ends");
  }
  auto event = Changed(next, v1::CHANGE_KIND_MEMBER_REMOVED, what, false, at);
  return Commit(std::move(next), ctx, "member_removed", what, {std::move(event)});
}

absl::StatusOr<Transition> TransferInstitution(const v1::Project& project,
                                               const v1::TransferInstitutionRequest& request,
                                               const Context& ctx) {
  if (auto s = CheckCommand(project, request.project_id(), request.expected_version(), ctx);
      !s.ok()) {
    return s;
  }
  const absl::Time at =
      request.has_effective_time() ? FromProto(request.effective_time()) : ctx.now;
  Violations v;
  if (request.new_institution_id().empty()) v.Add("new_institution_id", "is required");
  if (!request.new_institution_id().empty() &&
      FindInstitution(project, request.new_institution_id()) == nullptr &&
      request.new_institution_name().empty()) {
    v.Add("new_institution_name", "is required for an institution new to the project");
  }
  CheckWithinPeriod(project, at, "effective_time", v);
  if (!v.empty()) return v.ToStatus();
  if (auto s = RequireState(project, "transfer the project", kRunning); !s.ok()) return s;
  const std::string old_id = project.principal_investigator().institution_id();
  if (old_id == request.new_institution_id()) {
    return absl::FailedPreconditionError(absl::StrCat("the principal investigator is already at ",
                                                      InstitutionLabel(project, old_id)));
  }
  if (!ctx.rules.support_follows_transfer) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot transfer: in ", ctx.rules.name,
        " the project does not follow its principal investigator to another institution"));
  }
  v1::Project next = project;
  next.mutable_principal_investigator()->set_institution_id(request.new_institution_id());
  const bool pending =
      JoinInstitution(next, request.new_institution_id(), request.new_institution_name());
  std::string what =
      absl::StrCat("principal investigator moved from ", InstitutionLabel(next, old_id), " to ",
                   InstitutionLabel(next, request.new_institution_id()), " on ", JstDate(at),
                   "; project stays ", StateName(next.state()));
  if (!InstitutionStaffedAfter(next, old_id, at)) {
    LeaveInstitution(next, old_id, at);
    absl::StrAppend(&what, "; contract with ", InstitutionLabel(next, old_id), " ends");
  }
  if (pending) absl::StrAppend(&what, "; new contract pending");
  auto event = Changed(next, v1::CHANGE_KIND_INSTITUTION_TRANSFERRED, what, false, at);
  return Commit(std::move(next), ctx, "institution_transferred", what, {std::move(event)});
}

absl::StatusOr<Transition> RevisePlan(const v1::Project& project,
                                      const v1::RevisePlanRequest& request, const Context& ctx) {
  if (auto s = CheckCommand(project, request.project_id(), request.expected_version(), ctx);
      !s.ok()) {
    return s;
  }
  Violations v;
  if (request.changes().empty()) v.Add("changes", "at least one change is required");
  if (request.reason().empty()) v.Add("reason", "is required");
  ValidateBudgetLines(request.changes(), FiscalYearsOf(project), "changes", true, v);
  if (!v.empty()) return v.ToStatus();
  if (auto s = RequireState(project, "revise the plan", kRunning); !s.ok()) return s;
  v1::Project next = project;
  auto changed = ApplyBudgetChanges(next, request.changes(), ctx.now);
  if (!changed.ok()) return changed.status();
  if (auto s = CheckAnnualCaps(next, ctx.rules, core::FiscalYear::Containing(ctx.now).year());
      !s.ok())
    return s;
  const int64_t before = PlanTotal(project);
  const int64_t after = PlanTotal(next);
  std::string what = absl::StrCat("plan revised (", request.reason(), "): ", *changed, "; total ",
                                  FormatYen(before), " → ", FormatYen(after), " (",
                                  after >= before ? "+" : "", FormatYen(after - before), ")");
  auto event = Changed(next, v1::CHANGE_KIND_PLAN_REVISED, what, true);
  return Commit(std::move(next), ctx, "plan_revised", what, {std::move(event)});
}

}  // namespace tane::projects
