#include "tane/gateway/openapi.h"

#include <google/protobuf/descriptor.h>

#include <deque>
#include <map>
#include <set>

#include "absl/strings/str_join.h"
#include "tane/gateway/errors.h"
#include "tane/gateway/json.h"
#include "tane/gateway/transcoder.h"

namespace tane::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;

// Query parameters are listed this deep into nested messages.
constexpr int kMaxQueryDepth = 3;

std::string SchemaRef(const std::string& full_name) { return "#/components/schemas/" + full_name; }

// Collects the messages and enums the document refers to, so each gets a
// component schema.
class SchemaSet {
 public:
  Json Ref(const Descriptor& message) {
    if (seen_.insert(message.full_name()).second) pending_.push_back(&message);
    return Json::Object().Set("$ref", SchemaRef(message.full_name()));
  }
  Json Ref(const EnumDescriptor& type) {
    enums_.emplace(type.full_name(), &type);
    return Json::Object().Set("$ref", SchemaRef(type.full_name()));
  }

  // The schema of one value of `field` (an element, for repeated fields).
  Json ValueSchema(const FieldDescriptor& field) {
    switch (field.type()) {
      case FieldDescriptor::TYPE_INT32:
      case FieldDescriptor::TYPE_SINT32:
      case FieldDescriptor::TYPE_SFIXED32:
        return Json::Object().Set("type", "integer").Set("format", "int32");
      case FieldDescriptor::TYPE_UINT32:
      case FieldDescriptor::TYPE_FIXED32:
        return Json::Object().Set("type", "integer").Set("minimum", 0).Set("maximum", int64_t{4294967295});
      case FieldDescriptor::TYPE_INT64:
      case FieldDescriptor::TYPE_SINT64:
      case FieldDescriptor::TYPE_SFIXED64:
        return Json::Object().Set("type", "string").Set("format", "int64");
      case FieldDescriptor::TYPE_UINT64:
      case FieldDescriptor::TYPE_FIXED64:
        return Json::Object().Set("type", "string").Set("format", "uint64");
      case FieldDescriptor::TYPE_DOUBLE:
        return Json::Object().Set("type", "number").Set("format", "double");
      case FieldDescriptor::TYPE_FLOAT:
        return Json::Object().Set("type", "number").Set("format", "float");
      case FieldDescriptor::TYPE_BOOL:
        return Json::Object().Set("type", "boolean");
      case FieldDescriptor::TYPE_STRING:
        return Json::Object().Set("type", "string");
      case FieldDescriptor::TYPE_BYTES:
        return Json::Object().Set("type", "string").Set("format", "byte");
      case FieldDescriptor::TYPE_ENUM:
        return Ref(*field.enum_type());
      case FieldDescriptor::TYPE_MESSAGE:
      case FieldDescriptor::TYPE_GROUP:
        return MessageSchema(*field.message_type());
    }
    return Json::Object();
  }

  Json FieldSchema(const FieldDescriptor& field) {
    if (field.is_map()) {
      return Json::Object()
          .Set("type", "object")
          .Set("additionalProperties", ValueSchema(*field.message_type()->map_value()));
    }
    if (field.is_repeated()) return Json::Object().Set("type", "array").Set("items", ValueSchema(field));
    return ValueSchema(field);
  }

  // Well-known types by their JSON form; other messages by reference.
  Json MessageSchema(const Descriptor& message) {
    const std::string& name = message.full_name();
    if (name == "google.protobuf.Timestamp") return Json::Object().Set("type", "string").Set("format", "date-time");
    if (name == "google.protobuf.Duration") {
      return Json::Object().Set("type", "string").Set("pattern", "^-?[0-9]+(\\.[0-9]{1,9})?s$").Set("example", "1.5s");
    }
    if (name == "google.protobuf.FieldMask") {
      return Json::Object().Set("type", "string").Set("description", "comma-separated lowerCamelCase field paths");
    }
    if (name == "google.protobuf.Struct") return Json::Object().Set("type", "object").Set("additionalProperties", true);
    if (name == "google.protobuf.Value") return Json::Object();
    if (name == "google.protobuf.ListValue") return Json::Object().Set("type", "array").Set("items", Json::Object());
    if (name == "google.protobuf.Empty") return Json::Object().Set("type", "object");
    if (name == "google.protobuf.Any") {
      return Json::Object()
          .Set("type", "object")
          .Set("properties", Json::Object().Set("@type", Json::Object().Set("type", "string")))
          .Set("additionalProperties", true);
    }
    if (message.file()->package() == "google.protobuf" && message.field_count() == 1 && name.size() > 5 &&
        name.compare(name.size() - 5, 5, "Value") == 0) {
      Json schema = ValueSchema(*message.field(0));  // wrappers: the wrapped value, or null
      schema.Set("nullable", true);
      return schema;
    }
    return Ref(message);
  }

