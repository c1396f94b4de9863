#include "upstreams.h"

#include <google/protobuf/descriptor.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include "grpc/health/v1/health.grpc.pb.h"
#include "tane/telemetry/log.h"

namespace tane::gateway::internal {
namespace {

constexpr int kMaxMessageBytes = 8 << 20;  // as the services (ServiceHost)

std::string_view ServingStatusName(grpc::health::v1::HealthCheckResponse::ServingStatus status) {
  switch (status) {
    case grpc::health::v1::HealthCheckResponse::SERVING:
      return "SERVING";
    case grpc::health::v1::HealthCheckResponse::NOT_SERVING:
      return "NOT_SERVING";
    case grpc::health::v1::HealthCheckResponse::SERVICE_UNKNOWN:
      return "SERVICE_UNKNOWN";
    default:
      return "UNKNOWN";
  }
}

}  // namespace

Upstreams::Upstreams(const std::map<std::string, std::string>& addresses, const RouteTable& routes,
                     absl::Duration interval, telemetry::Metrics& metrics)
    : interval_(interval) {
  auto& gauge = metrics.GaugeFamily("tane_gateway_upstream_serving",
                                    "1 when every proto service of the upstream reported SERVING at the last check");
  for (const std::string& name : routes.Upstreams()) {
    auto it = addresses.find(name);
    if (it == addresses.end() || it->second.empty()) {
      unconfigured_.push_back(name);
      continue;
    }
    auto upstream = std::make_unique<Upstream>();
    upstream->name = name;
    upstream->address = it->second;
    for (const auto* service : routes.ServicesOf(name)) upstream->services.push_back(service->full_name());
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(kMaxMessageBytes);
    args.SetMaxSendMessageSize(kMaxMessageBytes);
    // With a dns:/// target naming every replica (a headless Kubernetes
    // Service), spread calls over them rather than pinning one connection.
    args.SetLoadBalancingPolicyName("round_robin");
    upstream->channel = grpc::CreateCustomChannel(upstream->address, grpc::InsecureChannelCredentials(), args);
    upstream->stub = std::make_unique<MessageStub>(upstream->channel);
    upstream->serving_gauge = &gauge.Add({{"upstream", name}});
    upstream->detail = "not checked yet";
    upstreams_.emplace(name, std::move(upstream));
  }
}

Upstreams::~Upstreams() { StopChecks(); }

Upstreams::Upstream* Upstreams::Find(const std::string& name) const {
  auto it = upstreams_.find(name);
  return it == upstreams_.end() ? nullptr : it->second.get();
}

void Upstreams::StartChecks() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || upstreams_.empty()) return;
  thread_ = std::thread([this] { CheckLoop(); });
}

void Upstreams::StopChecks() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Upstreams::CheckLoop() {
  for (;;) {
    for (auto& [name, upstream] : upstreams_) CheckOnce(*upstream);
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, absl::ToChronoMilliseconds(interval_), [this] { return stop_; })) return;
  }
}

void Upstreams::CheckOnce(Upstream& upstream) {
  auto stub = grpc::health::v1::Health::NewStub(upstream.channel);
  bool serving = true;
  std::string detail;
  for (const std::string& service : upstream.services) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::min(std::chrono::milliseconds(1000), absl::ToChronoMilliseconds(interval_)));
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    const grpc::Status status = stub->Check(&context, request, &response);
    if (!detail.empty()) detail += "; ";
    if (!status.ok()) {
      serving = false;
      detail += service + ": " + status.error_message();
    } else {
      serving = serving && response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
      detail += service + ": " + std::string(ServingStatusName(response.status()));
    }
  }
  const bool was = upstream.serving.exchange(serving);
  upstream.serving_gauge->Set(serving ? 1 : 0);
  std::lock_guard lock(upstream.mu);
  if (was != serving || upstream.detail == "not checked yet") {
    telemetry::Log(serving ? telemetry::LogLevel::kInfo : telemetry::LogLevel::kWarn,
                   serving ? "upstream serving" : "upstream not serving",
                   {{"upstream", upstream.name}, {"address", upstream.address}, {"detail", detail}});
  }
  upstream.detail = std::move(detail);
}

bool Upstreams::AllServing() const {
  for (const auto& [name, upstream] : upstreams_) {
    if (!upstream->serving.load()) return false;
  }
  return true;
}

Json Upstreams::Describe() const {
  Json out = Json::Object();
  for (const auto& [name, upstream] : upstreams_) {
    std::lock_guard lock(upstream->mu);
    out.Set(name, Json::Object()
                      .Set("address", upstream->address)
                      .Set("serving", upstream->serving.load())
                      .Set("detail", upstream->detail));
  }
  for (const std::string& name : unconfigured_) {
    out.Set(name, Json::Object().Set("configured", false).Set("detail", "no address: its routes answer 503"));
  }
  return out;
}

}  // namespace tane::gateway::internal
