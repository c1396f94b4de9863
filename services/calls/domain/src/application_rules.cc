#include "tane/calls/application_rules.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/field_mask_util.h"
#include "google/rpc/error_details.pb.h"
#include "tane/calls/call_rules.h"
#include "tane/calls/text.h"
#include "tane/calls/timestamps.h"
#include "tane/core/ids.h"
#include "tane/core/time.h"

namespace tane::calls {
namespace {

using google::protobuf::util::FieldMaskUtil;

constexpr int kMinYear = 1900;
constexpr int kMaxYear = 2200;
constexpr int kMaxLeaveMonths = 1200;

std::string At(std::string_view prefix, int index) {
  return absl::StrCat(std::string(prefix), "[", index, "]");
}
std::string Path(std::string_view prefix, std::string_view field) {
  return absl::StrCat(std::string(prefix), ".", std::string(field));
}

void CheckText(core::Violations& out, const std::string& field, const std::string& text,
               bool multiline = false) {
  if (!IsValidUtf8(text)) {
    out.Add(field, "is not valid UTF-8");
  } else if (HasControlCharacters(text, multiline)) {
    out.Add(field, "contains control characters");
  }
}

bool IsCountryCode(std::string_view code) {
  return code.size() == 2 && code[0] >= 'A' && code[0] <= 'Z' && code[1] >= 'A' && code[1] <= 'Z';
}

bool IsLowerHex(std::string_view text, size_t length) {
  if (text.size() != length) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// "type/subtype" with RFC 6838 restricted-name characters (parameters not allowed).
bool IsMediaType(std::string_view text) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i == slash) continue;
    const char c = text[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '!' || c == '#' || c == '$' || c == '&' || c == '-' || c == '^' ||
                    c == '_' || c == '.' || c == '+';
    if (!ok) return false;
  }
  return true;
}

// Format rules for one person (both for drafts and submissions).
void CheckPersonFormat(core::Violations& out, const std::string& prefix, const v1::Person& p) {
  if (!p.researcher_id().empty() && !core::IsEradResearcherNumber(p.researcher_id())) {
    out.Add(Path(prefix, "researcher_id"),
            "must be an e-Rad researcher number of exactly 8 digits");
  }
  if (!p.orcid().empty() && !core::IsOrcid(p.orcid())) {
    out.Add(Path(prefix, "orcid"),
            "must be an ORCID iD like 0000-0002-1825-0097 with a valid check digit");
  }
  CheckText(out, Path(prefix, "name_ja"), p.name_ja());
  CheckText(out, Path(prefix, "name_en"), p.name_en());
  CheckText(out, Path(prefix, "institution_id"), p.institution_id());
  CheckText(out, Path(prefix, "institution_name"), p.institution_name());
  CheckText(out, Path(prefix, "position"), p.position());
  if (!p.institution_country_code().empty() && !IsCountryCode(p.institution_country_code())) {
    out.Add(Path(prefix, "institution_country_code"),
            "must be an ISO 3166-1 alpha-2 code in capitals, e.g. \"JP\"");
  }
  if (p.has_degree_year() && (p.degree_year() < kMinYear || p.degree_year() > kMaxYear)) {
    out.Add(Path(prefix, "degree_year"), "is not a plausible year");
  }
  if (p.has_birth_year() && (p.birth_year() < kMinYear || p.birth_year() > kMaxYear)) {
    out.Add(Path(prefix, "birth_year"), "is not a plausible year");
  }
  if (p.has_childcare_leave_months() &&
      (p.childcare_leave_months() < 0 || p.childcare_leave_months() > kMaxLeaveMonths)) {
    out.Add(Path(prefix, "childcare_leave_months"), "must be within 0–1200");
  }
}

void CheckFormats(const v1::Application& a, core::Violations& out) {
  CheckText(out, "title_ja", a.title_ja());
  CheckText(out, "title_en", a.title_en());
  CheckText(out, "abstract", a.abstract(), /*multiline=*/true);
  CheckText(out, "review_section", a.review_section());
  CheckText(out, "joint_proposal_id", a.joint_proposal_id());
  for (int i = 0; i < a.keywords_size(); ++i) {
    if (a.keywords(i).empty()) out.Add(At("keywords", i), "must not be empty");
    CheckText(out, At("keywords", i), a.keywords(i));
  }
  CheckPersonFormat(out, "principal_investigator", a.principal_investigator());
  if (a.pi_effort_percent() < 0 || a.pi_effort_percent() > 100) {
    out.Add("pi_effort_percent", "must be within 1–100");
  }
  for (int i = 0; i < a.co_investigators_size(); ++i) {
    const std::string prefix = At("co_investigators", i);
    const auto& co = a.co_investigators(i);
    CheckPersonFormat(out, Path(prefix, "person"), co.person());
    CheckText(out, Path(prefix, "role"), co.role());
    if (co.effort_percent() < 0 || co.effort_percent() > 100) {
      out.Add(Path(prefix, "effort_percent"), "must be within 1–100");
    }
  }
  if (a.research_period_months() < 0) out.Add("research_period_months", "must not be negative");
  if (a.start_fiscal_year() != 0 &&
      (a.start_fiscal_year() < kMinYear || a.start_fiscal_year() > kMaxYear)) {
    out.Add("start_fiscal_year", "is not a plausible fiscal year");
  }
  for (int i = 0; i < a.budget_plan_size(); ++i) {
    const std::string prefix = At("budget_plan", i);
    const auto& line = a.budget_plan(i);
    if (line.amount_yen() < 0) out.Add(Path(prefix, "amount_yen"), "must not be negative");
    if (!v1::BudgetCategory_IsValid(line.category())) {
      out.Add(Path(prefix, "category"), "is not a known budget category");
    }
    if (line.fiscal_year() != 0 &&
        (line.fiscal_year() < kMinYear || line.fiscal_year() > kMaxYear)) {
      out.Add(Path(prefix, "fiscal_year"), "is not a plausible fiscal year");
    }
    CheckText(out, Path(prefix, "description"), line.description());
  }
  for (int i = 0; i < a.attachments_size(); ++i) {
    const std::string prefix = At("attachments", i);
    const auto& att = a.attachments(i);
    if (att.name().empty()) out.Add(Path(prefix, "name"), "is required");
    CheckText(out, Path(prefix, "name"), att.name());
    if (!IsMediaType(att.media_type())) {
      out.Add(Path(prefix, "media_type"), "must be a media type like \"application/pdf\"");
    }
    if (att.size_bytes() <= 0) out.Add(Path(prefix, "size_bytes"), "must be positive");
    if (!IsLowerHex(att.content_sha256(), 64)) {
      out.Add(Path(prefix, "content_sha256"), "must be 64 lowercase hex digits");
    }
  }
  for (int i = 0; i < a.prior_awards_size(); ++i) {
    CheckText(out, Path(At("prior_awards", i), "program_id"), a.prior_awards(i).program_id());
    CheckText(out, Path(At("prior_awards", i), "project_id"), a.prior_awards(i).project_id());
  }
}

using Presence = std::function<bool(const v1::Application&)>;

// Application paths a call may require, with how to tell they are filled.
const std::map<std::string, Presence, std::less<>>& RequirablePaths() {
  static const auto* paths = new std::map<std::string, Presence, std::less<>>{
      {"title_ja", [](const v1::Application& a) { return !a.title_ja().empty(); }},
      {"title_en", [](const v1::Application& a) { return !a.title_en().empty(); }},
      {"abstract", [](const v1::Application& a) { return !a.abstract().empty(); }},
      {"keywords", [](const v1::Application& a) { return a.keywords_size() > 0; }},
      {"review_section", [](const v1::Application& a) { return !a.review_section().empty(); }},
      {"joint_proposal_id",
       [](const v1::Application& a) { return !a.joint_proposal_id().empty(); }},
      {"attachments", [](const v1::Application& a) { return a.attachments_size() > 0; }},
      {"co_investigators", [](const v1::Application& a) { return a.co_investigators_size() > 0; }},
      {"prior_awards", [](const v1::Application& a) { return a.prior_awards_size() > 0; }},
      {"principal_investigator.orcid",
       [](const v1::Application& a) { return !a.principal_investigator().orcid().empty(); }},
      {"principal_investigator.name_ja",
       [](const v1::Application& a) { return !a.principal_investigator().name_ja().empty(); }},
      {"principal_investigator.name_en",
       [](const v1::Application& a) { return !a.principal_investigator().name_en().empty(); }},
      {"principal_investigator.institution_id",
       [](const v1::Application& a) {
         return !a.principal_investigator().institution_id().empty();
       }},
      {"principal_investigator.institution_name",
       [](const v1::Application& a) {
         return !a.principal_investigator().institution_name().empty();
       }},
      {"principal_investigator.position",
       [](const v1::Application& a) { return !a.principal_investigator().position().empty(); }},
      {"principal_investigator.degree_year",
       [](const v1::Application& a) { return a.principal_investigator().has_degree_year(); }},
      {"principal_investigator.birth_year",
       [](const v1::Application& a) { return a.principal_investigator().has_birth_year(); }},
  };
  return *paths;
}

// Server-set fields a client can never write through UpdateApplication.
const std::set<std::string, std::less<>>& ServerSetApplicationPaths() {
  static const auto* paths = new std::set<std::string, std::less<>>{
      "application_id", "call_id",          "state",
      "yearly_costs",   "total_direct_yen", "total_indirect_yen",
      "submitted_at",   "withdrawn_at",     "create_time",
      "update_time",    "version",          "applicant_subject",
  };
  return *paths;
}

int ReferenceFiscalYear(const v1::Call& call) {
  return call.fiscal_year() != 0 ? call.fiscal_year() : CallFiscalYear(call);
}

void CheckEligibility(const v1::Application& a, const v1::Call& call, const ProgramRule& program,
                      core::Violations& out) {
  const EligibilityRule& rule = program.eligibility;
  const v1::Person& pi = a.principal_investigator();
  const int fy = ReferenceFiscalYear(call);
  const std::string label = program.name_en;

  if (pi.is_student() && !rule.students_allowed) {
    out.Add("principal_investigator.is_student",
            absl::StrCat(label, " does not accept graduate students as principal investigator"));
  }
  if (rule.max_years_since_phd && !(pi.is_student() && rule.students_allowed)) {
    if (!pi.has_degree_year()) {
      out.Add("principal_investigator.degree_year",
              absl::StrCat("is required: ", label, " is limited to researchers within ",
                           *rule.max_years_since_phd, " years of their doctorate"));
    } else if (fy != 0) {
      // Whole years between the degree and the call's fiscal year, in months,
      // so that leave months extend the limit month for month.
      const int elapsed_months = (fy - pi.degree_year()) * 12;
      int extension = 0;
      if (rule.childcare_leave_extends && pi.has_childcare_leave_months()) {
        extension = pi.childcare_leave_months();
        if (rule.childcare_extension_max_months) {
          extension = std::min(extension, *rule.childcare_extension_max_months);
        }
      }
      const int allowed_months = *rule.max_years_since_phd * 12 + extension;
      if (elapsed_months > allowed_months) {
        out.Add("principal_investigator.degree_year",
                absl::StrCat(
                    label, " requires the doctorate within ", *rule.max_years_since_phd, " years",
                    extension > 0 ? absl::StrCat(" plus ", extension, " months of childcare leave")
                                  : std::string(),
                    "; a ", pi.degree_year(), " doctorate is ", fy - pi.degree_year(),
                    " years before FY", fy));
      }
    }
  }
  if (rule.max_age) {
    if (!pi.has_birth_year()) {
      out.Add("principal_investigator.birth_year",
              absl::StrCat("is required: ", label, " has an age limit of ", *rule.max_age));
    } else if (fy != 0 && fy - pi.birth_year() > *rule.max_age) {
      out.Add("principal_investigator.birth_year",
              absl::StrCat(label, " is limited to researchers aged ", *rule.max_age,
                           " or younger in FY", fy));
    }
  }
  if (rule.institution_in_japan_at_start && !rule.japan_institution_grace_months &&
      !rule.foreign_institution_with_supervisor_approval) {
    const std::string& country = pi.institution_country_code();
    if (IsCountryCode(country) && country != "JP") {
      out.Add("principal_investigator.institution_country_code",
              absl::StrCat(label, " requires an institution in Japan at the start of research"));
    }
  }
  if (!rule.requires_prior_award.empty()) {
    bool found = false;
    std::string accepted;
    for (const auto& prior : rule.requires_prior_award) {
      const bool in_force = prior.from_fiscal_year == 0 || fy >= prior.from_fiscal_year;
      if (in_force) absl::StrAppend(&accepted, accepted.empty() ? "" : ", ", prior.program_id);
      for (const auto& award : a.prior_awards()) {
        found = found || (in_force && award.program_id() == prior.program_id);
      }
    }
    if (!found) {
      out.Add("prior_awards",
              absl::StrCat(label, " requires an earlier award from one of: ", accepted));
    }
  }
}

void CheckPeriodAndBudget(const v1::Application& a, const v1::Call& call,
                          const ProgramRule& program, core::Violations& out) {
  const std::string label = program.name_en;
  const PeriodRule& period = program.period;
  const int months = a.research_period_months();
  if (months <= 0) {
    out.Add("research_period_months", "is required");
  } else {
    if (period.min_months && months < *period.min_months) {
      out.Add("research_period_months",
              absl::StrCat(label, " projects run at least ", *period.min_months, " months"));
    }
    if (period.max_months && months > *period.max_months) {
      out.Add("research_period_months",
              absl::StrCat(label, " projects run at most ", *period.max_months, " months"));
    }
  }

  const int call_fy = ReferenceFiscalYear(call);
  int earliest_fy = call_fy;
  const bool has_start_floor =
      call.has_research_starts_not_before() && IsValidTimestamp(call.research_starts_not_before());
  if (has_start_floor) {
    earliest_fy =
        std::max(earliest_fy,
                 core::FiscalYear::Containing(ToTime(call.research_starts_not_before())).year());
  }
  const int start_fy = a.start_fiscal_year();
  bool start_ok = false;
  if (start_fy == 0) {
    out.Add("start_fiscal_year", "is required");
  } else if (start_fy < earliest_fy) {
    out.Add("start_fiscal_year",
            absl::StrCat("research cannot start before FY", earliest_fy, " for this call"));
  } else {
    start_ok = start_fy >= kMinYear && start_fy <= kMaxYear;
  }

  // The fiscal years the research period touches: from the start (1 April of
  // the start year, or the call's earliest start if later) for `months` months.
  int last_fy = 0;
  if (start_ok && months > 0) {
    absl::Time start = core::FiscalYear(start_fy).Start();
    if (has_start_floor) start = std::max(start, ToTime(call.research_starts_not_before()));
    const absl::CivilDay day = absl::ToCivilDay(start, core::TokyoTimeZone());
    const absl::Time end = absl::FromCivil(
        absl::CivilDay(day.year(), day.month() + months, day.day()), core::TokyoTimeZone());
    last_fy = core::FiscalYear::Containing(end - absl::Nanoseconds(1)).year();
  }

  if (a.budget_plan_size() == 0) {
    out.Add("budget_plan", "is required: at least one budget line");
    return;
  }
  std::map<int, core::Yen> per_year;
  core::Yen total;
  bool overflow = false;
  bool negative = false;
  for (int i = 0; i < a.budget_plan_size(); ++i) {
    const auto& line = a.budget_plan(i);
    const std::string prefix = At("budget_plan", i);
    if (line.category() == v1::BUDGET_CATEGORY_UNSPECIFIED) {
      out.Add(Path(prefix, "category"),
              "is required: EQUIPMENT (物品費), TRAVEL (旅費), PERSONNEL (人件費・謝金) or OTHER "
              "(その他)");
    }
    if (line.fiscal_year() == 0) {
      out.Add(Path(prefix, "fiscal_year"), "is required");
    } else if (last_fy != 0 && (line.fiscal_year() < start_fy || line.fiscal_year() > last_fy)) {
      out.Add(Path(prefix, "fiscal_year"),
              absl::StrCat("FY", line.fiscal_year(), " is outside the research period FY", start_fy,
                           "–FY", last_fy));
    }
    if (line.amount_yen() < 0) {
      negative = true;  // reported by CheckFormats
      continue;
    }
    const core::Yen amount(line.amount_yen());
    auto year_sum = per_year[line.fiscal_year()].Add(amount);
    auto total_sum = total.Add(amount);
    if (!year_sum.ok() || !total_sum.ok()) {
      overflow = true;
      break;
    }
    per_year[line.fiscal_year()] = *year_sum;
    total = *total_sum;
  }
  if (overflow) {
    out.Add("budget_plan", "the amounts add up to more than can be represented (int64 yen)");
    return;
  }
  if (negative) return;
  const CallLimits limits = EffectiveLimits(call, program);
  if (limits.max_yearly_direct_yen) {
    for (const auto& [fy, amount] : per_year) {
      if (amount.value() > *limits.max_yearly_direct_yen) {
        out.Add("budget_plan", absl::StrCat("FY", fy, " direct costs ", FormatYen(amount.value()),
                                            " exceed the yearly cap of ",
                                            FormatYen(*limits.max_yearly_direct_yen)));
      }
    }
  }
  if (limits.max_total_direct_yen && total.value() > *limits.max_total_direct_yen) {
    out.Add("budget_plan",
            absl::StrCat("total direct costs ", FormatYen(total.value()),
                         " exceed the total cap of ", FormatYen(*limits.max_total_direct_yen)));
  }
}

void CheckPeople(const v1::Application& a, const ProgramRule& program, core::Violations& out) {
  const v1::Person& pi = a.principal_investigator();
  if (pi.researcher_id().empty()) {
    out.Add("principal_investigator.researcher_id", "is required (e-Rad researcher number)");
  }
  if (pi.name_ja().empty() && pi.name_en().empty()) {
    out.Add("principal_investigator.name_ja", "is required (or name_en)");
  }
  if (a.pi_effort_percent() == 0) out.Add("pi_effort_percent", "is required (1–100)");

  if (a.co_investigators_size() > 0 && !program.co_investigators_allowed) {
    out.Add("co_investigators",
            absl::StrCat(program.name_en,
                         " is a single-researcher program; co-investigators are not allowed"));
  }
  std::set<std::string> seen;
  if (!pi.researcher_id().empty()) seen.insert(pi.researcher_id());
  for (int i = 0; i < a.co_investigators_size(); ++i) {
    const std::string prefix = At("co_investigators", i);
    const auto& co = a.co_investigators(i);
    if (co.person().researcher_id().empty()) {
      out.Add(Path(prefix, "person.researcher_id"), "is required (e-Rad researcher number)");
    } else if (!seen.insert(co.person().researcher_id()).second) {
      out.Add(Path(prefix, "person.researcher_id"),
              "lists a researcher already on this application");
    }
    if (co.person().name_ja().empty() && co.person().name_en().empty()) {
      out.Add(Path(prefix, "person.name_ja"), "is required (or name_en)");
    }
    if (co.effort_percent() == 0) out.Add(Path(prefix, "effort_percent"), "is required (1–100)");
  }
}

}  // namespace

