#pragma once
/// Closes calls when their deadline passes, and finishes every close or
/// cancellation that a failure interrupted.
///
/// Every replica runs one. Each tick first finishes the CLOSING and
/// CANCELLING calls (idx:calls:stopping: a CloseCall or CancelCall that
/// failed after its intent, or whose process died) through
/// CallsService::FinishIfStopping, then reads the published calls in
/// deadline order (idx:calls:published) and closes every one whose closes_at
/// has passed on the kit's clock, through CallsService::CloseIfDue. Each
/// step is a versioned commit, so when replicas race, exactly one commits
/// it (and emits CallClosed or CallCancelled); the others find it done. A
/// failure (Redis down) is logged and tried again on the next tick; it does
/// not hold up the others.

#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tane/calls/service/calls_service.h"
#include "tane/runtime/service_kit.h"

namespace tane::calls {

struct DeadlineSchedulerOptions {
  /// Time between ticks (real time, whatever the kit's clock says).
  absl::Duration interval = absl::Seconds(1);
};

class DeadlineScheduler final {
 public:
  /// `kit` and `service` must outlive the scheduler.
  DeadlineScheduler(runtime::ServiceKit& kit, CallsService& service, DeadlineSchedulerOptions options = {});
  ~DeadlineScheduler();  // Stop()
  DeadlineScheduler(const DeadlineScheduler&) = delete;
  DeadlineScheduler& operator=(const DeadlineScheduler&) = delete;

  /// Starts ticking on a background thread. Once.
  void Start();
  /// Finishes the tick in progress and stops. Idempotent.
  void Stop();

  /// One tick: finishes every CLOSING or CANCELLING call, then closes every
  /// published call whose closes_at has passed. Returns how many calls this
  /// replica closed or finished cancelling; UNAVAILABLE when an index cannot
  /// be read.
  absl::StatusOr<int> CloseDueCalls();

 private:
  void Loop();

  runtime::ServiceKit& kit_;
  CallsService& service_;
  const DeadlineSchedulerOptions options_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopped_ = false;
  std::thread thread_;
};

}  // namespace tane::calls
