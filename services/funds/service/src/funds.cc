// The funds service's RPCs (the event handlers are in funds_events.cc).
#include "tane/funds/funds.h"

#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "internal.h"
#include "tane/bus/envelope.h"
#include "tane/core/errors.h"
#include "tane/funds/reports.h"
#include "tane/store/keyspace.h"
#include "tane/telemetry/log.h"

namespace tane::funds {

using namespace internal;  // NOLINT: this service's own helpers
using core::FiscalYear;
using core::Yen;
namespace tel = ::tane::telemetry;

namespace {

// How often a limit is judged again when the accounts it was judged on
// changed before the booking (each time, another request was booked).
constexpr int kJudgeAttempts = 8;

// The revisions of `ids` among `accounts`, 0 for an id not opened yet.
std::map<std::string, int64_t> RevisionsOf(const std::vector<Account>& accounts,
                                           const std::vector<std::string>& ids) {
  std::map<std::string, int64_t> out;
  for (const auto& id : ids) out[id] = 0;
  for (const auto& a : accounts) {
    auto it = out.find(a.spec.id);
    if (it != out.end()) it->second = a.revision;
  }
  return out;
}

}  // namespace

std::string InstitutionKey(std::string_view institution_id) {
  std::string id(institution_id);
  for (const char* prefix : {"https://ror.org/", "http://ror.org/", "ror.org/"}) {
    if (absl::StartsWith(id, prefix)) {
      id.erase(0, std::string_view(prefix).size());
      break;
    }
  }
  if (IsValidIdComponent(id)) return id;
  return absl::StrCat("i", absl::Hex(store::Fnv1a64(institution_id), absl::kZeroPad16));
}

Funds::Funds(runtime::ServiceKit& kit, ProgramTerms terms)
    : kit_(kit), terms_(std::move(terms)), ledger_(kit.redis(), kit.keyspace(), kit.clock()) {}

void Funds::Count(const std::string& what, const std::string& outcome) {
  kit_.metrics()
      .CounterFamily("tane_funds_operations_total", "Funds operations by kind and outcome")
      .Add({{"operation", what}, {"outcome", outcome}})
      .Increment();
}

// ------------------------------------------------------------------ helpers

void Funds::SetTestHooks(TestHooks hooks) {
  std::lock_guard<std::mutex> lock(hooks_mu_);
  hooks_ = std::move(hooks);
}

Funds::TestHooks Funds::Hooks() {
  std::lock_guard<std::mutex> lock(hooks_mu_);
  return hooks_;
}

absl::StatusOr<std::optional<Funds::Booked>> Funds::FindBooked(const std::string& program_id,
                                                               const std::string& prefix,
                                                               const std::string& fingerprint,
                                                               OnOtherRequest on_other, const std::string& key_field) {
  auto existing = ledger_.GetNumberedTransfers(program_id, prefix);
  if (!existing.ok()) return existing.status();
  if (existing->empty()) return std::optional<Booked>();
  if (on_other == OnOtherRequest::kRefuse && existing->front().batch_id != absl::StrCat(prefix, ":", fingerprint)) {
    return absl::AlreadyExistsError(absl::StrCat(
        key_field, " was already used for a different request (booked as ", existing->front().batch_id,
        "); a repeated request must be identical, a new request needs a new ", key_field));
  }
  return std::optional<Booked>(Booked{*std::move(existing), {}, true});
}

absl::StatusOr<Funds::Booked> Funds::BookOnce(const std::string& program_id, const std::string& prefix,
                                              const std::string& fingerprint, OnOtherRequest on_other,
                                              const std::string& key_field, const Origin& origin,
                                              const std::function<absl::StatusOr<Batch>()>& build) {
  for (int attempt = 0;; ++attempt) {
    auto found = FindBooked(program_id, prefix, fingerprint, on_other, key_field);
    if (!found.ok()) return found.status();
    if (found->has_value()) return **found;
    auto batch = build();
    if (!batch.ok()) return batch.status();
    if (batch->transfers.empty() && batch->resolve.empty()) return Booked{};
    batch->batch_id = absl::StrCat(prefix, ":", fingerprint);
    for (size_t i = 0; i < batch->transfers.size(); ++i) batch->transfers[i].id = absl::StrCat(prefix, ".", i + 1);
    if (auto hook = Hooks().before_book) hook(prefix);
    auto result = ledger_.CreateBatch(program_id, *batch, origin);
    if (result.ok()) return Booked{std::move(result->transfers), std::move(result->resolved), result->duplicate};
    // A twin request booked it in between, with content computed from other
    // balances: answer from what it booked.
    if (absl::IsAlreadyExists(result.status()) && attempt == 0 && !batch->transfers.empty()) continue;
    return result.status();
  }
}

absl::StatusOr<runtime::Loaded<v1::FundedProject>> Funds::LoadProject(const std::string& project_id) {
  return runtime::LoadAggregate<v1::FundedProject>(kit_.store(), kProjectType, project_id);
}

absl::StatusOr<v1::FundedProject> Funds::ProjectFor(const Context& ctx, const std::string& program_id,
                                                    const std::string& project_id) {
  core::Violations v;
  CheckId(project_id, "project_id", v);
  CheckId(program_id, "program_id", v, /*required=*/false);
  if (!v.empty()) return v.ToStatus();
  auto loaded = LoadProject(project_id);
  if (!loaded.ok()) return loaded.status();
  if (!loaded->exists()) {
    return absl::NotFoundError(
        absl::StrCat("project ", project_id, " is not known to funds (no ProjectStarted received for it)"));
  }
  if (!program_id.empty() && program_id != loaded->value.program_id()) {
    v.Add("program_id", absl::StrCat("project ", project_id, " belongs to program ", loaded->value.program_id()));
    return v.ToStatus();
  }
  if (auto s = MaySee(ctx, loaded->value); !s.ok()) return s;
  return std::move(loaded->value);
}

absl::Status Funds::RequireOpenYear(const std::string& program_id, int fiscal_year) {
  auto closed =
      runtime::LoadAggregate<v1::ClosedFiscalYear>(kit_.store(), kClosedYearType, ClosedYearId(program_id, fiscal_year));
  if (!closed.ok()) return closed.status();
  if (!closed->exists()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat("FY", fiscal_year, " of program ", program_id, " was closed at ",
                                                    core::FormatRfc3339Utc(ToTime(closed->value.closed_at())),
                                                    " by ", closed->value.closed_by(), "; its money has moved on"));
}

absl::StatusOr<std::vector<BudgetAvailability>> Funds::Availability(const std::string& program_id) {
  auto accounts = ledger_.ListAccounts(program_id);
  if (!accounts.ok()) return accounts.status();
  std::vector<BudgetAvailability> out;
  for (const auto& a : *accounts) {
    if (a.spec.kind != AccountKind::kProgramBudget || !a.spec.budget_line) continue;
    out.push_back({FiscalYear(a.spec.fiscal_year), *a.spec.budget_line, std::max(a.available(), Yen(0))});
  }
  return out;
}

// ------------------------------------------------------------------ budgets

absl::StatusOr<v1::LoadProgramBudgetResponse> Funds::LoadProgramBudget(const Context& ctx,
                                                                       const v1::LoadProgramBudgetRequest& request) {
  core::Violations v;
  CheckId(request.program_id(), "program_id", v);
  CheckFiscalYear(request.fiscal_year(), "fiscal_year", v);
  if (request.budget_line() == v1::BUDGET_LINE_UNSPECIFIED || !v1::BudgetLine_IsValid(request.budget_line())) {
    v.Add("budget_line", "must be INITIAL (当初予算), SUPPLEMENTARY (補正予算) or ADJUSTMENT (調整費)");
  }
  CheckAmount(request.amount_yen(), "amount_yen", v);
  CheckId(request.source(), "source", v);
  CheckRequestId(request.request_id(), v);
  if (!v.empty()) return v.ToStatus();
  auto terms = terms_.For(request.program_id(), request.fiscal_year());
  if (!terms.ok()) return terms.status();
  if (request.instrument() != v1::FUNDING_INSTRUMENT_UNSPECIFIED &&
      terms->instrument != v1::FUNDING_INSTRUMENT_UNSPECIFIED && request.instrument() != terms->instrument) {
    v.Add("instrument", absl::StrCat("the program catalog says ", v1::FundingInstrument_Name(terms->instrument),
                                     " for ", request.program_id(), " in FY", request.fiscal_year(),
                                     "; leave it unset or send that"));
    return v.ToStatus();
  }

  const auto line = static_cast<BudgetLine>(request.budget_line() - 1);
  const AccountSpec budget = ProgramBudgetAccount(FiscalYear(request.fiscal_year()), line);
  const AccountSpec source = ExternalSourceAccount(request.source());
  auto booked = BookOnce(
      request.program_id(), Prefix("load", request.program_id(), request.request_id()), Fingerprint(request),
      OnOtherRequest::kRefuse, "request_id", OriginOf(ctx), [&]() -> absl::StatusOr<Batch> {
        Batch batch;
        batch.open_accounts = {source, budget};
        TransferRequest t;
        t.debit_account_id = source.id;
        t.credit_account_id = budget.id;
        t.amount = Yen(request.amount_yen());
        t.code = codes::kBudgetLoad;
        t.memo = absl::StrCat("FY", request.fiscal_year(), " ", BudgetLineName(line), " budget from ",
                              request.source());
        batch.transfers.push_back(std::move(t));
        return batch;
      });
  if (!booked.ok()) return booked.status();
  auto account = ledger_.GetAccount(request.program_id(), budget.id);
  if (!account.ok()) return account.status();
  v1::LoadProgramBudgetResponse response;
  *response.mutable_budget_account() = ToProto(*account);
  *response.mutable_transfer() = ToProto(booked->transfers.front());
  Count("load_program_budget", booked->duplicate ? "repeat" : "booked");
  tel::LogInfo(booked->duplicate ? "program budget load repeated: nothing booked" : "program budget loaded",
               {{"program_id", request.program_id()},
                {"fiscal_year", request.fiscal_year()},
                {"budget_line", BudgetLineName(line)},
                {"amount_yen", request.amount_yen()},
                {"balance_yen", account->balance.value()},
                {"actor", ctx.actor()}});
  return response;
}

// ------------------------------------------------------------------ ledger

absl::StatusOr<v1::Account> Funds::OpenAccount(const Context& ctx, const v1::OpenAccountRequest& request) {
  core::Violations v;
  CheckId(request.program_id(), "program_id", v);
  const bool per_year = request.kind() != v1::ACCOUNT_KIND_CLEARING &&
                        request.kind() != v1::ACCOUNT_KIND_EXTERNAL_SOURCE;
  const bool per_project = request.kind() == v1::ACCOUNT_KIND_PROJECT_ALLOCATION ||
                           request.kind() == v1::ACCOUNT_KIND_PROJECT_EXPENSE ||
                           request.kind() == v1::ACCOUNT_KIND_INSTITUTION_PAYABLE;
  if (per_year) CheckFiscalYear(request.fiscal_year(), "fiscal_year", v);
  if (per_project) CheckId(request.project_id(), "project_id", v);
  const FiscalYear fy(request.fiscal_year());
  AccountSpec spec;
  switch (request.kind()) {
    case v1::ACCOUNT_KIND_EXTERNAL_SOURCE:
      CheckId(request.source(), "source", v);
      spec = ExternalSourceAccount(request.source());
      break;
    case v1::ACCOUNT_KIND_PROGRAM_BUDGET:
      if (request.budget_line() == v1::BUDGET_LINE_UNSPECIFIED || !v1::BudgetLine_IsValid(request.budget_line())) {
        v.Add("budget_line", "a program budget account needs its budget line");
        break;
      }
      spec = ProgramBudgetAccount(fy, static_cast<BudgetLine>(request.budget_line() - 1));
      break;
    case v1::ACCOUNT_KIND_PROJECT_ALLOCATION:
    case v1::ACCOUNT_KIND_PROJECT_EXPENSE:
      CheckId(request.category(), "category", v);
      spec = request.kind() == v1::ACCOUNT_KIND_PROJECT_ALLOCATION
                 ? ProjectAllocationAccount(request.project_id(), fy, request.category())
                 : ProjectExpenseAccount(request.project_id(), fy, request.category());
      break;
    case v1::ACCOUNT_KIND_INSTITUTION_PAYABLE:
      if (request.institution_id().empty()) v.Add("institution_id", "is required");
      spec = InstitutionPayableAccount(request.project_id(), fy, InstitutionKey(request.institution_id()));
      break;
    case v1::ACCOUNT_KIND_RETURNED_FUNDS:
      spec = ReturnedFundsAccount(fy);
      break;
    case v1::ACCOUNT_KIND_CLEARING:
      spec = ClearingAccount();
      break;
    default:
      v.Add("kind", "must name an account kind");
  }
  if (!v.empty()) return v.ToStatus();
  auto opened = ledger_.OpenAccount(request.program_id(), spec);
  if (!opened.ok()) return opened.status();
  auto account = ledger_.GetAccount(request.program_id(), spec.id);
  if (!account.ok()) return account.status();
  if (*opened) {
    tel::LogInfo("account opened", {{"program_id", request.program_id()}, {"account_id", spec.id}, {"actor", ctx.actor()}});
  }
  return ToProto(*account);
}

absl::StatusOr<v1::Transfer> Funds::CreateTransfer(const Context& ctx, const v1::CreateTransferRequest& request) {
  core::Violations v;
  CheckId(request.program_id(), "program_id", v);
  if (request.transfer_id().empty()) v.Add("transfer_id", "is required: the caller-given id makes a retry safe");
  if (!v.empty()) return v.ToStatus();
  TransferRequest t;
  t.id = request.transfer_id();
  t.debit_account_id = request.debit_account_id();
  t.credit_account_id = request.credit_account_id();
  t.amount = Yen(request.amount_yen());
  t.pending = request.pending();
  t.code = request.code().empty() ? codes::kManual : request.code();
  t.memo = request.memo();
  auto result = ledger_.CreateTransfer(request.program_id(), t, OriginOf(ctx));
  if (!result.ok()) {
    Count("transfer", absl::StatusCodeToString(result.status().code()));
    return result.status();
  }
  Count("transfer", result->duplicate ? "repeat" : "booked");
  tel::LogInfo(result->duplicate ? "transfer repeated: nothing booked" : "transfer booked",
               {{"program_id", request.program_id()},
                {"transfer_id", t.id},
                {"debit_account_id", t.debit_account_id},
                {"credit_account_id", t.credit_account_id},
                {"amount_yen", t.amount.value()},
                {"pending", t.pending},
                {"actor", ctx.actor()}});
  return ToProto(result->transfer);
}

absl::StatusOr<v1::Transfer> Funds::GetTransfer(const Context&, const v1::GetTransferRequest& request) {
  auto t = ledger_.GetTransfer(request.program_id(), request.transfer_id());
  if (!t.ok()) return t.status();
  return ToProto(*t);
}

absl::StatusOr<v1::Transfer> Funds::PostPendingTransfer(const Context& ctx,
                                                        const v1::PostPendingTransferRequest& request) {
  auto r = ledger_.PostPending(request.program_id(), request.transfer_id(), OriginOf(ctx));
  if (!r.ok()) return r.status();
  tel::LogInfo(r->duplicate ? "pending transfer post repeated" : "pending transfer posted",
               {{"program_id", request.program_id()}, {"transfer_id", request.transfer_id()}, {"actor", ctx.actor()}});
  return ToProto(r->transfer);
}

absl::StatusOr<v1::Transfer> Funds::VoidPendingTransfer(const Context& ctx,
                                                        const v1::VoidPendingTransferRequest& request) {
  auto r = ledger_.VoidPending(request.program_id(), request.transfer_id(), OriginOf(ctx));
  if (!r.ok()) return r.status();
  tel::LogInfo(r->duplicate ? "pending transfer void repeated" : "pending transfer voided",
               {{"program_id", request.program_id()}, {"transfer_id", request.transfer_id()}, {"actor", ctx.actor()}});
  return ToProto(r->transfer);
}

absl::StatusOr<v1::Account> Funds::GetAccount(const Context&, const v1::GetAccountRequest& request) {
  auto a = ledger_.GetAccount(request.program_id(), request.account_id());
  if (!a.ok()) return a.status();
  return ToProto(*a);
}

absl::StatusOr<v1::ListAccountsResponse> Funds::ListAccounts(const Context&, const v1::ListAccountsRequest& request) {
  auto accounts = ledger_.ListAccounts(request.program_id(), request.project_id());
  if (!accounts.ok()) return accounts.status();
  v1::ListAccountsResponse response;
  for (const auto& a : *accounts) {
    v1::Account proto = ToProto(a);
    if (request.kind() != v1::ACCOUNT_KIND_UNSPECIFIED && proto.kind() != request.kind()) continue;
    if (request.fiscal_year() != 0 && proto.fiscal_year() != request.fiscal_year()) continue;
    *response.add_accounts() = std::move(proto);
  }
  return response;
}

// ------------------------------------------------------------------ projects' money

absl::StatusOr<v1::Allocation> Funds::GetAllocation(const Context& ctx, const v1::GetAllocationRequest& request) {
  core::Violations v;
  CheckFiscalYear(request.fiscal_year(), "fiscal_year", v);
  if (!v.empty()) return v.ToStatus();
  auto project = ProjectFor(ctx, request.program_id(), request.project_id());
  if (!project.ok()) return project.status();
  auto accounts = ledger_.ListAccounts(project->program_id(), project->project_id());
  if (!accounts.ok()) return accounts.status();
  auto allocations = ProjectAllocations(project->program_id(), *accounts, project->project_id(), request.fiscal_year());
  if (!allocations.ok()) return allocations.status();
  if (allocations->empty()) {
    return absl::NotFoundError(
        absl::StrCat("project ", project->project_id(), " has no allocation for FY", request.fiscal_year()));
  }
  return std::move(allocations->front());
}

absl::StatusOr<v1::ListAllocationsResponse> Funds::ListAllocations(const Context& ctx,
                                                                   const v1::ListAllocationsRequest& request) {
  auto project = ProjectFor(ctx, request.program_id(), request.project_id());
  if (!project.ok()) return project.status();
  auto accounts = ledger_.ListAccounts(project->program_id(), project->project_id());
  if (!accounts.ok()) return accounts.status();
  v1::ListAllocationsResponse response;
  auto allocations = ProjectAllocations(project->program_id(), *accounts, project->project_id());
  if (!allocations.ok()) return allocations.status();
  for (auto& a : *allocations) *response.add_allocations() = std::move(a);
  return response;
}

v1::Disbursement Funds::DisbursementOf(const v1::FundedProject& project, const v1::RecordDisbursementRequest& request,
                                       const std::string& institution, const std::string& id, const Booked& booked) {
  v1::Disbursement d;
  d.set_disbursement_id(id);
  d.set_program_id(project.program_id());
  d.set_project_id(project.project_id());
  d.set_fiscal_year(request.fiscal_year());
  d.set_institution_id(institution);
  d.set_quarter(request.quarter());
  int64_t total = 0;
  for (const auto& t : booked.transfers) {
    auto* line = d.add_amounts();
    line->set_category(LastComponent(t.debit_account_id));
    line->set_amount_yen(t.amount.value());
    total += t.amount.value();
    *d.add_transfers() = ToProto(t);
  }
  d.set_amount_yen(total);
  return d;
}

absl::StatusOr<v1::Disbursement> Funds::RecordDisbursement(const Context& ctx,
                                                           const v1::RecordDisbursementRequest& request) {
  core::Violations v;
  CheckFiscalYear(request.fiscal_year(), "fiscal_year", v);
  if (request.institution_id().empty()) v.Add("institution_id", "is required: who is paid");
  if (request.quarter() < 0 || request.quarter() > 4) {
    v.Add("quarter", "must be 1-4 for a quarterly installment or 0 for a lump sum");
  }
  std::set<std::string> categories;
  for (int i = 0; i < request.amounts_size(); ++i) {
    const auto& line = request.amounts(i);
    CheckId(line.category(), absl::StrCat("amounts[", i, "].category"), v);
    CheckAmount(line.amount_yen(), absl::StrCat("amounts[", i, "].amount_yen"), v);
    if (!categories.insert(line.category()).second) {
      v.Add(absl::StrCat("amounts[", i, "].category"), "appears twice");
    }
  }
  CheckRequestId(request.request_id(), v);
  if (!v.empty()) return v.ToStatus();
  auto project = ProjectFor(ctx, request.program_id(), request.project_id());
  if (!project.ok()) return project.status();
  const std::string& program = project->program_id();
  const std::string institution = InstitutionKey(request.institution_id());
  bool known_institution = false;
  for (const auto& id : project->institution_ids()) known_institution |= InstitutionKey(id) == institution;
  if (!known_institution) {
    v.Add("institution_id", absl::StrCat(request.institution_id(), " is not an institution of project ",
                                         project->project_id(), " (", absl::StrJoin(project->institution_ids(), ", "),
                                         ")"));
    return v.ToStatus();
  }
  // Active projects are paid; a completed one settles what is left; a
  // terminated one only the years it still has (the last one winds down).
  const auto state = project->state();
  const bool payable = state == projects::v1::PROJECT_STATE_ACTIVE || state == projects::v1::PROJECT_STATE_COMPLETED ||
                       (state == projects::v1::PROJECT_STATE_TERMINATED &&
                        request.fiscal_year() < project->terminated_from_fiscal_year());
  if (!payable) {
    return absl::FailedPreconditionError(absl::StrCat(
        "project ", project->project_id(), " is ", projects::v1::ProjectState_Name(state),
        state == projects::v1::PROJECT_STATE_CONTRACTING ? ": its allocation is reserved and waits on the contract"
        : state == projects::v1::PROJECT_STATE_TERMINATED
            ? absl::StrCat(": nothing is paid for FY", request.fiscal_year(), " or later")
            : ": disbursements wait until it is active again"));
  }
  if (auto s = RequireOpenYear(program, request.fiscal_year()); !s.ok()) return s;

  // A quarter's installment is paid once whatever the request id; other
  // disbursements are keyed by the request id.
  const bool installment = request.amounts().empty() && request.quarter() > 0;
  const std::string scope = absl::StrCat(program, "/", project->project_id());
  const std::string prefix = installment ? Prefix("disbq", scope, absl::StrCat(request.fiscal_year(), "/q",
                                                                                request.quarter()))
                                         : Prefix("disb", scope, request.request_id());
  const std::string fingerprint = installment ? Fingerprint(institution) : Fingerprint(request);
  const FiscalYear fy(request.fiscal_year());
  auto booked = BookOnce(
      program, prefix, fingerprint, OnOtherRequest::kRefuse,
      installment ? "quarter" : "request_id", OriginOf(ctx), [&]() -> absl::StatusOr<Batch> {
        auto accounts = ledger_.ListAccounts(program, project->project_id());
        if (!accounts.ok()) return accounts.status();
        std::map<std::string, const Account*> allocation;  // category -> account of the year
        for (const auto& a : *accounts) {
          if (a.spec.kind == AccountKind::kProjectAllocation && a.spec.fiscal_year == fy.year()) {
            allocation[a.spec.category] = &a;
          }
        }
        std::vector<CategoryAmount> lines;
        if (!request.amounts().empty()) {
          for (int i = 0; i < request.amounts_size(); ++i) {
            const auto& line = request.amounts(i);
            if (!allocation.count(line.category())) {
              v.Add(absl::StrCat("amounts[", i, "].category"),
                    absl::StrCat("project ", project->project_id(), " has no FY", fy.year(), " allocation of ",
                                 line.category()));
            }
            lines.push_back({line.category(), Yen(line.amount_yen())});
          }
          if (!v.empty()) return v.ToStatus();
        } else if (request.quarter() == 0) {
          for (const auto& [category, a] : allocation) {
            if (a->balance.value() > 0) lines.push_back({category, a->balance});
          }
          if (lines.empty()) {
            return absl::FailedPreconditionError(absl::StrCat("project ", project->project_id(),
                                                              " has nothing left to disburse for FY", fy.year()));
          }
        } else {
          std::vector<CategoryAmount> year;
          for (const auto& amount : AllocatedAmounts(*accounts, project->project_id())) {
            if (amount.fiscal_year == fy) year.push_back({amount.category, amount.allocated});
          }
          auto schedule = ScheduleDisbursements(fy, year, Schedule::kQuarterly, ToTime(project->research_start()));
          if (!schedule.ok()) return schedule.status();
          for (const auto& installment_of : *schedule) {
            if (installment_of.quarter != request.quarter()) continue;
            for (const auto& part : installment_of.amounts) {
              if (part.amount.value() > 0) lines.push_back(part);  // a few yen split four ways leaves zeros
            }
          }
          if (lines.empty()) {
            return absl::FailedPreconditionError(absl::StrCat(
                "project ", project->project_id(), " has no Q", request.quarter(), " installment in FY", fy.year(),
                schedule->empty() ? ": nothing is allocated"
                                  : absl::StrCat(": installments run from Q", schedule->front().quarter)));
          }
        }
        Batch batch;
        const AccountSpec payable = InstitutionPayableAccount(project->project_id(), fy, institution);
        batch.open_accounts.push_back(payable);
        int64_t total = 0;
        for (const auto& line : lines) {
          TransferRequest t;
          t.debit_account_id = ProjectAllocationAccount(project->project_id(), fy, line.category).id;
          t.credit_account_id = payable.id;
          t.amount = line.amount;
          t.code = codes::kDisbursement;
          t.memo = request.quarter() > 0 ? absl::StrCat("FY", fy.year(), " Q", request.quarter(), " installment")
                                         : absl::StrCat("FY", fy.year(), " disbursement");
          total += line.amount.value();
          batch.transfers.push_back(std::move(t));
        }
        v1::DisbursementMade made;
        made.set_program_id(program);
        made.set_project_id(project->project_id());
        made.set_disbursement_id(prefix);
        made.set_fiscal_year(fy.year());
        made.set_institution_id(institution);
        made.set_amount_yen(total);
        made.set_quarter(request.quarter());
        batch.events.push_back(ctx.NewEvent(made, kProjectType, project->project_id()));
        return batch;
      });
  if (!booked.ok()) return booked.status();
  v1::Disbursement response = DisbursementOf(*project, request, institution, prefix, *booked);
  Count("disbursement", booked->duplicate ? "repeat" : "booked");
  tel::LogInfo(booked->duplicate ? "disbursement repeated: nothing booked" : "disbursement made",
               {{"program_id", program},
                {"project_id", project->project_id()},
                {"fiscal_year", fy.year()},
                {"institution_id", institution},
                {"quarter", request.quarter()},
                {"amount_yen", response.amount_yen()},
                {"actor", ctx.actor()}});
  return response;
}

absl::StatusOr<v1::ExpenseReport> Funds::ReportExpense(const Context& ctx, const v1::ReportExpenseRequest& request) {
  core::Violations v;
  CheckFiscalYear(request.fiscal_year(), "fiscal_year", v);
  CheckId(request.category(), "category", v);
  CheckAmount(request.amount_yen(), "amount_yen", v);
  CheckText(request.description(), "description", v);
  CheckRequestId(request.request_id(), v);
  if (!v.empty()) return v.ToStatus();
  auto project = ProjectFor(ctx, request.program_id(), request.project_id());
  if (!project.ok()) return project.status();
  const std::string& program = project->program_id();
  if (auto s = RequireOpenYear(program, request.fiscal_year()); !s.ok()) return s;
  const FiscalYear fy(request.fiscal_year());
  const std::string prefix = Prefix("exp", absl::StrCat(program, "/", project->project_id()), request.request_id());
  auto booked = BookOnce(
      program, prefix, Fingerprint(request), OnOtherRequest::kRefuse, "request_id", OriginOf(ctx),
      [&]() -> absl::StatusOr<Batch> {
        auto accounts = ledger_.ListAccounts(program, project->project_id());
        if (!accounts.ok()) return accounts.status();
        bool allocated = false;
        std::vector<std::string> payables;
        for (const auto& a : *accounts) {
          if (a.spec.fiscal_year != fy.year()) continue;
          allocated |= a.spec.kind == AccountKind::kProjectAllocation && a.spec.category == request.category();
          if (a.spec.kind == AccountKind::kInstitutionPayable) payables.push_back(a.spec.institution_id);
        }
        if (!allocated) {
          v.Add("category", absl::StrCat("project ", project->project_id(), " has no FY", fy.year(),
                                         " allocation of ", request.category()));
          return v.ToStatus();
        }
        std::string institution;
        if (!request.institution_id().empty()) {
          institution = InstitutionKey(request.institution_id());
          if (std::find(payables.begin(), payables.end(), institution) == payables.end()) {
            return absl::FailedPreconditionError(absl::StrCat("nothing was disbursed to ", request.institution_id(),
                                                              " for project ", project->project_id(), " in FY",
                                                              fy.year()));
          }
        } else if (payables.size() == 1) {
          institution = payables.front();
        } else if (payables.empty()) {
          return absl::FailedPreconditionError(absl::StrCat("nothing was disbursed for project ",
                                                            project->project_id(), " in FY", fy.year(), " yet"));
        } else {
          v.Add("institution_id", absl::StrCat("FY", fy.year(), " money went to ", payables.size(),
                                               " institutions (", absl::StrJoin(payables, ", "), "); name one"));
          return v.ToStatus();
        }
        Batch batch;
        const AccountSpec spent = ProjectExpenseAccount(project->project_id(), fy, request.category());
        batch.open_accounts.push_back(spent);
        TransferRequest t;
        t.debit_account_id = InstitutionPayableAccount(project->project_id(), fy, institution).id;
        t.credit_account_id = spent.id;
        t.amount = Yen(request.amount_yen());
        t.code = codes::kExpense;
        t.memo = request.description();
        batch.transfers.push_back(std::move(t));
        v1::ExpenseReported reported;
        reported.set_program_id(program);
        reported.set_project_id(project->project_id());
        reported.set_expense_id(prefix);
        reported.set_fiscal_year(fy.year());
        reported.set_category(request.category());
        reported.set_amount_yen(request.amount_yen());
        batch.events.push_back(ctx.NewEvent(reported, kProjectType, project->project_id()));
        return batch;
      });
  if (!booked.ok()) return booked.status();
  const Transfer& t = booked->transfers.front();
  const std::string institution = LastComponent(t.debit_account_id);  // payable.<project>.<FY>.<institution>
  v1::ExpenseReport report;
  report.set_expense_id(prefix);
  report.set_program_id(program);
  report.set_project_id(project->project_id());
  report.set_fiscal_year(fy.year());
  report.set_category(request.category());
  report.set_amount_yen(request.amount_yen());
  report.set_institution_id(institution);
  *report.mutable_transfer() = ToProto(t);
  Count("expense", booked->duplicate ? "repeat" : "booked");
  tel::LogInfo(booked->duplicate ? "expense report repeated: nothing booked" : "expense reported",
               {{"program_id", program},
                {"project_id", project->project_id()},
                {"fiscal_year", fy.year()},
                {"category", request.category()},
                {"amount_yen", request.amount_yen()},
                {"institution_id", institution},
                {"actor", ctx.actor()}});
  return report;
}

absl::StatusOr<v1::ReallocationApproval> Funds::ApproveReallocation(const Context& ctx,
                                                                    const v1::ApproveReallocationRequest& request) {
  core::Violations v;
  CheckFiscalYear(request.fiscal_year(), "fiscal_year", v);
  for (const auto& [field, category] : {std::pair{"from_category", &request.from_category()},
                                        std::pair{"to_category", &request.to_category()}}) {
    CheckId(*category, field, v);
    if (*category == kIndirectCategory) v.Add(field, "indirect costs never move between categories");
  }
  if (request.from_category() == request.to_category()) v.Add("to_category", "must differ from from_category");
  CheckAmount(request.approved_yen(), "approved_yen", v);
  if (request.approval_id().empty() || request.approval_id().size() > 100 ||
      !IsValidTransferId(request.approval_id())) {
    v.Add("approval_id", "the change request's number: 1-100 characters of [A-Za-z0-9_.:-]");
  }
  CheckText(request.reason(), "reason", v);
  if (!v.empty()) return v.ToStatus();
  auto project = ProjectFor(ctx, request.program_id(), request.project_id());
  if (!project.ok()) return project.status();

  v1::ReallocationApproval approval;
  approval.set_approval_id(request.approval_id());
  approval.set_program_id(project->program_id());
  approval.set_project_id(project->project_id());
  approval.set_fiscal_year(request.fiscal_year());
  approval.set_from_category(request.from_category());
  approval.set_to_category(request.to_category());
  approval.set_approved_yen(request.approved_yen());
  approval.set_reason(request.reason());
  const std::string id = absl::StrCat(project->program_id(), ":", request.approval_id());
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto stored = runtime::LoadAggregate<v1::ReallocationApproval>(kit_.store(), kApprovalType, id);
    if (!stored.ok()) return stored.status();
    if (stored->exists()) {
      v1::ReallocationApproval content = stored->value;
      content.clear_approved_by();
      content.clear_approved_at();
      if (content.SerializeAsString() != approval.SerializeAsString()) {
        return absl::AlreadyExistsError(absl::StrCat("approval ", request.approval_id(), " of program ",
                                                     project->program_id(), " was recorded with other content"));
      }
      return stored->value;
    }
    approval.set_approved_by(ctx.actor());
    *approval.mutable_approved_at() = ToTimestamp(ctx.now);
    store::Commit commit;
    commit.aggregate_type = kApprovalType;
    commit.aggregate_id = id;
    commit.data = approval.SerializeAsString();
    auto result = kit_.store().Commit(commit);
    if (result.ok()) {
      tel::LogInfo("reallocation approved", {{"program_id", project->program_id()},
                                             {"project_id", project->project_id()},
                                             {"approval_id", request.approval_id()},
                                             {"approved_yen", request.approved_yen()},
                                             {"actor", ctx.actor()}});
      return approval;
    }
    if (!absl::IsAborted(result.status())) return result.status();
    approval.clear_approved_by();
    approval.clear_approved_at();
  }
  return absl::AbortedError("approval recorded concurrently; retry");
}