  // Fills `components` with a schema for every message and enum referenced.
  void Emit(Json* components) {
    while (!pending_.empty()) {
      const Descriptor* message = pending_.front();
      pending_.pop_front();
      Json properties = Json::Object();
      for (int i = 0; i < message->field_count(); ++i) {
        const FieldDescriptor& field = *message->field(i);
        properties.Set(field.json_name(), FieldSchema(field));
      }
      messages_.emplace(message->full_name(),
                        Json::Object().Set("type", "object").Set("properties", std::move(properties)));
    }
    for (auto& [name, schema] : messages_) components->Set(name, std::move(schema));
    for (const auto& [name, type] : enums_) {
      Json values = Json::Array();
      for (int i = 0; i < type->value_count(); ++i) values.Push(type->value(i)->name());
      components->Set(name, Json::Object().Set("type", "string").Set("enum", std::move(values)));
    }
  }

 private:
  std::set<std::string> seen_;
  std::deque<const Descriptor*> pending_;
  std::map<std::string, Json> messages_;
  std::map<std::string, const EnumDescriptor*> enums_;
};

// Query parameters: every leaf not bound by the path or the body, named by
// its JSON path ("pageSize", "filter.state").
void AddQueryParameters(const Descriptor& message, const std::string& prefix, const std::string& proto_prefix,
                        const Route& route, int depth, std::set<const Descriptor*>* on_path, SchemaSet* schemas,
                        Json* parameters) {
  std::set<std::string> bound;
  for (const TemplateVariable& v : route.path.variables()) bound.insert(v.field_path);
  for (int i = 0; i < message.field_count(); ++i) {
    const FieldDescriptor& field = *message.field(i);
    const std::string proto_path = proto_prefix + field.name();
    if (bound.count(proto_path) > 0) continue;
    if (depth == 0 && route.body == Route::Body::kField && &field == route.body_field) continue;
    if (field.is_map()) continue;
    const std::string name = prefix + field.json_name();
    if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (IsScalarWellKnown(*field.message_type())) {
        Json schema = schemas->MessageSchema(*field.message_type());
        if (field.is_repeated()) schema = Json::Object().Set("type", "array").Set("items", std::move(schema));
        parameters->Push(Json::Object().Set("name", name).Set("in", "query").Set("schema", std::move(schema)));
        continue;
      }
      if (field.is_repeated() || depth + 1 >= kMaxQueryDepth || on_path->count(field.message_type()) > 0) continue;
      on_path->insert(field.message_type());
      AddQueryParameters(*field.message_type(), name + ".", proto_path + ".", route, depth + 1, on_path, schemas,
                         parameters);
      on_path->erase(field.message_type());
      continue;
    }
    parameters->Push(Json::Object().Set("name", name).Set("in", "query").Set("schema", schemas->FieldSchema(field)));
  }
}

Json Operation(const Route& route, SchemaSet* schemas) {
  const auto& method = *route.method;
  Json op = Json::Object();
  op.Set("operationId", method.service()->name() + "_" + method.name() +
                            (route.binding == 0 ? "" : "_" + std::to_string(route.binding)));
  op.Set("tags", Json::Array().Push(method.service()->full_name()));
  op.Set("summary", method.name());
  std::string description = "gRPC " + method.full_name() + ". ";
  description += route.policy.anonymous ? "Anyone may call it, with or without credentials."
                                        : "Roles: " + absl::StrJoin(route.policy.roles, ", ") + ".";
  op.Set("description", description);
  Json roles = Json::Array();
  for (const std::string& role : route.policy.roles) roles.Push(role);
  op.Set("x-tane-roles", std::move(roles));
  op.Set("x-tane-anonymous", route.policy.anonymous);

  Json parameters = Json::Array();
  for (size_t i = 0; i < route.path.variables().size(); ++i) {
    const TemplateVariable& v = route.path.variables()[i];
    Json p = Json::Object().Set("name", v.field_path).Set("in", "path").Set("required", true);
    p.Set("schema", schemas->FieldSchema(*route.path_fields[i].back()));
    if (v.multi_segment) {
      std::string pattern;
      for (size_t s = v.begin; s < v.end; ++s) {
        const TemplateSegment& seg = route.path.segments()[s];
        if (s > v.begin) pattern += "/";
        pattern += seg.kind == TemplateSegment::Kind::kLiteral    ? seg.literal
                   : seg.kind == TemplateSegment::Kind::kWildcard ? "*"
                                                                  : "**";
      }
      p.Set("description", "matches " + pattern + " (may contain '/')");
    }
    parameters.Push(std::move(p));
  }
  if (route.body != Route::Body::kWhole) {
    std::set<const Descriptor*> on_path = {route.method->input_type()};
    AddQueryParameters(*method.input_type(), "", "", route, 0, &on_path, schemas, &parameters);
  }
  if (parameters.size() > 0) op.Set("parameters", std::move(parameters));

  if (route.body != Route::Body::kNone) {
    Json schema = route.body == Route::Body::kWhole ? schemas->Ref(*method.input_type())
                                                    : schemas->FieldSchema(*route.body_field);
    op.Set("requestBody", Json::Object()
                              .Set("required", route.body == Route::Body::kField)
                              .Set("content", Json::Object().Set("application/json",
                                                                 Json::Object().Set("schema", std::move(schema)))));
  }
  Json response_schema = route.response_field == nullptr ? schemas->MessageSchema(*method.output_type())
                                                         : schemas->FieldSchema(*route.response_field);
  op.Set(
      "responses",
      Json::Object()
          .Set("200", Json::Object()
                          .Set("description", "OK")
                          .Set("content", Json::Object().Set("application/json",
                                                             Json::Object().Set("schema", std::move(response_schema)))))
          .Set("default", Json::Object().Set("$ref", "#/components/responses/Error")));
  Json security = Json::Array();
  if (route.policy.anonymous) security.Push(Json::Object());
  security.Push(Json::Object().Set("bearerAuth", Json::Array()));
  security.Push(Json::Object().Set("apiKey", Json::Array()));
  op.Set("security", std::move(security));
  return op;
}

