#include "bank_workload.h"

#include <cstdlib>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tane/testing/fixtures.h"

namespace tane::funds::bank {

using core::FiscalYear;
using core::Yen;

absl::Duration DurationFromEnv(absl::Duration fallback) {
  const char* s = std::getenv("TANE_BANK_SECONDS");
  return s != nullptr && *s != '\0' ? absl::Seconds(std::atoi(s)) : fallback;
}

Workload::Workload(Target& target, std::string program, Options options)
    : target_(target), program_(std::move(program)), options_(options) {
  accounts_.push_back(ClearingAccount());
  accounts_.push_back(ProgramBudgetAccount(FiscalYear(2024), BudgetLine::kInitial));
  for (int i = 0; accounts_.size() < 19; ++i) {
    accounts_.push_back(ProjectAllocationAccount(absl::StrCat("p", i), FiscalYear(2024), "equipment"));
  }
}

absl::Status Workload::Setup() {
  if (auto s = target_.Open(ExternalSourceAccount("mext")); !s.ok()) return s;
  for (const auto& a : accounts_) {
    if (auto s = target_.Open(a); !s.ok()) return s;
  }
  for (const auto& a : accounts_) {
    if (!a.must_not_go_negative) continue;
    TransferRequest t;
    t.id = "setup." + a.id;
    t.debit_account_id = "external.mext";
    t.credit_account_id = a.id;
    t.amount = Yen(options_.initial);
    t.code = "budget_load";
    auto r = target_.Create(t);
    if (!r.ok()) return r.status();
    put_in_ += options_.initial;
    acked_[t.id] = {t, TransferState::kPosted, r->transfer.created_at};
  }
  return absl::OkStatus();
}

void Workload::Fail(std::string what) {
  std::lock_guard lock(mu_);
  failures_.push_back(std::move(what));
}

absl::StatusOr<Target::Result> Workload::Retry(const std::function<absl::StatusOr<Target::Result>()>& op,
                                               bool* unknown, absl::Time* last_attempt) {
  absl::StatusOr<Target::Result> result = absl::UnknownError("not run");
  const bool done = tane::testing::WaitFor(
      [&] {
        if (last_attempt != nullptr) *last_attempt = absl::Now();
        result = op();
        if (!target_.Unknown(result.status())) return true;
        *unknown = true;
        stats_.unknown++;
        return false;
      },
      options_.give_up_after, absl::Milliseconds(5));
  if (!done) Fail(absl::StrCat("outcome still unknown after ", absl::FormatDuration(options_.give_up_after), ": ",
                               result.status().ToString()));
  return result;
}

void Workload::Client(int client, absl::Time deadline) {
  std::mt19937_64 rng(1000 + client);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  std::map<std::string, Acked> mine;
  std::vector<std::string> ids;      // acked, in order
  std::vector<std::string> pending;  // acked pending, unresolved
  int64_t next = 0;
  auto fail = [&](const std::string& what) { Fail(absl::StrCat("client ", client, ": ", what)); };

  while (absl::Now() < deadline) {
    stats_.attempts++;
    const uint64_t dice = rng() % 100;
    bool unknown = false;
    if (dice < 10 && !ids.empty()) {
      // Repeat an acknowledged transfer: a no-op returning the original.
      const Acked& a = mine[ids[pick(ids.size())]];
      auto r = Retry([&] { return target_.Create(a.request); }, &unknown);
      stats_.repeats++;
      if (!r.ok() || r->transfer.created_at != a.created_at || r->duplicate == false) {
        fail(absl::StrCat("repeat of ", a.request.id, " was not a no-op: ",
                          r.ok() ? "booked again" : r.status().ToString()));
      }
    } else if (dice < 15 && !ids.empty()) {
      // Same id, different content: refused.
      TransferRequest other = mine[ids[pick(ids.size())]].request;
      other.amount = Yen(other.amount.value() + 1);
      auto r = Retry([&] { return target_.Create(other); }, &unknown);
      stats_.conflicts++;
      if (r.status().code() != absl::StatusCode::kAlreadyExists) {
        fail(absl::StrCat("conflicting repeat of ", other.id, ": ", r.status().ToString()));
      }
    } else if (dice < 30 && !pending.empty()) {
      const size_t k = pick(pending.size());
      const std::string id = pending[k];
      const bool post = rng() % 2 == 0;
      auto r = Retry([&] { return target_.Resolve(id, post); }, &unknown);
      if (!r.ok()) {
        fail(absl::StrCat(post ? "post " : "void ", id, ": ", r.status().ToString()));
        continue;
      }
      if (r->duplicate == true) {
        stats_.found_booked++;
        if (!unknown) fail(absl::StrCat("first resolve of ", id, " was a duplicate"));
      }
      mine[id].state = r->transfer.state;
      pending.erase(pending.begin() + static_cast<long>(k));
      stats_.resolved++;
    } else {
      TransferRequest t;
      t.id = absl::StrCat("c", client, "-", next++);
      const size_t from = pick(accounts_.size());
      size_t to = pick(accounts_.size() - 1);
      if (to >= from) ++to;
      t.debit_account_id = accounts_[from].id;
      t.credit_account_id = accounts_[to].id;
      t.amount = Yen(1 + static_cast<int64_t>(rng() % options_.max_move));
      t.pending = rng() % 100 < 15;
      absl::Time last_attempt;
      auto r = Retry([&] { return target_.Create(t); }, &unknown, &last_attempt);
      if (r.ok()) {
        // Booked before the attempt that answered (the record's time is in
        // whole milliseconds): a target that cannot say so tells it this way.
        const bool booked_before = r->duplicate.value_or(r->transfer.created_at + absl::Milliseconds(1) < last_attempt);
        if (booked_before) {
          // Only an attempt whose outcome was unknown may have booked it.
          if (!unknown) fail(absl::StrCat("new transfer ", t.id, " was a duplicate"));
          stats_.found_booked++;
        }
        mine[t.id] = {t, r->transfer.state, r->transfer.created_at};
        ids.push_back(t.id);
        if (t.pending) pending.push_back(t.id);
        stats_.acked++;
      } else if (r.status().code() == absl::StatusCode::kFailedPrecondition && !ShortfallsOf(r.status()).empty()) {
        stats_.insufficient++;
      } else {
        fail(absl::StrCat("transfer ", t.id, ": ", r.status().ToString()));
      }
    }
  }
  std::lock_guard lock(mu_);
  for (auto& [id, a] : mine) acked_[id] = std::move(a);
}

void Workload::Run(const std::function<void(absl::Time start, absl::Time end)>& during) {
  const absl::Time start = absl::Now();
  const absl::Time deadline = start + options_.duration;
  std::vector<std::thread> clients;
  for (int c = 0; c < options_.clients; ++c) clients.emplace_back([this, c, deadline] { Client(c, deadline); });
  if (during) during(start, deadline);
  for (auto& t : clients) t.join();
  ran_for_ = absl::Now() - start;
}

std::string Workload::Summary() const {
  return absl::StrCat(options_.clients, " clients, ", absl::FormatDuration(ran_for_), ": ", stats_.attempts.load(),
                      " operations, ", stats_.acked.load(), " transfers acknowledged, ", stats_.insufficient.load(),
                      " refused for insufficient funds, ", stats_.repeats.load(), " repeats (no-op), ",
                      stats_.conflicts.load(), " conflicting repeats (refused), ", stats_.resolved.load(),
                      " pending resolved, ", stats_.unknown.load(), " unknown outcomes retried, ",
                      stats_.found_booked.load(), " retries found already booked");
}

size_t Workload::ExpectedEvents() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [id, a] : acked_) n += (a.request.pending && a.state != TransferState::kPending) ? 2 : 1;
  return n;
}

