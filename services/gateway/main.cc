// tane-gateway: the REST/JSON API in front of the gRPC services. Options in
// services/gateway/server/include/tane/gateway/config.h (--help lists them).
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <thread>

#include "tane/gateway/config.h"
#include "tane/gateway/gateway.h"
#include "tane/runtime/service_host.h"
#include "tane/telemetry/log.h"
#include "tane/telemetry/metrics.h"

int main(int argc, char** argv) {
  tane::runtime::BlockShutdownSignals();  // before any thread starts; sigwait below
  auto config = tane::gateway::ParseGatewayConfig(argc, argv);
  if (!config.ok()) {
    if (absl::IsCancelled(config.status())) return 0;
    std::fprintf(stderr, "%s\nRun with --help for the options.\n", std::string(config.status().message()).c_str());
    return 2;
  }
  tane::telemetry::SetLogService("gateway");
  tane::telemetry::SetLogLevel(*tane::telemetry::ParseLogLevel(config->log_level));
  const std::string metrics_addr = config->metrics_addr;

  auto options = tane::gateway::LoadGatewayOptions(*std::move(config));
  if (!options.ok()) {
    tane::telemetry::LogError("cannot load the gateway's credentials", {{"error", options.status()}});
    return 1;
  }
  tane::telemetry::Metrics metrics;
  if (!metrics_addr.empty()) {
    if (auto status = metrics.Serve(metrics_addr); !status.ok()) {
      tane::telemetry::LogError("cannot serve metrics", {{"addr", metrics_addr}, {"error", status}});
      return 1;
    }
  }
  auto gateway = tane::gateway::Gateway::Create(*std::move(options), &metrics);
  if (!gateway.ok()) {
    tane::telemetry::LogError("cannot configure the gateway", {{"error", gateway.status()}});
    return 1;
  }
  if (auto status = (*gateway)->Start(); !status.ok()) {
    tane::telemetry::LogError("cannot start the gateway", {{"error", status}});
    return 1;
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  tane::telemetry::LogInfo("shutdown signal received", {{"signal", signal_number}});
  // A second signal while draining means: stop now (as the services do).
  std::thread([signals] {
    int again = 0;
    sigwait(&signals, &again);
    tane::telemetry::LogError("second shutdown signal during drain; exiting now", {{"signal", again}});
    ::_exit(128 + again);
  }).detach();
  (*gateway)->Stop();
  return 0;
}
