#include "tane/e2e/platform.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "tane/auth/jwt.h"
#include "tane/auth/secret_file.h"
#include "tane/gateway/http_client.h"
#include "tane/testing/fixtures.h"
#include "tane/testing/process.h"

namespace tane::e2e {
namespace {

namespace fs = std::filesystem;

// The binaries, from CMake ($<TARGET_FILE:...>).
struct Binary {
  const char* name;
  const char* path;
};
constexpr Binary kServiceBinaries[] = {
    {"calls", TANE_E2E_CALLS_BINARY},
    {"reviews", TANE_E2E_REVIEWS_BINARY},
    {"projects", TANE_E2E_PROJECTS_BINARY},
    {"funds", TANE_E2E_FUNDS_BINARY},
    {"international", TANE_E2E_INTERNATIONAL_BINARY},
};

std::string Loopback(int port) { return absl::StrCat("127.0.0.1:", port); }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// /readyz answered 200 and names each expected upstream as serving.
absl::Status CheckReady(int port, const std::vector<std::string>& services) {
  auto client = gateway::HttpClient::Connect("127.0.0.1", port, absl::Seconds(2));
  if (!client.ok()) return client.status();
  auto reply = (*client)->Send("GET", "/readyz");
  if (!reply.ok()) return reply.status();
  if (reply->status != 200) {
    return absl::UnavailableError(absl::StrCat("/readyz answered ", reply->status, ": ", reply->body));
  }
  google::protobuf::Struct body;
  if (auto s = google::protobuf::util::JsonStringToMessage(reply->body, &body); !s.ok()) {
    return absl::InternalError(absl::StrCat("/readyz body is not JSON: ", reply->body));
  }
  const auto listed = body.fields().find("upstreams");
  if (listed == body.fields().end()) return absl::InternalError("/readyz lists no upstreams: " + reply->body);
  const auto& upstreams = listed->second.struct_value().fields();
  for (const std::string& service : services) {
    auto it = upstreams.find(service);
    const auto* fields = it == upstreams.end() ? nullptr : &it->second.struct_value().fields();
    if (fields == nullptr || !fields->contains("serving") || !fields->at("serving").bool_value()) {
      return absl::UnavailableError(absl::StrCat("/readyz does not list ", service, " as serving: ", reply->body));
    }
  }
  return absl::OkStatus();
}

}  // namespace

const std::vector<std::string>& AllServices() {
  static const auto* names = [] {
    auto* out = new std::vector<std::string>;
    for (const Binary& b : kServiceBinaries) out->push_back(b.name);
    return out;
  }();
  return *names;
}

std::string Caller::Describe() const {
  if (role.empty()) return "anonymous";
  return absl::StrCat(role, ":", subject, agency.empty() ? "" : "@", agency, api_key.empty() ? "" : " by API key");
}

Caller Anonymous() { return Caller{}; }

Caller PartnerByApiKey(const std::string& agency, const std::string& credential_id, const std::string& api_key) {
  return Caller{"partner", "partner-credential:" + credential_id, agency, "", api_key};
}

struct Platform::Process {
  std::string name;
  std::unique_ptr<testing::ChildProcess> child;
};

absl::StatusOr<std::unique_ptr<Platform>> Platform::Start(PlatformOptions options) {
  std::unique_ptr<Platform> platform(new Platform());
  if (auto s = platform->Launch(options); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat(s.message(), "\n", platform->LogTails()));
  }
  return platform;
}

