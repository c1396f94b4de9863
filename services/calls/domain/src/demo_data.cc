#include "tane/calls/demo_data.h"

#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "tane/calls/area_rules.h"
#include "tane/calls/call_rules.h"
#include "tane/calls/timestamps.h"
#include "tane/core/ids.h"
#include "tane/core/time.h"
#include "yaml_util.h"

namespace tane::calls {
namespace {

using impl::CheckMap;
using impl::Join;
using impl::ReadOptionalInt;
using impl::ReadString;
using impl::YamlError;

// Prefixes a status from a Validate* function with the entry it came from,
// keeping its BadRequest payload.
absl::Status InEntry(const absl::Status& status, std::string_view where) {
  absl::Status out(status.code(),
                   absl::StrCat(std::string(where), ": ", std::string(status.message())));
  status.ForEachPayload(
      [&out](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

// Sets the field through `mutable_field` only when the key is present.
template <typename Mutable>
absl::Status ReadTime(const YAML::Node& map, std::string_view key, std::string_view where,
                      Mutable mutable_field) {
  std::string text;
  if (auto s = ReadString(map, key, where, false, &text); !s.ok()) return s;
  if (text.empty()) return absl::OkStatus();
  auto t = core::ParseRfc3339(text);
  if (!t.ok()) return YamlError(Join(where, key), absl::StrCat("is not an RFC 3339 time: ", text));
  *mutable_field() = ToTimestamp(*t);
  return absl::OkStatus();
}

absl::Status ReadOfficer(const YAML::Node& node, std::string_view where, v1::Officer* out) {
  if (auto s = CheckMap(node, where, {"name", "role", "title", "subject"}); !s.ok()) return s;
  std::string role;
  if (auto s = ReadString(node, "name", where, true, out->mutable_name()); !s.ok()) return s;
  if (auto s = ReadString(node, "role", where, true, &role); !s.ok()) return s;
  if (auto s = ReadString(node, "title", where, false, out->mutable_title()); !s.ok()) return s;
  if (auto s = ReadString(node, "subject", where, false, out->mutable_subject()); !s.ok()) return s;
  static const std::map<std::string, v1::OfficerRole> kRoles = {
      {"research_supervisor", v1::OFFICER_ROLE_RESEARCH_SUPERVISOR},
      {"program_supervisor", v1::OFFICER_ROLE_PROGRAM_SUPERVISOR},
      {"program_officer", v1::OFFICER_ROLE_PROGRAM_OFFICER},
      {"advisor", v1::OFFICER_ROLE_ADVISOR},
      {"program_manager", v1::OFFICER_ROLE_PROGRAM_MANAGER},
  };
  auto it = kRoles.find(role);
  if (it == kRoles.end())
    return YamlError(Join(where, "role"), absl::StrCat("unknown role \"", role, "\""));
  out->set_role(it->second);
  return absl::OkStatus();
}

absl::Status ReadOfficers(const YAML::Node& map, std::string_view key, std::string_view where,
                          google::protobuf::RepeatedPtrField<v1::Officer>* out) {
  const YAML::Node list = map[std::string(key)];
  if (!list.IsDefined() || list.IsNull()) return absl::OkStatus();
  if (!list.IsSequence()) return YamlError(Join(where, key), "must be a list");
  for (size_t i = 0; i < list.size(); ++i) {
    if (auto s = ReadOfficer(list[i], absl::StrCat(Join(where, key), "[", i, "]"), out->Add());
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

const YAML::Node List(const YAML::Node& root, const char* key) { return root[key]; }

}  // namespace

std::string DemoId(std::string_view key) { return core::NameUuid(kDemoIdNamespace, key); }

absl::StatusOr<DemoData> LoadDemoDataFromString(std::string_view yaml, const Catalog& catalog) {
  auto root = impl::ParseYaml(yaml, "demo data");
  if (!root.ok()) return root.status();
  if (auto s = CheckMap(*root, "demo data",
                        {"schema_version", "strategic_goals", "research_areas", "calls"});
      !s.ok()) {
    return s;
  }
  DemoData data;
  std::map<std::string, size_t> goals;  // key → index
  std::map<std::string, size_t> areas;

  const YAML::Node goal_list = List(*root, "strategic_goals");
  if (goal_list.IsDefined() && !goal_list.IsSequence())
    return YamlError("strategic_goals", "must be a list");
  for (size_t i = 0; goal_list.IsDefined() && i < goal_list.size(); ++i) {
    const YAML::Node node = goal_list[i];
    std::string where = absl::StrCat("strategic_goals[", i, "]");
    if (auto s = CheckMap(node, where,
                          {"key", "fiscal_year", "title_ja", "title_en", "field_category", "agency",
                           "description"});
        !s.ok()) {
      return s;
    }
    std::string key, category, agency;
    if (auto s = ReadString(node, "key", where, true, &key); !s.ok()) return s;
    where = absl::StrCat(where, " (", key, ")");
    v1::StrategicGoal goal;
    std::optional<int64_t> fy;
    if (auto s = ReadOptionalInt(node, "fiscal_year", where, 1900, 2200, &fy); !s.ok()) return s;
    goal.set_fiscal_year(static_cast<int32_t>(fy.value_or(0)));
    if (auto s = ReadString(node, "title_ja", where, false, goal.mutable_title_ja()); !s.ok())
      return s;
    if (auto s = ReadString(node, "title_en", where, false, goal.mutable_title_en()); !s.ok())
      return s;
    if (auto s = ReadString(node, "description", where, false, goal.mutable_description());
        !s.ok()) {
      return s;
    }
    if (auto s = ReadString(node, "field_category", where, true, &category); !s.ok()) return s;
    if (auto s = ReadString(node, "agency", where, true, &agency); !s.ok()) return s;
    static const std::map<std::string, v1::FieldCategory> kCategories = {
        {"general", v1::FIELD_CATEGORY_GENERAL},
        {"information", v1::FIELD_CATEGORY_INFORMATION},
        {"life", v1::FIELD_CATEGORY_LIFE}};
    static const std::map<std::string, v1::Agency> kAgencies = {
        {"JST", v1::AGENCY_JST}, {"AMED", v1::AGENCY_AMED}, {"JSPS", v1::AGENCY_JSPS}};
    if (!kCategories.count(category)) {
      return YamlError(Join(where, "field_category"),
                       absl::StrCat("unknown value \"", category, "\""));
    }
    if (!kAgencies.count(agency)) {
      return YamlError(Join(where, "agency"), absl::StrCat("unknown value \"", agency, "\""));
    }
    goal.set_field_category(kCategories.at(category));
    goal.set_agency(kAgencies.at(agency));
    goal.set_goal_id(DemoId(key));
    if (auto s = ValidateNewStrategicGoal(goal); !s.ok()) return InEntry(s, where);
    if (!goals.emplace(key, data.strategic_goals.size()).second) {
      return YamlError(Join(where, "key"), "is used twice");
    }
    data.strategic_goals.push_back(std::move(goal));
  }

  const YAML::Node area_list = List(*root, "research_areas");
  if (area_list.IsDefined() && !area_list.IsSequence())
    return YamlError("research_areas", "must be a list");
  for (size_t i = 0; area_list.IsDefined() && i < area_list.size(); ++i) {
    const YAML::Node node = area_list[i];
    std::string where = absl::StrCat("research_areas[", i, "]");
    if (auto s = CheckMap(node, where,
                          {"key", "goal", "programs", "title_ja", "title_en", "supervisor",
                           "deputy_supervisors", "advisors"});
        !s.ok()) {
      return s;
    }
    std::string key, goal_key;
    if (auto s = ReadString(node, "key", where, true, &key); !s.ok()) return s;
    where = absl::StrCat(where, " (", key, ")");
    if (auto s = ReadString(node, "goal", where, true, &goal_key); !s.ok()) return s;
    auto goal = goals.find(goal_key);
    if (goal == goals.end()) {
      return YamlError(Join(where, "goal"),
                       absl::StrCat("unknown strategic goal \"", goal_key, "\""));
    }
    v1::ResearchArea area;
    area.set_area_id(DemoId(key));
    area.set_goal_id(data.strategic_goals[goal->second].goal_id());
    const YAML::Node programs = node["programs"];
    if (!programs.IsDefined() || !programs.IsSequence()) {
      return YamlError(Join(where, "programs"), "must be a list of program ids");
    }
    for (const auto& p : programs) area.add_program_ids(p.Scalar());
    if (auto s = ReadString(node, "title_ja", where, false, area.mutable_title_ja()); !s.ok())
      return s;
    if (auto s = ReadString(node, "title_en", where, false, area.mutable_title_en()); !s.ok())
      return s;
    if (node["supervisor"].IsDefined()) {
      if (auto s =
              ReadOfficer(node["supervisor"], Join(where, "supervisor"), area.mutable_supervisor());
          !s.ok()) {
        return s;
      }
    }
    if (auto s = ReadOfficers(node, "deputy_supervisors", where, area.mutable_deputy_supervisors());
        !s.ok()) {
      return s;
    }
    if (auto s = ReadOfficers(node, "advisors", where, area.mutable_advisors()); !s.ok()) return s;
    if (auto s = ValidateNewResearchArea(area, catalog, &data.strategic_goals[goal->second]);
        !s.ok()) {
      return InEntry(s, where);
    }
    if (!areas.emplace(key, data.research_areas.size()).second) {
      return YamlError(Join(where, "key"), "is used twice");
    }
    data.research_areas.push_back(std::move(area));
  }

  const YAML::Node call_list = List(*root, "calls");
  if (call_list.IsDefined() && !call_list.IsSequence()) return YamlError("calls", "must be a list");
  for (size_t i = 0; call_list.IsDefined() && i < call_list.size(); ++i) {
    const YAML::Node node = call_list[i];
    std::string where = absl::StrCat("calls[", i, "]");
    if (auto s = CheckMap(
            node, where,
            {"key", "area", "program", "title_ja", "title_en", "opens_at", "closes_at",
             "research_starts_not_before", "state", "max_total_direct_yen", "max_yearly_direct_yen",
             "indirect_rate_percent", "partner_agency", "description"});
        !s.ok()) {
      return s;
    }
    std::string key, area_key, state;
    if (auto s = ReadString(node, "key", where, true, &key); !s.ok()) return s;
    where = absl::StrCat(where, " (", key, ")");
    v1::Call call;
    call.set_call_id(DemoId(key));
    const v1::ResearchArea* area = nullptr;
    if (auto s = ReadString(node, "area", where, false, &area_key); !s.ok()) return s;
    if (!area_key.empty()) {
      auto it = areas.find(area_key);
      if (it == areas.end()) {
        return YamlError(Join(where, "area"),
                         absl::StrCat("unknown research area \"", area_key, "\""));
      }
      area = &data.research_areas[it->second];
      call.set_research_area_id(area->area_id());
    }
    if (auto s = ReadString(node, "program", where, true, call.mutable_program_id()); !s.ok())
      return s;
    if (auto s = ReadString(node, "title_ja", where, false, call.mutable_title_ja()); !s.ok())
      return s;
    if (auto s = ReadString(node, "title_en", where, false, call.mutable_title_en()); !s.ok())
      return s;
    if (auto s = ReadString(node, "description", where, false, call.mutable_description());
        !s.ok()) {
      return s;
    }
    if (auto s = ReadString(node, "partner_agency", where, false, call.mutable_partner_agency());
        !s.ok()) {
      return s;
    }
    if (auto s = ReadTime(node, "opens_at", where, [&] { return call.mutable_opens_at(); });
        !s.ok()) {
      return s;
    }
    if (auto s = ReadTime(node, "closes_at", where, [&] { return call.mutable_closes_at(); });
        !s.ok()) {
      return s;
    }
    if (auto s = ReadTime(node, "research_starts_not_before", where,
                          [&] { return call.mutable_research_starts_not_before(); });
        !s.ok()) {
      return s;
    }
    std::optional<int64_t> value;
    if (auto s = ReadOptionalInt(node, "max_total_direct_yen", where, 1, INT64_MAX, &value);
        !s.ok()) {
      return s;
    }
    if (value) call.set_max_total_direct_yen(*value);
    value.reset();
    if (auto s = ReadOptionalInt(node, "max_yearly_direct_yen", where, 1, INT64_MAX, &value);
        !s.ok()) {
      return s;
    }
    if (value) call.set_max_yearly_direct_yen(*value);
    value.reset();
    if (auto s = ReadOptionalInt(node, "indirect_rate_percent", where, 0, 100, &value); !s.ok()) {
      return s;
    }
    if (value) call.set_indirect_rate_percent(static_cast<int32_t>(*value));

    if (auto s = ReadString(node, "state", where, false, &state); !s.ok()) return s;
    if (state.empty()) state = "published";
    if (state != "draft" && state != "published") {
      return YamlError(Join(where, "state"), "must be draft or published");
    }
    const absl::Time created = ToTime(call.opens_at());
    auto prepared = PrepareNewCall(call, call.call_id(), catalog, area, created);
    if (!prepared.ok()) return InEntry(prepared.status(), where);
    if (state == "published") {
      prepared->set_state(v1::CALL_STATE_PUBLISHED);
      *prepared->mutable_published_at() = prepared->opens_at();
    }
    data.calls.push_back(std::move(*prepared));
  }
  return data;
}

absl::StatusOr<DemoData> LoadDemoDataFromFile(const std::string& path, const Catalog& catalog) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read demo data file ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto data = LoadDemoDataFromString(buffer.str(), catalog);
  if (!data.ok()) return InEntry(data.status(), path);
  return data;
}

}  // namespace tane::calls
