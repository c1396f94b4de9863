#include "tane/calls/application_rules.h"

#include <cstdint>
#include <functional>
#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tane/calls/call_rules.h"
#include "tane/calls/timestamps.h"
#include "test_data.h"

namespace tane::calls {
namespace {

using ::testing::Contains;
using testing::CrestApplication;
using testing::CrestCall;
using testing::DuringCrestWindow;
using ::testing::ElementsAre;
using testing::FieldsOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::Jst;
using testing::Program;
using ::testing::UnorderedElementsAre;

absl::Status Submit(const v1::Application& a, const v1::Call& call = CrestCall(),
                    const std::string& program = "crest", absl::Time now = DuringCrestWindow()) {
  return ValidateForSubmit(a, call, Program(program), now);
}

TEST(ApplicationRulesTest, ValidApplicationPasses) {
  const absl::Status status = Submit(CrestApplication());
  EXPECT_TRUE(status.ok()) << status;
}

TEST(ApplicationRulesTest, JapaneseTitleRoundTripsThroughProtoAndValidation) {
  v1::Application a = CrestApplication();
  a.set_title_ja(
      "ナノスケール・サーマルマネージメント基盤技術の創出：フォノン輸送の分光学的理解と制御");
  a.set_abstract("熱輸送のスペクトル学的理解と機能的制御。\n（第二段落）全角記号「」・〜を含む。");

  v1::Application binary;
  ASSERT_TRUE(binary.ParseFromString(a.SerializeAsString()));
  EXPECT_EQ(binary.title_ja(), a.title_ja());
  EXPECT_EQ(binary.abstract(), a.abstract());

  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(a, &json).ok());
  EXPECT_THAT(json, HasSubstr("ナノスケール・サーマルマネージメント"));
  v1::Application from_json;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &from_json).ok());
  EXPECT_EQ(from_json.title_ja(), a.title_ja());
  EXPECT_EQ(from_json.SerializeAsString(), a.SerializeAsString());

  EXPECT_TRUE(Submit(binary).ok());
  EXPECT_TRUE(Submit(from_json).ok());
}

// [opens_at, closes_at): one second before the deadline is in time; the
// deadline second and later are refused with FAILED_PRECONDITION.
TEST(ApplicationRulesTest, DeadlineBoundarySecond) {
  struct Case {
    const char* name;
    absl::Time now;
    absl::StatusCode code;
  };
  const Case cases[] = {
      {"one second before the deadline", Jst(2017, 6, 6, 23, 59, 59), absl::StatusCode::kOk},
      {"at the deadline", Jst(2017, 6, 7, 0, 0, 0), absl::StatusCode::kFailedPrecondition},
      {"one second after", Jst(2017, 6, 7, 0, 0, 1), absl::StatusCode::kFailedPrecondition},
      {"before opening", Jst(2017, 4, 11, 23, 59, 59), absl::StatusCode::kFailedPrecondition},
      {"at opening", Jst(2017, 4, 12), absl::StatusCode::kOk},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const absl::Status status = Submit(CrestApplication(), CrestCall(), "crest", c.now);
    EXPECT_EQ(status.code(), c.code) << status;
    if (!status.ok()) {
      EXPECT_THAT(FieldsOf(status), ElementsAre("call_id"));
    }
  }
}

TEST(ApplicationRulesTest, LateSubmissionStillListsEveryOtherViolation) {
  v1::Application a = CrestApplication();
  a.clear_abstract();
  const SubmitCheck check = CheckForSubmit(a, CrestCall(), Program("crest"), Jst(2017, 6, 7));
  EXPECT_TRUE(check.window_closed);
  const absl::Status status = check.ToStatus();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(FieldsOf(status), UnorderedElementsAre("call_id", "abstract"));
  EXPECT_TRUE(status.GetPayload("type.googleapis.com/google.rpc.PreconditionFailure").has_value());
}

TEST(ApplicationRulesTest, ClosedOrDraftCallRefuses) {
  for (auto state : {v1::CALL_STATE_DRAFT, v1::CALL_STATE_CLOSING, v1::CALL_STATE_CLOSED, v1::CALL_STATE_CANCELLING,
                     v1::CALL_STATE_CANCELLED}) {
    v1::Call call = CrestCall();
    call.set_state(state);
    EXPECT_EQ(Submit(CrestApplication(), call).code(), absl::StatusCode::kFailedPrecondition);
  }
}

