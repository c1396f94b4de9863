// Ledger throughput and latency: 50 concurrent clients booking transfers
// through tane::funds::Ledger against a real redis-server (AOF, appendfsync
// always), then the same server measured with redis-benchmark running a
// trivial EVALSHA (and, for reference, a trivial writing EVALSHA, which pays
// the same fsync as a transfer). Prints both and the ratio.
//
//   funds_ledger_bench [seconds=10] [clients=50]
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "random_moves.h"
#include "tane/funds/ledger.h"
#include "tane/testing/fixtures.h"

namespace {

using tane::core::Yen;
namespace fb = tane::funds::bench;

int Fail(const absl::Status& s) {
  std::cerr << "funds_ledger_bench: " << s << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const int seconds = argc > 1 ? std::atoi(argv[1]) : 10;
  const int clients = argc > 2 ? std::atoi(argv[2]) : 50;
  constexpr int kAccounts = 100;
  const std::string program = "bench";

  auto redis = tane::testing::RedisServer::Start();
  if (!redis.ok()) return Fail(redis.status());
  tane::store::RedisOptions options;
  options.port = (*redis)->port();
  options.pool_size = clients;
  tane::store::RedisPool pool(options);
  tane::funds::Ledger ledger(pool, tane::store::Keyspace("funds", 8));

  // 100 accounts, each funded far beyond what the run can move.
  tane::funds::Batch setup;
  setup.batch_id = "setup";
  setup.open_accounts.push_back(tane::funds::ExternalSourceAccount("mext"));
  std::vector<std::string> accounts;
  for (int i = 0; i < kAccounts; ++i) {
    auto spec = tane::funds::ProjectAllocationAccount(absl::StrCat("p", i), tane::core::FiscalYear(2024), "equipment");
    accounts.push_back(spec.id);
    setup.open_accounts.push_back(spec);
    tane::funds::TransferRequest t;
    t.id = absl::StrCat("setup-", i);
    t.debit_account_id = "external.mext";
    t.credit_account_id = spec.id;
    t.amount = Yen(1'000'000'000'000);
    setup.transfers.push_back(t);
  }
  if (auto r = ledger.CreateBatch(program, setup); !r.ok()) return Fail(r.status());

  const fb::ClosedLoop run = fb::RunClosedLoop(
      clients, absl::Seconds(seconds), kAccounts, [&](int, const fb::RandomMove& move) {
        tane::funds::TransferRequest t;
        t.id = move.id;
        t.debit_account_id = accounts[move.from];
        t.credit_account_id = accounts[move.to];
        t.amount = Yen(move.amount);
        t.code = "allocation";
        return ledger.CreateTransfer(program, t).status();
      });

  // The same server, redis-benchmark with the same concurrency.
  auto rb_trivial = fb::BenchmarkEvalsha(pool, (*redis)->port(), clients, 100000, "return 1");
  if (!rb_trivial.ok()) return Fail(rb_trivial.status());
  auto rb_writing = fb::BenchmarkEvalsha(pool, (*redis)->port(), clients, 100000,
                                         "return redis.call('INCR', KEYS[1])", "1 {funds:0}:bench-counter");
  if (!rb_writing.ok()) return Fail(rb_writing.status());
  const std::string version = fb::RedisVersion(pool);
  std::cout << absl::StrFormat(
      "funds ledger, %d clients, %d accounts, redis-server %s appendfsync always, %d s:\n"
      "  ledger CreateTransfer:             %9.0f transfers/s  p50 %.3f ms  p99 %.3f ms  (%d transfers, %d errors)\n"
      "  redis-benchmark EVALSHA 'return 1': %9.0f calls/s      p50 %.3f ms  p99 %.3f ms\n"
      "  redis-benchmark EVALSHA INCR:       %9.0f calls/s      p50 %.3f ms  p99 %.3f ms  (writes: pays the fsync)\n"
      "  ratio ledger / trivial EVALSHA:    %.3f\n"
      "  ratio ledger / writing EVALSHA:    %.3f\n",
      clients, kAccounts, version, seconds, run.per_second, fb::Percentile(run.latencies_ms, 0.50),
      fb::Percentile(run.latencies_ms, 0.99), static_cast<int>(run.latencies_ms.size()), static_cast<int>(run.errors),
      rb_trivial->rps, rb_trivial->p50_ms, rb_trivial->p99_ms, rb_writing->rps, rb_writing->p50_ms, rb_writing->p99_ms,
      run.per_second / rb_trivial->rps, run.per_second / rb_writing->rps);
  return run.errors == 0 ? 0 : 1;
}
