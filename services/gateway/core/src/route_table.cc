#include "tane/gateway/route_table.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor_database.h>

#include <algorithm>
#include <set>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/api/annotations.pb.h"
#include "google/api/http.pb.h"
#include "tane/auth/roles.h"

namespace tane::gateway {
namespace {

using google::api::HttpRule;
using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::MethodDescriptor;
using google::protobuf::ServiceDescriptor;

struct Pattern {
  std::string method;
  std::string path;
};

absl::StatusOr<Pattern> PatternOf(const HttpRule& rule) {
  switch (rule.pattern_case()) {
    case HttpRule::kGet:
      return Pattern{"GET", rule.get()};
    case HttpRule::kPut:
      return Pattern{"PUT", rule.put()};
    case HttpRule::kPost:
      return Pattern{"POST", rule.post()};
    case HttpRule::kDelete:
      return Pattern{"DELETE", rule.delete_()};
    case HttpRule::kPatch:
      return Pattern{"PATCH", rule.patch()};
    case HttpRule::kCustom: {
      std::string kind = rule.custom().kind();
      if (kind.empty() || !std::all_of(kind.begin(), kind.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
        return absl::InvalidArgumentError("custom method kind \"" + kind + "\" must be upper-case letters");
      }
      return Pattern{kind, rule.custom().path()};
    }
    case HttpRule::PATTERN_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("the rule has no HTTP method and path");
}

bool IsScalarLeaf(const FieldDescriptor& field) {
  return !field.is_repeated() && field.cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE;
}

// Builds the route of one rule (or additional binding); problems go to `errors`.
std::unique_ptr<Route> BuildRoute(const MethodDescriptor& method, const HttpRule& rule, int binding,
                                  std::vector<std::string>* errors) {
  const std::string where =
      method.full_name() + (binding == 0 ? "" : " (additional binding " + std::to_string(binding) + ")");
  auto fail = [&](const std::string& why) {
    errors->push_back(where + ": " + why);
    return nullptr;
  };
  auto pattern = PatternOf(rule);
  if (!pattern.ok()) return fail(std::string(pattern.status().message()));
  auto path = PathTemplate::Parse(pattern->path);
  if (!path.ok()) return fail(std::string(path.status().message()));

  auto route = std::make_unique<Route>();
  route->http_method = pattern->method;
  route->path = *std::move(path);
  route->method = &method;
  route->grpc_method = "/" + method.service()->full_name() + "/" + method.name();
  route->upstream = UpstreamOf(*method.service());
  route->binding = binding;
  route->name = route->http_method + " " + route->path.text();
  route->policy = PolicyOf(method);

  const Descriptor& input = *method.input_type();
  for (const TemplateVariable& variable : route->path.variables()) {
    auto chain = ResolveFieldPath(input, variable.field_path);
    if (!chain.ok())
      return fail("path variable {" + variable.field_path + "}: " + std::string(chain.status().message()));
    if (!IsScalarLeaf(*chain->back())) {
      return fail("path variable {" + variable.field_path + "} must name a singular scalar or enum field");
    }
    route->path_fields.push_back(*std::move(chain));
  }

  const std::string& body = rule.body();
  if (body.empty()) {
    route->body = Route::Body::kNone;
  } else if (route->http_method == "GET" || route->http_method == "DELETE") {
    return fail(route->http_method + " cannot have a request body (body: \"" + body + "\")");
  } else if (body == "*") {
    route->body = Route::Body::kWhole;
  } else {
    route->body = Route::Body::kField;
    route->body_field = input.FindFieldByName(body);
    if (route->body_field == nullptr) return fail("body \"" + body + "\" is not a field of " + input.full_name());
  }
  if (!rule.response_body().empty()) {
    route->response_field = method.output_type()->FindFieldByName(rule.response_body());
    if (route->response_field == nullptr) {
      return fail("response_body \"" + rule.response_body() + "\" is not a field of " +
                  method.output_type()->full_name());
    }
  }
  if (route->policy.declared) {
    if (!route->policy.anonymous && route->policy.roles.empty()) {
      return fail("its policy lists no roles and is not anonymous; say which roles may call it");
    }
    for (const std::string& role : route->policy.roles) {
      if (!auth::IsKnownRole(role)) return fail("its policy names unknown role \"" + role + "\"");
    }
  }
  return route;
}

}  // namespace

std::string UpstreamOf(const ServiceDescriptor& service) {
  const std::string& package = service.file()->package();
  std::vector<std::string> parts = absl::StrSplit(package, '.');
  if (parts.size() >= 2 && parts[0] == "tane") return parts[1];
  return package;
}

std::vector<const ServiceDescriptor*> LinkedServices(std::string_view package_prefix) {
  std::vector<std::string> files;
  google::protobuf::DescriptorPool::internal_generated_database()->FindAllFileNames(&files);
  std::vector<const ServiceDescriptor*> services;
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  for (const std::string& name : files) {
    const google::protobuf::FileDescriptor* file = pool->FindFileByName(name);
    if (file == nullptr || file->package().compare(0, package_prefix.size(), package_prefix) != 0) continue;
    for (int i = 0; i < file->service_count(); ++i) services.push_back(file->service(i));
  }
  std::sort(services.begin(), services.end(),
            [](const ServiceDescriptor* a, const ServiceDescriptor* b) { return a->full_name() < b->full_name(); });
  return services;
}

absl::StatusOr<FieldChain> ResolveFieldPath(const Descriptor& message, std::string_view path) {
  FieldChain chain;
  const Descriptor* current = &message;
  for (absl::string_view part : absl::StrSplit(absl::string_view(path.data(), path.size()), '.')) {
    const std::string name(part);
    if (current == nullptr) {
      return absl::InvalidArgumentError("\"" + chain.back()->name() + "\" is not a message, so it has no field \"" +
                                        name + "\"");
    }
    if (!chain.empty() && chain.back()->is_repeated()) {
      return absl::InvalidArgumentError("\"" + chain.back()->name() + "\" is repeated; a path cannot go through it");
    }
    const FieldDescriptor* field = current->FindFieldByName(name);
    if (field == nullptr) return absl::InvalidArgumentError("no field \"" + name + "\" in " + current->full_name());
    chain.push_back(field);
    current = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE ? field->message_type() : nullptr;
  }
  return chain;
}

absl::StatusOr<RouteTable> RouteTable::Build(const std::vector<const ServiceDescriptor*>& services) {
  RouteTable table;
  std::vector<std::string> errors;
  for (const ServiceDescriptor* service : services) {
    for (int m = 0; m < service->method_count(); ++m) {
      const MethodDescriptor& method = *service->method(m);
      if (!method.options().HasExtension(google::api::http)) continue;
      if (method.client_streaming() || method.server_streaming()) {
        table.skipped_.push_back(method.full_name() + ": streaming RPCs are not transcoded");
        continue;
      }
      const HttpRule& rule = method.options().GetExtension(google::api::http);
      std::vector<const HttpRule*> rules = {&rule};
      for (const HttpRule& extra : rule.additional_bindings()) {
        if (extra.additional_bindings_size() > 0) {
          errors.push_back(method.full_name() + ": additional_bindings cannot nest");
          continue;
        }
        rules.push_back(&extra);
      }
      for (size_t i = 0; i < rules.size(); ++i) {
        if (auto route = BuildRoute(method, *rules[i], static_cast<int>(i), &errors)) {
          table.routes_.push_back(std::move(route));
        }
      }
    }
  }

  std::map<std::string, const Route*> shapes;  // "METHOD shape" -> first route
  for (const auto& route : table.routes_) {
    auto [it, inserted] = shapes.emplace(route->http_method + " " + route->path.ShapeKey(), route.get());
    if (!inserted) {
      errors.push_back("route conflict: " + route->name + " (" + route->method->full_name() + ") and " +
                       it->second->name + " (" + it->second->method->full_name() + ") match the same requests");
    }
  }
  if (!errors.empty()) return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));

