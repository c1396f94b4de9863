// The platform as operators and portal developers see it: readiness, every
// process's Prometheus metrics (checked by promtool, as Prometheus would
// scrape them), and the OpenAPI document.
#include <gmock/gmock.h>

#include <cstdio>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "e2e_fixture.h"
#include "tane/gateway/http_client.h"

namespace tane::e2e {
namespace {

using google::protobuf::Struct;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Runs a shell command; its exit status and what it printed (stdout and stderr).
std::pair<int, std::string> RunShell(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  char buffer[4096];
  while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  return {::pclose(pipe), output};
}

TEST_F(E2eTest, ReadyzReportsEveryServiceServing) {
  ASSERT_OK_AND_ASSIGN(auto reply, api().Expect(200, Anonymous(), "GET", "/readyz"));
  Struct body;
  ASSERT_OK(ParseJson(reply.body, &body));
  ASSERT_TRUE(body.fields().contains("status") && body.fields().contains("upstreams")) << reply.body;
  EXPECT_EQ(body.fields().at("status").string_value(), "ready");
  const auto& upstreams = body.fields().at("upstreams").struct_value().fields();
  for (const std::string& service : AllServices()) {
    ASSERT_TRUE(upstreams.contains(service)) << reply.body;
    const auto& upstream = upstreams.at(service).struct_value().fields();
    ASSERT_TRUE(upstream.contains("serving")) << reply.body;
    EXPECT_TRUE(upstream.at("serving").bool_value()) << service;
  }
  ASSERT_OK_AND_ASSIGN(auto health, api().Expect(200, Anonymous(), "GET", "/healthz"));
  EXPECT_THAT(health.body, HasSubstr("ok"));
}

TEST_F(E2eTest, EveryProcessServesMetricsThatPromtoolAccepts) {
  ASSERT_EQ(platform().metrics_endpoints().size(), AllServices().size() + 1);  // and the gateway
  for (const MetricsEndpoint& endpoint : platform().metrics_endpoints()) {
    SCOPED_TRACE(endpoint.process);
    auto client = gateway::HttpClient::Connect("127.0.0.1", endpoint.port);
    ASSERT_TRUE(client.ok()) << client.status();
    auto reply = (*client)->Send("GET", "/metrics");
    ASSERT_TRUE(reply.ok()) << reply.status();
    ASSERT_EQ(reply->status, 200) << reply->body;
    // Every service reports its gRPC traffic, the gateway its HTTP traffic.
    EXPECT_THAT(reply->body, HasSubstr(endpoint.process == "gateway" ? "http_requests_total" : "grpc_server_"));
    const std::string file = absl::StrCat(platform().directory(), "/", endpoint.process, ".metrics");
    std::ofstream(file) << reply->body;
    const auto [status, output] = RunShell("promtool check metrics < " + file);
    EXPECT_EQ(status, 0) << "promtool check metrics (" << endpoint.process << "):\n" << output;
  }
}

TEST_F(E2eTest, OpenApiDocumentDescribesEveryService) {
  ASSERT_OK_AND_ASSIGN(auto reply, api().Expect(200, Anonymous(), "GET", "/openapi.json"));
  Struct openapi;
  ASSERT_OK(ParseJson(reply.body, &openapi));
  ASSERT_TRUE(openapi.fields().contains("openapi")) << reply.body.substr(0, 200);
  EXPECT_EQ(openapi.fields().at("openapi").string_value(), "3.0.3");
  // One request per service through a route the document must describe.
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"GET", "/v1/programs/crest"},  {"GET", "/v1/calls/c-1/review-cases"},
      {"GET", "/v1/projects/p-1"},    {"GET", "/v1/projects/p-1/allocations/2026"},
      {"GET", "/v1/joint-calls/j-1"}, {"POST", "/v1/applications/a-1:submit"},
  };
  EXPECT_THAT(Undocumented(openapi, routes), IsEmpty());
  EXPECT_THAT(Undocumented(openapi, {{"GET", "/v1/no-such-collection"}, {"DELETE", "/v1/calls/c-1"}}),
              ::testing::ElementsAre("GET /v1/no-such-collection", "DELETE /v1/calls/c-1"));
}

}  // namespace
}  // namespace tane::e2e
