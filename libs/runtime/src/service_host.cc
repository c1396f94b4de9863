#include "tane/runtime/service_host.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/impl/server_builder_option.h>
#include <grpcpp/impl/server_builder_plugin.h>
#include <grpcpp/impl/server_initializer.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <set>

#include "tane/telemetry/grpc_interceptor.h"
#include "tane/telemetry/log.h"

namespace tane::runtime {
namespace {

namespace tel = ::tane::telemetry;

constexpr char kHealthService[] = "grpc.health.v1.Health";
constexpr char kReflectionService[] = "grpc.reflection.v1alpha.ServerReflection";

sigset_t ShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

// One sigwait thread per process, started with the first Run(). It hands a
// signal to every host that is running; a signal that arrives while none is
// running is kept for the next one, so a SIGTERM during startup still stops
// the service. A second signal while a host is still running (draining)
// exits at once: the operator asked twice.
class SignalWatcher final {
 public:
  static SignalWatcher& Get() {
    static auto* watcher = new SignalWatcher();  // never destroyed: its thread outlives main
    return *watcher;
  }

  void Register(ServiceHost* host) {
    std::lock_guard lock(mu_);
    if (!started_) {
      started_ = true;
      std::thread([this] { Loop(); }).detach();
    }
    hosts_.insert(host);
    if (pending_) {
      pending_ = false;
      host->RequestShutdown();
    }
  }

  void Unregister(ServiceHost* host) {
    std::lock_guard lock(mu_);
    hosts_.erase(host);
    if (hosts_.empty()) signalled_ = false;
  }

 private:
  void Loop() {
    const sigset_t set = ShutdownSignals();
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      std::lock_guard lock(mu_);
      if (hosts_.empty()) {
        pending_ = true;
        continue;
      }
      if (signalled_) {
        tel::LogError("second shutdown signal during drain; exiting now", {{"signal", sig}});
        ::_exit(128 + sig);
      }
      signalled_ = true;
      tel::LogInfo("shutdown signal received", {{"signal", sig}});
      for (ServiceHost* host : hosts_) host->RequestShutdown();
    }
  }

  std::mutex mu_;
  bool started_ = false;
  bool pending_ = false;
  bool signalled_ = false;
  std::set<ServiceHost*> hosts_;
};

// Captures the names of the services the server ended up with (the builder
// does not expose them; plugins see them once the server is built).
class ServiceListPlugin final : public grpc::ServerBuilderPlugin {
 public:
  explicit ServiceListPlugin(std::vector<std::string>* out) : out_(out) {}
  std::string name() override { return "tane_service_list"; }
  void InitServer(grpc::ServerInitializer*) override {}
  void Finish(grpc::ServerInitializer* si) override { *out_ = *si->GetServiceList(); }
  void ChangeArguments(const std::string&, void*) override {}

 private:
  std::vector<std::string>* out_;
};

class ServiceListOption final : public grpc::ServerBuilderOption {
 public:
  explicit ServiceListOption(std::vector<std::string>* out) : out_(out) {}
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    plugins->push_back(std::make_unique<ServiceListPlugin>(out_));
  }

 private:
  std::vector<std::string>* out_;
};

std::chrono::system_clock::time_point Deadline(absl::Duration d) {
  return std::chrono::system_clock::now() + absl::ToChronoMilliseconds(d);
}

}  // namespace

void BlockShutdownSignals() {
  const sigset_t set = ShutdownSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

ServiceHost::ServiceHost(ServiceConfig config, ServiceHostOptions options)
    : config_(std::move(config)), options_(options) {
  if (options_.handle_signals) BlockShutdownSignals();
  tel::SetLogService(config_.service_name);
  if (auto level = tel::ParseLogLevel(config_.log_level)) tel::SetLogLevel(*level);
}

ServiceHost::~ServiceHost() {
  RequestShutdown();
  Drain();
}

void ServiceHost::AddService(grpc::Service* service) { services_.push_back(service); }

void ServiceHost::AddReadinessCheck(std::string name, std::function<absl::Status()> check) {
  std::lock_guard lock(mu_);
  checks_.push_back({std::move(name), std::move(check), /*gates_readiness=*/true});
}

void ServiceHost::AddDependencyCheck(std::string name, std::function<absl::Status()> check) {
  std::lock_guard lock(mu_);
  checks_.push_back({std::move(name), std::move(check), /*gates_readiness=*/false});
}

void ServiceHost::AddShutdownHook(std::string name, std::function<void()> hook) {
  std::lock_guard lock(mu_);
  hooks_.push_back({std::move(name), std::move(hook)});
}

absl::Status ServiceHost::Start() {
  {
    std::lock_guard lock(mu_);
    if (started_) return absl::FailedPreconditionError("ServiceHost already started");
    started_ = true;
  }
  // Metrics first: if its port is taken, nothing has started yet.
  if (!config_.metrics_addr.empty()) {
    if (auto status = metrics_.Serve(config_.metrics_addr); !status.ok()) {
      tel::LogError("cannot serve metrics", {{"addr", config_.metrics_addr}, {"error", status}});
      return status;
    }
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config_.grpc_addr, grpc::InsecureServerCredentials(), &grpc_port_);
  for (grpc::Service* service : services_) builder.RegisterService(service);
  builder.SetMaxReceiveMessageSize(options_.max_message_bytes);
  builder.SetMaxSendMessageSize(options_.max_message_bytes);
  // gRPC sets SO_REUSEPORT by default: a second replica on the same address
  // would then start "fine" and split the traffic. Fail instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetOption(std::make_unique<ServiceListOption>(&service_names_));
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(tel::MakeServerMetricsInterceptorFactory(metrics_));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || grpc_port_ == 0) {
    server_.reset();
    auto status = absl::UnavailableError("cannot serve gRPC on " + config_.grpc_addr);
    tel::LogError("cannot start the gRPC server", {{"addr", config_.grpc_addr}, {"error", status}});
    return status;
  }
  service_names_.erase(
      std::remove_if(service_names_.begin(), service_names_.end(),
                     [](const std::string& n) { return n == kHealthService || n == kReflectionService; }),
      service_names_.end());
  {
    std::lock_guard lock(mu_);
    SetServing(false);  // the default health service starts out SERVING
    readiness_thread_ = std::thread([this] { ReadinessLoop(); });
  }
  tel::LogInfo("started",
               {{"grpc_port", grpc_port_}, {"metrics_port", metrics_.port()}, {"config", config_.Describe()}});
  return absl::OkStatus();
}

