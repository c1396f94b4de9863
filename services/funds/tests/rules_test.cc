#include "tane/funds/rules.h"

#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tane/core/errors.h"

namespace tane::funds {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAreArray;

FiscalYear FY(int y) { return FiscalYear(y); }

std::vector<std::string> ViolatedFields(const absl::Status& s) {
  std::vector<std::string> out;
  for (const auto& v : core::ViolationsOf(s)) out.push_back(v.field);
  return out;
}

absl::Time Jst(int y, int m, int d) { return absl::FromCivil(absl::CivilDay(y, m, d), core::TokyoTimeZone()); }

// --- ComputeAllocation -------------------------------------------------------

TEST(ComputeAllocationTest, DirectPlusIndirectRoundedDownPerYear) {
  struct Case {
    std::string name;
    std::vector<PlanLine> plan;
    Ratio rate;
    std::vector<YearTotals> years;
    std::vector<AllocationLine> lines;
  };
  const std::vector<Case> cases = {
      {"one year at 30%",
       {{FY(2024), "equipment", Yen(10'000'000)}},
       {30, 100},
       {{FY(2024), Yen(10'000'000), Yen(3'000'000), Yen(13'000'000)}},
       {{FY(2024), "equipment", Yen(10'000'000)}, {FY(2024), "indirect", Yen(3'000'000)}}},
      // Per line 333 -> 99 and 334 -> 100 would give 199; per year 667 -> 200.
      {"rounded down on the year's direct total, not per line",
       {{FY(2024), "equipment", Yen(333)}, {FY(2024), "travel", Yen(334)}},
       {30, 100},
       {{FY(2024), Yen(667), Yen(200), Yen(867)}},
       {{FY(2024), "equipment", Yen(333)}, {FY(2024), "travel", Yen(334)}, {FY(2024), "indirect", Yen(200)}}},
      {"years sorted, categories in plan order",
       {{FY(2025), "travel", Yen(100)}, {FY(2024), "personnel", Yen(1000)}, {FY(2025), "equipment", Yen(50)}},
       {30, 100},
       {{FY(2024), Yen(1000), Yen(300), Yen(1300)}, {FY(2025), Yen(150), Yen(45), Yen(195)}},
       {{FY(2024), "personnel", Yen(1000)},
        {FY(2024), "indirect", Yen(300)},
        {FY(2025), "travel", Yen(100)},
        {FY(2025), "equipment", Yen(50)},
        {FY(2025), "indirect", Yen(45)}}},
      {"no indirect costs",
       {{FY(2024), "other", Yen(999)}},
       {0, 100},
       {{FY(2024), Yen(999), Yen(0), Yen(999)}},
       {{FY(2024), "other", Yen(999)}}},
      {"another rate, 1 yen rounds to 0",
       {{FY(2024), "other", Yen(9)}},
       {10, 100},
       {{FY(2024), Yen(9), Yen(0), Yen(9)}},
       {{FY(2024), "other", Yen(9)}}},
      {"zero lines are left out",
       {{FY(2024), "other", Yen(0)}, {FY(2024), "travel", Yen(10)}},
       {30, 100},
       {{FY(2024), Yen(10), Yen(3), Yen(13)}},
       {{FY(2024), "travel", Yen(10)}, {FY(2024), "indirect", Yen(3)}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto plan = ComputeAllocation(c.plan, c.rate);
    ASSERT_TRUE(plan.ok()) << plan.status();
    EXPECT_EQ(plan->years, c.years);
    EXPECT_EQ(plan->lines, c.lines);
    Yen direct, indirect, total;
    for (const auto& y : c.years) {
      direct = Yen(direct.value() + y.direct.value());
      indirect = Yen(indirect.value() + y.indirect.value());
      total = Yen(total.value() + y.total.value());
    }
    EXPECT_EQ(plan->direct, direct);
    EXPECT_EQ(plan->indirect, indirect);
    EXPECT_EQ(plan->total, total);
  }
}

TEST(ComputeAllocationTest, InvalidPlansNameTheirFields) {
  struct Case {
    std::string name;
    std::vector<PlanLine> plan;
    Ratio rate;
    std::vector<std::string> fields;
  };
  const std::vector<Case> cases = {
      {"empty", {}, {30, 100}, {"budget_plan"}},
      {"negative", {{FY(2024), "travel", Yen(-1)}}, {30, 100}, {"budget_plan[0].direct_yen"}},
      {"indirect is computed", {{FY(2024), "indirect", Yen(1)}}, {30, 100}, {"budget_plan[0].category"}},
      {"bad category", {{FY(2024), "旅費", Yen(1)}}, {30, 100}, {"budget_plan[0].category"}},
      {"repeated", {{FY(2024), "travel", Yen(1)}, {FY(2024), "travel", Yen(2)}}, {30, 100}, {"budget_plan[1]"}},
      {"bad year", {{FY(0), "travel", Yen(1)}}, {30, 100}, {"budget_plan[0].fiscal_year"}},
      {"bad rate", {{FY(2024), "travel", Yen(1)}}, {30, 0}, {"indirect_rate"}},
      {"negative rate", {{FY(2024), "travel", Yen(1)}}, {-1, 100}, {"indirect_rate"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto plan = ComputeAllocation(c.plan, c.rate);
    EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ViolatedFields(plan.status()), c.fields);
  }
}

TEST(ComputeAllocationTest, OverflowIsOutOfRange) {
  auto plan = ComputeAllocation({{FY(2024), "a", Yen(INT64_MAX)}, {FY(2024), "b", Yen(1)}}, {30, 100});
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kOutOfRange);
  // Direct fits, direct + indirect does not.
  plan = ComputeAllocation({{FY(2024), "a", Yen(INT64_MAX / 2 + 1)}}, {100, 100});
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kOutOfRange);
}

// --- PlanBudgetDraws ---------------------------------------------------------

TEST(PlanBudgetDrawsTest, DrawsInitialThenSupplementaryThenAdjustment) {
  auto plan = ComputeAllocation(
      {{FY(2024), "equipment", Yen(700)}, {FY(2024), "travel", Yen(300)}, {FY(2025), "travel", Yen(100)}}, {30, 100});
  ASSERT_TRUE(plan.ok());
  // FY2024 needs 1300, FY2025 130.
  struct Case {
    std::string name;
    std::vector<BudgetAvailability> budget;
    std::vector<BudgetDraw> draws;
  };
  const std::vector<Case> cases = {
      {"all from initial",
       {{FY(2024), BudgetLine::kInitial, Yen(5000)}, {FY(2025), BudgetLine::kInitial, Yen(130)}},
       {{FY(2024), BudgetLine::kInitial, "equipment", Yen(700)},
        {FY(2024), BudgetLine::kInitial, "travel", Yen(300)},
        {FY(2024), BudgetLine::kInitial, "indirect", Yen(300)},
        {FY(2025), BudgetLine::kInitial, "travel", Yen(100)},
        {FY(2025), BudgetLine::kInitial, "indirect", Yen(30)}}},
      {"a line split across budget lines, given in any order",
       {{FY(2024), BudgetLine::kAdjustment, Yen(1000)},
        {FY(2024), BudgetLine::kInitial, Yen(800)},
        {FY(2024), BudgetLine::kSupplementary, Yen(0)},
        {FY(2025), BudgetLine::kSupplementary, Yen(200)}},
       {{FY(2024), BudgetLine::kInitial, "equipment", Yen(700)},
        {FY(2024), BudgetLine::kInitial, "travel", Yen(100)},
        {FY(2024), BudgetLine::kAdjustment, "travel", Yen(200)},
        {FY(2024), BudgetLine::kAdjustment, "indirect", Yen(300)},
        {FY(2025), BudgetLine::kSupplementary, "travel", Yen(100)},
        {FY(2025), BudgetLine::kSupplementary, "indirect", Yen(30)}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto draws = PlanBudgetDraws(*plan, c.budget);
    ASSERT_TRUE(draws.ok()) << draws.status();
    EXPECT_TRUE(draws->covered());
    EXPECT_EQ(draws->draws, c.draws);
    EXPECT_EQ(draws->required, Yen(1430));
    EXPECT_EQ(draws->total_shortfall, Yen(0));
  }
}

TEST(PlanBudgetDrawsTest, ShortfallMeansNoDrawsAtAll) {
  auto plan = ComputeAllocation(
      {{FY(2024), "equipment", Yen(1000)}, {FY(2025), "equipment", Yen(1000)}, {FY(2026), "equipment", Yen(1000)}},
      {30, 100});
  ASSERT_TRUE(plan.ok());
  struct Case {
    std::string name;
    std::vector<BudgetAvailability> budget;
    std::vector<YearShortfall> shortfalls;
    Yen total;
  };
  const std::vector<Case> cases = {
      {"one year short",
       {{FY(2024), BudgetLine::kInitial, Yen(1300)},
        {FY(2025), BudgetLine::kInitial, Yen(1000)},
        {FY(2025), BudgetLine::kAdjustment, Yen(200)},
        {FY(2026), BudgetLine::kInitial, Yen(9999)}},
       {{FY(2025), Yen(1300), Yen(1200), Yen(100)}},
       Yen(100)},
      {"a year with no budget at all, and another short by 1 yen",
       {{FY(2024), BudgetLine::kInitial, Yen(1299)}, {FY(2026), BudgetLine::kInitial, Yen(1300)}},
       {{FY(2024), Yen(1300), Yen(1299), Yen(1)}, {FY(2025), Yen(1300), Yen(0), Yen(1300)}},
       Yen(1301)},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto draws = PlanBudgetDraws(*plan, c.budget);
    ASSERT_TRUE(draws.ok()) << draws.status();
    EXPECT_FALSE(draws->covered());
    EXPECT_THAT(draws->draws, IsEmpty());
    EXPECT_EQ(draws->shortfalls, c.shortfalls);
    EXPECT_EQ(draws->total_shortfall, c.total);
  }
}

TEST(PlanBudgetDrawsTest, BadAvailabilityIsRefused) {
  auto plan = ComputeAllocation({{FY(2024), "equipment", Yen(1000)}}, {30, 100});
  ASSERT_TRUE(plan.ok());
  auto twice =
      PlanBudgetDraws(*plan, {{FY(2024), BudgetLine::kInitial, Yen(1)}, {FY(2024), BudgetLine::kInitial, Yen(2)}});
  EXPECT_EQ(ViolatedFields(twice.status()), std::vector<std::string>{"budget[1]"});
  auto negative = PlanBudgetDraws(*plan, {{FY(2024), BudgetLine::kInitial, Yen(-1)}});
  EXPECT_EQ(ViolatedFields(negative.status()), std::vector<std::string>{"budget[0].available_yen"});
}

// --- ScheduleDisbursements ---------------------------------------------------

TEST(ScheduleDisbursementsTest, InstallmentsSumExactly) {
  struct Case {
    std::string name;
    std::vector<CategoryAmount> allocation;
    Schedule schedule;
    absl::Time start;
    std::vector<int> quarters;
    std::vector<absl::Time> due;
    std::vector<std::vector<int64_t>> amounts;  // [installment][category]
  };
  const std::vector<Case> cases = {
      {"lump sum at the start of the year",
       {{"equipment", Yen(1000)}, {"indirect", Yen(300)}},
       Schedule::kLumpSum,
       absl::InfinitePast(),
       {0},
       {Jst(2024, 4, 1)},
       {{1000, 300}}},
      {"lump sum when the project starts mid-year",
       {{"equipment", Yen(1000)}},
       Schedule::kLumpSum,
       Jst(2024, 10, 1),
       {0},
       {Jst(2024, 10, 1)},
       {{1000}}},
      {"quarterly, remainder to the earliest quarters",
       {{"equipment", Yen(10)}, {"travel", Yen(7)}, {"other", Yen(4)}},
       Schedule::kQuarterly,
       absl::InfinitePast(),
       {1, 2, 3, 4},
       {Jst(2024, 4, 1), Jst(2024, 7, 1), Jst(2024, 10, 1), Jst(2025, 1, 1)},
       {{3, 2, 1}, {3, 2, 1}, {2, 2, 1}, {2, 1, 1}}},
      {"quarterly from an October start: two quarters",
       {{"equipment", Yen(1'000'001)}},
       Schedule::kQuarterly,
       Jst(2024, 10, 1),
       {3, 4},
       {Jst(2024, 10, 1), Jst(2025, 1, 1)},
       {{500'001}, {500'000}}},
      {"quarterly from mid-August: first installment due at the start",
       {{"equipment", Yen(3)}},
       Schedule::kQuarterly,
       Jst(2024, 8, 15),
       {2, 3, 4},
       {Jst(2024, 8, 15), Jst(2024, 10, 1), Jst(2025, 1, 1)},
       {{1}, {1}, {1}}},
      {"smaller than the quarters: zeros stay explicit",
       {{"equipment", Yen(2)}},
       Schedule::kQuarterly,
       absl::InfinitePast(),
       {1, 2, 3, 4},
       {Jst(2024, 4, 1), Jst(2024, 7, 1), Jst(2024, 10, 1), Jst(2025, 1, 1)},
       {{1}, {1}, {0}, {0}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto installments = ScheduleDisbursements(FY(2024), c.allocation, c.schedule, c.start);
    ASSERT_TRUE(installments.ok()) << installments.status();
    ASSERT_EQ(installments->size(), c.quarters.size());
    for (size_t i = 0; i < installments->size(); ++i) {
      const auto& inst = (*installments)[i];
      EXPECT_EQ(inst.quarter, c.quarters[i]);
      EXPECT_EQ(inst.due, c.due[i]) << absl::FormatTime(inst.due);
      int64_t total = 0;
      std::vector<int64_t> amounts;
      for (const auto& a : inst.amounts) {
        amounts.push_back(a.amount.value());
        total += a.amount.value();
      }
      EXPECT_EQ(amounts, c.amounts[i]);
      EXPECT_EQ(inst.total.value(), total);
    }
  }
}

TEST(ScheduleDisbursementsTest, QuartersAlwaysSumToTheAllocation) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 2000; ++i) {
    const int64_t amount = static_cast<int64_t>(rng() % 2'000'000'000'000ull);
    const absl::Time start = Jst(2024, 1 + static_cast<int>(rng() % 12), 1 + static_cast<int>(rng() % 28));
    auto installments =
        ScheduleDisbursements(FY(2024), {{"a", Yen(amount)}, {"b", Yen(amount / 3)}}, Schedule::kQuarterly,
                              start < Jst(2025, 4, 1) ? start : absl::InfinitePast());
    ASSERT_TRUE(installments.ok());
    int64_t a = 0, b = 0;
    for (const auto& inst : *installments) {
      for (const auto& c : inst.amounts) (c.category == "a" ? a : b) += c.amount.value();
    }
    ASSERT_EQ(a, amount);
    ASSERT_EQ(b, amount / 3);
  }
}

TEST(ScheduleDisbursementsTest, EdgeCases) {
  auto nothing = ScheduleDisbursements(FY(2024), {{"equipment", Yen(0)}}, Schedule::kQuarterly);
  ASSERT_TRUE(nothing.ok());
  EXPECT_THAT(*nothing, IsEmpty());
  auto negative = ScheduleDisbursements(FY(2024), {{"equipment", Yen(-1)}}, Schedule::kLumpSum);
  EXPECT_EQ(ViolatedFields(negative.status()), std::vector<std::string>{"allocation[0].amount_yen"});
  auto late = ScheduleDisbursements(FY(2024), {{"equipment", Yen(1)}}, Schedule::kLumpSum, Jst(2025, 4, 1));
  EXPECT_EQ(ViolatedFields(late.status()), std::vector<std::string>{"project_start"});
}

// --- SplitProportionally -----------------------------------------------------

TEST(SplitProportionallyTest, LargestRemainder) {
  struct Case {
    int64_t total;
    std::vector<int64_t> weights;
    std::vector<int64_t> parts;
  };
  const std::vector<Case> cases = {
      {100, {1, 1, 1}, {34, 33, 33}},
      {10, {1, 2}, {3, 7}},
      {0, {0, 0}, {0, 0}},
      {7, {0, 5}, {0, 7}},
      {INT64_MAX, {INT64_MAX, INT64_MAX}, {INT64_MAX / 2 + 1, INT64_MAX / 2}},
      {5, {2, 2, 1}, {2, 2, 1}},
      {1, {1, 1, 1}, {1, 0, 0}},
  };
  for (const auto& c : cases) {
    std::vector<Yen> weights;
    for (int64_t w : c.weights) weights.push_back(Yen(w));
    auto parts = SplitProportionally(Yen(c.total), weights);
    ASSERT_TRUE(parts.ok()) << parts.status();
    std::vector<int64_t> got;
    for (Yen p : *parts) got.push_back(p.value());
    EXPECT_EQ(got, c.parts) << c.total;
  }
  EXPECT_FALSE(SplitProportionally(Yen(1), {Yen(0)}).ok());
  EXPECT_FALSE(SplitProportionally(Yen(-1), {Yen(1)}).ok());
  EXPECT_FALSE(SplitProportionally(Yen(1), {Yen(-1), Yen(2)}).ok());
}

// --- CheckReallocation -------------------------------------------------------

TEST(CheckReallocationTest, FiftyPercentOfDirectCostsWithoutApproval) {
  // Planned direct total 1000: free limit 500 per category change.
  const std::vector<CategoryAmount> planned = {{"equipment", Yen(600)}, {"travel", Yen(300)}, {"other", Yen(100)}};
  const ReallocationApproval approval{"ap-1", "equipment", "travel", Yen(550)};
  struct Case {
    std::string name;
    std::vector<CategoryAmount> current;
    std::string from, to;
    int64_t amount;
    std::optional<ReallocationApproval> approval;
    absl::StatusCode code;
    bool approval_used;
  };
  const std::vector<Case> cases = {
      {"small move", planned, "equipment", "travel", 100, std::nullopt, absl::StatusCode::kOk, false},
      {"exactly at the limit", planned, "equipment", "travel", 500, std::nullopt, absl::StatusCode::kOk, false},
      {"1 yen beyond", planned, "equipment", "travel", 501, std::nullopt, absl::StatusCode::kFailedPrecondition, false},
      {"beyond with approval", planned, "equipment", "travel", 550, approval, absl::StatusCode::kOk, true},
      {"approval too small", planned, "equipment", "travel", 551, approval, absl::StatusCode::kFailedPrecondition,
       false},
      {"approval for another pair", planned, "equipment", "other", 550, approval, absl::StatusCode::kFailedPrecondition,
       false},
      {"cumulative change counts against the plan",
       {{"equipment", Yen(200)}, {"travel", Yen(700)}, {"other", Yen(100)}},
       "equipment",
       "travel",
       101,
       std::nullopt,
       absl::StatusCode::kFailedPrecondition,
       false},
      {"moving back toward the plan is free",
       {{"equipment", Yen(0)}, {"travel", Yen(900)}, {"other", Yen(100)}},
       "travel",
       "equipment",
       200,
       std::nullopt,
       absl::StatusCode::kOk,
       false},
      {"a new category", planned, "other", "personnel", 100, std::nullopt, absl::StatusCode::kOk, false},
      {"not enough in the source", planned, "other", "travel", 101, std::nullopt, absl::StatusCode::kFailedPrecondition,
       false},
      {"indirect never moves", planned, "indirect", "travel", 1, std::nullopt, absl::StatusCode::kInvalidArgument,
       false},
      {"same category", planned, "travel", "travel", 1, std::nullopt, absl::StatusCode::kInvalidArgument, false},
      {"zero", planned, "equipment", "travel", 0, std::nullopt, absl::StatusCode::kInvalidArgument, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto d = CheckReallocation(ProgramRules{}, planned, c.current, c.from, c.to, Yen(c.amount), c.approval);
    EXPECT_EQ(d.status().code(), c.code) << d.status();
    if (d.ok()) {
      EXPECT_EQ(d->free_limit, Yen(500));
      EXPECT_EQ(d->approval_used, c.approval_used);
    }
  }
}

TEST(CheckReallocationTest, FloorAppliesWhenLarger) {
  ProgramRules rules;
  rules.reallocation_free_floor = Yen(3'000'000);
  const std::vector<CategoryAmount> planned = {{"equipment", Yen(4'000'000)}, {"travel", Yen(0)}};
  auto d = CheckReallocation(rules, planned, planned, "equipment", "travel", Yen(3'000'000), std::nullopt);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->free_limit, Yen(3'000'000));
  EXPECT_FALSE(CheckReallocation(rules, planned, planned, "equipment", "travel", Yen(3'000'001), std::nullopt).ok());
}

// --- CloseFiscalYear ---------------------------------------------------------

std::vector<AccountBalance> YearEndBalances() {
  return {
      {ProgramBudgetAccount(FY(2024), BudgetLine::kInitial), Yen(5000)},
      {ProjectAllocationAccount("p1", FY(2024), "equipment"), Yen(300)},
      {ProjectAllocationAccount("p1", FY(2024), "travel"), Yen(0)},
      {InstitutionPayableAccount("p1", FY(2024), "inst"), Yen(200)},
      {ProjectAllocationAccount("p2", FY(2024), "travel"), Yen(100)},
      {ProjectExpenseAccount("p1", FY(2024), "equipment"), Yen(9999)},  // spent: ignored
  };
}

TEST(CloseFiscalYearTest, Rules) {
  const auto next_budget = ProgramBudgetAccount(FY(2025), BudgetLine::kInitial);
  const auto returned = ReturnedFundsAccount(FY(2024));
  const auto b = YearEndBalances();
  struct Case {
    std::string name;
    Instrument instrument;
    std::vector<CarryOverApproval> approvals;
    std::vector<LedgerMove> moves;
    int64_t carried, returned;
  };
  const std::vector<Case> cases = {
      {"基金: everything carries over without approval",
       Instrument::kFund,
       {},
       {{b[0].account, next_budget, Yen(5000), "carry_over"},
        {b[1].account, ProjectAllocationAccount("p1", FY(2025), "equipment"), Yen(300), "carry_over"},
        {b[3].account, InstitutionPayableAccount("p1", FY(2025), "inst"), Yen(200), "carry_over"},
        {b[4].account, ProjectAllocationAccount("p2", FY(2025), "travel"), Yen(100), "carry_over"}},
       5600,
       0},
      {"補助金 without approval: everything is returned",
       Instrument::kGrant,
       {},
       {{b[0].account, returned, Yen(5000), "return"},
        {b[1].account, returned, Yen(300), "return"},
        {b[3].account, returned, Yen(200), "return"},
        {b[4].account, returned, Yen(100), "return"}},
       0,
       5600},
      {"補助金 with approved 繰越: up to the approved amount, the rest returned",
       Instrument::kGrant,
       {{"p1", "k-1", Yen(400)}, {"", "k-2", Yen(1000)}},
       {{b[0].account, next_budget, Yen(1000), "carry_over"},
        {b[0].account, returned, Yen(4000), "return"},
        {b[1].account, ProjectAllocationAccount("p1", FY(2025), "equipment"), Yen(300), "carry_over"},
        {b[3].account, InstitutionPayableAccount("p1", FY(2025), "inst"), Yen(100), "carry_over"},
        {b[3].account, returned, Yen(100), "return"},
        {b[4].account, returned, Yen(100), "return"}},
       1400,
       4200},
      {"委託 follows the single-year rule",
       Instrument::kContract,
       {{"p2", "k-3", Yen(1'000'000)}},
       {{b[0].account, returned, Yen(5000), "return"},
        {b[1].account, returned, Yen(300), "return"},
        {b[3].account, returned, Yen(200), "return"},
        {b[4].account, ProjectAllocationAccount("p2", FY(2025), "travel"), Yen(100), "carry_over"}},
       100,
       5500},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ProgramRules rules;
    rules.instrument = c.instrument;
    auto r = CloseFiscalYear(rules, FY(2024), b, c.approvals);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->moves, c.moves);
    EXPECT_EQ(r->carried_over, Yen(c.carried));
    EXPECT_EQ(r->returned, Yen(c.returned));
    // Money is conserved: what leaves the year is exactly its unspent balance.
    EXPECT_EQ(r->carried_over.value() + r->returned.value(), 5600);
  }
}

TEST(CloseFiscalYearTest, InvalidInput) {
  ProgramRules fund;
  fund.instrument = Instrument::kFund;
  auto approval_for_fund = CloseFiscalYear(fund, FY(2024), YearEndBalances(), {{"p1", "k", Yen(1)}});
  EXPECT_EQ(ViolatedFields(approval_for_fund.status()), std::vector<std::string>{"carry_over_approvals[0]"});
  auto wrong_year = CloseFiscalYear(ProgramRules{}, FY(2023), YearEndBalances(), {});
  EXPECT_EQ(wrong_year.status().code(), absl::StatusCode::kInvalidArgument);
  auto twice = CloseFiscalYear(ProgramRules{}, FY(2024), YearEndBalances(), {{"p1", "a", Yen(1)}, {"p1", "b", Yen(1)}});
  EXPECT_EQ(ViolatedFields(twice.status()), std::vector<std::string>{"carry_over_approvals[1].project_id"});
  auto negative =
      CloseFiscalYear(ProgramRules{}, FY(2024), {{ProjectAllocationAccount("p1", FY(2024), "x"), Yen(-1)}}, {});
  EXPECT_EQ(negative.status().code(), absl::StatusCode::kInvalidArgument);
}

// --- CheckAdvanceUse ---------------------------------------------------------

TEST(CheckAdvanceUseTest, OnlyForFundsWithinTheLimit) {
  struct Case {
    std::string name;
    Instrument instrument;
    Ratio limit;
    int64_t next_year, already, requested;
    absl::StatusCode code;
    int64_t remaining;
  };
  const std::vector<Case> cases = {
      {"基金 within the limit", Instrument::kFund, {100, 100}, 1000, 0, 400, absl::StatusCode::kOk, 600},
      {"基金 all of next year", Instrument::kFund, {100, 100}, 1000, 600, 400, absl::StatusCode::kOk, 0},
      {"基金 beyond", Instrument::kFund, {100, 100}, 1000, 600, 401, absl::StatusCode::kFailedPrecondition, 0},
      {"基金 with a 50% limit", Instrument::kFund, {50, 100}, 1001, 0, 500, absl::StatusCode::kOk, 0},
      {"基金 with a 50% limit, 1 beyond",
       Instrument::kFund,
       {50, 100},
       1001,
       0,
       501,
       absl::StatusCode::kFailedPrecondition,
       0},
      {"補助金 never", Instrument::kGrant, {100, 100}, 1000, 0, 1, absl::StatusCode::kFailedPrecondition, 0},
      {"nothing requested", Instrument::kFund, {100, 100}, 1000, 0, 0, absl::StatusCode::kInvalidArgument, 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ProgramRules rules;
    rules.instrument = c.instrument;
    rules.advance_use_limit = c.limit;
    auto d = CheckAdvanceUse(rules, Yen(c.next_year), Yen(c.already), Yen(c.requested));
    EXPECT_EQ(d.status().code(), c.code) << d.status();
    if (d.ok()) {
      EXPECT_EQ(d->remaining, Yen(c.remaining));
    }
  }
}

// --- ReleaseOnTermination ----------------------------------------------------

TEST(ReleaseOnTerminationTest, FutureYearsGoBackToTheProgramBudget) {
  const std::vector<AccountBalance> balances = {
      {ProjectAllocationAccount("p1", FY(2024), "equipment"), Yen(100)},  // last year: stays
      {ProjectAllocationAccount("p1", FY(2025), "equipment"), Yen(200)},
      {ProjectAllocationAccount("p1", FY(2025), "indirect"), Yen(60)},
      {ProjectAllocationAccount("p1", FY(2026), "travel"), Yen(0)},    // nothing to release
      {ProjectAllocationAccount("p2", FY(2026), "travel"), Yen(500)},  // another project
      {InstitutionPayableAccount("p1", FY(2025), "inst"), Yen(70)},    // already paid: not released
  };
  auto moves = ReleaseOnTermination("p1", FY(2024), balances);
  ASSERT_TRUE(moves.ok()) << moves.status();
  const auto budget = ProgramBudgetAccount(FY(2025), BudgetLine::kInitial);
  EXPECT_THAT(*moves, ElementsAre(LedgerMove{balances[1].account, budget, Yen(200), "release"},
                                  LedgerMove{balances[2].account, budget, Yen(60), "release"}));
  auto adjustment = ReleaseOnTermination("p1", FY(2023), balances, BudgetLine::kAdjustment);
  ASSERT_TRUE(adjustment.ok());
  EXPECT_EQ(adjustment->size(), 3u);
  EXPECT_EQ(adjustment->front().to, ProgramBudgetAccount(FY(2024), BudgetLine::kAdjustment));
  EXPECT_FALSE(ReleaseOnTermination("p1", FY(2024), {{ProjectAllocationAccount("p1", FY(2025), "x"), Yen(-1)}}).ok());
}

// --- ReviseAllocation ----------------------------------------------------------

TEST(ReviseAllocationTest, GrowthIsDrawnCutsReleaseWhatIsUndisbursed) {
  const Ratio thirty{30, 100};
  // Today: FY2024 equipment 1000 (+300 indirect), FY2025 equipment 1000 (+300)
  // and travel 500 (+150) ... as one 450 indirect line; 600 of FY2025
  // equipment was already disbursed.
  const std::vector<AllocatedAmount> current = {
      {FY(2024), "equipment", Yen(1000), Yen(1000)}, {FY(2024), "indirect", Yen(300), Yen(300)},
      {FY(2025), "equipment", Yen(1000), Yen(400)},  {FY(2025), "travel", Yen(500), Yen(500)},
      {FY(2025), "indirect", Yen(450), Yen(450)},
  };
  struct Case {
    std::string name;
    std::vector<PlanLine> plan;
    FiscalYear from{2025};
    std::vector<AllocationLine> increases;
    std::vector<std::pair<std::string, int64_t>> releases;  // account, amount
    std::vector<AllocationLine> unreleasable;
  };
  const std::vector<Case> cases = {
      {"unchanged plan: nothing",
       {{FY(2024), "equipment", Yen(1000)}, {FY(2025), "equipment", Yen(1000)}, {FY(2025), "travel", Yen(500)}},
       FY(2025), {}, {}, {}},
      {"growth of one line: the line and its indirect share",
       {{FY(2025), "equipment", Yen(2000)}, {FY(2025), "travel", Yen(500)}},
       FY(2025), {{FY(2025), "equipment", Yen(1000)}, {FY(2025), "indirect", Yen(300)}}, {}, {}},
      {"30% cut (an evaluation): released within what is undisbursed",
       {{FY(2025), "equipment", Yen(700)}, {FY(2025), "travel", Yen(350)}},
       FY(2025), {},
       {{"alloc.p1.2025.equipment", 300}, {"alloc.p1.2025.travel", 150}, {"alloc.p1.2025.indirect", 135}}, {}},
      {"cut beyond the undisbursed money: the rest is reported",
       {{FY(2025), "equipment", Yen(100)}, {FY(2025), "travel", Yen(500)}},
       FY(2025), {},
       {{"alloc.p1.2025.equipment", 400}, {"alloc.p1.2025.indirect", 270}},
       {{FY(2025), "equipment", Yen(500)}}},
      {"a year dropped from the plan is cut whole; earlier years untouched",
       {{FY(2024), "equipment", Yen(1)}}, FY(2025), {},
       {{"alloc.p1.2025.equipment", 400}, {"alloc.p1.2025.travel", 500}, {"alloc.p1.2025.indirect", 450}},
       {{FY(2025), "equipment", Yen(600)}}},
      {"an added year (extension) is drawn whole, indirect last",
       {{FY(2025), "equipment", Yen(1000)}, {FY(2025), "travel", Yen(500)}, {FY(2026), "other", Yen(10)},
        {FY(2026), "equipment", Yen(20)}},
       FY(2025), {{FY(2026), "equipment", Yen(20)}, {FY(2026), "other", Yen(10)}, {FY(2026), "indirect", Yen(9)}},
       {}, {}},
  };
  for (const auto& c : cases) {
    auto r = ReviseAllocation("p1", c.plan, thirty, c.from, current);
    ASSERT_TRUE(r.ok()) << c.name << ": " << r.status();
    EXPECT_EQ(r->increases.lines, c.increases) << c.name;
    std::vector<std::pair<std::string, int64_t>> releases;
    for (const auto& m : r->releases) {
      EXPECT_EQ(m.code, "release") << c.name;
      EXPECT_EQ(m.to, ProgramBudgetAccount(FY(2025), BudgetLine::kInitial)) << c.name;
      releases.emplace_back(m.from.id, m.amount.value());
    }
    EXPECT_THAT(releases, UnorderedElementsAreArray(c.releases)) << c.name;
    EXPECT_EQ(r->unreleasable, c.unreleasable) << c.name;
    Yen total;
    for (const auto& y : r->increases.years) total = Yen(total.value() + y.total.value());
    EXPECT_EQ(total, r->increases.total) << c.name;
    EXPECT_EQ(r->empty(), c.increases.empty() && c.releases.empty()) << c.name;
  }
}

TEST(ReviseAllocationTest, IncreasesFeedPlanBudgetDraws) {
  auto r = ReviseAllocation("p1", {{FY(2025), "equipment", Yen(100)}}, Ratio{30, 100}, FY(2025), {});
  ASSERT_TRUE(r.ok());
  auto draws = PlanBudgetDraws(r->increases, {{FY(2025), BudgetLine::kInitial, Yen(120)}});
  ASSERT_TRUE(draws.ok());
  EXPECT_FALSE(draws->covered());
  EXPECT_EQ(draws->total_shortfall, Yen(10));
}

TEST(ReviseAllocationTest, BadInputIsRefused) {
  EXPECT_FALSE(ReviseAllocation("p 1", {}, Ratio{30, 100}, FY(2025), {}).ok());
  EXPECT_FALSE(ReviseAllocation("p1", {}, Ratio{30, 100}, FY(2025), {{FY(2025), "x", Yen(-1), Yen(0)}}).ok());
  EXPECT_FALSE(ReviseAllocation("p1", {{FY(2025), "indirect", Yen(1)}}, Ratio{30, 100}, FY(2025), {}).ok());
  auto twice = ReviseAllocation("p1", {}, Ratio{30, 100}, FY(2025),
                                {{FY(2025), "x", Yen(1), Yen(1)}, {FY(2025), "x", Yen(1), Yen(1)}});
  EXPECT_EQ(twice.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tane::funds
