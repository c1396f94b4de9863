#pragma once
// The test-only gRPC service behind the gateway in the integration tests
// and benchmarks (tests/proto/tane/gwtest/v1/gwtest.proto), hosted by a real
// grpc::Server through runtime::ServiceHost (health, interceptors).

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "tane/gwtest/v1/gwtest.grpc.pb.h"
#include "tane/runtime/service_host.h"

namespace tane::gateway::testing {

class ThingServiceImpl final : public gwtest::v1::ThingService::Service {
 public:
  explicit ThingServiceImpl(std::string internal_token) : internal_token_(std::move(internal_token)) {}

  /// Calls that reached the service (any RPC).
  int calls() const { return calls_.load(); }
  /// Hang calls that have started and not yet ended.
  int hanging() const { return hanging_.load(); }

  grpc::Status GetThing(grpc::ServerContext*, const gwtest::v1::GetThingRequest*, gwtest::v1::Thing*) override;
  grpc::Status ListThings(grpc::ServerContext*, const gwtest::v1::ListThingsRequest*,
                          gwtest::v1::ListThingsResponse*) override;
  grpc::Status CountThings(grpc::ServerContext*, const gwtest::v1::ListThingsRequest*,
                           gwtest::v1::CountThingsResponse*) override;
  grpc::Status CreateThing(grpc::ServerContext*, const gwtest::v1::CreateThingRequest*, gwtest::v1::Thing*) override;
  grpc::Status UpdateThing(grpc::ServerContext*, const gwtest::v1::UpdateThingRequest*, gwtest::v1::Thing*) override;
  grpc::Status SubmitThing(grpc::ServerContext*, const gwtest::v1::SubmitThingRequest*, gwtest::v1::Thing*) override;
  grpc::Status DeleteThing(grpc::ServerContext*, const gwtest::v1::DeleteThingRequest*,
                           google::protobuf::Empty*) override;
  grpc::Status GetFile(grpc::ServerContext*, const gwtest::v1::GetFileRequest*, gwtest::v1::File*) override;
  grpc::Status SetTags(grpc::ServerContext*, const gwtest::v1::SetTagsRequest*, gwtest::v1::SetTagsResponse*) override;
  grpc::Status Fail(grpc::ServerContext*, const gwtest::v1::FailRequest*, google::protobuf::Empty*) override;
  grpc::Status Whoami(grpc::ServerContext*, const gwtest::v1::WhoamiRequest*, gwtest::v1::WhoamiResponse*) override;
  grpc::Status PartnerWhoami(grpc::ServerContext*, const gwtest::v1::WhoamiRequest*,
                             gwtest::v1::WhoamiResponse*) override;
  grpc::Status Hang(grpc::ServerContext*, const gwtest::v1::HangRequest*, google::protobuf::Empty*) override;

 private:
  const std::string internal_token_;
  std::atomic<int> calls_{0};
  std::atomic<int> hanging_{0};
};

/// The service on a real gRPC server on a free loopback port.
class ThingServer final {
 public:
  static absl::StatusOr<std::unique_ptr<ThingServer>> Start(const std::string& internal_token);
  ~ThingServer();

  int port() const { return host_->grpc_port(); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port()); }
  ThingServiceImpl& service() { return service_; }

 private:
  explicit ThingServer(const std::string& internal_token);
  ThingServiceImpl service_;
  std::unique_ptr<runtime::ServiceHost> host_;
};

}  // namespace tane::gateway::testing