// Budget helpers: one line per fiscal year FY2017.. with the given amounts.
void SetBudget(v1::Application& a, const std::vector<int64_t>& per_year) {
  a.clear_budget_plan();
  int fy = 2017;
  for (int64_t amount : per_year) {
    auto* line = a.add_budget_plan();
    line->set_fiscal_year(fy++);
    line->set_category(v1::BUDGET_CATEGORY_EQUIPMENT);
    line->set_amount_yen(amount);
  }
}

TEST(ApplicationRulesTest, YearlyCapExactlyAndPlusOne) {
  v1::Call call = CrestCall();
  call.set_max_yearly_direct_yen(100'000'000);
  v1::Application a = CrestApplication();
  SetBudget(a, {100'000'000, 50'000'000});
  EXPECT_TRUE(Submit(a, call).ok()) << Submit(a, call);
  SetBudget(a, {100'000'001, 50'000'000});
  const absl::Status status = Submit(a, call);
  EXPECT_THAT(FieldsOf(status), ElementsAre("budget_plan"));
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("FY2017 direct costs ¥100,000,001 exceed the yearly cap of ¥100,000,000"));
}

TEST(ApplicationRulesTest, YearlyCapAppliesToTheSumOfAYearsLines) {
  v1::Call call = CrestCall();
  call.set_max_yearly_direct_yen(100'000'000);
  v1::Application a = CrestApplication();
  SetBudget(a, {60'000'000});
  auto* line = a.add_budget_plan();
  line->set_fiscal_year(2017);
  line->set_category(v1::BUDGET_CATEGORY_TRAVEL);
  line->set_amount_yen(40'000'001);
  EXPECT_THAT(FieldsOf(Submit(a, call)), ElementsAre("budget_plan"));
}

TEST(ApplicationRulesTest, TotalCapExactlyAndPlusOne) {
  // CREST's own cap: ¥500,000,000 in total.
  v1::Application a = CrestApplication();
  SetBudget(a, {100'000'000, 100'000'000, 100'000'000, 100'000'000, 100'000'000});
  EXPECT_TRUE(Submit(a).ok()) << Submit(a);
  SetBudget(a, {100'000'000, 100'000'000, 100'000'000, 100'000'000, 100'000'001});
  const absl::Status status = Submit(a);
  EXPECT_THAT(FieldsOf(status), ElementsAre("budget_plan"));
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("total direct costs ¥500,000,001 exceed the total cap of ¥500,000,000"));

  // A call's tighter cap wins over the program's.
  v1::Call call = CrestCall();
  call.set_max_total_direct_yen(300'000'000);
  SetBudget(a, {100'000'000, 100'000'000, 100'000'000});
  EXPECT_TRUE(Submit(a, call).ok());
  SetBudget(a, {100'000'000, 100'000'000, 100'000'001});
  EXPECT_THAT(FieldsOf(Submit(a, call)), ElementsAre("budget_plan"));
}

