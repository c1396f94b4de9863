#include "tane/gateway/route_table.h"

#include <gmock/gmock.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include "absl/strings/str_join.h"
#include "google/api/annotations.pb.h"
#include "tane/common/v1/policy.pb.h"
#include "tane/gwtest/v1/gwtest.pb.h"

namespace tane::gateway {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;

const google::protobuf::ServiceDescriptor* ThingService() {
  return gwtest::v1::Thing::descriptor()->file()->FindServiceByName("ThingService");
}

RouteTable ThingRoutes() {
  auto table = RouteTable::Build({ThingService()});
  EXPECT_TRUE(table.ok()) << table.status();
  return *std::move(table);
}

RouteTable::Match Find(const RouteTable& table, std::string method, std::string path) {
  auto split = SplitRequestPath(path);
  EXPECT_TRUE(split.ok()) << path;
  return table.Find(method, *split);
}

TEST(RouteTableTest, BuildsEveryBindingOfTheTestService) {
  RouteTable table = ThingRoutes();
  std::vector<std::string> names;
  for (const auto& route : table.routes()) names.push_back(route->name);
  EXPECT_THAT(names, IsSupersetOf({"GET /v1/things/{thing_id}", "GET /v1/shelves/{shelf_id}/things", "GET /v1/things",
                                   "POST /v1/things/{thing_id}:submit", "PATCH /v1/{thing.name=shelves/*/things/*}",
                                   "DELETE /v1/things/{thing_id}", "GET /v1/files/{path=**}", "GET /v1/hidden"}));
  // Internal has no http rule; Watch streams.
  for (const auto& route : table.routes()) {
    EXPECT_NE(route->method->name(), "Internal");
    EXPECT_NE(route->method->name(), "Watch");
  }
  EXPECT_THAT(table.skipped(), ElementsAre("tane.gwtest.v1.ThingService.Watch: streaming RPCs are not transcoded"));
  EXPECT_THAT(table.Upstreams(), ElementsAre("gwtest"));
}

TEST(RouteTableTest, RouteCarriesMappingAndPolicy) {
  RouteTable table = ThingRoutes();
  auto create = Find(table, "POST", "/v1/shelves/s1/things");
  ASSERT_EQ(create.kind, RouteTable::Match::Kind::kFound);
  const Route& route = *create.route;
  EXPECT_EQ(route.grpc_method, "/tane.gwtest.v1.ThingService/CreateThing");
  EXPECT_EQ(route.upstream, "gwtest");
  EXPECT_EQ(route.body, Route::Body::kField);
  EXPECT_EQ(route.body_field->name(), "thing");
  EXPECT_TRUE(route.policy.declared);
  EXPECT_FALSE(route.policy.anonymous);
  EXPECT_THAT(route.policy.roles, ElementsAre("applicant"));
  EXPECT_THAT(create.raw_values, ElementsAre("s1"));

  auto update = Find(table, "PATCH", "/v1/shelves/s1/things/t%2F2");
  ASSERT_EQ(update.kind, RouteTable::Match::Kind::kFound);
  ASSERT_EQ(update.route->path_fields.size(), 1u);
  EXPECT_EQ(update.route->path_fields[0].size(), 2u);  // thing -> name
  EXPECT_EQ(update.route->path_fields[0].back()->full_name(), "tane.gwtest.v1.Thing.name");
  EXPECT_THAT(update.raw_values, ElementsAre("shelves/s1/things/t%2F2"));

  auto count = Find(table, "GET", "/v1/shelves/s1/things:count");
  ASSERT_EQ(count.kind, RouteTable::Match::Kind::kFound);
  EXPECT_EQ(count.route->method->name(), "CountThings");
  ASSERT_NE(count.route->response_field, nullptr);
  EXPECT_EQ(count.route->response_field->name(), "total");

  auto list_all = Find(table, "GET", "/v1/things");
  ASSERT_EQ(list_all.kind, RouteTable::Match::Kind::kFound);
  EXPECT_EQ(list_all.route->method->name(), "ListThings");
  EXPECT_EQ(list_all.route->binding, 1);

  auto hidden = Find(table, "GET", "/v1/hidden");
  ASSERT_EQ(hidden.kind, RouteTable::Match::Kind::kFound);
  EXPECT_FALSE(hidden.route->policy.declared);
}

TEST(RouteTableTest, FindsTheMostSpecificRouteAndReportsOtherMethods) {
  RouteTable table = ThingRoutes();
  struct Case {
    std::string method;
    std::string path;
    RouteTable::Match::Kind kind;
    std::string rpc;  // found: method name; not allowed: the allowed methods joined
  } cases[] = {
      {"GET", "/v1/things/t1", RouteTable::Match::Kind::kFound, "GetThing"},
      {"POST", "/v1/things/t1:submit", RouteTable::Match::Kind::kFound, "SubmitThing"},
      {"GET", "/v1/shelves/s/things", RouteTable::Match::Kind::kFound, "ListThings"},
      {"GET", "/v1/shelves/s/things:count", RouteTable::Match::Kind::kFound, "CountThings"},
      {"DELETE", "/v1/things/t1", RouteTable::Match::Kind::kFound, "DeleteThing"},
      {"GET", "/v1/files/a/b/c", RouteTable::Match::Kind::kFound, "GetFile"},
      {"PUT", "/v1/things/t1", RouteTable::Match::Kind::kMethodNotAllowed, "DELETE,GET"},
      {"GET", "/v1/things/t1:submit", RouteTable::Match::Kind::kMethodNotAllowed, "POST"},
      {"GET", "/v1/things/t1:explode", RouteTable::Match::Kind::kNotFound, ""},
      {"GET", "/v2/things", RouteTable::Match::Kind::kNotFound, ""},
      {"GET", "/v1/things/t1/extra", RouteTable::Match::Kind::kNotFound, ""},
  };
  for (const Case& c : cases) {
    auto match = Find(table, c.method, c.path);
    EXPECT_EQ(match.kind, c.kind) << c.method << " " << c.path;
    if (c.kind == RouteTable::Match::Kind::kFound) {
      EXPECT_EQ(match.route->method->name(), c.rpc) << c.path;
    } else if (c.kind == RouteTable::Match::Kind::kMethodNotAllowed) {
      EXPECT_EQ(absl::StrJoin(match.allowed, ","), c.rpc) << c.path;
    }
  }
}

// Builds one service from a text FileDescriptorProto over the generated pool,
// so a test can write any (broken) annotation.
class DynamicService {
 public:
  explicit DynamicService(const std::string& methods) : pool_(google::protobuf::DescriptorPool::generated_pool()) {
    google::protobuf::FileDescriptorProto file;
    const std::string text = R"(
      name: "tane/dyn/v1/dyn.proto" package: "tane.dyn.v1" syntax: "proto3"
      dependency: "tane/gwtest/v1/gwtest.proto"
      dependency: "google/api/annotations.proto"
      dependency: "tane/common/v1/policy.proto"
      service { name: "DynService" )" +
                             methods + "}";
    EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &file)) << text;
    const google::protobuf::FileDescriptor* built = pool_.BuildFile(file);
    EXPECT_NE(built, nullptr);
    service_ = built == nullptr ? nullptr : built->service(0);
  }
  const google::protobuf::ServiceDescriptor* service() const { return service_; }

 private:
  google::protobuf::DescriptorPool pool_;
  const google::protobuf::ServiceDescriptor* service_ = nullptr;
};

