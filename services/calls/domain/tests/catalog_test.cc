#include "tane/calls/catalog.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_data.h"

namespace tane::calls {
namespace {

using ::testing::HasSubstr;
using testing::Program;
using testing::ShippedCatalog;

TEST(CatalogTest, LoadsShippedCatalog) {
  auto catalog = Catalog::LoadFromFile(testing::CatalogPath());
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  EXPECT_GE(catalog->programs().size(), 28u);
}

// Every program DOMAIN.md's catalog table names (KAKENHI by category, SICORP by type).
TEST(CatalogTest, EveryDomainProgramIsPresent) {
  const char* ids[] = {
      "crest",
      "presto",
      "erato",
      "accel",
      "act-x",
      "jst-mirai-exploratory",
      "jst-mirai-full-scale",
      "jst-mirai-large-scale",
      "amed-crest",
      "prime",
      "force",
      "leap",
      "forest",
      "kakenhi-tokusui",
      "kakenhi-kiban-s",
      "kakenhi-kiban-a",
      "kakenhi-kiban-b",
      "kakenhi-kiban-c",
      "kakenhi-challenging-pioneering",
      "kakenhi-challenging-exploratory",
      "kakenhi-early-career",
      "kakenhi-activity-start",
      "kakenhi-intl-joint-fund",
      "sicorp-consortium",
      "sicorp-core-team",
      "sicorp-acceleration",
      "sicorp-joint-lab",
      "satreps",
  };
  for (const char* id : ids) {
    SCOPED_TRACE(id);
    const ProgramRule* p = ShippedCatalog().Find(id);
    ASSERT_NE(p, nullptr);
    EXPECT_FALSE(p->name_ja.empty());
    EXPECT_FALSE(p->name_en.empty());
    EXPECT_NE(p->agency, v1::AGENCY_UNSPECIFIED);
    EXPECT_FALSE(p->review.stages.empty());
  }
}

TEST(CatalogTest, FiguresAreConvertedToYen) {
  struct Case {
    const char* program;
    std::optional<int64_t> DirectCostRule::*field;
    int64_t yen;
  };
  const Case cases[] = {
      {"crest", &DirectCostRule::total_min_yen, 150'000'000},                    // 1.5億円
      {"crest", &DirectCostRule::total_max_yen, 500'000'000},                    // 5億円
      {"presto", &DirectCostRule::total_min_yen, 30'000'000},                    // 3千万円
      {"presto", &DirectCostRule::total_max_yen, 40'000'000},                    // 4千万円
      {"erato", &DirectCostRule::total_max_yen, 1'200'000'000},                  // 12億円
      {"jst-mirai-exploratory", &DirectCostRule::yearly_max_yen, 15'000'000},    // 1千5百万円
      {"jst-mirai-full-scale", &DirectCostRule::yearly_max_yen, 150'000'000},    // 1.5億円
      {"jst-mirai-large-scale", &DirectCostRule::total_max_yen, 2'700'000'000},  // 27億円
      {"amed-crest", &DirectCostRule::total_max_yen, 500'000'000},
      {"prime", &DirectCostRule::total_max_yen, 40'000'000},
      {"force", &DirectCostRule::yearly_max_yen, 20'000'000},              // 2千万円
      {"leap", &DirectCostRule::yearly_max_yen, 300'000'000},              // 3億円
      {"forest", &DirectCostRule::yearly_average_yen, 7'000'000},          // 700万円
      {"sicorp-consortium", &DirectCostRule::yearly_min_yen, 30'000'000},  // 30百万円
      {"sicorp-consortium", &DirectCostRule::yearly_max_yen, 50'000'000},
      {"sicorp-core-team", &DirectCostRule::yearly_max_yen, 30'000'000},
      {"sicorp-acceleration", &DirectCostRule::yearly_min_yen, 5'000'000},
      {"sicorp-joint-lab", &DirectCostRule::yearly_max_yen, 100'000'000},  // 1億円
      {"satreps", &DirectCostRule::yearly_max_yen, 36'000'000},            // 36百万円
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.program);
    const auto& value = Program(c.program).direct_cost.*(c.field);
    ASSERT_TRUE(value.has_value());
    EXPECT_EQ(*value, c.yen);
  }
  EXPECT_TRUE(Program("sicorp-joint-lab").direct_cost.per_site);
}

TEST(CatalogTest, PeriodsInMonths) {
  struct Case {
    const char* program;
    std::optional<int> min, max, extension;
  };
  const Case cases[] = {
      {"crest", std::nullopt, 66, std::nullopt},   // 5年半
      {"presto", std::nullopt, 42, std::nullopt},  // 3年半
      {"erato", std::nullopt, 60, std::nullopt},
      {"force", 12, 24, std::nullopt},
      {"leap", std::nullopt, 60, std::nullopt},
      {"forest", std::nullopt, 84, 120},  // 7年, 最長10年
      {"sicorp-consortium", 36, 60, std::nullopt},
      {"sicorp-core-team", 12, 36, std::nullopt},
      {"sicorp-joint-lab", std::nullopt, 60, 120},
      {"satreps", 36, 60, std::nullopt},
      {"jst-mirai-large-scale", std::nullopt, 120, std::nullopt},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.program);
    const PeriodRule& p = Program(c.program).period;
    EXPECT_EQ(p.min_months, c.min);
    EXPECT_EQ(p.max_months, c.max);
    EXPECT_EQ(p.extension_max_months, c.extension);
  }
}

TEST(CatalogTest, ValuesNotStatedInSeedsAreNull) {
  for (const char* id : {"accel", "act-x", "kakenhi-kiban-c"}) {
    SCOPED_TRACE(id);
    const ProgramRule& p = Program(id);
    EXPECT_FALSE(p.direct_cost.total_max_yen.has_value());
    EXPECT_FALSE(p.direct_cost.yearly_max_yen.has_value());
    EXPECT_FALSE(p.period.max_months.has_value());
  }
  EXPECT_EQ(Program("kakenhi-challenging-exploratory").fund_type, v1::FUND_TYPE_UNSPECIFIED);
  EXPECT_FALSE(Program("forest").eligibility.childcare_extension_max_months.has_value());
}

TEST(CatalogTest, PracticeDefaultsApply) {
  for (const auto& p : ShippedCatalog().programs()) {
    SCOPED_TRACE(p.id);
    EXPECT_EQ(p.indirect_rate_percent, 30);
    EXPECT_EQ(p.reallocation_limit_percent, 50);
    EXPECT_EQ(p.review.reviewers_per_proposal, 5);
  }
}

TEST(CatalogTest, KakenhiFundFlagChangesByFiscalYear) {
  struct Case {
    const char* program;
    int fiscal_year;
    v1::FundType fund;
    v1::CarryOverRule carry;
  };
  const Case cases[] = {
      {"kakenhi-kiban-b", 2022, v1::FUND_TYPE_GRANT_IN_AID, v1::CARRY_OVER_RULE_REQUIRES_APPROVAL},
      {"kakenhi-kiban-b", 2023, v1::FUND_TYPE_MULTI_YEAR_FUND, v1::CARRY_OVER_RULE_AUTOMATIC},
      {"kakenhi-kiban-b", 2024, v1::FUND_TYPE_MULTI_YEAR_FUND, v1::CARRY_OVER_RULE_AUTOMATIC},
      {"kakenhi-kiban-c", 2010, v1::FUND_TYPE_GRANT_IN_AID, v1::CARRY_OVER_RULE_REQUIRES_APPROVAL},
      {"kakenhi-kiban-c", 2011, v1::FUND_TYPE_MULTI_YEAR_FUND, v1::CARRY_OVER_RULE_AUTOMATIC},
      {"kakenhi-early-career", 2018, v1::FUND_TYPE_MULTI_YEAR_FUND, v1::CARRY_OVER_RULE_AUTOMATIC},
      {"kakenhi-kiban-a", 2023, v1::FUND_TYPE_GRANT_IN_AID, v1::CARRY_OVER_RULE_REQUIRES_APPROVAL},
      {"kakenhi-kiban-s", 2023, v1::FUND_TYPE_GRANT_IN_AID, v1::CARRY_OVER_RULE_REQUIRES_APPROVAL},
      {"kakenhi-tokusui", 2023, v1::FUND_TYPE_GRANT_IN_AID, v1::CARRY_OVER_RULE_REQUIRES_APPROVAL},
      {"kakenhi-intl-joint-fund", 2015, v1::FUND_TYPE_MULTI_YEAR_FUND,
       v1::CARRY_OVER_RULE_AUTOMATIC},
      {"forest", 2020, v1::FUND_TYPE_MULTI_YEAR_FUND, v1::CARRY_OVER_RULE_AUTOMATIC},
      {"crest", 2017, v1::FUND_TYPE_CONTRACT, v1::CARRY_OVER_RULE_REQUIRES_APPROVAL},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.program) + " FY" + std::to_string(c.fiscal_year));
    const ProgramRule& p = Program(c.program);
    EXPECT_EQ(p.FundTypeFor(c.fiscal_year), c.fund);
    EXPECT_EQ(p.CarryOverFor(c.fiscal_year), c.carry);
    const v1::Program proto = p.ToProto(c.fiscal_year);
    EXPECT_EQ(proto.fund_type(), c.fund);
    EXPECT_EQ(proto.carry_over(), c.carry);
  }
  const v1::Program kiban_b = Program("kakenhi-kiban-b").ToProto(2023);
  ASSERT_EQ(kiban_b.fund_type_history_size(), 2);
  EXPECT_EQ(kiban_b.fund_type_history(1).from_fiscal_year(), 2023);
  EXPECT_EQ(Program("kakenhi-intl-joint-fund").available_from_fiscal_year, 2015);
}

