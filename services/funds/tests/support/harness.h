#pragma once
// The funds service for tests and benchmarks, over real gRPC: in this process
// (Funds and its gRPC edge on tane::service_testing's ServiceUnderTest, on a
// free port, with the caller's clock) or as the tane-funds binary in a child
// process (for kill/restart). Free of GoogleTest so benchmarks link it too.

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tane/core/time.h"
#include "tane/funds/funds.h"
#include "tane/funds/grpc_service.h"
#include "tane/funds/v1/funds.grpc.pb.h"
#include "tane/runtime/service_kit.h"
#include "tane/service_testing/harness.h"
#include "tane/testing/process.h"

namespace tane::funds::testing {

struct Caller {
  std::string role;
  std::string subject;
};
inline const Caller kFinanceOfficer{"finance_officer", "fin-1"};
inline const Caller kProgramOfficer{"program_officer", "po-1"};
inline const Caller kAuditor{"auditor", "audit-1"};

/// A FundsService client. Thread-safe.
class FundsClient final {
 public:
  /// `channel_tag` > 0 gives the client its own TCP connection.
  explicit FundsClient(const std::string& address, int channel_tag = 0);

  template <typename Request, typename Response>
  using Method = grpc::Status (v1::FundsService::Stub::*)(grpc::ClientContext*, const Request&, Response*);

  /// Calls `method` as `caller`; the gRPC status as an absl::Status
  /// (details included, so core::ViolationsOf and ShortfallsOf work).
  template <typename Request, typename Response>
  absl::StatusOr<Response> Call(Method<Request, Response> method, const Request& request,
                                const Caller& caller = kFinanceOfficer,
                                absl::Duration deadline = absl::Seconds(10)) const {
    grpc::ClientContext context;
    Prepare(context, caller, deadline);
    Response response;
    grpc::Status status = ((*stub_).*method)(&context, request, &response);
    if (!status.ok()) return FromGrpc(status);
    return response;
  }

  /// Opens the connection now and waits for it, up to `timeout`: a load
  /// generator connects every client before it measures. False on timeout.
  bool Connect(absl::Duration timeout) const;

 private:
  static void Prepare(grpc::ClientContext& context, const Caller& caller, absl::Duration deadline);
  static absl::Status FromGrpc(const grpc::Status& status);
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::FundsService::Stub> stub_;
};

/// The funds service running in this process.
class InProcessFunds final {
 public:
  /// Starts host, kit and service on `options` (a TestInfrastructure's
  /// OptionsFor(kServiceName), with the caller's clock and shards), over
  /// which it sets what funds runs with: 64 Redis connections, log level
  /// warn, the tane.projects.events consumer, metrics every 100 ms. Waits
  /// until the host is ready.
  static absl::StatusOr<std::unique_ptr<InProcessFunds>> Start(service_testing::ServiceUnderTest::Options options);

  std::string address() const { return service_->address(); }
  runtime::ServiceKit& kit() { return service_->kit(); }
  Funds& funds() { return *funds_; }

 private:
  InProcessFunds() = default;
  std::unique_ptr<service_testing::ServiceUnderTest> service_;  // owns Funds and its gRPC edge
  Funds* funds_ = nullptr;
};

/// The tane-funds binary as a child process on a fixed loopback port, so a
/// restart serves the same address.
class FundsBinary final {
 public:
  struct Options {
    std::string binary;  // path of tane-funds
    std::string redis_addr;
    std::string kafka_bootstrap;
    std::string log_path;
    int shards = 8;
  };
  /// Starts it and waits until it answers.
  static absl::StatusOr<std::unique_ptr<FundsBinary>> Start(Options options);

  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }
  /// SIGKILL, as a crash.
  void Kill() { process_->Kill(); }
  /// Starts it again on the same port and waits until it answers.
  absl::Status Restart();
  /// SIGTERM and wait (the drain path).
  void Stop() { process_->Terminate(); }

 private:
  FundsBinary() = default;
  absl::Status WaitUntilServing();
  int port_ = 0;
  std::unique_ptr<tane::testing::ChildProcess> process_;
};

/// Publishes `payload` (a projects event) about `project_id` to
/// tane.projects.events as projects' relay would, stamped `at`; returns the
/// envelope sent.
absl::StatusOr<common::v1::EventEnvelope> PublishProjectEvent(const std::string& bootstrap,
                                                              const google::protobuf::Message& payload,
                                                              const std::string& project_id, absl::Time at);

/// The transfer of an API message (for comparing with the ledger's records).
Transfer FromProto(const v1::Transfer& transfer);

}  // namespace tane::funds::testing
