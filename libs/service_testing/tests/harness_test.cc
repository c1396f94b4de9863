// ServiceUnderTest over a real redis-server and librdkafka's mock cluster:
// what it serves once started, and the order it shuts down in.
#include "tane/service_testing/harness.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "grpc/health/v1/health.grpc.pb.h"

namespace tane::service_testing {
namespace {

using ::testing::ElementsAre;

const bool kSignalsBlocked = [] {
  runtime::BlockShutdownSignals();
  return true;
}();

// Appends its name to `log` when destroyed.
class Part final {
 public:
  Part(std::string name, std::mutex& mu, std::vector<std::string>& log) : name_(std::move(name)), mu_(mu), log_(log) {}
  ~Part() {
    std::lock_guard lock(mu_);
    log_.push_back(name_);
  }

 private:
  std::string name_;
  std::mutex& mu_;
  std::vector<std::string>& log_;
};

class HarnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto infra = TestInfrastructure::Start({.topics = TopicsOf("harnesstest")});
    ASSERT_TRUE(infra.ok()) << infra.status();
    infra_ = *std::move(infra);
    auto sut = ServiceUnderTest::Create(infra_->OptionsFor("harnesstest"));
    ASSERT_TRUE(sut.ok()) << sut.status();
    sut_ = *std::move(sut);
  }

  std::unique_ptr<TestInfrastructure> infra_;
  std::unique_ptr<ServiceUnderTest> sut_;
};

TEST(TopicsOfTest, OwnTopicsThenTheConsumedOnes) {
  EXPECT_THAT(TopicsOf("funds", {"tane.projects.events"}),
              ElementsAre("tane.funds.events", "tane.funds.dlq", "tane.projects.events"));
  EXPECT_THAT(TopicsOf("calls"), ElementsAre("tane.calls.events", "tane.calls.dlq"));
}

TEST_F(HarnessTest, ServesHealthOnItsPortOnceStarted) {
  ASSERT_TRUE(sut_->Start().ok());
  EXPECT_GT(sut_->grpc_port(), 0);
  EXPECT_EQ(sut_->address(), "127.0.0.1:" + std::to_string(sut_->grpc_port()));
  EXPECT_EQ(sut_->config().redis_addr, infra_->redis_addr());
  EXPECT_EQ(sut_->config().kafka_bootstrap, infra_->kafka_bootstrap());
  auto stub = sut_->NewStub<grpc::health::v1::Health>();
  grpc::ClientContext context;
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_TRUE(stub->Check(&context, request, &response).ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_EQ(sut_->Start().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(HarnessTest, StartIsUnavailableWhileRedisIsDown) {
  infra_->redis().Kill();
  const absl::Status started = sut_->Start(absl::Milliseconds(300));
  EXPECT_EQ(started.code(), absl::StatusCode::kUnavailable) << started;
}

TEST_F(HarnessTest, HooksRunBeforeOwnedPartsGoAndPartsGoInReverseOrder) {
  std::mutex mu;
  std::vector<std::string> log;
  sut_->Own(std::make_unique<Part>("first", mu, log));
  sut_->Own(std::make_unique<Part>("second", mu, log));
  sut_->host().AddShutdownHook("record", [&] {
    std::lock_guard lock(mu);
    log.push_back("hook");
  });
  ASSERT_TRUE(sut_->Start().ok());
  sut_.reset();
  EXPECT_THAT(log, ElementsAre("hook", "second", "first"));
}

}  // namespace
}  // namespace tane::service_testing
