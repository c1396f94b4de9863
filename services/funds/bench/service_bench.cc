// Transfers through the funds service: 50 concurrent gRPC clients (one
// connection each) calling CreateTransfer on tane::funds_service hosted in
// this process (ServiceHost, ServiceKit with its outbox relay publishing to
// librdkafka's mock cluster), over a real redis-server (AOF, appendfsync
// always). Then, in the same run and on the same server, redis-benchmark
// with the same concurrency running a trivial EVALSHA and a writing one
// (which pays the same fsync as a transfer). Prints transfers/s, p50 and p99
// and the ratios.
//
//   funds_service_bench [seconds=10] [clients=50]
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "random_moves.h"
#include "support/harness.h"
#include "tane/runtime/service_host.h"
#include "tane/service_testing/harness.h"

namespace {

namespace fb = tane::funds::bench;
namespace v1 = tane::funds::v1;
using tane::funds::testing::FundsClient;

int Fail(const absl::Status& s) {
  std::cerr << "funds_service_bench: " << s << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  tane::runtime::BlockShutdownSignals();
  const int seconds = argc > 1 ? std::atoi(argv[1]) : 10;
  const int clients = argc > 2 ? std::atoi(argv[2]) : 50;
  constexpr int kAccounts = 100;
  const std::string program = "bench";

  auto infra = tane::service_testing::TestInfrastructure::Start(
      {.topics = tane::service_testing::TopicsOf(tane::funds::kServiceName, {"tane.projects.events"}),
       .kafka_brokers = 1,
       .partitions = 6});
  if (!infra.ok()) return Fail(infra.status());
  auto service = tane::funds::testing::InProcessFunds::Start((*infra)->OptionsFor(tane::funds::kServiceName));
  if (!service.ok()) return Fail(service.status());

  // 100 accounts, each funded far beyond what the run can move.
  FundsClient setup((*service)->address());
  std::vector<std::string> accounts;
  for (int i = 0; i < kAccounts; ++i) {
    v1::OpenAccountRequest open;
    open.set_program_id(program);
    open.set_kind(v1::ACCOUNT_KIND_PROJECT_ALLOCATION);
    open.set_project_id(absl::StrCat("p", i));
    open.set_fiscal_year(2024);
    open.set_category("equipment");
    auto account = setup.Call(&v1::FundsService::Stub::OpenAccount, open);
    if (!account.ok()) return Fail(account.status());
    accounts.push_back(account->account_id());
  }
  v1::OpenAccountRequest source;
  source.set_program_id(program);
  source.set_kind(v1::ACCOUNT_KIND_EXTERNAL_SOURCE);
  source.set_source("mext");
  if (auto s = setup.Call(&v1::FundsService::Stub::OpenAccount, source); !s.ok()) return Fail(s.status());
  for (int i = 0; i < kAccounts; ++i) {
    v1::CreateTransferRequest t;
    t.set_program_id(program);
    t.set_transfer_id(absl::StrCat("setup-", i));
    t.set_debit_account_id("external.mext");
    t.set_credit_account_id(accounts[i]);
    t.set_amount_yen(1'000'000'000'000);
    t.set_code("budget_load");
    if (auto s = setup.Call(&v1::FundsService::Stub::CreateTransfer, t); !s.ok()) return Fail(s.status());
  }

  std::vector<std::unique_ptr<FundsClient>> stubs;  // one connection each
  for (int c = 0; c < clients; ++c) {
    stubs.push_back(std::make_unique<FundsClient>((*service)->address(), c + 1));
    // Connected before the clock starts: a connection still being set up
    // would fail its calls fast (UNAVAILABLE) and count them as errors.
    if (!stubs.back()->Connect(absl::Seconds(10))) {
      return Fail(absl::UnavailableError(absl::StrCat("client ", c, " could not connect to ", (*service)->address())));
    }
  }
  const fb::ClosedLoop run =
      fb::RunClosedLoop(clients, absl::Seconds(seconds), kAccounts, [&](int client, const fb::RandomMove& move) {
        v1::CreateTransferRequest t;
        t.set_program_id(program);
        t.set_transfer_id(move.id);
        t.set_debit_account_id(accounts[move.from]);
        t.set_credit_account_id(accounts[move.to]);
        t.set_amount_yen(move.amount);
        t.set_code("allocation");
        return stubs[client]->Call(&v1::FundsService::Stub::CreateTransfer, t).status();
      });

  // The same server, redis-benchmark with the same concurrency.
  tane::store::RedisOptions options;
  options.port = (*infra)->redis().port();
  tane::store::RedisPool pool(options);
  const int requests = 100000;
  auto trivial = fb::BenchmarkEvalsha(pool, (*infra)->redis().port(), clients, requests, "return 1");
  if (!trivial.ok()) return Fail(trivial.status());
  auto writing = fb::BenchmarkEvalsha(pool, (*infra)->redis().port(), clients, requests,
                                      "return redis.call('INCR', KEYS[1])", "1 {funds:0}:bench-counter");
  if (!writing.ok()) return Fail(writing.status());

  std::cout << absl::StrFormat(
      "funds service (gRPC CreateTransfer), %d clients, %d accounts, redis-server %s appendfsync always, %d s:\n"
      "  tane-funds CreateTransfer:           %9.0f transfers/s  p50 %.3f ms  p99 %.3f ms  (%d transfers, %d errors)\n"
      "  redis-benchmark EVALSHA 'return 1':  %9.0f calls/s      p50 %.3f ms  p99 %.3f ms\n"
      "  redis-benchmark EVALSHA INCR:        %9.0f calls/s      p50 %.3f ms  p99 %.3f ms  (writes: pays the fsync)\n"
      "  ratio service / trivial EVALSHA:     %.3f\n"
      "  ratio service / writing EVALSHA:     %.3f\n",
      clients, kAccounts, fb::RedisVersion(pool), seconds, run.per_second, fb::Percentile(run.latencies_ms, 0.50),
      fb::Percentile(run.latencies_ms, 0.99), static_cast<int>(run.latencies_ms.size()), static_cast<int>(run.errors),
      trivial->rps, trivial->p50_ms, trivial->p99_ms, writing->rps, writing->p50_ms, writing->p99_ms,
      run.per_second / trivial->rps, run.per_second / writing->rps);
  return run.errors == 0 ? 0 : 1;
}