bool IsKnownApplicationPath(std::string_view path) { return RequirablePaths().count(path) > 0; }

std::string_view ApplicationStateName(v1::ApplicationState state) {
  switch (state) {
    case v1::APPLICATION_STATE_DRAFT:
      return "DRAFT";
    case v1::APPLICATION_STATE_SUBMITTED:
      return "SUBMITTED";
    case v1::APPLICATION_STATE_WITHDRAWN:
      return "WITHDRAWN";
    default:
      return "UNSPECIFIED";
  }
}

absl::StatusOr<std::vector<YearCost>> ComputeIndirect(
    const google::protobuf::RepeatedPtrField<v1::BudgetLine>& budget, int rate_percent) {
  if (rate_percent < 0 || rate_percent > 100) {
    return absl::InvalidArgumentError("indirect rate must be within 0–100%");
  }
  std::map<int, core::Yen> per_year;
  for (const auto& line : budget) {
    if (line.amount_yen() < 0) {
      return absl::InvalidArgumentError(absl::StrCat("negative amount in FY", line.fiscal_year()));
    }
    auto sum = per_year[line.fiscal_year()].Add(core::Yen(line.amount_yen()));
    if (!sum.ok()) return sum.status();
    per_year[line.fiscal_year()] = *sum;
  }
  std::vector<YearCost> out;
  for (const auto& [fy, direct] : per_year) {
    auto indirect = direct.MultiplyRatio(rate_percent, 100);
    if (!indirect.ok()) return indirect.status();
    out.push_back({fy, direct, *indirect});
  }
  return out;
}

