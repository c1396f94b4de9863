#include "tane/projects/queries.h"

#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tane/core/errors.h"
#include "tane/projects/time_util.h"
#include "test_support.h"

namespace tane::projects {
namespace {

using ::testing::HasSubstr;
using namespace tane::projects::testing;  // NOLINT

v1::Project ActiveProject(const std::string& decision_id, const std::string& area,
                          absl::Time start = Jst(2021, 10, 1)) {
  auto d = ForestDecision(decision_id);
  d.research_area_id = area;
  d.start_time = start;
  d.budget_plan.clear();
  Harness h;
  h.CreateActive(d);
  return h.project();
}

TEST(ListProjectsTest, FiltersAndPages) {
  std::vector<v1::Project> all = {ActiveProject("d1", "area-x"), ActiveProject("d2", "area-y"),
                                  ActiveProject("d3", "area-x", Jst(2023, 4, 1))};
  Harness contracting;
  contracting.Create(ForestDecision("d4"), Jst(2021, 9, 1));
  all.push_back(contracting.project());

  v1::ListProjectsRequest by_area;
  by_area.set_research_area_id("area-x");
  EXPECT_EQ(Ok(ListProjects(all, by_area)).projects_size(), 2);

  v1::ListProjectsRequest by_year;
  by_year.set_fiscal_year(2022);  // d3 starts in FY2023
  EXPECT_EQ(Ok(ListProjects(all, by_year)).projects_size(), 3);

  v1::ListProjectsRequest by_state;
  by_state.set_state(v1::PROJECT_STATE_CONTRACTING);
  auto contracting_only = Ok(ListProjects(all, by_state));
  ASSERT_EQ(contracting_only.projects_size(), 1);
  EXPECT_EQ(contracting_only.projects(0).project_id(), ProjectIdForDecision("d4"));
  EXPECT_EQ(contracting_only.projects(0).history_size(), 0);  // history is its own query

  v1::ListProjectsRequest paged;
  paged.set_program_id("forest");
  paged.set_page_size(3);
  auto first = Ok(ListProjects(all, paged));
  ASSERT_EQ(first.projects_size(), 3);
  ASSERT_FALSE(first.next_page_token().empty());
  paged.set_page_token(first.next_page_token());
  auto second = Ok(ListProjects(all, paged));
  ASSERT_EQ(second.projects_size(), 1);
  EXPECT_TRUE(second.next_page_token().empty());
  EXPECT_LT(first.projects(2).project_id(), second.projects(0).project_id());

  v1::ListProjectsRequest negative;
  negative.set_page_size(-1);
  EXPECT_EQ(ListProjects(all, negative).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(HistoryQueryTest, PagesThroughEveryEntry) {
  Harness h;
  h.CreateActive();
  v1::GetProjectHistoryRequest r;
  r.set_project_id(h.project().project_id());
  r.set_page_size(2);
  auto page = Ok(ProjectHistory(h.project(), r));
  ASSERT_EQ(page.entries_size(), 2);
  EXPECT_EQ(page.entries(0).action(), "created");
  EXPECT_EQ(page.entries(1).action(), "contract_added");
  r.set_page_token(page.next_page_token());
  page = Ok(ProjectHistory(h.project(), r));
  ASSERT_EQ(page.entries_size(), 1);
  EXPECT_EQ(page.entries(0).action(), "activated");
  EXPECT_TRUE(page.next_page_token().empty());
  r.set_page_token("garbage");
  EXPECT_EQ(ProjectHistory(h.project(), r).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(UpcomingEvaluationsTest, FromTheScheduleShiftedByPauses) {
  const ProgramRules forest = ProgramRules::Forest();
  RulesLookup lookup = [&](const std::string& id) { return id == "forest" ? &forest : nullptr; };

  Harness h;
  h.CreateActive();
  std::vector<v1::Project> projects = {h.project()};
  v1::ListUpcomingEvaluationsRequest r;
  // Month 36 of a project started 1 October 2021 is 1 October 2024.
  auto upcoming = Ok(ListUpcomingEvaluations(projects, r, lookup, Jst(2024, 8, 1)));
  ASSERT_EQ(upcoming.evaluations_size(), 1);
  EXPECT_EQ(upcoming.evaluations(0).kind(), v1::EVALUATION_KIND_STAGE_GATE);
  EXPECT_EQ(upcoming.evaluations(0).milestone_month(), 36);
  EXPECT_EQ(FromProto(upcoming.evaluations(0).scheduled_time()), Jst(2024, 10, 1));
  EXPECT_FALSE(upcoming.evaluations(0).overdue());
  // Not yet within 30 days.
  r.set_within_days(30);
  EXPECT_EQ(Ok(ListUpcomingEvaluations(projects, r, lookup, Jst(2024, 8, 1))).evaluations_size(),
            0);
  // Still listed, as overdue, after the date until it is recorded.
  r.set_within_days(0);
  auto late = Ok(ListUpcomingEvaluations(projects, r, lookup, Jst(2024, 11, 1)));
  ASSERT_EQ(late.evaluations_size(), 1);
  EXPECT_TRUE(late.evaluations(0).overdue());
  ASSERT_TRUE(h.Do(Jst(2024, 10, 2), [](auto& p, auto& c) {
                 return RecordEvaluation(p, GateReq(p, 36, v1::STAGE_GATE_OUTCOME_CONTINUE, "A"),
                                         c);
               }).ok());
  projects = {h.project()};
  EXPECT_EQ(Ok(ListUpcomingEvaluations(projects, r, lookup, Jst(2024, 11, 1))).evaluations_size(),
            0);

  // A 6-month pause before the gate moves it by 6 months; the final
  // evaluation sits at the (moved) end.
  Harness paused;
  paused.CreateActive();
  ASSERT_TRUE(
      paused.Do(Jst(2023, 1, 10), [](auto& p, auto& c) { return Pause(p, PauseReq(p, 6), c); })
          .ok());
  const auto pending = PendingEvaluations(paused.project(), forest);
  ASSERT_EQ(pending.size(), 3u);
  EXPECT_EQ(FromProto(pending[0].scheduled_time()), Jst(2025, 4, 1));  // gate 36
  EXPECT_EQ(FromProto(pending[1].scheduled_time()), Jst(2029, 4, 1));  // gate 84 = end
  EXPECT_EQ(pending[2].kind(), v1::EVALUATION_KIND_FINAL);
  EXPECT_EQ(FromProto(pending[2].scheduled_time()), Jst(2029, 4, 1));
}

TEST(OverdueReportsQueryTest, AcrossProjectsOldestFirst) {
  const ProgramRules forest = ProgramRules::Forest();
  RulesLookup lookup = [&](const std::string&) { return &forest; };
  std::vector<v1::Project> projects = {ActiveProject("d1", "area-x"),
                                       ActiveProject("d2", "area-y", Jst(2022, 4, 1))};
  v1::ListOverdueReportsRequest r;
  auto all = Ok(ListOverdueReports(projects, r, lookup, Jst(2022, 6, 1)));
  // d1: FY2021 plan (due 2021-10-31), FY2021 progress (2022-05-31), FY2022 plan
  // (2022-04-30); d2: FY2022 plan (2022-05-01, 30 days after its start).
  ASSERT_EQ(all.reports_size(), 4);
  EXPECT_EQ(all.reports(0).due_date(), "2021-10-31");
  EXPECT_EQ(all.reports(1).due_date(), "2022-04-30");
  EXPECT_EQ(all.reports(2).due_date(), "2022-05-01");
  EXPECT_EQ(all.reports(3).due_date(), "2022-05-31");
  r.set_research_area_id("area-y");
  EXPECT_EQ(Ok(ListOverdueReports(projects, r, lookup, Jst(2022, 6, 1))).reports_size(), 1);
}

TEST(CountOutputsTest, CountsPerProgramWithDoisOnce) {
  auto output = [](v1::OutputKind kind, const std::string& title, const std::string& doi,
                   bool intl) {
    v1::Output o;
    o.set_kind(kind);
    o.set_title(title);
    o.set_doi(doi);
    o.set_international_coauthorship(intl);
    return o;
  };
  auto report = [&](Harness& h, int fy, std::vector<v1::Output> outputs, absl::Time now) {
    return h.Do(
        now,
        [&](auto& p, auto& c) {
          auto r = ReportReq(p, fy, v1::REPORT_KIND_PROGRESS_REPORT);
          for (auto& o : outputs) *r.add_outputs() = o;
          return SubmitReport(p, r, c);
        },
        PiActor());
  };
  Harness a;
  a.CreateActive(ForestDecision("d1"));
  Harness b;
  b.CreateActive(ForestDecision("d2"));
  ASSERT_TRUE(report(a, 2021,
                     {output(v1::OUTPUT_KIND_PUBLICATION, "Joint paper", "10.1000/ABC", false),
                      output(v1::OUTPUT_KIND_PATENT, "Patent", "", false),
                      output(v1::OUTPUT_KIND_TALK, "Keynote", "", false)},
                     Jst(2022, 5, 1))
                  .ok());
  ASSERT_TRUE(report(a, 2022,
                     {output(v1::OUTPUT_KIND_DATASET, "Data", "10.5281/zenodo.1", false),
                      output(v1::OUTPUT_KIND_AWARD, "Prize", "", false)},
                     Jst(2023, 5, 1))
                  .ok());
  // The same paper reported by the co-authoring project, with the flag.
  ASSERT_TRUE(report(b, 2021,
                     {output(v1::OUTPUT_KIND_PUBLICATION, "Joint paper", "10.1000/abc", true),
                      output(v1::OUTPUT_KIND_PUBLICATION, "Book chapter", "", false)},
                     Jst(2022, 5, 1))
                  .ok());
  std::vector<v1::Project> projects = {a.project(), b.project()};
  v1::CountOutputsRequest r;
  r.set_program_id("forest");
  auto all = Ok(CountOutputs(projects, r));
  EXPECT_EQ(all.projects(), 2);
  EXPECT_EQ(all.projects_reporting(), 2);
  EXPECT_EQ(all.publications(), 2);
  EXPECT_EQ(all.internationally_coauthored_publications(), 1);
  EXPECT_EQ(all.patents(), 1);
  EXPECT_EQ(all.talks(), 1);
  EXPECT_EQ(all.awards(), 1);
  EXPECT_EQ(all.datasets(), 1);

  r.set_fiscal_year(2022);
  auto fy2022 = Ok(CountOutputs(projects, r));
  EXPECT_EQ(fy2022.projects_reporting(), 1);
  EXPECT_EQ(fy2022.publications(), 0);
  EXPECT_EQ(fy2022.datasets(), 1);

  r.clear_program_id();
  EXPECT_EQ(core::ViolationsOf(CountOutputs(projects, r).status()).front().field, "program_id");
}

}  // namespace
}  // namespace tane::projects
