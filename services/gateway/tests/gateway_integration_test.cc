// The Gateway on a free port in front of a real grpc::Server running the
// test service, driven over real HTTP/1.1 keep-alive connections.
#include <gmock/gmock.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tane/auth/api_keys.h"
#include "tane/auth/jwt.h"
#include "tane/gateway/gateway.h"
#include "tane/gateway/http_client.h"
#include "tane/gwtest/v1/gwtest.pb.h"
#include "tane/international/service.h"
#include "tane/international/v1/international.grpc.pb.h"
#include "tane/runtime/identity.h"
#include "tane/runtime/status.h"
#include "tane/service_testing/harness.h"
#include "tane/telemetry/log.h"
#include "tane/telemetry/trace.h"
#include "tane/testing/fixtures.h"
#include "thing_service.h"

namespace tane::gateway {
namespace {

using google::protobuf::Struct;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

constexpr char kSecret[] = "integration-test-secret-0123456789";
constexpr char kInternalToken[] = "internal-token-for-tests";
constexpr char kPartnerKey[] = "tane_partner_key_for_tests";

Struct Parse(const std::string& json) {
  Struct s;
  auto status = google::protobuf::util::JsonStringToMessage(json, &s);
  EXPECT_TRUE(status.ok()) << json;
  return s;
}

std::string Field(const Struct& s, const std::string& key) {
  auto it = s.fields().find(key);
  if (it == s.fields().end()) return "<absent>";
  if (it->second.has_string_value()) return it->second.string_value();
  if (it->second.has_bool_value()) return it->second.bool_value() ? "true" : "false";
  if (it->second.has_number_value()) return absl::StrCat(it->second.number_value());
  return "<not a scalar>";
}

std::string Token(const std::string& role, const std::string& subject = "alice", const std::string& agency = "",
                  absl::Duration ttl = absl::Hours(1), absl::Time issued = absl::Now()) {
  auth::TokenClaims claims;
  claims.subject = subject;
  claims.role = role;
  claims.agency = agency;
  claims.issuer = "tane-dev";
  claims.audience = "tane";
  claims.issued_at = issued;
  claims.ttl = ttl;
  return *auth::MintHs256(claims, kSecret);
}

HttpClient::Headers Bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

const google::protobuf::ServiceDescriptor* ThingServiceDescriptor() {
  return gwtest::v1::Thing::descriptor()->file()->FindServiceByName("ThingService");
}

GatewayOptions BaseOptions(const std::string& upstream_address) {
  GatewayOptions options;
  options.http_addr = "127.0.0.1:0";
  options.upstreams = {{"gwtest", upstream_address}};
  options.internal_token = kInternalToken;
  options.jwt.hs256_secret = kSecret;
  options.jwt.issuer = "tane-dev";
  options.jwt.audience = "tane";
  options.api_keys = *auth::ApiKeyStore::Parse(auth::ApiKeyLine(
      auth::HashApiKey(kPartnerKey), {"dfg-exchange", "partner", "DFG", auth::CredentialKind::kApiKey}));
  options.rate_limit.rate_per_second = 0;  // the rate-limit test turns it on
  options.readiness_interval = absl::Milliseconds(20);
  options.max_body_bytes = 4096;
  options.access_log = true;
  // The calls service is linked but has no address here.
  options.services = {ThingServiceDescriptor(), google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
                                                    "tane.calls.v1.CallsService")};
  return options;
}

class GatewayIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto server = testing::ThingServer::Start(kInternalToken);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override { StartGateway(BaseOptions(server_->address())); }
  void TearDown() override {
    if (gateway_ != nullptr) gateway_->Stop();
  }

  void StartGateway(GatewayOptions options) {
    if (gateway_ != nullptr) gateway_->Stop();
    metrics_ = std::make_unique<telemetry::Metrics>();
    auto gateway = Gateway::Create(std::move(options), metrics_.get());
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    gateway_ = *std::move(gateway);
    ASSERT_TRUE(gateway_->Start().ok());
    auto client = HttpClient::Connect("127.0.0.1", gateway_->port());
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
  }

  HttpResult Send(const std::string& method, const std::string& target, const std::string& body = "",
                  const HttpClient::Headers& headers = {}) {
    auto result = client_->Send(method, target, body, headers);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *std::move(result) : HttpResult{};
  }

  static testing::ThingServer* server_;
  std::unique_ptr<telemetry::Metrics> metrics_;
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<HttpClient> client_;
};

testing::ThingServer* GatewayIntegrationTest::server_ = nullptr;

TEST_F(GatewayIntegrationTest, ServesJsonOverOneKeepAliveConnection) {
  const int port = client_->local_port();
  for (int i = 0; i < 5; ++i) {
    HttpResult r = Send("GET", "/v1/things/t" + std::to_string(i));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(r.keep_alive);
    EXPECT_EQ(r.Header("content-type"), "application/json");
    Struct thing = Parse(r.body);
    EXPECT_EQ(Field(thing, "thingId"), "t" + std::to_string(i));
    EXPECT_EQ(Field(thing, "title"), "種の研究 t" + std::to_string(i));  // UTF-8 round trip
    EXPECT_EQ(Field(thing, "priceYen"), "9007199254740993");             // int64 as a string
    EXPECT_EQ(Field(thing, "color"), "COLOR_RED");                       // enum by name
    EXPECT_EQ(Field(thing, "createTime"), "2017-06-07T00:00:00Z");
    EXPECT_EQ(client_->local_port(), port) << "a new connection was opened";
  }
  HttpResult last = Send("GET", "/v1/things/x", "", {{"Connection", "close"}});
  EXPECT_EQ(last.status, 200);
  EXPECT_FALSE(last.keep_alive);
  EXPECT_FALSE(client_->connected());
}

