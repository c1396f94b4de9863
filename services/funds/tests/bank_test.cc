// The bank workload (support/bank_workload.h) against the ledger library
// directly: 16 clients for 10 s (TANE_BANK_SECONDS), then again with two
// Redis SIGKILLs and restarts mid-run and one more before checking. The
// outbox must hold each transfer's events exactly once.
#include <iostream>

#include "gtest/gtest.h"
#include "support/bank_workload.h"
#include "tane/funds/ledger.h"
#include "tane/testing/fixtures.h"

namespace tane::funds {
namespace {

constexpr char kProgram[] = "bank";

class BankTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = tane::testing::RedisServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    store::RedisOptions options;
    options.port = server_->port();
    options.pool_size = options_.clients + 2;
    options.command_timeout = absl::Seconds(2);
    options.initial_backoff = absl::Milliseconds(5);
    options.max_backoff = absl::Milliseconds(100);
    pool_ = std::make_unique<store::RedisPool>(options);
    ledger_ = std::make_unique<Ledger>(*pool_, store::Keyspace("funds", 8));
    target_ = std::make_unique<bank::LedgerTarget>(*ledger_, kProgram);
    workload_ = std::make_unique<bank::Workload>(*target_, kProgram, options_);
    ASSERT_TRUE(workload_->Setup().ok());
  }

  void Check() {
    auto outbox = bank::ReadOutbox(*pool_, *ledger_, kProgram);
    ASSERT_TRUE(outbox.ok()) << outbox.status();
    for (const auto& problem : workload_->Verify(*ledger_, *outbox, /*repeats_allowed=*/false)) {
      ADD_FAILURE() << problem;
    }
    // Nothing was recorded outside the log.
    auto keys = pool_->Command({"KEYS", ledger_->keyspace().Key(ledger_->ShardOf(kProgram), "xfer:*")});
    ASSERT_TRUE(keys.ok());
    EXPECT_EQ(keys->elements.size(), ledger_->ListTransfers(kProgram)->size());
  }

  const bank::Options options_{.clients = 16, .duration = bank::DurationFromEnv(absl::Seconds(10))};
  std::unique_ptr<tane::testing::RedisServer> server_;
  std::unique_ptr<store::RedisPool> pool_;
  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<bank::LedgerTarget> target_;
  std::unique_ptr<bank::Workload> workload_;
};

TEST_F(BankTest, InvariantsHold) {
  workload_->Run();
  std::cout << "bank (ledger): " << workload_->Summary() << "\n";
  EXPECT_GT(workload_->stats().acked.load(), 1000);
  EXPECT_GT(workload_->stats().insufficient.load(), 0) << "the workload should also hit empty accounts";
  Check();
}

TEST_F(BankTest, InvariantsHoldAndAcknowledgedTransfersSurviveRedisCrashes) {
  workload_->Run([&](absl::Time start, absl::Time end) {
    // SIGKILL redis mid-run, twice; restart once clients have seen the outage.
    for (double at : {0.3, 0.6}) {
      ASSERT_TRUE(tane::testing::WaitFor([&] { return absl::Now() >= start + at * (end - start); }, absl::Minutes(2),
                                         absl::Milliseconds(10)));
      const int64_t unknown_before = workload_->stats().unknown.load();
      server_->Kill();
      ASSERT_TRUE(tane::testing::WaitFor(
          [&] { return workload_->stats().unknown.load() >= unknown_before + options_.clients; }, absl::Seconds(30),
          absl::Milliseconds(1)))
          << "clients did not notice the outage";
      ASSERT_TRUE(server_->Restart().ok());
    }
  });
  std::cout << "bank (ledger, 2 x redis SIGKILL + restart): " << workload_->Summary() << "\n";
  EXPECT_GT(workload_->stats().unknown.load(), 0);
  // One more crash after the last acknowledgement: everything acknowledged
  // must come back from the AOF.
  server_->Kill();
  ASSERT_TRUE(server_->Restart().ok());
  ASSERT_TRUE(tane::testing::WaitFor([&] { return pool_->Ping().ok(); }, absl::Seconds(30)));
  Check();
}

}  // namespace
}  // namespace tane::funds
