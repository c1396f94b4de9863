#pragma once
// The bank workload (after Jepsen's), shared by the ledger's and the
// service's bank tests: concurrent clients move random amounts between
// accounts of one program, create and resolve pending transfers, repeat
// transfer ids at random (same content: a no-op returning the original;
// other content: refused), and retry with the same ids whenever the outcome
// of a call is unknown (Redis or the service crashed under it). Afterwards:
//   - the total across all accounts is what was put in, and nothing that
//     must not go negative is negative;
//   - every acknowledged transfer is in the records exactly once, with its
//     content and last acknowledged state, and nothing else is;
//   - the balances recomputed from the records equal the stored balances;
//   - every transfer's events were emitted exactly once (one event id per
//     transfer and version, whatever the wire repeated).
// Free of GoogleTest: problems come back as text.

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tane/common/v1/envelope.pb.h"
#include "tane/funds/ledger.h"

namespace tane::funds::bank {

/// What the workload drives: the ledger library, or the service over gRPC.
class Target {
 public:
  struct Result {
    Transfer transfer;
    /// Whether nothing changed, when the target can tell.
    std::optional<bool> duplicate;
  };
  virtual ~Target() = default;
  virtual absl::Status Open(const AccountSpec& spec) = 0;
  virtual absl::StatusOr<Result> Create(const TransferRequest& request) = 0;
  virtual absl::StatusOr<Result> Resolve(const std::string& transfer_id, bool post) = 0;
  /// Whether a failed call's outcome is unknown: the client retries it with
  /// the same ids.
  virtual bool Unknown(const absl::Status& status) const = 0;
};

struct Options {
  int clients = 16;
  absl::Duration duration = absl::Seconds(10);
  int64_t initial = 1'000'000;  // per account that must not go negative
  int64_t max_move = 400'000;
  absl::Duration give_up_after = absl::Seconds(60);  // of unknown outcomes in a row
};

/// The run's duration: TANE_BANK_SECONDS when set, else `fallback`.
absl::Duration DurationFromEnv(absl::Duration fallback);

struct Stats {
  std::atomic<int64_t> attempts{0}, acked{0}, insufficient{0}, repeats{0}, conflicts{0}, resolved{0}, unknown{0},
      found_booked{0};
};

class Workload final {
 public:
  /// 20 accounts in `program`: the external source (setup only), a clearing
  /// account that may go negative, a program budget and 17 project
  /// allocations that must not.
  Workload(Target& target, std::string program, Options options);

  /// Opens the accounts and funds them from the external source.
  absl::Status Setup();
  /// Runs the clients for options.duration; `during` runs on this thread
  /// meanwhile (to inject faults), with the run's start and end.
  void Run(const std::function<void(absl::Time start, absl::Time end)>& during = nullptr);
  /// The invariants against the ledger read directly and the events emitted
  /// (the outbox, or what reached Kafka: `repeats_allowed` for the wire).
  std::vector<std::string> Verify(Ledger& ledger, const std::vector<common::v1::EventEnvelope>& events,
                                  bool repeats_allowed) const;
  /// Distinct event ids the transfers must have emitted (creation, and
  /// resolution of resolved pending ones).
  size_t ExpectedEvents() const;

  const Stats& stats() const { return stats_; }
  const std::string& program() const { return program_; }
  std::string Summary() const;

 private:
  struct Acked {
    TransferRequest request;
    TransferState state;
    absl::Time created_at;
  };
  void Client(int client, absl::Time deadline);
  /// Runs `op` until its outcome is known; `*unknown` says whether an attempt
  /// was not, `*last_attempt` when the final attempt started.
  absl::StatusOr<Target::Result> Retry(const std::function<absl::StatusOr<Target::Result>()>& op, bool* unknown,
                                       absl::Time* last_attempt = nullptr);
  void Fail(std::string what);

  Target& target_;
  const std::string program_;
  const Options options_;
  std::vector<AccountSpec> accounts_;
  int64_t put_in_ = 0;
  Stats stats_;
  absl::Duration ran_for_;
  mutable std::mutex mu_;
  std::map<std::string, Acked> acked_;
  std::vector<std::string> failures_;
};

/// The ledger library as a target.
class LedgerTarget final : public Target {
 public:
  LedgerTarget(Ledger& ledger, std::string program) : ledger_(ledger), program_(std::move(program)) {}
  absl::Status Open(const AccountSpec& spec) override;
  absl::StatusOr<Result> Create(const TransferRequest& request) override;
  absl::StatusOr<Result> Resolve(const std::string& transfer_id, bool post) override;
  bool Unknown(const absl::Status& status) const override { return absl::IsUnavailable(status); }

 private:
  Ledger& ledger_;
  std::string program_;
};

/// The outbox entries of the program's shard, in order.
absl::StatusOr<std::vector<common::v1::EventEnvelope>> ReadOutbox(store::RedisPool& pool, const Ledger& ledger,
                                                                  const std::string& program);

}  // namespace tane::funds::bank
