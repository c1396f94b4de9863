// SubmitApplication at 50 concurrent clients, three ways in one run against
// the platform as `make run` starts it (redis-server with AOF appendfsync
// always, tane-devbroker, tane-calls and tane-gateway as child processes):
//
//   HTTP    50 keep-alive HTTP/1.1 connections through the gateway (the
//           gateway's closed-loop load generator), each applicant's token;
//   gRPC    50 clients, a channel each, straight to tane-calls with the
//           identity metadata the gateway would send;
//   Redis   redis-benchmark -c 50 EVALSHA of a one-INCR script on the same
//           redis-server: the ceiling of one Lua script per request.
//
// and the ratios between them. A submit is one request to calls, which does
// several Redis round trips (the stored answer, the application, the call,
// the commitments, the commit script), so gRPC/Redis says how much of bare
// script throughput the service keeps and HTTP/gRPC what the gateway costs.
//
//   build/tests/bench/platform_submit_bench      (also run by make bench)
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <iostream>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tane/bench/bench.h"
#include "tane/calls/v1/calls.grpc.pb.h"
#include "tane/e2e/api.h"
#include "tane/e2e/platform.h"
#include "tane/e2e/steps.h"
#include "tane/gateway/load_generator.h"
#include "tane/runtime/identity.h"

namespace {

namespace e2e = tane::e2e;

constexpr int kClients = 50;
// Redis connections of tane-calls: as many as redis-benchmark opens.
constexpr int kRedisPool = kClients;
constexpr int kSubmitsEachWay = kClients * 40;
constexpr int kRedisBenchmarkRequests = 100000;

int Fail(const absl::Status& s) {
  std::cerr << "platform_submit_bench: " << s << "\n";
  return 1;
}

// e-Rad-shaped researcher number n (8 digits).
std::string ResearcherId(int n) { return absl::StrFormat("%08d", 10000000 + n); }

}  // namespace