TEST_F(GatewayIntegrationTest, TranscodesPathQueryAndBody) {
  HttpResult list = Send("GET",
                         "/v1/shelves/s%201/things?pageSize=3&colors=COLOR_RED&colors=COLOR_GREEN"
                         "&minSize.width=4&createdAfter=2017-06-07T00:00:00%2B09:00",
                         "", Bearer(Token("applicant")));
  ASSERT_EQ(list.status, 200) << list.body;
  gwtest::v1::ListThingsResponse response;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(list.body, &response).ok()) << list.body;
  EXPECT_EQ(response.echo().shelf_id(), "s 1");
  EXPECT_EQ(response.echo().page_size(), 3);
  EXPECT_EQ(response.echo().colors_size(), 2);
  EXPECT_EQ(response.echo().min_size().width(), 4);
  EXPECT_EQ(response.echo().created_after().seconds(), 1496761200);
  EXPECT_EQ(response.next_page_token(), "next");

  HttpResult created =
      Send("POST", "/v1/shelves/s1/things?idempotencyKey=k1",
           R"({"title":"熱輸送のスペクトル学的理解","priceYen":"150000000","tags":["a"]})", Bearer(Token("applicant")));
  ASSERT_EQ(created.status, 200) << created.body;
  Struct thing = Parse(created.body);
  EXPECT_EQ(Field(thing, "thingId"), "t-s1");
  EXPECT_EQ(Field(thing, "title"), "熱輸送のスペクトル学的理解");
  EXPECT_EQ(Field(thing, "priceYen"), "150000000");

  HttpResult submitted =
      Send("POST", "/v1/things/t9:submit", R"({"version":"4","idempotencyKey":"k2"})", Bearer(Token("applicant")));
  ASSERT_EQ(submitted.status, 200) << submitted.body;
  EXPECT_EQ(Field(Parse(submitted.body), "title"), "submitted v4 key k2");

  HttpResult updated =
      Send("PATCH", "/v1/shelves/s1/things/t1?updateMask=title", R"({"title":"x"})", Bearer(Token("operator")));
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(Field(Parse(updated.body), "name"), "shelves/s1/things/t1");

  HttpResult count = Send("GET", "/v1/shelves/s1/things:count?pageSize=7", "", Bearer(Token("auditor")));
  ASSERT_EQ(count.status, 200) << count.body;
  EXPECT_EQ(count.body, "\"7\"");

  HttpResult deleted = Send("DELETE", "/v1/things/t1", "", Bearer(Token("operator")));
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(deleted.body, "{}");

  HttpResult file = Send("GET", "/v1/files/reports/2017/%E7%A8%AE.pdf");
  ASSERT_EQ(file.status, 200) << file.body;
  EXPECT_EQ(Field(Parse(file.body), "path"), "reports/2017/種.pdf");
}

TEST_F(GatewayIntegrationTest, EveryGrpcCodeMapsToItsHttpStatus) {
  const std::pair<int, int> codes[] = {{1, 499},  {2, 500},  {3, 400},  {4, 504},  {5, 404},  {6, 409},
                                       {7, 403},  {8, 429},  {9, 409},  {10, 409}, {11, 400}, {12, 501},
                                       {13, 500}, {14, 503}, {15, 500}, {16, 401}};
  const char* names[] = {
      "",          "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
      "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
      "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
      "DATA_LOSS", "UNAUTHENTICATED"};
  for (auto [code, http] : codes) {
    HttpResult r = Send("POST", "/v1/fail/" + std::to_string(code), R"({"message":"because test"})");
    EXPECT_EQ(r.status, http) << "code " << code << ": " << r.body;
    Struct body = Parse(r.body);
    EXPECT_EQ(Field(body, "code"), names[code]) << r.body;
    EXPECT_THAT(Field(body, "message"), HasSubstr("because test"));
    EXPECT_TRUE(body.fields().at("details").has_list_value());
    EXPECT_TRUE(r.keep_alive) << "an error answer keeps the connection";
  }
}

TEST_F(GatewayIntegrationTest, BadRequestDetailsBecomeFieldViolations) {
  HttpResult r = Send("POST", "/v1/fail/3",
                      R"({"message":"invalid application","violations":{"budget_plan[3].amount_yen":"must be positive",
                          "title_ja":"must not be empty"}})");
  ASSERT_EQ(r.status, 400);
  Struct body = Parse(r.body);
  EXPECT_EQ(Field(body, "code"), "INVALID_ARGUMENT");
  EXPECT_THAT(Field(body, "message"), HasSubstr("invalid application: budget_plan[3].amount_yen: must be positive"));
  const auto& details = body.fields().at("details").list_value();
  ASSERT_EQ(details.values_size(), 1) << r.body;
  const Struct& bad_request = details.values(0).struct_value();
  EXPECT_EQ(Field(bad_request, "@type"), "type.googleapis.com/google.rpc.BadRequest");
  const auto& violations = bad_request.fields().at("fieldViolations").list_value();
  ASSERT_EQ(violations.values_size(), 2);
  EXPECT_EQ(Field(violations.values(0).struct_value(), "field"), "budget_plan[3].amount_yen");
  EXPECT_EQ(Field(violations.values(0).struct_value(), "description"), "must be positive");
  EXPECT_EQ(Field(violations.values(1).struct_value(), "field"), "title_ja");
}

TEST_F(GatewayIntegrationTest, IdentityAndInternalTokenReachTheService) {
  struct Case {
    std::string name;
    HttpClient::Headers headers;
    std::string subject, role, agency;
  } cases[] = {
      {"applicant_jwt", Bearer(Token("applicant", "alice")), "alice", "applicant", ""},
      {"partner_jwt", Bearer(Token("partner", "nsf-portal", "NSF")), "nsf-portal", "partner", "NSF"},
      {"partner_api_key", {{"X-Api-Key", kPartnerKey}}, "dfg-exchange", "partner", "DFG"},
      {"anonymous", {}, "anonymous", "anonymous", ""},
  };
  for (const Case& c : cases) {
    HttpResult r = Send("GET", "/v1/whoami", "", c.headers);
    ASSERT_EQ(r.status, 200) << c.name << ": " << r.body;
    Struct who = Parse(r.body);
    EXPECT_EQ(Field(who, "subject"), c.subject) << c.name;
    EXPECT_EQ(Field(who, "role"), c.role) << c.name;
    EXPECT_EQ(Field(who, "agency"), c.agency) << c.name;
    // The service checked the token (runtime::IdentityFrom) and saw it.
    EXPECT_EQ(Field(who, "internalToken"), kInternalToken) << c.name;
    // The upstream call carries the gateway's deadline (10 s by default).
    const double deadline = std::stod(Field(who, "deadlineSeconds"));
    EXPECT_GT(deadline, 5.0);
    EXPECT_LT(deadline, 11.0);
  }
  HttpResult partner = Send("GET", "/v1/partner/whoami", "", {{"X-Api-Key", kPartnerKey}});
  ASSERT_EQ(partner.status, 200) << partner.body;
  EXPECT_EQ(Field(Parse(partner.body), "agency"), "DFG");
}

