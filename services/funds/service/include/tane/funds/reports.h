#pragma once
/// Reports from a program's accounts: their balances and their posted
/// turnover by transfer code (Account::turnover), so no report reads the
/// transfer log. Pure functions; the caller lists the accounts.
///
/// Money of a project's year and category (CategoryAmount):
///   allocated   = credited "allocation" - debited "release"
///                 ± "reallocation" ± "advance_use" (前倒し)
///   disbursed   = debited "disbursement" from the allocation account
///   spent       = credited "expense" on the expense account
///   carried in / out, returned = "carry_over" / "return" at fiscal-year close
///   undisbursed = the allocation account's balance; reserved = its pending credits
/// A fiscal year of the program adds the budget accounts: loaded = credited
/// "budget_load", unallocated = their balance, reserved = their pending debits.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tane/funds/ledger.h"
#include "tane/funds/v1/funds.pb.h"

namespace tane::funds {

/// The transfer codes the funds service books under.
namespace codes {
inline constexpr char kBudgetLoad[] = "budget_load";
inline constexpr char kAllocation[] = "allocation";
inline constexpr char kRelease[] = "release";
inline constexpr char kReallocation[] = "reallocation";
inline constexpr char kAdvanceUse[] = "advance_use";
inline constexpr char kDisbursement[] = "disbursement";
inline constexpr char kExpense[] = "expense";
inline constexpr char kCarryOver[] = "carry_over";
inline constexpr char kReturn[] = "return";
inline constexpr char kManual[] = "manual";
}  // namespace codes

/// A year's allocation of one category as it stands now (allocated as
/// above, undisbursed = the balance), from the project's allocation accounts.
std::vector<AllocatedAmount> AllocatedAmounts(const std::vector<Account>& accounts, const std::string& project_id);

/// One Allocation per (project, fiscal year) with any account, ordered by
/// project then year; `project_id` / `fiscal_year` empty / 0 for all.
/// OUT_OF_RANGE naming the field, project and year when a sum would leave
/// int64 yen (nothing is wrapped).
absl::StatusOr<std::vector<v1::Allocation>> ProjectAllocations(const std::string& program_id,
                                                               const std::vector<Account>& accounts,
                                                               const std::string& project_id = "",
                                                               int fiscal_year = 0);

/// Budget vs allocated vs disbursed vs spent per fiscal year (years with any
/// account, within [from, to]; 0 = open).
v1::ProgramBudgetReport BudgetReport(const std::string& program_id, const std::vector<Account>& accounts,
                                     int from_fiscal_year = 0, int to_fiscal_year = 0);

/// Per institution and fiscal year, from the payable accounts.
v1::InstitutionsReport InstitutionReport(const std::string& program_id, const std::vector<Account>& accounts,
                                         int fiscal_year = 0);

/// The reports as CSV (a header line, CRLF line ends). Every text column is
/// an id of [A-Za-z0-9_-], so no field needs quoting.
std::string BudgetCsv(const v1::ProgramBudgetReport& report);
std::string ProjectsCsv(const std::vector<v1::Allocation>& allocations);
std::string InstitutionsCsv(const v1::InstitutionsReport& report);

}  // namespace tane::funds