absl::Status FillComputedCosts(v1::Application& application, int rate_percent) {
  auto costs = ComputeIndirect(application.budget_plan(), rate_percent);
  if (!costs.ok()) return costs.status();
  application.clear_yearly_costs();
  core::Yen direct_total;
  core::Yen indirect_total;
  for (const auto& c : *costs) {
    auto* y = application.add_yearly_costs();
    y->set_fiscal_year(c.fiscal_year);
    y->set_direct_yen(c.direct.value());
    y->set_indirect_yen(c.indirect.value());
    auto d = direct_total.Add(c.direct);
    auto i = indirect_total.Add(c.indirect);
    if (!d.ok()) return d.status();
    if (!i.ok()) return i.status();
    direct_total = *d;
    indirect_total = *i;
  }
  application.set_total_direct_yen(direct_total.value());
  application.set_total_indirect_yen(indirect_total.value());
  return absl::OkStatus();
}

absl::Status ValidateDraft(const v1::Application& application) {
  core::Violations violations;
  CheckFormats(application, violations);
  return violations.ToStatus("invalid application");
}

absl::Status SubmitCheck::ToStatus() const {
  absl::Status status = violations.ToStatus("application cannot be submitted");
  if (!window_closed) return status;
  absl::Status out = absl::FailedPreconditionError(status.message());
  status.ForEachPayload([&out](absl::string_view type_url, const absl::Cord& payload) {
    out.SetPayload(type_url, payload);
  });
  google::rpc::PreconditionFailure failure;
  auto* v = failure.add_violations();
  v->set_type("SUBMISSION_WINDOW");
  v->set_subject("call_id");
  v->set_description("the call does not accept submissions now");
  out.SetPayload("type.googleapis.com/google.rpc.PreconditionFailure",
                 absl::Cord(failure.SerializeAsString()));
  return out;
}