Json ErrorSchema() {
  Json codes = Json::Array();
  for (int c = 1; c <= 16; ++c) codes.Push(std::string(CodeName(static_cast<absl::StatusCode>(c))));
  Json detail = Json::Object()
                    .Set("type", "object")
                    .Set("properties", Json::Object().Set("@type", Json::Object().Set("type", "string")))
                    .Set("additionalProperties", true);
  return Json::Object()
      .Set("type", "object")
      .Set("required", Json::Array().Push("code").Push("message").Push("details"))
      .Set("properties", Json::Object()
                             .Set("code", Json::Object().Set("type", "string").Set("enum", std::move(codes)))
                             .Set("message", Json::Object().Set("type", "string"))
                             .Set("details", Json::Object().Set("type", "array").Set("items", std::move(detail))));
}

Json PlainOperation(const std::string& summary, const std::string& description) {
  return Json::Object()
      .Set("operationId", summary)
      .Set("tags", Json::Array().Push("gateway"))
      .Set("summary", summary)
      .Set("description", description)
      .Set("security", Json::Array().Push(Json::Object()))
      .Set("responses", Json::Object()
                            .Set("200", Json::Object().Set("description", "OK"))
                            .Set("503", Json::Object().Set("description", "not ready")));
}

}  // namespace

std::string BuildOpenApi(const RouteTable& routes, const OpenApiInfo& info) {
  SchemaSet schemas;
  std::map<std::string, Json> paths;  // sorted by path
  for (const auto& route : routes.routes()) {
    if (!route->policy.declared) continue;
    std::string method = route->http_method;
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    paths[route->path.OpenApiPath()].Set(method, Operation(*route, &schemas));
  }
  paths["/healthz"].Set("get", PlainOperation("healthz", "Liveness: 200 while the gateway process serves HTTP."));
  paths["/readyz"].Set("get", PlainOperation("readyz",
                                             "Readiness: 200 when every configured upstream reports "
                                             "SERVING on grpc.health.v1, 503 otherwise, with each "
                                             "upstream's state."));
  paths["/openapi.json"].Set("get", PlainOperation("openapi", "This document."));

  Json doc = Json::Object();
  doc.Set("openapi", "3.0.3");
  doc.Set("info",
          Json::Object().Set("title", info.title).Set("version", info.version).Set("description", info.description));
  Json path_object = Json::Object();
  for (auto& [path, item] : paths) path_object.Set(path, std::move(item));
  doc.Set("paths", std::move(path_object));

  Json components_schemas = Json::Object();
  schemas.Emit(&components_schemas);
  components_schemas.Set("Error", ErrorSchema());
  Json components = Json::Object();
  components.Set("schemas", std::move(components_schemas));
  components.Set(
      "responses",
      Json::Object().Set(
          "Error",
          Json::Object()
              .Set("description", "An error: the HTTP status follows the code")
              .Set("content",
                   Json::Object().Set("application/json",
                                      Json::Object().Set("schema", Json::Object().Set("$ref", SchemaRef("Error")))))));
  components.Set("securitySchemes",
                 Json::Object()
                     .Set("bearerAuth", Json::Object()
                                            .Set("type", "http")
                                            .Set("scheme", "bearer")
                                            .Set("bearerFormat", "JWT")
                                            .Set("description",
                                                 "HS256 (dev, `tanectl token`) or RS256 from the "
                                                 "agency's identity provider; claims sub, role, "
                                                 "agency (partners), exp, iss, aud."))
                     .Set("apiKey", Json::Object()
                                        .Set("type", "apiKey")
                                        .Set("in", "header")
                                        .Set("name", "X-Api-Key")
                                        .Set("description", "Partner systems (`tanectl api-key`).")));
  doc.Set("components", std::move(components));
  return doc.Dump();
}

}  // namespace tane::gateway
