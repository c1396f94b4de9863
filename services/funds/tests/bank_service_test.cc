// The bank workload (support/bank_workload.h) THROUGH THE SERVICE: the
// clients call the tane-funds binary over gRPC (CreateTransfer,
// Post/VoidPendingTransfer, OpenAccount), with random repeats of transfer
// ids, for 10 s (TANE_BANK_SECONDS) each: undisturbed; while the service is
// SIGKILLed and restarted on the same port twice; while Redis (AOF on) is
// SIGKILLed and restarted twice. Then the ledger is read directly and the
// events are read back from Kafka: every transfer's events exactly once
// (the relay may repeat them on the wire after a crash, never give one two
// ids), and the invariants of the workload.
#include <iostream>

#include "gtest/gtest.h"
#include "support/bank_workload.h"
#include "support/harness.h"
#include "tane/service_testing/harness.h"
#include "tane/testing/fixtures.h"
#include "tane/testing/topics.h"

namespace tane::funds {
namespace {

using testing::FundsClient;

constexpr char kProgram[] = "bank";

// The service over gRPC as the workload's target.
class ServiceTarget final : public bank::Target {
 public:
  explicit ServiceTarget(const std::string& address) : client_(address) {}

  absl::Status Open(const AccountSpec& spec) override {
    v1::OpenAccountRequest r;
    r.set_program_id(kProgram);
    r.set_kind(static_cast<v1::AccountKind>(static_cast<int>(spec.kind) + 1));
    r.set_fiscal_year(spec.fiscal_year);
    r.set_project_id(spec.project_id);
    r.set_category(spec.category);
    if (spec.budget_line) r.set_budget_line(static_cast<v1::BudgetLine>(static_cast<int>(*spec.budget_line) + 1));
    r.set_institution_id(spec.institution_id);
    if (spec.kind == AccountKind::kExternalSource) r.set_source(spec.id.substr(spec.id.find('.') + 1));
    auto opened = client_.Call(&v1::FundsService::Stub::OpenAccount, r);
    if (opened.ok() && opened->account_id() != spec.id) {
      return absl::InternalError("OpenAccount opened " + opened->account_id() + ", not " + spec.id);
    }
    return opened.status();
  }

  absl::StatusOr<Result> Create(const TransferRequest& t) override {
    v1::CreateTransferRequest r;
    r.set_program_id(kProgram);
    r.set_transfer_id(t.id);
    r.set_debit_account_id(t.debit_account_id);
    r.set_credit_account_id(t.credit_account_id);
    r.set_amount_yen(t.amount.value());
    r.set_code(t.code);
    r.set_memo(t.memo);
    r.set_pending(t.pending);
    return Done(client_.Call(&v1::FundsService::Stub::CreateTransfer, r));
  }

  absl::StatusOr<Result> Resolve(const std::string& id, bool post) override {
    if (post) {
      v1::PostPendingTransferRequest r;
      r.set_program_id(kProgram);
      r.set_transfer_id(id);
      return Done(client_.Call(&v1::FundsService::Stub::PostPendingTransfer, r));
    }
    v1::VoidPendingTransferRequest r;
    r.set_program_id(kProgram);
    r.set_transfer_id(id);
    return Done(client_.Call(&v1::FundsService::Stub::VoidPendingTransfer, r));
  }

  // The service down, restarting, or cut off mid-call: the transfer may or
  // may not have been booked.
  bool Unknown(const absl::Status& s) const override {
    return absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s) || absl::IsUnknown(s) || absl::IsCancelled(s);
  }