absl::StatusOr<v1::ReallocateResponse> Funds::Reallocate(const Context& ctx, const v1::ReallocateRequest& request) {
  core::Violations v;
  CheckFiscalYear(request.fiscal_year(), "fiscal_year", v);
  CheckAmount(request.amount_yen(), "amount_yen", v);
  CheckRequestId(request.request_id(), v);
  if (!v.empty()) return v.ToStatus();
  auto project = ProjectFor(ctx, request.program_id(), request.project_id());
  if (!project.ok()) return project.status();
  const std::string& program = project->program_id();
  auto terms = terms_.For(program, project->award_fiscal_year());
  if (!terms.ok()) return terms.status();
  const std::vector<CategoryAmount> planned = PlannedDirect(*project, request.fiscal_year());
  Yen planned_direct;
  for (const auto& c : planned) {
    auto sum = planned_direct.Add(c.amount);
    if (!sum.ok()) {
      return absl::OutOfRangeError(absl::StrCat("budget_plan of project ", project->project_id(), " for FY",
                                                request.fiscal_year(),
                                                ": the planned direct costs add up beyond int64 yen"));
    }
    planned_direct = *sum;
  }
  auto share = planned_direct.MultiplyRatio(terms->rules.reallocation_free_share.numerator,
                                            terms->rules.reallocation_free_share.denominator);
  if (!share.ok()) return share.status();
  const Yen free_limit = std::max(*share, terms->rules.reallocation_free_floor);

  const std::string scope = absl::StrCat(program, "/", project->project_id());
  const std::string by_request = Prefix("realloc", scope, request.request_id());
  const std::string by_approval =
      request.approval_id().empty() ? std::string() : Prefix("reallocapr", program, request.approval_id());
  const std::string fingerprint = Fingerprint(request);
  auto respond = [&](const Booked& booked, bool approval_used) {
    v1::ReallocateResponse response;
    *response.mutable_transfer() = ToProto(booked.transfers.front());
    response.set_free_limit_yen(free_limit.value());
    response.set_approval_used(approval_used);
    Count("reallocation", booked.duplicate ? "repeat" : "booked");
    tel::LogInfo(booked.duplicate ? "reallocation repeated: nothing booked" : "reallocated",
                 {{"program_id", program},
                  {"project_id", project->project_id()},
                  {"fiscal_year", request.fiscal_year()},
                  {"from_category", request.from_category()},
                  {"to_category", request.to_category()},
                  {"amount_yen", request.amount_yen()},
                  {"approval_id", approval_used ? request.approval_id() : ""},
                  {"actor", ctx.actor()}});
    return response;
  };
  // A repeat answers from what was booked under either prefix, before the
  // limits are judged on balances that already include it (a twin judged
  // otherwise would book under the other prefix: the amount moved twice).
  auto repeat = [&]() -> absl::StatusOr<std::optional<v1::ReallocateResponse>> {
    for (const std::string* prefix : {&by_request, &by_approval}) {
      if (prefix->empty()) continue;
      auto found = FindBooked(program, *prefix, fingerprint, OnOtherRequest::kRefuse,
                              prefix == &by_request ? "request_id" : "approval_id");
      if (!found.ok()) return found.status();
      if (found->has_value()) return respond(**found, prefix == &by_approval);
    }
    return std::nullopt;
  };
  auto repeated = repeat();
  if (!repeated.ok()) return repeated.status();
  if (repeated->has_value()) return **repeated;

  if (project->allocation() != v1::ALLOCATION_STATUS_POSTED) {
    return absl::FailedPreconditionError(absl::StrCat("project ", project->project_id(),
                                                      " has no booked allocation to move (",
                                                      v1::AllocationStatus_Name(project->allocation()), ")"));
  }
  if (auto s = RequireOpenYear(program, request.fiscal_year()); !s.ok()) return s;
  std::optional<ReallocationApproval> approval;
  if (!request.approval_id().empty()) {
    auto stored = runtime::LoadAggregate<v1::ReallocationApproval>(kit_.store(), kApprovalType,
                                                                   absl::StrCat(program, ":", request.approval_id()));
    if (!stored.ok()) return stored.status();
    if (!stored->exists()) {
      return absl::NotFoundError(absl::StrCat("approval ", request.approval_id(), " of program ", program,
                                              " is not recorded (ApproveReallocation)"));
    }
    if (stored->value.project_id() != project->project_id() ||
        stored->value.fiscal_year() != request.fiscal_year()) {
      return absl::FailedPreconditionError(absl::StrCat("approval ", request.approval_id(), " is for project ",
                                                        stored->value.project_id(), " FY",
                                                        stored->value.fiscal_year()));
    }
    approval = ReallocationApproval{request.approval_id(), stored->value.from_category(),
                                    stored->value.to_category(), Yen(stored->value.approved_yen())};
  }
  const FiscalYear fy(request.fiscal_year());
  const AccountSpec from = ProjectAllocationAccount(project->project_id(), fy, request.from_category());
  const AccountSpec to = ProjectAllocationAccount(project->project_id(), fy, request.to_category());
  // The limits are judged on the two categories as read, and the move is
  // booked only if neither changed since (else a concurrent move judged on
  // the same amounts would pass too): judged again when one did. A twin's
  // booking made before this read is found here; one made after it changed
  // the revisions, so the batch comes back ABORTED and the next read finds it.
  for (int attempt = 1;; ++attempt) {
    auto accounts = ledger_.ListAccounts(program, project->project_id());
    if (!accounts.ok()) return accounts.status();
    repeated = repeat();
    if (!repeated.ok()) return repeated.status();
    if (repeated->has_value()) return **repeated;
    std::vector<CategoryAmount> current;
    for (const auto& a : AllocatedAmounts(*accounts, project->project_id())) {
      if (a.fiscal_year.year() == request.fiscal_year() && a.category != kIndirectCategory) {
        current.push_back({a.category, a.allocated});
      }
    }
    auto decision = CheckReallocation(terms->rules, planned, current, request.from_category(),
                                      request.to_category(), Yen(request.amount_yen()), approval);
    if (!decision.ok()) return decision.status();
    auto booked = BookOnce(program, decision->approval_used ? by_approval : by_request, fingerprint,
                           OnOtherRequest::kRefuse, decision->approval_used ? "approval_id" : "request_id",
                           OriginOf(ctx), [&]() -> absl::StatusOr<Batch> {
                             Batch batch;
                             batch.open_accounts.push_back(to);
                             batch.expected_revisions = RevisionsOf(*accounts, {from.id, to.id});
                             TransferRequest t;
                             t.debit_account_id = from.id;
                             t.credit_account_id = to.id;
                             t.amount = Yen(request.amount_yen());
                             t.code = codes::kReallocation;
                             t.memo = decision->approval_used
                                          ? absl::StrCat("費目間流用 with approval ", request.approval_id())
                                          : std::string("費目間流用 within the free limit");
                             batch.transfers.push_back(std::move(t));
                             return batch;
                           });
    if (absl::IsAborted(booked.status()) && attempt < kJudgeAttempts) continue;
    if (!booked.ok()) return booked.status();
    return respond(*booked, decision->approval_used);
  }
}

