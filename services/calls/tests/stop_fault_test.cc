// A close or cancellation interrupted between its steps (see calls_service.h:
// intent, fence, final commit) by Redis dying there, as it would in a crash:
// the operator gets an error, the call shows CLOSING or CANCELLING and takes
// no submissions, and the scheduler (or a retry) finishes it exactly once,
// long before the deadline, with every submission made before the intent
// counted.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "calls_env.h"
#include "tane/bus/envelope.h"
#include "tane/calls/timestamps.h"
#include "tane/calls/v1/events.pb.h"
#include "tane/testing/topics.h"
#include "test_data.h"

namespace tane::calls::testing {
namespace {

using ::testing::HasSubstr;

const bool kSignalsBlocked = [] {
  runtime::BlockShutdownSignals();
  return true;
}();

constexpr int kSubmitted = 3;
const absl::Time kStart = Jst(2017, 5, 1, 9);
const absl::Time kOpens = Jst(2017, 4, 12);
const absl::Time kCloses = Jst(2017, 6, 7);

class StopFaultTest : public ::testing::Test {
 protected:
  // One replica whose scheduler only ticks when a test says so, and that
  // kills Redis after the step KillRedisAfter names; a CREST call with
  // kSubmitted submitted applications (the first withdrawn and submitted
  // again, which must not count twice) and one more drafted. The replica has
  // one Redis connection, so once a read succeeds after the restart, no
  // connection to the killed server is left to fail a later step.
  void SetUp() override {
    auto env = CallsEnv::Start(kStart);
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = std::move(*env);
    auto replica = env_->AddReplica({.run_scheduler = false,
                                     .redis_pool_size = 1,
                                     .after_step = [this](StopStep step, const std::string&) {
                                       if (step == kill_after_.load() && armed_.exchange(false)) env_->redis().Kill();
                                     }});
    ASSERT_TRUE(replica.ok()) << replica.status();
    auto call = OpenCrestCall(stub(), kOpens, kCloses, "crest-2017");
    ASSERT_TRUE(call.ok()) << call.status();
    call_ = *call;
    for (int i = 0; i <= kSubmitted; ++i) {
      auto draft = Draft(stub(), ApplicantNo(i), call_.call_id(),
                         CrestApplicationOf(Researcher(13000000 + i), Researcher(13500000 + i)));
      ASSERT_TRUE(draft.ok()) << draft.status();
      if (i == kSubmitted) {
        pending_ = *draft;
      } else {
        ASSERT_TRUE(Submit(stub(), ApplicantNo(i), draft->application_id()).ok());
        submitted_.push_back(draft->application_id());
      }
    }
    ASSERT_TRUE(Withdraw(stub(), ApplicantNo(0), submitted_[0], "共同研究者の確認のため").ok());
    ASSERT_TRUE(Submit(stub(), ApplicantNo(0), submitted_[0]).ok());
  }

  v1::CallsService::Stub& stub() { return env_->replica().stub(); }
  static runtime::CallerIdentity ApplicantNo(int i) { return Applicant("stop-" + std::to_string(i)); }

  // The next close or cancellation loses Redis right after `step`, once.
  void KillRedisAfter(StopStep step) {
    kill_after_.store(step);
    armed_.store(true);
  }

  // Redis back from its AOF, and the replica reading it again (its
  // connection to the killed server fails once; reconnects back off).
  void RestartRedis() {
    ASSERT_FALSE(armed_.load()) << "the step was never reached";
    ASSERT_TRUE(env_->redis().Restart().ok());
    v1::Call ignored;
    ASSERT_TRUE(tane::testing::WaitFor([&] { return GetCall(&ignored).ok(); }, absl::Seconds(30)));
  }

  absl::StatusOr<v1::Call> Close(int64_t version, const std::string& key) {
    v1::CloseCallRequest request;
    request.set_call_id(call_.call_id());
    request.set_version(version);
    request.set_idempotency_key(key);
    v1::Call out;
    if (auto s = stub().CloseCall(As(Operator()).get(), request, &out); !s.ok()) return ToAbsl(s);
    return out;
  }

