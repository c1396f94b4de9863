#pragma once
/// CORS for the agency portals, which run on their own origins. Only listed
/// origins get CORS headers; "*" lists every origin (development). The API
/// authenticates with the Authorization or X-Api-Key header, never cookies,
/// so credentials mode is not needed and Access-Control-Allow-Credentials is
/// never sent.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace tane::gateway {

struct CorsOptions {
  /// Exact origins ("https://portal.example.jp"), or "*". Empty: CORS off.
  std::vector<std::string> allowed_origins;
  /// How long browsers may cache a preflight answer.
  absl::Duration max_age = absl::Minutes(10);
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

class CorsPolicy final {
 public:
  explicit CorsPolicy(CorsOptions options);

  bool enabled() const { return !options_.allowed_origins.empty(); }
  bool OriginAllowed(std::string_view origin) const;

  /// Headers for an actual (non-preflight) response to `origin`; empty when
  /// the origin is absent or not allowed (the browser then blocks the read).
  HeaderList ResponseHeaders(std::string_view origin) const;

  /// The answer to a preflight (OPTIONS with Access-Control-Request-Method):
  /// the allow headers for an allowed origin and method, empty otherwise.
  HeaderList PreflightHeaders(std::string_view origin, std::string_view requested_method) const;

  /// The request headers browsers may send: Authorization, Content-Type,
  /// X-Api-Key, X-Request-Id.
  static constexpr std::string_view kAllowedHeaders = "Authorization, Content-Type, X-Api-Key, X-Request-Id";
  static constexpr std::string_view kAllowedMethods = "GET, POST, PUT, PATCH, DELETE";
  /// Response headers scripts may read.
  static constexpr std::string_view kExposedHeaders = "X-Request-Id, Retry-After";

 private:
  CorsOptions options_;
  bool any_origin_ = false;
};

}  // namespace tane::gateway