absl::StatusOr<v1::UseNextYearFundsResponse> Funds::UseNextYearFunds(const Context& ctx,
                                                                     const v1::UseNextYearFundsRequest& request) {
  core::Violations v;
  CheckFiscalYear(request.fiscal_year(), "fiscal_year", v);
  CheckId(request.category(), "category", v);
  CheckAmount(request.amount_yen(), "amount_yen", v);
  CheckRequestId(request.request_id(), v);
  if (!v.empty()) return v.ToStatus();
  auto project = ProjectFor(ctx, request.program_id(), request.project_id());
  if (!project.ok()) return project.status();
  const std::string& program = project->program_id();
  auto terms = terms_.For(program, project->award_fiscal_year());
  if (!terms.ok()) return terms.status();
  const FiscalYear fy(request.fiscal_year());
  const AccountSpec next = ProjectAllocationAccount(project->project_id(), fy.Next(), request.category());
  // The limit is a share of next year's allocation before any 前倒し.
  struct NextYear {
    Yen allocation;  // before any 前倒し
    Yen advanced;    // so far
    int64_t revision = 0;
  };
  auto state = [&]() -> absl::StatusOr<NextYear> {
    auto account = ledger_.GetAccount(program, next.id);
    if (absl::IsNotFound(account.status())) return NextYear{};
    if (!account.ok()) return account.status();
    const Yen advanced = account->TurnoverOf(codes::kAdvanceUse).debited;
    Yen allocated(0);
    for (const auto& a : AllocatedAmounts({*account}, project->project_id())) allocated = a.allocated;
    auto allocation = allocated.Add(advanced);
    if (!allocation.ok()) {
      return absl::OutOfRangeError(absl::StrCat("account ", next.id, ": the allocation before 前倒し (",
                                                allocated.value(), " + ", advanced.value(),
                                                " yen) does not fit in int64"));
    }
    return NextYear{*allocation, advanced, account->revision};
  };
  auto respond = [&](const Booked& booked) -> absl::StatusOr<v1::UseNextYearFundsResponse> {
    auto now = state();
    if (!now.ok()) return now.status();
    auto limit = now->allocation.MultiplyRatio(terms->rules.advance_use_limit.numerator,
                                               terms->rules.advance_use_limit.denominator);
    if (!limit.ok()) return limit.status();
    v1::UseNextYearFundsResponse response;
    *response.mutable_transfer() = ToProto(booked.transfers.front());
    response.set_limit_yen(limit->value());
    response.set_remaining_yen(std::max<int64_t>(0, limit->value() - now->advanced.value()));
    Count("advance_use", booked.duplicate ? "repeat" : "booked");
    tel::LogInfo(booked.duplicate ? "advance use repeated: nothing booked" : "next year's funds used early (前倒し)",
                 {{"program_id", program},
                  {"project_id", project->project_id()},
                  {"fiscal_year", fy.year()},
                  {"category", request.category()},
                  {"amount_yen", request.amount_yen()},
                  {"actor", ctx.actor()}});
    return response;
  };
  const std::string prefix =
      Prefix("advance", absl::StrCat(program, "/", project->project_id()), request.request_id());
  const std::string fingerprint = Fingerprint(request);
  auto found = FindBooked(program, prefix, fingerprint, OnOtherRequest::kRefuse, "request_id");
  if (!found.ok()) return found.status();
  if (found->has_value()) return respond(**found);

  if (project->allocation() != v1::ALLOCATION_STATUS_POSTED) {
    return absl::FailedPreconditionError(
        absl::StrCat("project ", project->project_id(), " has no booked allocation to draw on"));
  }
  if (auto s = RequireOpenYear(program, fy.year()); !s.ok()) return s;
  // Judged on next year's account as read and booked only if it did not
  // change since (else concurrent requests judged on the same advanced
  // total could together pass the limit): judged again when it did.
  for (int attempt = 1;; ++attempt) {
    auto before = state();
    if (!before.ok()) return before.status();
    auto decision = CheckAdvanceUse(terms->rules, before->allocation, before->advanced, Yen(request.amount_yen()));
    if (!decision.ok()) return decision.status();
    auto booked = BookOnce(program, prefix, fingerprint, OnOtherRequest::kRefuse, "request_id", OriginOf(ctx),
                           [&]() -> absl::StatusOr<Batch> {
                             Batch batch;
                             const AccountSpec to =
                                 ProjectAllocationAccount(project->project_id(), fy, request.category());
                             batch.open_accounts.push_back(to);
                             batch.expected_revisions = {{next.id, before->revision}};
                             TransferRequest t;
                             t.debit_account_id = next.id;
                             t.credit_account_id = to.id;
                             t.amount = Yen(request.amount_yen());
                             t.code = codes::kAdvanceUse;
                             t.memo = absl::StrCat("前倒し of FY", fy.Next().year(), " into FY", fy.year());
                             batch.transfers.push_back(std::move(t));
                             return batch;
                           });
    if (absl::IsAborted(booked.status()) && attempt < kJudgeAttempts) continue;
    if (!booked.ok()) return booked.status();
    return respond(*booked);
  }
}

