#pragma once
/// The REST API as a portal or a partner system uses it: HTTP/1.1 on one
/// keep-alive connection to the gateway, bodies in protobuf's JSON mapping
/// (docs/api.md), a caller's bearer token or partner API key on each
/// request. Answers are checked for the expected status and parsed strictly
/// (an unknown field is an error), so a test asserts a response's whole
/// shape by parsing it.
///
/// Every error message names the request, the caller, the status and the
/// body. Not thread-safe: one Api per thread.

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/struct.pb.h"
#include "tane/e2e/platform.h"

namespace tane::gateway {
class HttpClient;
}

namespace tane::e2e {

/// A request body: JSON text as is, or a message in the JSON mapping
/// (lowerCamelCase names, defaults left out).
class Body final {
 public:
  Body() = default;
  Body(const char* json) : json_(json) {}
  Body(std::string json) : json_(std::move(json)) {}
  Body(const google::protobuf::Message& message);
  const std::string& json() const { return json_; }

 private:
  std::string json_;
};

struct Reply {
  int status = 0;
  std::string body;
  /// Header names lower-cased.
  std::map<std::string, std::string> headers;
};

/// The error body every failure has: {"code", "message", "details"}, with
/// the field violations of a google.rpc.BadRequest detail.
struct ApiError {
  std::string code;
  std::string message;
  /// (field, description) in the order given.
  std::vector<std::pair<std::string, std::string>> violations;

  std::vector<std::string> fields() const;
};

class Api final {
 public:
  explicit Api(int gateway_port);
  ~Api();

  /// One request; `target` is the path with its query string. The caller's
  /// API key goes in X-Api-Key, else its token in Authorization (neither
  /// for Anonymous()). A transport failure is UNAVAILABLE.
  absl::StatusOr<Reply> Send(const Caller& who, const std::string& method, const std::string& target,
                             const Body& body = {});

  /// Send() that must answer `status`: FAILED_PRECONDITION naming the
  /// exchange otherwise.
  absl::StatusOr<Reply> Expect(int status, const Caller& who, const std::string& method, const std::string& target,
                               const Body& body = {});

  /// A 200 answer parsed strictly into M.
  template <typename M>
  absl::StatusOr<M> Call(const Caller& who, const std::string& method, const std::string& target,
                         const Body& body = {}) {
    M out;
    if (auto s = CallInto(who, method, target, body, &out); !s.ok()) return s;
    return out;
  }
  template <typename M>
  absl::StatusOr<M> Get(const Caller& who, const std::string& target) {
    return Call<M>(who, "GET", target);
  }
  template <typename M>
  absl::StatusOr<M> Post(const Caller& who, const std::string& target, const Body& body = {}) {
    return Call<M>(who, "POST", target, body);
  }

  /// An answer with `status` whose body is the error body, parsed.
  absl::StatusOr<ApiError> Error(int status, const Caller& who, const std::string& method, const std::string& target,
                                 const Body& body = {});

  /// The method and path (no query string) of every request sent.
  const std::vector<std::pair<std::string, std::string>>& sent() const { return sent_; }

 private:
  absl::Status CallInto(const Caller& who, const std::string& method, const std::string& target, const Body& body,
                        google::protobuf::Message* out);

  int port_;
  std::unique_ptr<gateway::HttpClient> client_;
  std::vector<std::pair<std::string, std::string>> sent_;
};

/// Parses JSON into `out` as the gateway's answers are parsed (strictly).
absl::Status ParseJson(const std::string& json, google::protobuf::Message* out);

/// The (method, path) pairs of `sent` that no operation of the OpenAPI
/// document `openapi` describes (path templates match any non-empty
/// segment for a {variable}; a custom method must match exactly).
std::vector<std::string> Undocumented(const google::protobuf::Struct& openapi,
                                      const std::vector<std::pair<std::string, std::string>>& sent);

/// "%3A"-style escaping of a value put in a query string.
std::string QueryEscape(const std::string& value);

}  // namespace tane::e2e
