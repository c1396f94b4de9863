#pragma once
/// The funds ledger's chart of accounts. Pure: names and attributes only.
///
/// Every account belongs to one program (its "book") and is named uniquely
/// within it by dot-separated components, e.g.
///
///   external.mext                      money entering the system (may go negative)
///   budget.2024.initial                program budget per FY and budget line
///   alloc.<project>.2024.equipment     project allocation per FY and category
///   payable.<project>.2024.<inst>      disbursed to the host institution, unspent
///   spent.<project>.2024.equipment     reported as spent
///   returned.2024                      returned at FY close / termination
///   clearing                           transit for moves between programs
///
/// Components may use [A-Za-z0-9_-] only, so ids are safe in URL path segments
/// and never ambiguous.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "tane/core/time.h"

namespace tane::funds {

enum class AccountKind {
  kExternalSource,
  kProgramBudget,
  kProjectAllocation,
  kInstitutionPayable,
  kProjectExpense,
  kReturnedFunds,
  kClearing,
};

enum class BudgetLine { kInitial, kSupplementary, kAdjustment };

/// "external_source", "program_budget", ...
const char* AccountKindName(AccountKind kind);
std::optional<AccountKind> ParseAccountKind(std::string_view name);
/// "initial", "supplementary", "adjustment"
const char* BudgetLineName(BudgetLine line);
std::optional<BudgetLine> ParseBudgetLine(std::string_view name);

/// The category name reserved for indirect costs (間接経費).
inline constexpr std::string_view kIndirectCategory = "indirect";

/// What an account is. Two opens of the same id must agree on all of it.
struct AccountSpec {
  std::string id;
  AccountKind kind = AccountKind::kClearing;
  bool must_not_go_negative = true;
  int fiscal_year = 0;  // 0 when not per fiscal year
  std::string project_id;
  std::string category;
  std::optional<BudgetLine> budget_line;
  std::string institution_id;

  friend bool operator==(const AccountSpec&, const AccountSpec&) = default;
};

AccountSpec ExternalSourceAccount(std::string_view source);
AccountSpec ProgramBudgetAccount(core::FiscalYear fy, BudgetLine line);
AccountSpec ProjectAllocationAccount(std::string_view project_id, core::FiscalYear fy, std::string_view category);
AccountSpec InstitutionPayableAccount(std::string_view project_id, core::FiscalYear fy,
                                      std::string_view institution_id);
AccountSpec ProjectExpenseAccount(std::string_view project_id, core::FiscalYear fy, std::string_view category);
AccountSpec ReturnedFundsAccount(core::FiscalYear fy);
AccountSpec ClearingAccount();

/// True for a non-empty id component of [A-Za-z0-9_-], at most 100 bytes.
bool IsValidIdComponent(std::string_view component);
/// True for 1..255 bytes of dot-separated valid components.
bool IsValidAccountId(std::string_view id);
/// True for 1..128 bytes of [A-Za-z0-9_.:-] (UUIDs and "<scope>:<key>" ids).
bool IsValidTransferId(std::string_view id);
/// INVALID_ARGUMENT naming what is wrong (id syntax, attributes that do not
/// fit the kind, an external source that says must_not_go_negative...).
absl::Status ValidateAccountSpec(const AccountSpec& spec);

}  // namespace tane::funds
