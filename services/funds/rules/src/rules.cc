#include "tane/funds/rules.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "tane/core/errors.h"

namespace tane::funds {
namespace {

bool ValidRatio(Ratio r) { return r.denominator > 0 && r.numerator >= 0; }

std::string RatioText(Ratio r) { return absl::StrCat(r.numerator, "/", r.denominator); }

// Adds or records the overflow; callers check `status` once at the end.
void Accumulate(Yen* total, Yen amount, absl::Status* status) {
  auto sum = total->Add(amount);
  if (!sum.ok()) {
    if (status->ok()) *status = sum.status();
    return;
  }
  *total = *sum;
}

constexpr BudgetLine kDrawOrder[] = {BudgetLine::kInitial, BudgetLine::kSupplementary, BudgetLine::kAdjustment};

// The same account one fiscal year later.
AccountSpec NextYear(const AccountSpec& spec) {
  const FiscalYear next(spec.fiscal_year + 1);
  switch (spec.kind) {
    case AccountKind::kProgramBudget:
      return ProgramBudgetAccount(next, spec.budget_line.value_or(BudgetLine::kInitial));
    case AccountKind::kProjectAllocation:
      return ProjectAllocationAccount(spec.project_id, next, spec.category);
    case AccountKind::kInstitutionPayable:
      return InstitutionPayableAccount(spec.project_id, next, spec.institution_id);
    default:
      return spec;
  }
}

bool ClosesAtYearEnd(AccountKind kind) {
  return kind == AccountKind::kProgramBudget || kind == AccountKind::kProjectAllocation ||
         kind == AccountKind::kInstitutionPayable;
}

absl::Time QuarterStart(FiscalYear fy, int quarter) {
  static constexpr int kMonth[] = {4, 7, 10, 1};
  const int year = quarter == 4 ? fy.year() + 1 : fy.year();
  return absl::FromCivil(absl::CivilDay(year, kMonth[quarter - 1], 1), core::TokyoTimeZone());
}

}  // namespace

absl::StatusOr<AllocationPlan> ComputeAllocation(const std::vector<PlanLine>& plan, Ratio indirect_rate) {
  core::Violations violations;
  if (!ValidRatio(indirect_rate)) {
    violations.Add("indirect_rate", absl::StrCat("rate ", RatioText(indirect_rate),
                                                 " must have a positive denominator and a non-negative numerator"));
  }
  if (plan.empty()) violations.Add("budget_plan", "a budget plan needs at least one line");
  std::set<std::pair<int, std::string>> seen;
  for (size_t i = 0; i < plan.size(); ++i) {
    const PlanLine& line = plan[i];
    const std::string at = absl::StrCat("budget_plan[", i, "]");
    if (line.fiscal_year.year() < 1 || line.fiscal_year.year() > 9999) {
      violations.Add(at + ".fiscal_year", absl::StrCat("fiscal year ", line.fiscal_year.year(), " out of range"));
    }
    if (!IsValidIdComponent(line.category)) {
      violations.Add(at + ".category", "category must be 1-100 characters of [A-Za-z0-9_-]");
    } else if (line.category == kIndirectCategory) {
      violations.Add(at + ".category", "indirect costs are computed from the direct costs, not planned");
    }
    if (line.direct.is_negative()) {
      violations.Add(at + ".direct_yen", absl::StrCat("direct costs must not be negative, got ", line.direct.value()));
    }
    if (!seen.emplace(line.fiscal_year.year(), line.category).second) {
      violations.Add(at, absl::StrCat("category ", line.category, " appears twice for FY", line.fiscal_year.year()));
    }
  }
  if (!violations.empty()) return violations.ToStatus("invalid budget plan");

  std::map<int, std::vector<const PlanLine*>> by_year;  // ascending years, plan order inside
  for (const PlanLine& line : plan) by_year[line.fiscal_year.year()].push_back(&line);

  AllocationPlan out;
  absl::Status overflow;
  for (const auto& [year, lines] : by_year) {
    YearTotals totals{FiscalYear(year), Yen(0), Yen(0), Yen(0)};
    for (const PlanLine* line : lines) {
      Accumulate(&totals.direct, line->direct, &overflow);
      if (line->direct.value() > 0) out.lines.push_back({FiscalYear(year), line->category, line->direct});
    }
    if (!overflow.ok()) return overflow;
    auto indirect = totals.direct.MultiplyRatio(indirect_rate.numerator, indirect_rate.denominator);
    if (!indirect.ok()) return indirect.status();
    totals.indirect = *indirect;
    Accumulate(&totals.total, totals.direct, &overflow);
    Accumulate(&totals.total, totals.indirect, &overflow);
    if (totals.indirect.value() > 0) {
      out.lines.push_back({FiscalYear(year), std::string(kIndirectCategory), totals.indirect});
    }
    Accumulate(&out.direct, totals.direct, &overflow);
    Accumulate(&out.indirect, totals.indirect, &overflow);
    Accumulate(&out.total, totals.total, &overflow);
    if (!overflow.ok()) return overflow;
    out.years.push_back(totals);
  }
  return out;
}

absl::StatusOr<DrawPlan> PlanBudgetDraws(const AllocationPlan& plan, const std::vector<BudgetAvailability>& budget) {
  core::Violations violations;
  std::map<std::pair<int, BudgetLine>, Yen> available;
  for (size_t i = 0; i < budget.size(); ++i) {
    const auto& b = budget[i];
    if (b.available.is_negative()) {
      violations.Add(absl::StrCat("budget[", i, "].available_yen"), "must not be negative");
    }
    if (!available.emplace(std::make_pair(b.fiscal_year.year(), b.line), b.available).second) {
      violations.Add(absl::StrCat("budget[", i, "]"), absl::StrCat("budget line ", BudgetLineName(b.line), " of FY",
                                                                   b.fiscal_year.year(), " given twice"));
    }
  }
  if (!violations.empty()) return violations.ToStatus("invalid budget availability");

  DrawPlan out;
  absl::Status overflow;
  for (const YearTotals& year : plan.years) {
    Yen year_available;
    for (BudgetLine line : kDrawOrder) {
      auto it = available.find({year.fiscal_year.year(), line});
      if (it != available.end()) Accumulate(&year_available, it->second, &overflow);
    }
    Accumulate(&out.required, year.total, &overflow);
    Accumulate(&out.available, year_available, &overflow);
    if (!overflow.ok()) return overflow;
    if (year_available < year.total) {
      const Yen shortfall(year.total.value() - year_available.value());
      out.shortfalls.push_back({year.fiscal_year, year.total, year_available, shortfall});
      Accumulate(&out.total_shortfall, shortfall, &overflow);
    }
  }
  if (!overflow.ok()) return overflow;
  if (!out.covered()) return out;

  for (const YearTotals& year : plan.years) {
    std::vector<std::pair<BudgetLine, int64_t>> left;
    for (BudgetLine line : kDrawOrder) {
      auto it = available.find({year.fiscal_year.year(), line});
      if (it != available.end() && it->second.value() > 0) left.emplace_back(line, it->second.value());
    }
    size_t source = 0;
    for (const AllocationLine& line : plan.lines) {
      if (line.fiscal_year != year.fiscal_year) continue;
      int64_t need = line.amount.value();
      while (need > 0) {
        // Covered years always have enough left (checked above).
        auto& [budget_line, remaining] = left[source];
        const int64_t take = std::min(need, remaining);
        out.draws.push_back({year.fiscal_year, budget_line, line.category, Yen(take)});
        need -= take;
        remaining -= take;
        if (remaining == 0) ++source;
      }
    }
  }
  return out;
}

absl::StatusOr<AllocationRevision> ReviseAllocation(const std::string& project_id,
                                                    const std::vector<PlanLine>& new_plan, Ratio indirect_rate,
                                                    FiscalYear from_year, const std::vector<AllocatedAmount>& current,
                                                    BudgetLine release_to) {
  core::Violations violations;
  if (!IsValidIdComponent(project_id)) violations.Add("project_id", "must be 1-100 characters of [A-Za-z0-9_-]");
  std::map<std::pair<int, std::string>, const AllocatedAmount*> now;
  for (size_t i = 0; i < current.size(); ++i) {
    const auto& c = current[i];
    if (c.allocated.is_negative() || c.undisbursed.is_negative()) {
      violations.Add(absl::StrCat("current[", i, "]"), "amounts must not be negative");
    }
    if (!now.emplace(std::make_pair(c.fiscal_year.year(), c.category), &c).second) {
      violations.Add(absl::StrCat("current[", i, "]"),
                     absl::StrCat(c.category, " of FY", c.fiscal_year.year(), " given twice"));
    }
  }
  if (!violations.empty()) return violations.ToStatus("invalid allocation revision");

  std::vector<PlanLine> from_on;
  for (const auto& line : new_plan) {
    if (line.fiscal_year >= from_year) from_on.push_back(line);
  }
  // The target of every (year, category) from from_year on; absent = 0.
  std::map<std::pair<int, std::string>, Yen> target;
  if (!from_on.empty()) {
    auto plan = ComputeAllocation(from_on, indirect_rate);
    if (!plan.ok()) return plan.status();
    for (const auto& l : plan->lines) target[{l.fiscal_year.year(), l.category}] = l.amount;
  }
  for (const auto& [key, c] : now) {
    if (key.first >= from_year.year()) target.emplace(key, Yen(0));
  }

  AllocationRevision out;
  absl::Status overflow;
  std::map<int, YearTotals> years;
  for (const auto& [key, want] : target) {
    const auto it = now.find(key);
    const Yen have = it == now.end() ? Yen(0) : it->second->allocated;
    const FiscalYear fy(key.first);
    if (want > have) {
      const Yen more(want.value() - have.value());
      out.increases.lines.push_back({fy, key.second, more});
      YearTotals& y = years.try_emplace(fy.year(), YearTotals{fy, Yen(0), Yen(0), Yen(0)}).first->second;
      Accumulate(key.second == kIndirectCategory ? &y.indirect : &y.direct, more, &overflow);
      Accumulate(&y.total, more, &overflow);
      Accumulate(key.second == kIndirectCategory ? &out.increases.indirect : &out.increases.direct, more, &overflow);
      Accumulate(&out.increases.total, more, &overflow);
    } else if (want < have) {
      const int64_t cut = have.value() - want.value();
      const int64_t undisbursed = it->second->undisbursed.value();
      const int64_t movable = std::min(cut, undisbursed);
      if (movable > 0) {
        out.releases.push_back({ProjectAllocationAccount(project_id, fy, key.second),
                                ProgramBudgetAccount(fy, release_to), Yen(movable), "release"});
      }
      if (cut > movable) out.unreleasable.push_back({fy, key.second, Yen(cut - movable)});
    }
  }
  if (!overflow.ok()) return overflow;
  // Indirect lines last within a year, as ComputeAllocation orders them.
  std::stable_sort(out.increases.lines.begin(), out.increases.lines.end(),
                   [](const AllocationLine& a, const AllocationLine& b) {
                     if (a.fiscal_year != b.fiscal_year) return a.fiscal_year < b.fiscal_year;
                     return (a.category == kIndirectCategory) < (b.category == kIndirectCategory);
                   });
  for (const auto& [year, totals] : years) out.increases.years.push_back(totals);
  return out;
}

absl::StatusOr<std::vector<Installment>> ScheduleDisbursements(FiscalYear fiscal_year,
                                                               const std::vector<CategoryAmount>& allocation,
                                                               Schedule schedule, absl::Time project_start) {
  core::Violations violations;
  for (size_t i = 0; i < allocation.size(); ++i) {
    if (allocation[i].amount.is_negative()) {
      violations.Add(absl::StrCat("allocation[", i, "].amount_yen"), "must not be negative");
    }
  }
  if (project_start >= fiscal_year.End()) {
    violations.Add("project_start", absl::StrCat("the project starts after ", fiscal_year.ToString()));
  }
  if (!violations.empty()) return violations.ToStatus("invalid disbursement schedule");

  std::vector<CategoryAmount> nonzero;
  for (const auto& c : allocation) {
    if (c.amount.value() > 0) nonzero.push_back(c);
  }
  std::vector<Installment> out;
  if (nonzero.empty()) return out;

  if (schedule == Schedule::kLumpSum) {
    Installment lump{fiscal_year, 0, std::max(fiscal_year.Start(), project_start), nonzero, Yen(0)};
    absl::Status overflow;
    for (const auto& c : nonzero) Accumulate(&lump.total, c.amount, &overflow);
    if (!overflow.ok()) return overflow;
    out.push_back(std::move(lump));
    return out;
  }

  int first = 1;
  for (int q = 1; q <= 4; ++q) {
    if (QuarterStart(fiscal_year, q) <= project_start) first = q;
  }
  const int n = 4 - first + 1;
  for (int q = first; q <= 4; ++q) {
    out.push_back({fiscal_year, q, std::max(QuarterStart(fiscal_year, q), project_start), {}, Yen(0)});
  }
  for (const auto& c : nonzero) {
    const int64_t base = c.amount.value() / n;
    const int64_t extra = c.amount.value() % n;  // one yen each to the earliest quarters
    for (int i = 0; i < n; ++i) {
      const Yen part(base + (i < extra ? 1 : 0));
      out[i].amounts.push_back({c.category, part});
      out[i].total = Yen(out[i].total.value() + part.value());  // parts of a valid total: no overflow
    }
  }
  return out;
}

absl::StatusOr<std::vector<Yen>> SplitProportionally(Yen total, const std::vector<Yen>& weights) {
  if (total.is_negative()) return absl::InvalidArgumentError("total to split must not be negative");
  __int128 weight_sum = 0;
  for (Yen w : weights) {
    if (w.is_negative()) return absl::InvalidArgumentError("weights must not be negative");
    weight_sum += w.value();
  }
  std::vector<Yen> parts(weights.size(), Yen(0));
  if (total.value() == 0) return parts;
  if (weight_sum == 0) return absl::InvalidArgumentError("cannot split a non-zero total over zero weights");
  std::vector<std::pair<__int128, size_t>> remainders;
  int64_t assigned = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    const __int128 product = static_cast<__int128>(total.value()) * weights[i].value();
    parts[i] = Yen(static_cast<int64_t>(product / weight_sum));
    assigned += parts[i].value();
    remainders.emplace_back(product % weight_sum, i);
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (int64_t left = total.value() - assigned, k = 0; left > 0; --left, ++k) {
    parts[remainders[k].second] = Yen(parts[remainders[k].second].value() + 1);
  }
  return parts;
}

absl::StatusOr<ReallocationDecision> CheckReallocation(const ProgramRules& rules,
                                                       const std::vector<CategoryAmount>& planned,
                                                       const std::vector<CategoryAmount>& current,
                                                       const std::string& from, const std::string& to, Yen amount,
                                                       const std::optional<ReallocationApproval>& approval) {
  core::Violations violations;
  if (amount.value() <= 0) violations.Add("amount_yen", "must be positive");
  for (const auto& [field, category] : {std::pair{"from_category", &from}, std::pair{"to_category", &to}}) {
    if (!IsValidIdComponent(*category)) {
      violations.Add(field, "category must be 1-100 characters of [A-Za-z0-9_-]");
    } else if (*category == kIndirectCategory) {
      violations.Add(field, "indirect costs cannot be moved between categories");
    }
  }
  if (from == to) violations.Add("to_category", "must differ from from_category");
  if (!ValidRatio(rules.reallocation_free_share)) violations.Add("rules.reallocation_free_share", "bad ratio");
  std::map<std::string, int64_t> plan, now;
  for (const auto& [list, map, name] :
       {std::tuple{&planned, &plan, "planned"}, std::tuple{&current, &now, "current"}}) {
    for (const auto& c : *list) {
      if (c.amount.is_negative()) violations.Add(name, absl::StrCat(c.category, " is negative"));
      if (!map->emplace(c.category, c.amount.value()).second) {
        violations.Add(name, absl::StrCat(c.category, " appears twice"));
      }
    }
  }
  if (!violations.empty()) return violations.ToStatus("invalid reallocation");

  if (now[from] < amount.value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("category ", from, " has ", now[from], " yen, cannot move ", amount.value()));
  }
  Yen planned_direct;
  absl::Status overflow;
  for (const auto& c : planned) Accumulate(&planned_direct, c.amount, &overflow);
  if (!overflow.ok()) return overflow;
  auto share =
      planned_direct.MultiplyRatio(rules.reallocation_free_share.numerator, rules.reallocation_free_share.denominator);
  if (!share.ok()) return share.status();

