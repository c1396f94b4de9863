// Ledger throughput and latency: 50 concurrent clients booking transfers
// through tane::funds::Ledger against a real redis-server (AOF, appendfsync
// always), then the same server measured with redis-benchmark running a
// trivial EVALSHA (and, for reference, a trivial writing EVALSHA, which pays
// the same fsync as a transfer). Prints both and the ratio.
//
//   funds_ledger_bench [seconds=10] [clients=50]
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <iostream>
#include <random>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tane/funds/ledger.h"
#include "tane/testing/fixtures.h"

namespace {

using tane::core::Yen;

int Fail(const absl::Status& s) {
  std::cerr << "funds_ledger_bench: " << s << "\n";
  return 1;
}

struct RedisBenchmark {
  double rps = 0;
  double p50_ms = 0;
  double p99_ms = 0;
};

// Runs redis-benchmark --csv and reads its one result line:
// "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
absl::StatusOr<RedisBenchmark> RunRedisBenchmark(const std::string& options, const std::string& script) {
  // Options first: everything after the command is sent to Redis.
  const std::string command = absl::StrCat("redis-benchmark ", options, " --csv ", script, " 2>/dev/null");
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return absl::InternalError("popen redis-benchmark failed");
  std::string output;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof(buf), pipe)) output.append(buf, n);
  const int rc = ::pclose(pipe);
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    std::vector<std::string> f;
    for (absl::string_view part : absl::StrSplit(line, ',')) {
      f.emplace_back(absl::StripSuffix(absl::StripPrefix(part, "\""), "\""));
    }
    RedisBenchmark r;
    if (f.size() >= 7 && absl::SimpleAtod(f[1], &r.rps) && absl::SimpleAtod(f[4], &r.p50_ms) &&
        absl::SimpleAtod(f[6], &r.p99_ms)) {
      return r;
    }
  }
  return absl::InternalError(absl::StrCat("redis-benchmark (exit ", rc, ") printed no result: ", output));
}

double Percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(p * static_cast<double>(sorted.size())));
  return sorted[i];
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

  std::atomic<int64_t> errors{0};
  std::vector<std::vector<double>> latencies(clients);
  const absl::Time start = absl::Now();
  const absl::Time deadline = start + absl::Seconds(seconds);
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      std::mt19937_64 rng(c);
      latencies[c].reserve(100000);
      for (int64_t n = 0; absl::Now() < deadline; ++n) {
        tane::funds::TransferRequest t;
        t.id = absl::StrCat("b", c, "-", n);
        const size_t from = rng() % kAccounts;
        const size_t to = (from + 1 + rng() % (kAccounts - 1)) % kAccounts;
        t.debit_account_id = accounts[from];
        t.credit_account_id = accounts[to];
        t.amount = Yen(1 + static_cast<int64_t>(rng() % 1'000'000));
        t.code = "allocation";
        const absl::Time t0 = absl::Now();
        auto r = ledger.CreateTransfer(program, t);
        latencies[c].push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
        if (!r.ok()) {
          if (errors++ < 5) std::cerr << r.status() << "\n";
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  const double ledger_tps = static_cast<double>(all.size()) / elapsed;

  // The same server, redis-benchmark with the same concurrency.
  auto trivial = pool.Command({"SCRIPT", "LOAD", "return 1"});
  auto writing = pool.Command({"SCRIPT", "LOAD", "return redis.call('INCR', KEYS[1])"});
  if (!trivial.ok()) return Fail(trivial.status());
  if (!writing.ok()) return Fail(writing.status());
  const std::string common = absl::StrCat("-h 127.0.0.1 -p ", (*redis)->port(), " -c ", clients, " -n 100000");
  auto rb_trivial = RunRedisBenchmark(common, absl::StrCat("EVALSHA ", trivial->str, " 0"));
  if (!rb_trivial.ok()) return Fail(rb_trivial.status());
  auto rb_writing = RunRedisBenchmark(common, absl::StrCat("EVALSHA ", writing->str, " 1 {funds:0}:bench-counter"));
  if (!rb_writing.ok()) return Fail(rb_writing.status());

  std::string version = "?";
  if (auto info = pool.Command({"INFO", "server"}); info.ok()) {
    for (absl::string_view line : absl::StrSplit(info->str, '\n')) {
      if (absl::ConsumePrefix(&line, "redis_version:")) version = std::string(absl::StripAsciiWhitespace(line));
    }
  }
  std::cout << absl::StrFormat(
      "funds ledger, %d clients, %d accounts, redis-server %s appendfsync always, %d s:\n"
      "  ledger CreateTransfer:             %9.0f transfers/s  p50 %.3f ms  p99 %.3f ms  (%d transfers, %d errors)\n"
      "  redis-benchmark EVALSHA 'return 1': %9.0f calls/s      p50 %.3f ms  p99 %.3f ms\n"
      "  redis-benchmark EVALSHA INCR:       %9.0f calls/s      p50 %.3f ms  p99 %.3f ms  (writes: pays the fsync)\n"
      "  ratio ledger / trivial EVALSHA:    %.3f\n"
      "  ratio ledger / writing EVALSHA:    %.3f\n",
      clients, kAccounts, version, seconds, ledger_tps, Percentile(all, 0.50), Percentile(all, 0.99),
      static_cast<int>(all.size()), static_cast<int>(errors.load()), rb_trivial->rps, rb_trivial->p50_ms,
      rb_trivial->p99_ms, rb_writing->rps, rb_writing->p50_ms, rb_writing->p99_ms, ledger_tps / rb_trivial->rps,
      ledger_tps / rb_writing->rps);
  return errors.load() == 0 ? 0 : 1;
}
