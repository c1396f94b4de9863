#include "tane/calls/service/deadline_scheduler.h"

#include "keys.h"
#include "tane/store/sharded_index.h"
#include "tane/telemetry/log.h"

namespace tane::calls {
namespace {

namespace tel = ::tane::telemetry;

constexpr int kPage = 100;

}  // namespace

DeadlineScheduler::DeadlineScheduler(runtime::ServiceKit& kit, CallsService& service, DeadlineSchedulerOptions options)
    : kit_(kit), service_(service), options_(options) {}

DeadlineScheduler::~DeadlineScheduler() { Stop(); }

void DeadlineScheduler::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void DeadlineScheduler::Stop() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<int> DeadlineScheduler::CloseDueCalls() {
  const absl::Time now = kit_.clock().Now();
  int closed = 0;
  // First the closes and cancellations begun and not finished: few, and
  // never due to anything but a failure, so all of them every tick.
  std::string cursor;
  do {
    auto page = kit_.index().Page(keys::kStoppingCallsIndex, cursor, kPage);
    if (!page.ok()) return page.status();
    for (const std::string& member : page->members) {
      const std::string call_id(store::IndexMemberId(member));
      auto done = service_.FinishIfStopping(call_id, now);
      if (!done.ok()) {
        tel::LogWarn("finishing an interrupted close or cancellation failed",
                     {{"call_id", call_id}, {"error", done.status()}});
      } else if (*done) {
        ++closed;
      }
    }
    cursor = page->next_cursor;
  } while (!cursor.empty());
  // Members are "<closes_at>|<call_id>": a call is due when its closes_at <= now.
  const std::string due_until = store::SortKeyOfTime(now);
  for (;;) {
    auto page = kit_.index().Page(keys::kPublishedCallsIndex, cursor, kPage);
    if (!page.ok()) return page.status();
    for (const std::string& member : page->members) {
      if (member.substr(0, member.find('|')) > due_until) return closed;
      const std::string call_id(store::IndexMemberId(member));
      auto done = service_.CloseIfDue(call_id, now);
      if (!done.ok()) {  // this one waits for the next tick; the others go on
        tel::LogWarn("closing a call past its deadline failed", {{"call_id", call_id}, {"error", done.status()}});
      } else if (*done) {
        ++closed;
      }
    }
    if (page->next_cursor.empty()) return closed;
    cursor = page->next_cursor;
  }
}

void DeadlineScheduler::Loop() {
  std::unique_lock lock(mu_);
  while (!stopped_) {
    lock.unlock();
    if (auto closed = CloseDueCalls(); !closed.ok()) {
      tel::LogWarn("reading the calls due to close failed; retrying next tick", {{"error", closed.status()}});
    }
    lock.lock();
    wake_.wait_for(lock, absl::ToChronoMilliseconds(options_.interval), [this] { return stopped_; });
  }
}

}  // namespace tane::calls