TEST_F(GatewayIntegrationTest, ServiceRefusesIdentityThatBypassesTheGateway) {
  // A gateway configured with the wrong internal token: the service refuses.
  GatewayOptions options = BaseOptions(server_->address());
  options.internal_token = "not-the-token";
  StartGateway(std::move(options));
  HttpResult r = Send("GET", "/v1/whoami", "", Bearer(Token("applicant")));
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_THAT(Field(Parse(r.body), "message"), HasSubstr("internal token does not match"));
}

TEST_F(GatewayIntegrationTest, RequestIdRoundTrip) {
  const std::string id = "0123456789abcdef0123456789ABCDEF";
  HttpResult given = Send("GET", "/v1/whoami", "", {{"X-Request-Id", id}});
  ASSERT_EQ(given.status, 200);
  EXPECT_EQ(given.Header("x-request-id"), "0123456789abcdef0123456789abcdef");
  Struct who = Parse(given.body);
  EXPECT_EQ(Field(who, "requestId"), "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(Field(who, "traceId"), "0123456789abcdef0123456789abcdef");

  HttpResult traced =
      Send("GET", "/v1/whoami", "", {{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}});
  EXPECT_EQ(traced.Header("x-request-id"), "4bf92f3577b34da6a3ce929d0e0e4736");

  for (std::string invalid : {"", "abc", "not-hex-not-hex-not-hex-not-hex!", "00000000000000000000000000000000"}) {
    HttpResult fresh = Send("GET", "/v1/whoami", "", {{"X-Request-Id", invalid}});
    ASSERT_EQ(fresh.status, 200);
    const std::string generated = fresh.Header("x-request-id");
    EXPECT_TRUE(telemetry::IsValidTraceId(generated)) << generated;
    EXPECT_NE(generated, invalid);
    EXPECT_EQ(Field(Parse(fresh.body), "traceId"), generated);
  }
  // Errors carry it too.
  HttpResult error = Send("GET", "/v1/nowhere", "", {{"X-Request-Id", id}});
  EXPECT_EQ(error.status, 404);
  EXPECT_EQ(error.Header("x-request-id"), "0123456789abcdef0123456789abcdef");
}

TEST_F(GatewayIntegrationTest, BadRequestsAreRefusedAndNeverForwarded) {
  const std::string token = Token("applicant");
  struct Case {
    std::string name;
    std::string method, target, body;
    std::string message;
  } cases[] = {
      {"malformed_json", "POST", "/v1/shelves/s/things", R"({"title":)",
       "request body is not valid JSON: line 1, column 10"},
      {"unknown_field", "POST", "/v1/shelves/s/things", R"({"title":"a","colour":"red"})", "colour: unknown field"},
      {"wrong_type", "POST", "/v1/shelves/s/things", R"({"priceYen":true})",
       "priceYen: invalid value true, expected a 64-bit integer"},
      {"bad_utf8", "POST", "/v1/shelves/s/things", "{\"title\":\"\xc3\x28\"}", "not valid UTF-8"},
      {"unparsable_path_param", "POST", "/v1/fail/not-a-number", "{}",
       "invalid path parameter: code: \"not-a-number\" is not an integer"},
      {"unknown_query_param", "GET", "/v1/things/t1?colour=red", "", "colour: unknown query parameter"},
      {"body_on_get", "GET", "/v1/things/t1", "{}", "takes no request body"},
  };
  for (const Case& c : cases) {
    const int before = server_->service().calls();
    HttpResult r = Send(c.method, c.target, c.body, Bearer(token));
    EXPECT_EQ(r.status, 400) << c.name << ": " << r.body;
    Struct body = Parse(r.body);
    EXPECT_EQ(Field(body, "code"), "INVALID_ARGUMENT") << c.name;
    EXPECT_THAT(Field(body, "message"), HasSubstr(c.message)) << c.name;
    EXPECT_EQ(server_->service().calls(), before) << c.name << " reached the service";
  }
  HttpResult media =
      Send("POST", "/v1/shelves/s/things", "title=x",
           {{"Content-Type", "application/x-www-form-urlencoded"}, {"Authorization", "Bearer " + token}});
  EXPECT_EQ(media.status, 415);
  EXPECT_THAT(Field(Parse(media.body), "message"), HasSubstr("Content-Type must be application/json"));
}

TEST_F(GatewayIntegrationTest, OversizeBodiesAreRefusedBeforeBeingRead) {
  const int before = server_->service().calls();
  const std::string big = R"({"title":")" + std::string(5000, 'x') + R"("})";
  HttpResult r = Send("POST", "/v1/shelves/s/things", big, Bearer(Token("applicant")));
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(Field(Parse(r.body), "message"),
              HasSubstr(absl::StrCat("the request body is ", big.size(), " bytes; the limit is 4096")));
  EXPECT_FALSE(r.keep_alive);
  // Chunked: the size is known only while reading.
  std::string chunked =
      "POST /v1/shelves/s/things HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
      "Content-Type: application/json\r\n\r\n";
  for (int i = 0; i < 5; ++i) chunked += "400\r\n" + std::string(1024, ' ') + "\r\n";
  chunked += "0\r\n\r\n";
  auto raw = client_->SendRaw(chunked);
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_EQ(raw->status, 400);
  EXPECT_THAT(Field(Parse(raw->body), "message"), HasSubstr("the request body exceeds the limit of 4096 bytes"));
  EXPECT_EQ(server_->service().calls(), before);
}

TEST_F(GatewayIntegrationTest, MalformedHttpAndExpectContinue) {
  auto garbage = client_->SendRaw("THIS IS NOT HTTP\r\n\r\n");
  ASSERT_TRUE(garbage.ok()) << garbage.status();
  EXPECT_EQ(garbage->status, 400);
  EXPECT_THAT(Field(Parse(garbage->body), "message"), HasSubstr("malformed HTTP request"));

  const std::string body = R"({"version":"1"})";
  auto interim = client_->SendRaw(absl::StrCat(
      "POST /v1/things/t1:submit HTTP/1.1\r\nHost: x\r\n", "Authorization: Bearer ", Token("applicant"), "\r\n",
      "Content-Type: application/json\r\nExpect: 100-continue\r\n", "Content-Length: ", body.size(), "\r\n\r\n"));
  ASSERT_TRUE(interim.ok()) << interim.status();
  EXPECT_EQ(interim->status, 100);
  auto final_response = client_->SendRaw(body);
  ASSERT_TRUE(final_response.ok()) << final_response.status();
  EXPECT_EQ(final_response->status, 200) << final_response->body;

  auto huge_header =
      client_->SendRaw("GET /v1/things/t1 HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n");
  ASSERT_TRUE(huge_header.ok()) << huge_header.status();
  EXPECT_EQ(huge_header->status, 431);
}

TEST_F(GatewayIntegrationTest, AuthenticationAndPolicy) {
  struct Case {
    std::string name;
    std::string method, target, body;
    HttpClient::Headers headers;
    int status;
    std::string message;
  } cases[] = {
      {"missing_token", "POST", "/v1/shelves/s/things", "{}", {}, 401, "needs credentials"},
      {"wrong_role", "POST", "/v1/shelves/s/things", "{}", Bearer(Token("reviewer")), 403,
       "role \"reviewer\" may not call tane.gwtest.v1.ThingService.CreateThing (allowed: applicant)"},
      {"no_policy", "GET", "/v1/hidden", "", Bearer(Token("operator")), 403, "has no access policy"},
      {"no_policy_anonymous", "GET", "/v1/hidden", "", {}, 403, "has no access policy"},
      {"expired", "GET", "/v1/things/t1", "",
       Bearer(Token("applicant", "alice", "", absl::Minutes(5), absl::Now() - absl::Hours(1))), 401,
       "token expired at"},
      {"bad_token_on_anonymous_method", "GET", "/v1/things/t1", "", Bearer("garbage"), 401, "malformed token"},
      {"unknown_api_key", "GET", "/v1/whoami", "", {{"X-Api-Key", "tane_nope"}}, 401, "unknown API key"},
      {"partner_only", "GET", "/v1/partner/whoami", "", Bearer(Token("applicant")), 403, "may not call"},
  };
  for (const Case& c : cases) {
    HttpResult r = Send(c.method, c.target, c.body, c.headers);
    EXPECT_EQ(r.status, c.status) << c.name << ": " << r.body;
    EXPECT_THAT(Field(Parse(r.body), "message"), HasSubstr(c.message)) << c.name;
    if (c.status == 401) {
      EXPECT_THAT(r.Header("www-authenticate"), HasSubstr("Bearer realm=\"tane\"")) << c.name;
    }
  }
}

TEST_F(GatewayIntegrationTest, UnknownRoutesAndMethods) {
  HttpResult missing = Send("GET", "/v1/nothing/here");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(Field(Parse(missing.body), "message"), "no route for GET /v1/nothing/here");
  HttpResult method = Send("PUT", "/v1/things/t1");
  EXPECT_EQ(method.status, 405);
  EXPECT_EQ(method.Header("allow"), "DELETE, GET");
  HttpResult not_found = Send("GET", "/v1/things/missing");
  EXPECT_EQ(not_found.status, 404);
  EXPECT_EQ(Field(Parse(not_found.body), "message"), "no thing \"missing\"");
  HttpResult root = Send("GET", "/");
  EXPECT_EQ(root.status, 404);
}

TEST_F(GatewayIntegrationTest, UnconfiguredUpstreamAnswers503) {
  HttpResult r = Send("GET", "/v1/calls");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(Field(Parse(r.body), "message"),
            "the calls service is not configured in this gateway (set TANE_CALLS_ADDR)");
}

TEST_F(GatewayIntegrationTest, HealthReadinessAndOpenApi) {
  HttpResult health = Send("GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  ASSERT_TRUE(tane::testing::WaitFor([&] { return gateway_->Ready(); }, absl::Seconds(10)));
  HttpResult ready = Send("GET", "/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  Struct body = Parse(ready.body);
  EXPECT_EQ(Field(body, "status"), "ready");
  const Struct& upstreams = body.fields().at("upstreams").struct_value();
  EXPECT_EQ(Field(upstreams.fields().at("gwtest").struct_value(), "serving"), "true");
  EXPECT_EQ(Field(upstreams.fields().at("calls").struct_value(), "configured"), "false");
  HttpResult openapi = Send("GET", "/openapi.json");
  EXPECT_EQ(openapi.status, 200);
  Struct doc = Parse(openapi.body);
  EXPECT_EQ(Field(doc, "openapi"), "3.0.3");
  EXPECT_TRUE(doc.fields().at("paths").struct_value().fields().contains("/v1/things/{thing_id}:submit"));
  EXPECT_EQ(Send("POST", "/healthz", "{}").status, 405);
}

TEST_F(GatewayIntegrationTest, NotReadyWhileTheUpstreamIsDown) {
  StartGateway(BaseOptions("127.0.0.1:" + std::to_string(tane::testing::FreeLoopbackPort())));
  HttpResult ready = Send("GET", "/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(Field(Parse(ready.body), "status"), "not ready");
  HttpResult call = Send("GET", "/v1/things/t1");
  EXPECT_EQ(call.status, 503);
  EXPECT_THAT(Field(Parse(call.body), "message"), HasSubstr("the gwtest service is unavailable"));
}

TEST_F(GatewayIntegrationTest, RateLimitPerSubjectWithRetryAfter) {
  GatewayOptions options = BaseOptions(server_->address());
  options.rate_limit = {0.5, 2};
  StartGateway(std::move(options));
  const std::string alice = Token("applicant", "alice");
  EXPECT_EQ(Send("GET", "/v1/whoami", "", Bearer(alice)).status, 200);
  EXPECT_EQ(Send("GET", "/v1/whoami", "", Bearer(alice)).status, 200);
  HttpResult limited = Send("GET", "/v1/whoami", "", Bearer(alice));
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.Header("retry-after"), "2");
  Struct body = Parse(limited.body);
  EXPECT_EQ(Field(body, "code"), "RESOURCE_EXHAUSTED");
  EXPECT_THAT(Field(body, "message"), HasSubstr("rate limit exceeded for alice"));
  // Another subject has its own bucket.
  EXPECT_EQ(Send("GET", "/v1/whoami", "", Bearer(Token("applicant", "bob"))).status, 200);
}

TEST_F(GatewayIntegrationTest, Cors) {
  GatewayOptions options = BaseOptions(server_->address());
  options.cors.allowed_origins = {"https://portal.example.jp"};
  StartGateway(std::move(options));
  HttpResult preflight = Send("OPTIONS", "/v1/shelves/s/things", "",
                              {{"Origin", "https://portal.example.jp"},
                               {"Access-Control-Request-Method", "POST"},
                               {"Access-Control-Request-Headers", "authorization, content-type"}});
  EXPECT_EQ(preflight.status, 204);
  EXPECT_EQ(preflight.Header("access-control-allow-origin"), "https://portal.example.jp");
  EXPECT_THAT(preflight.Header("access-control-allow-headers"), HasSubstr("Authorization"));
  HttpResult refused = Send("OPTIONS", "/v1/shelves/s/things", "",
                            {{"Origin", "https://evil.example.com"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.Header("access-control-allow-origin"), "");
  HttpResult actual = Send("GET", "/v1/things/t1", "", {{"Origin", "https://portal.example.jp"}});
  EXPECT_EQ(actual.status, 200);
  EXPECT_EQ(actual.Header("access-control-allow-origin"), "https://portal.example.jp");
  EXPECT_THAT(actual.Header("access-control-expose-headers"), HasSubstr("X-Request-Id"));
  HttpResult other = Send("GET", "/v1/things/t1", "", {{"Origin", "https://evil.example.com"}});
  EXPECT_EQ(other.Header("access-control-allow-origin"), "");
}

TEST_F(GatewayIntegrationTest, UpstreamDeadlineIs504) {
  GatewayOptions options = BaseOptions(server_->address());
  options.upstream_timeout = absl::Milliseconds(200);
  StartGateway(std::move(options));
  HttpResult r = Send("POST", "/v1/hang", "{}");
  EXPECT_EQ(r.status, 504);
  EXPECT_EQ(Field(Parse(r.body), "message"), "no answer from the gwtest service within 200ms");
  EXPECT_TRUE(tane::testing::WaitFor([] { return server_->service().hanging() == 0; }))
      << "the service saw the cancellation";
}

TEST_F(GatewayIntegrationTest, StopCancelsCallsThatOutliveTheGrace) {
  GatewayOptions options = BaseOptions(server_->address());
  options.shutdown_grace = absl::Milliseconds(100);
  StartGateway(std::move(options));
  auto answer = std::async(std::launch::async, [port = gateway_->port()] {
    auto client = HttpClient::Connect("127.0.0.1", port);
    return client.ok() ? (*client)->Send("POST", "/v1/hang", "{}") : client.status();
  });
  ASSERT_TRUE(tane::testing::WaitFor([] { return server_->service().hanging() == 1; }));
  gateway_->Stop();
  auto r = answer.get();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 499);
  EXPECT_FALSE(r->keep_alive);
  EXPECT_TRUE(tane::testing::WaitFor([] { return server_->service().hanging() == 0; }));
}

// A completion callback still answering when Stop() is called (held here
// inside its access-log line, i.e. inside Dispatcher::Finish) must keep
// Stop() waiting: main destroys the Gateway as soon as Stop() returns.
TEST_F(GatewayIntegrationTest, StopWaitsUntilEveryCallbackHasLeftTheDispatcher) {
  GatewayOptions options = BaseOptions(server_->address());
  options.shutdown_grace = absl::Milliseconds(50);
  StartGateway(std::move(options));
  const std::string id = "5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e";
  std::mutex mu;
  std::condition_variable cv;
  bool inside = false;  // the callback is held in its access-log line
  bool left = false;
  bool grace_over = false;
  bool stopped = false;
  bool inside_when_stopped = false;
  telemetry::SetLogSink([&](std::string_view line) {
    std::unique_lock lock(mu);
    if (line.find("\"msg\":\"shutdown grace over") != std::string_view::npos) grace_over = true;
    if (line.find("\"msg\":\"gateway stopped\"") != std::string_view::npos) {
      stopped = true;
      inside_when_stopped = inside;
    }
    cv.notify_all();
    if (line.find(id) == std::string_view::npos || line.find("\"msg\":\"http request\"") == std::string_view::npos) {
      return;
    }
    inside = true;
    cv.notify_all();
    // Released by Stop() giving up on the grace period (it is waiting for
    // this call), or, were it not waiting, by Stop() returning.
    cv.wait(lock, [&] { return grace_over || stopped; });
    inside = false;
    left = true;
    cv.notify_all();
  });
  auto answer = std::async(std::launch::async, [port = gateway_->port(), id] {
    auto client = HttpClient::Connect("127.0.0.1", port);
    return client.ok() ? (*client)->Send("GET", "/v1/things/t1", "", {{"X-Request-Id", id}}) : client.status();
  });
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return inside; }));
  }
  gateway_->Stop();
  {
    std::unique_lock lock(mu);
    EXPECT_TRUE(stopped);
    EXPECT_FALSE(inside_when_stopped) << "Stop() finished while a callback was still inside the dispatcher";
    EXPECT_TRUE(grace_over);
    // Whatever happened, let the callback out before the gateway is destroyed.
    EXPECT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return left; }));
  }
  telemetry::SetLogSink(nullptr);
  gateway_.reset();  // closes the connection, should its answer be stranded
  auto r = answer.get();
  ASSERT_TRUE(r.ok()) << r.status();
  // Rendered (keep-alive) before Stop() began; the connection closes after it.
  EXPECT_EQ(r->status, 200);
}