SubmitCheck CheckForSubmit(const v1::Application& a, const v1::Call& call,
                           const ProgramRule& program, absl::Time now) {
  SubmitCheck check;
  core::Violations& out = check.violations;

  if (a.call_id() != call.call_id()) {
    out.Add("call_id", "does not match the call the application is checked against");
  }
  if (!IsOpen(call, now)) {
    check.window_closed = true;
    if (call.state() != v1::CALL_STATE_PUBLISHED) {
      out.Add("call_id", absl::StrCat("the call is ", std::string(CallStateName(call.state())),
                                      " and does not accept submissions"));
    } else if (now < ToTime(call.opens_at())) {
      out.Add("call_id", absl::StrCat("the call opens at ", FormatJst(ToTime(call.opens_at()))));
    } else {
      out.Add("call_id", absl::StrCat("the deadline has passed: submissions were accepted until ",
                                      FormatJst(ToTime(call.closes_at())), " (exclusive)"));
    }
  }

  CheckFormats(a, out);
  if (a.title_ja().empty()) out.Add("title_ja", "is required");
  if (a.abstract().empty()) out.Add("abstract", "is required");
  if (program.review.review_section_required && a.review_section().empty()) {
    out.Add("review_section",
            absl::StrCat("is required: ", program.name_en,
                         " reviews proposals within the section (審査区分) chosen"));
  }
  for (int i = 0; i < call.required_fields_size(); ++i) {
    const auto& path = call.required_fields(i);
    auto it = RequirablePaths().find(path);
    if (it != RequirablePaths().end() && !it->second(a)) {
      out.Add(path, "is required by this call");
    }
  }
  CheckPeople(a, program, out);
  CheckPeriodAndBudget(a, call, program, out);
  CheckEligibility(a, call, program, out);
  return check;
}

