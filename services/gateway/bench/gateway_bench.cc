// Gateway benchmarks: the pure steps of one request (route match,
// transcoding, JWT verification), and throughput with latency percentiles
// of real HTTP/1.1 keep-alive traffic from 50 concurrent clients through the
// Gateway to the test service on a real gRPC server, beside the same calls
// made on gRPC directly (the ratio is the gateway's cost).
//
//   build/services/gateway/gateway_bench [--benchmark_filter=Http]
#include <benchmark/benchmark.h>
#include <grpcpp/create_channel.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <mutex>

#include "../tests/thing_service.h"
#include "tane/auth/jwt.h"
#include "tane/gateway/gateway.h"
#include "tane/gateway/load_generator.h"
#include "tane/gateway/route_table.h"
#include "tane/gateway/transcoder.h"
#include "tane/gwtest/v1/gwtest.grpc.pb.h"
#include "tane/telemetry/log.h"

namespace tane::gateway {
namespace {

constexpr char kSecret[] = "benchmark-secret-0123456789abcdef";
constexpr int kClients = 50;
constexpr uint64_t kRequests = 20000;
constexpr char kSubmitBody[] = R"({"version":"3","idempotencyKey":"bench-key"})";

const google::protobuf::ServiceDescriptor* ThingService() {
  return gwtest::v1::Thing::descriptor()->file()->FindServiceByName("ThingService");
}

std::string Token() {
  auth::TokenClaims claims;
  claims.subject = "bench-applicant";
  claims.role = "applicant";
  claims.issuer = "tane-dev";
  claims.audience = "tane";
  claims.issued_at = absl::Now();
  return *auth::MintHs256(claims, kSecret);
}

void BM_RouteFind(benchmark::State& state) {
  auto table = RouteTable::Build(LinkedServices());
  const RequestPath path = *SplitRequestPath("/v1/applications/0b6f7a5e-1c2d-4e3f-8a9b-0c1d2e3f4a5b:submit");
  for (auto _ : state) benchmark::DoNotOptimize(table->Find("POST", path));
  state.counters["routes"] = static_cast<double>(table->routes().size());
}
BENCHMARK(BM_RouteFind);

void BM_BuildRequest(benchmark::State& state) {
  auto table = RouteTable::Build({ThingService()});
  auto match = table->Find("POST", *SplitRequestPath("/v1/things/t-1:submit"));
  gwtest::v1::SubmitThingRequest request;
  for (auto _ : state)
    benchmark::DoNotOptimize(BuildRequest(*match.route, match.raw_values, "", kSubmitBody, &request));
}
BENCHMARK(BM_BuildRequest);

void BM_RenderResponse(benchmark::State& state) {
  auto table = RouteTable::Build({ThingService()});
  auto match = table->Find("GET", *SplitRequestPath("/v1/things/t-1"));
  gwtest::v1::Thing thing;
  thing.set_thing_id("t-1");
  thing.set_title("種の研究");
  thing.set_price_yen(150000000);
  thing.add_tags("seed");
  for (auto _ : state) benchmark::DoNotOptimize(RenderResponse(*match.route, thing));
}
BENCHMARK(BM_RenderResponse);

void BM_JwtVerifyHs256(benchmark::State& state) {
  auth::JwtVerifierOptions options;
  options.hs256_secret = kSecret;
  options.issuer = "tane-dev";
  options.audience = "tane";
  auto verifier = auth::JwtVerifier::Create(options);
  const std::string token = Token();
  for (auto _ : state) benchmark::DoNotOptimize(verifier->Verify(token, absl::Now()));
}
BENCHMARK(BM_JwtVerifyHs256);

// The test service and a gateway in front of it, shared by the load benchmarks.
struct Stack {
  std::unique_ptr<testing::ThingServer> server;
  telemetry::Metrics metrics;
  std::unique_ptr<Gateway> gateway;

