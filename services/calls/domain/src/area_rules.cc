#include "tane/calls/area_rules.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "tane/calls/text.h"
#include "tane/core/ids.h"

namespace tane::calls {
namespace {

void CheckText(core::Violations& out, const std::string& field, const std::string& text,
               bool multiline = false) {
  if (!IsValidUtf8(text)) {
    out.Add(field, "is not valid UTF-8");
  } else if (HasControlCharacters(text, multiline)) {
    out.Add(field, "contains control characters");
  }
}

void CheckOfficer(core::Violations& out, const std::string& prefix, const v1::Officer& o) {
  if (o.name().empty()) out.Add(prefix + ".name", "is required");
  if (o.role() == v1::OFFICER_ROLE_UNSPECIFIED || !v1::OfficerRole_IsValid(o.role())) {
    out.Add(prefix + ".role", "is required");
  }
  CheckText(out, prefix + ".name", o.name());
  CheckText(out, prefix + ".title", o.title());
  CheckText(out, prefix + ".subject", o.subject());
}

}  // namespace

absl::Status ValidateNewStrategicGoal(const v1::StrategicGoal& goal) {
  core::Violations out;
  if (goal.fiscal_year() < 1900 || goal.fiscal_year() > 2200) {
    out.Add("fiscal_year", "is required (e.g. 2017)");
  }
  if (goal.title_ja().empty()) out.Add("title_ja", "is required");
  CheckText(out, "title_ja", goal.title_ja());
  CheckText(out, "title_en", goal.title_en());
  CheckText(out, "description", goal.description(), /*multiline=*/true);
  if (goal.field_category() == v1::FIELD_CATEGORY_UNSPECIFIED ||
      !v1::FieldCategory_IsValid(goal.field_category())) {
    out.Add("field_category", "is required: GENERAL, INFORMATION or LIFE");
  }
  if (goal.agency() == v1::AGENCY_UNSPECIFIED || !v1::Agency_IsValid(goal.agency())) {
    out.Add("agency", "is required");
  }
  return out.ToStatus("invalid strategic goal");
}

absl::Status ValidateNewResearchArea(const v1::ResearchArea& area, const Catalog& catalog,
                                     const v1::StrategicGoal* goal) {
  core::Violations out;
  if (area.goal_id().empty()) {
    out.Add("goal_id", "is required");
  } else if (!core::IsUuid(area.goal_id())) {
    out.Add("goal_id", "must be a UUID");
  } else if (goal != nullptr && goal->goal_id() != area.goal_id()) {
    out.Add("goal_id", "does not match the strategic goal given");
  }
  if (area.program_ids_size() == 0) out.Add("program_ids", "must name at least one program");
  std::set<std::string> seen;
  for (int i = 0; i < area.program_ids_size(); ++i) {
    const std::string field = absl::StrCat("program_ids[", i, "]");
    const ProgramRule* program = catalog.Find(area.program_ids(i));
    if (program == nullptr) {
      out.Add(field, absl::StrCat("unknown program \"", area.program_ids(i), "\""));
      continue;
    }
    if (!seen.insert(program->id).second) out.Add(field, "is listed twice");
    if (!program->area_based) {
      out.Add(field, absl::StrCat(program->name_en, " does not make calls per research area"));
    }
    if (goal != nullptr && goal->agency() != program->agency) {
      out.Add(field, absl::StrCat(program->name_en, " is not run by the goal's agency"));
    }
  }
  if (area.title_ja().empty()) out.Add("title_ja", "is required");
  CheckText(out, "title_ja", area.title_ja());
  CheckText(out, "title_en", area.title_en());
  if (!area.has_supervisor()) {
    out.Add("supervisor", "is required (研究総括 / PS)");
  } else {
    CheckOfficer(out, "supervisor", area.supervisor());
  }
  for (int i = 0; i < area.deputy_supervisors_size(); ++i) {
    CheckOfficer(out, absl::StrCat("deputy_supervisors[", i, "]"), area.deputy_supervisors(i));
  }
  for (int i = 0; i < area.advisors_size(); ++i) {
    CheckOfficer(out, absl::StrCat("advisors[", i, "]"), area.advisors(i));
  }
  return out.ToStatus("invalid research area");
}

}  // namespace tane::calls