// ------------------------------------------------------------------ fiscal-year close

absl::StatusOr<std::vector<LedgerMove>> Funds::CloseMoves(const v1::CloseFiscalYearRequest& request,
                                                           const FundingTerms& program_terms) {
  const std::string& program = request.program_id();
  const FiscalYear fy(request.fiscal_year());
  // What is left of the year, grouped by the terms that decide its close:
  // the program budget by the year's, each project by its award year's.
  auto accounts = ledger_.ListAccounts(program);
  if (!accounts.ok()) return accounts.status();
  struct Group {
    FundingTerms terms;
    std::vector<AccountBalance> balances;
    std::vector<CarryOverApproval> approvals;
  };
  std::map<std::string, Group> groups;  // "" = the program budget, else a project
  for (const auto& a : *accounts) {
    if (a.spec.fiscal_year != fy.year()) continue;
    if (a.spec.kind != AccountKind::kProgramBudget && a.spec.kind != AccountKind::kProjectAllocation &&
        a.spec.kind != AccountKind::kInstitutionPayable) {
      continue;
    }
    // Reservations stay where they are: only what is available moves.
    const Yen left = a.available();
    if (left.value() <= 0) continue;
    const std::string owner = a.spec.kind == AccountKind::kProgramBudget ? "" : a.spec.project_id;
    auto [it, fresh] = groups.try_emplace(owner);
    if (fresh) {
      it->second.terms = program_terms;
      if (!owner.empty()) {
        auto project = LoadProject(owner);
        if (!project.ok()) return project.status();
        if (project->exists()) {
          auto terms = terms_.For(program, project->value.award_fiscal_year());
          if (!terms.ok()) return terms.status();
          it->second.terms = *terms;
        }
      }
    }
    it->second.balances.push_back({a.spec, left});
  }
  core::Violations v;
  for (int i = 0; i < request.carry_over_approvals_size(); ++i) {
    const auto& a = request.carry_over_approvals(i);
    auto it = groups.find(a.project_id());
    if (it == groups.end()) {
      v.Add(absl::StrCat("carry_over_approvals[", i, "].project_id"),
            absl::StrCat(a.project_id().empty() ? std::string("the program budget") : a.project_id(), " has no ",
                         fy.ToString(), " money left to carry over"));
      continue;
    }
    it->second.approvals.push_back({a.project_id(), a.approval_id(), Yen(a.approved_yen())});
  }
  if (!v.empty()) return v.ToStatus();

  std::vector<LedgerMove> moves;
  for (auto& [owner, group] : groups) {
    const std::string whose = owner.empty() ? std::string("the program budget") : "project " + owner;
    if (group.terms.carry_over == calls::v1::CARRY_OVER_RULE_UNSPECIFIED) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the program catalog states no fund type (基金 or 補助金) for ", program, " in the award year of ", whose,
          ", so its carry-over rule is unknown; state it in programs.yaml before closing ", fy.ToString()));
    }
    if (group.terms.carry_over == calls::v1::CARRY_OVER_RULE_NOT_ALLOWED && !group.approvals.empty()) {
      v.Add("carry_over_approvals", absl::StrCat(program, " allows no carry-over for ", whose));
      return v.ToStatus();
    }
    auto close = funds::CloseFiscalYear(group.terms.rules, fy, group.balances, group.approvals);
    if (!close.ok()) return close.status();
    moves.insert(moves.end(), close->moves.begin(), close->moves.end());
  }
  return moves;
}