  absl::StatusOr<v1::Call> Cancel(const std::string& reason, const std::string& key) {
    v1::CancelCallRequest request;
    request.set_call_id(call_.call_id());
    request.set_version(call_.version());
    request.set_reason(reason);
    request.set_idempotency_key(key);
    v1::Call out;
    if (auto s = stub().CancelCall(As(Operator()).get(), request, &out); !s.ok()) return ToAbsl(s);
    return out;
  }

  // The call as an applicant sees it.
  grpc::Status GetCall(v1::Call* out) {
    v1::GetCallRequest request;
    request.set_call_id(call_.call_id());
    return stub().GetCall(As(ApplicantNo(0)).get(), request, out);
  }
  v1::Call Stored() {
    v1::Call out;
    const grpc::Status s = GetCall(&out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  // Ticks the scheduler until the call is in `state`.
  bool TickUntil(v1::CallState state) {
    return tane::testing::WaitFor(
        [&] {
          (void)env_->replica().scheduler().CloseDueCalls();  // a failed tick is retried, as the loop does
          return Stored().state() == state;
        },
        absl::Seconds(30));
  }

  // The submission nobody made before the close began.
  absl::Status SubmitPending() { return Submit(stub(), ApplicantNo(kSubmitted), pending_.application_id()).status(); }

  // The distinct `T` events of the call on tane.calls.events, once at least
  // one is there.
  template <typename T>
  std::vector<T> EventsOfTheCall() {
    tane::testing::TopicReader reader(env_->kafka_bootstrap(), "tane.calls.events");
    const std::string type = T::descriptor()->full_name();
    std::vector<T> found;
    reader.ReadUntil([&](const auto&) {
      found.clear();
      std::set<std::string> seen;  // the relay may deliver one event twice; consumers dedupe on its id
      for (const auto& envelope : reader.OfType(type)) {
        T payload;
        if (envelope.aggregate_id() == call_.call_id() && seen.insert(envelope.event_id()).second &&
            bus::UnpackPayload(envelope, &payload)) {
          found.push_back(payload);
        }
      }
      return !found.empty();
    });
    return found;
  }

  int64_t SubmittedCount() {
    v1::CountApplicationsRequest request;
    request.set_call_id(call_.call_id());
    v1::CountApplicationsResponse out;
    EXPECT_TRUE(stub().CountApplications(As(ProgramOfficer()).get(), request, &out).ok());
    for (const auto& c : out.counts()) {
      if (c.state() == v1::APPLICATION_STATE_SUBMITTED) return c.count();
    }
    return -1;
  }

  // Closed once (one final commit after the intent: version + 2), with every
  // submission made before the close began, and nothing since; `withdrawn`
  // of them withdrawn before the count.
  void ExpectClosedOnce(absl::Time decided, bool by_deadline, int withdrawn = 0) {
    const v1::Call closed = Stored();
    EXPECT_EQ(closed.state(), v1::CALL_STATE_CLOSED);
    EXPECT_EQ(closed.version(), call_.version() + 2) << "published, closing, closed";
    EXPECT_EQ(ToTime(closed.closed_at()), decided);
    const auto events = EventsOfTheCall<v1::CallClosed>();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].application_count(), kSubmitted - withdrawn);
    EXPECT_EQ(events[0].applications_ever_submitted(), kSubmitted);
    EXPECT_EQ(events[0].by_deadline(), by_deadline);
    EXPECT_EQ(ToTime(events[0].closed_at()), decided);
    EXPECT_EQ(SubmittedCount(), kSubmitted - withdrawn);
    const absl::Status late = SubmitPending();
    EXPECT_EQ(late.code(), absl::StatusCode::kFailedPrecondition) << late;
    EXPECT_EQ(*env_->replica().scheduler().CloseDueCalls(), 0) << "nothing left to finish";
  }