absl::Status ValidateForSubmit(const v1::Application& application, const v1::Call& call,
                               const ProgramRule& program, absl::Time now) {
  return CheckForSubmit(application, call, program, now).ToStatus();
}

absl::StatusOr<v1::Application> PrepareNewApplication(v1::Application draft, const v1::Call& call,
                                                      std::string application_id,
                                                      std::string applicant_subject,
                                                      absl::Time now) {
  if (call.state() != v1::CALL_STATE_PUBLISHED || IsPastDeadline(call, now)) {
    return absl::FailedPreconditionError(
        absl::StrCat("call ", call.call_id(), " does not accept applications (",
                     std::string(CallStateName(call.state())),
                     IsPastDeadline(call, now) ? ", deadline passed)" : ")"));
  }
  if (auto s = ValidateDraft(draft); !s.ok()) return s;
  draft.set_application_id(std::move(application_id));
  draft.set_call_id(call.call_id());
  draft.set_applicant_subject(std::move(applicant_subject));
  draft.set_state(v1::APPLICATION_STATE_DRAFT);
  draft.set_version(0);
  draft.clear_yearly_costs();
  draft.clear_total_direct_yen();
  draft.clear_total_indirect_yen();
  draft.clear_submitted_at();
  draft.clear_withdrawn_at();
  *draft.mutable_create_time() = ToTimestamp(now);
  *draft.mutable_update_time() = ToTimestamp(now);
  return draft;
}

