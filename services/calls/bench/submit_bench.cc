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

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "calls_env.h"
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

struct RedisBenchmark {
  double rps = 0;
  double p50_ms = 0;
  double p99_ms = 0;
};

// Runs redis-benchmark --csv and reads its one result line:
// "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
absl::StatusOr<RedisBenchmark> RunRedisBenchmark(int port, const std::string& sha) {
  const std::string command = absl::StrFormat("redis-benchmark -h 127.0.0.1 -p %d -c %d -n %d --csv EVALSHA %s 0 2>&1",
                                              port, kClients, kRedisBenchmarkRequests, sha);
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return absl::InternalError("cannot run redis-benchmark (apt-get install redis-tools)");
  std::string output;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  const int rc = pclose(pipe);
  if (rc != 0) return absl::InternalError(absl::StrCat("redis-benchmark failed: ", output));
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (!absl::StartsWith(line, "\"EVALSHA")) continue;
    std::vector<std::string> fields;
    for (absl::string_view f : absl::StrSplit(line, ',')) {
      fields.emplace_back(absl::StripSuffix(absl::StripPrefix(f, "\""), "\""));
    }
    RedisBenchmark out;
    if (fields.size() == 8 && absl::SimpleAtod(fields[1], &out.rps) && absl::SimpleAtod(fields[4], &out.p50_ms) &&
        absl::SimpleAtod(fields[6], &out.p99_ms)) {
      return out;
    }
  }
  return absl::InternalError(absl::StrCat("no EVALSHA result in redis-benchmark's output: ", output));
}

double Percentile(std::vector<absl::Duration>& sorted, double p) {
  const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(p * static_cast<double>(sorted.size())));
  return absl::ToDoubleMilliseconds(sorted[i]);
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
  std::atomic<int> failures{0};
  {
    std::vector<std::thread> threads;
    for (int c = 0; c < kClients; ++c) {
      threads.emplace_back([&, c] {
        for (int i = c; i < total; i += kClients) {
          auto draft = tane::calls::testing::Draft(
              stub, Applicant(absl::StrCat("bench-", i)), call->call_id(),
              tane::calls::testing::CrestApplicationOf(tane::calls::testing::Researcher(10000000 + i),
                                                       tane::calls::testing::Researcher(50000000 + i)));
          if (draft.ok()) {
            drafts[i] = draft->application_id();
          } else if (failures.fetch_add(1) == 0) {
            std::cerr << "draft failed: " << draft.status() << "\n";
          }
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  if (failures.load() > 0) return Fail(absl::InternalError("drafts failed"));

  // 50 clients, each its own channel (its own HTTP/2 connection), submitting
  // one after another.
  std::vector<std::vector<absl::Duration>> latencies(kClients);
  const absl::Time start = absl::Now();
  {
    std::vector<std::thread> threads;
    for (int c = 0; c < kClients; ++c) {
      threads.emplace_back([&, c] {
        grpc::ChannelArguments args;
        args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
        auto channel = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", (*replica)->port()),
                                                 grpc::InsecureChannelCredentials(), args);
        auto client = tane::calls::v1::CallsService::NewStub(channel);
        for (int i = c; i < total; i += kClients) {
          const absl::Time t0 = absl::Now();
          auto submitted = tane::calls::testing::Submit(*client, Applicant(absl::StrCat("bench-", i)), drafts[i],
                                                        absl::StrCat("submit-", i));
          latencies[c].push_back(absl::Now() - t0);
          if (!submitted.ok() && failures.fetch_add(1) == 0) {
            std::cerr << "submit failed: " << submitted.status() << "\n";
          }
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  const absl::Duration took = absl::Now() - start;
  if (failures.load() > 0) return Fail(absl::InternalError(absl::StrCat(failures.load(), " submits failed")));
  std::vector<absl::Duration> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  const double submits_per_second = total / absl::ToDoubleSeconds(took);

  // redis-benchmark against a Redis fixture with the same settings.
  auto redis = tane::testing::RedisServer::Start();
  if (!redis.ok()) return Fail(redis.status());
  tane::store::RedisOptions options;
  options.port = (*redis)->port();
  tane::store::RedisPool pool(options);
  auto sha = pool.Command({"SCRIPT", "LOAD", "return redis.call('INCR', 'bench:counter')"});
  if (!sha.ok()) return Fail(sha.status());
  auto bare = RunRedisBenchmark((*redis)->port(), sha->str);
  if (!bare.ok()) return Fail(bare.status());

  std::cout << absl::StrFormat(
      "SubmitApplication over gRPC, %d clients, 1 replica (%d Redis connections), Redis AOF appendfsync always, "
      "%d submits: %.0f submits/s, p50 %.2f ms, p99 %.2f ms\n",
      kClients, kRedisPool, total, submits_per_second, Percentile(all, 0.50), Percentile(all, 0.99));
  std::cout << absl::StrFormat(
      "redis-benchmark -c %d -n %d EVALSHA (INCR script) 0, same Redis settings: "
      "%.0f requests/s, p50 %.2f ms, p99 %.2f ms\n",
      kClients, kRedisBenchmarkRequests, bare->rps, bare->p50_ms, bare->p99_ms);
  std::cout << absl::StrFormat("ratio: submits/s / EVALSHA/s = %.3f\n", submits_per_second / bare->rps);
  return 0;
}