absl::StatusOr<v1::CloseFiscalYearResponse> Funds::CloseFiscalYear(const Context& ctx,
                                                                   const v1::CloseFiscalYearRequest& request) {
  core::Violations v;
  CheckId(request.program_id(), "program_id", v);
  CheckFiscalYear(request.fiscal_year(), "fiscal_year", v);
  CheckRequestId(request.request_id(), v);
  std::set<std::string> approved;  // projects ("" = the program budget)
  for (int i = 0; i < request.carry_over_approvals_size(); ++i) {
    const auto& a = request.carry_over_approvals(i);
    const std::string at = absl::StrCat("carry_over_approvals[", i, "]");
    CheckId(a.project_id(), at + ".project_id", v, /*required=*/false);
    if (a.approval_id().empty()) v.Add(at + ".approval_id", "names the approved 繰越 request");
    CheckAmount(a.approved_yen(), at + ".approved_yen", v);
    if (!approved.insert(a.project_id()).second) {
      v.Add(at + ".project_id", "a second approval for the same project");
    }
  }
  if (!v.empty()) return v.ToStatus();
  const std::string& program = request.program_id();
  const FiscalYear fy(request.fiscal_year());
  auto program_terms = terms_.For(program, fy.year());
  if (!program_terms.ok()) return program_terms.status();
  if (ctx.now < fy.End()) {
    return absl::FailedPreconditionError(absl::StrCat(fy.ToString(), " ends on 31 March ", fy.year() + 1,
                                                      " (Asia/Tokyo); it can be closed from 1 April"));
  }
  const std::string closed_id = ClosedYearId(program, fy.year());
  auto stored_close = [&]() -> absl::StatusOr<std::optional<v1::CloseFiscalYearResponse>> {
    auto closed = runtime::LoadAggregate<v1::ClosedFiscalYear>(kit_.store(), kClosedYearType, closed_id);
    if (!closed.ok()) return closed.status();
    if (!closed->exists()) return std::optional<v1::CloseFiscalYearResponse>();
    if (closed->value.request_id() != request.request_id()) {
      return absl::FailedPreconditionError(absl::StrCat(fy.ToString(), " of program ", program, " was closed at ",
                                                        core::FormatRfc3339Utc(ToTime(closed->value.closed_at())),
                                                        " by ", closed->value.closed_by()));
    }
    return std::optional<v1::CloseFiscalYearResponse>(closed->value.response());
  };
  auto prior = stored_close();
  if (!prior.ok()) return prior.status();
  if (prior->has_value()) return **prior;

  // One batch per year's close, whoever asks: a close whose record was not
  // written (a crash) is found booked and only recorded.
  const std::string prefix = Prefix("close", program, absl::StrCat(fy.year()));
  auto booked_before = FindBooked(program, prefix, "", OnOtherRequest::kAccept, "request_id");
  if (!booked_before.ok()) return booked_before.status();
  std::vector<Transfer> transfers;
  if (booked_before->has_value()) {
    transfers = std::move((*booked_before)->transfers);
  } else {
    auto moves = CloseMoves(request, *program_terms);
    if (!moves.ok()) return moves.status();
    if (!moves->empty()) {
      auto booked = BookOnce(program, prefix, Fingerprint(request), OnOtherRequest::kAccept, "request_id",
                             OriginOf(ctx), [&]() -> absl::StatusOr<Batch> { return MovesBatch(prefix, *moves); });
      if (!booked.ok()) return booked.status();
      transfers = std::move(booked->transfers);
    }
  }
  int64_t carried = 0, returned = 0;
  std::map<std::string, int64_t> returned_by_owner;  // "" = the program budget
  for (const auto& t : transfers) {
    if (t.code == codes::kCarryOver) carried += t.amount.value();
    if (t.code == codes::kReturn) {
      returned += t.amount.value();
      const std::vector<std::string> parts = absl::StrSplit(t.debit_account_id, '.');
      returned_by_owner[parts[0] == "budget" ? "" : parts[1]] += t.amount.value();
    }
  }

  v1::CloseFiscalYearResponse response;
  response.set_carried_over_yen(carried);
  response.set_returned_yen(returned);
  for (const auto& t : transfers) *response.add_transfers() = ToProto(t);
  v1::ClosedFiscalYear record;
  record.set_program_id(program);
  record.set_fiscal_year(fy.year());
  record.set_request_id(request.request_id());
  *record.mutable_response() = response;
  *record.mutable_closed_at() = ToTimestamp(ctx.now);
  record.set_closed_by(ctx.actor());
  store::Commit commit;
  commit.aggregate_type = kClosedYearType;
  commit.aggregate_id = closed_id;
  commit.data = record.SerializeAsString();
  v1::FiscalYearClosed closed;
  closed.set_program_id(program);
  closed.set_fiscal_year(fy.year());
  closed.set_instrument(program_terms->instrument);
  closed.set_carried_over_yen(carried);
  closed.set_returned_yen(returned);
  commit.events.push_back(ctx.NewEvent(closed, "program", program));
  for (const auto& [owner, amount] : returned_by_owner) {
    v1::FundsReturned back;
    back.set_program_id(program);
    back.set_project_id(owner);
    back.set_fiscal_year(fy.year());
    back.set_amount_yen(amount);
    back.set_reason("fiscal_year_close");
    commit.events.push_back(ctx.NewEvent(back, owner.empty() ? "program" : kProjectType,
                                         owner.empty() ? program : owner));
  }
  auto committed = kit_.store().Commit(commit);
  if (!committed.ok()) {
    if (!absl::IsAborted(committed.status())) return committed.status();
    auto raced = stored_close();  // closed concurrently
    if (!raced.ok()) return raced.status();
    if (raced->has_value()) return **raced;
    return committed.status();
  }
  Count("close_fiscal_year", "closed");
  tel::LogInfo("fiscal year closed", {{"program_id", program},
                                      {"fiscal_year", fy.year()},
                                      {"carried_over_yen", carried},
                                      {"returned_yen", returned},
                                      {"transfers", static_cast<int64_t>(transfers.size())},
                                      {"actor", ctx.actor()}});
  return response;
}

