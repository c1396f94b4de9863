#include "tane/funds/reports.h"

#include <map>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"

namespace tane::funds {
namespace {

int64_t Credited(const Account& a, const char* code) { return a.TurnoverOf(code).credited.value(); }
int64_t Debited(const Account& a, const char* code) { return a.TurnoverOf(code).debited.value(); }

int64_t AllocatedOf(const Account& a) {
  return Credited(a, codes::kAllocation) - Debited(a, codes::kRelease) + Credited(a, codes::kReallocation) -
         Debited(a, codes::kReallocation) + Credited(a, codes::kAdvanceUse) - Debited(a, codes::kAdvanceUse);
}

bool InRange(int year, int from, int to) { return (from == 0 || year >= from) && (to == 0 || year <= to); }

// Direct categories by name, indirect last.
bool CategoryBefore(const std::string& a, const std::string& b) {
  const bool ai = a == kIndirectCategory, bi = b == kIndirectCategory;
  return ai != bi ? bi : a < b;
}

// Yen sums that must not wrap: a sum beyond int64 leaves the total as it
// was and keeps the first such sum as OUT_OF_RANGE naming its field.
class CheckedSums final {
 public:
  int64_t Add(int64_t total, int64_t amount, const char* field, const std::string& where) {
    auto sum = Yen(total).Add(Yen(amount));
    if (sum.ok()) return sum->value();
    if (status_.ok()) {
      status_ = absl::OutOfRangeError(
          absl::StrCat(field, " of ", where, " adds up beyond int64 yen (", total, " + ", amount, ")"));
    }
    return total;
  }
  const absl::Status& status() const { return status_; }

