#include "tane/funds/accounts.h"

#include "gtest/gtest.h"

namespace tane::funds {
namespace {

using core::FiscalYear;

TEST(AccountsTest, NamesFollowTheChartOfAccounts) {
  struct Case {
    AccountSpec spec;
    std::string id;
    AccountKind kind;
    bool must_not_go_negative;
  };
  const Case cases[] = {
      {ExternalSourceAccount("mext"), "external.mext", AccountKind::kExternalSource, false},
      {ProgramBudgetAccount(FiscalYear(2024), BudgetLine::kSupplementary), "budget.2024.supplementary",
       AccountKind::kProgramBudget, true},
      {ProjectAllocationAccount("p-1", FiscalYear(2024), "equipment"), "alloc.p-1.2024.equipment",
       AccountKind::kProjectAllocation, true},
      {InstitutionPayableAccount("p-1", FiscalYear(2025), "u-tokyo"), "payable.p-1.2025.u-tokyo",
       AccountKind::kInstitutionPayable, true},
      {ProjectExpenseAccount("p-1", FiscalYear(2025), "travel"), "spent.p-1.2025.travel", AccountKind::kProjectExpense,
       true},
      {ReturnedFundsAccount(FiscalYear(2025)), "returned.2025", AccountKind::kReturnedFunds, true},
      {ClearingAccount(), "clearing", AccountKind::kClearing, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.id);
    EXPECT_EQ(c.spec.id, c.id);
    EXPECT_EQ(c.spec.kind, c.kind);
    EXPECT_EQ(c.spec.must_not_go_negative, c.must_not_go_negative);
    EXPECT_TRUE(ValidateAccountSpec(c.spec).ok()) << ValidateAccountSpec(c.spec);
    EXPECT_EQ(ParseAccountKind(AccountKindName(c.kind)), c.kind);
  }
  for (BudgetLine l : {BudgetLine::kInitial, BudgetLine::kSupplementary, BudgetLine::kAdjustment}) {
    EXPECT_EQ(ParseBudgetLine(BudgetLineName(l)), l);
  }
}

TEST(AccountsTest, IdSyntax) {
  struct Case {
    std::string id;
    bool account;
    bool transfer;
  };
  const Case cases[] = {
      {"budget.2024.initial", true, true},
      {"alloc.3f2a-9c.2024.equipment", true, true},
      {"", false, false},
      {"a..b", false, true},
      {".a", false, true},
      {"a b", false, false},
      {"a/b", false, false},
      {"予算", false, false},
      {"alloc:1", false, true},
      {std::string(129, 'x'), false, false},
      {std::string(128, 'x'), false, true},
      {std::string(100, 'x'), true, true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.id);
    EXPECT_EQ(IsValidAccountId(c.id), c.account);
    EXPECT_EQ(IsValidTransferId(c.id), c.transfer);
  }
}

TEST(AccountsTest, SpecsThatDoNotFitTheirKindAreRefused) {
  AccountSpec external = ExternalSourceAccount("mext");
  external.must_not_go_negative = true;
  AccountSpec budget = ProgramBudgetAccount(FiscalYear(2024), BudgetLine::kInitial);
  budget.budget_line.reset();
  AccountSpec alloc = ProjectAllocationAccount("p1", FiscalYear(2024), "travel");
  alloc.must_not_go_negative = false;
  AccountSpec payable = InstitutionPayableAccount("p1", FiscalYear(2024), "");
  AccountSpec bad_id = ClearingAccount();
  bad_id.id = "clearing/1";
  for (const auto* spec : {&external, &budget, &alloc, &payable, &bad_id}) {
    EXPECT_EQ(ValidateAccountSpec(*spec).code(), absl::StatusCode::kInvalidArgument) << spec->id;
  }
}

}  // namespace
}  // namespace tane::funds