TEST_F(GatewayIntegrationTest, MetricsAndAccessLog) {
  std::mutex mu;
  std::vector<std::string> lines;
  telemetry::SetLogSink([&](std::string_view line) {
    std::lock_guard lock(mu);
    lines.emplace_back(line);
  });
  const std::string id = "feedfacefeedfacefeedfacefeedface";
  EXPECT_EQ(Send("GET", "/v1/things/t1", "", {{"X-Request-Id", id}}).status, 200);
  EXPECT_EQ(Send("GET", "/v1/things/missing").status, 404);
  telemetry::SetLogSink(nullptr);

  const std::string exposition = metrics_->Exposition();
  EXPECT_THAT(exposition,
              HasSubstr(R"(http_requests_total{method="GET",route="GET /v1/things/{thing_id}",status="200"} 1)"));
  EXPECT_THAT(exposition,
              HasSubstr(R"(http_requests_total{method="GET",route="GET /v1/things/{thing_id}",status="404"} 1)"));
  EXPECT_THAT(exposition,
              HasSubstr("http_request_duration_seconds_bucket{method=\"GET\",route=\"GET /v1/things/{thing_id}\""));

  std::lock_guard lock(mu);
  const std::string* access = nullptr;
  for (const std::string& line : lines) {
    if (line.find(id) != std::string::npos && line.find("\"msg\":\"http request\"") != std::string::npos)
      access = &line;
  }
  ASSERT_NE(access, nullptr);
  Struct entry = Parse(*access);
  EXPECT_EQ(Field(entry, "trace_id"), id);
  EXPECT_EQ(Field(entry, "status"), "200");
  EXPECT_EQ(Field(entry, "route"), "GET /v1/things/{thing_id}");
  EXPECT_EQ(Field(entry, "rpc"), "tane.gwtest.v1.ThingService.GetThing");
  EXPECT_EQ(Field(entry, "grpc_code"), "OK");
  EXPECT_EQ(Field(entry, "path"), "/v1/things/t1");
}