 private:
  absl::Status status_;
};

void AddFlows(v1::CategoryAmount* c, const Account& a, const std::string& where, CheckedSums& sums) {
  c->set_allocated_yen(sums.Add(c->allocated_yen(), AllocatedOf(a), "allocated_yen", where));
  c->set_undisbursed_yen(sums.Add(c->undisbursed_yen(), a.balance.value(), "undisbursed_yen", where));
  c->set_reserved_yen(sums.Add(c->reserved_yen(), a.pending_credits.value(), "reserved_yen", where));
  c->set_disbursed_yen(sums.Add(c->disbursed_yen(), Debited(a, codes::kDisbursement), "disbursed_yen", where));
  c->set_carried_in_yen(sums.Add(c->carried_in_yen(), Credited(a, codes::kCarryOver), "carried_in_yen", where));
  c->set_carried_out_yen(sums.Add(c->carried_out_yen(), Debited(a, codes::kCarryOver), "carried_out_yen", where));
  c->set_returned_yen(sums.Add(c->returned_yen(), Debited(a, codes::kReturn), "returned_yen", where));
}

}  // namespace

std::vector<AllocatedAmount> AllocatedAmounts(const std::vector<Account>& accounts, const std::string& project_id) {
  std::vector<AllocatedAmount> out;
  for (const auto& a : accounts) {
    if (a.spec.kind != AccountKind::kProjectAllocation || a.spec.project_id != project_id) continue;
    out.push_back({FiscalYear(a.spec.fiscal_year), a.spec.category, Yen(AllocatedOf(a)), a.balance});
  }
  return out;
}

absl::StatusOr<std::vector<v1::Allocation>> ProjectAllocations(const std::string& program_id,
                                                               const std::vector<Account>& accounts,
                                                               const std::string& project_id, int fiscal_year) {
  struct Year {
    std::map<std::string, v1::CategoryAmount> categories;
    int64_t unspent = 0;
    int64_t payable_carried_in = 0, payable_carried_out = 0, payable_returned = 0;
  };
  CheckedSums sums;
  auto where = [](const std::string& project, int fy) { return absl::StrCat("project ", project, " FY", fy); };
  std::map<std::pair<std::string, int>, Year> years;
  for (const auto& a : accounts) {
    const AccountSpec& s = a.spec;
    if (s.project_id.empty() || (!project_id.empty() && s.project_id != project_id)) continue;
    if (fiscal_year != 0 && s.fiscal_year != fiscal_year) continue;
    Year& y = years[{s.project_id, s.fiscal_year}];
    const std::string at = where(s.project_id, s.fiscal_year);
    switch (s.kind) {
      case AccountKind::kProjectAllocation: {
        v1::CategoryAmount& c = y.categories[s.category];
        c.set_category(s.category);
        AddFlows(&c, a, at, sums);
        break;
      }
      case AccountKind::kProjectExpense: {
        v1::CategoryAmount& c = y.categories[s.category];
        c.set_category(s.category);
        c.set_spent_yen(sums.Add(c.spent_yen(), Credited(a, codes::kExpense), "spent_yen", at));
        break;
      }
      case AccountKind::kInstitutionPayable:
        y.unspent = sums.Add(y.unspent, a.balance.value(), "unspent_yen", at);
        y.payable_carried_in = sums.Add(y.payable_carried_in, Credited(a, codes::kCarryOver), "carried_in_yen", at);
        y.payable_carried_out = sums.Add(y.payable_carried_out, Debited(a, codes::kCarryOver), "carried_out_yen", at);
        y.payable_returned = sums.Add(y.payable_returned, Debited(a, codes::kReturn), "returned_yen", at);
        break;
      default:
        break;
    }
  }
  std::vector<v1::Allocation> out;
  for (auto& [key, y] : years) {
    const std::string at = where(key.first, key.second);
    v1::Allocation alloc;
    alloc.set_program_id(program_id);
    alloc.set_project_id(key.first);
    alloc.set_fiscal_year(key.second);
    std::vector<std::string> names;
    for (const auto& [name, c] : y.categories) names.push_back(name);
    std::sort(names.begin(), names.end(), CategoryBefore);
    int64_t direct = 0, indirect = 0, disbursed = 0, spent = 0, reserved = 0, undisbursed = 0;
    int64_t carried_in = y.payable_carried_in, carried_out = y.payable_carried_out, returned = y.payable_returned;
    for (const auto& name : names) {
      const v1::CategoryAmount& c = y.categories[name];
      if (name == kIndirectCategory) {
        indirect = sums.Add(indirect, c.allocated_yen(), "indirect_yen", at);
      } else {
        direct = sums.Add(direct, c.allocated_yen(), "direct_yen", at);
      }
      disbursed = sums.Add(disbursed, c.disbursed_yen(), "disbursed_yen", at);
      spent = sums.Add(spent, c.spent_yen(), "spent_yen", at);
      reserved = sums.Add(reserved, c.reserved_yen(), "reserved_yen", at);
      undisbursed = sums.Add(undisbursed, c.undisbursed_yen(), "undisbursed_yen", at);
      carried_in = sums.Add(carried_in, c.carried_in_yen(), "carried_in_yen", at);
      carried_out = sums.Add(carried_out, c.carried_out_yen(), "carried_out_yen", at);
      returned = sums.Add(returned, c.returned_yen(), "returned_yen", at);
      *alloc.add_categories() = c;
    }
    alloc.set_direct_yen(direct);
    alloc.set_indirect_yen(indirect);
    alloc.set_total_yen(sums.Add(direct, indirect, "total_yen", at));
    alloc.set_disbursed_yen(disbursed);
    alloc.set_spent_yen(spent);
    alloc.set_reserved_yen(reserved);
    alloc.set_undisbursed_yen(undisbursed);
    alloc.set_unspent_yen(y.unspent);
    alloc.set_carried_in_yen(carried_in);
    alloc.set_carried_out_yen(carried_out);
    alloc.set_returned_yen(returned);
    out.push_back(std::move(alloc));
  }
  if (!sums.status().ok()) return sums.status();
  return out;
}

v1::ProgramBudgetReport BudgetReport(const std::string& program_id, const std::vector<Account>& accounts,
                                     int from_fiscal_year, int to_fiscal_year) {
  std::map<int, v1::FiscalYearBudgetLine> years;
  for (const auto& a : accounts) {
    const int fy = a.spec.fiscal_year;
    if (fy == 0 || !InRange(fy, from_fiscal_year, to_fiscal_year)) continue;
    v1::FiscalYearBudgetLine& y = years[fy];
    y.set_fiscal_year(fy);
    y.set_carried_in_yen(y.carried_in_yen() + Credited(a, codes::kCarryOver));
    y.set_carried_out_yen(y.carried_out_yen() + Debited(a, codes::kCarryOver));
    switch (a.spec.kind) {
      case AccountKind::kProgramBudget:
        y.set_budget_yen(y.budget_yen() + Credited(a, codes::kBudgetLoad));
        y.set_unallocated_yen(y.unallocated_yen() + a.balance.value());
        y.set_reserved_yen(y.reserved_yen() + a.pending_debits.value());
        break;
      case AccountKind::kProjectAllocation:
        y.set_allocated_yen(y.allocated_yen() + AllocatedOf(a));
        y.set_disbursed_yen(y.disbursed_yen() + Debited(a, codes::kDisbursement));
        break;
      case AccountKind::kProjectExpense:
        y.set_spent_yen(y.spent_yen() + Credited(a, codes::kExpense));
        break;
      case AccountKind::kReturnedFunds:
        y.set_returned_yen(y.returned_yen() + Credited(a, codes::kReturn));
        break;
      default:
        break;
    }
  }
  v1::ProgramBudgetReport report;
  report.set_program_id(program_id);
  for (auto& [fy, line] : years) *report.add_fiscal_years() = std::move(line);
  return report;
}

v1::InstitutionsReport InstitutionReport(const std::string& program_id, const std::vector<Account>& accounts,
                                         int fiscal_year) {
  std::map<std::pair<std::string, int>, v1::InstitutionFiscalYear> rows;
  std::map<std::pair<std::string, int>, std::set<std::string>> projects;
  for (const auto& a : accounts) {
    const AccountSpec& s = a.spec;
    if (s.kind != AccountKind::kInstitutionPayable || (fiscal_year != 0 && s.fiscal_year != fiscal_year)) continue;
    const auto key = std::make_pair(s.institution_id, s.fiscal_year);
    v1::InstitutionFiscalYear& r = rows[key];
    r.set_institution_id(s.institution_id);
    r.set_fiscal_year(s.fiscal_year);
    projects[key].insert(s.project_id);
    r.set_disbursed_yen(r.disbursed_yen() + Credited(a, codes::kDisbursement));
    r.set_spent_yen(r.spent_yen() + Debited(a, codes::kExpense));
    r.set_unspent_yen(r.unspent_yen() + a.balance.value());
    r.set_carried_in_yen(r.carried_in_yen() + Credited(a, codes::kCarryOver));
    r.set_carried_out_yen(r.carried_out_yen() + Debited(a, codes::kCarryOver));
    r.set_returned_yen(r.returned_yen() + Debited(a, codes::kReturn));
  }
  v1::InstitutionsReport report;
  report.set_program_id(program_id);
  for (auto& [key, row] : rows) {
    row.set_projects(static_cast<int32_t>(projects[key].size()));
    *report.add_institutions() = std::move(row);
  }
  return report;
}

std::string BudgetCsv(const v1::ProgramBudgetReport& report) {
  std::string csv =
      "program_id,fiscal_year,budget_yen,allocated_yen,reserved_yen,disbursed_yen,spent_yen,unallocated_yen,"
      "carried_in_yen,carried_out_yen,returned_yen\r\n";
  for (const auto& y : report.fiscal_years()) {
    absl::StrAppend(&csv, report.program_id(), ",", y.fiscal_year(), ",", y.budget_yen(), ",", y.allocated_yen(), ",",
                    y.reserved_yen(), ",", y.disbursed_yen(), ",", y.spent_yen(), ",", y.unallocated_yen(), ",",
                    y.carried_in_yen(), ",", y.carried_out_yen(), ",", y.returned_yen(), "\r\n");
  }
  return csv;
}

std::string ProjectsCsv(const std::vector<v1::Allocation>& allocations) {
  std::string csv =
      "program_id,project_id,fiscal_year,category,allocated_yen,reserved_yen,disbursed_yen,spent_yen,"
      "undisbursed_yen,carried_in_yen,carried_out_yen,returned_yen\r\n";
  for (const auto& a : allocations) {
    for (const auto& c : a.categories()) {
      absl::StrAppend(&csv, a.program_id(), ",", a.project_id(), ",", a.fiscal_year(), ",", c.category(), ",",
                      c.allocated_yen(), ",", c.reserved_yen(), ",", c.disbursed_yen(), ",", c.spent_yen(), ",",
                      c.undisbursed_yen(), ",", c.carried_in_yen(), ",", c.carried_out_yen(), ",", c.returned_yen(),
                      "\r\n");
    }
  }
  return csv;
}

std::string InstitutionsCsv(const v1::InstitutionsReport& report) {
  std::string csv =
      "program_id,institution_id,fiscal_year,projects,disbursed_yen,spent_yen,unspent_yen,carried_in_yen,"
      "carried_out_yen,returned_yen\r\n";
  for (const auto& r : report.institutions()) {
    absl::StrAppend(&csv, report.program_id(), ",", r.institution_id(), ",", r.fiscal_year(), ",", r.projects(), ",",
                    r.disbursed_yen(), ",", r.spent_yen(), ",", r.unspent_yen(), ",", r.carried_in_yen(), ",",
                    r.carried_out_yen(), ",", r.returned_yen(), "\r\n");
  }
  return csv;
}

}  // namespace tane::funds