  ReallocationDecision decision;
  decision.free_limit = std::max(*share, rules.reallocation_free_floor);
  // Only the two categories this move touches are judged: earlier moves were
  // judged (and approved where needed) when they were made.
  const int64_t from_change = plan[from] - (now[from] - amount.value());
  const int64_t to_change = (now[to] + amount.value()) - plan[to];
  decision.largest_change = Yen(std::max(std::abs(from_change), std::abs(to_change)));
  if (decision.largest_change <= decision.free_limit) return decision;

  const std::string why =
      absl::StrCat("moving ", amount.value(), " yen from ", from, " to ", to, " changes a category by ",
                   decision.largest_change.value(), " yen versus the plan, beyond the ", decision.free_limit.value(),
                   " yen allowed without approval");
  if (!approval) return absl::FailedPreconditionError(absl::StrCat(why, "; an approved change request is required"));
  if (approval->from_category != from || approval->to_category != to) {
    return absl::FailedPreconditionError(absl::StrCat(why, "; approval ", approval->approval_id, " is for ",
                                                      approval->from_category, " -> ", approval->to_category));
  }
  if (approval->approved_amount < amount) {
    return absl::FailedPreconditionError(absl::StrCat(why, "; approval ", approval->approval_id, " covers only ",
                                                      approval->approved_amount.value(), " yen"));
  }
  decision.approval_used = true;
  return decision;
}