absl::Status Platform::Launch(const PlatformOptions& options) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = absl::StrCat((tmp != nullptr && *tmp != '\0') ? tmp : "/tmp", "/tane-e2e-XXXXXX");
  if (::mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp ", pattern, ": ", std::strerror(errno)));
  }
  directory_ = pattern;
  remove_directory_ = std::getenv("TANE_E2E_KEEP") == nullptr;
  std::error_code ec;
  fs::create_directories(directory_ + "/log", ec);
  if (ec) return absl::InternalError(absl::StrCat("create ", directory_, "/log: ", ec.message()));

  // Redis as run.sh starts it: AOF on, appendfsync always.
  testing::RedisServer::Options redis;
  redis.directory = directory_ + "/redis";
  auto started_redis = testing::RedisServer::Start(redis);
  if (!started_redis.ok()) return started_redis.status();
  redis_ = *std::move(started_redis);

  // The dev broker publishes its bootstrap list by writing a file and renaming it into place.
  const std::string bootstrap_file = directory_ + "/kafka.bootstrap";
  if (auto s = StartProcess("devbroker", TANE_E2E_DEVBROKER_BINARY, {"--bootstrap-file", bootstrap_file}, {});
      !s.ok()) {
    return s;
  }
  std::string bootstrap;
  std::string exited;
  testing::WaitFor(
      [&] {
        bootstrap = std::string(absl::StripAsciiWhitespace(ReadFile(bootstrap_file)));
        exited = Exited();
        return !bootstrap.empty() || !exited.empty();
      },
      options.ready_timeout, absl::Milliseconds(20));
  if (bootstrap.empty()) {
    return absl::UnavailableError(
        absl::StrCat("tane-devbroker did not publish ", bootstrap_file, exited.empty() ? "" : ": ", exited));
  }

  std::vector<std::pair<std::string, std::string>> upstreams;
  for (const std::string& service : options.services) {
    const Binary* binary = nullptr;
    for (const Binary& b : kServiceBinaries) {
      if (service == b.name) binary = &b;
    }
    if (binary == nullptr) return absl::InvalidArgumentError(absl::StrCat("no service named \"", service, "\""));
    const int grpc_port = testing::FreeLoopbackPort();
    const int metrics_port = testing::FreeLoopbackPort();
    std::vector<std::pair<std::string, std::string>> env = {
        {"TANE_GRPC_ADDR", Loopback(grpc_port)},
        {"TANE_METRICS_ADDR", Loopback(metrics_port)},
        {"TANE_REDIS_ADDR", Loopback(redis_->port())},
        {"TANE_KAFKA_BOOTSTRAP", bootstrap},
    };
    env.insert(env.end(), options.service_env.begin(), options.service_env.end());
    if (auto s = StartProcess(service, binary->path, {}, std::move(env)); !s.ok()) return s;
    grpc_ports_.emplace_back(service, grpc_port);
    metrics_.push_back({service, metrics_port});
    upstreams.emplace_back(absl::StrCat("TANE_", absl::AsciiStrToUpper(service), "_ADDR"), Loopback(grpc_port));
  }

  // The gateway with a secret file of its own, shared with As() as
  // run.sh shares var/jwt.secret with tanectl.
  const std::string secret_file = directory_ + "/jwt.secret";
  auto secret = auth::LoadOrCreateSecretFile(secret_file);
  if (!secret.ok()) return secret.status();
  jwt_secret_ = *secret;
  gateway_port_ = testing::FreeLoopbackPort();
  const int gateway_metrics_port = testing::FreeLoopbackPort();
  std::vector<std::pair<std::string, std::string>> env = upstreams;
  env.insert(env.end(), {{"TANE_HTTP_ADDR", Loopback(gateway_port_)},
                         {"TANE_METRICS_ADDR", Loopback(gateway_metrics_port)},
                         {"TANE_JWT_SECRET_FILE", secret_file},
                         {"TANE_PARTNER_KEY_TTL", absl::FormatDuration(options.partner_key_ttl)}});
  env.insert(env.end(), options.gateway_env.begin(), options.gateway_env.end());
  if (auto s = StartProcess("gateway", TANE_E2E_GATEWAY_BINARY, {}, std::move(env)); !s.ok()) return s;
  metrics_.push_back({"gateway", gateway_metrics_port});

  return WaitUntilReady(options.ready_timeout);
}