std::vector<std::string> Workload::Verify(Ledger& ledger, const std::vector<common::v1::EventEnvelope>& events,
                                          bool repeats_allowed) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> problems = failures_;
  auto problem = [&](auto&&... parts) { problems.push_back(absl::StrCat(parts...)); };

  auto accounts = ledger.ListAccounts(program_);
  if (!accounts.ok()) return {accounts.status().ToString()};
  if (accounts->size() != accounts_.size() + 1) problem(accounts->size(), " accounts, expected ", accounts_.size() + 1);
  std::map<std::string, std::array<int64_t, 3>> stored;  // bal, pdr, pcr
  int64_t total = 0, outside_source = 0;
  for (const auto& a : *accounts) {
    stored[a.spec.id] = {a.balance.value(), a.pending_debits.value(), a.pending_credits.value()};
    total += a.balance.value();
    if (a.spec.kind != AccountKind::kExternalSource) outside_source += a.balance.value();
    if (a.spec.must_not_go_negative && (a.balance.value() < 0 || a.available().value() < 0)) {
      problem("account ", a.spec.id, " went negative: balance ", a.balance.value(), ", available ",
              a.available().value());
    }
  }
  if (total != 0) problem("double entry broken: the accounts sum to ", total);
  if (outside_source != put_in_) problem("the total is ", outside_source, " but ", put_in_, " was put in");

  auto transfers = ledger.ListTransfers(program_);
  if (!transfers.ok()) return {transfers.status().ToString()};
  std::map<std::string, int> seen;
  std::map<std::string, std::array<int64_t, 3>> recomputed;
  for (const auto& a : *accounts) recomputed[a.spec.id] = {0, 0, 0};
  for (const auto& t : *transfers) {
    if (++seen[t.id] > 1) problem("transfer ", t.id, " is in the log twice");
    const int64_t amt = t.amount.value();
    if (t.state == TransferState::kPosted) {
      recomputed[t.debit_account_id][0] -= amt;
      recomputed[t.credit_account_id][0] += amt;
    } else if (t.state == TransferState::kPending) {
      recomputed[t.debit_account_id][1] += amt;
      recomputed[t.credit_account_id][2] += amt;
    }
    auto it = acked_.find(t.id);
    if (it == acked_.end()) {
      problem("transfer ", t.id, " was booked but never acknowledged");
      continue;
    }
    const TransferRequest& r = it->second.request;
    if (t.debit_account_id != r.debit_account_id || t.credit_account_id != r.credit_account_id ||
        t.amount != r.amount || t.pending != r.pending) {
      problem("transfer ", t.id, " was booked with other content than acknowledged");
    }
    if (t.state != it->second.state) problem("transfer ", t.id, " is not in its last acknowledged state");
  }
  for (const auto& [id, a] : acked_) {
    if (seen[id] != 1) problem("acknowledged transfer ", id, " is in the records ", seen[id], " times");
  }
  if (recomputed != stored) problem("balances recomputed from the transfer records differ from the stored ones");

  // Events: one event id per (transfer, version), nothing else of the ledger.
  std::map<std::pair<std::string, int64_t>, std::set<std::string>> ids;
  std::set<std::string> all;
  for (const auto& e : events) {
    if (!all.insert(e.event_id()).second && !repeats_allowed) problem("event ", e.event_id(), " appears twice");
    ids[{e.aggregate_id(), e.aggregate_version()}].insert(e.event_id());
  }
  size_t expected = 0;
  for (const auto& t : *transfers) {
    const std::string agg = absl::StrCat(program_, "/", t.id);
    if (ids[{agg, 1}].size() != 1) problem("transfer ", t.id, " has ", ids[{agg, 1}].size(), " creation events");
    ++expected;
    if (t.pending && t.state != TransferState::kPending) {
      if (ids[{agg, 2}].size() != 1) {
        problem("transfer ", t.id, " has ", ids[{agg, 2}].size(), " resolution events");
      }
      ++expected;
    }
  }
  if (all.size() != expected) problem(all.size(), " distinct events, expected ", expected);
  return problems;
}

