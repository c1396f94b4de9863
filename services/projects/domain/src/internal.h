#pragma once
// Helpers shared by the command implementations.

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "tane/core/errors.h"
#include "tane/projects/project.h"

namespace tane::projects::internal {

/// The checks every command starts with: the request names this project, the
/// optimistic version matches, the context is usable.
absl::Status CheckCommand(const v1::Project& project, const std::string& request_project_id,
                          int64_t expected_version, const Context& ctx);

/// FAILED_PRECONDITION "cannot <verb>: project is <state>" unless the state is
/// one of `allowed`.
absl::Status RequireState(const v1::Project& project, const std::string& verb,
                          std::initializer_list<v1::ProjectState> allowed);

/// Bumps the version, stamps updated_at and appends the history entry.
Transition Commit(v1::Project project, const Context& ctx, const std::string& action,
                  std::string description, std::vector<Event> events);

v1::ProjectChanged Changed(const v1::Project& after, v1::ChangeKind kind, std::string description,
                           bool plan_changed, std::optional<absl::Time> effective = std::nullopt);

v1::Institution* FindInstitution(v1::Project& project, const std::string& institution_id);
const v1::Institution* FindInstitution(const v1::Project& project,
                                       const std::string& institution_id);
/// "Kyoto University (ror:02kpeqv85)" or just the id.
std::string InstitutionLabel(const v1::Project& project, const std::string& institution_id);

/// True while the membership covers `t`.
bool MemberCurrentAt(const v1::Member& member, absl::Time t);
/// Institutions someone works at on `t` (PI's first), each once.
std::vector<std::string> ParticipatingInstitutions(const v1::Project& project, absl::Time t);

/// Validates budget lines against the project's fiscal years: field names are
/// prefixed with `field` ("budget_plan", "changes").
void ValidateBudgetLines(const google::protobuf::RepeatedPtrField<v1::BudgetLine>& lines,
                         const std::vector<int>& fiscal_years, const std::string& field,
                         bool allow_zero, core::Violations& violations);

/// FAILED_PRECONDITION when the direct costs of a fiscal year from
/// `from_fiscal_year` on exceed the program's annual cap (the expanded one
/// from the year an "expand" stage gate set). Years before it are history.
absl::Status CheckAnnualCaps(const v1::Project& project, const ProgramRules& rules,
                             int from_fiscal_year = 0);

/// Removes lines of fiscal years starting at or after `from`.
void DropBudgetFrom(v1::Project& project, absl::Time from);

/// end = start + months + paused months.
void RecomputeEnd(v1::Project& project);

/// The first fiscal year that starts at or after t.
int FirstFiscalYearStartingAtOrAfter(absl::Time t);

std::string FormatYen(int64_t amount);

void SortPlan(v1::Project& project);
int64_t PlanTotal(const v1::Project& project);
/// Sets (fiscal_year, category) amounts (0 removes); FAILED_PRECONDITION for a
/// fiscal year that has ended. Returns the change in words.
absl::StatusOr<std::string> ApplyBudgetChanges(
    v1::Project& project, const google::protobuf::RepeatedPtrField<v1::BudgetLine>& changes,
    absl::Time now);
/// State terminated from `effective`: period end cut, later budget lines
/// dropped, open contracts ended, ProjectTerminated appended to `events`.
void ApplyTermination(v1::Project& project, absl::Time effective, std::string reason,
                      std::string evaluation_id, absl::Time now, std::vector<Event>& events);
bool InstitutionStaffedAfter(const v1::Project& project, const std::string& institution_id,
                             absl::Time t);
void LeaveInstitution(v1::Project& project, const std::string& institution_id, absl::Time t);
bool JoinInstitution(v1::Project& project, const std::string& institution_id,
                     const std::string& name);
std::string ActorLabel(const common::v1::Actor& actor);

}  // namespace tane::projects::internal