absl::Status ServiceHost::Run() {
  bool started;
  {
    std::lock_guard lock(mu_);
    started = started_;
  }
  if (!started) {
    if (auto status = Start(); !status.ok()) return status;
  }
  if (options_.handle_signals) SignalWatcher::Get().Register(this);
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return shutdown_requested_; });
  }
  Drain();
  if (options_.handle_signals) SignalWatcher::Get().Unregister(this);
  return absl::OkStatus();
}

void ServiceHost::RequestShutdown() {
  std::lock_guard lock(mu_);
  shutdown_requested_ = true;
  cv_.notify_all();
}

bool ServiceHost::Ready() const {
  std::lock_guard lock(mu_);
  return ready_;
}

bool ServiceHost::WaitUntilReady(absl::Duration timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, absl::ToChronoMilliseconds(timeout), [this] { return ready_ || stopping_; });
  return ready_;
}

void ServiceHost::SetServing(bool serving) {
  ready_ = serving;
  if (server_ == nullptr || stopping_) return;
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health == nullptr) return;
  health->SetServingStatus(serving);  // "" and every service
  for (const std::string& name : service_names_) health->SetServingStatus(name, serving);
}

void ServiceHost::ReadinessLoop() {
  std::map<std::string, bool> last;  // per check: passing at the last pass
  std::optional<bool> last_overall;
  for (;;) {
    std::vector<Check> checks;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      checks = checks_;
    }
    bool all_ok = true;
    for (const Check& check : checks) {
      const absl::Status status = check.fn();
      const bool ok = status.ok();
      if (check.gates_readiness) all_ok = all_ok && ok;
      metrics_
          .GaugeFamily("tane_dependency_up", "1 while the dependency's check passes, 0 while it fails")
          .Add({{"service", config_.service_name}, {"dependency", check.name}})
          .Set(ok ? 1 : 0);
      auto it = last.find(check.name);
      // Logged on transitions only, so a down dependency is one line, not one per second.
      if (it == last.end() || it->second != ok) {
        if (!ok) {
          tel::LogWarn(check.gates_readiness ? "readiness check failing" : "dependency check failing (still serving)",
                       {{"check", check.name}, {"error", status}});
        } else if (it != last.end()) {
          tel::LogInfo("readiness check passing again", {{"check", check.name}});
        }
        last[check.name] = ok;
      }
    }
    std::unique_lock lock(mu_);
    if (stopping_) return;
    if (!last_overall || *last_overall != all_ok) {
      last_overall = all_ok;
      SetServing(all_ok);
      tel::LogInfo(all_ok ? "ready: serving" : "not ready: not serving");
      cv_.notify_all();
    }
    cv_.wait_for(lock, absl::ToChronoMilliseconds(options_.readiness_interval), [this] { return stopping_; });
  }
}

void ServiceHost::Drain() {
  std::vector<Hook> hooks;
  {
    std::lock_guard lock(mu_);
    if (drained_) return;
    drained_ = true;
    if (!started_ || server_ == nullptr) {
      // Never served: there is nothing to drain, but hooks may own resources.
      hooks = std::move(hooks_);
    } else {
      SetServing(false);
      stopping_ = true;
      hooks = std::move(hooks_);
    }
    cv_.notify_all();
  }
  if (server_ != nullptr) {
    tel::LogInfo("shutting down: draining in-flight calls",
                 {{"grace_seconds", absl::ToDoubleSeconds(options_.shutdown_grace)}});
    // No later readiness pass may flip it back to SERVING.
    if (auto* health = server_->GetHealthCheckService()) health->Shutdown();
    if (readiness_thread_.joinable()) readiness_thread_.join();
    server_->Shutdown(Deadline(options_.shutdown_grace));
    server_->Wait();
  }
  for (auto it = hooks.rbegin(); it != hooks.rend(); ++it) {
    const absl::Time start = absl::Now();
    it->fn();
    tel::LogInfo("shutdown hook done", {{"hook", it->name}, {"seconds", absl::Now() - start}});
  }
  if (server_ != nullptr) tel::LogInfo("stopped");
}

}  // namespace tane::runtime
