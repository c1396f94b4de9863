// The bank workload (after Jepsen's): concurrent clients move random amounts
// between accounts, repeat transfer ids at random, and retry with the same ids
// through a Redis crash. Afterwards the ledger must balance to the yen:
//   - the total across all accounts is what was put in, and nothing that must
//     not go negative is negative;
//   - every acknowledged transfer is in the records exactly once, with its
//     content and last acknowledged state, and nothing else is;
//   - the balances recomputed from the records equal the stored balances;
//   - the outbox holds each transfer's events exactly once.
// TANE_BANK_SECONDS overrides the 10 s workload.
#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tane/funds/ledger.h"
#include "tane/testing/fixtures.h"

namespace tane::funds {
namespace {

using core::FiscalYear;
using core::Yen;

constexpr char kProgram[] = "bank";
constexpr int kClients = 16;
constexpr int64_t kInitial = 1'000'000;
constexpr int64_t kMaxMove = 400'000;

absl::Duration WorkloadDuration() {
  const char* s = std::getenv("TANE_BANK_SECONDS");
  return absl::Seconds(s != nullptr ? std::atoi(s) : 10);
}

// What a client was told about one of its transfers.
struct Acked {
  TransferRequest request;
  TransferState state;
  Yen debit_balance_after;
  Yen credit_balance_after;
};

struct Stats {
  std::atomic<int64_t> attempts{0}, acked{0}, insufficient{0}, repeats{0}, conflicts{0}, resolved{0}, unavailable{0},
      dup_after_unavailable{0};
};

class BankTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = tane::testing::RedisServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    store::RedisOptions options;
    options.port = server_->port();
    options.pool_size = kClients + 2;
    options.command_timeout = absl::Seconds(2);
    options.initial_backoff = absl::Milliseconds(5);
    options.max_backoff = absl::Milliseconds(100);
    pool_ = std::make_unique<store::RedisPool>(options);
    ledger_ = std::make_unique<Ledger>(*pool_, store::Keyspace("funds", 8));

    // 20 accounts: the external source (setup only), a clearing account that
    // may go negative, and 18 that must not.
    ASSERT_TRUE(ledger_->OpenAccount(kProgram, ExternalSourceAccount("mext")).ok());
    accounts_.push_back(ClearingAccount());
    accounts_.push_back(ProgramBudgetAccount(FiscalYear(2024), BudgetLine::kInitial));
    for (int i = 0; accounts_.size() < 19; ++i) {
      accounts_.push_back(ProjectAllocationAccount(absl::StrCat("p", i), FiscalYear(2024), "equipment"));
    }
    Batch setup;
    setup.batch_id = "setup";
    setup.open_accounts = accounts_;
    for (const auto& a : accounts_) {
      if (!a.must_not_go_negative) continue;
      TransferRequest t;
      t.id = "setup." + a.id;
      t.debit_account_id = "external.mext";
      t.credit_account_id = a.id;
      t.amount = Yen(kInitial);
      t.code = "budget_load";
      put_in_ += kInitial;
      setup.transfers.push_back(t);
    }
    auto r = ledger_->CreateBatch(kProgram, setup);
    ASSERT_TRUE(r.ok()) << r.status();
    for (const auto& t : r->transfers) {
      Acked a{setup.transfers[&t - &r->transfers[0]], TransferState::kPosted, t.debit_balance_after,
              t.credit_balance_after};
      acked_[t.id] = a;
    }
  }

  // Runs `op` until it is not UNAVAILABLE: the client's retry with the same
  // ids. Reports whether any attempt was UNAVAILABLE.
  template <typename Op>
  auto Retry(Op op, bool* saw_unavailable) {
    decltype(op()) result = absl::UnknownError("not run");
    const bool done = tane::testing::WaitFor(
        [&] {
          result = op();
          if (result.status().code() != absl::StatusCode::kUnavailable) return true;
          *saw_unavailable = true;
          stats_.unavailable++;
          return false;
        },
        absl::Seconds(60), absl::Milliseconds(2));
    EXPECT_TRUE(done) << "still unavailable after 60 s: " << result.status();
    return result;
  }