absl::StatusOr<v1::Application> ApplyApplicationUpdate(const v1::Application& current,
                                                       const v1::Application& patch,
                                                       const google::protobuf::FieldMask& mask,
                                                       const v1::Call& call, absl::Time now) {
  if (current.state() != v1::APPLICATION_STATE_DRAFT) {
    return absl::FailedPreconditionError(
        absl::StrCat("application ", current.application_id(), " is ",
                     std::string(ApplicationStateName(current.state())),
                     "; only a DRAFT application can be changed"));
  }
  if (call.state() != v1::CALL_STATE_PUBLISHED || IsPastDeadline(call, now)) {
    return absl::FailedPreconditionError(
        absl::StrCat("call ", call.call_id(), " no longer accepts changes to applications"));
  }
  if (auto s = CheckExpectedVersion(patch.version(), current.version(),
                                    absl::StrCat("application ", current.application_id()));
      !s.ok()) {
    return s;
  }
  core::Violations violations;
  if (mask.paths_size() == 0) violations.Add("update_mask", "must name at least one field");
  for (int i = 0; i < mask.paths_size(); ++i) {
    const std::string& path = mask.paths(i);
    const std::string top = path.substr(0, path.find('.'));
    if (ServerSetApplicationPaths().count(top) > 0) {
      violations.Add(absl::StrCat("update_mask.paths[", i, "]"),
                     absl::StrCat("\"", path, "\" is set by the server"));
    } else if (!FieldMaskUtil::IsValidPath<v1::Application>(path)) {
      violations.Add(absl::StrCat("update_mask.paths[", i, "]"),
                     absl::StrCat("\"", path, "\" is not an application field"));
    }
  }
  if (!violations.empty()) return violations.ToStatus("invalid application update");
  v1::Application updated = current;
  FieldMaskUtil::MergeOptions options;
  options.set_replace_message_fields(true);
  options.set_replace_repeated_fields(true);
  for (const auto& path : mask.paths()) {
    if (path.find('.') != std::string::npos) continue;
    const auto* field = v1::Application::descriptor()->FindFieldByName(path);
    if (field != nullptr) updated.GetReflection()->ClearField(&updated, field);
  }
  FieldMaskUtil::MergeMessageTo(patch, mask, options, &updated);
  if (auto s = ValidateDraft(updated); !s.ok()) return s;
  *updated.mutable_update_time() = ToTimestamp(now);
  return updated;
}

