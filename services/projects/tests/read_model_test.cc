// Index entries follow the project: what a change adds and removes.
#include "tane/projects/read_model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "absl/time/civil_time.h"
#include "tane/core/time.h"
#include "tane/projects/project.h"
#include "tane/store/sharded_index.h"

namespace tane::projects {
namespace {

using ::testing::Contains;
using ::testing::Not;

absl::Time Jst(int y, int m, int d) { return absl::FromCivil(absl::CivilDay(y, m, d), core::TokyoTimeZone()); }

AdoptionDecision Decision() {
  AdoptionDecision d;
  d.decision_id = "d-1";
  d.application_id = "app-1";
  d.call_id = "forest-2021";
  d.program_id = "forest";
  d.research_area_id = "forest-pan";
  d.title_ja = "創発的研究";
  d.principal_investigator.set_researcher_id("12345678");
  d.principal_investigator.set_name("Researcher A");
  d.principal_investigator.set_institution_id("univ-a");
  d.pi_subject = "user-a";
  d.start_time = Jst(2021, 10, 1);
  d.months = 84;
  return d;
}

std::vector<std::string> Suffixes(const std::vector<IndexEntry>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(e.key_suffix);
  return out;
}

common::v1::Actor Officer() {
  common::v1::Actor a;
  a.set_role("program_officer");
  a.set_subject("po-1");
  return a;
}

TEST(ReadModelTest, ANewProjectIsListedByProgramAreaStatePiAndEveryFiscalYear) {
  const ProgramRules rules = ProgramRules::Forest();
  auto created = NewProjectFromAdoption(Decision(), rules, Jst(2021, 9, 1));
  ASSERT_TRUE(created.ok()) << created.status();
  const auto entries = IndexEntriesOf(created->project, rules);
  const auto suffixes = Suffixes(entries);
  EXPECT_THAT(suffixes, Contains("idx:all"));
  EXPECT_THAT(suffixes, Contains("idx:program:forest"));
  EXPECT_THAT(suffixes, Contains("idx:area:forest-pan"));
  EXPECT_THAT(suffixes, Contains("idx:state:contracting"));
  EXPECT_THAT(suffixes, Contains("idx:pi:user-a"));
  for (int fy = 2021; fy <= 2028; ++fy) EXPECT_THAT(suffixes, Contains("idx:fy:" + std::to_string(fy)));
  EXPECT_THAT(suffixes, Not(Contains("idx:fy:2029")));
  // Not active yet: no reports owed, no evaluations scheduled.
  EXPECT_THAT(suffixes, Not(Contains("idx:report-due")));
  EXPECT_THAT(suffixes, Not(Contains("idx:eval-due")));

  const auto ops = IndexChanges(nullptr, created->project, rules);
  EXPECT_EQ(ops.size(), entries.size());
  for (const auto& op : ops) EXPECT_EQ(op.kind, store::IndexOp::Kind::kSortedSetAdd);
}

TEST(ReadModelTest, ActivationMovesTheStateAndSchedulesReportsAndEvaluations) {
  const ProgramRules rules = ProgramRules::Forest();
  auto created = NewProjectFromAdoption(Decision(), rules, Jst(2021, 9, 1));
  ASSERT_TRUE(created.ok());
  const Context ctx{rules, Officer(), Jst(2021, 9, 20)};
  v1::AddContractRequest contract;
  contract.set_project_id(created->project.project_id());
  contract.set_institution_id("univ-a");
  contract.set_contract_number("C-1");
  contract.mutable_start_time()->set_seconds(absl::ToUnixSeconds(Jst(2021, 9, 20)));
  auto contracted = AddContract(created->project, contract, ctx);
  ASSERT_TRUE(contracted.ok()) << contracted.status();
  v1::ActivateProjectRequest activate;
  activate.set_project_id(created->project.project_id());
  auto active = Activate(contracted->project, activate, ctx);
  ASSERT_TRUE(active.ok()) << active.status();

  const auto ops = IndexChanges(&contracted->project, active->project, rules);
  auto has = [&](store::IndexOp::Kind kind, const std::string& suffix) {
    return std::any_of(ops.begin(), ops.end(),
                       [&](const store::IndexOp& op) { return op.kind == kind && op.key_suffix == suffix; });
  };
  EXPECT_TRUE(has(store::IndexOp::Kind::kSortedSetRemove, "idx:state:contracting"));
  EXPECT_TRUE(has(store::IndexOp::Kind::kSortedSetAdd, "idx:state:active"));
  EXPECT_TRUE(has(store::IndexOp::Kind::kSortedSetAdd, "idx:report-due"));
  EXPECT_TRUE(has(store::IndexOp::Kind::kSortedSetAdd, "idx:report-due:program:forest"));
  EXPECT_TRUE(has(store::IndexOp::Kind::kSortedSetAdd, "idx:report-due:area:forest-pan"));
  EXPECT_TRUE(has(store::IndexOp::Kind::kSortedSetAdd, "idx:eval-due:program:forest"));
  EXPECT_FALSE(has(store::IndexOp::Kind::kSortedSetAdd, "idx:all"));  // unchanged entries are not rewritten

  // The due entries name what is due and sort by due time.
  std::vector<std::string> report_keys;
  for (const auto& e : IndexEntriesOf(active->project, rules)) {
    if (e.key_suffix != "idx:report-due") continue;
    auto parsed = ParseDueReportId(e.id);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(parsed->project_id, active->project.project_id());
    report_keys.push_back(e.sort_key);
  }
  EXPECT_EQ(report_keys.size(), 16u);
  // The month-36 stage gate is scheduled three years after the start.
  bool gate_found = false;
  for (const auto& e : IndexEntriesOf(active->project, rules)) {
    if (e.key_suffix != "idx:eval-due") continue;
    auto parsed = ParseDueEvaluationId(e.id);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    if (parsed->kind == v1::EVALUATION_KIND_STAGE_GATE && parsed->milestone_month == 36) {
      gate_found = true;
      EXPECT_EQ(e.sort_key, store::SortKeyOfTime(Jst(2024, 10, 1)));
    }
  }
  EXPECT_TRUE(gate_found);
}

TEST(ReadModelTest, DueIdsRoundTripAndForeignOnesAreRefused) {
  auto report = ParseDueReportId("p-1/2023/2");
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->project_id, "p-1");
  EXPECT_EQ(report->fiscal_year, 2023);
  EXPECT_EQ(report->kind, v1::REPORT_KIND_PROGRESS_REPORT);
  auto evaluation = ParseDueEvaluationId("p-1/2/36");
  ASSERT_TRUE(evaluation.ok());
  EXPECT_EQ(evaluation->kind, v1::EVALUATION_KIND_STAGE_GATE);
  EXPECT_EQ(evaluation->milestone_month, 36);
  EXPECT_EQ(ParseDueReportId("p-1/2023").status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ParseDueReportId("p-1/x/1").status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ParseDueEvaluationId("p-1/99/36").status().code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace tane::projects