 private:
  static absl::StatusOr<Result> Done(absl::StatusOr<v1::Transfer> t) {
    if (!t.ok()) return t.status();
    return Result{testing::FromProto(*t), std::nullopt};
  }
  FundsClient client_;
};

class BankServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto infra = tane::service_testing::TestInfrastructure::Start(
        {.topics = tane::service_testing::TopicsOf(kServiceName, {"tane.projects.events"})});
    ASSERT_TRUE(infra.ok()) << infra.status();
    infra_ = *std::move(infra);
    log_ = infra_->redis().directory() + "/tane-funds.log";
    auto service = testing::FundsBinary::Start({.binary = TANE_FUNDS_BINARY,
                                                .redis_addr = infra_->redis_addr(),
                                                .kafka_bootstrap = infra_->kafka_bootstrap(),
                                                .log_path = log_,
                                                .shards = 8});
    ASSERT_TRUE(service.ok()) << service.status();
    service_ = std::move(*service);
    target_ = std::make_unique<ServiceTarget>(service_->address());
    workload_ = std::make_unique<bank::Workload>(*target_, kProgram, options_);
    ASSERT_TRUE(workload_->Setup().ok());
    store::RedisOptions options;
    options.port = infra_->redis().port();
    pool_ = std::make_unique<store::RedisPool>(options);
    ledger_ = std::make_unique<Ledger>(*pool_, store::Keyspace("funds", 8));
  }

  // SIGKILLs and restarts something twice mid-run, once the clients have
  // seen each outage.
  void CrashTwice(absl::Time start, absl::Time end, const std::function<void()>& kill,
                  const std::function<absl::Status()>& restart) {
    for (double at : {0.3, 0.6}) {
      ASSERT_TRUE(tane::testing::WaitFor([&] { return absl::Now() >= start + at * (end - start); }, absl::Minutes(2),
                                         absl::Milliseconds(10)));
      const int64_t unknown_before = workload_->stats().unknown.load();
      kill();
      ASSERT_TRUE(tane::testing::WaitFor([&] { return workload_->stats().unknown.load() > unknown_before; },
                                         absl::Seconds(30), absl::Milliseconds(1)))
          << "clients did not notice the outage";
      ASSERT_TRUE(restart().ok());
    }
  }

  void Check(const std::string& what) {
    std::cout << "bank through tane-funds" << what << ": " << workload_->Summary() << "\n";
    EXPECT_GT(workload_->stats().acked.load(), 500);
    EXPECT_GT(workload_->stats().repeats.load(), 0);
    // Every event reaches Kafka, the relay's repeats after a crash included.
    tane::testing::TopicReader reader(infra_->kafka_bootstrap(), "tane.funds.events");
    const size_t expected = workload_->ExpectedEvents();
    std::set<std::string> ids;
    size_t counted = 0;
    ASSERT_TRUE(reader.ReadUntil(
        [&](const auto& messages) {
          for (; counted < messages.size(); ++counted) ids.insert(messages[counted].event_id());
          return ids.size() >= expected;
        },
        absl::Seconds(120)))
        << "not every event reached Kafka";
    for (const auto& problem : workload_->Verify(*ledger_, reader.messages, /*repeats_allowed=*/true)) {
      ADD_FAILURE() << problem;
    }
  }

  const bank::Options options_{.clients = 16, .duration = bank::DurationFromEnv(absl::Seconds(10))};
  std::unique_ptr<tane::service_testing::TestInfrastructure> infra_;
  std::string log_;
  std::unique_ptr<testing::FundsBinary> service_;
  std::unique_ptr<ServiceTarget> target_;
  std::unique_ptr<bank::Workload> workload_;
  std::unique_ptr<store::RedisPool> pool_;
  std::unique_ptr<Ledger> ledger_;
};

TEST_F(BankServiceTest, InvariantsHold) {
  workload_->Run();
  Check("");
}

TEST_F(BankServiceTest, InvariantsHoldWhileTheServiceIsKilledAndRestarted) {
  workload_->Run([&](absl::Time start, absl::Time end) {
    CrashTwice(
        start, end, [&] { service_->Kill(); }, [&] { return service_->Restart(); });
  });
  EXPECT_GT(workload_->stats().unknown.load(), 0);
  Check(" (2 x tane-funds SIGKILL + restart on the same port)");
}

TEST_F(BankServiceTest, InvariantsHoldWhileRedisRestarts) {
  workload_->Run([&](absl::Time start, absl::Time end) {
    CrashTwice(
        start, end, [&] { infra_->redis().Kill(); }, [&] { return infra_->redis().Restart(); });
  });
  EXPECT_GT(workload_->stats().unknown.load(), 0);
  // One more crash after the last acknowledgement: everything acknowledged
  // must come back from the AOF.
  infra_->redis().Kill();
  ASSERT_TRUE(infra_->redis().Restart().ok());
  ASSERT_TRUE(tane::testing::WaitFor([&] { return pool_->Ping().ok(); }, absl::Seconds(30)));
  Check(" (2 x redis SIGKILL + restart, AOF on)");
}

}  // namespace
}  // namespace tane::funds