  void Client(int client, absl::Time deadline) {
    std::mt19937_64 rng(1000 + client);
    auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
    std::map<std::string, Acked> mine;
    std::vector<std::string> ids;      // acked, in order
    std::vector<std::string> pending;  // acked pending, unresolved
    int64_t next = 0;
    auto fail = [&](const std::string& what) {
      std::lock_guard lock(mu_);
      failures_.push_back(absl::StrCat("client ", client, ": ", what));
    };

    while (absl::Now() < deadline) {
      stats_.attempts++;
      const uint64_t dice = rng() % 100;
      bool saw_unavailable = false;
      if (dice < 10 && !ids.empty()) {
        // Repeat an acknowledged transfer: a no-op returning the original result.
        const Acked& a = mine[ids[pick(ids.size())]];
        auto r = Retry([&] { return ledger_->CreateTransfer(kProgram, a.request); }, &saw_unavailable);
        stats_.repeats++;
        if (!r.ok() || !r->duplicate || r->transfer.debit_balance_after != a.debit_balance_after ||
            r->transfer.credit_balance_after != a.credit_balance_after) {
          fail(absl::StrCat("repeat of ", a.request.id,
                            " was not a no-op: ", r.ok() ? "booked again" : r.status().ToString()));
        }
      } else if (dice < 15 && !ids.empty()) {
        // Same id, different content: refused.
        TransferRequest other = mine[ids[pick(ids.size())]].request;
        other.amount = Yen(other.amount.value() + 1);
        auto r = Retry([&] { return ledger_->CreateTransfer(kProgram, other); }, &saw_unavailable);
        stats_.conflicts++;
        if (r.status().code() != absl::StatusCode::kAlreadyExists) {
          fail(absl::StrCat("conflicting repeat of ", other.id, ": ", r.status().ToString()));
        }
      } else if (dice < 30 && !pending.empty()) {
        const size_t k = pick(pending.size());
        const std::string id = pending[k];
        const bool post = rng() % 2 == 0;
        auto r = Retry([&] { return post ? ledger_->PostPending(kProgram, id) : ledger_->VoidPending(kProgram, id); },
                       &saw_unavailable);
        if (!r.ok()) {
          fail(absl::StrCat(post ? "post " : "void ", id, ": ", r.status().ToString()));
          continue;
        }
        if (r->duplicate) stats_.dup_after_unavailable++;
        if (r->duplicate && !saw_unavailable) fail(absl::StrCat("first resolve of ", id, " was a duplicate"));
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
        t.amount = Yen(1 + static_cast<int64_t>(rng() % kMaxMove));
        t.pending = rng() % 100 < 15;
        auto r = Retry([&] { return ledger_->CreateTransfer(kProgram, t); }, &saw_unavailable);
        if (r.ok()) {
          if (r->duplicate) {
            // Only an attempt whose outcome was unknown may have booked it.
            if (!saw_unavailable) fail(absl::StrCat("new transfer ", t.id, " was a duplicate"));
            stats_.dup_after_unavailable++;
          }
          mine[t.id] = {t, r->transfer.state, r->transfer.debit_balance_after, r->transfer.credit_balance_after};
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

  void RunWorkload(bool crash) {
    const absl::Time start = absl::Now();
    const absl::Time deadline = start + WorkloadDuration();
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) clients.emplace_back([this, c, deadline] { Client(c, deadline); });
    if (crash) {
      // SIGKILL redis mid-run, twice; restart once clients have seen the outage.
      for (double at : {0.3, 0.6}) {
        ASSERT_TRUE(tane::testing::WaitFor([&] { return absl::Now() >= start + at * (deadline - start); },
                                           absl::Minutes(2), absl::Milliseconds(10)));
        const int64_t unavailable_before = stats_.unavailable.load();
        server_->Kill();
        ASSERT_TRUE(tane::testing::WaitFor([&] { return stats_.unavailable.load() >= unavailable_before + kClients; },
                                           absl::Seconds(30), absl::Milliseconds(1)))
            << "clients did not notice the outage";
        ASSERT_TRUE(server_->Restart().ok());
      }
    }
    for (auto& t : clients) t.join();
    std::cout << absl::StrCat(
        "bank", crash ? " (2 x SIGKILL + restart)" : "", ": ", stats_.attempts.load(), " operations, ",
        stats_.acked.load(), " transfers acknowledged, ", stats_.insufficient.load(),
        " refused for insufficient funds, ", stats_.repeats.load(), " repeats (no-op), ", stats_.conflicts.load(),
        " conflicting repeats (refused), ", stats_.resolved.load(), " pending resolved, ", stats_.unavailable.load(),
        " UNAVAILABLE retries, ", stats_.dup_after_unavailable.load(), " retries found already booked\n");
  }

  void CheckInvariants() {
    for (const auto& f : failures_) ADD_FAILURE() << f;
    ASSERT_TRUE(failures_.empty());

    auto accounts = ledger_->ListAccounts(kProgram);
    ASSERT_TRUE(accounts.ok()) << accounts.status();
    ASSERT_EQ(accounts->size(), 20u);
    std::map<std::string, std::array<int64_t, 3>> stored;  // bal, pdr, pcr
    int64_t total = 0, outside_source = 0;
    for (const auto& a : *accounts) {
      stored[a.spec.id] = {a.balance.value(), a.pending_debits.value(), a.pending_credits.value()};
      total += a.balance.value();
      if (a.spec.kind != AccountKind::kExternalSource) outside_source += a.balance.value();
      if (a.spec.must_not_go_negative) {
        EXPECT_GE(a.balance.value(), 0) << a.spec.id;
        EXPECT_GE(a.available().value(), 0) << a.spec.id;
      }
    }
    EXPECT_EQ(total, 0) << "double entry: every yen debited was credited";
    EXPECT_EQ(outside_source, put_in_) << "the total is what was put in";

    auto transfers = ledger_->ListTransfers(kProgram);
    ASSERT_TRUE(transfers.ok()) << transfers.status();
    std::map<std::string, int> seen;
    std::map<std::string, std::array<int64_t, 3>> recomputed;
    for (const auto& a : *accounts) recomputed[a.spec.id] = {0, 0, 0};
    for (const auto& t : *transfers) {
      if (++seen[t.id] > 1) ADD_FAILURE() << "transfer " << t.id << " is in the log twice";
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
        ADD_FAILURE() << "transfer " << t.id << " was booked but never acknowledged";
        continue;
      }
      const TransferRequest& r = it->second.request;
      EXPECT_EQ(t.debit_account_id, r.debit_account_id) << t.id;
      EXPECT_EQ(t.credit_account_id, r.credit_account_id) << t.id;
      EXPECT_EQ(t.amount, r.amount) << t.id;
      EXPECT_EQ(t.pending, r.pending) << t.id;
      EXPECT_EQ(t.state, it->second.state) << t.id;
    }
    for (const auto& [id, a] : acked_) {
      EXPECT_EQ(seen[id], 1) << "acknowledged transfer " << id << " is not in the records exactly once";
    }
    EXPECT_EQ(recomputed, stored) << "balances recomputed from the transfer records differ";
    // Nothing was recorded outside the log.
    auto keys = pool_->Command({"KEYS", ledger_->keyspace().Key(ledger_->ShardOf(kProgram), "xfer:*")});
    ASSERT_TRUE(keys.ok());
    EXPECT_EQ(keys->elements.size(), transfers->size());

    // The outbox: one creation event per transfer, one resolution event per
    // resolved pending transfer, nothing twice.
    auto outbox = pool_->Command({"XRANGE", ledger_->keyspace().OutboxKey(ledger_->ShardOf(kProgram)), "-", "+"});
    ASSERT_TRUE(outbox.ok());
    std::map<std::pair<std::string, int64_t>, int> events;
    for (const auto& entry : outbox->elements) {
      const auto& f = entry.elements[1].elements;
      common::v1::EventEnvelope e;
      ASSERT_TRUE(e.ParseFromString(f[7].str));
      ++events[{e.aggregate_id(), e.aggregate_version()}];
    }
    size_t expected_events = 0;
    for (const auto& t : *transfers) {
      const std::string agg = absl::StrCat(kProgram, "/", t.id);
      EXPECT_EQ((events[{agg, 1}]), 1) << t.id;
      ++expected_events;
      if (t.pending && t.state != TransferState::kPending) {
        EXPECT_EQ((events[{agg, 2}]), 1) << t.id;
        ++expected_events;
      }
    }
    EXPECT_EQ(outbox->elements.size(), expected_events);
  }

  std::unique_ptr<tane::testing::RedisServer> server_;
  std::unique_ptr<store::RedisPool> pool_;
  std::unique_ptr<Ledger> ledger_;
  std::vector<AccountSpec> accounts_;
  int64_t put_in_ = 0;
  Stats stats_;
  std::mutex mu_;
  std::map<std::string, Acked> acked_;
  std::vector<std::string> failures_;
};

TEST_F(BankTest, InvariantsHold) {
  RunWorkload(/*crash=*/false);
  EXPECT_GT(stats_.acked.load(), 1000);
  EXPECT_GT(stats_.insufficient.load(), 0) << "the workload should also hit empty accounts";
  CheckInvariants();
}

TEST_F(BankTest, InvariantsHoldAndAcknowledgedTransfersSurviveRedisCrashes) {
  RunWorkload(/*crash=*/true);
  EXPECT_GT(stats_.unavailable.load(), 0);
  // One more crash after the last acknowledgement: everything acknowledged
  // must come back from the AOF.
  server_->Kill();
  ASSERT_TRUE(server_->Restart().ok());
  ASSERT_TRUE(tane::testing::WaitFor([&] { return pool_->Ping().ok(); }, absl::Seconds(30)));
  CheckInvariants();
}

}  // namespace
}  // namespace tane::funds