// Concurrent requests, some answered, some hanging, when Stop() comes and
// the gateway is destroyed: every client gets an answer or a closed
// connection, and no callback outlives the gateway (a use-after-free here
// crashes the test, or is reported by a sanitizer build).
TEST_F(GatewayIntegrationTest, StopAndDestroyWithConcurrentRequestsInFlight) {
  GatewayOptions options = BaseOptions(server_->address());
  options.shutdown_grace = absl::Milliseconds(20);
  options.http_threads = 4;
  StartGateway(std::move(options));
  constexpr int kClients = 16;
  std::atomic<int> answered{0};
  std::atomic<bool> stop{false};
  std::vector<std::future<absl::Status>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::async(std::launch::async, [&, i, port = gateway_->port()]() -> absl::Status {
      auto client = HttpClient::Connect("127.0.0.1", port);
      if (!client.ok()) return client.status();
      while (!stop.load()) {
        auto r = i % 4 == 0 ? (*client)->Send("POST", "/v1/hang", "{}")
                            : (*client)->Send("GET", "/v1/things/t" + std::to_string(i));
        if (!r.ok()) return absl::OkStatus();  // the gateway closed the connection
        if (r->status != 200 && r->status != 499 && r->status != 503) {
          return absl::InternalError("unexpected HTTP " + std::to_string(r->status) + ": " + r->body);
        }
        ++answered;
        if (!r->keep_alive) return absl::OkStatus();
      }
      return absl::OkStatus();
    }));
  }
  ASSERT_TRUE(tane::testing::WaitFor(
      [] { return server_->service().hanging() >= kClients / 4; }));
  ASSERT_TRUE(tane::testing::WaitFor([&] { return answered.load() >= 4 * kClients; }));
  gateway_->Stop();
  gateway_.reset();
  stop = true;
  for (auto& client : clients) EXPECT_TRUE(client.get().ok());
  EXPECT_TRUE(tane::testing::WaitFor([] { return server_->service().hanging() == 0; }));
}

