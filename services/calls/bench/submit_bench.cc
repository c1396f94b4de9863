// SubmitApplication throughput and latency over gRPC at 50 concurrent
// clients, beside redis-benchmark's EVALSHA throughput at the same
// concurrency against a Redis with the same settings, measured in the same
// run. A submit is one gRPC call that does several Redis round trips (stored
// result, application, call, commitments, the commit script), so the ratio
// says how much of bare Redis script throughput the whole path keeps.
//
// Real redis-server (AOF, appendfsync always), librdkafka's mock cluster
// (the relay publishes the events meanwhile), one calls replica.
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <iostream>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "calls_env.h"
#include "tane/bench/bench.h"
#include "tane/store/redis.h"
#include "test_data.h"

namespace {

using tane::calls::testing::Applicant;
using tane::calls::testing::CallsEnv;
using tane::calls::testing::Jst;

constexpr int kClients = 50;
// Redis connections of the replica: as many as redis-benchmark opens.
constexpr int kRedisPool = kClients;
constexpr int kSubmitsPerClient = 40;
constexpr int kRedisBenchmarkRequests = 100000;

int Fail(const absl::Status& s) {
  std::cerr << "calls_submit_bench: " << s << "\n";
  return 1;
}

}  // namespace

int main() {
  tane::runtime::BlockShutdownSignals();
  auto env = CallsEnv::Start(Jst(2017, 5, 1, 9));
  if (!env.ok()) return Fail(env.status());
  auto replica = (*env)->AddReplica({.run_scheduler = true, .redis_pool_size = kRedisPool});
  if (!replica.ok()) return Fail(replica.status());
  auto& stub = (*replica)->stub();
  auto call = tane::calls::testing::OpenCrestCall(stub, Jst(2017, 4, 12), Jst(2017, 6, 7), "bench");
  if (!call.ok()) return Fail(call.status());

  // Drafts first (not timed): one applicant and two researchers each, so the
  // effort rule passes for all of them.
  const int total = kClients * kSubmitsPerClient;
  std::vector<std::string> drafts(total);
  const auto drafted =
      tane::bench::RunClosedLoop(kClients, total, absl::InfiniteDuration(), [&](int, int64_t i) -> absl::Status {
        auto draft = tane::calls::testing::Draft(
            stub, Applicant(absl::StrCat("bench-", i)), call->call_id(),
            tane::calls::testing::CrestApplicationOf(tane::calls::testing::Researcher(10000000 + i),
                                                     tane::calls::testing::Researcher(50000000 + i)));
        if (!draft.ok()) return draft.status();
        drafts[i] = draft->application_id();
        return absl::OkStatus();
      });
  if (drafted.errors > 0) return Fail(absl::InternalError("drafts failed"));

  // 50 clients, each its own channel (its own HTTP/2 connection), submitting
  // one after another.
  std::vector<std::unique_ptr<tane::calls::v1::CallsService::Stub>> clients;
  for (int c = 0; c < kClients; ++c) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    clients.push_back(tane::calls::v1::CallsService::NewStub(grpc::CreateCustomChannel(
        absl::StrCat("127.0.0.1:", (*replica)->port()), grpc::InsecureChannelCredentials(), args)));
  }
  const auto run =
      tane::bench::RunClosedLoop(kClients, total, absl::InfiniteDuration(), [&](int c, int64_t i) -> absl::Status {
        return tane::calls::testing::Submit(*clients[c], Applicant(absl::StrCat("bench-", i)), drafts[i],
                                            absl::StrCat("submit-", i))
            .status();
      });
  if (run.errors > 0) return Fail(absl::InternalError(absl::StrCat(run.errors, " submits failed")));

  // redis-benchmark against a Redis fixture with the same settings.
  auto redis = tane::testing::RedisServer::Start();
  if (!redis.ok()) return Fail(redis.status());
  tane::store::RedisOptions options;
  options.port = (*redis)->port();
  tane::store::RedisPool pool(options);
  auto bare = tane::bench::BenchmarkEvalsha(pool, (*redis)->port(), kClients, kRedisBenchmarkRequests,
                                            "return redis.call('INCR', 'bench:counter')");
  if (!bare.ok()) return Fail(bare.status());

  std::cout << absl::StrFormat(
      "SubmitApplication over gRPC, %d clients, 1 replica (%d Redis connections), Redis AOF appendfsync always, "
      "%d submits: %.0f submits/s, p50 %.2f ms, p99 %.2f ms\n",
      kClients, kRedisPool, total, run.per_second, tane::bench::Percentile(run.latencies_ms, 0.50),
      tane::bench::Percentile(run.latencies_ms, 0.99));
  std::cout << absl::StrFormat(
      "redis-benchmark -c %d -n %d EVALSHA (INCR script) 0, same Redis settings: "
      "%.0f requests/s, p50 %.2f ms, p99 %.2f ms\n",
      kClients, kRedisBenchmarkRequests, bare->rps, bare->p50_ms, bare->p99_ms);
  std::cout << absl::StrFormat("ratio: submits/s / EVALSHA/s = %.3f\n", run.per_second / bare->rps);
  return 0;
}
