// Two calls replicas (two kits and hosts on one Redis and one Kafka) racing
// to close the same calls at their deadline: CallClosed exactly once per
// call, with the right count, also when Redis dies around the deadline.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "calls_env.h"
#include "tane/bus/envelope.h"
#include "tane/calls/v1/events.pb.h"
#include "tane/testing/topics.h"
#include "test_data.h"

namespace tane::calls::testing {
namespace {

const bool kSignalsBlocked = [] {
  runtime::BlockShutdownSignals();
  return true;
}();

constexpr int kCalls = 6;
const absl::Time kOpens = Jst(2017, 4, 12);
const absl::Time kCloses = Jst(2017, 6, 7);

class SchedulerRaceTest : public ::testing::Test {
 protected:
  // Two replicas and kCalls calls closing at kCloses; call i has i submitted
  // applications.
  void StartReplicas(bool run_schedulers) {
    auto env = CallsEnv::Start(Jst(2017, 5, 1, 9));
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = std::move(*env);
    for (int r = 0; r < 2; ++r) {
      auto replica = env_->AddReplica({.run_scheduler = run_schedulers});
      ASSERT_TRUE(replica.ok()) << replica.status();
    }
    int researcher = 12000000;
    for (int i = 0; i < kCalls; ++i) {
      auto call = OpenCrestCall(env_->replica(i % 2).stub(), kOpens, kCloses, "call-" + std::to_string(i));
      ASSERT_TRUE(call.ok()) << call.status();
      for (int n = 0; n < i; ++n, ++researcher) {
        auto& stub = env_->replica(n % 2).stub();
        const auto who = Applicant("a" + std::to_string(researcher));
        auto draft = Draft(stub, who, call->call_id(),
                           CrestApplicationOf(Researcher(researcher), Researcher(researcher + 500000)));
        ASSERT_TRUE(draft.ok()) << draft.status();
        ASSERT_TRUE(Submit(stub, who, draft->application_id()).ok());
      }
      submitted_[call->call_id()] = i;
    }
  }

  // Reads tane.calls.events until every call's CallClosed is in; returns
  // them by call id, failing on a second one for any call.
  std::map<std::string, v1::CallClosed> ClosedEvents() {
    tane::testing::TopicReader reader(env_->kafka_bootstrap(), "tane.calls.events");
    const std::string type = v1::CallClosed::descriptor()->full_name();
    EXPECT_TRUE(reader.ReadUntil([&](const auto&) { return reader.OfType(type).size() >= kCalls; }, absl::Seconds(90)));
    std::map<std::string, v1::CallClosed> closed;
    for (const auto& envelope : reader.OfType(type)) {
      v1::CallClosed payload;
      EXPECT_TRUE(bus::UnpackPayload(envelope, &payload));
      EXPECT_TRUE(closed.emplace(payload.call_id(), payload).second) << "second CallClosed for " << payload.call_id();
    }
    return closed;
  }

  void ExpectClosedOnceWithTheirCounts() {
    const auto closed = ClosedEvents();
    ASSERT_EQ(closed.size(), static_cast<size_t>(kCalls));
    for (const auto& [call_id, event] : closed) {
      ASSERT_TRUE(submitted_.contains(call_id));
      EXPECT_EQ(event.application_count(), submitted_[call_id]) << call_id;
      EXPECT_TRUE(event.by_deadline());
      v1::GetCallRequest get;
      get.set_call_id(call_id);
      v1::Call call;
      ASSERT_TRUE(env_->replica(0).stub().GetCall(As(Operator()).get(), get, &call).ok());
      EXPECT_EQ(call.state(), v1::CALL_STATE_CLOSED);
      EXPECT_EQ(call.version(), 4) << "created, published, closing, closed: one close begun and finished";
    }
  }

  std::unique_ptr<CallsEnv> env_;
  std::map<std::string, int64_t> submitted_;
};

TEST_F(SchedulerRaceTest, ManyTicksOnTwoReplicasCloseEachCallExactlyOnce) {
  StartReplicas(/*run_schedulers=*/false);
  EXPECT_EQ(*env_->replica(0).scheduler().CloseDueCalls(), 0) << "nothing is due before the deadline";
  env_->clock().Set(kCloses);

  constexpr int kTickers = 8;
  std::atomic<int> closed{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> tickers;
  for (int t = 0; t < kTickers; ++t) {
    tickers.emplace_back([&, t] {
      auto n = env_->replica(t % 2).scheduler().CloseDueCalls();
      if (n.ok()) {
        closed.fetch_add(*n);
      } else {
        failed.fetch_add(1);
      }
    });
  }
  for (auto& t : tickers) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(closed.load(), kCalls);
  EXPECT_EQ(*env_->replica(1).scheduler().CloseDueCalls(), 0);
  ExpectClosedOnceWithTheirCounts();
}

TEST_F(SchedulerRaceTest, RedisDownAtTheDeadlineStillClosesEachCallOnce) {
  StartReplicas(/*run_schedulers=*/true);
  env_->redis().Kill();
  env_->clock().Set(kCloses + absl::Seconds(1));
  // Both replicas see Redis gone (their schedulers' ticks fail meanwhile),
  // then it comes back with its AOF (appendfsync always).
  for (int r = 0; r < 2; ++r) {
    ASSERT_TRUE(tane::testing::WaitFor([&] { return !env_->replica(r).host().Ready(); }));
  }
  ASSERT_TRUE(env_->redis().Restart().ok());
  ExpectClosedOnceWithTheirCounts();
}

}  // namespace
}  // namespace tane::calls::testing