// A partner key of the international service ("tpk_...") with no
// international service to ask is never taken on trust.
TEST_F(GatewayIntegrationTest, PartnerKeysNeedTheInternationalService) {
  const std::string key = "tpk_0123456789abcdef_" + std::string(43, 'x');
  const int calls = server_->service().calls();
  HttpResult r = Send("GET", "/v1/partner/whoami", "", {{"X-Api-Key", key}});
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(Field(Parse(r.body), "code"), "UNAVAILABLE");
  EXPECT_THAT(Field(Parse(r.body), "message"), HasSubstr("set TANE_INTERNATIONAL_ADDR"));
  EXPECT_EQ(server_->service().calls(), calls) << "forwarded";
}

// The gateway in front of the real international service (Redis, the Kafka
// mock cluster), which issues and revokes the partner keys, and of the test
// service the partner's requests go to.
class GatewayPartnerKeyTest : public GatewayIntegrationTest {
 protected:
  void SetUp() override {
    const std::vector<std::string> consumed = {"tane.calls.events", "tane.reviews.events"};
    auto infra = service_testing::TestInfrastructure::Start(
        {.topics = service_testing::TopicsOf("international", consumed), .kafka_brokers = 1, .partitions = 1});
    ASSERT_TRUE(infra.ok()) << infra.status();
    infra_ = *std::move(infra);
    service_testing::ServiceUnderTest::Options options = infra_->OptionsFor("international");
    options.internal_token = kInternalToken;
    options.consume_topics = consumed;
    auto sut = service_testing::ServiceUnderTest::Create(std::move(options));
    ASSERT_TRUE(sut.ok()) << sut.status();
    international_ = *std::move(sut);
    international_->Serve(std::make_unique<international::InternationalService>(international_->kit()))
        .RegisterEventHandlers();
    ASSERT_TRUE(international_->Start(absl::Seconds(20)).ok());
    address_ = international_->address();
    stub_ = international_->NewStub<international::v1::InternationalService>();

    international::v1::CreatePartnerAgencyRequest create;
    create.mutable_partner_agency()->set_agency_code("ANR");
    create.mutable_partner_agency()->set_name("Agence nationale de la recherche");
    create.mutable_partner_agency()->set_country_code("FR");
    create.mutable_partner_agency()->set_currency_code("EUR");
    create.set_idempotency_key("register-anr");
    international::v1::PartnerAgency agency;
    auto created = Call(&Stub::CreatePartnerAgency, create, &agency);
    ASSERT_TRUE(created.ok()) << created;
  }

