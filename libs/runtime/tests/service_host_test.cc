#include "tane/runtime/service_host.h"

#include <gmock/gmock.h>
#include <google/protobuf/unknown_field_set.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "tane/core/errors.h"
#include "tane/runtime/status.h"
#include "tane/runtime/testing/echo.grpc.pb.h"
#include "tane/telemetry/log.h"
#include "tane/telemetry/trace.h"

namespace tane::runtime {
namespace {

// Before main(), so no thread of this process can ever take SIGTERM itself.
const bool kSignalsBlocked = [] {
  BlockShutdownSignals();
  return true;
}();

using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;

constexpr char kEchoService[] = "tane.runtime.testing.Echo";

std::chrono::system_clock::time_point In(std::chrono::seconds s) { return std::chrono::system_clock::now() + s; }

class EchoService final : public runtime::testing::Echo::Service {
 public:
  const ServiceHost* host = nullptr;
  std::promise<void> slow_entered;
  std::shared_future<void> slow_release;
  std::atomic<bool> slow_finished{false};

  grpc::Status Echo(grpc::ServerContext* context, const runtime::testing::EchoRequest* request,
                    runtime::testing::EchoReply* reply) override {
    auto identity = host->Identity(*context);
    if (!identity.ok()) return ToGrpcStatus(identity.status());
    core::Violations violations;
    if (request->text().empty()) violations.Add("text", "must not be empty");
    if (!violations.empty()) return ToGrpcStatus(violations.ToStatus());
    reply->set_text(request->text());
    reply->set_subject(identity->subject);
    reply->set_trace_id(telemetry::TraceIdFrom(*context));
    return grpc::Status::OK;
  }