// ------------------------------------------------------------------ reports

absl::StatusOr<v1::ProgramBudgetReport> Funds::ReportProgramBudget(const Context&,
                                                                   const v1::ReportProgramBudgetRequest& request) {
  auto accounts = ledger_.ListAccounts(request.program_id());
  if (!accounts.ok()) return accounts.status();
  return BudgetReport(request.program_id(), *accounts, request.from_fiscal_year(), request.to_fiscal_year());
}

absl::StatusOr<v1::ProjectsReport> Funds::ReportProjects(const Context&, const v1::ReportProjectsRequest& request) {
  auto accounts = ledger_.ListAccounts(request.program_id());
  if (!accounts.ok()) return accounts.status();
  v1::ProjectsReport report;
  report.set_program_id(request.program_id());
  auto allocations = ProjectAllocations(request.program_id(), *accounts, "", request.fiscal_year());
  if (!allocations.ok()) return allocations.status();
  for (auto& a : *allocations) *report.add_allocations() = std::move(a);
  return report;
}

absl::StatusOr<v1::InstitutionsReport> Funds::ReportInstitutions(const Context&,
                                                                 const v1::ReportInstitutionsRequest& request) {
  auto accounts = ledger_.ListAccounts(request.program_id());
  if (!accounts.ok()) return accounts.status();
  return InstitutionReport(request.program_id(), *accounts, request.fiscal_year());
}

