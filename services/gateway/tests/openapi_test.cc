#include "tane/gateway/openapi.h"

#include <gmock/gmock.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <set>

namespace tane::gateway {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;
using ::testing::Contains;
using ::testing::HasSubstr;

class OpenApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto table = RouteTable::Build(LinkedServices());
    ASSERT_TRUE(table.ok()) << table.status();
    json_ = BuildOpenApi(*table);
    // Parsed back with a real JSON parser: the document must be valid JSON.
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json_, &doc_).ok()) << json_.substr(0, 2000);
  }

  const Struct& Obj(const Struct& s, const std::string& key) {
    auto it = s.fields().find(key);
    EXPECT_NE(it, s.fields().end()) << key;
    static const Struct kEmpty;
    return it == s.fields().end() ? kEmpty : it->second.struct_value();
  }
  const Struct& Operation(const std::string& path, const std::string& method) {
    return Obj(Obj(Obj(doc_, "paths"), path), method);
  }
  static std::vector<std::string> Names(const Value& parameters) {
    std::vector<std::string> names;
    for (const Value& p : parameters.list_value().values())
      names.push_back(p.struct_value().fields().at("name").string_value());
    return names;
  }

  std::string json_;
  Struct doc_;
};

TEST_F(OpenApiTest, HasTheTopLevelShape) {
  EXPECT_EQ(doc_.fields().at("openapi").string_value(), "3.0.3");
  EXPECT_EQ(Obj(doc_, "info").fields().at("title").string_value(), "Tane API");
  const Struct& schemes = Obj(Obj(doc_, "components"), "securitySchemes");
  EXPECT_EQ(Obj(schemes, "bearerAuth").fields().at("type").string_value(), "http");
  EXPECT_EQ(Obj(schemes, "bearerAuth").fields().at("scheme").string_value(), "bearer");
  EXPECT_EQ(Obj(schemes, "bearerAuth").fields().at("bearerFormat").string_value(), "JWT");
  EXPECT_EQ(Obj(schemes, "apiKey").fields().at("in").string_value(), "header");
  EXPECT_EQ(Obj(schemes, "apiKey").fields().at("name").string_value(), "X-Api-Key");
  const Struct& paths = Obj(doc_, "paths");
  for (std::string path : {"/healthz", "/readyz", "/openapi.json"}) EXPECT_TRUE(paths.fields().contains(path)) << path;
}

TEST_F(OpenApiTest, OperationsOfTheCallsService) {
  const Struct& submit = Operation("/v1/applications/{application_id}:submit", "post");
  EXPECT_EQ(submit.fields().at("operationId").string_value(), "CallsService_SubmitApplication");
  EXPECT_THAT(submit.fields().at("description").string_value(), HasSubstr("Roles: applicant"));
  EXPECT_EQ(submit.fields().at("x-tane-roles").list_value().values(0).string_value(), "applicant");
  const auto& security = submit.fields().at("security").list_value();
  ASSERT_EQ(security.values_size(), 2);  // bearer or API key, not anonymous
  EXPECT_TRUE(security.values(0).struct_value().fields().contains("bearerAuth"));
  const auto& params = submit.fields().at("parameters").list_value();
  ASSERT_EQ(params.values_size(), 1);  // body "*": only the path parameter
  const Struct& param = params.values(0).struct_value();
  EXPECT_EQ(param.fields().at("name").string_value(), "application_id");
  EXPECT_EQ(param.fields().at("in").string_value(), "path");
  EXPECT_TRUE(param.fields().at("required").bool_value());
  EXPECT_EQ(Obj(Obj(Obj(Obj(submit, "requestBody"), "content"), "application/json"), "schema")
                .fields()
                .at("$ref")
                .string_value(),
            "#/components/schemas/tane.calls.v1.SubmitApplicationRequest");

  const Struct& list_calls = Operation("/v1/calls", "get");
  EXPECT_TRUE(list_calls.fields().at("x-tane-anonymous").bool_value());
  EXPECT_EQ(list_calls.fields().at("security").list_value().values(0).struct_value().fields_size(), 0);  // {}: optional
  EXPECT_THAT(Names(list_calls.fields().at("parameters")), Contains("pageSize"));
  EXPECT_THAT(Names(list_calls.fields().at("parameters")), Contains("openOnly"));

  const Struct& create_app = Operation("/v1/calls/{call_id}/applications", "post");
  EXPECT_EQ(Obj(Obj(Obj(Obj(create_app, "requestBody"), "content"), "application/json"), "schema")
                .fields()
                .at("$ref")
                .string_value(),
            "#/components/schemas/tane.calls.v1.Application");
  EXPECT_THAT(Names(create_app.fields().at("parameters")), Contains("idempotencyKey"));
  EXPECT_TRUE(Obj(Obj(doc_, "paths"), "/v1/calls/{call_id}/applications:count").fields().contains("get"));
}

