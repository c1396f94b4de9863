#include "tane/telemetry/grpc_interceptor.h"

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "grpc/health/v1/health.grpc.pb.h"

namespace tane::telemetry {
namespace {

using ::testing::HasSubstr;

TEST(SplitGrpcMethod, SplitsServiceAndMethod) {
  auto [service, method] = SplitGrpcMethod("/grpc.health.v1.Health/Check");
  EXPECT_EQ(service, "grpc.health.v1.Health");
  EXPECT_EQ(method, "Check");
  EXPECT_EQ(SplitGrpcMethod("garbage").first, "unknown");
  EXPECT_EQ(SplitGrpcMethod("/OnlyService/").first, "unknown");
}

TEST(GrpcCodeName, NamesEveryCode) {
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::OK), "OK");
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::INVALID_ARGUMENT), "INVALID_ARGUMENT");
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::UNAUTHENTICATED), "UNAUTHENTICATED");
  EXPECT_EQ(GrpcCodeName(static_cast<grpc::StatusCode>(99)), "UNKNOWN");
}

// The generated health service, answering like grpc's default one: OK for
// the server as a whole, NOT_FOUND for unknown services; INVALID_ARGUMENT for
// a malformed name, to see a third code.
class HealthService final : public grpc::health::v1::Health::Service {
 public:
  grpc::Status Check(grpc::ServerContext*, const grpc::health::v1::HealthCheckRequest* request,
                     grpc::health::v1::HealthCheckResponse* response) override {
    if (request->service().empty()) {
      response->set_status(grpc::health::v1::HealthCheckResponse::SERVING);
      return grpc::Status::OK;
    }
    if (request->service().find(' ') != std::string::npos) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "malformed service name");
    }
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service");
  }
};

TEST(ServerMetricsInterceptor, CountsCallsByCodeThroughARealServer) {
  Metrics metrics;
  HealthService health;
  grpc::ServerBuilder builder;
  builder.RegisterService(&health);
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> factories;
  factories.push_back(MakeServerMetricsInterceptorFactory(metrics));
  builder.experimental().SetInterceptorCreators(std::move(factories));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  ASSERT_GT(port, 0);

  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  auto check = [&](const std::string& service) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    return stub->Check(&context, request, &response).error_code();
  };
  EXPECT_EQ(check(""), grpc::StatusCode::OK);
  EXPECT_EQ(check(""), grpc::StatusCode::OK);
  EXPECT_EQ(check("no.such.Service"), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(check("bad name"), grpc::StatusCode::INVALID_ARGUMENT);

  server->Shutdown();
  server->Wait();

  EXPECT_EQ(metrics.GrpcServerHandled("grpc.health.v1.Health", "Check", "OK").Value(), 2);
  EXPECT_EQ(metrics.GrpcServerHandled("grpc.health.v1.Health", "Check", "NOT_FOUND").Value(), 1);
  EXPECT_EQ(metrics.GrpcServerHandled("grpc.health.v1.Health", "Check", "INVALID_ARGUMENT").Value(), 1);
  const std::string text = metrics.Exposition();
  EXPECT_THAT(
      text,
      HasSubstr(R"(grpc_server_handling_seconds_count{grpc_method="Check",grpc_service="grpc.health.v1.Health"} 4)"));
}

}  // namespace
}  // namespace tane::telemetry