TEST(CatalogTest, ForestEligibilityAndStageGates) {
  const ProgramRule& forest = Program("forest");
  EXPECT_EQ(forest.eligibility.max_years_since_phd, 15);
  EXPECT_TRUE(forest.eligibility.childcare_leave_extends);
  EXPECT_EQ(forest.eligibility.japan_institution_grace_months, 24);
  ASSERT_EQ(forest.evaluation.stage_gates.size(), 2u);
  EXPECT_EQ(forest.evaluation.stage_gates[0].at_month, 36);
  EXPECT_EQ(forest.evaluation.stage_gates[1].at_month, 84);
  EXPECT_THAT(forest.evaluation.stage_gates[0].outcomes,
              ::testing::ElementsAre(v1::STAGE_GATE_OUTCOME_CONTINUE, v1::STAGE_GATE_OUTCOME_EXPAND,
                                     v1::STAGE_GATE_OUTCOME_STOP));
  EXPECT_EQ(forest.period.pause_max_months, 24);
  EXPECT_FALSE(forest.co_investigators_allowed);
  EXPECT_EQ(Program("jst-mirai-exploratory").evaluation.stage_gates[0].next_program_id,
            "jst-mirai-full-scale");
}

TEST(CatalogTest, ProtoConversionKeepsEveryRuleAndRoundTrips) {
  const v1::Program crest = Program("crest").ToProto(2017);
  EXPECT_EQ(crest.program_id(), "crest");
  EXPECT_EQ(crest.agency(), v1::AGENCY_JST);
  EXPECT_EQ(crest.kind(), v1::PROGRAM_KIND_TEAM);
  EXPECT_EQ(crest.period().max_months(), 66);
  EXPECT_FALSE(crest.period().has_min_months());
  EXPECT_EQ(crest.direct_cost().total_max_yen(), 500'000'000);
  EXPECT_FALSE(crest.direct_cost().has_yearly_max_yen());
  EXPECT_EQ(crest.indirect_rate_percent(), 30);
  EXPECT_EQ(crest.agency_budget(), v1::FUND_TYPE_OPERATING_GRANT);
  EXPECT_EQ(crest.review_model().decided_by(), "research_supervisor");
  EXPECT_EQ(crest.review_model().reviewers_per_proposal(), 5);
  EXPECT_TRUE(crest.area_based());
  EXPECT_TRUE(crest.co_investigators_allowed());

  const v1::Program force = Program("force").ToProto(2022);
  ASSERT_EQ(force.eligibility().requires_prior_award_size(), 4);
  EXPECT_EQ(force.eligibility().requires_prior_award(2).program_id(), "crest");
  EXPECT_EQ(force.eligibility().requires_prior_award(2).from_fiscal_year(), 2022);

  v1::Program parsed;
  ASSERT_TRUE(parsed.ParseFromString(crest.SerializeAsString()));
  EXPECT_EQ(parsed.name_ja(), crest.name_ja());
  EXPECT_EQ(parsed.SerializeAsString(), crest.SerializeAsString());
}

