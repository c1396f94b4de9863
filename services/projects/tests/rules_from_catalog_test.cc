// The catalog → rules mapping over the shipped programs.yaml.
#include "tane/projects/rules_from_catalog.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tane::projects {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

calls::Catalog ShippedCatalog() {
  auto catalog = calls::Catalog::LoadFromFile(std::string(TANE_CALLS_CATALOG_DIR) + "/programs.yaml");
  if (!catalog.ok()) throw std::runtime_error(catalog.status().ToString());
  return *std::move(catalog);
}

// The shipped catalog's rules, mapped once.
const std::map<std::string, ProgramRules>& AllRules() {
  static const auto* rules = [] {
    auto mapped = RulesFromCatalog(ShippedCatalog());
    if (!mapped.ok()) throw std::runtime_error(mapped.status().ToString());
    return new std::map<std::string, ProgramRules>(*std::move(mapped));
  }();
  return *rules;
}

const ProgramRules& Of(const std::string& id) {
  auto it = AllRules().find(id);
  if (it == AllRules().end()) throw std::runtime_error("no rules for " + id);
  return it->second;
}

TEST(RulesFromCatalogTest, EveryProgramOfTheCatalogMapsToValidRules) {
  EXPECT_EQ(AllRules().size(), ShippedCatalog().programs().size());
  for (const auto& [id, rules] : AllRules()) {
    EXPECT_EQ(rules.program_id, id);
    EXPECT_TRUE(rules.Validate().ok()) << id << ": " << rules.Validate();
  }
}

TEST(RulesFromCatalogTest, ForestRunsSevenYearsExtendableToTenWithGatesAtThreeAndSeven) {
  const ProgramRules& forest = Of("forest");
  EXPECT_EQ(forest.name, "FOREST");
  EXPECT_EQ(forest.max_period_months, 84);
  EXPECT_EQ(forest.max_extension_months, 36);
  EXPECT_EQ(forest.MaxTotalMonths(), 120);
  EXPECT_EQ(forest.extension_requires_gate_month, 84);  // the year-7 gate decides the extension
  EXPECT_EQ(forest.max_pause_months, 24);
  ASSERT_EQ(forest.stage_gates.size(), 2u);
  EXPECT_EQ(forest.stage_gates[0].month, 36);
  EXPECT_EQ(forest.stage_gates[1].month, 84);
  for (const auto& gate : forest.stage_gates) {
    EXPECT_THAT(gate.allowed_outcomes, ElementsAre(v1::STAGE_GATE_OUTCOME_CONTINUE, v1::STAGE_GATE_OUTCOME_EXPAND,
                                                   v1::STAGE_GATE_OUTCOME_STOP));
  }
  EXPECT_TRUE(forest.final_evaluation);
  EXPECT_TRUE(forest.support_follows_transfer);
  EXPECT_EQ(forest.max_annual_direct_yen, 0);  // only an average is stated
  EXPECT_EQ(forest.default_indirect_rate_percent, 30);
  EXPECT_EQ(forest.min_period_months, 1);  // not stated
}

TEST(RulesFromCatalogTest, PeriodsAndCapsAreTheCatalogsOwn) {
  struct Case {
    std::string id;
    std::string name;
    int max_months;
    int max_extension;
    int64_t annual_cap;
  };
  const std::vector<Case> cases = {
      {"crest", "CREST", 66, 0, 0},
      {"presto", "PRESTO", 42, 0, 0},
      {"erato", "ERATO", 60, 0, 0},
      {"amed-crest", "AMED-CREST", 66, 0, 0},
      {"prime", "PRIME", 42, 0, 0},
      {"force", "FORCE", 24, 0, 20'000'000},
      {"leap", "LEAP", 60, 0, 300'000'000},
      {"satreps", "SATREPS", 60, 0, 36'000'000},
      {"sicorp-core-team", "SICORP core team type", 36, 0, 30'000'000},
      {"sicorp-joint-lab", "SICORP international joint laboratory type", 60, 60, 0},  // per site: not per project
      {"jst-mirai-exploratory", "JST-Mirai Program, exploratory research", 36, 0, 15'000'000},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.id);
    const ProgramRules& r = Of(c.id);
    EXPECT_EQ(r.name, c.name);
    EXPECT_EQ(r.max_period_months, c.max_months);
    EXPECT_EQ(r.max_extension_months, c.max_extension);
    EXPECT_EQ(r.max_annual_direct_yen, c.annual_cap);
    EXPECT_EQ(r.max_pause_months, 0);
    EXPECT_EQ(r.extension_requires_gate_month, 0);
  }
  EXPECT_EQ(Of("force").min_period_months, 12);
  EXPECT_EQ(Of("sicorp-consortium").min_period_months, 36);
}

TEST(RulesFromCatalogTest, UnstatedPeriodIsNotLimitedAndStagesWithoutADateAreLeftOut) {
  EXPECT_EQ(Of("accel").max_period_months, kNoStatedLimitMonths);
  EXPECT_EQ(Of("kakenhi-kiban-s").max_period_months, kNoStatedLimitMonths);
  EXPECT_TRUE(Of("jst-mirai-large-scale").stage_gates.empty());  // its gate has no month in the catalog
  const ProgramRules& mirai = Of("jst-mirai-exploratory");
  ASSERT_EQ(mirai.stage_gates.size(), 1u);
  EXPECT_EQ(mirai.stage_gates[0].month, 36);
  // "advance" to full-scale research passes this project's gate as "continue".
  EXPECT_THAT(mirai.stage_gates[0].allowed_outcomes,
              ElementsAre(v1::STAGE_GATE_OUTCOME_CONTINUE, v1::STAGE_GATE_OUTCOME_STOP));
  EXPECT_TRUE(Of("crest").stage_gates.empty());
  EXPECT_THAT(Of("crest").interim_months, ElementsAre(36));  // (practice) in the catalog
  EXPECT_TRUE(Of("presto").interim_months.empty());        // not stated in the seeds
}

TEST(RulesFromCatalogTest, AProgramGivingInvalidRulesIsRefusedWithItsName) {
  calls::ProgramRule broken;
  broken.id = "broken";
  broken.name_en = "Broken";
  broken.period.max_months = 36;
  broken.evaluation.stage_gates.push_back({.at_month = 12, .outcomes = {}, .next_program_id = ""});
  auto rules = RulesFromProgram(broken);
  ASSERT_EQ(rules.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(rules.status().message(), HasSubstr("program broken"));
  EXPECT_THAT(rules.status().message(), HasSubstr("allowed_outcomes"));
}

}  // namespace
}  // namespace tane::projects
