#pragma once
/// The whole main() of a Tane service, so each service's main.cc says only
/// what is its own:
///
///   int main(int argc, char** argv) {
///     return tane::runtime::ServiceMain(argc, argv, {"projects", 7103, 9103, {"tane.reviews.events"}},
///         [](tane::runtime::ServiceKit& kit, const tane::runtime::ServiceConfig& config)
///             -> absl::StatusOr<std::shared_ptr<void>> {
///           auto rules = ...;                       // from config.catalog_path
///           if (!rules.ok()) return rules.status();
///           auto service = std::make_shared<ProjectsService>(kit, *rules);
///           service->Subscribe();                   // kit.On<...>(...)
///           kit.host().AddService(service.get());
///           return service;                         // kept alive until the host stopped
///         });
///   }
///
/// In order: BlockShutdownSignals; ParseConfigOrExit (exit 0 after --help, 2
/// for a bad flag); the ServiceHost; the ServiceKit with the spec's consumed
/// topics; `assemble`; the host's ports (a taken port fails before any thread
/// of the kit runs); the kit's relay and consumer; the host until
/// SIGTERM/SIGINT. Any failure is logged as one line with its reason and main
/// returns 1. On every path the host drains and runs its shutdown hooks while
/// the assembled objects still exist; they are destroyed after, then the kit.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tane/runtime/config.h"
#include "tane/runtime/service_kit.h"

namespace tane::runtime {

struct ServiceMainSpec {
  std::string name;
  int grpc_port = 0;
  int metrics_port = 0;
  /// Other services' topics the service consumes.
  std::vector<std::string> consume_topics = {};
  /// The service's own flags, if any (see config.h).
  ExtraOptions extra_options = nullptr;
};

/// Creates the service's objects on the kit and registers them (gRPC services
/// with kit.host().AddService, event handlers with kit.On, hooks). What it
/// returns is kept alive until the host has stopped, and destroyed before the kit.
using AssembleService =
    std::function<absl::StatusOr<std::shared_ptr<void>>(ServiceKit& kit, const ServiceConfig& config)>;

/// Runs the service; returns main's exit code.
int ServiceMain(int argc, char** argv, const ServiceMainSpec& spec, const AssembleService& assemble);

}  // namespace tane::runtime
