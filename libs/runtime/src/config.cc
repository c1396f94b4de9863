#include "tane/runtime/config.h"

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "tane/telemetry/log.h"

namespace tane::runtime {
namespace {

std::string Loopback(int port) { return "127.0.0.1:" + std::to_string(port); }

// "host:port" with a non-empty host and a port in 0..65535; "[::1]:7101" too.
bool IsHostPort(std::string_view addr) {
  const auto colon = addr.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == addr.size()) return false;
  std::string_view port = addr.substr(colon + 1);
  int value = -1;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  return ec == std::errc() && end == port.data() + port.size() && value >= 0 && value <= 65535;
}

}  // namespace

ServiceConfig ServiceConfig::Defaults(std::string service_name, int grpc_port, int metrics_port) {
  ServiceConfig config;
  config.service_name = std::move(service_name);
  config.grpc_addr = Loopback(grpc_port);
  config.metrics_addr = metrics_port > 0 ? Loopback(metrics_port) : "";
  return config;
}

std::string ServiceConfig::DefaultCatalogPath() { return TANE_DEFAULT_CATALOG_PATH; }

std::string ServiceConfig::Describe() const {
  return "service=" + service_name + " grpc_addr=" + grpc_addr + " metrics_addr=" + metrics_addr +
         " redis_addr=" + redis_addr + " redis_pool_size=" + std::to_string(redis_pool_size) +
         " kafka_bootstrap=" + kafka_bootstrap + " shards=" + std::to_string(shards) + " log_level=" + log_level +
         " internal_token=" + (internal_token.empty() ? "(none)" : "(set)") + " catalog=" + catalog_path;
}

absl::Status ValidateConfig(const ServiceConfig& c) {
  std::string problems;
  auto problem = [&](const std::string& p) { problems += (problems.empty() ? "" : "; ") + p; };
  if (c.service_name.empty()) problem("service name is empty");
  if (!IsHostPort(c.grpc_addr)) problem("--grpc-addr must be host:port, got \"" + c.grpc_addr + "\"");
  if (!c.metrics_addr.empty() && !IsHostPort(c.metrics_addr)) {
    problem("--metrics-addr must be host:port or empty, got \"" + c.metrics_addr + "\"");
  }
  if (!IsHostPort(c.redis_addr)) problem("--redis-addr must be host:port, got \"" + c.redis_addr + "\"");
  if (c.redis_pool_size < 1 || c.redis_pool_size > 1024) problem("--redis-pool-size must be 1..1024");
  if (c.kafka_bootstrap.empty()) problem("--kafka-bootstrap is empty");
  if (c.shards < 1 || c.shards > 16384) problem("--shards must be 1..16384");
  if (c.catalog_path.empty()) problem("--catalog is empty");
  if (!telemetry::ParseLogLevel(c.log_level)) problem("--log-level must be debug, info, warn or error");
  if (problems.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(problems);
}

absl::StatusOr<ServiceConfig> ParseConfig(int argc, const char* const* argv, ServiceConfig defaults,
                                          const ExtraOptions& extra) {
  ServiceConfig config = std::move(defaults);
  CLI::App app("Tane " + config.service_name + " service", argc > 0 ? argv[0] : config.service_name);
  app.get_formatter()->column_width(40);
  app.add_option("--grpc-addr", config.grpc_addr, "gRPC listen address (port 0: any free port)")
      ->envname("TANE_GRPC_ADDR")
      ->capture_default_str();
  app.add_option("--metrics-addr", config.metrics_addr, "Prometheus /metrics listen address; \"off\": none")
      ->envname("TANE_METRICS_ADDR")
      ->capture_default_str();
  app.add_option("--redis-addr", config.redis_addr, "Redis host:port")
      ->envname("TANE_REDIS_ADDR")
      ->capture_default_str();
  app.add_option("--redis-pool-size", config.redis_pool_size, "Redis connections in the pool")
      ->envname("TANE_REDIS_POOL_SIZE")
      ->capture_default_str();
  app.add_option("--kafka-bootstrap", config.kafka_bootstrap, "Kafka bootstrap servers, comma-separated")
      ->envname("TANE_KAFKA_BOOTSTRAP")
      ->capture_default_str();
  app.add_option("--shards", config.shards, "Key and outbox shards (fixed per deployment)")
      ->envname("TANE_SHARDS")
      ->capture_default_str();
  app.add_option("--log-level", config.log_level, "debug, info, warn or error")
      ->envname("TANE_LOG_LEVEL")
      ->capture_default_str();
  app.add_option("--internal-token", config.internal_token,
                 "Secret the gateway presents in x-tane-internal-token; empty: identity metadata trusted (dev)")
      ->envname("TANE_INTERNAL_TOKEN");
  app.add_option("--catalog", config.catalog_path, "Program catalog (programs.yaml)")
      ->envname("TANE_CATALOG")
      ->capture_default_str();
  if (extra) extra(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help() << std::flush;
    return absl::CancelledError("help requested");
  } catch (const CLI::CallForAllHelp&) {
    std::cout << app.help("", CLI::AppFormatMode::All) << std::flush;
    return absl::CancelledError("help requested");
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(e.what());
  }
  // An empty value cannot be given through the environment (empty = unset)
  // nor as --metrics-addr=, hence the word.
  if (config.metrics_addr == "off") config.metrics_addr.clear();
  if (auto status = ValidateConfig(config); !status.ok()) return status;
  return config;
}

ServiceConfig ParseConfigOrExit(int argc, const char* const* argv, ServiceConfig defaults, const ExtraOptions& extra) {
  auto config = ParseConfig(argc, argv, std::move(defaults), extra);
  if (config.ok()) return *std::move(config);
  if (absl::IsCancelled(config.status())) std::exit(0);
  std::string message(config.status().message().data(), config.status().message().size());
  std::fprintf(stderr, "%s\nRun with --help for the options.\n", message.c_str());
  std::exit(2);
}

}  // namespace tane::runtime