  // Drains and stops the international service; address_ stays what it was.
  void StopInternational() { international_.reset(); }

  using Stub = international::v1::InternationalService::Stub;

  template <typename Request, typename Response>
  absl::Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                    const Request& request, Response* response) {
    grpc::ClientContext context;
    runtime::AttachIdentity(context, {"op-1", "operator", ""}, kInternalToken);
    return runtime::FromGrpcStatus(((*stub_).*method)(&context, request, response));
  }

  // Issues an API key of ANR; sets its credential id.
  std::string IssueKey(const std::string& idempotency_key, std::string* credential_id) {
    international::v1::IssuePartnerCredentialRequest issue;
    issue.set_agency_code("ANR");
    issue.set_kind(international::v1::CREDENTIAL_KIND_API_KEY);
    issue.set_label("exchange server");
    issue.set_idempotency_key(idempotency_key);
    international::v1::IssuePartnerCredentialResponse issued;
    const absl::Status status = Call(&Stub::IssuePartnerCredential, issue, &issued);
    EXPECT_TRUE(status.ok()) << status;
    *credential_id = issued.credential().credential_id();
    return issued.api_key();
  }

  void Revoke(const std::string& credential_id) {
    international::v1::RevokePartnerCredentialRequest revoke;
    revoke.set_agency_code("ANR");
    revoke.set_credential_id(credential_id);
    revoke.set_idempotency_key("revoke-" + credential_id);
    international::v1::PartnerAgency agency;
    const absl::Status status = Call(&Stub::RevokePartnerCredential, revoke, &agency);
    ASSERT_TRUE(status.ok()) << status;
  }

  void StartGatewayWithPartnerKeyTtl(absl::Duration ttl, std::optional<RateLimitOptions> rate_limit = std::nullopt) {
    GatewayOptions options = BaseOptions(server_->address());
    options.upstreams["international"] = address_;
    options.services.push_back(international::v1::PartnerAgency::descriptor()->file()->FindServiceByName(
        "InternationalService"));
    options.partner_key_ttl = ttl;
    if (rate_limit.has_value()) options.rate_limit = *rate_limit;
    StartGateway(std::move(options));
  }

  HttpResult AsPartner(const std::string& key) { return Send("GET", "/v1/partner/whoami", "", {{"X-Api-Key", key}}); }

  // Destroyed after the base class's TearDown stopped the gateway.
  std::unique_ptr<service_testing::TestInfrastructure> infra_;
  std::unique_ptr<service_testing::ServiceUnderTest> international_;
  std::unique_ptr<Stub> stub_;
  std::string address_;
};

TEST_F(GatewayPartnerKeyTest, KeysIssuedAndRevokedAtTheServiceAreHonouredWithoutRestart) {
  StartGatewayWithPartnerKeyTtl(absl::Hours(1));
  // Issued after the gateway started: accepted at once.
  std::string id;
  const std::string key = IssueKey("key-1", &id);
  ASSERT_THAT(key, ::testing::StartsWith("tpk_"));
  HttpResult accepted = AsPartner(key);
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  Struct who = Parse(accepted.body);
  EXPECT_EQ(Field(who, "subject"), "partner-credential:" + id);
  EXPECT_EQ(Field(who, "role"), "partner");
  EXPECT_EQ(Field(who, "agency"), "ANR");
  EXPECT_EQ(Field(who, "internalToken"), kInternalToken);

  // A key the service does not know, in the right form or not.
  for (const std::string& unknown : {"tpk_" + id + "_" + std::string(43, 'A'), std::string("tpk_nonsense")}) {
    HttpResult refused = AsPartner(unknown);
    EXPECT_EQ(refused.status, 401) << unknown << ": " << refused.body;
    EXPECT_EQ(Field(Parse(refused.body), "message"), "unknown, revoked or expired partner API key");
    EXPECT_EQ(refused.Header("www-authenticate"), "Bearer realm=\"tane\", error=\"invalid_token\"");
  }

  // Revoked: remembered as accepted for the ttl (an hour here) ...
  Revoke(id);
  EXPECT_EQ(AsPartner(key).status, 200);
  // ... and refused by a gateway that remembers answers briefly, once that passed.
  StartGatewayWithPartnerKeyTtl(absl::Milliseconds(200));
  std::string other_id;
  const std::string other = IssueKey("key-2", &other_id);
  EXPECT_EQ(AsPartner(other).status, 200);
  EXPECT_EQ(AsPartner(key).status, 401);
  Revoke(other_id);
  int last = 0;
  EXPECT_TRUE(tane::testing::WaitFor([&] { return (last = AsPartner(other).status) == 401; }))
      << "still " << last;
}