absl::Status Platform::StartProcess(const std::string& name, const std::string& binary, std::vector<std::string> args,
                                    std::vector<std::pair<std::string, std::string>> env) {
  testing::ChildProcess::Options child;
  child.argv.push_back(binary);
  child.argv.insert(child.argv.end(), args.begin(), args.end());
  child.env = std::move(env);
  child.log_path = absl::StrCat(directory_, "/log/", name, ".log");
  auto started = testing::ChildProcess::Start(std::move(child));
  if (!started.ok()) return started.status();
  processes_.push_back(std::make_unique<Process>(Process{name, *std::move(started)}));
  return absl::OkStatus();
}

absl::Status Platform::WaitUntilReady(absl::Duration timeout) {
  std::vector<std::string> services;
  for (const auto& [service, port] : grpc_ports_) services.push_back(service);
  absl::Status last = absl::UnavailableError("not checked yet");
  std::string exited;
  testing::WaitFor(
      [&] {
        exited = Exited();
        if (!exited.empty()) return true;
        last = CheckReady(gateway_port_, services);
        return last.ok();
      },
      timeout, absl::Milliseconds(50));
  if (!exited.empty()) return absl::UnavailableError(absl::StrCat("a process exited at start: ", exited));
  if (!last.ok()) {
    return absl::DeadlineExceededError(
        absl::StrCat("the gateway was not ready within ", absl::FormatDuration(timeout), ": ", last.message()));
  }
  return absl::OkStatus();
}

Platform::~Platform() {
  // In run.sh's order: the gateway, the services, the broker, Redis. The
  // services drain at the same time (each takes a while to leave its
  // consumer group); nothing of theirs depends on another's stopping.
  auto stop = [&](auto&& which) {
    std::vector<std::thread> stopping;
    for (auto& p : processes_) {
      if (which(p->name)) stopping.emplace_back([&child = *p->child] { child.Terminate(); });
    }
    for (auto& t : stopping) t.join();
  };
  const auto& services = AllServices();
  stop([](const std::string& name) { return name == "gateway"; });
  stop([&](const std::string& name) { return std::find(services.begin(), services.end(), name) != services.end(); });
  stop([](const std::string& name) { return name == "devbroker"; });
  processes_.clear();
  redis_.reset();
  if (remove_directory_ && !directory_.empty()) {
    std::error_code ec;
    fs::remove_all(directory_, ec);
  }
}

int Platform::grpc_port(const std::string& service) const {
  for (const auto& [name, port] : grpc_ports_) {
    if (name == service) return port;
  }
  return 0;
}

int Platform::redis_port() const { return redis_ ? redis_->port() : 0; }

absl::StatusOr<Caller> Platform::As(const std::string& role, const std::string& subject,
                                    const std::string& agency) const {
  auth::TokenClaims claims;
  claims.subject = subject;
  claims.role = role;
  claims.agency = agency;
  claims.issuer = "tane-dev";
  claims.audience = "tane";
  claims.issued_at = absl::Now();
  auto token = auth::MintHs256(claims, jwt_secret_);
  if (!token.ok()) return token.status();
  return Caller{role, subject, agency, *std::move(token), ""};
}

std::string Platform::Exited() {
  std::string out;
  for (auto& p : processes_) {
    if (!p->child->running()) continue;
    std::string how;
    if (p->child->Exited(&how)) absl::StrAppend(&out, out.empty() ? "" : "; ", p->name, " ", how);
  }
  return out;
}

std::string Platform::LogTails(size_t lines) const {
  std::string out;
  auto section = [&](const std::string& name, const std::string& path, const std::string& tail) {
    absl::StrAppend(&out, "---- ", name, " (", path, ") ----", tail, "\n");
  };
  if (redis_) section("redis", redis_->log_path(), testing::FileTail(redis_->log_path(), lines));
  for (const auto& p : processes_) {
    section(p->name, absl::StrCat(directory_, "/log/", p->name, ".log"), p->child->LogTail(lines));
  }
  return out;
}

}  // namespace tane::e2e
