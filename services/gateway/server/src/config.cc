#include "tane/gateway/config.h"

#include <CLI/CLI.hpp>
#include <iostream>

#include "absl/strings/str_split.h"
#include "tane/auth/secret_file.h"
#include "tane/telemetry/log.h"

namespace tane::gateway {
namespace {

// A CLI11 option bound to an absl::Duration, given as text ("30s").
class DurationOption {
 public:
  DurationOption(CLI::App& app, const std::string& flag, const std::string& env, absl::Duration* target,
                 const std::string& help)
      : target_(target), text_(absl::FormatDuration(*target)) {
    app.add_option(flag, text_, help)->envname(env)->capture_default_str();
    flag_ = flag;
  }
  absl::Status Apply() const {
    if (!absl::ParseDuration(text_, target_) || *target_ < absl::ZeroDuration()) {
      return absl::InvalidArgumentError(flag_ + ": \"" + text_ + "\" is not a duration such as 30s or 1.5s");
    }
    return absl::OkStatus();
  }

 private:
  absl::Duration* target_;
  std::string text_;
  std::string flag_;
};

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    std::string item(part);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    out.push_back(item);
  }
  return out;
}

}  // namespace

absl::StatusOr<GatewayConfig> ParseGatewayConfig(int argc, const char* const* argv) {
  GatewayConfig config;
  GatewayOptions& o = config.options;
  CLI::App app("Tane gateway: the REST/JSON API in front of the gRPC services", argc > 0 ? argv[0] : "tane-gateway");
  app.get_formatter()->column_width(44);
  app.add_option("--http-addr", o.http_addr, "HTTP listen address (port 0: any free port)")
      ->envname("TANE_HTTP_ADDR")
      ->capture_default_str();
  app.add_option("--metrics-addr", config.metrics_addr, "Prometheus /metrics listen address; \"off\": none")
      ->envname("TANE_METRICS_ADDR")
      ->capture_default_str();
  std::map<std::string, std::string> named;
  for (const char* service : {"calls", "reviews", "projects", "funds", "international"}) {
    std::string upper(service);
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    app.add_option(std::string("--") + service + "-addr", named[service],
                   std::string("gRPC address of the ") + service + " service; unset: its routes answer 503")
        ->envname("TANE_" + upper + "_ADDR");
  }
  std::vector<std::string> extra_upstreams;
  app.add_option("--upstream", extra_upstreams, "NAME=HOST:PORT for another upstream (repeatable)")
      ->envname("TANE_UPSTREAMS")
      ->delimiter(',');
  app.add_option("--internal-token", o.internal_token, "Secret sent to services as x-tane-internal-token")
      ->envname("TANE_INTERNAL_TOKEN");
  app.add_option("--jwt-secret-file", config.jwt_secret_file,
                 "HS256 secret file, created (0600) when missing; \"off\": HS256 not accepted")
      ->envname("TANE_JWT_SECRET_FILE")
      ->capture_default_str();
  app.add_option("--jwt-public-keys", config.jwt_public_keys,
                 "RS256 public keys: a PEM file or a directory of <kid>.pem files")
      ->envname("TANE_JWT_PUBLIC_KEYS");
  o.jwt.issuer = "tane-dev";
  o.jwt.audience = "tane";
  app.add_option("--jwt-issuer", o.jwt.issuer, "Required \"iss\" claim (empty: not checked)")
      ->envname("TANE_JWT_ISSUER")
      ->capture_default_str();
  app.add_option("--jwt-audience", o.jwt.audience, "Required \"aud\" claim (empty: not checked)")
      ->envname("TANE_JWT_AUDIENCE")
      ->capture_default_str();
  DurationOption leeway(app, "--jwt-leeway", "TANE_JWT_LEEWAY", &o.jwt.leeway, "Clock skew allowed on exp/nbf/iat");
  app.add_option("--api-keys-file", config.api_keys_file, "Partner API keys (sha256 hashes), see tanectl api-key")
      ->envname("TANE_API_KEYS_FILE");
  std::string cors;
  app.add_option("--cors-origins", cors, "Origins allowed by CORS, comma-separated, or *; empty: CORS off")
      ->envname("TANE_CORS_ORIGINS");
  app.add_option("--rate-limit", o.rate_limit.rate_per_second, "Requests per second per caller; 0: no limit")
      ->envname("TANE_RATE_LIMIT")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--rate-burst", o.rate_limit.burst, "Requests a caller may send at once")
      ->envname("TANE_RATE_BURST")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-body-bytes", o.max_body_bytes, "Larger request bodies are refused (400)")
      ->envname("TANE_MAX_BODY_BYTES")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  DurationOption upstream_timeout(app, "--upstream-timeout", "TANE_UPSTREAM_TIMEOUT", &o.upstream_timeout,
                                  "Deadline of each gRPC call (504 after)");
  DurationOption partner_key_ttl(app, "--partner-key-ttl", "TANE_PARTNER_KEY_TTL", &o.partner_key_ttl,
                                 "How long the international service's answer about a partner key is remembered");
  DurationOption partner_key_timeout(app, "--partner-key-timeout", "TANE_PARTNER_KEY_TIMEOUT",
                                     &o.partner_key_timeout, "Deadline of verifying a partner key (503 after)");
  DurationOption idle_timeout(app, "--idle-timeout", "TANE_IDLE_TIMEOUT", &o.idle_timeout,
                              "Idle keep-alive connections are closed after");
  app.add_option("--http-threads", o.http_threads, "HTTP server threads")
      ->envname("TANE_HTTP_THREADS")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  DurationOption grace(app, "--shutdown-grace", "TANE_SHUTDOWN_GRACE", &o.shutdown_grace,
                       "How long in-flight requests may finish at shutdown");
  app.add_option("--access-log", o.access_log, "One JSON log line per request")
      ->envname("TANE_ACCESS_LOG")
      ->capture_default_str();
  app.add_option("--log-level", config.log_level, "debug, info, warn or error")
      ->envname("TANE_LOG_LEVEL")
      ->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help() << std::flush;
    return absl::CancelledError("help requested");
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(e.what());
  }
  for (const DurationOption* d : {&leeway, &upstream_timeout, &partner_key_ttl, &partner_key_timeout, &idle_timeout, &grace}) {
    if (auto status = d->Apply(); !status.ok()) return status;
  }
  if (o.upstream_timeout == absl::ZeroDuration())
    return absl::InvalidArgumentError("--upstream-timeout must be positive");
  if (o.partner_key_timeout == absl::ZeroDuration())
    return absl::InvalidArgumentError("--partner-key-timeout must be positive");
  if (!telemetry::ParseLogLevel(config.log_level)) {
    return absl::InvalidArgumentError("--log-level must be debug, info, warn or error");
  }
  if (config.metrics_addr == "off") config.metrics_addr.clear();
  for (auto& [name, address] : named) {
    if (!address.empty()) o.upstreams[name] = address;
  }
  for (const std::string& entry : extra_upstreams) {
    const size_t eq = entry.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == entry.size()) {
      return absl::InvalidArgumentError("--upstream must be NAME=HOST:PORT, got \"" + entry + "\"");
    }
    o.upstreams[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  o.cors.allowed_origins = SplitList(cors);
  return config;
}

absl::StatusOr<GatewayOptions> LoadGatewayOptions(GatewayConfig config) {
  GatewayOptions options = std::move(config.options);
  if (!config.jwt_secret_file.empty() && config.jwt_secret_file != "off") {
    auto secret = auth::LoadOrCreateSecretFile(config.jwt_secret_file);
    if (!secret.ok()) return secret.status();
    options.jwt.hs256_secret = *std::move(secret);
  }
  if (!config.jwt_public_keys.empty()) {
    auto keys = auth::LoadRs256KeySet(config.jwt_public_keys);
    if (!keys.ok()) return keys.status();
    options.jwt.rs256_public_keys = *std::move(keys);
  }
  if (!config.api_keys_file.empty()) {
    auto keys = auth::ApiKeyStore::Load(config.api_keys_file);
    if (!keys.ok()) return keys.status();
    options.api_keys = *std::move(keys);
  }
  return options;
}

}  // namespace tane::gateway
