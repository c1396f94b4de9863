#pragma once
/// The gateway's configuration from flags and TANE_* environment variables
/// (flag > environment > default; an empty variable counts as unset), in
/// the style of libs/runtime/config.h:
///
///   flag                 env                      default
///   --http-addr          TANE_HTTP_ADDR           127.0.0.1:8080
///   --metrics-addr       TANE_METRICS_ADDR        127.0.0.1:9100 ("off": none)
///   --calls-addr         TANE_CALLS_ADDR          unset: calls routes answer 503
///   --reviews-addr       TANE_REVIEWS_ADDR        unset
///   --projects-addr      TANE_PROJECTS_ADDR       unset
///   --funds-addr         TANE_FUNDS_ADDR          unset
///   --international-addr TANE_INTERNATIONAL_ADDR  unset
///   --upstream NAME=ADDR TANE_UPSTREAMS           other upstreams, comma-separated
///   --internal-token     TANE_INTERNAL_TOKEN      "" (not sent)
///   --jwt-secret-file    TANE_JWT_SECRET_FILE     var/jwt.secret, created if missing ("off": no HS256)
///   --jwt-public-keys    TANE_JWT_PUBLIC_KEYS     "" (RS256 off); a PEM file or a directory of *.pem
///   --jwt-issuer         TANE_JWT_ISSUER          tane-dev
///   --jwt-audience       TANE_JWT_AUDIENCE        tane
///   --jwt-leeway         TANE_JWT_LEEWAY          30s
///   --api-keys-file      TANE_API_KEYS_FILE       "" (no API keys)
///   --partner-key-ttl    TANE_PARTNER_KEY_TTL     30s (0s: ask international every time)
///   --partner-key-timeout TANE_PARTNER_KEY_TIMEOUT 2s
///   --cors-origins       TANE_CORS_ORIGINS        "" (CORS off); comma-separated, or *
///   --rate-limit         TANE_RATE_LIMIT          50 requests/s per caller (0: off)
///   --rate-burst         TANE_RATE_BURST          100
///   --max-body-bytes     TANE_MAX_BODY_BYTES      1048576
///   --upstream-timeout   TANE_UPSTREAM_TIMEOUT    10s
///   --idle-timeout       TANE_IDLE_TIMEOUT        60s
///   --http-threads       TANE_HTTP_THREADS        2
///   --shutdown-grace     TANE_SHUTDOWN_GRACE      10s
///   --access-log         TANE_ACCESS_LOG          true
///   --log-level          TANE_LOG_LEVEL           info
///
/// Durations are written like 30s, 1.5s, 10m, 8h.

#include <string>

#include "absl/status/statusor.h"
#include "tane/gateway/gateway.h"

namespace tane::gateway {

/// What the command line says; files are named, not yet read.
struct GatewayConfig {
  GatewayOptions options;
  std::string metrics_addr = "127.0.0.1:9100";
  std::string log_level = "info";
  std::string jwt_secret_file = "var/jwt.secret";
  std::string jwt_public_keys;
  std::string api_keys_file;
};

/// Parses argv. INVALID_ARGUMENT with the parser's message for an unknown
/// flag or a bad value; CANCELLED after printing the help to stdout.
absl::StatusOr<GatewayConfig> ParseGatewayConfig(int argc, const char* const* argv);

/// Reads the files the config names into its options: the HS256 secret
/// (creating it when missing), the RS256 key set, the API keys. The
/// errors of auth::LoadOrCreateSecretFile, LoadRs256KeySet, ApiKeyStore::Load.
absl::StatusOr<GatewayOptions> LoadGatewayOptions(GatewayConfig config);

}  // namespace tane::gateway
