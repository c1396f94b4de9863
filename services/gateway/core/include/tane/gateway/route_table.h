#pragma once
/// The HTTP routes of the gateway, built at start from the google.api.http
/// annotations of the linked proto services: no per-method code, so an
/// annotated RPC added to a proto is served once the gateway is rebuilt.
///
/// For every unary RPC with a google.api.http rule, the rule and each of its
/// additional_bindings become one Route. Build() checks everything it can
/// up front and refuses to start on any problem (a typo in a proto must not
/// become a 404 in production):
///   - the path template parses; every variable names a singular scalar or
///     enum field of the request (nested paths like call.call_id allowed);
///   - body is "", "*" or a top-level request field, and empty for GET/DELETE;
///   - response_body is "" or a top-level response field;
///   - additional_bindings do not nest;
///   - a declared policy names only known roles (or is anonymous);
///   - no two routes have the same HTTP method and the same path shape
///     (/v1/calls/{call_id} and /v1/calls/{id} conflict).
/// Streaming RPCs are not transcoded; they are listed in skipped().

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "tane/gateway/path_template.h"
#include "tane/gateway/policy.h"

namespace google::protobuf {
class Descriptor;
class FieldDescriptor;
class MethodDescriptor;
class ServiceDescriptor;
}  // namespace google::protobuf

namespace tane::gateway {

/// Fields from a message down to a leaf: {call, call_id} for "call.call_id".
using FieldChain = std::vector<const google::protobuf::FieldDescriptor*>;

struct Route {
  /// "GET", "POST", "PUT", "PATCH", "DELETE" or a custom rule's kind.
  std::string http_method;
  PathTemplate path;
  const google::protobuf::MethodDescriptor* method = nullptr;
  /// "/tane.calls.v1.CallsService/GetCall", as gRPC names it.
  std::string grpc_method;
  /// Which upstream serves it: see UpstreamOf().
  std::string upstream;
  /// One chain per path variable, in path.variables() order.
  std::vector<FieldChain> path_fields;
  enum class Body { kNone, kWhole, kField };
  Body body = Body::kNone;
  const google::protobuf::FieldDescriptor* body_field = nullptr;      // Body::kField
  const google::protobuf::FieldDescriptor* response_field = nullptr;  // response_body
  MethodPolicy policy;
  /// 0 for the rule itself, 1.. for its additional_bindings.
  int binding = 0;
  /// "GET /v1/calls/{call_id}": the route's name in logs and metrics.
  std::string name;
};

/// The upstream (service) name of a proto service: the package component
/// after "tane." ("tane.calls.v1.CallsService" -> "calls"); the whole
/// package for packages outside tane.*.
std::string UpstreamOf(const google::protobuf::ServiceDescriptor& service);

/// Every service in the generated descriptor pool whose package starts with
/// `package_prefix`, sorted by full name. Only services whose generated code
/// is linked into the binary are there.
std::vector<const google::protobuf::ServiceDescriptor*> LinkedServices(std::string_view package_prefix = "tane.");

/// Resolves a dotted path of proto field names ("call.call_id") in
/// `message`; INVALID_ARGUMENT naming the component that does not exist or
/// is not a singular message on the way.
absl::StatusOr<FieldChain> ResolveFieldPath(const google::protobuf::Descriptor& message, std::string_view path);

class RouteTable final {
 public:
  /// INVALID_ARGUMENT listing every problem found, one per line.
  static absl::StatusOr<RouteTable> Build(const std::vector<const google::protobuf::ServiceDescriptor*>& services);

  RouteTable(RouteTable&&) = default;
  RouteTable& operator=(RouteTable&&) = default;

  struct Match {
    enum class Kind { kFound, kNotFound, kMethodNotAllowed };
    Kind kind = Kind::kNotFound;
    const Route* route = nullptr;
    /// Kind::kFound: the path variables' raw (percent-encoded) values.
    std::vector<std::string> raw_values;
    /// Kind::kMethodNotAllowed: the methods that do have a route here.
    std::vector<std::string> allowed;
  };

  /// The most specific route for `http_method` and `path` (no query string).
  Match Find(std::string_view http_method, const RequestPath& path) const;

  /// Every route, sorted by path then method (the OpenAPI order).
  const std::vector<std::unique_ptr<Route>>& routes() const { return routes_; }
  /// "tane.x.v1.Svc.Stream: streaming RPCs are not transcoded" and the like.
  const std::vector<std::string>& skipped() const { return skipped_; }
  /// The upstream names the routes need, sorted.
  std::vector<std::string> Upstreams() const;
  /// The proto services routed to `upstream`.
  std::vector<const google::protobuf::ServiceDescriptor*> ServicesOf(std::string_view upstream) const;

 private:
  RouteTable() = default;
  std::vector<std::unique_ptr<Route>> routes_;
  std::map<std::string, std::vector<const Route*>, std::less<>> by_method_;  // most specific first
  std::vector<std::string> skipped_;
};

}  // namespace tane::gateway