std::string Method(const std::string& name, const std::string& http, const std::string& policy = "roles: \"operator\"",
                   const std::string& input = "GetThingRequest", const std::string& output = "Thing") {
  return "method { name: \"" + name + "\" input_type: \".tane.gwtest.v1." + input +
         "\" output_type: \".tane.gwtest.v1." + output + "\" options { [google.api.http] { " + http +
         " } [tane.common.v1.policy] { " + policy + " } } }";
}

TEST(RouteTableTest, RefusesBrokenAnnotationsListingEveryProblem) {
  struct Case {
    std::string methods;
    std::string error;
  } cases[] = {
      {Method("A", "get: \"/v1/x/{nope}\""),
       "DynService.A: path variable {nope}: no field \"nope\" in tane.gwtest.v1.GetThingRequest"},
      {Method("A", "get: \"/v1/x/{thing_id.x}\""), "\"thing_id\" is not a message, so it has no field \"x\""},
      {Method("A", "get: \"/v1/x/{colors}\"", "roles: \"operator\"", "ListThingsRequest"),
       "path variable {colors} must name a singular scalar or enum field"},
      {Method("A", "get: \"/v1/x/{min_size}\"", "roles: \"operator\"", "ListThingsRequest"),
       "path variable {min_size} must name a singular scalar or enum field"},
      {Method("A", "get: \"/v1/x/{thing_id}\" body: \"*\""), "GET cannot have a request body"},
      {Method("A", "delete: \"/v1/x/{thing_id}\" body: \"*\""), "DELETE cannot have a request body"},
      {Method("A", "post: \"/v1/x\" body: \"nope\""), "body \"nope\" is not a field of tane.gwtest.v1.GetThingRequest"},
      {Method("A", "get: \"/v1/x\" response_body: \"nope\""),
       "response_body \"nope\" is not a field of tane.gwtest.v1.Thing"},
      {Method("A", "get: \"/v1/x\"", "roles: \"dean\""), "its policy names unknown role \"dean\""},
      {Method("A", "get: \"/v1/x\"", "anonymous: false"), "its policy lists no roles and is not anonymous"},
      {Method("A", "get: \"/v1/x\" additional_bindings { get: \"/v1/y\" additional_bindings { get: \"/v1/z\" } }"),
       "additional_bindings cannot nest"},
      {Method("A", "get: \"v1/x\""), "a template starts with '/'"},
      {Method("A", "custom { kind: \"head\" path: \"/v1/x\" }"), "custom method kind \"head\" must be upper-case"},
      {Method("A", "body: \"*\""), "the rule has no HTTP method and path"},
      {Method("A", "get: \"/v1/x/{thing_id}\"") + Method("B", "get: \"/v1/x/{revision}\""),
       "route conflict: GET /v1/x/{revision} (tane.dyn.v1.DynService.B) and GET /v1/x/{thing_id} "
       "(tane.dyn.v1.DynService.A) match the same requests"},
      {Method("A", "get: \"/v1/x\" additional_bindings { get: \"/v1/x\" }"), "route conflict"},
  };
  for (const Case& c : cases) {
    DynamicService dyn(c.methods);
    ASSERT_NE(dyn.service(), nullptr) << c.methods;
    auto table = RouteTable::Build({dyn.service()});
    ASSERT_FALSE(table.ok()) << c.methods;
    EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(table.status().message()), HasSubstr(c.error)) << c.methods;
  }
}

