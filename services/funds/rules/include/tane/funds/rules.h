#pragma once
/// Funding rules as pure functions: no I/O, no clock. Each turns facts (a
/// budget plan, balances, approvals) into amounts and ledger moves that the
/// caller books with tane::funds::Ledger in one atomic batch.
///
/// Figures marked (practice) in DOMAIN.md are parameters of ProgramRules with
/// the usual default, so each program can set its own.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tane/core/money.h"
#include "tane/core/time.h"
#include "tane/funds/accounts.h"

namespace tane::funds {

using core::FiscalYear;
using core::Yen;

/// The funding instrument decides what happens to money at fiscal-year end.
enum class Instrument {
  kGrant,           // 補助金: single fiscal year; carry-over (繰越) needs approval
  kFund,            // 基金: multi-year; carry-over free, advance use (前倒し) allowed
  kContract,        // 委託: single fiscal year, like a grant
  kOperatingGrant,  // 運営費交付金: single fiscal year, like a grant
};

struct Ratio {
  int64_t numerator = 0;
  int64_t denominator = 1;
};

struct ProgramRules {
  Instrument instrument = Instrument::kGrant;
  /// 間接経費: 30% of direct costs (practice), rounded down per fiscal year.
  Ratio indirect_rate{30, 100};
  /// 費目間流用: each category may change by up to this share of the year's
  /// planned direct total without approval (practice: 50%) ...
  Ratio reallocation_free_share{50, 100};
  /// ... or by this amount when that is larger (KAKENHI uses ¥3M; default 0).
  Yen reallocation_free_floor{0};
  /// 前倒し (基金 only): the most of next year's allocation that may be drawn
  /// early, as a share of it. Not stated in the seeds; default 100%.
  Ratio advance_use_limit{100, 100};
};

// ---------------------------------------------------------------------------
// Allocation of a project's budget plan.

struct CategoryAmount {
  std::string category;
  Yen amount;
  friend bool operator==(const CategoryAmount&, const CategoryAmount&) = default;
};

/// One line of a project's budget plan: direct costs of one category in one
/// fiscal year.
struct PlanLine {
  FiscalYear fiscal_year{0};
  std::string category;
  Yen direct;
};

struct AllocationLine {
  FiscalYear fiscal_year{0};
  std::string category;  // a direct-cost category or kIndirectCategory
  Yen amount;
  friend bool operator==(const AllocationLine&, const AllocationLine&) = default;
};

struct YearTotals {
  FiscalYear fiscal_year{0};
  Yen direct;
  Yen indirect;
  Yen total;
  friend bool operator==(const YearTotals&, const YearTotals&) = default;
};

struct AllocationPlan {
  /// Ordered by fiscal year, then the plan's category order, then indirect.
  /// Lines of zero are left out (there is nothing to book).
  std::vector<AllocationLine> lines;
  std::vector<YearTotals> years;  // ascending
  Yen direct;
  Yen indirect;
  Yen total;
};

/// Direct costs as planned plus indirect costs at `indirect_rate` of each
/// year's direct total, rounded down per year (never per line, so the sum of
/// rounded lines cannot drift from the year's figure). INVALID_ARGUMENT with
/// field violations ("budget_plan[2].direct_yen") for an empty plan, negative
/// amounts, a bad or reserved category, a line repeated for the same year and
/// category, or a bad rate; OUT_OF_RANGE when totals overflow.
absl::StatusOr<AllocationPlan> ComputeAllocation(const std::vector<PlanLine>& plan, Ratio indirect_rate);

struct BudgetAvailability {
  FiscalYear fiscal_year{0};
  BudgetLine line = BudgetLine::kInitial;
  Yen available;
};

/// One ledger leg of an allocation: budget line of a year → category.
struct BudgetDraw {
  FiscalYear fiscal_year{0};
  BudgetLine line = BudgetLine::kInitial;
  std::string category;
  Yen amount;
  friend bool operator==(const BudgetDraw&, const BudgetDraw&) = default;
};

struct YearShortfall {
  FiscalYear fiscal_year{0};
  Yen required;
  Yen available;
  Yen shortfall;  // required - available, > 0
  friend bool operator==(const YearShortfall&, const YearShortfall&) = default;
};

struct DrawPlan {
  /// Empty whenever any year is short: nothing is partially booked.
  std::vector<BudgetDraw> draws;
  std::vector<YearShortfall> shortfalls;
  Yen required;
  Yen available;        // across the plan's years
  Yen total_shortfall;  // sum of the years' shortfalls
  bool covered() const { return shortfalls.empty(); }
};

/// Which budget lines pay for which allocation lines: each year's lines are
/// drawn in order initial (当初), supplementary (補正), adjustment (調整費), an
/// allocation line split across budget lines when one runs out. A year whose
/// budget cannot cover it is a shortfall; then no draws at all.
absl::StatusOr<DrawPlan> PlanBudgetDraws(const AllocationPlan& plan, const std::vector<BudgetAvailability>& budget);

// ---------------------------------------------------------------------------
// Disbursement schedule.

enum class Schedule { kLumpSum, kQuarterly };

struct Installment {
  FiscalYear fiscal_year{0};
  int quarter = 0;  // 1..4 (April, July, October, January); 0 for a lump sum
  absl::Time due;
  std::vector<CategoryAmount> amounts;  // per category, in the input order
  Yen total;
};

/// Splits a year's allocation into installments. A lump sum is due at the
/// start of the year (or the project's start when later). Quarterly: one
/// installment per quarter from the quarter the project starts in; each
/// category's amount is divided evenly, the remainder yen going one each to
/// the earliest quarters, so every category's installments sum exactly to its
/// allocation. Zero categories are dropped; a year with nothing has no
/// installments. INVALID_ARGUMENT for negative amounts or a project starting
/// after the year.
absl::StatusOr<std::vector<Installment>> ScheduleDisbursements(FiscalYear fiscal_year,
                                                               const std::vector<CategoryAmount>& allocation,
                                                               Schedule schedule,
                                                               absl::Time project_start = absl::InfinitePast());

/// Splits `total` over `weights` proportionally, rounding down and handing
/// the leftover yen to the largest remainders (ties: earliest), so the parts
/// sum exactly to `total`. INVALID_ARGUMENT for negative inputs or all-zero
/// weights with a non-zero total.
absl::StatusOr<std::vector<Yen>> SplitProportionally(Yen total, const std::vector<Yen>& weights);

// ---------------------------------------------------------------------------
// Reallocation between categories (費目間流用).

/// An approved change request beyond the free limit.
struct ReallocationApproval {
  std::string approval_id;
  std::string from_category;
  std::string to_category;
  Yen approved_amount;  // the most this approval lets move
};

struct ReallocationDecision {
  Yen free_limit;      // max change of a category without approval
  Yen largest_change;  // after this move, versus the plan
  bool approval_used = false;
};

/// May `amount` move from `from` to `to` in a year whose planned direct
/// costs were `planned` and are now `current`? Each category's change versus
/// the plan must stay within max(free share × planned direct total, floor);
/// beyond that a matching approval is required. Indirect costs never move.
/// INVALID_ARGUMENT for bad input; FAILED_PRECONDITION when `from` lacks the
/// money or an approval is needed and missing or too small.
absl::StatusOr<ReallocationDecision> CheckReallocation(const ProgramRules& rules,
                                                       const std::vector<CategoryAmount>& planned,
                                                       const std::vector<CategoryAmount>& current,
                                                       const std::string& from, const std::string& to, Yen amount,
                                                       const std::optional<ReallocationApproval>& approval);

// ---------------------------------------------------------------------------
// Ledger moves produced by the year-end and termination rules.

struct LedgerMove {
  AccountSpec from;  // debited
  AccountSpec to;    // credited (opened by the batch if absent)
  Yen amount;
  std::string code;  // "carry_over", "return", "release", "advance_use"
  friend bool operator==(const LedgerMove&, const LedgerMove&) = default;
};

/// A balance left at the end of a fiscal year, with its account.
struct AccountBalance {
  AccountSpec account;
  Yen balance;
};

/// An approved 繰越 request: how much of a project's (or, with an empty
/// project_id, the program budget's) unspent money may carry over.
struct CarryOverApproval {
  std::string project_id;
  std::string approval_id;
  Yen approved_amount;
};

struct CloseResult {
  std::vector<LedgerMove> moves;
  Yen carried_over;
  Yen returned;
};

/// Fiscal-year close for the balances of `fiscal_year` (program budgets,
/// project allocations, institution payables; other kinds are ignored):
/// - 基金: everything carries over to the same account of the next year, no
///   approval needed.
/// - 補助金 / 委託 / 運営費交付金: up to the approved amount of the owner's
///   繰越 approval carries over (accounts in input order), the rest goes to
///   the year's returned-funds account.
/// INVALID_ARGUMENT for a balance of another year, a negative balance or an
/// approval for a fund or with a negative amount.
absl::StatusOr<CloseResult> CloseFiscalYear(const ProgramRules& rules, FiscalYear fiscal_year,
                                            const std::vector<AccountBalance>& balances,
                                            const std::vector<CarryOverApproval>& approvals);

struct AdvanceUseDecision {
  Yen limit;      // of next year's allocation that may be used early in total
  Yen remaining;  // after this request
};

/// 前倒し: drawing `requested` of next year's allocation into this year. Only
/// for 基金 (FAILED_PRECONDITION otherwise); `already_advanced` plus the
/// request must stay within advance_use_limit × next year's allocation.
absl::StatusOr<AdvanceUseDecision> CheckAdvanceUse(const ProgramRules& rules, Yen next_year_allocation,
                                                   Yen already_advanced, Yen requested);

/// Termination (中止): every allocation of `project_id` for a fiscal year after
/// `last_fiscal_year` is released to that year's program budget (line
/// `release_to`). The last year's allocation stays for winding down.
/// INVALID_ARGUMENT for negative balances.
absl::StatusOr<std::vector<LedgerMove>> ReleaseOnTermination(const std::string& project_id, FiscalYear last_fiscal_year,
                                                             const std::vector<AccountBalance>& balances,
                                                             BudgetLine release_to = BudgetLine::kInitial);

/// What a project holds for one fiscal year and category today.
struct AllocatedAmount {
  FiscalYear fiscal_year{0};
  std::string category;  // a direct-cost category or kIndirectCategory
  Yen allocated;         // booked for the year, net of moves between categories
  Yen undisbursed;       // still in the allocation account
};

struct AllocationRevision {
  /// What the budget must still give, as an allocation plan for
  /// PlanBudgetDraws (only the lines that grow; years ascending).
  AllocationPlan increases;
  /// Cuts: allocation account → that year's program budget, code "release".
  std::vector<LedgerMove> releases;
  /// Cuts beyond what is undisbursed: the money is with the institution, and
  /// the year's expense report and close settle it. Not moved.
  std::vector<AllocationLine> unreleasable;
  bool empty() const { return increases.lines.empty() && releases.empty(); }
};

/// A revised plan (研究費の増減, a budget cut after an evaluation, new years of
/// an extension) from `from_year` on: the new plan's allocation (direct costs
/// plus indirect at `indirect_rate`, as ComputeAllocation) of each year >=
/// from_year against `current`. Lines that grow are increases; lines that
/// shrink (or vanish from the plan) release what is undisbursed to the year's
/// budget line `release_to`. Years before from_year are left alone.
/// INVALID_ARGUMENT for a bad plan (as ComputeAllocation, except that an
/// empty plan is allowed: it cuts everything) or negative current amounts.
absl::StatusOr<AllocationRevision> ReviseAllocation(const std::string& project_id,
                                                    const std::vector<PlanLine>& new_plan, Ratio indirect_rate,
                                                    FiscalYear from_year, const std::vector<AllocatedAmount>& current,
                                                    BudgetLine release_to = BudgetLine::kInitial);

}  // namespace tane::funds