TEST_F(GatewayPartnerKeyTest, InternationalOutageIs503UnlessTheAnswerIsRemembered) {
  StartGatewayWithPartnerKeyTtl(absl::Hours(1));
  std::string id;
  const std::string key = IssueKey("key-1", &id);
  const std::string unknown = "tpk_" + id + "_" + std::string(43, 'B');
  ASSERT_EQ(AsPartner(key).status, 200);
  ASSERT_EQ(AsPartner(unknown).status, 401);
  const int calls = server_->service().calls();

  StopInternational();
  std::mutex mu;
  std::vector<std::string> lines;
  telemetry::SetLogSink([&](std::string_view line) {
    std::lock_guard lock(mu);
    if (line.find("\"msg\":\"http request\"") != std::string_view::npos) lines.emplace_back(line);
  });
  // Remembered answers, both kinds, still hold.
  EXPECT_EQ(AsPartner(key).status, 200);
  EXPECT_EQ(AsPartner(unknown).status, 401);
  // A key never asked about: neither taken on trust nor refused.
  HttpResult outage = AsPartner("tpk_" + id + "_" + std::string(43, 'C'));
  telemetry::SetLogSink(nullptr);
  {
    // The access log says why each one was answered as it was; the 503
    // names what international answered, and no routed RPC was called.
    std::lock_guard lock(mu);
    ASSERT_EQ(lines.size(), 3u);
    Struct cached = Parse(lines[0]);
    EXPECT_EQ(Field(cached, "status"), "200");
    EXPECT_EQ(Field(cached, "partner_key_check"), "cached");
    EXPECT_EQ(Field(Parse(lines[1]), "partner_key_check"), "cached");
    Struct unverified = Parse(lines[2]);
    EXPECT_EQ(Field(unverified, "status"), "503");
    EXPECT_THAT(Field(unverified, "partner_key_check"), ::testing::StartsWith("unavailable:"));
    EXPECT_EQ(Field(unverified, "grpc_code"), "");
  }
  EXPECT_EQ(outage.status, 503) << outage.body;
  EXPECT_EQ(outage.Header("content-type"), "application/json");
  Struct error = Parse(outage.body);
  EXPECT_EQ(Field(error, "code"), "UNAVAILABLE");
  EXPECT_THAT(Field(error, "message"),
              HasSubstr("cannot verify the partner API key now: the international service answered "));
  EXPECT_EQ(outage.Header("www-authenticate"), "");
  // Nor is the outage remembered: asked again, still 503, never 200 or 401.
  EXPECT_EQ(AsPartner("tpk_" + id + "_" + std::string(43, 'C')).status, 503);

  // Remembering nothing: every partner key is 503 while the service is down.
  StartGatewayWithPartnerKeyTtl(absl::ZeroDuration());
  EXPECT_EQ(AsPartner(key).status, 503);
  EXPECT_EQ(AsPartner(unknown).status, 503);
  // The operator's keys file still works; only the remembered key reached the test service.
  EXPECT_EQ(AsPartner(kPartnerKey).status, 200);
  EXPECT_EQ(server_->service().calls(), calls + 2);
}

TEST_F(GatewayPartnerKeyTest, MadeUpKeysAreRateLimitedBeforeInternationalIsAsked) {
  StartGatewayWithPartnerKeyTtl(absl::Hours(1), RateLimitOptions{0.5, 2});
  std::string id;
  const std::string key = IssueKey("key-1", &id);
  // The address's burst of 2 pays for the first two checks (the real key's
  // and one made-up key's); the next made-up key is refused before international is asked.
  ASSERT_EQ(AsPartner(key).status, 200);
  EXPECT_EQ(AsPartner("tpk_" + id + "_" + std::string(43, 'D')).status, 401);
  HttpResult limited = AsPartner("tpk_" + id + "_" + std::string(43, 'E'));
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_EQ(limited.Header("retry-after"), "2");
  EXPECT_THAT(Field(Parse(limited.body), "message"), HasSubstr("rate limit exceeded for this address"));
  // The key already verified is answered from the cache and limited per subject, not per address.
  EXPECT_EQ(AsPartner(key).status, 200);

  const std::string exposition = metrics_->Exposition();
  EXPECT_THAT(exposition, HasSubstr(R"(tane_gateway_partner_key_checks_total{outcome="accepted"} 1)"));
  EXPECT_THAT(exposition, HasSubstr(R"(tane_gateway_partner_key_checks_total{outcome="refused"} 1)"));
  EXPECT_THAT(exposition, HasSubstr(R"(tane_gateway_partner_key_checks_total{outcome="rate_limited"} 1)"));
  EXPECT_THAT(exposition, HasSubstr(R"(tane_gateway_partner_key_checks_total{outcome="cached"} 1)"));
  EXPECT_THAT(exposition, HasSubstr(R"(tane_gateway_partner_key_checks_total{outcome="unavailable"} 0)"));
}

TEST_F(GatewayIntegrationTest, CreateRefusesBadOptions) {
  telemetry::Metrics metrics;
  GatewayOptions bad_addr = BaseOptions(server_->address());
  bad_addr.http_addr = "nowhere";
  EXPECT_EQ(Gateway::Create(bad_addr, &metrics).status().code(), absl::StatusCode::kInvalidArgument);
  GatewayOptions stray = BaseOptions(server_->address());
  stray.upstreams["reviewz"] = "127.0.0.1:1";
  EXPECT_THAT(std::string(Gateway::Create(stray, &metrics).status().message()),
              HasSubstr("upstream \"reviewz\" but no linked proto service routes to it"));
  GatewayOptions short_secret = BaseOptions(server_->address());
  short_secret.jwt.hs256_secret = "short";
  EXPECT_EQ(Gateway::Create(short_secret, &metrics).status().code(), absl::StatusCode::kInvalidArgument);
  // Two gateways cannot share a port.
  GatewayOptions same_port = BaseOptions(server_->address());
  same_port.http_addr = "127.0.0.1:" + std::to_string(gateway_->port());
  auto second = Gateway::Create(same_port, &metrics);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ((*second)->Start().code(), absl::StatusCode::kUnavailable);
  GatewayOptions negative_ttl = BaseOptions(server_->address());
  negative_ttl.partner_key_ttl = absl::Seconds(-1);
  EXPECT_THAT(std::string(Gateway::Create(negative_ttl, &metrics).status().message()),
              HasSubstr("partner_key_ttl must not be negative"));
  GatewayOptions no_timeout = BaseOptions(server_->address());
  no_timeout.partner_key_timeout = absl::ZeroDuration();
  EXPECT_THAT(std::string(Gateway::Create(no_timeout, &metrics).status().message()),
              HasSubstr("partner_key_timeout must be positive"));
}

}  // namespace
}  // namespace tane::gateway
