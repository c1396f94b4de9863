#pragma once
/// The configuration every Tane service shares, from flags and TANE_*
/// environment variables. Precedence: flag > environment > default. An
/// environment variable that is set but empty counts as unset.
///
///   flag               env                    default
///   --grpc-addr        TANE_GRPC_ADDR         127.0.0.1:<the service's gRPC port>
///   --metrics-addr     TANE_METRICS_ADDR      127.0.0.1:<the service's metrics port>; "off" = no exposer
///   --redis-addr       TANE_REDIS_ADDR        127.0.0.1:6479
///   --redis-pool-size  TANE_REDIS_POOL_SIZE   8
///   --kafka-bootstrap  TANE_KAFKA_BOOTSTRAP   127.0.0.1:9092
///   --shards           TANE_SHARDS            8 (fixed for the life of the data)
///   --log-level        TANE_LOG_LEVEL         info (debug|info|warn|error)
///   --internal-token   TANE_INTERNAL_TOKEN    "" (dev: identity metadata trusted as sent)
///   --catalog          TANE_CATALOG           the program catalog shipped in the source tree
///                                             (services/calls/catalog/programs.yaml); containers
///                                             set /etc/tane/programs.yaml
///
/// `--help` prints every option with its default and environment name.

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace CLI {
class App;
}

namespace tane::runtime {

struct ServiceConfig {
  /// The service's name ("calls"): the log "service" field and metric labels. Not a flag.
  std::string service_name;
  /// Where the gRPC server listens. Port 0 picks a free port (tests).
  std::string grpc_addr;
  /// Where GET /metrics is served; empty disables the exposer (flag/env value "off").
  std::string metrics_addr;
  std::string redis_addr = "127.0.0.1:6479";
  int redis_pool_size = 8;
  /// Comma-separated host:port list.
  std::string kafka_bootstrap = "127.0.0.1:9092";
  /// Outbox/key shards; changing it re-homes keys, so it is fixed per deployment.
  int shards = 8;
  std::string log_level = "info";
  /// Shared secret the gateway presents in "x-tane-internal-token"; see identity.h.
  std::string internal_token;
  /// The program catalog (programs.yaml): shipped data every service reads at start.
  std::string catalog_path = DefaultCatalogPath();

  /// The catalog in the source tree this binary was built from.
  static std::string DefaultCatalogPath();

  /// The documented defaults for a service listening on 127.0.0.1:grpc_port
  /// and serving metrics on 127.0.0.1:metrics_port (0: no exposer).
  static ServiceConfig Defaults(std::string service_name, int grpc_port, int metrics_port);

  /// One line for the startup log; the token is redacted.
  std::string Describe() const;
};

/// Registers a service's own options on the parser before parsing; bind them
/// to variables the caller owns, e.g.
///   [&](CLI::App& app) { app.add_option("--calls-addr", calls_addr, "...")
///                            ->envname("TANE_CALLS_ADDR")->capture_default_str(); }
/// (include <CLI/CLI.hpp> for that).
using ExtraOptions = std::function<void(CLI::App& app)>;

/// Parses argv over `defaults`. INVALID_ARGUMENT (with the parser's message)
/// for an unknown flag, a bad value or an invalid result (e.g. shards < 1);
/// CANCELLED after printing the help text to stdout for --help (main should
/// then exit 0).
absl::StatusOr<ServiceConfig> ParseConfig(int argc, const char* const* argv, ServiceConfig defaults,
                                          const ExtraOptions& extra = nullptr);

/// ParseConfig for main(): exits 0 after --help and 2 (message on stderr)
/// on a bad command line.
ServiceConfig ParseConfigOrExit(int argc, const char* const* argv, ServiceConfig defaults,
                                const ExtraOptions& extra = nullptr);

/// Checks the invariants ParseConfig enforces (addresses are host:port,
/// sizes positive, log level known).
absl::Status ValidateConfig(const ServiceConfig& config);

}  // namespace tane::runtime