absl::StatusOr<CloseResult> CloseFiscalYear(const ProgramRules& rules, FiscalYear fiscal_year,
                                            const std::vector<AccountBalance>& balances,
                                            const std::vector<CarryOverApproval>& approvals) {
  core::Violations violations;
  for (size_t i = 0; i < balances.size(); ++i) {
    const auto& b = balances[i];
    if (!ClosesAtYearEnd(b.account.kind)) continue;
    if (b.account.fiscal_year != fiscal_year.year()) {
      violations.Add(absl::StrCat("balances[", i, "]"),
                     absl::StrCat("account ", b.account.id, " is not of ", fiscal_year.ToString()));
    }
    if (b.balance.is_negative()) {
      violations.Add(absl::StrCat("balances[", i, "]"), absl::StrCat("account ", b.account.id, " is negative"));
    }
  }
  const bool fund = rules.instrument == Instrument::kFund;
  std::map<std::string, int64_t> approved;  // owner (project, or "" for the program) -> yen
  for (size_t i = 0; i < approvals.size(); ++i) {
    const auto& a = approvals[i];
    const std::string at = absl::StrCat("carry_over_approvals[", i, "]");
    if (fund) violations.Add(at, "a 基金 carries over without approval");
    if (a.approved_amount.is_negative()) violations.Add(at + ".approved_yen", "must not be negative");
    if (!approved.emplace(a.project_id, a.approved_amount.value()).second) {
      violations.Add(at + ".project_id", absl::StrCat("a second approval for '", a.project_id, "'"));
    }
  }
  if (!violations.empty()) return violations.ToStatus("invalid fiscal-year close");

  CloseResult out;
  absl::Status overflow;
  for (const auto& b : balances) {
    if (!ClosesAtYearEnd(b.account.kind) || b.balance.value() == 0) continue;
    int64_t carry = b.balance.value();
    if (!fund) {
      int64_t& left = approved[b.account.kind == AccountKind::kProgramBudget ? "" : b.account.project_id];
      carry = std::min(carry, left);
      left -= carry;
    }
    const int64_t back = b.balance.value() - carry;
    if (carry > 0) {
      out.moves.push_back({b.account, NextYear(b.account), Yen(carry), "carry_over"});
      Accumulate(&out.carried_over, Yen(carry), &overflow);
    }
    if (back > 0) {
      out.moves.push_back({b.account, ReturnedFundsAccount(fiscal_year), Yen(back), "return"});
      Accumulate(&out.returned, Yen(back), &overflow);
    }
  }
  if (!overflow.ok()) return overflow;
  return out;
}