absl::StatusOr<v1::ExportCsvResponse> Funds::ExportCsv(const Context& ctx, const v1::ExportCsvRequest& request) {
  v1::ExportCsvResponse response;
  response.set_content_type("text/csv; charset=utf-8");
  const int fy = request.fiscal_year();
  switch (request.report()) {
    case v1::CSV_REPORT_UNSPECIFIED:
    case v1::CSV_REPORT_LEDGER: {
      auto csv = ledger_.ExportCsv(request.program_id(), fy);
      if (!csv.ok()) return csv.status();
      response.set_csv(*std::move(csv));
      break;
    }
    case v1::CSV_REPORT_PROGRAM_BUDGET: {
      v1::ReportProgramBudgetRequest r;
      r.set_program_id(request.program_id());
      r.set_from_fiscal_year(fy);
      r.set_to_fiscal_year(fy);
      auto report = ReportProgramBudget(ctx, r);
      if (!report.ok()) return report.status();
      response.set_csv(BudgetCsv(*report));
      break;
    }
    case v1::CSV_REPORT_PROJECTS: {
      v1::ReportProjectsRequest r;
      r.set_program_id(request.program_id());
      r.set_fiscal_year(fy);
      auto report = ReportProjects(ctx, r);
      if (!report.ok()) return report.status();
      response.set_csv(ProjectsCsv({report->allocations().begin(), report->allocations().end()}));
      break;
    }
    case v1::CSV_REPORT_INSTITUTIONS: {
      v1::ReportInstitutionsRequest r;
      r.set_program_id(request.program_id());
      r.set_fiscal_year(fy);
      auto report = ReportInstitutions(ctx, r);
      if (!report.ok()) return report.status();
      response.set_csv(InstitutionsCsv(*report));
      break;
    }
    default: {
      core::Violations v;
      v.Add("report", "unknown report");
      return v.ToStatus();
    }
  }
  tel::LogInfo("csv exported", {{"program_id", request.program_id()},
                                {"report", v1::CsvReport_Name(request.report())},
                                {"bytes", static_cast<int64_t>(response.csv().size())},
                                {"actor", ctx.actor()}});
  return response;
}

}  // namespace tane::funds
