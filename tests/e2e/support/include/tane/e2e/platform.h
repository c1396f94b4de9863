#pragma once
/// The whole platform as `make run` starts it (scripts/run.sh), as child
/// processes on free loopback ports in a temporary directory: redis-server
/// (AOF on, appendfsync always), tane-devbroker (its bootstrap list read from
/// the file it writes), the services, and the gateway in front of them with
/// an HS256 secret file of its own. Start() returns once the gateway's
/// /readyz says every upstream is SERVING; the destructor stops everything
/// as run.sh does: the gateway, the services, the broker, Redis.
///
/// For the end-to-end tests and the benchmarks in tests/bench; it does not
/// depend on GoogleTest. Not thread-safe: one thread starts and stops it
/// (the children die with that thread, see testing::ChildProcess).

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tane::testing {
class ChildProcess;
class RedisServer;
}  // namespace tane::testing

namespace tane::e2e {

/// Every service binary of the platform, in start order.
const std::vector<std::string>& AllServices();

struct PlatformOptions {
  /// The services to start (names from AllServices()); the gateway gets an
  /// address for each, so the others' routes answer 503.
  std::vector<std::string> services = AllServices();
  /// Extra environment of the gateway, e.g. {"TANE_RATE_LIMIT", "0"}.
  std::vector<std::pair<std::string, std::string>> gateway_env;
  /// Extra environment of every service, e.g. {"TANE_REDIS_POOL_SIZE", "50"}.
  std::vector<std::pair<std::string, std::string>> service_env;
  /// How long Start() waits for the broker's bootstrap file and for /readyz.
  absl::Duration ready_timeout = absl::Seconds(90);
  /// How long the gateway remembers the international service's answer
  /// about a partner API key (TANE_PARTNER_KEY_TTL; run.sh keeps the
  /// gateway's default, 30 s): short, so that a test sees a revoked key
  /// refused within a second or so.
  absl::Duration partner_key_ttl = absl::Seconds(1);
};

/// A process's Prometheus endpoint: http://127.0.0.1:<port>/metrics.
struct MetricsEndpoint {
  std::string process;
  int port = 0;
};

/// A caller of the gateway: a role, a subject, a partner's agency code, and
/// the credential saying so: an HS256 token (Authorization: Bearer), or a
/// partner API key (X-Api-Key) that the gateway has the international
/// service verify. Only the credential is sent; role, subject and agency
/// say what the gateway is expected to make of it.
struct Caller {
  std::string role;
  std::string subject;
  std::string agency;
  std::string token;
  /// Sent instead of `token` when not empty.
  std::string api_key;

  /// "role:subject" (with "@agency" for partners, and " by API key" for a
  /// key), for messages.
  std::string Describe() const;
};

/// A caller without credentials.
Caller Anonymous();

/// A partner system of `agency` presenting `api_key`, which the
/// international service issued as credential `credential_id`
/// (POST /v1/partner-agencies/{agencyCode}/credentials); the gateway admits
/// it as subject "partner-credential:<credential_id>" (docs/api.md).
Caller PartnerByApiKey(const std::string& agency, const std::string& credential_id, const std::string& api_key);

class Platform final {
 public:
  /// Starts everything and waits until the gateway is ready. On failure
  /// the status message ends with the tail of every process's log, and
  /// whatever was started is stopped again.
  static absl::StatusOr<std::unique_ptr<Platform>> Start(PlatformOptions options = {});
  /// SIGTERM to the gateway, then to every service at once, then the broker
  /// and Redis, waiting for each to exit; removes the temporary directory
  /// unless TANE_E2E_KEEP is set.
  ~Platform();
  Platform(const Platform&) = delete;
  Platform& operator=(const Platform&) = delete;

  int gateway_port() const { return gateway_port_; }
  /// The gRPC port of a started service; 0 for one that is not started.
  int grpc_port(const std::string& service) const;
  int redis_port() const;
  /// Every started service's and the gateway's metrics endpoint.
  const std::vector<MetricsEndpoint>& metrics_endpoints() const { return metrics_; }
  /// The temporary directory: logs in log/, Redis data in redis/.
  const std::string& directory() const { return directory_; }

  /// A token for `role` and `subject` (and `agency`, partners only), signed
  /// with the gateway's secret, valid 8 hours. INVALID_ARGUMENT for claims
  /// the gateway would refuse (an unknown role, a partner without agency).
  absl::StatusOr<Caller> As(const std::string& role, const std::string& subject, const std::string& agency = "") const;

  /// "" while every process runs; otherwise which exited and how (each
  /// exit is reported once).
  std::string Exited();
  /// The last `lines` lines of every process's log, under a header each.
  std::string LogTails(size_t lines = 30) const;

 private:
  struct Process;
  Platform() = default;
  absl::Status Launch(const PlatformOptions& options);
  absl::Status StartProcess(const std::string& name, const std::string& binary, std::vector<std::string> args,
                            std::vector<std::pair<std::string, std::string>> env);
  absl::Status WaitUntilReady(absl::Duration timeout);

  std::string directory_;
  bool remove_directory_ = true;
  std::string jwt_secret_;
  std::unique_ptr<testing::RedisServer> redis_;
  std::vector<std::unique_ptr<Process>> processes_;  // start order
  std::vector<std::pair<std::string, int>> grpc_ports_;
  std::vector<MetricsEndpoint> metrics_;
  int gateway_port_ = 0;
};

}  // namespace tane::e2e
