#include "tane/funds/accounts.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tane::funds {
namespace {

constexpr size_t kMaxComponent = 100;
constexpr size_t kMaxAccountId = 255;
constexpr size_t kMaxTransferId = 128;

bool IdChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; }

std::string Fy(core::FiscalYear fy) { return absl::StrCat(fy.year()); }

}  // namespace

const char* AccountKindName(AccountKind kind) {
  switch (kind) {
    case AccountKind::kExternalSource:
      return "external_source";
    case AccountKind::kProgramBudget:
      return "program_budget";
    case AccountKind::kProjectAllocation:
      return "project_allocation";
    case AccountKind::kInstitutionPayable:
      return "institution_payable";
    case AccountKind::kProjectExpense:
      return "project_expense";
    case AccountKind::kReturnedFunds:
      return "returned_funds";
    case AccountKind::kClearing:
      return "clearing";
  }
  return "unknown";
}

std::optional<AccountKind> ParseAccountKind(std::string_view name) {
  for (AccountKind k : {AccountKind::kExternalSource, AccountKind::kProgramBudget, AccountKind::kProjectAllocation,
                        AccountKind::kInstitutionPayable, AccountKind::kProjectExpense, AccountKind::kReturnedFunds,
                        AccountKind::kClearing}) {
    if (name == AccountKindName(k)) return k;
  }
  return std::nullopt;
}

const char* BudgetLineName(BudgetLine line) {
  switch (line) {
    case BudgetLine::kInitial:
      return "initial";
    case BudgetLine::kSupplementary:
      return "supplementary";
    case BudgetLine::kAdjustment:
      return "adjustment";
  }
  return "unknown";
}

std::optional<BudgetLine> ParseBudgetLine(std::string_view name) {
  for (BudgetLine l : {BudgetLine::kInitial, BudgetLine::kSupplementary, BudgetLine::kAdjustment}) {
    if (name == BudgetLineName(l)) return l;
  }
  return std::nullopt;
}

AccountSpec ExternalSourceAccount(std::string_view source) {
  AccountSpec s;
  s.id = absl::StrCat("external.", std::string(source));
  s.kind = AccountKind::kExternalSource;
  s.must_not_go_negative = false;  // minus its balance is the money put in
  return s;
}

AccountSpec ProgramBudgetAccount(core::FiscalYear fy, BudgetLine line) {
  AccountSpec s;
  s.id = absl::StrCat("budget.", Fy(fy), ".", BudgetLineName(line));
  s.kind = AccountKind::kProgramBudget;
  s.fiscal_year = fy.year();
  s.budget_line = line;
  return s;
}

AccountSpec ProjectAllocationAccount(std::string_view project_id, core::FiscalYear fy, std::string_view category) {
  AccountSpec s;
  s.id = absl::StrCat("alloc.", std::string(project_id), ".", Fy(fy), ".", std::string(category));
  s.kind = AccountKind::kProjectAllocation;
  s.fiscal_year = fy.year();
  s.project_id = std::string(project_id);
  s.category = std::string(category);
  return s;
}

AccountSpec InstitutionPayableAccount(std::string_view project_id, core::FiscalYear fy,
                                      std::string_view institution_id) {
  AccountSpec s;
  s.id = absl::StrCat("payable.", std::string(project_id), ".", Fy(fy), ".", std::string(institution_id));
  s.kind = AccountKind::kInstitutionPayable;
  s.fiscal_year = fy.year();
  s.project_id = std::string(project_id);
  s.institution_id = std::string(institution_id);
  return s;
}

AccountSpec ProjectExpenseAccount(std::string_view project_id, core::FiscalYear fy, std::string_view category) {
  AccountSpec s;
  s.id = absl::StrCat("spent.", std::string(project_id), ".", Fy(fy), ".", std::string(category));
  s.kind = AccountKind::kProjectExpense;
  s.fiscal_year = fy.year();
  s.project_id = std::string(project_id);
  s.category = std::string(category);
  return s;
}

AccountSpec ReturnedFundsAccount(core::FiscalYear fy) {
  AccountSpec s;
  s.id = absl::StrCat("returned.", Fy(fy));
  s.kind = AccountKind::kReturnedFunds;
  s.fiscal_year = fy.year();
  return s;
}

AccountSpec ClearingAccount() {
  AccountSpec s;
  s.id = "clearing";
  s.kind = AccountKind::kClearing;
  // The first leg of a cross-program move may run ahead of the second.
  s.must_not_go_negative = false;
  return s;
}

bool IsValidIdComponent(std::string_view component) {
  if (component.empty() || component.size() > kMaxComponent) return false;
  for (char c : component) {
    if (!IdChar(c)) return false;
  }
  return true;
}

bool IsValidAccountId(std::string_view id) {
  if (id.empty() || id.size() > kMaxAccountId) return false;
  for (absl::string_view part : absl::StrSplit(absl::string_view(id.data(), id.size()), '.')) {
    if (!IsValidIdComponent(std::string_view(part.data(), part.size()))) return false;
  }
  return true;
}

bool IsValidTransferId(std::string_view id) {
  if (id.empty() || id.size() > kMaxTransferId) return false;
  for (char c : id) {
    if (!IdChar(c) && c != '.' && c != ':') return false;
  }
  return true;
}

absl::Status ValidateAccountSpec(const AccountSpec& spec) {
  if (!IsValidAccountId(spec.id)) {
    return absl::InvalidArgumentError(absl::StrCat("account id '", spec.id,
                                                   "' must be dot-separated components of [A-Za-z0-9_-], at most ",
                                                   kMaxAccountId, " bytes"));
  }
  if (spec.fiscal_year < 0 || spec.fiscal_year > 9999) {
    return absl::InvalidArgumentError(
        absl::StrCat("account ", spec.id, ": fiscal year ", spec.fiscal_year, " out of range"));
  }
  for (const std::string* attr : {&spec.project_id, &spec.category, &spec.institution_id}) {
    if (!attr->empty() && !IsValidIdComponent(*attr)) {
      return absl::InvalidArgumentError(
          absl::StrCat("account ", spec.id, ": attribute '", *attr, "' must be [A-Za-z0-9_-]"));
    }
  }
  switch (spec.kind) {
    case AccountKind::kExternalSource:
      if (spec.must_not_go_negative) {
        return absl::InvalidArgumentError(
            absl::StrCat("account ", spec.id, ": an external source goes negative by design"));
      }
      break;
    case AccountKind::kProgramBudget:
      if (!spec.budget_line || spec.fiscal_year == 0 || !spec.must_not_go_negative) {
        return absl::InvalidArgumentError(absl::StrCat(
            "account ", spec.id, ": a program budget needs a fiscal year, a budget line and must not go negative"));
      }
      break;
    case AccountKind::kProjectAllocation:
    case AccountKind::kProjectExpense:
      if (spec.project_id.empty() || spec.category.empty() || spec.fiscal_year == 0 || !spec.must_not_go_negative) {
        return absl::InvalidArgumentError(
            absl::StrCat("account ", spec.id,
                         ": a project account needs a project, a fiscal year, a category and must not go negative"));
      }
      break;
    case AccountKind::kInstitutionPayable:
      if (spec.project_id.empty() || spec.institution_id.empty() || spec.fiscal_year == 0 ||
          !spec.must_not_go_negative) {
        return absl::InvalidArgumentError(absl::StrCat(
            "account ", spec.id,
            ": an institution payable needs a project, a fiscal year, an institution and must not go negative"));
      }
      break;
    case AccountKind::kReturnedFunds:
    case AccountKind::kClearing:
      break;
  }
  return absl::OkStatus();
}

}  // namespace tane::funds