TEST(CatalogTest, GetUnknownProgramIsNotFound) {
  EXPECT_EQ(ShippedCatalog().Get("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(ShippedCatalog().Get("crest").ok());
}

TEST(CatalogTest, MissingFileIsNotFound) {
  EXPECT_EQ(Catalog::LoadFromFile("/nonexistent/programs.yaml").status().code(),
            absl::StatusCode::kNotFound);
}

// A valid one-program catalog; each error case replaces one line.
std::string MiniCatalog(const std::string& replace_from = "", const std::string& replace_to = "") {
  std::string yaml = R"(schema_version: 1
defaults:
  indirect_rate_percent: 30
programs:
  - id: demo
    name_ja: デモ
    name_en: Demo
    agency: JST
    kind: team
    period_months: {min: 12, max: 36}
    direct_cost_yen:
      total_min: 1000
      total_max: 5000
      yearly_min: null
      yearly_max: 2000
    fund_type: contract
    review:
      stages: [document]
      decided_by: program_officer
    evaluation:
      final: true
)";
  if (!replace_from.empty()) {
    const size_t at = yaml.find(replace_from);
    if (at == std::string::npos) return "replace target not found: " + replace_from;
    yaml.replace(at, replace_from.size(), replace_to);
  }
  return yaml;
}

TEST(CatalogTest, MiniCatalogLoads) {
  auto catalog = Catalog::LoadFromString(MiniCatalog());
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  EXPECT_EQ(catalog->Find("demo")->direct_cost.total_max_yen, 5000);
  EXPECT_EQ(catalog->Find("demo")->indirect_rate_percent, 30);
  EXPECT_FALSE(catalog->Find("demo")->reallocation_limit_percent.has_value());
}

TEST(CatalogTest, YamlErrorsNameProgramAndField) {
  struct Case {
    const char* name;
    std::string yaml;
    const char* expected;
  };
  const Case cases[] = {
      {"unknown kind", MiniCatalog("kind: team", "kind: solo"),
       R"(program "demo" (programs[0]).kind: unknown value "solo")"},
      {"unknown agency", MiniCatalog("agency: JST", "agency: NSF"),
       "agency: unknown value \"NSF\""},
      {"negative cap", MiniCatalog("total_min: 1000", "total_min: -1"),
       R"(program "demo" (programs[0]).direct_cost_yen.total_min: must not be negative)"},
      {"min above max", MiniCatalog("total_min: 1000", "total_min: 9000"),
       "direct_cost_yen.total_min: 9000 is greater than total_max 5000"},
      {"period min above max", MiniCatalog("{min: 12, max: 36}", "{min: 48, max: 36}"),
       "period_months.min: 48 is greater than max 36"},
      {"yearly above total", MiniCatalog("yearly_max: 2000", "yearly_max: 6000"),
       "direct_cost_yen.yearly_max: 6000 is greater than total_max 5000"},
      {"fractional yen", MiniCatalog("total_max: 5000", "total_max: 1.5e8"),
       "total_max: must be a plain decimal integer"},
      {"unknown field", MiniCatalog("kind: team", "kind: team\n    colour: blue"),
       R"(program "demo" (programs[0]).colour: unknown field)"},
      {"unknown fund type", MiniCatalog("fund_type: contract", "fund_type: loan"),
       "fund_type: unknown value \"loan\""},
      {"missing fund type", MiniCatalog("    fund_type: contract\n", ""), "fund_type: is required"},
      {"unknown review stage", MiniCatalog("[document]", "[essay]"),
       "review.stages[0]: unknown value \"essay\""},
      {"unknown decider", MiniCatalog("decided_by: program_officer", "decided_by: vote"),
       "review.decided_by: unknown value \"vote\""},
      {"bad id", MiniCatalog("id: demo", "id: Demo Program"), "programs[0].id"},
      {"missing name", MiniCatalog("    name_en: Demo\n", ""), "name_en: is required"},
      {"unknown prior program",
       MiniCatalog(
           "    evaluation:",
           "    eligibility:\n      requires_prior_award: [{program_id: ghost}]\n    evaluation:"),
       R"(unknown program "ghost")"},
      {"individual with co-investigators",
       MiniCatalog("kind: team", "kind: individual\n    co_investigators_allowed: true"),
       "co_investigators_allowed: an individual program cannot allow co-investigators"},
      {"fund changes out of order",
       MiniCatalog("fund_type: contract",
                   "fund_type: contract\n    fund_type_changes:\n"
                   "      - {from_fiscal_year: 2023, fund_type: grant_in_aid}\n"
                   "      - {from_fiscal_year: 2011, fund_type: multi_year_fund}"),
       "ascending fiscal-year order"},
      {"syntax error", MiniCatalog("kind: team", "kind: [team"), "YAML syntax error at line"},
      {"not a map", "- just a list", "the document must be a YAML map"},
      {"schema version", MiniCatalog("schema_version: 1", "schema_version: 2"),
       "schema_version: must be at most 1"},
      {"cap key left out", MiniCatalog("      yearly_min: null\n", ""),
       "direct_cost_yen.yearly_min: is required (null when not stated in the sources)"},
      {"period key left out", MiniCatalog("{min: 12, max: 36}", "{max: 36}"),
       "period_months.min: is required"},
      {"no programs", "schema_version: 1\nprograms: []\n",
       "catalog.programs: must be a non-empty list"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto catalog = Catalog::LoadFromString(c.yaml);
    ASSERT_FALSE(catalog.ok());
    EXPECT_EQ(catalog.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(catalog.status().message()), HasSubstr(c.expected));
  }
}

TEST(CatalogTest, DuplicateIdsAreRejected) {
  std::string yaml = MiniCatalog();
  const size_t programs = yaml.find("  - id: demo");
  yaml += yaml.substr(programs);
  auto catalog = Catalog::LoadFromString(yaml);
  ASSERT_FALSE(catalog.ok());
  EXPECT_THAT(std::string(catalog.status().message()), HasSubstr("duplicate program id \"demo\""));
}

}  // namespace
}  // namespace tane::calls
