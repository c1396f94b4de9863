#pragma once
// What the calls tests and the benchmark run against: a real redis-server,
// librdkafka's mock cluster, and any number of calls replicas assembled as
// main.cc assembles them, on free loopback ports, sharing one ManualClock.
// Plus helpers that drive the service over gRPC as a given caller.

#include <grpcpp/client_context.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tane/calls/catalog.h"
#include "tane/calls/service/calls_service.h"
#include "tane/calls/service/deadline_scheduler.h"
#include "tane/calls/v1/calls.grpc.pb.h"
#include "tane/core/time.h"
#include "tane/runtime/identity.h"
#include "tane/runtime/service_host.h"
#include "tane/runtime/service_kit.h"
#include "tane/service_testing/harness.h"
#include "tane/testing/fixtures.h"

namespace tane::calls::testing {

/// One calls process: host, kit, service and deadline scheduler. Destroying
/// it drains the host (its hooks stop the scheduler and the kit's consumer
/// and relay), then destroys the scheduler, the service and the kit.
class Replica final {
 public:
  int port() const { return sut_->grpc_port(); }
  runtime::ServiceHost& host() { return sut_->host(); }
  runtime::ServiceKit& kit() { return sut_->kit(); }
  CallsService& service() { return *service_; }
  DeadlineScheduler& scheduler() { return *scheduler_; }
  v1::CallsService::Stub& stub() { return *stub_; }

 private:
  friend class CallsEnv;
  Replica() = default;
  std::unique_ptr<service_testing::ServiceUnderTest> sut_;  // owns the service and the scheduler
  CallsService* service_ = nullptr;
  DeadlineScheduler* scheduler_ = nullptr;
  std::unique_ptr<v1::CallsService::Stub> stub_;
};

struct ReplicaOptions {
  /// Run the scheduler's background loop (tests racing it by hand turn it off).
  bool run_scheduler = true;
  absl::Duration scheduler_interval = absl::Milliseconds(10);
  int redis_pool_size = 8;
  /// The service's test seam (CallsServiceOptions::after_step).
  std::function<void(StopStep, const std::string& call_id)> after_step = {};
};

class CallsEnv final {
 public:
  /// Redis, Kafka with the topics calls writes and reads, the shipped
  /// catalog, and the clock at `start`.
  static absl::StatusOr<std::unique_ptr<CallsEnv>> Start(absl::Time start);
  ~CallsEnv();

  absl::StatusOr<Replica*> AddReplica(ReplicaOptions options = {});
  Replica& replica(int i = 0) { return *replicas_.at(i); }

  core::ManualClock& clock() { return clock_; }
  const std::string& kafka_bootstrap() const { return infra_->kafka_bootstrap(); }
  tane::testing::RedisServer& redis() { return infra_->redis(); }
  const Catalog& catalog() const { return catalog_; }

 private:
  explicit CallsEnv(absl::Time start) : clock_(start) {}
  core::ManualClock clock_;
  Catalog catalog_;
  std::unique_ptr<service_testing::TestInfrastructure> infra_;
  std::vector<std::unique_ptr<Replica>> replicas_;
};

// ---- callers

runtime::CallerIdentity Operator();
runtime::CallerIdentity ProgramOfficer();
runtime::CallerIdentity Applicant(const std::string& subject);

/// A client context that calls as `who`.
std::unique_ptr<grpc::ClientContext> As(const runtime::CallerIdentity& who);

/// The grpc::Status as absl::Status (details kept, so ViolationsOf works).
absl::Status ToAbsl(const grpc::Status& status);

// ---- what the tests create

/// A strategic goal, a CREST research area and a CREST call in it with the
/// window [opens, closes), published, all as the operator. `key` makes the
/// idempotency keys (and so the call) distinct per call.
absl::StatusOr<v1::Call> OpenCrestCall(v1::CallsService::Stub& stub, absl::Time opens, absl::Time closes,
                                       const std::string& key);

/// A valid CREST application (domain tests' CrestApplication) whose principal
/// investigator is researcher `pi` and co-investigator `co` (8 digits each).
v1::Application CrestApplicationOf(const std::string& pi, const std::string& co);
/// e-Rad-shaped researcher number n (8 digits).
std::string Researcher(int n);

/// Drafts `application` in `call_id` as `who`.
absl::StatusOr<v1::Application> Draft(v1::CallsService::Stub& stub, const runtime::CallerIdentity& who,
                                      const std::string& call_id, const v1::Application& application,
                                      const std::string& idempotency_key = "");
absl::StatusOr<v1::Application> Submit(v1::CallsService::Stub& stub, const runtime::CallerIdentity& who,
                                       const std::string& application_id, const std::string& idempotency_key = "");
/// Withdraws `application_id` as `who`, at whatever version it has.
absl::StatusOr<v1::Application> Withdraw(v1::CallsService::Stub& stub, const runtime::CallerIdentity& who,
                                         const std::string& application_id, const std::string& reason);

}  // namespace tane::calls::testing