  std::unique_ptr<CallsEnv> env_;
  v1::Call call_;
  std::vector<std::string> submitted_;  // application ids, kSubmitted of them
  v1::Application pending_;
  std::atomic<StopStep> kill_after_{StopStep::kIntentCommitted};
  std::atomic<bool> armed_{false};
};

// The review's scenario: the fence is up and the count or the commit fails.
// The call used to stay PUBLISHED, refusing every submission as "closed",
// until its deadline.
TEST_F(StopFaultTest, CloseInterruptedAfterTheFenceIsFinishedOnceByAnotherReplica) {
  KillRedisAfter(StopStep::kFenceRaised);
  const absl::Status failed = Close(call_.version(), "close").status();
  EXPECT_EQ(failed.code(), absl::StatusCode::kUnavailable) << failed;
  RestartRedis();

  const v1::Call closing = Stored();
  EXPECT_EQ(closing.state(), v1::CALL_STATE_CLOSING) << "shows as closing, not as open";
  EXPECT_EQ(closing.version(), call_.version() + 1);
  const absl::Status refused = SubmitPending();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_THAT(std::string(refused.message()), HasSubstr("CLOSING"));

  // Every replica's scheduler finishes interrupted closes: a second one, with
  // its loop running, does it here, weeks before the deadline.
  env_->clock().Advance(absl::Minutes(1));
  ASSERT_TRUE(env_->AddReplica().ok());
  ASSERT_TRUE(tane::testing::WaitFor([&] { return Stored().state() == v1::CALL_STATE_CLOSED; }, absl::Seconds(30)));
  EXPECT_LT(env_->clock().Now(), kCloses);
  ExpectClosedOnce(kStart, /*by_deadline=*/false);
}

// Several replicas' schedulers find the same interrupted close on the same
// tick: exactly one of them finishes it.
TEST_F(StopFaultTest, InterruptedCloseIsFinishedByExactlyOneOfRacingSchedulers) {
  KillRedisAfter(StopStep::kFenceRaised);
  EXPECT_EQ(Close(call_.version(), "close").status().code(), absl::StatusCode::kUnavailable);
  RestartRedis();
  ASSERT_EQ(Stored().state(), v1::CALL_STATE_CLOSING);
  ASSERT_TRUE(env_->AddReplica({.run_scheduler = false}).ok());

  constexpr int kTickers = 6;
  std::atomic<int> finished{0};
  std::vector<std::thread> tickers;
  for (int i = 0; i < kTickers; ++i) {
    tickers.emplace_back([&, i] {
      auto done = env_->replica(i % 2).scheduler().CloseDueCalls();
      EXPECT_TRUE(done.ok()) << done.status();
      if (done.ok()) finished += *done;
    });
  }
  for (auto& t : tickers) t.join();
  EXPECT_EQ(finished.load(), 1);
  ExpectClosedOnce(kStart, /*by_deadline=*/false);
}

// Interrupted before the fence: the intent alone already stops submissions,
// and the operator's retry finishes the close, with its key or without.
TEST_F(StopFaultTest, CloseInterruptedAfterItsIntentIsFinishedByTheOperatorsRetry) {
  KillRedisAfter(StopStep::kIntentCommitted);
  EXPECT_EQ(Close(call_.version(), "close").status().code(), absl::StatusCode::kUnavailable);
  RestartRedis();
  const v1::Call closing = Stored();
  ASSERT_EQ(closing.state(), v1::CALL_STATE_CLOSING);
  EXPECT_EQ(SubmitPending().code(), absl::StatusCode::kFailedPrecondition);

  // A retry at the version the operator had is told to reload; at the
  // CLOSING call's version it finishes the close.
  EXPECT_EQ(Close(call_.version(), "close-again").status().code(), absl::StatusCode::kAborted);
  env_->clock().Advance(absl::Minutes(1));
  auto closed = Close(closing.version(), "close-at-closing");
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(closed->state(), v1::CALL_STATE_CLOSED);
  // The first request's retry, with its key, answers the closed call too.
  auto replayed = Close(call_.version(), "close");
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(replayed->state(), v1::CALL_STATE_CLOSED);
  EXPECT_EQ(replayed->version(), closed->version());
  ExpectClosedOnce(kStart, /*by_deadline=*/false);
}

// Withdrawals are not fenced: one landing while the call is CLOSING is out
// of the SUBMITTED count the close takes, but still in the ever-submitted
// count, which is what reviews waits for (its case exists). The draft
// withdrawn was never submitted and is in neither.
TEST_F(StopFaultTest, WithdrawalWhileClosingLeavesTheEverSubmittedCount) {
  KillRedisAfter(StopStep::kIntentCommitted);
  EXPECT_EQ(Close(call_.version(), "close").status().code(), absl::StatusCode::kUnavailable);
  RestartRedis();
  ASSERT_EQ(Stored().state(), v1::CALL_STATE_CLOSING);
  auto withdrawn = Withdraw(stub(), ApplicantNo(1), submitted_[1], "辞退");
  ASSERT_TRUE(withdrawn.ok()) << withdrawn.status();
  EXPECT_EQ(withdrawn->state(), v1::APPLICATION_STATE_WITHDRAWN);
  ASSERT_TRUE(Withdraw(stub(), ApplicantNo(kSubmitted), pending_.application_id(), "未提出").ok());

  ASSERT_TRUE(TickUntil(v1::CALL_STATE_CLOSED));
  ExpectClosedOnce(kStart, /*by_deadline=*/false, /*withdrawn=*/1);
}

// The deadline's own close, interrupted after the fence, finishes on a later
// tick, by deadline.
TEST_F(StopFaultTest, DeadlineCloseInterruptedAfterTheFenceFinishesOnALaterTick) {
  env_->clock().Set(kCloses);
  KillRedisAfter(StopStep::kFenceRaised);
  auto first = env_->replica().scheduler().CloseDueCalls();
  EXPECT_TRUE(!first.ok() || *first == 0) << "the close did not finish";
  RestartRedis();
  EXPECT_EQ(Stored().state(), v1::CALL_STATE_CLOSING);
  ASSERT_TRUE(TickUntil(v1::CALL_STATE_CLOSED));
  ExpectClosedOnce(kCloses, /*by_deadline=*/true);
}

// A failed cancellation used to leave the call PUBLISHED, refusing every
// submission, forever (no deadline repaired it).
TEST_F(StopFaultTest, CancelInterruptedAfterTheFenceIsFinishedOnceByTheScheduler) {
  KillRedisAfter(StopStep::kFenceRaised);
  EXPECT_EQ(Cancel("予算の取り下げ", "cancel").status().code(), absl::StatusCode::kUnavailable);
  RestartRedis();
  const v1::Call cancelling = Stored();
  EXPECT_EQ(cancelling.state(), v1::CALL_STATE_CANCELLING);
  EXPECT_EQ(cancelling.cancel_reason(), "予算の取り下げ");
  EXPECT_EQ(SubmitPending().code(), absl::StatusCode::kFailedPrecondition);

  ASSERT_TRUE(TickUntil(v1::CALL_STATE_CANCELLED));
  const v1::Call cancelled = Stored();
  EXPECT_EQ(cancelled.version(), call_.version() + 2) << "published, cancelling, cancelled";
  EXPECT_EQ(cancelled.cancel_reason(), "予算の取り下げ");
  EXPECT_EQ(ToTime(cancelled.cancelled_at()), kStart);
  const auto events = EventsOfTheCall<v1::CallCancelled>();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].reason(), "予算の取り下げ");
  EXPECT_EQ(SubmittedCount(), kSubmitted) << "cancelling withdraws nothing";
  EXPECT_EQ(SubmitPending().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(*env_->replica().scheduler().CloseDueCalls(), 0);

  auto replayed = Cancel("予算の取り下げ", "cancel");
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(replayed->state(), v1::CALL_STATE_CANCELLED);
}

}  // namespace
}  // namespace tane::calls::testing
