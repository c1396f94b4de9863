// The funds service's event handlers: projects' lifecycle drives allocations.
#include <map>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "internal.h"
#include "tane/bus/consumer.h"
#include "tane/funds/funds.h"
#include "tane/funds/reports.h"
#include "tane/telemetry/log.h"

namespace tane::funds {

using namespace internal;  // NOLINT: this service's own helpers
using common::v1::EventEnvelope;
using core::FiscalYear;
using core::Yen;
namespace tel = ::tane::telemetry;

namespace {

std::vector<v1::PlanLine> PlanOf(const google::protobuf::RepeatedPtrField<projects::v1::BudgetLine>& lines) {
  std::vector<v1::PlanLine> out;
  for (const auto& l : lines) {
    v1::PlanLine line;
    line.set_fiscal_year(l.fiscal_year());
    line.set_category(CategoryName(l.category()));
    line.set_direct_yen(l.amount_yen());
    out.push_back(std::move(line));
  }
  return out;
}

std::vector<PlanLine> RulesPlan(const std::vector<v1::PlanLine>& plan) {
  std::vector<PlanLine> out;
  for (const auto& l : plan) out.push_back({FiscalYear(l.fiscal_year()), l.category(), Yen(l.direct_yen())});
  return out;
}

std::vector<v1::PlanLine> StoredPlan(const v1::FundedProject& project) {
  return {project.budget_plan().begin(), project.budget_plan().end()};
}

void SetPlan(v1::FundedProject& project, const std::vector<v1::PlanLine>& plan) {
  project.clear_budget_plan();
  for (const auto& l : plan) *project.add_budget_plan() = l;
}

// Keeps what every ProjectChanged repeats: state, PI, institutions.
void TakeTeam(v1::FundedProject& project, const projects::v1::Member& pi,
              const google::protobuf::RepeatedPtrField<projects::v1::Institution>& institutions) {
  if (!pi.researcher_id().empty()) project.set_principal_investigator_id(pi.researcher_id());
  if (institutions.empty()) return;
  project.clear_institution_ids();
  for (const auto& i : institutions) project.add_institution_ids(i.institution_id());
}

// Appends `part`'s accounts and transfers to `into` (BookOnce numbers them).
void Append(Batch& into, Batch part) {
  std::set<std::string> open;
  for (const auto& a : into.open_accounts) open.insert(a.id);
  for (auto& a : part.open_accounts) {
    if (open.insert(a.id).second) into.open_accounts.push_back(std::move(a));
  }
  for (auto& t : part.transfers) into.transfers.push_back(std::move(t));
}

void SetShortfall(const DrawPlan& draws, v1::AllocationRejected& rejected) {
  rejected.set_required_yen(draws.required.value());
  rejected.set_available_yen(draws.available.value());
  rejected.set_shortfall_yen(draws.total_shortfall.value());
  for (const auto& s : draws.shortfalls) {
    auto* y = rejected.add_fiscal_years();
    y->set_fiscal_year(s.fiscal_year.year());
    y->set_required_yen(s.required.value());
    y->set_available_yen(s.available.value());
    y->set_shortfall_yen(s.shortfall.value());
  }
}

v1::AllocationMade MadeOf(const v1::FundedProject& project, const std::string& batch_id, const AllocationPlan& plan,
                          bool pending, const std::string& reason) {
  v1::AllocationMade made;
  made.set_program_id(project.program_id());
  made.set_project_id(project.project_id());
  made.set_batch_id(batch_id);
  for (const auto& l : plan.lines) {
    auto* line = made.add_lines();
    line->set_fiscal_year(l.fiscal_year.year());
    line->set_category(l.category);
    line->set_amount_yen(l.amount.value());
  }
  made.set_direct_yen(plan.direct.value());
  made.set_indirect_yen(plan.indirect.value());
  made.set_total_yen(plan.total.value());
  made.set_pending(pending);
  made.set_reason(reason);
  return made;
}

// One FundsReturned per fiscal year of `moves` into the batch; the total.
int64_t AddReturned(const v1::FundedProject& project, const std::vector<LedgerMove>& moves, const std::string& reason,
                    const runtime::RequestContext& ctx, Batch& batch) {
  std::map<int, int64_t> by_year;
  int64_t total = 0;
  for (const auto& m : moves) {
    by_year[m.from.fiscal_year] += m.amount.value();
    total += m.amount.value();
  }
  for (const auto& [fy, amount] : by_year) {
    v1::FundsReturned back;
    back.set_program_id(project.program_id());
    back.set_project_id(project.project_id());
    back.set_fiscal_year(fy);
    back.set_amount_yen(amount);
    back.set_reason(reason);
    batch.events.push_back(ctx.NewEvent(back, kProjectType, project.project_id()));
  }
  return total;
}

// The ids of the transfers still pending (reservations awaiting the contract).
std::vector<std::string> PendingIds(const std::vector<Transfer>& transfers) {
  std::vector<std::string> ids;
  for (const auto& t : transfers) {
    if (t.state == TransferState::kPending) ids.push_back(t.id);
  }
  return ids;
}

// The fiscal year of an allocation account "alloc.<project>.<FY>.<category>".
int FiscalYearOfAccount(const std::string& account_id) {
  const std::vector<std::string> parts = absl::StrSplit(account_id, '.');
  int fy = 0;
  return parts.size() >= 3 && absl::SimpleAtoi(parts[2], &fy) ? fy : 0;
}

}  // namespace

void Funds::RegisterEventHandlers() {
  kit_.On<projects::v1::ProjectStarted>(
      [this](const EventEnvelope& e, const projects::v1::ProjectStarted& p) { return OnProjectStarted(e, p); });
  kit_.On<projects::v1::ProjectChanged>(
      [this](const EventEnvelope& e, const projects::v1::ProjectChanged& p) { return OnProjectChanged(e, p); });
  kit_.On<projects::v1::ProjectTerminated>(
      [this](const EventEnvelope& e, const projects::v1::ProjectTerminated& p) { return OnProjectTerminated(e, p); });
  kit_.On<projects::v1::EvaluationRecorded>(
      [this](const EventEnvelope& e, const projects::v1::EvaluationRecorded& p) { return OnEvaluationRecorded(e, p); });
}

absl::StatusOr<std::optional<runtime::Loaded<v1::FundedProject>>> Funds::KnownProject(
    const EventEnvelope& envelope, const std::string& project_id) {
  using Result = std::optional<runtime::Loaded<v1::FundedProject>>;
  if (!IsValidIdComponent(project_id)) {
    return absl::InvalidArgumentError(absl::StrCat(envelope.type(), " without a valid project_id"));
  }
  auto applied = Applied(envelope, project_id);
  if (!applied.ok()) return applied.status();
  if (*applied) return Result();
  auto loaded = LoadProject(project_id);
  if (!loaded.ok()) return loaded.status();
  if (loaded->exists()) return Result(*std::move(loaded));
  tel::LogWarn("event about a project funds does not know (no ProjectStarted): ignored",
               {{"type", envelope.type()}, {"project_id", project_id}, {"event_id", envelope.event_id()}});
  store::Commit mark;
  mark.shard_key = project_id;
  auto marked = bus::ApplyOnce(kit_.store(), envelope, mark);
  if (!marked.ok()) return marked.status();
  return Result();
}

absl::StatusOr<bool> Funds::Applied(const EventEnvelope& envelope, const std::string& project_id) {
  // The mark lives in the project's shard (CommitProject, ApplyOnce).
  auto seen = kit_.store().LookupDedupe(project_id, absl::StrCat("event:", envelope.event_id()));
  if (!seen.ok()) return seen.status();
  return seen->has_value();
}

absl::Status Funds::CommitProject(const v1::FundedProject& project, int64_t version, const EventEnvelope& cause,
                                  std::vector<EventEnvelope> events) {
  if (auto hook = Hooks().before_project_commit) {
    if (absl::Status s = hook(cause); !s.ok()) return s;
  }
  store::Commit commit;
  commit.aggregate_type = kProjectType;
  commit.aggregate_id = project.project_id();
  commit.expected_version = version;
  commit.data = project.SerializeAsString();
  commit.events = std::move(events);
  // A concurrent handler of the same project (a rebalance) makes this
  // ABORTED, which the consumer retries on fresh state.
  auto applied = bus::ApplyOnce(kit_.store(), cause, std::move(commit));
  return applied.status();
}

// ------------------------------------------------------------------ allocation

absl::StatusOr<Funds::AllocationOutcome> Funds::TryAllocate(const v1::FundedProject& project,
                                                            const EventEnvelope& cause, const std::string& reason,
                                                            const Context& ctx) {
  const std::string& program = project.program_id();
  const std::string prefix = Prefix("alloc", program, project.project_id());
  const std::string fingerprint = Fingerprint(cause.event_id());
  auto made = [&](const Booked& booked) {
    AllocationOutcome out;
    out.booked = true;
    out.pending_ids = PendingIds(booked.transfers);
    tel::LogInfo(booked.duplicate ? "allocation already booked" : "allocation made",
                 {{"program_id", program},
                  {"project_id", project.project_id()},
                  {"transfers", static_cast<int64_t>(booked.transfers.size())},
                  {"pending", !out.pending_ids.empty()},
                  {"reason", reason},
                  {"event_id", cause.event_id()}});
    Count("allocation", booked.duplicate ? "repeat" : "made");
    return out;
  };
  // A redelivery whose project commit was lost after the booking: the
  // budget no longer holds this allocation's money, so judging it again
  // would reject what is booked. Answer from the booking.
  auto before = FindBooked(program, prefix, fingerprint, OnOtherRequest::kAccept, "project_id");
  if (!before.ok()) return before.status();
  if (before->has_value()) return made(**before);

  AllocationOutcome out;
  v1::AllocationRejected rejected;
  rejected.set_program_id(program);
  rejected.set_project_id(project.project_id());
  rejected.set_allocation_id(prefix);
  auto reject = [&](std::string why) {
    rejected.set_reason(std::move(why));
    out.rejected = rejected;
    return out;
  };
  auto terms = terms_.For(program, project.award_fiscal_year());
  if (absl::IsNotFound(terms.status())) return reject(std::string(terms.status().message()));
  if (!terms.ok()) return terms.status();
  if (project.indirect_rate_percent() < 0) {
    return reject(absl::StrCat("no indirect-cost rate: the program catalog leaves it to the call and the project ",
                               "does not state one"));
  }
  auto plan = ComputeAllocation(RulesPlan(StoredPlan(project)), Ratio{project.indirect_rate_percent(), 100});
  if (!plan.ok()) {
    if (absl::IsUnavailable(plan.status())) return plan.status();
    return reject(absl::StrCat("the budget plan cannot be allocated: ", plan.status().message()));
  }
  const bool pending = project.state() != projects::v1::PROJECT_STATE_ACTIVE;
  for (int attempt = 0;; ++attempt) {
    auto availability = Availability(program);
    if (!availability.ok()) return availability.status();
    auto draws = PlanBudgetDraws(*plan, *availability);
    if (!draws.ok()) return draws.status();
    if (!draws->covered()) {
      SetShortfall(*draws, rejected);
      std::vector<std::string> years;
      for (const auto& s : draws->shortfalls) {
        years.push_back(absl::StrCat(s.fiscal_year.ToString(), " short by ", s.shortfall.value(), " yen"));
      }
      return reject(absl::StrCat("the program budget cannot cover the plan: ", absl::StrJoin(years, ", ")));
    }
    auto booked = BookOnce(program, prefix, fingerprint, OnOtherRequest::kAccept, "project_id", OriginOf(ctx),
                           [&]() -> absl::StatusOr<Batch> {
                             Batch batch = AllocationBatch(prefix, project.project_id(), *draws, pending);
                             batch.events.push_back(ctx.NewEvent(MadeOf(project, prefix, *plan, pending, reason),
                                                                 kProjectType, project.project_id()));
                             return batch;
                           });
    // The budget moved between reading it and booking (another allocation):
    // plan again on what is there now.
    if (!booked.ok() && !ShortfallsOf(booked.status()).empty() && attempt < 3) continue;
    if (!booked.ok()) return booked.status();
    return made(*booked);
  }
}

absl::StatusOr<Funds::AllocationOutcome> Funds::Revise(const v1::FundedProject& project,
                                                       const std::vector<v1::PlanLine>& new_plan,
                                                       const EventEnvelope& cause, const Context& ctx) {
  const std::string& program = project.program_id();
  const std::string prefix = Prefix("rev", program, cause.event_id());
  const FiscalYear from = FiscalYear::Containing(ToTime(cause.occurred_at()));
  const Ratio rate{project.indirect_rate_percent(), 100};
  const std::string fingerprint = Fingerprint(cause.event_id());
  AllocationOutcome out;
  v1::AllocationRejected rejected;
  rejected.set_program_id(program);
  rejected.set_project_id(project.project_id());
  rejected.set_allocation_id(prefix);

  // A redelivery whose project commit was lost after the booking answers
  // from the booking: the budget it would plan against again already lacks
  // the revision's new reservations.
  auto before = FindBooked(program, prefix, fingerprint, OnOtherRequest::kAccept, "event_id");
  if (!before.ok()) return before.status();
  std::optional<Booked> booked = *std::move(before);

  Batch batch;
  AllocationPlan increases;
  std::vector<LedgerMove> releases;
  std::vector<AllocationLine> unreleasable;
  std::vector<std::string> kept_pending;
  std::map<std::pair<int, BudgetLine>, int64_t> freed;
  const bool reserved = project.allocation() == v1::ALLOCATION_STATUS_RESERVED;
  if (reserved) {
    // Reservations cannot shrink: the ones of the revised years are voided
    // and the revised years reserved anew, in one batch. (Booked before,
    // they are voided already and only the earlier years' are kept.)
    for (const auto& id : project.pending_transfer_ids()) {
      auto t = ledger_.GetTransfer(program, id);
      if (!t.ok()) return t.status();
      if (t->state != TransferState::kPending) continue;
      if (FiscalYearOfAccount(t->credit_account_id) < from.year()) {
        kept_pending.push_back(id);
        continue;
      }
      batch.resolve.push_back({id, /*post=*/false});
      const std::vector<std::string> parts = absl::StrSplit(t->debit_account_id, '.');  // budget.<FY>.<line>
      int fy = 0;
      const auto line = parts.size() == 3 ? ParseBudgetLine(parts[2]) : std::nullopt;
      if (line && absl::SimpleAtoi(parts[1], &fy)) freed[{fy, *line}] += t->amount.value();
    }
  }
  if (!booked) {
    auto availability = Availability(program);
    if (!availability.ok()) return availability.status();
    if (reserved) {
      for (auto& b : *availability) {
        auto it = freed.find({b.fiscal_year.year(), b.line});
        if (it != freed.end()) b.available = Yen(b.available.value() + it->second);
      }
      std::vector<PlanLine> from_on;
      for (const auto& l : RulesPlan(new_plan)) {
        if (l.fiscal_year >= from) from_on.push_back(l);
      }
      if (!from_on.empty()) {
        auto plan = ComputeAllocation(from_on, rate);
        if (!plan.ok()) {
          rejected.set_reason(absl::StrCat("the revised plan cannot be allocated: ", plan.status().message()));
          out.rejected = rejected;
          return out;
        }
        increases = *std::move(plan);
      }
    } else {
      auto accounts = ledger_.ListAccounts(program, project.project_id());
      if (!accounts.ok()) return accounts.status();
      auto revision = ReviseAllocation(project.project_id(), RulesPlan(new_plan), rate, from,
                                       AllocatedAmounts(*accounts, project.project_id()));
      if (!revision.ok()) {
        rejected.set_reason(absl::StrCat("the revised plan cannot be allocated: ", revision.status().message()));
        out.rejected = rejected;
        return out;
      }
      increases = std::move(revision->increases);
      releases = std::move(revision->releases);
      unreleasable = std::move(revision->unreleasable);
    }

    auto draws = PlanBudgetDraws(increases, *availability);
    if (!draws.ok()) return draws.status();
    if (!draws->covered()) {
      SetShortfall(*draws, rejected);
      rejected.set_reason(absl::StrCat("the program budget cannot cover the revised plan (short by ",
                                       draws->total_shortfall.value(), " yen); the allocation is unchanged"));
      out.rejected = rejected;
      return out;
    }
    Append(batch, AllocationBatch(prefix, project.project_id(), *draws, reserved));
    Append(batch, MovesBatch(prefix, releases));
    if (!increases.lines.empty()) {
      batch.events.push_back(ctx.NewEvent(MadeOf(project, prefix, increases, reserved, "plan_revised"), kProjectType,
                                          project.project_id()));
    }
    AddReturned(project, releases, "plan_revised", ctx, batch);
    auto made = BookOnce(program, prefix, fingerprint, OnOtherRequest::kAccept, "event_id", OriginOf(ctx),
                         [&]() -> absl::StatusOr<Batch> { return batch; });
    if (!made.ok()) return made.status();
    booked = *std::move(made);
  }
  out.booked = true;
  out.pending_ids = kept_pending;
  if (!reserved) out.pending_ids.assign(project.pending_transfer_ids().begin(), project.pending_transfer_ids().end());
  for (auto& id : PendingIds(booked->transfers)) out.pending_ids.push_back(std::move(id));
  for (const auto& u : unreleasable) {
    tel::LogWarn("plan cut beyond the undisbursed allocation: the institution holds the rest until its expense "
                 "report and the year's close",
                 {{"program_id", program},
                  {"project_id", project.project_id()},
                  {"fiscal_year", u.fiscal_year.year()},
                  {"category", u.category},
                  {"amount_yen", u.amount.value()}});
  }
  tel::LogInfo("allocation revised", {{"program_id", program},
                                      {"project_id", project.project_id()},
                                      {"from_fiscal_year", from.year()},
                                      {"increase_yen", increases.total.value()},
                                      {"releases", static_cast<int64_t>(releases.size())},
                                      {"repeat", booked->duplicate},
                                      {"event_id", cause.event_id()}});
  return out;
}

void Funds::Take(const AllocationOutcome& outcome, const std::vector<v1::PlanLine>* plan, const Context& ctx,
                 v1::FundedProject& project, std::vector<EventEnvelope>& events) {
  if (outcome.booked) {
    if (plan != nullptr) SetPlan(project, *plan);
    if (project.allocation() == v1::ALLOCATION_STATUS_REJECTED ||
        project.allocation() == v1::ALLOCATION_STATUS_UNSPECIFIED) {
      project.set_allocation(outcome.pending_ids.empty() ? v1::ALLOCATION_STATUS_POSTED
                                                         : v1::ALLOCATION_STATUS_RESERVED);
    }
    project.clear_pending_transfer_ids();
    for (const auto& id : outcome.pending_ids) project.add_pending_transfer_ids(id);
    return;
  }
  if (project.allocation() == v1::ALLOCATION_STATUS_UNSPECIFIED) {
    project.set_allocation(v1::ALLOCATION_STATUS_REJECTED);
  }
  project.set_last_rejection(outcome.rejected->reason());
  project.set_last_shortfall_yen(outcome.rejected->shortfall_yen());
  events.push_back(ctx.NewEvent(*outcome.rejected, kProjectType, project.project_id()));
  Count("allocation", "rejected");
  tel::LogInfo("allocation rejected", {{"program_id", project.program_id()},
                                       {"project_id", project.project_id()},
                                       {"shortfall_yen", outcome.rejected->shortfall_yen()},
                                       {"reason", outcome.rejected->reason()}});
}

absl::Status Funds::PostReservation(v1::FundedProject& project, const Context& ctx) {
  Batch batch;
  for (const auto& id : project.pending_transfer_ids()) {
    auto t = ledger_.GetTransfer(project.program_id(), id);
    if (!t.ok()) return t.status();
    // One a finance officer voided by hand stays voided.
    if (t->state != TransferState::kVoided) batch.resolve.push_back({id, /*post=*/true});
  }
  if (!batch.resolve.empty()) {
    auto posted = ledger_.CreateBatch(project.program_id(), batch, OriginOf(ctx));
    if (!posted.ok()) return posted.status();
  }
  tel::LogInfo("reserved allocation posted: the project is active",
               {{"program_id", project.program_id()},
                {"project_id", project.project_id()},
                {"transfers", static_cast<int64_t>(batch.resolve.size())}});
  project.clear_pending_transfer_ids();
  project.set_allocation(v1::ALLOCATION_STATUS_POSTED);
  return absl::OkStatus();
}

// ------------------------------------------------------------------ handlers

absl::Status Funds::OnProjectStarted(const EventEnvelope& envelope, const projects::v1::ProjectStarted& event) {
  if (!IsValidIdComponent(event.project_id()) || !IsValidIdComponent(event.program_id())) {
    return absl::InvalidArgumentError("ProjectStarted without a valid project_id and program_id");
  }
  auto applied = Applied(envelope, event.project_id());
  if (!applied.ok()) return applied.status();
  if (*applied) return absl::OkStatus();
  auto loaded = LoadProject(event.project_id());
  if (!loaded.ok()) return loaded.status();
  if (loaded->exists()) {
    tel::LogWarn("ProjectStarted for a project funds already has: nothing to do",
                 {{"project_id", event.project_id()}, {"event_id", envelope.event_id()}});
    return CommitProject(loaded->value, loaded->version, envelope, {});
  }
  const Context ctx = runtime::ContextOfEvent(envelope, kit_.clock().Now(), kServiceName);

  v1::FundedProject project;
  project.set_project_id(event.project_id());
  project.set_program_id(event.program_id());
  TakeTeam(project, event.principal_investigator(), event.institutions());
  project.set_pi_subject(event.pi_subject());
  project.set_state(projects::v1::PROJECT_STATE_CONTRACTING);
  SetPlan(project, PlanOf(event.budget_plan()));
  const absl::Time start = event.research_period().has_start_time() ? ToTime(event.research_period().start_time())
                                                                    : ToTime(envelope.occurred_at());
  *project.mutable_research_start() = ToTimestamp(start);
  project.set_award_fiscal_year(FiscalYear::Containing(start).year());
  int rate = event.indirect_rate_percent();
  if (rate <= 0) {
    auto terms = terms_.For(event.program_id(), project.award_fiscal_year());
    rate = terms.ok() && terms->indirect_rate_percent ? *terms->indirect_rate_percent : -1;
  }
  project.set_indirect_rate_percent(rate);

  auto outcome = TryAllocate(project, envelope, "project_started", ctx);
  if (!outcome.ok()) return outcome.status();
  std::vector<EventEnvelope> events;
  Take(*outcome, nullptr, ctx, project, events);
  return CommitProject(project, 0, envelope, std::move(events));
}

absl::Status Funds::OnProjectChanged(const EventEnvelope& envelope, const projects::v1::ProjectChanged& event) {
  auto loaded = KnownProject(envelope, event.project_id());
  if (!loaded.ok() || !loaded->has_value()) return loaded.status();
  const Context ctx = runtime::ContextOfEvent(envelope, kit_.clock().Now(), kServiceName);
  v1::FundedProject project = (*loaded)->value;
  if (project.state() == projects::v1::PROJECT_STATE_TERMINATED) {
    return CommitProject(project, (*loaded)->version, envelope, {});
  }
  project.set_state(event.state());
  TakeTeam(project, event.principal_investigator(), event.institutions());
  std::vector<EventEnvelope> events;
  if (event.budget_plan_changed()) {
    const std::vector<v1::PlanLine> plan = PlanOf(event.budget_plan());
    if (project.allocation() == v1::ALLOCATION_STATUS_REJECTED) {
      SetPlan(project, plan);  // what was never booked follows the plan; try the new one
      auto outcome = TryAllocate(project, envelope, "plan_revised", ctx);
      if (!outcome.ok()) return outcome.status();
      Take(*outcome, nullptr, ctx, project, events);
    } else {
      auto outcome = Revise(project, plan, envelope, ctx);
      if (!outcome.ok()) return outcome.status();
      Take(*outcome, &plan, ctx, project, events);
    }
  } else if (event.change() == projects::v1::CHANGE_KIND_HOLD_RELEASED &&
             project.allocation() == v1::ALLOCATION_STATUS_REJECTED) {
    auto outcome = TryAllocate(project, envelope, "hold_released", ctx);
    if (!outcome.ok()) return outcome.status();
    Take(*outcome, nullptr, ctx, project, events);
  }
  if (project.allocation() == v1::ALLOCATION_STATUS_RESERVED && project.state() == projects::v1::PROJECT_STATE_ACTIVE) {
    if (auto s = PostReservation(project, ctx); !s.ok()) return s;
  }
  return CommitProject(project, (*loaded)->version, envelope, std::move(events));
}

absl::Status Funds::OnProjectTerminated(const EventEnvelope& envelope, const projects::v1::ProjectTerminated& event) {
  auto loaded = KnownProject(envelope, event.project_id());
  if (!loaded.ok() || !loaded->has_value()) return loaded.status();
  const Context ctx = runtime::ContextOfEvent(envelope, kit_.clock().Now(), kServiceName);
  v1::FundedProject project = (*loaded)->value;
  const std::string& program = project.program_id();
  const int first_without =
      event.effective_fiscal_year() > 0
          ? event.effective_fiscal_year()
          : FiscalYear::Containing(ToTime(event.effective_time()) - absl::Nanoseconds(1)).Next().year();

  auto accounts = ledger_.ListAccounts(program, project.project_id());
  if (!accounts.ok()) return accounts.status();
  std::vector<AccountBalance> balances;
  for (const auto& a : *accounts) balances.push_back({a.spec, a.balance});
  auto releases = ReleaseOnTermination(project.project_id(), FiscalYear(first_without - 1), balances);
  if (!releases.ok()) return releases.status();
  Batch batch = MovesBatch("term", *releases);
  // The contract never came for what is still reserved: nothing of it stays.
  for (const auto& id : project.pending_transfer_ids()) {
    auto t = ledger_.GetTransfer(program, id);
    if (!t.ok()) return t.status();
    if (t->state == TransferState::kPending) batch.resolve.push_back({id, /*post=*/false});
  }
  const int64_t total = AddReturned(project, *releases, "termination", ctx, batch);
  const std::string prefix = Prefix("term", program, project.project_id());
  auto booked = BookOnce(program, prefix, Fingerprint(envelope.event_id()), OnOtherRequest::kAccept, "project_id",
                         OriginOf(ctx), [&]() -> absl::StatusOr<Batch> { return batch; });
  if (!booked.ok()) return booked.status();
  tel::LogInfo("project terminated: future allocations released",
               {{"program_id", program},
                {"project_id", project.project_id()},
                {"from_fiscal_year", first_without},
                {"released_yen", total},
                {"reservations_voided", static_cast<int64_t>(batch.resolve.size())}});
  if (project.allocation() != v1::ALLOCATION_STATUS_REJECTED) project.set_allocation(v1::ALLOCATION_STATUS_RELEASED);
  project.clear_pending_transfer_ids();
  project.set_state(projects::v1::PROJECT_STATE_TERMINATED);
  project.set_terminated_from_fiscal_year(first_without);
  return CommitProject(project, (*loaded)->version, envelope, {});
}

absl::Status Funds::OnEvaluationRecorded(const EventEnvelope& envelope, const projects::v1::EvaluationRecorded& event) {
  auto loaded = KnownProject(envelope, event.project_id());
  if (!loaded.ok() || !loaded->has_value()) return loaded.status();
  v1::FundedProject project = (*loaded)->value;
  *project.add_evaluations() = event.evaluation();
  tel::LogInfo("evaluation noted", {{"project_id", project.project_id()},
                                    {"evaluation_id", event.evaluation().evaluation_id()},
                                    {"consequence", projects::v1::Consequence_Name(event.evaluation().consequence())}});
  return CommitProject(project, (*loaded)->version, envelope, {});
}

}  // namespace tane::funds
