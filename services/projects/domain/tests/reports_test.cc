#include "tane/projects/reports.h"

#include <variant>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tane/core/errors.h"
#include "tane/projects/time_util.h"
#include "test_support.h"

namespace tane::projects {
namespace {

using ::testing::HasSubstr;
using namespace tane::projects::testing;  // NOLINT

TEST(DueDatesTest, DefaultsDeriveFromTheFiscalYear) {
  const ReportDuePolicy policy;
  // Progress report for FY2022 (April 2022 – March 2023): due 31 May 2023.
  EXPECT_EQ(RegularReportDeadline(policy, 2022, v1::REPORT_KIND_PROGRESS_REPORT), Jst(2023, 6, 1));
  // Annual plan for FY2022: due 30 April 2022.
  EXPECT_EQ(RegularReportDeadline(policy, 2022, v1::REPORT_KIND_ANNUAL_PLAN), Jst(2022, 5, 1));

  Harness h;
  h.CreateActive();  // starts 1 October 2021
  const auto required = RequiredReports(h.project(), h.rules());
  ASSERT_EQ(required.size(), 16u);  // FY2021..FY2028, plan + progress each
  // First plan: 30 days after the October start, not the long-gone 30 April.
  EXPECT_EQ(required[0].fiscal_year, 2021);
  EXPECT_EQ(required[0].kind, v1::REPORT_KIND_ANNUAL_PLAN);
  EXPECT_EQ(required[0].due_date, "2021-10-31");
  EXPECT_EQ(required[1].due_date, "2022-05-31");
  EXPECT_EQ(required[2].due_date, "2022-04-30");
  // The last, partial fiscal year still owes its progress report.
  EXPECT_EQ(required.back().fiscal_year, 2028);
  EXPECT_EQ(required.back().due_date, "2029-05-31");
}

TEST(DueDatesTest, PolicyIsConfigurable) {
  auto rules = ProgramRules::Forest();
  rules.reports.progress_month = 6;
  rules.reports.progress_day = 30;
  rules.reports.plan_month = 3;  // 31 March at the end of the FY (calendar year N+1)
  rules.reports.plan_day = 31;
  ASSERT_TRUE(rules.Validate().ok());
  EXPECT_EQ(RegularReportDeadline(rules.reports, 2022, v1::REPORT_KIND_PROGRESS_REPORT),
            Jst(2023, 7, 1));
  EXPECT_EQ(RegularReportDeadline(rules.reports, 2022, v1::REPORT_KIND_ANNUAL_PLAN),
            Jst(2023, 4, 1));
}

TEST(OverdueTest, OverdueExactlyFromTheDeadline) {
  Harness h;
  h.CreateActive();
  ASSERT_TRUE(h.Do(
                   Jst(2021, 10, 20),
                   [](auto& p, auto& c) {
                     return SubmitReport(p, ReportReq(p, 2021, v1::REPORT_KIND_ANNUAL_PLAN), c);
                   },
                   PiActor())
                  .ok());
  ASSERT_TRUE(h.Do(
                   Jst(2022, 4, 20),
                   [](auto& p, auto& c) {
                     return SubmitReport(p, ReportReq(p, 2022, v1::REPORT_KIND_ANNUAL_PLAN), c);
                   },
                   PiActor())
                  .ok());
  // 31 May 2022 23:59:59.999 JST: FY2021's progress report is not late yet.
  const absl::Time last_moment = Jst(2022, 6, 1) - absl::Milliseconds(1);
  EXPECT_TRUE(OverdueReports(h.project(), h.rules(), last_moment).empty());
  // 1 June 2022 00:00 JST (31 May 15:00 UTC): overdue, one day.
  auto overdue = OverdueReports(h.project(), h.rules(), Jst(2022, 6, 1));
  ASSERT_EQ(overdue.size(), 1u);
  EXPECT_EQ(overdue[0].fiscal_year(), 2021);
  EXPECT_EQ(overdue[0].kind(), v1::REPORT_KIND_PROGRESS_REPORT);
  EXPECT_EQ(overdue[0].due_date(), "2022-05-31");
  EXPECT_EQ(overdue[0].days_overdue(), 1);
  EXPECT_EQ(OverdueReports(h.project(), h.rules(), Jst(2022, 6, 11))[0].days_overdue(), 11);

  // Submitting it late clears the list and marks the report late.
  ASSERT_TRUE(h.Do(
                   Jst(2022, 6, 3),
                   [](auto& p, auto& c) {
                     auto r = ReportReq(p, 2021, v1::REPORT_KIND_PROGRESS_REPORT);
                     auto* o = r.add_outputs();
                     o->set_kind(v1::OUTPUT_KIND_PUBLICATION);
                     o->set_title("A paper");
                     o->set_doi("10.1038/s41586-021-00001-x");
                     return SubmitReport(p, r, c);
                   },
                   PiActor())
                  .ok());
  EXPECT_TRUE(OverdueReports(h.project(), h.rules(), Jst(2022, 6, 3)).empty());
  const auto& report = *h.project().reports().rbegin();
  EXPECT_TRUE(report.late());
  EXPECT_EQ(report.revision(), 1);
  EXPECT_EQ(report.submitted_by().subject(), kPi);
  const auto& e = std::get<v1::ProgressReported>(h.events().back());
  EXPECT_TRUE(e.late());
  EXPECT_EQ(e.outputs_size(), 1);
  EXPECT_THAT(h.project().history().rbegin()->description(), HasSubstr("late (due 2022-05-31)"));

  // A revision keeps the first submission's lateness and time.
  ASSERT_TRUE(h.Do(
                   Jst(2022, 7, 1),
                   [](auto& p, auto& c) {
                     return SubmitReport(p, ReportReq(p, 2021, v1::REPORT_KIND_PROGRESS_REPORT), c);
                   },
                   PiActor())
                  .ok());
  const auto& revised = *h.project().reports().rbegin();
  EXPECT_EQ(revised.revision(), 2);
  EXPECT_TRUE(revised.late());
  EXPECT_EQ(FromProto(revised.first_submitted_at()), Jst(2022, 6, 3));
  EXPECT_EQ(revised.outputs_size(), 0);
  EXPECT_EQ(h.project().reports_size(), 3);
}

TEST(OverdueTest, OnTimeAtTheLastSecond) {
  Harness h;
  h.CreateActive();
  ASSERT_TRUE(h.Do(
                   Jst(2022, 5, 31, 23, 59, 59),
                   [](auto& p, auto& c) {
                     return SubmitReport(p, ReportReq(p, 2021, v1::REPORT_KIND_PROGRESS_REPORT), c);
                   },
                   PiActor())
                  .ok());
  EXPECT_FALSE(h.project().reports(0).late());
}

TEST(OverdueTest, ContractingAndTerminatedProjectsOweOnlyWhatTheyRan) {
  Harness contracting;
  contracting.Create(ForestDecision(), Jst(2021, 9, 1));
  EXPECT_TRUE(OverdueReports(contracting.project(), contracting.rules(), Jst(2030, 1, 1)).empty());

  Harness h;
  h.CreateActive();
  auto r = TerminateReq(h.project());
  *r.mutable_effective_time() = ToProto(Jst(2022, 4, 1));
  ASSERT_TRUE(h.Do(Jst(2022, 3, 1), [&](auto& p, auto& c) { return Terminate(p, r, c); }).ok());
  const auto overdue = OverdueReports(h.project(), h.rules(), Jst(2030, 1, 1));
  ASSERT_EQ(overdue.size(), 2u);  // FY2021 plan and progress only
  EXPECT_EQ(overdue[0].fiscal_year(), 2021);
  EXPECT_EQ(overdue[1].fiscal_year(), 2021);
}

TEST(SubmitReportTest, InputAndTimingRules) {
  Harness h;
  h.CreateActive();
  const auto ctx = h.Ctx(Jst(2022, 2, 1), PiActor());
  const auto& p = h.project();
  auto future = SubmitReport(p, ReportReq(p, 2022, v1::REPORT_KIND_PROGRESS_REPORT), ctx);
  EXPECT_THAT(std::string(future.status().message()),
              HasSubstr("cannot report progress for FY2022 before it starts"));
  auto far_plan = SubmitReport(p, ReportReq(p, 2023, v1::REPORT_KIND_ANNUAL_PLAN), ctx);
  EXPECT_EQ(far_plan.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(SubmitReport(p, ReportReq(p, 2022, v1::REPORT_KIND_ANNUAL_PLAN), ctx).ok());

  auto outside = SubmitReport(p, ReportReq(p, 2020, v1::REPORT_KIND_ANNUAL_PLAN), ctx);
  EXPECT_EQ(core::ViolationsOf(outside.status()).front().field, "fiscal_year");

  auto plan_outputs = ReportReq(p, 2021, v1::REPORT_KIND_ANNUAL_PLAN);
  plan_outputs.add_outputs()->set_kind(v1::OUTPUT_KIND_TALK);
  plan_outputs.mutable_outputs(0)->set_title("t");
  EXPECT_EQ(core::ViolationsOf(SubmitReport(p, plan_outputs, ctx).status()).front().field,
            "outputs");

  auto bad = ReportReq(p, 2021, v1::REPORT_KIND_PROGRESS_REPORT);
  auto* o = bad.add_outputs();
  o->set_kind(v1::OUTPUT_KIND_PUBLICATION);
  o->set_title("x");
  o->set_doi("https://doi.org/10.1000/xyz");
  bad.add_outputs();  // no kind, no title
  auto status = SubmitReport(p, bad, ctx).status();
  const auto violations = core::ViolationsOf(status);
  ASSERT_EQ(violations.size(), 3u) << status;
  EXPECT_EQ(violations[0].field, "outputs[0].doi");
  EXPECT_EQ(violations[1].field, "outputs[1].kind");
  EXPECT_EQ(violations[2].field, "outputs[1].title");
}

}  // namespace
}  // namespace tane::projects