  static Stack& Get() {
    static Stack* stack = [] {
      // Access log lines are formatted (their cost is measured) but not written.
      telemetry::SetLogSink([](std::string_view) {});
      auto* s = new Stack();
      s->server = *testing::ThingServer::Start("");
      GatewayOptions options;
      options.http_addr = "127.0.0.1:0";
      options.upstreams = {{"gwtest", s->server->address()}};
      options.jwt.hs256_secret = kSecret;
      options.jwt.issuer = "tane-dev";
      options.jwt.audience = "tane";
      options.rate_limit.rate_per_second = 0;
      options.services = {ThingService()};
      s->gateway = *Gateway::Create(std::move(options), &s->metrics);
      (void)s->gateway->Start();
      return s;
    }();
    return *stack;
  }
};

double Micros(absl::Duration d) { return absl::ToDoubleMicroseconds(d); }

struct Figures {
  double rps = 0;
  double p50_us = 0;
  double p99_us = 0;
};

// 50 clients each calling SubmitThing back to back on one shared channel,
// through gRPC's callback API: the gRPC-direct baseline.
Figures GrpcDirect() {
  Stack& stack = Stack::Get();
  auto channel = grpc::CreateChannel(stack.server->address(), grpc::InsecureChannelCredentials());
  auto stub = gwtest::v1::ThingService::NewStub(channel);
  std::atomic<uint64_t> next{0};
  std::mutex mu;
  std::vector<int64_t> latencies;
  std::promise<void> done;
  std::atomic<int> running{kClients};

  struct Client {
    grpc::ClientContext context;
    gwtest::v1::SubmitThingRequest request;
    gwtest::v1::Thing response;
    std::chrono::steady_clock::time_point start;
  };
  auto start_call = [&](auto&& self) -> void {
    if (next++ >= kRequests) {
      if (--running == 0) done.set_value();
      return;
    }
    auto client = std::make_shared<Client>();
    client->request.set_thing_id("t-1");
    client->request.set_version(3);
    client->request.set_idempotency_key("bench-key");
    client->start = std::chrono::steady_clock::now();
    stub->async()->SubmitThing(&client->context, &client->request, &client->response, [&, client, self](grpc::Status) {
      const auto ns =
          std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - client->start)
              .count();
      {
        std::lock_guard lock(mu);
        latencies.push_back(ns);
      }
      self(self);
    });
  };
  const auto t0 = std::chrono::steady_clock::now();
  for (int c = 0; c < kClients; ++c) start_call(start_call);
  done.get_future().wait();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::sort(latencies.begin(), latencies.end());
  return {static_cast<double>(latencies.size()) / seconds, latencies[latencies.size() / 2] / 1e3,
          latencies[latencies.size() * 99 / 100] / 1e3};
}

// 50 keep-alive connections sending kRequests requests through the gateway.
LoadResult RunHttpLoad(benchmark::State& state, std::function<LoadRequest(uint64_t)> make_request) {
  LoadOptions options;
  options.port = Stack::Get().gateway->port();
  options.connections = kClients;
  options.requests = kRequests;
  options.make_request = std::move(make_request);
  LoadResult result;
  for (auto _ : state) result = *RunLoad(options);
  state.counters["clients"] = kClients;
  state.counters["requests"] = static_cast<double>(result.requests);
  state.counters["errors"] = static_cast<double>(result.errors);
  state.counters["rps"] = result.requests_per_second;
  state.counters["p50_us"] = Micros(result.p50);
  state.counters["p99_us"] = Micros(result.p99);
  return result;
}

void BM_GrpcDirectSubmit(benchmark::State& state) {
  Figures figures;
  for (auto _ : state) figures = GrpcDirect();
  state.counters["clients"] = kClients;
  state.counters["rps"] = figures.rps;
  state.counters["p50_us"] = figures.p50_us;
  state.counters["p99_us"] = figures.p99_us;
}
BENCHMARK(BM_GrpcDirectSubmit)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_HttpSubmitThroughGateway(benchmark::State& state) {
  const std::string bearer = "Bearer " + Token();
  LoadResult result = RunHttpLoad(state, [&](uint64_t) {
    return LoadRequest{"POST", "/v1/things/t-1:submit", kSubmitBody, {{"Authorization", bearer}}};
  });
  static const Figures direct = GrpcDirect();
  state.counters["vs_grpc_direct"] = result.requests_per_second / direct.rps;
}
BENCHMARK(BM_HttpSubmitThroughGateway)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_HttpGetAnonymousThroughGateway(benchmark::State& state) {
  RunHttpLoad(state, [](uint64_t i) { return LoadRequest{"GET", "/v1/things/t-" + std::to_string(i % 100), "", {}}; });
}
BENCHMARK(BM_HttpGetAnonymousThroughGateway)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

// The HTTP path alone: no transcoding, no upstream call.
void BM_HttpHealthz(benchmark::State& state) {
  RunHttpLoad(state, [](uint64_t) { return LoadRequest{"GET", "/healthz", "", {}}; });
}
BENCHMARK(BM_HttpHealthz)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace tane::gateway

BENCHMARK_MAIN();
