// tane-international: partner agencies, joint calls, joint proposals and
// joint decisions (see services/international/README.md).
#include "tane/international/service.h"
#include "tane/runtime/service_kit.h"
#include "tane/telemetry/log.h"

int main(int argc, char** argv) {
  tane::runtime::BlockShutdownSignals();
  const auto config = tane::runtime::ParseConfigOrExit(
      argc, argv, tane::runtime::ServiceConfig::Defaults("international", 7105, 9105));
  tane::runtime::ServiceHost host(config);
  tane::runtime::ServiceKitOptions options;
  options.consume_topics = {"tane.calls.events", "tane.reviews.events"};
  auto kit = tane::runtime::ServiceKit::Create(host, options);
  if (!kit.ok()) {
    tane::telemetry::LogError("cannot start", {{"error", kit.status()}});
    return 1;
  }
  tane::international::InternationalService service(**kit);
  service.RegisterEventHandlers();
  host.AddService(&service);
  if (auto s = (*kit)->Start(); !s.ok()) {
    tane::telemetry::LogError("cannot start the event plumbing", {{"error", s}});
    return 1;
  }
  tane::telemetry::LogInfo("international starting", {{"config", config.Describe()}});
  return host.Run().ok() ? 0 : 1;
}