  grpc::Status Slow(grpc::ServerContext*, const runtime::testing::EchoRequest* request,
                    runtime::testing::EchoReply* reply) override {
    slow_entered.set_value();
    slow_release.wait();
    reply->set_text(request->text());
    slow_finished = true;
    return grpc::Status::OK;
  }
};

ServiceConfig TestConfig() {
  ServiceConfig config = ServiceConfig::Defaults("echo", 0, 0);
  config.metrics_addr = "127.0.0.1:0";
  return config;
}

ServiceHostOptions FastOptions() {
  ServiceHostOptions options;
  options.readiness_interval = absl::Milliseconds(20);
  return options;
}

std::shared_ptr<grpc::Channel> ChannelTo(const ServiceHost& host) {
  return grpc::CreateChannel("127.0.0.1:" + std::to_string(host.grpc_port()), grpc::InsecureChannelCredentials());
}

HealthCheckResponse::ServingStatus Check(grpc::health::v1::Health::Stub& stub, const std::string& service) {
  grpc::ClientContext context;
  context.set_deadline(In(std::chrono::seconds(10)));
  HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  grpc::Status status = stub.Check(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.status();
}

// Waits on the server's own notifications (health Watch) until `service`
// reports `wanted`. False on timeout.
bool WatchUntil(grpc::health::v1::Health::Stub& stub, const std::string& service,
                HealthCheckResponse::ServingStatus wanted) {
  grpc::ClientContext context;
  context.set_deadline(In(std::chrono::seconds(20)));
  HealthCheckRequest request;
  request.set_service(service);
  auto reader = stub.Watch(&context, request);
  HealthCheckResponse response;
  while (reader->Read(&response)) {
    if (response.status() == wanted) {
      context.TryCancel();
      reader->Finish().IgnoreError();
      return true;
    }
  }
  reader->Finish().IgnoreError();
  return false;
}

// ListServices over the reflection stream, with a generic stub and the wire
// format by hand: linking a second copy of reflection.proto's generated code
// next to grpc++_reflection's would register the file twice.
std::vector<std::string> ListServicesByReflection(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(In(std::chrono::seconds(10)));
  grpc::CompletionQueue cq;
  auto call = stub.PrepareCall(&context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  auto await = [&cq](intptr_t want) {
    void* tag = nullptr;
    bool ok = false;
    return cq.Next(&tag, &ok) && reinterpret_cast<intptr_t>(tag) == want && ok;
  };
  std::vector<std::string> names;
  grpc::ByteBuffer response;
  grpc::Status status;
  call->StartCall(reinterpret_cast<void*>(1));
  if (await(1)) {
    // ServerReflectionRequest{list_services: ""}: field 7, length-delimited, empty.
    const std::string request("\x3a\x00", 2);
    grpc::Slice slice(request);
    grpc::ByteBuffer buffer(&slice, 1);
    call->Write(buffer, reinterpret_cast<void*>(2));
    if (await(2)) {
      call->WritesDone(reinterpret_cast<void*>(3));
      if (await(3)) {
        call->Read(&response, reinterpret_cast<void*>(4));
        if (await(4)) {
          call->Finish(&status, reinterpret_cast<void*>(5));
          await(5);
        }
      }
    }
  }
  cq.Shutdown();
  void* tag;
  bool ok;
  while (cq.Next(&tag, &ok)) {
  }

  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return names;
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  // ServerReflectionResponse.list_services_response = 6 -> ListServiceResponse.service = 1
  // -> ServiceResponse.name = 1.
  google::protobuf::UnknownFieldSet top;
  if (!top.ParseFromString(bytes)) return names;
  for (int i = 0; i < top.field_count(); ++i) {
    if (top.field(i).number() != 6) continue;
    google::protobuf::UnknownFieldSet list;
    if (!list.ParseFromString(top.field(i).length_delimited())) continue;
    for (int j = 0; j < list.field_count(); ++j) {
      google::protobuf::UnknownFieldSet service;
      if (list.field(j).number() != 1 || !service.ParseFromString(list.field(j).length_delimited())) continue;
      for (int k = 0; k < service.field_count(); ++k) {
        if (service.field(k).number() == 1) names.push_back(service.field(k).length_delimited());
      }
    }
  }
  return names;
}

class LogCapture {
 public:
  LogCapture() {
    telemetry::SetLogSink([this](std::string_view line) {
      std::lock_guard lock(mu_);
      lines_.emplace_back(line);
    });
  }
  ~LogCapture() { telemetry::SetLogSink(nullptr); }
  int Count(std::string_view needle) {
    std::lock_guard lock(mu_);
    int n = 0;
    for (const auto& line : lines_) n += line.find(needle) != std::string::npos;
    return n;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> lines_;
};

TEST(ServiceHost, HealthFollowsReadiness) {
  LogCapture logs;
  EchoService echo;
  ServiceHost host(TestConfig(), FastOptions());
  echo.host = &host;
  host.AddService(&echo);

  std::mutex mu;
  std::condition_variable cv;
  int passes = 0;
  std::atomic<bool> redis_up{false};
  host.AddReadinessCheck("redis", [&]() -> absl::Status {
    {
      std::lock_guard lock(mu);
      ++passes;
    }
    cv.notify_all();
    return redis_up ? absl::OkStatus() : absl::UnavailableError("connection refused");
  });
  auto wait_passes = [&](int n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(20), [&] { return passes >= n; });
  };

  ASSERT_TRUE(host.Start().ok());
  auto stub = grpc::health::v1::Health::NewStub(ChannelTo(host));

  // A second check call means the first pass finished, failing.
  ASSERT_TRUE(wait_passes(2));
  EXPECT_FALSE(host.Ready());
  EXPECT_EQ(Check(*stub, ""), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(Check(*stub, kEchoService), HealthCheckResponse::NOT_SERVING);

  redis_up = true;
  ASSERT_TRUE(WatchUntil(*stub, "", HealthCheckResponse::SERVING));
  EXPECT_TRUE(host.Ready());
  EXPECT_EQ(Check(*stub, kEchoService), HealthCheckResponse::SERVING);

  redis_up = false;
  ASSERT_TRUE(WatchUntil(*stub, kEchoService, HealthCheckResponse::NOT_SERVING));
  int seen;
  {
    std::lock_guard lock(mu);
    seen = passes;
  }
  ASSERT_TRUE(wait_passes(seen + 5));
  // Failing for many passes, logged once per transition to failing.
  EXPECT_EQ(logs.Count("readiness check failing"), 2);
  EXPECT_EQ(logs.Count("readiness check passing again"), 1);
}

TEST(ServiceHost, ShutdownDrainsInFlightCallsThenRunsHooksInReverse) {
  EchoService echo;
  std::promise<void> release;
  echo.slow_release = release.get_future().share();
  ServiceHost host(TestConfig(), FastOptions());
  echo.host = &host;
  host.AddService(&echo);

  std::mutex mu;
  std::vector<std::string> order;
  bool drained_before_hooks = true;
  for (const char* name : {"consumers", "relay", "producer"}) {
    host.AddShutdownHook(name, [&, name] {
      std::lock_guard lock(mu);
      order.push_back(name);
      drained_before_hooks = drained_before_hooks && echo.slow_finished;
    });
  }

  absl::Status run_status = absl::UnknownError("not returned");
  std::thread runner([&] { run_status = host.Run(); });
  ASSERT_TRUE(host.WaitUntilReady(absl::Seconds(20)));

  auto stub = runtime::testing::Echo::NewStub(ChannelTo(host));
  grpc::Status slow_status;
  runtime::testing::EchoReply slow_reply;
  std::thread caller([&] {
    grpc::ClientContext context;
    context.set_deadline(In(std::chrono::seconds(20)));
    runtime::testing::EchoRequest request;
    request.set_text("in flight");
    slow_status = stub->Slow(&context, request, &slow_reply);
  });
  echo.slow_entered.get_future().wait();

  // A health watch opened before shutdown sees NOT_SERVING while the call is
  // still in flight (a new call could not: the server refuses them by then).
  auto health = grpc::health::v1::Health::NewStub(ChannelTo(host));
  grpc::ClientContext watch_context;
  watch_context.set_deadline(In(std::chrono::seconds(20)));
  auto watch = health->Watch(&watch_context, HealthCheckRequest());
  HealthCheckResponse health_response;
  ASSERT_TRUE(watch->Read(&health_response));
  EXPECT_EQ(health_response.status(), HealthCheckResponse::SERVING);

  host.RequestShutdown();
  bool saw_not_serving = false;
  while (!saw_not_serving && watch->Read(&health_response)) {
    saw_not_serving = health_response.status() == HealthCheckResponse::NOT_SERVING;
  }
  EXPECT_TRUE(saw_not_serving);
  EXPECT_FALSE(echo.slow_finished);
  watch_context.TryCancel();
  watch->Finish().IgnoreError();
  release.set_value();
  caller.join();
  runner.join();

  EXPECT_TRUE(slow_status.ok()) << slow_status.error_message();
  EXPECT_EQ(slow_reply.text(), "in flight");
  EXPECT_TRUE(run_status.ok()) << run_status;
  EXPECT_THAT(order, ElementsAre("producer", "relay", "consumers"));
  EXPECT_TRUE(drained_before_hooks);
}

TEST(ServiceHost, ReflectionListsTheServices) {
  EchoService echo;
  ServiceHost host(TestConfig(), FastOptions());
  echo.host = &host;
  host.AddService(&echo);
  ASSERT_TRUE(host.Start().ok());
  EXPECT_THAT(host.service_names(), ElementsAre(kEchoService));
  EXPECT_THAT(ListServicesByReflection(ChannelTo(host)),
              IsSupersetOf({kEchoService, "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"}));
}

TEST(ServiceHost, ErrorsIdentityTraceAndMetricsReachTheClient) {
  EchoService echo;
  ServiceConfig config = TestConfig();
  config.internal_token = "gateway-secret";
  ServiceHost host(config, FastOptions());
  echo.host = &host;
  host.AddService(&echo);
  ASSERT_TRUE(host.Start().ok());
  ASSERT_GT(host.metrics_port(), 0);
  auto stub = runtime::testing::Echo::NewStub(ChannelTo(host));
  const CallerIdentity officer{"u-42", "program_officer", ""};

  auto call = [&](const std::string& text, const std::string& token, runtime::testing::EchoReply* reply,
                  const std::string& trace_id = "") {
    grpc::ClientContext context;
    context.set_deadline(In(std::chrono::seconds(10)));
    AttachIdentity(context, officer, token);
    if (!trace_id.empty()) telemetry::SetTraceId(context, trace_id);
    runtime::testing::EchoRequest request;
    request.set_text(text);
    return stub->Echo(&context, request, reply);
  };

  runtime::testing::EchoReply reply;
  EXPECT_EQ(call("hi", "", &reply).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(call("hi", "guess", &reply).error_code(), grpc::StatusCode::PERMISSION_DENIED);

  const std::string trace_id = telemetry::NewTraceId();
  grpc::Status ok = call("研究課題", "gateway-secret", &reply, trace_id);
  ASSERT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_EQ(reply.text(), "研究課題");
  EXPECT_EQ(reply.subject(), "u-42");
  EXPECT_EQ(reply.trace_id(), trace_id);

  grpc::Status invalid = call("", "gateway-secret", &reply);
  EXPECT_EQ(invalid.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(core::ViolationsOf(FromGrpcStatus(invalid)),
              ElementsAre(core::FieldViolation{"text", "must not be empty"}));

  const std::string text = host.metrics().Exposition();
  EXPECT_THAT(text, HasSubstr(R"(grpc_server_handled_total{grpc_code="OK",grpc_method="Echo",)"
                              R"(grpc_service="tane.runtime.testing.Echo"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(grpc_server_handled_total{grpc_code="INVALID_ARGUMENT",grpc_method="Echo",)"
                              R"(grpc_service="tane.runtime.testing.Echo"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(grpc_server_handled_total{grpc_code="PERMISSION_DENIED",grpc_method="Echo",)"
                              R"(grpc_service="tane.runtime.testing.Echo"} 1)"));
}

TEST(ServiceHost, StartFailsWhenAPortIsTaken) {
  EchoService echo;
  ServiceHost first(TestConfig(), FastOptions());
  echo.host = &first;
  first.AddService(&echo);
  ASSERT_TRUE(first.Start().ok());

  ServiceConfig same_grpc = TestConfig();
  same_grpc.grpc_addr = "127.0.0.1:" + std::to_string(first.grpc_port());
  EchoService echo2;
  ServiceHost second(same_grpc, FastOptions());
  echo2.host = &second;
  second.AddService(&echo2);
  EXPECT_EQ(second.Start().code(), absl::StatusCode::kUnavailable);

  ServiceConfig same_metrics = TestConfig();
  same_metrics.metrics_addr = "127.0.0.1:" + std::to_string(first.metrics_port());
  ServiceHost third(same_metrics, FastOptions());
  EXPECT_EQ(third.Run().code(), absl::StatusCode::kUnavailable);
}

TEST(ServiceHost, SigtermEndsRun) {
  ASSERT_TRUE(kSignalsBlocked);
  EchoService echo;
  ServiceHost host(TestConfig(), FastOptions());
  echo.host = &host;
  host.AddService(&echo);
  std::atomic<bool> hook_ran{false};
  host.AddShutdownHook("flush", [&] { hook_ran = true; });
  absl::Status run_status = absl::UnknownError("not returned");
  std::thread runner([&] { run_status = host.Run(); });
  ASSERT_TRUE(host.WaitUntilReady(absl::Seconds(20)));
  ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);
  runner.join();
  EXPECT_TRUE(run_status.ok()) << run_status;
  EXPECT_TRUE(hook_ran);
}

}  // namespace
}  // namespace tane::runtime