absl::StatusOr<AdvanceUseDecision> CheckAdvanceUse(const ProgramRules& rules, Yen next_year_allocation,
                                                   Yen already_advanced, Yen requested) {
  core::Violations violations;
  if (next_year_allocation.is_negative()) violations.Add("next_year_allocation_yen", "must not be negative");
  if (already_advanced.is_negative()) violations.Add("already_advanced_yen", "must not be negative");
  if (requested.value() <= 0) violations.Add("amount_yen", "must be positive");
  if (!ValidRatio(rules.advance_use_limit)) violations.Add("rules.advance_use_limit", "bad ratio");
  if (!violations.empty()) return violations.ToStatus("invalid advance use");
  if (rules.instrument != Instrument::kFund) {
    return absl::FailedPreconditionError("advance use (前倒し) of next year's money is only for 基金 programs");
  }
  auto limit =
      next_year_allocation.MultiplyRatio(rules.advance_use_limit.numerator, rules.advance_use_limit.denominator);
  if (!limit.ok()) return limit.status();
  auto used = already_advanced.Add(requested);
  if (!used.ok()) return used.status();
  if (*used > *limit) {
    return absl::FailedPreconditionError(
        absl::StrCat("advance use of ", requested.value(), " yen would bring the total drawn early to ", used->value(),
                     " yen, beyond the limit of ", limit->value(), " yen (", RatioText(rules.advance_use_limit),
                     " of next year's allocation)"));
  }
  return AdvanceUseDecision{*limit, Yen(limit->value() - used->value())};
}

absl::StatusOr<std::vector<LedgerMove>> ReleaseOnTermination(const std::string& project_id, FiscalYear last_fiscal_year,
                                                             const std::vector<AccountBalance>& balances,
                                                             BudgetLine release_to) {
  std::vector<LedgerMove> moves;
  for (const auto& b : balances) {
    if (b.account.kind != AccountKind::kProjectAllocation || b.account.project_id != project_id) continue;
    if (b.balance.is_negative()) {
      return absl::InvalidArgumentError(absl::StrCat("account ", b.account.id, " is negative"));
    }
    if (b.account.fiscal_year <= last_fiscal_year.year() || b.balance.value() == 0) continue;
    moves.push_back(
        {b.account, ProgramBudgetAccount(FiscalYear(b.account.fiscal_year), release_to), b.balance, "release"});
  }
  return moves;
}

}  // namespace tane::funds