  std::sort(table.routes_.begin(), table.routes_.end(), [](const auto& a, const auto& b) {
    return std::tie(a->path.text(), a->http_method) < std::tie(b->path.text(), b->http_method);
  });
  for (const auto& route : table.routes_) table.by_method_[route->http_method].push_back(route.get());
  for (auto& [method, list] : table.by_method_) {
    std::stable_sort(list.begin(), list.end(),
                     [](const Route* a, const Route* b) { return PathTemplate::MoreSpecific(a->path, b->path); });
  }
  return table;
}

RouteTable::Match RouteTable::Find(std::string_view http_method, const RequestPath& path) const {
  Match match;
  if (auto it = by_method_.find(http_method); it != by_method_.end()) {
    for (const Route* route : it->second) {
      if (route->path.Match(path, &match.raw_values)) {
        match.kind = Match::Kind::kFound;
        match.route = route;
        return match;
      }
    }
  }
  for (const auto& [method, list] : by_method_) {
    if (method == http_method) continue;
    for (const Route* route : list) {
      if (route->path.Match(path, nullptr)) {
        match.allowed.push_back(method);
        break;
      }
    }
  }
  match.kind = match.allowed.empty() ? Match::Kind::kNotFound : Match::Kind::kMethodNotAllowed;
  return match;
}

std::vector<std::string> RouteTable::Upstreams() const {
  std::set<std::string> names;
  for (const auto& route : routes_) names.insert(route->upstream);
  return {names.begin(), names.end()};
}

std::vector<const ServiceDescriptor*> RouteTable::ServicesOf(std::string_view upstream) const {
  std::set<const ServiceDescriptor*> services;
  for (const auto& route : routes_) {
    if (route->upstream == upstream) services.insert(route->method->service());
  }
  std::vector<const ServiceDescriptor*> out(services.begin(), services.end());
  std::sort(out.begin(), out.end(),
            [](const ServiceDescriptor* a, const ServiceDescriptor* b) { return a->full_name() < b->full_name(); });
  return out;
}

}  // namespace tane::gateway