bool IsSubmittable(v1::ApplicationState state) {
  return state == v1::APPLICATION_STATE_DRAFT || state == v1::APPLICATION_STATE_WITHDRAWN;
}

absl::StatusOr<v1::Application> SubmitApplication(const v1::Application& current,
                                                  const v1::Call& call, const ProgramRule& program,
                                                  absl::Time now) {
  if (!IsSubmittable(current.state())) {
    return absl::FailedPreconditionError(
        absl::StrCat("application ", current.application_id(), " is ",
                     std::string(ApplicationStateName(current.state())),
                     "; only a DRAFT or WITHDRAWN application can be submitted"));
  }
  if (auto s = ValidateForSubmit(current, call, program, now); !s.ok()) return s;
  v1::Application out = current;
  const auto rate = EffectiveLimits(call, program).indirect_rate_percent;
  if (auto s = FillComputedCosts(out, rate.value_or(0)); !s.ok()) return s;
  out.set_state(v1::APPLICATION_STATE_SUBMITTED);
  out.clear_withdrawn_at();
  *out.mutable_submitted_at() = ToTimestamp(now);
  *out.mutable_update_time() = ToTimestamp(now);
  return out;
}

absl::StatusOr<v1::Application> WithdrawApplication(const v1::Application& current,
                                                    absl::Time now) {
  if (current.state() != v1::APPLICATION_STATE_DRAFT &&
      current.state() != v1::APPLICATION_STATE_SUBMITTED) {
    return absl::FailedPreconditionError(
        absl::StrCat("application ", current.application_id(), " is ",
                     std::string(ApplicationStateName(current.state())),
                     "; only a DRAFT or SUBMITTED application can be withdrawn"));
  }
  v1::Application out = current;
  out.set_state(v1::APPLICATION_STATE_WITHDRAWN);
  *out.mutable_withdrawn_at() = ToTimestamp(now);
  *out.mutable_update_time() = ToTimestamp(now);
  return out;
}

}  // namespace tane::calls