TEST(RouteTableTest, ListsAllProblemsAtOnce) {
  DynamicService dyn(Method("A", "get: \"/v1/x/{nope}\"") + Method("B", "get: \"/v1/y\"", "roles: \"dean\""));
  auto table = RouteTable::Build({dyn.service()});
  ASSERT_FALSE(table.ok());
  EXPECT_THAT(std::string(table.status().message()), HasSubstr("DynService.A"));
  EXPECT_THAT(std::string(table.status().message()), HasSubstr("DynService.B"));
}

TEST(RouteTableTest, DifferentMethodsOrVerbsDoNotConflict) {
  DynamicService dyn(Method("A", "get: \"/v1/x/{thing_id}\"") + Method("B", "post: \"/v1/x/{thing_id}\" body: \"*\"") +
                     Method("C", "post: \"/v1/x/{thing_id}:go\" body: \"*\"") +
                     Method("D", "custom { kind: \"LOCK\" path: \"/v1/x/{thing_id}\" }"));
  auto table = RouteTable::Build({dyn.service()});
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->routes().size(), 4u);
  auto lock = table->Find("LOCK", *SplitRequestPath("/v1/x/1"));
  ASSERT_EQ(lock.kind, RouteTable::Match::Kind::kFound);
  EXPECT_EQ(lock.route->method->name(), "D");
}

// The real service protos linked into this test: calls (and projects, funds,
// and reviews/international once they exist).
TEST(RouteTableTest, BuildsFromTheLinkedServiceProtos) {
  std::vector<const google::protobuf::ServiceDescriptor*> services = LinkedServices();
  std::vector<std::string> names;
  for (const auto* s : services) names.push_back(s->full_name());
  EXPECT_THAT(names, Contains("tane.calls.v1.CallsService"));
  EXPECT_THAT(names, Contains("tane.gwtest.v1.ThingService"));
  for (const std::string& name : names) EXPECT_EQ(name.rfind("tane.", 0), 0u) << name;

  auto table = RouteTable::Build(services);
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_THAT(table->Upstreams(), IsSupersetOf({"calls", "gwtest"}));
  struct Case {
    std::string method;
    std::string path;
    std::string rpc;
  } cases[] = {
      {"GET", "/v1/calls", "tane.calls.v1.CallsService.ListCalls"},
      {"POST", "/v1/calls/c1/applications", "tane.calls.v1.CallsService.CreateApplication"},
      {"GET", "/v1/calls/c1/applications", "tane.calls.v1.CallsService.ListApplications"},
      {"GET", "/v1/calls/c1/applications:count", "tane.calls.v1.CallsService.CountApplications"},
      {"POST", "/v1/applications/a1:submit", "tane.calls.v1.CallsService.SubmitApplication"},
      {"PATCH", "/v1/applications/a1", "tane.calls.v1.CallsService.UpdateApplication"},
      {"GET", "/v1/me/applications", "tane.calls.v1.CallsService.ListMyApplications"},
      {"GET", "/v1/programs/crest", "tane.calls.v1.CallsService.GetProgram"},
  };
  for (const Case& c : cases) {
    auto match = Find(*table, c.method, c.path);
    ASSERT_EQ(match.kind, RouteTable::Match::Kind::kFound) << c.method << " " << c.path;
    EXPECT_EQ(match.route->method->full_name(), c.rpc);
    EXPECT_EQ(match.route->upstream, "calls");
    EXPECT_TRUE(match.route->policy.declared) << c.rpc;
  }
  // Every calls RPC declares a policy (the proto convention).
  for (const auto& route : table->routes()) {
    if (route->upstream == "calls") {
      EXPECT_TRUE(route->policy.declared) << route->name;
    }
  }
}

TEST(RouteTableTest, UpstreamOfPackage) {
  EXPECT_EQ(UpstreamOf(*ThingService()), "gwtest");
  auto* calls = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName("tane.calls.v1.CallsService");
  ASSERT_NE(calls, nullptr);
  EXPECT_EQ(UpstreamOf(*calls), "calls");
}

}  // namespace
}  // namespace tane::gateway