absl::Status LedgerTarget::Open(const AccountSpec& spec) { return ledger_.OpenAccount(program_, spec).status(); }

absl::StatusOr<Target::Result> LedgerTarget::Create(const TransferRequest& request) {
  auto r = ledger_.CreateTransfer(program_, request);
  if (!r.ok()) return r.status();
  return Result{std::move(r->transfer), r->duplicate};
}

absl::StatusOr<Target::Result> LedgerTarget::Resolve(const std::string& transfer_id, bool post) {
  auto r = post ? ledger_.PostPending(program_, transfer_id) : ledger_.VoidPending(program_, transfer_id);
  if (!r.ok()) return r.status();
  return Result{std::move(r->transfer), r->duplicate};
}

absl::StatusOr<std::vector<common::v1::EventEnvelope>> ReadOutbox(store::RedisPool& pool, const Ledger& ledger,
                                                                  const std::string& program) {
  auto outbox = pool.Command({"XRANGE", ledger.keyspace().OutboxKey(ledger.ShardOf(program)), "-", "+"});
  if (!outbox.ok()) return outbox.status();
  std::vector<common::v1::EventEnvelope> out;
  for (const auto& entry : outbox->elements) {
    const auto& f = entry.elements[1].elements;
    for (size_t i = 0; i + 1 < f.size(); i += 2) {
      if (f[i].str != "env") continue;
      common::v1::EventEnvelope e;
      if (!e.ParseFromString(f[i + 1].str)) return absl::InternalError("outbox entry does not parse");
      out.push_back(std::move(e));
    }
  }
  return out;
}

}  // namespace tane::funds::bank