TEST_F(OpenApiTest, SchemasFollowTheJsonMapping) {
  const Struct& schemas = Obj(Obj(doc_, "components"), "schemas");
  const Struct& app = Obj(Obj(schemas, "tane.calls.v1.Application"), "properties");
  EXPECT_EQ(Obj(app, "totalDirectYen").fields().at("type").string_value(), "string");
  EXPECT_EQ(Obj(app, "totalDirectYen").fields().at("format").string_value(), "int64");
  EXPECT_EQ(Obj(app, "submittedAt").fields().at("format").string_value(), "date-time");
  EXPECT_EQ(Obj(app, "budgetPlan").fields().at("type").string_value(), "array");
  EXPECT_EQ(Obj(app, "state").fields().at("$ref").string_value(),
            "#/components/schemas/tane.calls.v1.ApplicationState");
  const auto& states = Obj(schemas, "tane.calls.v1.ApplicationState").fields().at("enum").list_value();
  EXPECT_EQ(states.values(1).string_value(), "APPLICATION_STATE_DRAFT");
  EXPECT_TRUE(schemas.fields().contains("Error"));
}

TEST_F(OpenApiTest, TestServiceShapes) {
  const Struct& list = Operation("/v1/shelves/{shelf_id}/things", "get");
  std::vector<std::string> names = Names(list.fields().at("parameters"));
  for (std::string expected :
       {"shelf_id", "pageSize", "colors", "minSize.width", "createdAfter", "maxAge", "readMask", "maxPriceYen"}) {
    EXPECT_THAT(names, Contains(expected));
  }
  EXPECT_TRUE(Obj(Obj(doc_, "paths"), "/v1/things").fields().contains("get"));  // additional binding
  EXPECT_EQ(Operation("/v1/things", "get").fields().at("operationId").string_value(), "ThingService_ListThings_1");
  EXPECT_TRUE(Obj(Obj(doc_, "paths"), "/v1/{thing.name}").fields().contains("patch"));
  EXPECT_FALSE(Obj(doc_, "paths").fields().contains("/v1/hidden")) << "an RPC without policy is not offered";
  EXPECT_FALSE(Obj(doc_, "paths").fields().contains("/v1/things/{thing_id}:watch"));
  const Struct& count = Operation("/v1/shelves/{shelf_id}/things:count", "get");
  EXPECT_EQ(Obj(Obj(Obj(Obj(Obj(count, "responses"), "200"), "content"), "application/json"), "schema")
                .fields()
                .at("format")
                .string_value(),
            "int64");
}

void CollectRefs(const Value& v, std::set<std::string>* refs) {
  if (v.has_struct_value()) {
    for (const auto& [k, child] : v.struct_value().fields()) {
      if (k == "$ref") refs->insert(child.string_value());
      CollectRefs(child, refs);
    }
  } else if (v.has_list_value()) {
    for (const Value& child : v.list_value().values()) CollectRefs(child, refs);
  }
}

TEST_F(OpenApiTest, EveryReferenceResolvesAndOperationIdsAreUnique) {
  Value root;
  *root.mutable_struct_value() = doc_;
  std::set<std::string> refs;
  CollectRefs(root, &refs);
  EXPECT_GT(refs.size(), 20u);
  const Struct& components = Obj(doc_, "components");
  for (const std::string& ref : refs) {
    const std::string schema_prefix = "#/components/schemas/";
    const std::string response_prefix = "#/components/responses/";
    if (ref.rfind(schema_prefix, 0) == 0) {
      EXPECT_TRUE(Obj(components, "schemas").fields().contains(ref.substr(schema_prefix.size()))) << ref;
    } else {
      ASSERT_EQ(ref.rfind(response_prefix, 0), 0u) << ref;
      EXPECT_TRUE(Obj(components, "responses").fields().contains(ref.substr(response_prefix.size()))) << ref;
    }
  }
  std::set<std::string> ids;
  for (const auto& [path, item] : Obj(doc_, "paths").fields()) {
    for (const auto& [method, op] : item.struct_value().fields()) {
      EXPECT_TRUE(ids.insert(op.struct_value().fields().at("operationId").string_value()).second) << path;
    }
  }
}

}  // namespace
}  // namespace tane::gateway
