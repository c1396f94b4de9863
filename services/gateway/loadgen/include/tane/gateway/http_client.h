#pragma once
/// A blocking HTTP/1.1 client on one keep-alive connection (Boost.Beast),
/// for tests and tools driving the gateway. Not thread-safe: one client per
/// thread.

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tane::gateway {

struct HttpResult {
  int status = 0;
  /// Header names lower-cased; repeated headers joined with ", ".
  std::map<std::string, std::string> headers;
  std::string body;
  /// Whether the server keeps the connection open after this response.
  bool keep_alive = false;

  /// The header's value, "" when absent. `name` in any case.
  std::string Header(std::string name) const;
};

class HttpClient final {
 public:
  /// Connects to host:port. UNAVAILABLE when the connection is refused.
  static absl::StatusOr<std::unique_ptr<HttpClient>> Connect(const std::string& host, int port,
                                                             absl::Duration timeout = absl::Seconds(30));
  ~HttpClient();

  using Headers = std::vector<std::pair<std::string, std::string>>;

  /// Sends one request on the connection (reconnecting first if the server
  /// closed it) and reads the response. A non-empty body is sent as
  /// application/json unless `headers` names a Content-Type.
  absl::StatusOr<HttpResult> Send(const std::string& method, const std::string& target, const std::string& body = "",
                                  const Headers& headers = {});

  /// Writes `bytes` as they are and reads one response: for requests no
  /// well-behaved client would send.
  absl::StatusOr<HttpResult> SendRaw(const std::string& bytes);

  /// The local port of the current connection: the same value across
  /// requests means the connection was kept alive.
  int local_port() const;
  /// Whether the connection is open (the last response did not close it).
  bool connected() const;

 private:
  struct Impl;
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tane::gateway
