// Reports from hand-built accounts: balances and turnover by code.
#include "tane/funds/reports.h"

#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tane::funds {
namespace {

using core::FiscalYear;
using core::Yen;

Account Make(AccountSpec spec, int64_t balance, std::map<std::string, std::pair<int64_t, int64_t>> turnover,
             int64_t pending_debits = 0, int64_t pending_credits = 0) {
  Account a;
  a.program_id = "crest";
  a.spec = std::move(spec);
  a.balance = Yen(balance);
  a.pending_debits = Yen(pending_debits);
  a.pending_credits = Yen(pending_credits);
  for (const auto& [code, dc] : turnover) a.turnover[code] = {Yen(dc.first), Yen(dc.second)};
  return a;
}

// FY2024: 1000 loaded; p1 got 300 equipment + 90 indirect, moved 50 of
// equipment to travel, was paid 200 of equipment, spent 120 on equipment;
// p2 holds a 100 reservation. FY2023 closed with 40 carried into p1's 2024
// equipment and 10 returned.
std::vector<Account> Accounts() {
  const FiscalYear fy24(2024), fy23(2023);
  return {
      Make(ProgramBudgetAccount(fy24, BudgetLine::kInitial), 610, {{"budget_load", {0, 1000}}, {"allocation", {390, 0}}},
           /*pending_debits=*/100),
      Make(ProjectAllocationAccount("p1", fy24, "equipment"), 90,
           {{"allocation", {0, 300}}, {"reallocation", {50, 0}}, {"disbursement", {200, 0}}, {"carry_over", {0, 40}}}),
      Make(ProjectAllocationAccount("p1", fy24, "travel"), 50, {{"reallocation", {0, 50}}}),
      Make(ProjectAllocationAccount("p1", fy24, "indirect"), 90, {{"allocation", {0, 90}}}),
      Make(InstitutionPayableAccount("p1", fy24, "u-tokyo"), 80, {{"disbursement", {0, 200}}, {"expense", {120, 0}}}),
      Make(ProjectExpenseAccount("p1", fy24, "equipment"), 120, {{"expense", {0, 120}}}),
      Make(ProjectAllocationAccount("p2", fy24, "equipment"), 0, {}, 0, /*pending_credits=*/100),
      Make(ProjectAllocationAccount("p1", fy23, "equipment"), 0, {{"carry_over", {40, 0}}, {"return", {10, 0}},
                                                                  {"allocation", {0, 50}}}),
      Make(ReturnedFundsAccount(fy23), 10, {{"return", {0, 10}}}),
      Make(ExternalSourceAccount("mext"), -1000, {{"budget_load", {1000, 0}}}),
  };
}

TEST(ReportsTest, ProjectAllocationsPerYearAndCategory) {
  auto all = ProjectAllocations("crest", Accounts(), "p1");
  ASSERT_TRUE(all.ok()) << all.status();
  const std::vector<v1::Allocation>& allocations = *all;
  ASSERT_EQ(allocations.size(), 2u);
  const v1::Allocation& y24 = allocations[1];
  EXPECT_EQ(y24.fiscal_year(), 2024);
  ASSERT_EQ(y24.categories_size(), 3);
  EXPECT_EQ(y24.categories(0).category(), "equipment");
  EXPECT_EQ(y24.categories(1).category(), "travel");
  EXPECT_EQ(y24.categories(2).category(), "indirect");  // indirect last
  const auto& equipment = y24.categories(0);
  EXPECT_EQ(equipment.allocated_yen(), 250);
  EXPECT_EQ(equipment.disbursed_yen(), 200);
  EXPECT_EQ(equipment.spent_yen(), 120);
  EXPECT_EQ(equipment.carried_in_yen(), 40);
  // undisbursed = allocated + carried in - carried out - returned - disbursed
  EXPECT_EQ(equipment.undisbursed_yen(), 250 + 40 - 200);
  EXPECT_EQ(y24.direct_yen(), 300);
  EXPECT_EQ(y24.indirect_yen(), 90);
  EXPECT_EQ(y24.total_yen(), 390);
  EXPECT_EQ(y24.unspent_yen(), 80);
  EXPECT_EQ(y24.undisbursed_yen(), 230);
  const v1::Allocation& y23 = allocations[0];
  EXPECT_EQ(y23.carried_out_yen(), 40);
  EXPECT_EQ(y23.returned_yen(), 10);

  auto p2 = ProjectAllocations("crest", Accounts(), "p2", 2024);
  ASSERT_TRUE(p2.ok()) << p2.status();
  ASSERT_EQ(p2->size(), 1u);
  EXPECT_EQ((*p2)[0].reserved_yen(), 100);
  EXPECT_EQ((*p2)[0].total_yen(), 0);
  EXPECT_TRUE(ProjectAllocations("crest", Accounts(), "p3")->empty());
}

// Sums near INT64_MAX are refused with the field, never wrapped.
TEST(ReportsTest, ProjectAllocationSumsBeyondInt64AreOutOfRange) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  const FiscalYear fy(2024);
  struct Case {
    std::string name;
    std::vector<Account> accounts;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"two payables' unspent",
       {Make(InstitutionPayableAccount("p1", fy, "u-tokyo"), kMax - 1, {}),
        Make(InstitutionPayableAccount("p1", fy, "kyoto-u"), 2, {})},
       "unspent_yen"},
      {"direct categories",
       {Make(ProjectAllocationAccount("p1", fy, "equipment"), 0, {{"allocation", {0, kMax}}}),
        Make(ProjectAllocationAccount("p1", fy, "travel"), 0, {{"allocation", {0, 1}}})},
       "direct_yen"},
      {"direct plus indirect",
       {Make(ProjectAllocationAccount("p1", fy, "equipment"), 0, {{"allocation", {0, kMax - 5}}}),
        Make(ProjectAllocationAccount("p1", fy, "indirect"), 0, {{"allocation", {0, 6}}})},
       "total_yen"},
      {"undisbursed over categories",
       {Make(ProjectAllocationAccount("p1", fy, "equipment"), kMax, {}),
        Make(ProjectAllocationAccount("p1", fy, "travel"), kMax, {})},
       "undisbursed_yen"},
  };
  for (const auto& c : cases) {
    auto allocations = ProjectAllocations("crest", c.accounts, "p1");
    EXPECT_EQ(allocations.status().code(), absl::StatusCode::kOutOfRange) << c.name;
    EXPECT_THAT(allocations.status().message(), ::testing::HasSubstr(c.field + " of project p1 FY2024")) << c.name;
  }
  // At the bound exactly, it adds up.
  auto at_bound = ProjectAllocations("crest",
                                     {Make(InstitutionPayableAccount("p1", fy, "u-tokyo"), kMax - 2, {}),
                                      Make(InstitutionPayableAccount("p1", fy, "kyoto-u"), 2, {})},
                                     "p1");
  ASSERT_TRUE(at_bound.ok()) << at_bound.status();
  EXPECT_EQ((*at_bound)[0].unspent_yen(), kMax);
}