TEST(ApplicationRulesTest, IndirectThirtyPercentRoundsDownPerYear) {
  v1::Application a;
  auto add = [&a](int fy, int64_t yen) {
    auto* line = a.add_budget_plan();
    line->set_fiscal_year(fy);
    line->set_category(v1::BUDGET_CATEGORY_OTHER);
    line->set_amount_yen(yen);
  };
  add(2018, 999'999);    // 299,999.7 → 299,999
  add(2017, 1'000'001);  // 300,000.3 → 300,000
  add(2019, 1);          // three ¥1 lines in one year: 3 × 0.3 = 0.9 → 0 on the year's sum
  add(2019, 1);
  add(2019, 1);
  add(2020, 10);  // 3 exactly
  auto costs = ComputeIndirect(a.budget_plan(), 30);
  ASSERT_TRUE(costs.ok()) << costs.status();
  EXPECT_THAT(*costs, ElementsAre(YearCost{2017, core::Yen(1'000'001), core::Yen(300'000)},
                                  YearCost{2018, core::Yen(999'999), core::Yen(299'999)},
                                  YearCost{2019, core::Yen(3), core::Yen(0)},
                                  YearCost{2020, core::Yen(10), core::Yen(3)}));

  ASSERT_TRUE(FillComputedCosts(a, 30).ok());
  EXPECT_EQ(a.yearly_costs_size(), 4);
  EXPECT_EQ(a.total_direct_yen(), 2'000'013);
  EXPECT_EQ(a.total_indirect_yen(), 600'002);

  EXPECT_EQ(ComputeIndirect(a.budget_plan(), 101).status().code(),
            absl::StatusCode::kInvalidArgument);
  a.mutable_budget_plan(0)->set_amount_yen(-1);
  EXPECT_EQ(ComputeIndirect(a.budget_plan(), 30).status().code(),
            absl::StatusCode::kInvalidArgument);
  a.mutable_budget_plan(0)->set_amount_yen(INT64_MAX);
  a.mutable_budget_plan(1)->set_fiscal_year(a.budget_plan(0).fiscal_year());
  a.mutable_budget_plan(1)->set_amount_yen(1);
  EXPECT_EQ(ComputeIndirect(a.budget_plan(), 30).status().code(), absl::StatusCode::kOutOfRange);
}

TEST(ApplicationRulesTest, EachRuleReportsItsField) {
  struct Case {
    const char* name;
    std::function<void(v1::Application&)> mutate;
    const char* field;
  };
  const Case cases[] = {
      {"title_ja missing", [](v1::Application& a) { a.clear_title_ja(); }, "title_ja"},
      {"abstract missing", [](v1::Application& a) { a.clear_abstract(); }, "abstract"},
      {"PI researcher id missing",
       [](v1::Application& a) { a.mutable_principal_investigator()->clear_researcher_id(); },
       "principal_investigator.researcher_id"},
      {"PI researcher id 7 digits",
       [](v1::Application& a) { a.mutable_principal_investigator()->set_researcher_id("1234567"); },
       "principal_investigator.researcher_id"},
      {"PI researcher id with letters",
       [](v1::Application& a) {
         a.mutable_principal_investigator()->set_researcher_id("1234567A");
       },
       "principal_investigator.researcher_id"},
      {"ORCID check digit",
       [](v1::Application& a) {
         a.mutable_principal_investigator()->set_orcid("0000-0002-1825-0098");
       },
       "principal_investigator.orcid"},
      {"PI name missing",
       [](v1::Application& a) {
         a.mutable_principal_investigator()->clear_name_ja();
         a.mutable_principal_investigator()->clear_name_en();
       },
       "principal_investigator.name_ja"},
      {"PI effort missing", [](v1::Application& a) { a.set_pi_effort_percent(0); },
       "pi_effort_percent"},
      {"PI effort 101", [](v1::Application& a) { a.set_pi_effort_percent(101); },
       "pi_effort_percent"},
      {"co-investigator effort 150",
       [](v1::Application& a) { a.mutable_co_investigators(0)->set_effort_percent(150); },
       "co_investigators[0].effort_percent"},
      {"co-investigator effort missing",
       [](v1::Application& a) { a.mutable_co_investigators(0)->set_effort_percent(0); },
       "co_investigators[0].effort_percent"},
      {"co-investigator id malformed",
       [](v1::Application& a) {
         a.mutable_co_investigators(0)->mutable_person()->set_researcher_id("8765432");
       },
       "co_investigators[0].person.researcher_id"},
      {"PI listed again as co-investigator",
       [](v1::Application& a) {
         a.mutable_co_investigators(0)->mutable_person()->set_researcher_id("12345678");
       },
       "co_investigators[0].person.researcher_id"},
      {"period above CREST's 66 months",
       [](v1::Application& a) { a.set_research_period_months(67); }, "research_period_months"},
      {"period missing", [](v1::Application& a) { a.set_research_period_months(0); },
       "research_period_months"},
      {"start fiscal year missing", [](v1::Application& a) { a.set_start_fiscal_year(0); },
       "start_fiscal_year"},
      {"start before the call's fiscal year",
       [](v1::Application& a) { a.set_start_fiscal_year(2016); }, "start_fiscal_year"},
      {"budget missing", [](v1::Application& a) { a.clear_budget_plan(); }, "budget_plan"},
      {"negative amount", [](v1::Application& a) { a.mutable_budget_plan(3)->set_amount_yen(-1); },
       "budget_plan[3].amount_yen"},
      {"category missing",
       [](v1::Application& a) {
         a.mutable_budget_plan(2)->set_category(v1::BUDGET_CATEGORY_UNSPECIFIED);
       },
       "budget_plan[2].category"},
      {"budget year after the period (FY2023)",
       [](v1::Application& a) { a.mutable_budget_plan(1)->set_fiscal_year(2023); },
       "budget_plan[1].fiscal_year"},
      {"budget year before the start (FY2016)",
       [](v1::Application& a) { a.mutable_budget_plan(0)->set_fiscal_year(2016); },
       "budget_plan[0].fiscal_year"},
      {"sums overflow int64",
       [](v1::Application& a) {
         a.mutable_budget_plan(0)->set_amount_yen(INT64_MAX);
         a.mutable_budget_plan(1)->set_amount_yen(INT64_MAX);
       },
       "budget_plan"},
      {"title not UTF-8", [](v1::Application& a) { a.set_title_ja("熱\xE3\x83"); }, "title_ja"},
      {"abstract with NUL", [](v1::Application& a) { a.set_abstract(std::string("a\0b", 3)); },
       "abstract"},
      {"keyword not UTF-8", [](v1::Application& a) { a.set_keywords(1, "\xFF"); }, "keywords[1]"},
      {"co-investigator name not UTF-8",
       [](v1::Application& a) {
         a.mutable_co_investigators(0)->mutable_person()->set_name_ja("\xC0\xAF");
       },
       "co_investigators[0].person.name_ja"},
      {"attachment hash",
       [](v1::Application& a) { a.mutable_attachments(0)->set_content_sha256("ABC"); },
       "attachments[0].content_sha256"},
      {"attachment media type",
       [](v1::Application& a) { a.mutable_attachments(0)->set_media_type("pdf"); },
       "attachments[0].media_type"},
      {"attachment size", [](v1::Application& a) { a.mutable_attachments(0)->set_size_bytes(0); },
       "attachments[0].size_bytes"},
      {"country code malformed",
       [](v1::Application& a) {
         a.mutable_principal_investigator()->set_institution_country_code("jpn");
       },
       "principal_investigator.institution_country_code"},
      {"institution abroad for CREST",
       [](v1::Application& a) {
         a.mutable_principal_investigator()->set_institution_country_code("US");
       },
       "principal_investigator.institution_country_code"},
      {"graduate student as CREST PI",
       [](v1::Application& a) { a.mutable_principal_investigator()->set_is_student(true); },
       "principal_investigator.is_student"},
      {"other call",
       [](v1::Application& a) { a.set_call_id("00000000-0000-0000-0000-000000000000"); },
       "call_id"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    v1::Application a = CrestApplication();
    c.mutate(a);
    const absl::Status status = Submit(a);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_THAT(FieldsOf(status), ElementsAre(c.field)) << status;
  }
}

TEST(ApplicationRulesTest, MultipleViolationsReturnedTogether) {
  v1::Application a = CrestApplication();
  a.clear_title_ja();
  a.set_pi_effort_percent(120);
  a.mutable_budget_plan(0)->set_amount_yen(-5);
  a.mutable_principal_investigator()->set_researcher_id("abc");
  const absl::Status status = Submit(a);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(FieldsOf(status),
              UnorderedElementsAre("title_ja", "pi_effort_percent", "budget_plan[0].amount_yen",
                                   "principal_investigator.researcher_id"));
}

TEST(ApplicationRulesTest, CallRequiredFields) {
  v1::Call call = CrestCall();
  call.add_required_fields("principal_investigator.orcid");
  call.add_required_fields("keywords");
  v1::Application a = CrestApplication();
  EXPECT_TRUE(Submit(a, call).ok());
  a.mutable_principal_investigator()->clear_orcid();
  a.clear_keywords();
  EXPECT_THAT(FieldsOf(Submit(a, call)),
              UnorderedElementsAre("principal_investigator.orcid", "keywords"));
}

// A KAKENHI-style call: no area, applicant picks a review section (審査区分).
v1::Call KakenhiCall() {
  v1::Call call = CrestCall();
  call.set_program_id("kakenhi-kiban-c");
  call.clear_research_area_id();
  return call;
}

TEST(ApplicationRulesTest, ReviewSectionRequiredWhereTheProgramReviewsBySection) {
  v1::Application a = CrestApplication();
  EXPECT_TRUE(Submit(a).ok()) << "CREST has no review sections";
  EXPECT_THAT(FieldsOf(Submit(a, KakenhiCall(), "kakenhi-kiban-c")), ElementsAre("review_section"));
  a.set_review_section("中区分21 電気電子工学およびその関連分野");
  EXPECT_TRUE(Submit(a, KakenhiCall(), "kakenhi-kiban-c").ok());
}

v1::Call CallFor(const std::string& program) {
  v1::Call call = CrestCall();
  call.set_program_id(program);
  return call;
}

TEST(ApplicationRulesTest, CoInvestigatorsOnlyInTeamPrograms) {
  v1::Application a = CrestApplication();
  a.set_research_period_months(42);
  SetBudget(a, {10'000'000, 10'000'000});
  EXPECT_THAT(FieldsOf(Submit(a, CallFor("presto"), "presto")), ElementsAre("co_investigators"));
  a.clear_co_investigators();
  EXPECT_TRUE(Submit(a, CallFor("presto"), "presto").ok());
}

// FOREST: within 15 years of the doctorate, extended month for month by
// childcare leave; the call's fiscal year is FY2017 here.
TEST(ApplicationRulesTest, ForestYearsSincePhd) {
  struct Case {
    const char* name;
    std::optional<int> degree_year;
    std::optional<int> leave_months;
    bool eligible;
  };
  const Case cases[] = {
      {"15 years exactly", 2002, std::nullopt, true},
      {"16 years", 2001, std::nullopt, false},
      {"16 years with 12 months of leave", 2001, 12, true},
      {"16 years with 11 months of leave", 2001, 11, false},
      {"no doctorate", std::nullopt, std::nullopt, false},
      {"recent", 2015, std::nullopt, true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    v1::Application a = CrestApplication();
    a.clear_co_investigators();
    a.set_research_period_months(84);
    auto* pi = a.mutable_principal_investigator();
    pi->clear_degree_year();
    if (c.degree_year) pi->set_degree_year(*c.degree_year);
    if (c.leave_months) pi->set_childcare_leave_months(*c.leave_months);
    a.set_review_section("大区分C");
    SetBudget(a, {7'000'000, 7'000'000});
    const absl::Status status = Submit(a, CallFor("forest"), "forest");
    if (c.eligible) {
      EXPECT_TRUE(status.ok()) << status;
    } else {
      EXPECT_THAT(FieldsOf(status), ElementsAre("principal_investigator.degree_year")) << status;
    }
  }
}

TEST(ApplicationRulesTest, InstitutionInJapanAndStudents) {
  v1::Application a = CrestApplication();
  a.clear_co_investigators();
  a.set_research_period_months(42);
  SetBudget(a, {10'000'000});
  a.mutable_principal_investigator()->set_institution_country_code("US");
  EXPECT_TRUE(Submit(a, CallFor("presto"), "presto").ok())
      << "PRESTO: abroad with the supervisor's approval";
  a.set_review_section("大区分C");
  a.set_research_period_months(84);
  EXPECT_TRUE(Submit(a, CallFor("forest"), "forest").ok()) << "FOREST: in Japan within 2 years";
  a.mutable_principal_investigator()->set_institution_country_code("JP");

  a.mutable_principal_investigator()->set_is_student(true);
  a.mutable_principal_investigator()->clear_degree_year();
  a.set_research_period_months(42);
  EXPECT_THAT(FieldsOf(Submit(a, CallFor("presto"), "presto")),
              ElementsAre("principal_investigator.is_student"));
  EXPECT_TRUE(Submit(a, CallFor("act-x"), "act-x").ok()) << "ACT-X accepts graduate students";
}

TEST(ApplicationRulesTest, YoungResearcherAgeLimitWhenTheCatalogStatesOne) {
  // The seeds give ACT-X no age limit; a catalog that states one is enforced.
  auto catalog = Catalog::LoadFromString(R"(schema_version: 1
programs:
  - id: act-x
    name_ja: ACT-X
    name_en: ACT-X
    agency: JST
    kind: individual
    period_months: {min: null, max: null}
    direct_cost_yen: {total_min: null, total_max: null, yearly_min: null, yearly_max: null}
    indirect_rate_percent: 30
    fund_type: contract
    review: {stages: [document], decided_by: research_supervisor}
    evaluation: {final: true}
    eligibility: {young_researchers_only: true, students_allowed: true, max_age: 35}
)");
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  v1::Application a = CrestApplication();
  a.clear_co_investigators();
  a.mutable_principal_investigator()->set_birth_year(1982);  // 35 in FY2017
  const ProgramRule& actx = *catalog->Find("act-x");
  v1::Call call = CallFor("act-x");
  EXPECT_TRUE(ValidateForSubmit(a, call, actx, DuringCrestWindow()).ok());
  a.mutable_principal_investigator()->set_birth_year(1981);
  EXPECT_THAT(FieldsOf(ValidateForSubmit(a, call, actx, DuringCrestWindow())),
              ElementsAre("principal_investigator.birth_year"));
}

TEST(ApplicationRulesTest, ForceRequiresAPriorAward) {
  // A FORCE call in `fiscal_year` and an application starting that year.
  auto check = [](v1::Application a, int fiscal_year, int64_t second_year_yen = 20'000'000) {
    v1::Call call = CallFor("force");
    call.clear_research_area_id();
    call.clear_research_starts_not_before();
    call.set_fiscal_year(fiscal_year);
    a.set_research_period_months(24);
    a.set_start_fiscal_year(fiscal_year);
    SetBudget(a, {10'000'000, second_year_yen});
    for (int i = 0; i < a.budget_plan_size(); ++i) {
      a.mutable_budget_plan(i)->set_fiscal_year(fiscal_year + i);
    }
    return Submit(a, call, "force");
  };
  v1::Application a = CrestApplication();
  EXPECT_THAT(FieldsOf(check(a, 2017)), ElementsAre("prior_awards"));
  auto* prior = a.add_prior_awards();
  prior->set_program_id("crest");
  EXPECT_THAT(FieldsOf(check(a, 2021)), ElementsAre("prior_awards"))
      << "JST CREST counts only from the FY2022 call";
  EXPECT_TRUE(check(a, 2022).ok()) << check(a, 2022);
  prior->set_program_id("amed-crest");
  EXPECT_TRUE(check(a, 2017).ok()) << check(a, 2017);
  // FORCE caps: ¥20M a year.
  EXPECT_THAT(FieldsOf(check(a, 2017, 20'000'001)), ElementsAre("budget_plan"));
}

TEST(ApplicationRulesTest, DraftRulesAreLooser) {
  v1::Application draft;
  draft.set_title_ja("途中まで");
  EXPECT_TRUE(ValidateDraft(draft).ok());
  draft.mutable_principal_investigator()->set_researcher_id("123");
  draft.add_budget_plan()->set_amount_yen(-1);
  draft.set_title_en("\xFF");
  EXPECT_THAT(FieldsOf(ValidateDraft(draft)),
              UnorderedElementsAre("principal_investigator.researcher_id",
                                   "budget_plan[0].amount_yen", "title_en"));
}

TEST(ApplicationRulesTest, SubmitComputesCostsAndState) {
  const absl::Time now = DuringCrestWindow();
  auto submitted = SubmitApplication(CrestApplication(), CrestCall(), Program("crest"), now);
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  EXPECT_EQ(submitted->state(), v1::APPLICATION_STATE_SUBMITTED);
  EXPECT_EQ(ToTime(submitted->submitted_at()), now);
  EXPECT_EQ(submitted->total_direct_yen(), 420'000'000);
  EXPECT_EQ(submitted->total_indirect_yen(), 126'000'000);
  ASSERT_EQ(submitted->yearly_costs_size(), 6);
  EXPECT_EQ(submitted->yearly_costs(0).fiscal_year(), 2017);
  EXPECT_EQ(submitted->yearly_costs(0).indirect_yen(), 6'000'000);

  EXPECT_EQ(SubmitApplication(*submitted, CrestCall(), Program("crest"), now).status().code(),
            absl::StatusCode::kFailedPrecondition);
  v1::Application bad = CrestApplication();
  bad.clear_abstract();
  EXPECT_EQ(SubmitApplication(bad, CrestCall(), Program("crest"), now).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ApplicationRulesTest, Withdraw) {
  const absl::Time now = DuringCrestWindow();
  auto submitted = SubmitApplication(CrestApplication(), CrestCall(), Program("crest"), now);
  ASSERT_TRUE(submitted.ok());
  auto withdrawn = WithdrawApplication(*submitted, now);
  ASSERT_TRUE(withdrawn.ok());
  EXPECT_EQ(withdrawn->state(), v1::APPLICATION_STATE_WITHDRAWN);
  EXPECT_EQ(WithdrawApplication(*withdrawn, now).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(WithdrawApplication(CrestApplication(), now).ok()) << "drafts can be withdrawn";
}

TEST(ApplicationRulesTest, ResubmitAfterWithdrawalOnlyWhileTheCallIsOpen) {
  const absl::Time submitted_at = DuringCrestWindow();
  auto submitted = SubmitApplication(CrestApplication(), CrestCall(), Program("crest"), submitted_at);
  ASSERT_TRUE(submitted.ok());
  const absl::Time withdrawn_at = submitted_at + absl::Hours(1);
  auto withdrawn = WithdrawApplication(*submitted, withdrawn_at);
  ASSERT_TRUE(withdrawn.ok());

  const absl::Time again = withdrawn_at + absl::Hours(1);
  auto resubmitted = SubmitApplication(*withdrawn, CrestCall(), Program("crest"), again);
  ASSERT_TRUE(resubmitted.ok()) << resubmitted.status();
  EXPECT_EQ(resubmitted->state(), v1::APPLICATION_STATE_SUBMITTED);
  EXPECT_EQ(ToTime(resubmitted->submitted_at()), again);
  EXPECT_FALSE(resubmitted->has_withdrawn_at());

  const absl::Time late = ToTime(CrestCall().closes_at());
  EXPECT_EQ(SubmitApplication(*withdrawn, CrestCall(), Program("crest"), late).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(ApplicationRulesTest, PrepareNewApplication) {
  v1::Application input = CrestApplication();
  input.set_state(v1::APPLICATION_STATE_SUBMITTED);  // ignored
  input.set_total_direct_yen(1);                     // server-computed: cleared
  auto draft = PrepareNewApplication(input, CrestCall(), "11111111-2222-3333-4444-555555555555",
                                     "applicant:alice", DuringCrestWindow());
  ASSERT_TRUE(draft.ok()) << draft.status();
  EXPECT_EQ(draft->state(), v1::APPLICATION_STATE_DRAFT);
  EXPECT_EQ(draft->applicant_subject(), "applicant:alice");
  EXPECT_EQ(draft->total_direct_yen(), 0);
  EXPECT_EQ(draft->call_id(), testing::kCallId);

  EXPECT_EQ(PrepareNewApplication(input, CrestCall(), "x", "s", Jst(2017, 6, 7)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  v1::Call draft_call = CrestCall();
  draft_call.set_state(v1::CALL_STATE_DRAFT);
  EXPECT_EQ(PrepareNewApplication(input, draft_call, "x", "s", DuringCrestWindow()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(ApplicationRulesTest, UpdateDraft) {
  const absl::Time now = DuringCrestWindow();
  v1::Application patch;
  patch.set_title_en("Revised title");
  patch.mutable_principal_investigator()->set_orcid("0000-0001-5109-3700");
  google::protobuf::FieldMask mask;
  mask.add_paths("title_en");
  mask.add_paths("principal_investigator.orcid");
  auto updated = ApplyApplicationUpdate(CrestApplication(), patch, mask, CrestCall(), now);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->title_en(), "Revised title");
  EXPECT_EQ(updated->principal_investigator().orcid(), "0000-0001-5109-3700");
  EXPECT_EQ(updated->principal_investigator().researcher_id(), "12345678");

  google::protobuf::FieldMask server_mask;
  server_mask.add_paths("state");
  server_mask.add_paths("no_such_field");
  EXPECT_THAT(
      FieldsOf(ApplyApplicationUpdate(CrestApplication(), patch, server_mask, CrestCall(), now)
                   .status()),
      ElementsAre("update_mask.paths[0]", "update_mask.paths[1]"));

  v1::Application stale = patch;
  stale.set_version(7);
  EXPECT_EQ(
      ApplyApplicationUpdate(CrestApplication(), stale, mask, CrestCall(), now).status().code(),
      absl::StatusCode::kAborted);

  v1::Application submitted = CrestApplication();
  submitted.set_state(v1::APPLICATION_STATE_SUBMITTED);
  EXPECT_EQ(ApplyApplicationUpdate(submitted, patch, mask, CrestCall(), now).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ApplyApplicationUpdate(CrestApplication(), patch, mask, CrestCall(), Jst(2017, 6, 7))
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);

  v1::Application bad;
  bad.mutable_principal_investigator()->set_orcid("0000-0001-5109-3701");
  EXPECT_THAT(
      FieldsOf(ApplyApplicationUpdate(CrestApplication(), bad, mask, CrestCall(), now).status()),
      ElementsAre("principal_investigator.orcid"));
}

}  // namespace
}  // namespace tane::calls
