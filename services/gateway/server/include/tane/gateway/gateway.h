#pragma once
/// The gateway: the REST/JSON API in front of Tane's gRPC services.
///
///   tane::gateway::GatewayOptions options;
///   options.http_addr = "127.0.0.1:0";                      // any free port
///   options.upstreams = {{"calls", "127.0.0.1:7101"}};
///   options.jwt.hs256_secret = secret;
///   telemetry::Metrics metrics;
///   auto gateway = tane::gateway::Gateway::Create(std::move(options), &metrics);
///   (*gateway)->Start();      // serves on (*gateway)->port()
///   ...
///   (*gateway)->Stop();       // drains, then returns
///
/// Every request goes: request id -> CORS -> built-in routes (/healthz,
/// /readyz, /openapi.json) -> route match -> authentication (a partner key
/// of the international service, "X-Api-Key: tpk_...", by its
/// AuthenticatePartner, remembered for partner_key_ttl: 401 when it refuses
/// the key, 503 when it cannot be asked and the key is not remembered) -> rate limit
/// -> policy -> transcoding -> asynchronous gRPC call to the upstream (with
/// the caller's identity, the internal token and the request id as
/// metadata, and a deadline) -> JSON response. Each request is logged as one
/// JSON line and counted in http_requests_total{route,method,status} and
/// http_request_duration_seconds{route,method,status}.
///
/// HTTP/1.1 with keep-alive on Boost.Beast; no thread is held while a gRPC
/// call is in flight (gRPC's callback API completes it). See docs/api.md
/// for what clients see.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tane/auth/api_keys.h"
#include "tane/auth/jwt.h"
#include "tane/gateway/cors.h"
#include "tane/gateway/openapi.h"
#include "tane/gateway/rate_limiter.h"
#include "tane/gateway/route_table.h"
#include "tane/telemetry/metrics.h"

namespace tane::gateway {

/// The identity services receive for a caller without credentials on a
/// method whose policy allows anonymous calls.
inline constexpr char kAnonymousSubject[] = "anonymous";
inline constexpr char kAnonymousRole[] = "anonymous";

struct GatewayOptions {
  /// host:port to listen on; port 0 picks a free one (see Gateway::port()).
  std::string http_addr = "127.0.0.1:8080";
  /// Threads running the HTTP server.
  int http_threads = 2;
  /// Larger request bodies are refused with 400 before they are read.
  size_t max_body_bytes = 1 << 20;
  /// Larger request heads (request line + headers) are refused with 431.
  size_t max_header_bytes = 16 << 10;
  /// A keep-alive connection with no request for this long is closed.
  absl::Duration idle_timeout = absl::Seconds(60);
  /// Deadline of each upstream gRPC call (504 when it passes).
  absl::Duration upstream_timeout = absl::Seconds(10);
  /// Upstream name (UpstreamOf(): "calls", "funds", ...) -> gRPC host:port.
  /// Routes of an upstream without an address answer 503.
  std::map<std::string, std::string> upstreams;
  /// Sent to services as x-tane-internal-token (empty: not sent).
  std::string internal_token;
  auth::JwtVerifierOptions jwt;
  /// API keys of the keys file (an operator's override, for machine clients
  /// and deployments without the international service). Never consulted
  /// for the international service's partner keys (tpk_...).
  auth::ApiKeyStore api_keys;
  /// How long the international service's answer about a partner key
  /// (accepted or refused) is remembered; zero: it is asked every time. A
  /// key revoked there stops working here at most this much later.
  absl::Duration partner_key_ttl = absl::Seconds(30);
  /// Deadline of the AuthenticatePartner call that verifies a partner key
  /// (the request then answers 503).
  absl::Duration partner_key_timeout = absl::Seconds(2);
  CorsOptions cors;
  RateLimitOptions rate_limit;
  /// The proto services to route; empty: LinkedServices() (every tane.*
  /// service linked into the binary).
  std::vector<const google::protobuf::ServiceDescriptor*> services;
  /// How often the upstreams' grpc.health.v1 is asked (for /readyz).
  absl::Duration readiness_interval = absl::Seconds(1);
  /// How long Stop() lets in-flight requests finish before cancelling them.
  absl::Duration shutdown_grace = absl::Seconds(10);
  /// One JSON log line per request.
  bool access_log = true;
  OpenApiInfo openapi;
};

class Gateway final {
 public:
  /// Builds the routes and the OpenAPI document and checks the options.
  /// INVALID_ARGUMENT for route problems (RouteTable::Build), bad JWT keys,
  /// an http_addr that is not host:port, an upstream address for nothing, a
  /// negative partner_key_ttl or a partner_key_timeout that is not positive.
  /// `metrics` must outlive the gateway.
  static absl::StatusOr<std::unique_ptr<Gateway>> Create(GatewayOptions options, telemetry::Metrics* metrics);
  /// Stop()s if still running.
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  /// Binds, starts the HTTP threads and the readiness checks. UNAVAILABLE
  /// when the address cannot be bound; FAILED_PRECONDITION when called twice.
  absl::Status Start();
  /// Stops accepting, closes idle connections, lets in-flight requests
  /// finish for up to shutdown_grace (then cancels their upstream calls),
  /// and returns once every thread has ended. Idempotent.
  void Stop();

  /// The bound HTTP port (0 before Start()).
  int port() const;
  /// Whether every configured upstream reported SERVING at the last check.
  bool Ready() const;
  const RouteTable& routes() const;
  const std::string& openapi_json() const;

  struct Impl;

 private:
  explicit Gateway(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tane::gateway