TEST(ReportsTest, BudgetPerFiscalYear) {
  auto report = BudgetReport("crest", Accounts());
  ASSERT_EQ(report.fiscal_years_size(), 2);
  const auto& y24 = report.fiscal_years(1);
  EXPECT_EQ(y24.fiscal_year(), 2024);
  EXPECT_EQ(y24.budget_yen(), 1000);
  EXPECT_EQ(y24.allocated_yen(), 390);
  EXPECT_EQ(y24.reserved_yen(), 100);
  EXPECT_EQ(y24.disbursed_yen(), 200);
  EXPECT_EQ(y24.spent_yen(), 120);
  EXPECT_EQ(y24.unallocated_yen(), 610);
  EXPECT_EQ(y24.carried_in_yen(), 40);
  EXPECT_EQ(report.fiscal_years(0).returned_yen(), 10);
  EXPECT_EQ(report.fiscal_years(0).carried_out_yen(), 40);
  EXPECT_EQ(BudgetReport("crest", Accounts(), 2024, 2024).fiscal_years_size(), 1);
  EXPECT_EQ(BudgetReport("crest", Accounts(), 2025).fiscal_years_size(), 0);
}

TEST(ReportsTest, InstitutionsAndCsv) {
  auto report = InstitutionReport("crest", Accounts());
  ASSERT_EQ(report.institutions_size(), 1);
  EXPECT_EQ(report.institutions(0).institution_id(), "u-tokyo");
  EXPECT_EQ(report.institutions(0).projects(), 1);
  EXPECT_EQ(report.institutions(0).disbursed_yen(), 200);
  EXPECT_EQ(report.institutions(0).spent_yen(), 120);
  EXPECT_EQ(report.institutions(0).unspent_yen(), 80);
  EXPECT_EQ(InstitutionsCsv(report),
            "program_id,institution_id,fiscal_year,projects,disbursed_yen,spent_yen,unspent_yen,carried_in_yen,"
            "carried_out_yen,returned_yen\r\ncrest,u-tokyo,2024,1,200,120,80,0,0,0\r\n");
  EXPECT_THAT(BudgetCsv(BudgetReport("crest", Accounts())), ::testing::HasSubstr("\r\ncrest,2024,1000,390,100,200,120,610,40,0,0\r\n"));
  EXPECT_THAT(ProjectsCsv(*ProjectAllocations("crest", Accounts(), "p1", 2024)),
              ::testing::HasSubstr("\r\ncrest,p1,2024,equipment,250,0,200,120,90,40,0,0\r\n"));
  auto amounts = AllocatedAmounts(Accounts(), "p1");
  EXPECT_EQ(amounts.size(), 4u);
}

}  // namespace
}  // namespace tane::funds
