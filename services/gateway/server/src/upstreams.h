#pragma once
// The gRPC services behind the gateway: one channel and generic stub per
// configured upstream, and a background thread asking each upstream's
// grpc.health.v1 about every proto service routed to it.

#include <google/protobuf/message.h>
#include <grpcpp/channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/impl/codegen/proto_utils.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "tane/gateway/json.h"
#include "tane/gateway/route_table.h"
#include "tane/telemetry/metrics.h"

namespace tane::gateway::internal {

/// Unary calls with protobuf messages of any type (the route's), no codegen.
using MessageStub = grpc::TemplatedGenericStub<google::protobuf::Message, google::protobuf::Message>;

class Upstreams final {
 public:
  struct Upstream {
    std::string name;
    std::string address;
    std::vector<std::string> services;  // proto services routed here
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<MessageStub> stub;
    std::atomic<bool> serving{false};
    prometheus::Gauge* serving_gauge = nullptr;
    mutable std::mutex mu;
    std::string detail;  // guarded by mu: the last check's outcome
  };

  /// `addresses` only for names that have routes (Create checks that).
  Upstreams(const std::map<std::string, std::string>& addresses, const RouteTable& routes, absl::Duration interval,
            telemetry::Metrics& metrics);
  ~Upstreams();

  /// nullptr when `name` has no address configured.
  Upstream* Find(const std::string& name) const;

  void StartChecks();
  void StopChecks();

  /// Every configured upstream SERVING at its last check (true when none).
  bool AllServing() const;
  /// /readyz's "upstreams" object: every upstream the routes need.
  Json Describe() const;

 private:
  void CheckLoop();
  void CheckOnce(Upstream& upstream);

  std::map<std::string, std::unique_ptr<Upstream>> upstreams_;
  std::vector<std::string> unconfigured_;  // routed, no address
  const absl::Duration interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace tane::gateway::internal