int main() {
  e2e::PlatformOptions options;
  options.services = {"calls"};
  options.service_env = {{"TANE_REDIS_POOL_SIZE", std::to_string(kRedisPool)}};
  auto platform = e2e::Platform::Start(options);
  if (!platform.ok()) return Fail(platform.status());
  e2e::Platform& p = **platform;

  // A published CREST call (not timed).
  e2e::Api api(p.gateway_port());
  auto op = p.As("operator", "bench-operator");
  auto po = p.As("program_officer", "bench-supervisor");
  if (!op.ok() || !po.ok()) return Fail(op.ok() ? po.status() : op.status());
  auto area = e2e::CreateGoalAndArea(api, *op, "bench", "crest", *po);
  if (!area.ok()) return Fail(area.status());
  tane::calls::v1::Call spec;
  spec.set_program_id("crest");
  spec.set_research_area_id(area->area_id());
  spec.set_title_ja("ベンチマーク用 CREST 公募");
  auto call = e2e::OpenCall(api, *op, "bench", spec);
  if (!call.ok()) return Fail(call.status());

  // One draft per submit, each by its own applicant with researchers of its
  // own (so the effort rule passes for all), drafted over HTTP in parallel.
  const int total = 2 * kSubmitsEachWay;
  const int fy = e2e::CurrentFiscalYear();
  std::vector<e2e::Caller> applicants;
  for (int i = 0; i < total; ++i) {
    auto applicant = p.As("applicant", absl::StrCat("bench-applicant-", i));
    if (!applicant.ok()) return Fail(applicant.status());
    applicants.push_back(*std::move(applicant));
  }
  std::vector<std::string> drafts(total);
  std::vector<std::unique_ptr<e2e::Api>> apis;
  for (int c = 0; c < kClients; ++c) apis.push_back(std::make_unique<e2e::Api>(p.gateway_port()));
  const auto drafted =
      tane::bench::RunClosedLoop(kClients, total, absl::InfiniteDuration(), [&](int c, int64_t i) -> absl::Status {
        auto draft =
            e2e::Draft(*apis[c], applicants[i], call->call_id(),
                       e2e::CrestApplication(
                           absl::StrCat("ベンチマーク提案 ", i),
                           e2e::Researcher(ResearcherId(2 * i), "研究 太郎", "https://ror.org/057zh3y96"),
                           e2e::Researcher(ResearcherId(2 * i + 1), "研究 次郎", "https://ror.org/02kpeqv85"), fy));
        if (!draft.ok()) return draft.status();
        drafts[i] = draft->application_id();
        return absl::OkStatus();
      });
  if (drafted.errors > 0) return Fail(absl::InternalError(absl::StrCat(drafted.errors, " drafts failed")));

  // gRPC direct: the second half of the drafts, a connection per client.
  std::vector<std::unique_ptr<tane::calls::v1::CallsService::Stub>> stubs;
  for (int c = 0; c < kClients; ++c) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    stubs.push_back(tane::calls::v1::CallsService::NewStub(grpc::CreateCustomChannel(
        absl::StrCat("127.0.0.1:", p.grpc_port("calls")), grpc::InsecureChannelCredentials(), args)));
  }
  const auto grpc_run = tane::bench::RunClosedLoop(
      kClients, kSubmitsEachWay, absl::InfiniteDuration(), [&](int c, int64_t i) -> absl::Status {
        const int64_t n = kSubmitsEachWay + i;
        grpc::ClientContext context;
        tane::runtime::AttachIdentity(context, {applicants[n].subject, "applicant", ""}, "");
        tane::calls::v1::SubmitApplicationRequest request;
        request.set_application_id(drafts[n]);
        request.set_idempotency_key(absl::StrCat("grpc-submit-", n));
        tane::calls::v1::Application submitted;
        const grpc::Status status = stubs[c]->SubmitApplication(&context, request, &submitted);
        if (!status.ok()) return absl::InternalError(absl::StrCat("SubmitApplication: ", status.error_message()));
        return absl::OkStatus();
      });
  if (grpc_run.errors > 0) return Fail(absl::InternalError(absl::StrCat(grpc_run.errors, " gRPC submits failed")));

  // HTTP through the gateway: the first half.
  tane::gateway::LoadOptions load;
  load.port = p.gateway_port();
  load.connections = kClients;
  load.requests = kSubmitsEachWay;
  load.make_request = [&](uint64_t i) {
    tane::gateway::LoadRequest r;
    r.method = "POST";
    r.target = absl::StrCat("/v1/applications/", drafts[i], ":submit");
    r.body = absl::StrCat(R"({"idempotencyKey":"http-submit-)", i, R"("})");
    r.headers = {{"Authorization", "Bearer " + applicants[i].token}};
    return r;
  };
  auto http_run = tane::gateway::RunLoad(load);
  if (!http_run.ok()) return Fail(http_run.status());
  if (http_run->errors > 0) {
    std::string statuses;
    for (const auto& [status, n] : http_run->statuses) absl::StrAppend(&statuses, " ", status, "×", n);
    return Fail(absl::InternalError(absl::StrCat(http_run->errors, " HTTP submits failed:", statuses)));
  }

  // Bare Redis: the same server.
  tane::store::RedisOptions redis_options;
  redis_options.port = p.redis_port();
  tane::store::RedisPool pool(redis_options);
  auto redis = tane::bench::BenchmarkEvalsha(pool, p.redis_port(), kClients, kRedisBenchmarkRequests,
                                             "return redis.call('INCR', 'bench:counter')");
  if (!redis.ok()) return Fail(redis.status());

  const double http_p50 = absl::ToDoubleMilliseconds(http_run->p50);
  const double http_p99 = absl::ToDoubleMilliseconds(http_run->p99);
  const double grpc_p50 = tane::bench::Percentile(grpc_run.latencies_ms, 0.50);
  const double grpc_p99 = tane::bench::Percentile(grpc_run.latencies_ms, 0.99);
  std::cout << absl::StrFormat(
      "SubmitApplication, %d concurrent clients, %d submits each way; tane-calls with %d Redis connections; "
      "Redis %s, AOF appendfsync always\n",
      kClients, kSubmitsEachWay, kRedisPool, tane::bench::RedisVersion(pool));
  std::cout << absl::StrFormat("  HTTP/1.1 keep-alive via the gateway  %8.0f submits/s  p50 %6.2f ms  p99 %6.2f ms\n",
                               http_run->requests_per_second, http_p50, http_p99);
  std::cout << absl::StrFormat("  gRPC direct to tane-calls            %8.0f submits/s  p50 %6.2f ms  p99 %6.2f ms\n",
                               grpc_run.per_second, grpc_p50, grpc_p99);
  std::cout << absl::StrFormat("  redis-benchmark EVALSHA (one INCR)   %8.0f calls/s    p50 %6.2f ms  p99 %6.2f ms\n",
                               redis->rps, redis->p50_ms, redis->p99_ms);
  std::cout << absl::StrFormat(
      "  ratios: throughput HTTP/gRPC %.3f, HTTP/Redis %.3f, gRPC/Redis %.3f; p50 HTTP/gRPC %.2f, p99 HTTP/gRPC %.2f\n",
      http_run->requests_per_second / grpc_run.per_second, http_run->requests_per_second / redis->rps,
      grpc_run.per_second / redis->rps, http_p50 / grpc_p50, http_p99 / grpc_p99);
  return 0;
}
