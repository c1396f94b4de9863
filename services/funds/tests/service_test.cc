// The funds service over real gRPC, real redis-server and librdkafka's mock
// cluster: projects events published to tane.projects.events, funds events
// read back from tane.funds.events. One service for the suite; each test
// works in programs of its own (the shipped catalog's), with the service's
// clock set by the test.
#include <atomic>
#include <latch>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/harness.h"
#include "tane/bus/envelope.h"
#include "tane/core/errors.h"
#include "tane/funds/v1/events.pb.h"
#include "tane/service_testing/harness.h"
#include "tane/testing/fixtures.h"
#include "tane/testing/topics.h"

namespace tane::funds {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;
using common::v1::EventEnvelope;
using Stub = v1::FundsService::Stub;
using testing::Caller;
using testing::kAuditor;
using testing::kFinanceOfficer;
using testing::kProgramOfficer;

const bool kSignalsBlocked = [] {
  runtime::BlockShutdownSignals();
  return true;
}();

constexpr int64_t kM = 1'000'000;  // 百万円
constexpr char kPi[] = "12345678";  // the PI's e-Rad number
const Caller kPiApplicant{"applicant", "user-pi"};  // ProjectStarted.pi_subject
const Caller kOtherApplicant{"applicant", "user-other"};
constexpr char kInstitution[] = "https://ror.org/057zh3y96";  // → account key "057zh3y96"

absl::Time Jst(int y, int m, int d) { return absl::FromCivil(absl::CivilDay(y, m, d), core::TokyoTimeZone()); }

google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

struct Line {
  int fiscal_year;
  projects::v1::BudgetCategory category;
  int64_t yen;
};

std::vector<std::string> Fields(const absl::Status& s) {
  std::vector<std::string> out;
  for (const auto& v : core::ViolationsOf(s)) out.push_back(v.field);
  return out;
}

class FundsServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto infra = tane::service_testing::TestInfrastructure::Start(
        {.topics = tane::service_testing::TopicsOf(kServiceName, {"tane.projects.events"})});
    ASSERT_TRUE(infra.ok()) << infra.status();
    infra_ = infra->release();
    clock_ = new core::ManualClock(Jst(2024, 6, 1));
    tane::service_testing::ServiceUnderTest::Options options = infra_->OptionsFor(kServiceName);
    options.clock = clock_;
    auto service = testing::InProcessFunds::Start(std::move(options));
    ASSERT_TRUE(service.ok()) << service.status();
    service_ = service->release();
    client_ = new testing::FundsClient(service_->address());
  }

  static void TearDownTestSuite() {
    delete client_;
    delete service_;
    delete clock_;
    delete infra_;
  }

  void SetUp() override { clock_->Set(Jst(2024, 6, 1)); }

  template <typename Request, typename Response>
  absl::StatusOr<Response> Call(testing::FundsClient::Method<Request, Response> method, const Request& request,
                                const Caller& caller = kFinanceOfficer) {
    return client_->Call(method, request, caller);
  }

  void LoadBudget(const std::string& program, int fy, v1::BudgetLine line, int64_t yen) {
    v1::LoadProgramBudgetRequest r;
    r.set_program_id(program);
    r.set_fiscal_year(fy);
    r.set_budget_line(line);
    r.set_amount_yen(yen);
    r.set_source("mext");
    r.set_request_id(absl::StrCat("load-", program, "-", fy, "-", line));
    auto loaded = Call(&Stub::LoadProgramBudget, r);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
  }

  static projects::v1::ProjectStarted Started(const std::string& program, const std::string& project,
                                              const std::vector<Line>& plan, absl::Time start) {
    projects::v1::ProjectStarted e;
    e.set_project_id(project);
    e.set_program_id(program);
    e.set_title_ja("ナノスケール熱輸送の研究");
    e.mutable_principal_investigator()->set_researcher_id(kPi);
    e.mutable_principal_investigator()->set_institution_id(kInstitution);
    e.set_pi_subject(kPiApplicant.subject);
    e.add_institutions()->set_institution_id(kInstitution);
    *e.mutable_research_period()->mutable_start_time() = Ts(start);
    for (const auto& l : plan) {
      auto* line = e.add_budget_plan();
      line->set_fiscal_year(l.fiscal_year);
      line->set_category(l.category);
      line->set_amount_yen(l.yen);
    }
    return e;
  }

  static projects::v1::ProjectChanged Changed(const std::string& program, const std::string& project,
                                              projects::v1::ChangeKind kind, projects::v1::ProjectState state) {
    projects::v1::ProjectChanged e;
    e.set_project_id(project);
    e.set_program_id(program);
    e.set_change(kind);
    e.set_state(state);
    e.mutable_principal_investigator()->set_researcher_id(kPi);
    e.add_institutions()->set_institution_id(kInstitution);
    return e;
  }

  // Publishes a projects event and waits until funds applied it.
  EventEnvelope Apply(const google::protobuf::Message& payload, const std::string& project) {
    auto envelope = testing::PublishProjectEvent(infra_->kafka_bootstrap(), payload, project, clock_->Now());
    EXPECT_TRUE(envelope.ok()) << envelope.status();
    WaitApplied(*envelope, project);
    return *envelope;
  }

  void WaitApplied(const EventEnvelope& envelope, const std::string& project) {
    EXPECT_TRUE(tane::testing::WaitFor(
        [&] {
          auto seen = service_->kit().store().LookupDedupe(project, "event:" + envelope.event_id());
          return seen.ok() && seen->has_value();
        },
        absl::Seconds(60)))
        << "funds did not apply " << envelope.type();
  }

  // Starts and activates a project (its allocation posted).
  void StartActive(const std::string& program, const std::string& project, const std::vector<Line>& plan,
                   absl::Time start = Jst(2024, 4, 1)) {
    Apply(Started(program, project, plan, start), project);
    Apply(Changed(program, project, projects::v1::CHANGE_KIND_ACTIVATED, projects::v1::PROJECT_STATE_ACTIVE), project);
  }

  // Loads 100M into `program`'s FY2024 budget and starts `project` with 30M
  // of planned direct costs in FY2024 (equipment 20M, travel 4M, personnel 6M).
  void StartReallocating(const std::string& program, const std::string& project) {
    LoadBudget(program, 2024, v1::BUDGET_LINE_INITIAL, 100 * kM);
    StartActive(program, project,
                {{2024, projects::v1::BUDGET_CATEGORY_EQUIPMENT, 20 * kM},
                 {2024, projects::v1::BUDGET_CATEGORY_TRAVEL, 4 * kM},
                 {2024, projects::v1::BUDGET_CATEGORY_PERSONNEL, 6 * kM}});
  }

  static v1::ReallocateRequest Move(const std::string& project, const std::string& from, const std::string& to,
                                    int64_t yen, const std::string& request_id) {
    v1::ReallocateRequest r;
    r.set_project_id(project);
    r.set_fiscal_year(2024);
    r.set_from_category(from);
    r.set_to_category(to);
    r.set_amount_yen(yen);
    r.set_request_id(request_id);
    return r;
  }

  // A program officer approves moving up to `yen` from `from` to `to` in FY2024.
  absl::Status Approve(const std::string& project, const std::string& from, const std::string& to, int64_t yen,
                       const std::string& approval_id, const std::string& reason) {
    v1::ApproveReallocationRequest r;
    r.set_project_id(project);
    r.set_fiscal_year(2024);
    r.set_from_category(from);
    r.set_to_category(to);
    r.set_approved_yen(yen);
    r.set_approval_id(approval_id);
    r.set_reason(reason);
    return Call(&Stub::ApproveReallocation, r, kProgramOfficer).status();
  }

  // Publishes a projects event whose first project commit is lost after its
  // ledger batch was booked (tane-funds died in between, or the commit came
  // back UNAVAILABLE); waits until the consumer's retry applied it.
  // tane_funds_operations_total{operation,outcome} as the service exposes it
  // now (the service, and so its counters, live for the whole suite).
  int64_t OperationsCounted(const std::string& operation, const std::string& outcome) {
    const std::string series =
        "tane_funds_operations_total{operation=\"" + operation + "\",outcome=\"" + outcome + "\"} ";
    const std::string text = service_->kit().metrics().Exposition();
    const size_t at = text.find(series);
    return at == std::string::npos ? 0 : std::stoll(text.substr(at + series.size()));
  }

  EventEnvelope ApplyLosingFirstCommit(const google::protobuf::Message& payload, const std::string& project) {
    const EventEnvelope envelope = bus::NewEvent(payload, "project", project, "program_officer:po-1", "", clock_->Now());
    auto commits = std::make_shared<std::atomic<int>>(0);
    Funds::TestHooks hooks;
    hooks.before_project_commit = [commits, id = envelope.event_id()](const EventEnvelope& cause) {
      if (cause.event_id() != id || commits->fetch_add(1) > 0) return absl::OkStatus();
      return absl::UnavailableError("test: the project commit is lost");
    };
    service_->funds().SetTestHooks(std::move(hooks));
    EXPECT_TRUE(
        tane::testing::PublishEnvelopes(infra_->kafka_bootstrap(), "tane.projects.events", {envelope}).ok());
    WaitApplied(envelope, project);
    service_->funds().SetTestHooks({});
    EXPECT_EQ(commits->load(), 2) << "the first commit lost, the retry's made";
    return envelope;
  }

  // Sends `requests` at once, as the PI, with each one's first booking held
  // until all of them got there (each judged its limit on the same state:
  // the window between the check and the booking); their statuses.
  template <typename Request, typename Response>
  std::vector<absl::Status> AllJudgedThenBooked(testing::FundsClient::Method<Request, Response> method,
                                                const std::vector<Request>& requests, const std::string& kind) {
    const int n = static_cast<int>(requests.size());
    auto arrived = std::make_shared<std::atomic<int>>(0);
    auto gate = std::make_shared<std::latch>(n);
    Funds::TestHooks hooks;
    hooks.before_book = [=](const std::string& prefix) {
      if (prefix.rfind(kind + "-", 0) == 0 && arrived->fetch_add(1) < n) gate->arrive_and_wait();
    };
    service_->funds().SetTestHooks(std::move(hooks));
    std::vector<absl::Status> statuses(requests.size());
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([&, i] { statuses[i] = Call(method, requests[i], kPiApplicant).status(); });
    }
    for (auto& t : threads) t.join();
    service_->funds().SetTestHooks({});
    EXPECT_GE(arrived->load(), n) << "every request reached its booking";
    return statuses;
  }

  // How many of `statuses` are OK; each other one must be the limit's
  // FAILED_PRECONDITION, saying `why`.
  static int CountBooked(const std::vector<absl::Status>& statuses, const std::string& why) {
    int booked = 0;
    for (const auto& status : statuses) {
      if (status.ok()) {
        ++booked;
        continue;
      }
      EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
      EXPECT_THAT(std::string(status.message()), HasSubstr(why)) << status;
    }
    return booked;
  }

  v1::FundedProject Project(const std::string& project) {
    auto loaded = runtime::LoadAggregate<v1::FundedProject>(service_->kit().store(), "project", project);
    EXPECT_TRUE(loaded.ok() && loaded->exists()) << project;
    return loaded.ok() ? loaded->value : v1::FundedProject();
  }

  absl::StatusOr<v1::Allocation> Allocation(const std::string& project, int fy, const Caller& caller = kAuditor) {
    v1::GetAllocationRequest r;
    r.set_project_id(project);
    r.set_fiscal_year(fy);
    return Call(&Stub::GetAllocation, r, caller);
  }

  v1::Account Account(const std::string& program, const std::string& account) {
    v1::GetAccountRequest r;
    r.set_program_id(program);
    r.set_account_id(account);
    auto a = Call(&Stub::GetAccount, r, kAuditor);
    EXPECT_TRUE(a.ok()) << account << ": " << a.status();
    return a.ok() ? *a : v1::Account();
  }

  v1::FiscalYearBudgetLine BudgetYear(const std::string& program, int fy) {
    v1::ReportProgramBudgetRequest r;
    r.set_program_id(program);
    r.set_from_fiscal_year(fy);
    r.set_to_fiscal_year(fy);
    auto report = Call(&Stub::ReportProgramBudget, r, kAuditor);
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() && report->fiscal_years_size() == 1 ? report->fiscal_years(0) : v1::FiscalYearBudgetLine();
  }

  // Funds events about `aggregate` of type T, once `count` distinct ones are there.
  template <typename T>
  std::vector<T> Events(const std::string& aggregate, size_t count) {
    tane::testing::TopicReader reader(infra_->kafka_bootstrap(), "tane.funds.events");
    auto of_type = [&](const std::vector<EventEnvelope>& messages) {
      std::map<std::string, T> by_id;
      for (const auto& m : messages) {
        T payload;
        if (m.aggregate_id() == aggregate && bus::UnpackPayload(m, &payload)) by_id[m.event_id()] = payload;
      }
      return by_id;
    };
    EXPECT_TRUE(reader.ReadUntil([&](const auto& messages) { return of_type(messages).size() >= count; }))
        << "fewer than " << count << " " << T::descriptor()->full_name() << " for " << aggregate;
    // Everything committed before is published by now; nothing more of this kind.
    std::vector<T> out;
    for (auto& [id, payload] : of_type(reader.messages)) out.push_back(payload);
    return out;
  }

  static tane::service_testing::TestInfrastructure* infra_;
  static core::ManualClock* clock_;
  static testing::InProcessFunds* service_;
  static testing::FundsClient* client_;
};

tane::service_testing::TestInfrastructure* FundsServiceTest::infra_ = nullptr;
core::ManualClock* FundsServiceTest::clock_ = nullptr;
testing::InProcessFunds* FundsServiceTest::service_ = nullptr;
testing::FundsClient* FundsServiceTest::client_ = nullptr;

using projects::v1::BUDGET_CATEGORY_EQUIPMENT;
using projects::v1::BUDGET_CATEGORY_PERSONNEL;
using projects::v1::BUDGET_CATEGORY_TRAVEL;

// ---------------------------------------------------------------- budgets

TEST_F(FundsServiceTest, ProgramBudgetsLoadOnceAndRepeatsAreNoOps) {
  // The seed documents' AMED 革新的先端 figures (¥M initial / adjustment).
  struct Year {
    int fy;
    int64_t initial, adjustment;
  };
  const std::vector<Year> years = {{2015, 7450, 755}, {2020, 8796, 52},  {2021, 9799, 107},
                                   {2022, 10619, 777}, {2023, 10920, 758}, {2024, 11012, 1054}};
  std::vector<v1::LoadProgramBudgetResponse> first;
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& y : years) {
      for (auto [line, yen] : {std::pair{v1::BUDGET_LINE_INITIAL, y.initial}, {v1::BUDGET_LINE_ADJUSTMENT, y.adjustment}}) {
        v1::LoadProgramBudgetRequest r;
        r.set_program_id("amed-crest");
        r.set_fiscal_year(y.fy);
        r.set_budget_line(line);
        r.set_amount_yen(yen * kM);
        r.set_source("mext");
        r.set_request_id(absl::StrCat("demo-amed-", y.fy, "-", v1::BudgetLine_Name(line)));
        auto loaded = Call(&Stub::LoadProgramBudget, r);
        ASSERT_TRUE(loaded.ok()) << loaded.status();
        if (pass == 0) {
          first.push_back(*loaded);
        } else {
          // The repeat answers with the original booking and books nothing.
          const auto& was = first[(&y - &years[0]) * 2 + (line == v1::BUDGET_LINE_INITIAL ? 0 : 1)];
          EXPECT_EQ(loaded->transfer().transfer_id(), was.transfer().transfer_id());
          EXPECT_EQ(loaded->transfer().created_at().seconds(), was.transfer().created_at().seconds());
          EXPECT_EQ(loaded->budget_account().balance_yen(), yen * kM);
        }
      }
    }
  }
  EXPECT_EQ(BudgetYear("amed-crest", 2024).budget_yen(), (11012 + 1054) * kM);
  EXPECT_EQ(BudgetYear("amed-crest", 2015).unallocated_yen(), (7450 + 755) * kM);
  EXPECT_EQ(Account("amed-crest", "external.mext").balance_yen(), -(7450 + 755 + 8796 + 52 + 9799 + 107 + 10619 +
                                                                    777 + 10920 + 758 + 11012 + 1054) * kM);

  // The same request id with other content is refused and changes nothing.
  v1::LoadProgramBudgetRequest other;
  other.set_program_id("amed-crest");
  other.set_fiscal_year(2024);
  other.set_budget_line(v1::BUDGET_LINE_INITIAL);
  other.set_amount_yen(11045 * kM);
  other.set_source("mext");
  other.set_request_id("demo-amed-2024-BUDGET_LINE_INITIAL");
  EXPECT_EQ(Call(&Stub::LoadProgramBudget, other).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Account("amed-crest", "budget.2024.initial").balance_yen(), 11012 * kM);

  // Every problem of a bad request, each naming its field.
  v1::LoadProgramBudgetRequest bad;
  bad.set_program_id("amed-crest");
  bad.set_fiscal_year(24);
  bad.set_amount_yen(-5);
  auto refused = Call(&Stub::LoadProgramBudget, bad);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(refused.status()),
              UnorderedElementsAre("fiscal_year", "budget_line", "amount_yen", "source", "request_id"));
  other.set_request_id("too-much");
  other.set_amount_yen(int64_t{1} << 53);  // beyond the ledger's exact range
  EXPECT_THAT(Fields(Call(&Stub::LoadProgramBudget, other).status()), ElementsAre("amount_yen"));
  other.set_amount_yen(0);
  EXPECT_THAT(Fields(Call(&Stub::LoadProgramBudget, other).status()), ElementsAre("amount_yen"));
  other.set_amount_yen(kM);
  other.set_instrument(v1::FUNDING_INSTRUMENT_FUND);  // the catalog says 委託 (contract)
  EXPECT_THAT(Fields(Call(&Stub::LoadProgramBudget, other).status()), ElementsAre("instrument"));
  other.set_instrument(v1::FUNDING_INSTRUMENT_UNSPECIFIED);
  other.set_program_id("no-such-program");
  EXPECT_EQ(Call(&Stub::LoadProgramBudget, other).status().code(), absl::StatusCode::kNotFound);
}

// ---------------------------------------------------------------- allocation

TEST_F(FundsServiceTest, ProjectStartedReservesThePlanAndActivationPostsIt) {
  LoadBudget("crest", 2024, v1::BUDGET_LINE_INITIAL, 60 * kM);
  LoadBudget("crest", 2024, v1::BUDGET_LINE_SUPPLEMENTARY, 10 * kM);
  LoadBudget("crest", 2025, v1::BUDGET_LINE_INITIAL, 100 * kM);
  const std::string p = "crest-p1";
  Apply(Started("crest", p,
                {{2024, BUDGET_CATEGORY_EQUIPMENT, 40 * kM},
                 {2024, BUDGET_CATEGORY_TRAVEL, 10 * kM},
                 {2025, BUDGET_CATEGORY_EQUIPMENT, 50 * kM}},
                Jst(2024, 10, 1)),
        p);

  auto made = Events<v1::AllocationMade>(p, 1);
  ASSERT_EQ(made.size(), 1u);
  EXPECT_TRUE(made[0].pending());
  EXPECT_EQ(made[0].reason(), "project_started");
  EXPECT_EQ(made[0].direct_yen(), 100 * kM);
  EXPECT_EQ(made[0].indirect_yen(), 30 * kM);  // the catalog's 30%
  EXPECT_EQ(made[0].total_yen(), 130 * kM);

  // Reserved, waiting on the contract: 65M of FY2024 drawn initial first.
  auto fy24 = Allocation(p, 2024);
  ASSERT_TRUE(fy24.ok()) << fy24.status();
  EXPECT_EQ(fy24->reserved_yen(), 65 * kM);
  EXPECT_EQ(fy24->total_yen(), 0);
  EXPECT_EQ(Account("crest", "budget.2024.initial").available_yen(), 0);
  EXPECT_EQ(Account("crest", "budget.2024.supplementary").available_yen(), 5 * kM);
  EXPECT_EQ(BudgetYear("crest", 2024).reserved_yen(), 65 * kM);

  // Not active: nothing can be paid yet.
  v1::RecordDisbursementRequest pay;
  pay.set_project_id(p);
  pay.set_fiscal_year(2024);
  pay.set_institution_id(kInstitution);
  pay.set_request_id("pay-1");
  EXPECT_EQ(Call(&Stub::RecordDisbursement, pay).status().code(), absl::StatusCode::kFailedPrecondition);

  // The PI sees their project's money; another applicant does not.
  EXPECT_TRUE(Allocation(p, 2024, kPiApplicant).ok());
  EXPECT_EQ(Allocation(p, 2024, kOtherApplicant).status().code(), absl::StatusCode::kPermissionDenied);
  // With a gateway subject known, the e-Rad number alone is not the PI.
  EXPECT_EQ(Allocation(p, 2024, Caller{"applicant", kPi}).status().code(), absl::StatusCode::kPermissionDenied);

  Apply(Changed("crest", p, projects::v1::CHANGE_KIND_ACTIVATED, projects::v1::PROJECT_STATE_ACTIVE), p);
  fy24 = Allocation(p, 2024);
  ASSERT_TRUE(fy24.ok());
  EXPECT_EQ(fy24->reserved_yen(), 0);
  EXPECT_EQ(fy24->direct_yen(), 50 * kM);
  EXPECT_EQ(fy24->indirect_yen(), 15 * kM);
  EXPECT_EQ(fy24->undisbursed_yen(), 65 * kM);
  ASSERT_EQ(fy24->categories_size(), 3);
  EXPECT_EQ(fy24->categories(0).category(), "equipment");
  EXPECT_EQ(fy24->categories(0).allocated_yen(), 40 * kM);
  EXPECT_EQ(fy24->categories(2).category(), "indirect");
  const auto budget = BudgetYear("crest", 2024);
  EXPECT_EQ(budget.allocated_yen(), 65 * kM);
  EXPECT_EQ(budget.reserved_yen(), 0);
  EXPECT_EQ(budget.unallocated_yen(), 5 * kM);
  v1::ListAllocationsRequest list;
  list.set_project_id(p);
  auto all = Call(&Stub::ListAllocations, list, kPiApplicant);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->allocations_size(), 2);
  EXPECT_EQ(all->allocations(1).total_yen(), 65 * kM);
}

TEST_F(FundsServiceTest, OverBudgetIsRejectedWithTheShortfallAndNothingIsBooked) {
  LoadBudget("presto", 2024, v1::BUDGET_LINE_INITIAL, 10 * kM);
  const std::string p = "presto-p1";
  v1::ListAccountsRequest accounts;
  accounts.set_program_id("presto");
  const auto before = Call(&Stub::ListAccounts, accounts, kAuditor);
  ASSERT_TRUE(before.ok());
  Apply(Started("presto", p, {{2024, BUDGET_CATEGORY_EQUIPMENT, 10 * kM}, {2025, BUDGET_CATEGORY_TRAVEL, 1 * kM}},
                Jst(2024, 10, 1)),
        p);

  auto rejected = Events<v1::AllocationRejected>(p, 1);
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].required_yen(), 14'300'000);
  EXPECT_EQ(rejected[0].available_yen(), 10 * kM);
  EXPECT_EQ(rejected[0].shortfall_yen(), 4'300'000);
  ASSERT_EQ(rejected[0].fiscal_years_size(), 2);
  EXPECT_EQ(rejected[0].fiscal_years(0).fiscal_year(), 2024);
  EXPECT_EQ(rejected[0].fiscal_years(0).shortfall_yen(), 3 * kM);
  EXPECT_EQ(rejected[0].fiscal_years(1).shortfall_yen(), 1'300'000);
  EXPECT_FALSE(rejected[0].allocation_id().empty());
  EXPECT_THAT(rejected[0].reason(), HasSubstr("cannot cover"));
  // Nothing partially booked: the same accounts with the same balances.
  auto after = Call(&Stub::ListAccounts, accounts, kAuditor);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->SerializeAsString(), before->SerializeAsString());
  EXPECT_EQ(Allocation(p, 2024).status().code(), absl::StatusCode::kNotFound);

  // Finance adds money, projects releases the hold: funds tries again.
  LoadBudget("presto", 2024, v1::BUDGET_LINE_SUPPLEMENTARY, 3 * kM);
  LoadBudget("presto", 2025, v1::BUDGET_LINE_INITIAL, 2 * kM);
  Apply(Changed("presto", p, projects::v1::CHANGE_KIND_HOLD_RELEASED, projects::v1::PROJECT_STATE_CONTRACTING), p);
  auto made = Events<v1::AllocationMade>(p, 1);
  ASSERT_EQ(made.size(), 1u);
  EXPECT_EQ(made[0].reason(), "hold_released");
  EXPECT_EQ(made[0].total_yen(), 14'300'000);
  EXPECT_EQ(Allocation(p, 2025)->reserved_yen(), 1'300'000);
}

TEST_F(FundsServiceTest, RedeliveredProjectStartedBooksNothingTwice) {
  LoadBudget("erato", 2024, v1::BUDGET_LINE_INITIAL, 100 * kM);
  const std::string p = "erato-p1";
  const auto started = Started("erato", p, {{2024, BUDGET_CATEGORY_EQUIPMENT, 20 * kM}}, Jst(2024, 10, 1));
  const EventEnvelope envelope = bus::NewEvent(started, "project", p, "system:projects", "", clock_->Now());
  // Kafka delivers it three times (a relay crashed after the ack), and
  // projects' relay publishes it again under a new event id.
  const EventEnvelope again = bus::NewEvent(started, "project", p, "system:projects", "", clock_->Now());
  const int64_t applied_before = service_->kit().consumer()->applied();
  ASSERT_TRUE(
      tane::testing::PublishEnvelopes(infra_->kafka_bootstrap(), "tane.projects.events", {envelope, envelope, envelope, again})
          .ok());
  ASSERT_TRUE(tane::testing::WaitFor([&] { return service_->kit().consumer()->applied() >= applied_before + 4; },
                                     absl::Seconds(60)));
  WaitApplied(again, p);
  EXPECT_EQ(Account("erato", "budget.2024.initial").available_yen(), 74 * kM);  // 26M reserved once
  EXPECT_EQ(Allocation(p, 2024)->reserved_yen(), 26 * kM);
  EXPECT_EQ(Events<v1::AllocationMade>(p, 1).size(), 1u);
}

// The allocation was booked, then the project commit was lost: the retry
// finds the budget without that money, and must answer from the booking.
TEST_F(FundsServiceTest, AnAllocationBookedBeforeALostCommitIsMadeNotRejected) {
  const std::string program = "jst-mirai-exploratory";
  LoadBudget(program, 2024, v1::BUDGET_LINE_INITIAL, 13 * kM);  // exactly the plan with 30% indirect
  const std::string p = "mirai-p1";
  const int64_t made_before = OperationsCounted("allocation", "made");
  const int64_t repeats_before = OperationsCounted("allocation", "repeat");
  ApplyLosingFirstCommit(Started(program, p, {{2024, BUDGET_CATEGORY_EQUIPMENT, 10 * kM}}, Jst(2024, 10, 1)), p);

  const v1::FundedProject record = Project(p);
  EXPECT_EQ(record.allocation(), v1::ALLOCATION_STATUS_RESERVED);
  EXPECT_EQ(record.last_rejection(), "");
  EXPECT_EQ(record.pending_transfer_ids_size(), 2);  // equipment and indirect
  auto made = Events<v1::AllocationMade>(p, 1);
  ASSERT_EQ(made.size(), 1u);
  EXPECT_TRUE(made[0].pending());
  EXPECT_EQ(Allocation(p, 2024)->reserved_yen(), 13 * kM);  // reserved once
  EXPECT_EQ(Account(program, "budget.2024.initial").available_yen(), 0);
  // The retry answered from the booking: counted as a repeat, not a second allocation.
  EXPECT_EQ(OperationsCounted("allocation", "made"), made_before + 1);
  EXPECT_EQ(OperationsCounted("allocation", "repeat"), repeats_before + 1);

  // The contract posts what the lost commit's event reserved.
  Apply(Changed(program, p, projects::v1::CHANGE_KIND_ACTIVATED, projects::v1::PROJECT_STATE_ACTIVE), p);
  EXPECT_EQ(Allocation(p, 2024)->total_yen(), 13 * kM);
  EXPECT_EQ(Allocation(p, 2024)->reserved_yen(), 0);
  EXPECT_EQ(Account(program, "budget.2024.initial").balance_yen(), 0);
  EXPECT_EQ(Project(p).allocation(), v1::ALLOCATION_STATUS_POSTED);
}

// A reserved allocation revised, then the commit lost: the retry must not
// re-plan against the budget that now lacks the new reservations, and must
// keep the new reservations (not the voided ones) for the contract to post.
TEST_F(FundsServiceTest, AReservedRevisionBookedBeforeALostCommitKeepsItsNewReservations) {
  const std::string program = "sicorp-core-team";
  LoadBudget(program, 2024, v1::BUDGET_LINE_INITIAL, 13 * kM);
  const std::string p = "sicorp-core-p1";
  Apply(Started(program, p, {{2024, BUDGET_CATEGORY_EQUIPMENT, 10 * kM}}, Jst(2024, 10, 1)), p);
  const v1::FundedProject reserved = Project(p);
  ASSERT_EQ(reserved.allocation(), v1::ALLOCATION_STATUS_RESERVED);
  EXPECT_EQ(Account(program, "budget.2024.initial").available_yen(), 0);

  // Revised before the contract: the 13M reservation voided, 10.4M reserved anew.
  auto revised = Changed(program, p, projects::v1::CHANGE_KIND_PLAN_REVISED, projects::v1::PROJECT_STATE_CONTRACTING);
  revised.set_budget_plan_changed(true);
  auto* line = revised.add_budget_plan();
  line->set_fiscal_year(2024);
  line->set_category(BUDGET_CATEGORY_EQUIPMENT);
  line->set_amount_yen(8 * kM);
  ApplyLosingFirstCommit(revised, p);

  const v1::FundedProject record = Project(p);
  EXPECT_EQ(record.last_rejection(), "");
  EXPECT_EQ(record.allocation(), v1::ALLOCATION_STATUS_RESERVED);
  ASSERT_EQ(record.pending_transfer_ids_size(), 2);
  for (const auto& id : record.pending_transfer_ids()) {
    EXPECT_THAT(reserved.pending_transfer_ids(), ::testing::Not(::testing::Contains(id))) << id << " was voided";
  }
  ASSERT_EQ(record.budget_plan_size(), 1);
  EXPECT_EQ(record.budget_plan(0).direct_yen(), 8 * kM);
  EXPECT_EQ(Allocation(p, 2024)->reserved_yen(), 10'400'000);
  EXPECT_EQ(Account(program, "budget.2024.initial").available_yen(), 2'600'000);
  EXPECT_EQ(Events<v1::AllocationMade>(p, 2).size(), 2u);  // the start and the revision, each once

  Apply(Changed(program, p, projects::v1::CHANGE_KIND_ACTIVATED, projects::v1::PROJECT_STATE_ACTIVE), p);
  EXPECT_EQ(Allocation(p, 2024)->total_yen(), 10'400'000);
  EXPECT_EQ(Allocation(p, 2024)->reserved_yen(), 0);
  EXPECT_EQ(Account(program, "budget.2024.initial").balance_yen(), 2'600'000);
  EXPECT_EQ(Account(program, "budget.2024.initial").available_yen(), 2'600'000);
}

// A termination booked, then the commit lost: the retry answers from the
// booked releases (the accounts they came from are empty now).
TEST_F(FundsServiceTest, ATerminationBookedBeforeALostCommitReleasesOnce) {
  const std::string program = "sicorp-acceleration";
  for (int fy : {2024, 2025}) LoadBudget(program, fy, v1::BUDGET_LINE_INITIAL, 20 * kM);
  const std::string p = "sicorp-accel-p1";
  StartActive(program, p, {{2024, BUDGET_CATEGORY_TRAVEL, 10 * kM}, {2025, BUDGET_CATEGORY_TRAVEL, 10 * kM}});
  projects::v1::ProjectTerminated terminated;
  terminated.set_project_id(p);
  terminated.set_program_id(program);
  terminated.set_effective_fiscal_year(2025);
  *terminated.mutable_effective_time() = Ts(Jst(2025, 4, 1));
  ApplyLosingFirstCommit(terminated, p);

  const v1::FundedProject record = Project(p);
  EXPECT_EQ(record.state(), projects::v1::PROJECT_STATE_TERMINATED);
  EXPECT_EQ(record.allocation(), v1::ALLOCATION_STATUS_RELEASED);
  EXPECT_EQ(Allocation(p, 2025)->total_yen(), 0);
  EXPECT_EQ(Account(program, "budget.2025.initial").balance_yen(), 20 * kM);
  auto returned = Events<v1::FundsReturned>(p, 1);
  ASSERT_EQ(returned.size(), 1u);
  EXPECT_EQ(returned[0].amount_yen(), 13 * kM);
}

TEST_F(FundsServiceTest, TerminationReleasesFutureYearsAndVoidsReservations) {
  for (int fy : {2024, 2025, 2026}) LoadBudget("accel", fy, v1::BUDGET_LINE_INITIAL, 100 * kM);
  const std::string p = "accel-p1";
  StartActive("accel", p,
              {{2024, BUDGET_CATEGORY_EQUIPMENT, 10 * kM},
               {2025, BUDGET_CATEGORY_EQUIPMENT, 10 * kM},
               {2026, BUDGET_CATEGORY_TRAVEL, 10 * kM}});
  projects::v1::ProjectTerminated terminated;
  terminated.set_project_id(p);
  terminated.set_program_id("accel");
  terminated.set_effective_fiscal_year(2025);
  *terminated.mutable_effective_time() = Ts(Jst(2025, 4, 1));
  terminated.set_reason("stage gate: stop");
  const EventEnvelope envelope = Apply(terminated, p);

  EXPECT_EQ(Allocation(p, 2024)->undisbursed_yen(), 13 * kM);  // the last year stays for winding down
  EXPECT_EQ(Allocation(p, 2025)->total_yen(), 0);
  EXPECT_EQ(Allocation(p, 2026)->undisbursed_yen(), 0);
  EXPECT_EQ(Account("accel", "budget.2025.initial").balance_yen(), 100 * kM);
  EXPECT_EQ(Account("accel", "budget.2026.initial").balance_yen(), 100 * kM);
  auto returned = Events<v1::FundsReturned>(p, 2);
  ASSERT_EQ(returned.size(), 2u);
  std::set<int> years;
  for (const auto& r : returned) {
    EXPECT_EQ(r.reason(), "termination");
    EXPECT_EQ(r.amount_yen(), 13 * kM);
    years.insert(r.fiscal_year());
  }
  EXPECT_EQ(years, (std::set<int>{2025, 2026}));
  // Redelivered: nothing moves again.
  ASSERT_TRUE(tane::testing::PublishEnvelopes(infra_->kafka_bootstrap(), "tane.projects.events", {envelope}).ok());
  const std::string q = "accel-p2";  // a later event on another project marks when the repeat was consumed
  Apply(Started("accel", q, {{2025, BUDGET_CATEGORY_EQUIPMENT, 10 * kM}}, Jst(2025, 4, 1)), q);
  EXPECT_EQ(Account("accel", "budget.2025.initial").balance_yen(), 100 * kM);
  EXPECT_EQ(Account("accel", "budget.2025.initial").available_yen(), 87 * kM);  // q's reservation

  // A project terminated before its contract: the reservation is voided.
  terminated.set_project_id(q);
  Apply(terminated, q);
  EXPECT_EQ(Account("accel", "budget.2025.initial").available_yen(), 100 * kM);
  EXPECT_EQ(Allocation(q, 2025)->reserved_yen(), 0);
}

TEST_F(FundsServiceTest, PlanRevisionsAdjustFutureAllocations) {
  LoadBudget("prime", 2024, v1::BUDGET_LINE_INITIAL, 50 * kM);
  LoadBudget("prime", 2025, v1::BUDGET_LINE_INITIAL, 30 * kM);
  const std::string p = "prime-p1";
  StartActive("prime", p, {{2024, BUDGET_CATEGORY_EQUIPMENT, 10 * kM}, {2025, BUDGET_CATEGORY_EQUIPMENT, 10 * kM}});

  // A stage-gate cut of FY2025 by 30% (projects sends the cut plan).
  projects::v1::EvaluationRecorded evaluation;
  evaluation.set_project_id(p);
  evaluation.set_program_id("prime");
  evaluation.mutable_evaluation()->set_evaluation_id("ev-1");
  evaluation.mutable_evaluation()->set_consequence(projects::v1::CONSEQUENCE_CUT_BUDGET);
  Apply(evaluation, p);
  auto cut = Changed("prime", p, projects::v1::CHANGE_KIND_BUDGET_CUT, projects::v1::PROJECT_STATE_ACTIVE);
  cut.set_budget_plan_changed(true);
  for (auto [fy, yen] : {std::pair{2024, 10 * kM}, {2025, 7 * kM}}) {
    auto* line = cut.add_budget_plan();
    line->set_fiscal_year(fy);
    line->set_category(BUDGET_CATEGORY_EQUIPMENT);
    line->set_amount_yen(yen);
  }
  Apply(cut, p);
  EXPECT_EQ(Allocation(p, 2024)->total_yen(), 13 * kM);
  EXPECT_EQ(Allocation(p, 2025)->total_yen(), 9'100'000);
  EXPECT_EQ(Account("prime", "budget.2025.initial").balance_yen(), 30 * kM - 9'100'000);
  auto returned = Events<v1::FundsReturned>(p, 1);
  ASSERT_EQ(returned.size(), 1u);
  EXPECT_EQ(returned[0].reason(), "plan_revised");
  EXPECT_EQ(returned[0].amount_yen(), 3'900'000);

  // A rise the FY2025 budget cannot cover: rejected, nothing changes.
  auto rise = cut;
  rise.set_change(projects::v1::CHANGE_KIND_PLAN_REVISED);
  rise.mutable_budget_plan(1)->set_amount_yen(30 * kM);
  Apply(rise, p);
  auto rejected = Events<v1::AllocationRejected>(p, 1);
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].shortfall_yen(), 39 * kM - 9'100'000 - (30 * kM - 9'100'000));
  EXPECT_EQ(Allocation(p, 2025)->total_yen(), 9'100'000);
}

// ---------------------------------------------------------------- money to institutions

TEST_F(FundsServiceTest, ReallocationDisbursementsAndExpenseReports) {
  const std::string p = "actx-p1";
  StartReallocating("act-x", p);

  // 費目間流用: 50% of the planned 30M direct moves freely.
  v1::ReallocateRequest move = Move(p, "equipment", "travel", 5 * kM, "move-1");
  auto moved = Call(&Stub::Reallocate, move, kPiApplicant);
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->free_limit_yen(), 15 * kM);
  EXPECT_FALSE(moved->approval_used());
  auto again = Call(&Stub::Reallocate, move, kPiApplicant);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->transfer().transfer_id(), moved->transfer().transfer_id());
  // Beyond: equipment would end 16M below its plan; an approval is needed.
  v1::ReallocateRequest big = move;
  big.set_to_category("personnel");
  big.set_amount_yen(11 * kM);
  big.set_request_id("move-2");
  EXPECT_EQ(Call(&Stub::Reallocate, big, kPiApplicant).status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(Approve(p, "equipment", "personnel", 12 * kM, "CR-2024-001", "ポスドク1名の追加雇用").ok());
  big.set_approval_id("CR-2024-001");
  auto approved = Call(&Stub::Reallocate, big, kPiApplicant);
  ASSERT_TRUE(approved.ok()) << approved.status();
  EXPECT_TRUE(approved->approval_used());
  EXPECT_EQ(Call(&Stub::Reallocate, big, kPiApplicant)->transfer().transfer_id(), approved->transfer().transfer_id());
  auto reuse = big;  // one approval, one reallocation
  reuse.set_amount_yen(1 * kM);
  reuse.set_request_id("move-3");
  EXPECT_EQ(Call(&Stub::Reallocate, reuse, kPiApplicant).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Call(&Stub::Reallocate, move, kOtherApplicant).status().code(), absl::StatusCode::kPermissionDenied);

  // Q1 of a quarterly schedule: a quarter of each category, paid once.
  v1::RecordDisbursementRequest q1;
  q1.set_project_id(p);
  q1.set_fiscal_year(2024);
  q1.set_institution_id(kInstitution);
  q1.set_quarter(1);
  q1.set_request_id("q1");
  auto paid = Call(&Stub::RecordDisbursement, q1);
  ASSERT_TRUE(paid.ok()) << paid.status();
  EXPECT_EQ(paid->amount_yen(), 39 * kM / 4);
  EXPECT_EQ(paid->institution_id(), "057zh3y96");
  q1.set_request_id("q1-again");
  auto repeat = Call(&Stub::RecordDisbursement, q1);
  ASSERT_TRUE(repeat.ok());
  EXPECT_EQ(repeat->disbursement_id(), paid->disbursement_id());
  v1::RecordDisbursementRequest stranger = q1;
  stranger.set_institution_id("https://ror.org/00000000x");
  EXPECT_THAT(Fields(Call(&Stub::RecordDisbursement, stranger).status()), ElementsAre("institution_id"));
  // The rest as a lump sum.
  v1::RecordDisbursementRequest rest = q1;
  rest.set_quarter(0);
  rest.set_request_id("rest");
  auto lump = Call(&Stub::RecordDisbursement, rest);
  ASSERT_TRUE(lump.ok()) << lump.status();
  EXPECT_EQ(lump->amount_yen(), 39 * kM - 39 * kM / 4);
  EXPECT_EQ(Call(&Stub::RecordDisbursement, rest)->amount_yen(), lump->amount_yen());
  EXPECT_EQ(Events<v1::DisbursementMade>(p, 2).size(), 2u);

  // 実績報告: the PI reports spending; more than was paid is refused.
  v1::ReportExpenseRequest expense;
  expense.set_project_id(p);
  expense.set_fiscal_year(2024);
  expense.set_category("equipment");
  expense.set_amount_yen(3 * kM);
  expense.set_description("液体窒素・消耗品");
  expense.set_request_id("exp-1");
  auto reported = Call(&Stub::ReportExpense, expense, kPiApplicant);
  ASSERT_TRUE(reported.ok()) << reported.status();
  EXPECT_EQ(reported->institution_id(), "057zh3y96");
  EXPECT_EQ(reported->transfer().memo(), "液体窒素・消耗品");
  v1::ReportExpenseRequest too_much = expense;
  too_much.set_amount_yen(40 * kM);
  too_much.set_request_id("exp-2");
  auto refused = Call(&Stub::ReportExpense, too_much, kPiApplicant);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_EQ(ShortfallsOf(refused.status()).size(), 1u);
  EXPECT_EQ(ShortfallsOf(refused.status())[0].shortfall, core::Yen(4 * kM));
  too_much.set_category("fieldwork");
  EXPECT_THAT(Fields(Call(&Stub::ReportExpense, too_much, kPiApplicant).status()), ElementsAre("category"));
  EXPECT_EQ(Events<v1::ExpenseReported>(p, 1).size(), 1u);

  auto year = Allocation(p, 2024);
  ASSERT_TRUE(year.ok());
  EXPECT_EQ(year->disbursed_yen(), 39 * kM);
  EXPECT_EQ(year->spent_yen(), 3 * kM);
  EXPECT_EQ(year->unspent_yen(), 36 * kM);
  EXPECT_EQ(year->categories(0).allocated_yen(), 4 * kM);  // equipment after both moves
  v1::ReportInstitutionsRequest institutions;
  institutions.set_program_id("act-x");
  auto by_institution = Call(&Stub::ReportInstitutions, institutions, kAuditor);
  ASSERT_TRUE(by_institution.ok());
  ASSERT_EQ(by_institution->institutions_size(), 1);
  EXPECT_EQ(by_institution->institutions(0).disbursed_yen(), 39 * kM);
  EXPECT_EQ(by_institution->institutions(0).spent_yen(), 3 * kM);
}

// Three moves judged at once on the same amounts: each is within the free
// limit alone, all three are not. Exactly what the limit allows is booked.
TEST_F(FundsServiceTest, ConcurrentReallocationsTogetherStayWithinTheFreeLimit) {
  const std::string p = "amed-crest-p1";
  StartReallocating("amed-crest", p);
  std::vector<v1::ReallocateRequest> moves;
  for (int i = 1; i <= 3; ++i) {
    // free limit: 50% of the 30M planned direct = 15M
    moves.push_back(Move(p, "equipment", "travel", 6 * kM, absl::StrCat("move-", i)));
  }
  const std::vector<absl::Status> statuses = AllJudgedThenBooked(&Stub::Reallocate, moves, "realloc");
  EXPECT_EQ(CountBooked(statuses, "an approved change request is required"), 2);
  auto after = Allocation(p, 2024);
  ASSERT_TRUE(after.ok()) << after.status();
  std::map<std::string, int64_t> allocated;
  for (const auto& c : after->categories()) allocated[c.category()] = c.allocated_yen();
  EXPECT_EQ(allocated["equipment"], 8 * kM);
  EXPECT_EQ(allocated["travel"], 16 * kM);  // 12M above its plan: within 15M
  // Each move booked once, the refused one not at all.
  for (int i = 0; i < 3; ++i) {
    auto again = Call(&Stub::Reallocate, moves[i], kPiApplicant);
    EXPECT_EQ(again.status().code(), statuses[i].code()) << i;
  }
  auto repeated = Allocation(p, 2024);
  ASSERT_TRUE(repeated.ok()) << repeated.status();
  for (const auto& c : repeated->categories()) EXPECT_EQ(c.allocated_yen(), allocated[c.category()]);
}

// A client retry while the first request is in flight: twin 2 judged the
// move when an earlier move had used up the free limit (approval needed) and
// is held; that move is reversed and twin 1 books the same move freely;
// twin 2's booking then finds the accounts changed, judges again on balances
// that include twin 1's move and must answer with twin 1's booking, not move
// the amount a second time with the approval.
TEST_F(FundsServiceTest, ATwinJudgedAgainAfterItsTwinBookedAnswersWithThatBooking) {
  const std::string p = "amed-crest-twins";
  StartReallocating("amed-crest", p);
  ASSERT_TRUE(Approve(p, "equipment", "travel", 10 * kM, "CR-2024-twins", "海外共同研究先への渡航").ok());
  // Free limit: 50% of the 30M planned direct = 15M. After `earlier`, the
  // twins' 10M would change equipment by 16M: approval needed.
  ASSERT_TRUE(Call(&Stub::Reallocate, Move(p, "equipment", "travel", 6 * kM, "earlier"), kPiApplicant).ok());
  v1::ReallocateRequest twin = Move(p, "equipment", "travel", 10 * kM, "twin");
  twin.set_approval_id("CR-2024-twins");

  auto held = std::make_shared<std::atomic<bool>>(false);
  auto release = std::make_shared<std::latch>(1);
  auto approval_bookings = std::make_shared<std::atomic<int>>(0);
  Funds::TestHooks hooks;
  hooks.before_book = [=](const std::string& prefix) {
    if (prefix.rfind("reallocapr-", 0) != 0 || approval_bookings->fetch_add(1) > 0) return;
    held->store(true);
    release->wait();
  };
  service_->funds().SetTestHooks(std::move(hooks));
  absl::StatusOr<v1::ReallocateResponse> second;
  std::atomic<bool> second_done = false;
  std::thread twin2([&] {
    second = Call(&Stub::Reallocate, twin, kPiApplicant);
    second_done = true;
  });
  // Twin 2 judged on the balances after `earlier`: with the approval.
  const bool reached =
      tane::testing::WaitFor([&] { return held->load() || second_done.load(); }, absl::Seconds(30)) && held->load();
  absl::StatusOr<v1::ReallocateResponse> reversed, first;
  if (reached) {
    reversed = Call(&Stub::Reallocate, Move(p, "travel", "equipment", 6 * kM, "reversed"), kPiApplicant);
    first = Call(&Stub::Reallocate, twin, kPiApplicant);
  }
  release->count_down();
  twin2.join();
  service_->funds().SetTestHooks({});

  ASSERT_TRUE(reached) << "twin 2 did not reach its booking with the approval: " << second.status();
  ASSERT_TRUE(reversed.ok()) << reversed.status();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->approval_used()) << "twin 1 judged on the plan's amounts: within the free limit";
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->transfer().transfer_id(), first->transfer().transfer_id());
  EXPECT_FALSE(second->approval_used());
  auto after = Allocation(p, 2024);
  ASSERT_TRUE(after.ok()) << after.status();
  std::map<std::string, int64_t> allocated;
  for (const auto& c : after->categories()) allocated[c.category()] = c.allocated_yen();
  EXPECT_EQ(allocated["equipment"], 10 * kM) << "the 10M moved once";
  EXPECT_EQ(allocated["travel"], 14 * kM);
}
// Three 前倒し judged at once on the same advanced total: exactly what the
// limit (100% of next year's allocation) allows is booked.
TEST_F(FundsServiceTest, ConcurrentAdvanceUsesTogetherStayWithinTheLimit) {
  for (int fy : {2024, 2025}) LoadBudget("kakenhi-kiban-b", fy, v1::BUDGET_LINE_INITIAL, 50 * kM);
  const std::string p = "kiban-b-p1";
  StartActive("kakenhi-kiban-b", p,
              {{2024, BUDGET_CATEGORY_EQUIPMENT, 10 * kM}, {2025, BUDGET_CATEGORY_EQUIPMENT, 10 * kM}});
  std::vector<v1::UseNextYearFundsRequest> requests;
  for (int i = 1; i <= 3; ++i) {
    v1::UseNextYearFundsRequest early;
    early.set_project_id(p);
    early.set_fiscal_year(2024);
    early.set_category("equipment");
    early.set_amount_yen(4 * kM);
    early.set_request_id(absl::StrCat("early-", i));
    requests.push_back(std::move(early));
  }
  const std::vector<absl::Status> statuses = AllJudgedThenBooked(&Stub::UseNextYearFunds, requests, "advance");
  EXPECT_EQ(CountBooked(statuses, "beyond the limit"), 2);
  EXPECT_EQ(Allocation(p, 2024)->categories(0).allocated_yen(), 18 * kM);
  EXPECT_EQ(Allocation(p, 2025)->categories(0).allocated_yen(), 2 * kM);
}

// A plan whose direct costs add up beyond int64 is refused by name, not
// wrapped into a negative free limit.
TEST_F(FundsServiceTest, AReallocationOnAPlanBeyondInt64IsOutOfRange) {
  const std::string p = "amed-crest-huge";
  constexpr int64_t kHalf = std::numeric_limits<int64_t>::max() / 2 + 1;
  Apply(Started("amed-crest", p, {{2024, BUDGET_CATEGORY_EQUIPMENT, kHalf}, {2024, BUDGET_CATEGORY_TRAVEL, kHalf}},
                Jst(2024, 4, 1)),
        p);
  EXPECT_EQ(Project(p).allocation(), v1::ALLOCATION_STATUS_REJECTED);
  v1::ReallocateRequest move;
  move.set_project_id(p);
  move.set_fiscal_year(2024);
  move.set_from_category("equipment");
  move.set_to_category("travel");
  move.set_amount_yen(1 * kM);
  move.set_request_id("move-huge");
  auto moved = Call(&Stub::Reallocate, move, kPiApplicant);
  EXPECT_EQ(moved.status().code(), absl::StatusCode::kOutOfRange) << moved.status();
  EXPECT_THAT(std::string(moved.status().message()), HasSubstr("budget_plan"));
}

// ---------------------------------------------------------------- fiscal-year close

TEST_F(FundsServiceTest, A基金CarriesOverWithoutApprovalAndAllowsAdvanceUse) {
  LoadBudget("forest", 2024, v1::BUDGET_LINE_INITIAL, 50 * kM);
  LoadBudget("forest", 2025, v1::BUDGET_LINE_INITIAL, 50 * kM);
  const std::string p = "forest-p1";
  StartActive("forest", p, {{2024, BUDGET_CATEGORY_EQUIPMENT, 10 * kM}, {2025, BUDGET_CATEGORY_EQUIPMENT, 10 * kM}});

  // 前倒し: 4M of FY2025 equipment used in FY2024, within 100% of it.
  v1::UseNextYearFundsRequest early;
  early.set_project_id(p);
  early.set_fiscal_year(2024);
  early.set_category("equipment");
  early.set_amount_yen(4 * kM);
  early.set_request_id("early-1");
  auto advanced = Call(&Stub::UseNextYearFunds, early, kPiApplicant);
  ASSERT_TRUE(advanced.ok()) << advanced.status();
  EXPECT_EQ(advanced->limit_yen(), 10 * kM);
  EXPECT_EQ(advanced->remaining_yen(), 6 * kM);
  EXPECT_EQ(Call(&Stub::UseNextYearFunds, early, kPiApplicant)->transfer().transfer_id(),
            advanced->transfer().transfer_id());
  early.set_amount_yen(7 * kM);
  early.set_request_id("early-2");
  EXPECT_EQ(Call(&Stub::UseNextYearFunds, early, kPiApplicant).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Allocation(p, 2024)->categories(0).allocated_yen(), 14 * kM);
  EXPECT_EQ(Allocation(p, 2025)->categories(0).allocated_yen(), 6 * kM);

  v1::RecordDisbursementRequest pay;
  pay.set_project_id(p);
  pay.set_fiscal_year(2024);
  pay.set_institution_id(kInstitution);
  pay.set_request_id("pay-all");
  ASSERT_TRUE(Call(&Stub::RecordDisbursement, pay).ok());  // 14M + 3M indirect
  v1::ReportExpenseRequest expense;
  expense.set_project_id(p);
  expense.set_fiscal_year(2024);
  expense.set_category("equipment");
  expense.set_amount_yen(5 * kM);
  expense.set_request_id("exp-1");
  ASSERT_TRUE(Call(&Stub::ReportExpense, expense).ok());

  v1::CloseFiscalYearRequest close;
  close.set_program_id("forest");
  close.set_fiscal_year(2024);
  close.set_request_id("close-2024");
  EXPECT_EQ(Call(&Stub::CloseFiscalYear, close).status().code(), absl::StatusCode::kFailedPrecondition);  // June 2024
  clock_->Set(Jst(2025, 4, 1));
  auto with_approval = close;
  auto* a = with_approval.add_carry_over_approvals();
  a->set_project_id(p);
  a->set_approval_id("K-1");
  a->set_approved_yen(kM);
  EXPECT_EQ(Call(&Stub::CloseFiscalYear, with_approval).status().code(), absl::StatusCode::kInvalidArgument);

  auto closed = Call(&Stub::CloseFiscalYear, close);
  ASSERT_TRUE(closed.ok()) << closed.status();
  // Budget left (50 - 13) and the institution's unspent 12M carry over; nothing returned.
  EXPECT_EQ(closed->carried_over_yen(), 37 * kM + 12 * kM);
  EXPECT_EQ(closed->returned_yen(), 0);
  EXPECT_EQ(Call(&Stub::CloseFiscalYear, close)->SerializeAsString(), closed->SerializeAsString());
  close.set_request_id("close-2024-again");
  EXPECT_EQ(Call(&Stub::CloseFiscalYear, close).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Account("forest", "budget.2025.initial").balance_yen(), 50 * kM - 13 * kM + 37 * kM);
  EXPECT_EQ(Allocation(p, 2025)->unspent_yen(), 12 * kM);
  EXPECT_EQ(Allocation(p, 2025)->carried_in_yen(), 12 * kM);
  auto fy = Events<v1::FiscalYearClosed>("forest", 1);
  ASSERT_EQ(fy.size(), 1u);
  EXPECT_EQ(fy[0].instrument(), v1::FUNDING_INSTRUMENT_FUND);
  // The closed year takes no more reports.
  expense.set_request_id("exp-late");
  EXPECT_EQ(Call(&Stub::ReportExpense, expense).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(FundsServiceTest, A補助金CarriesOverOnlyWithAnApproved繰越AndReturnsTheRest) {
  LoadBudget("sicorp-consortium", 2024, v1::BUDGET_LINE_INITIAL, 30 * kM);
  const std::string a = "sicorp-a", b = "sicorp-b";
  StartActive("sicorp-consortium", a, {{2024, BUDGET_CATEGORY_EQUIPMENT, 10 * kM}});
  StartActive("sicorp-consortium", b, {{2024, BUDGET_CATEGORY_EQUIPMENT, 5 * kM}});
  v1::RecordDisbursementRequest pay;
  pay.set_project_id(a);
  pay.set_fiscal_year(2024);
  pay.set_institution_id(kInstitution);
  pay.set_request_id("pay-a");
  ASSERT_TRUE(Call(&Stub::RecordDisbursement, pay).ok());  // 13M
  v1::ReportExpenseRequest expense;
  expense.set_project_id(a);
  expense.set_fiscal_year(2024);
  expense.set_category("equipment");
  expense.set_amount_yen(8 * kM);
  expense.set_request_id("exp-a");
  ASSERT_TRUE(Call(&Stub::ReportExpense, expense).ok());

  clock_->Set(Jst(2025, 4, 2));
  v1::CloseFiscalYearRequest close;
  close.set_program_id("sicorp-consortium");
  close.set_fiscal_year(2024);
  close.set_request_id("close-2024");
  auto* approval = close.add_carry_over_approvals();
  approval->set_project_id(a);
  approval->set_approval_id("繰越-2024-07");
  approval->set_approved_yen(2 * kM);
  auto closed = Call(&Stub::CloseFiscalYear, close);
  ASSERT_TRUE(closed.ok()) << closed.status();
  // a: 2M of its unspent 5M carries over, 3M back; b: 6.5M back; the
  // program budget's 10.5M back (no approval for it).
  EXPECT_EQ(closed->carried_over_yen(), 2 * kM);
  EXPECT_EQ(closed->returned_yen(), 3 * kM + 6'500'000 + 10'500'000);
  EXPECT_EQ(Account("sicorp-consortium", "returned.2024").balance_yen(), 20 * kM);
  EXPECT_EQ(Account("sicorp-consortium", "payable.sicorp-a.2025.057zh3y96").balance_yen(), 2 * kM);
  EXPECT_EQ(BudgetYear("sicorp-consortium", 2024).returned_yen(), 20 * kM);
  auto fy = Events<v1::FiscalYearClosed>("sicorp-consortium", 1);
  ASSERT_EQ(fy.size(), 1u);
  EXPECT_EQ(fy[0].instrument(), v1::FUNDING_INSTRUMENT_CONTRACT);
  EXPECT_EQ(fy[0].returned_yen(), 20 * kM);
  auto back_a = Events<v1::FundsReturned>(a, 1);
  ASSERT_EQ(back_a.size(), 1u);
  EXPECT_EQ(back_a[0].amount_yen(), 3 * kM);
  EXPECT_EQ(back_a[0].reason(), "fiscal_year_close");
  EXPECT_EQ(Events<v1::FundsReturned>("sicorp-consortium", 1)[0].amount_yen(), 10'500'000);
}

// ---------------------------------------------------------------- CSV

TEST_F(FundsServiceTest, CsvExportsOfTheLedgerAndTheReports) {
  LoadBudget("satreps", 2024, v1::BUDGET_LINE_INITIAL, 40 * kM);
  LoadBudget("satreps", 2025, v1::BUDGET_LINE_INITIAL, 40 * kM);
  const std::string p = "satreps-p1";
  StartActive("satreps", p, {{2024, BUDGET_CATEGORY_TRAVEL, 10 * kM}, {2025, BUDGET_CATEGORY_TRAVEL, 10 * kM}});
  v1::RecordDisbursementRequest pay;
  pay.set_project_id(p);
  pay.set_fiscal_year(2024);
  pay.set_institution_id(kInstitution);
  pay.set_request_id("pay");
  ASSERT_TRUE(Call(&Stub::RecordDisbursement, pay).ok());
  v1::ReportExpenseRequest expense;
  expense.set_project_id(p);
  expense.set_fiscal_year(2024);
  expense.set_category("travel");
  expense.set_amount_yen(2 * kM);
  expense.set_description("現地調査, \"第1回\"");
  expense.set_request_id("exp");
  ASSERT_TRUE(Call(&Stub::ReportExpense, expense).ok());

  v1::ExportCsvRequest r;
  r.set_program_id("satreps");
  auto ledger = Call(&Stub::ExportCsv, r, kAuditor);
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  EXPECT_EQ(ledger->content_type(), "text/csv; charset=utf-8");
  EXPECT_THAT(ledger->csv(), HasSubstr("seq,transfer_id,created_at,debit_account_id,credit_account_id,amount_yen"));
  EXPECT_THAT(ledger->csv(), HasSubstr(",external.mext,budget.2024.initial,40000000,JPY,budget_load,posted,"));
  EXPECT_THAT(ledger->csv(), HasSubstr(",payable.satreps-p1.2024.057zh3y96,spent.satreps-p1.2024.travel,2000000,"));
  EXPECT_THAT(ledger->csv(), HasSubstr("\"現地調査, \"\"第1回\"\"\"\r\n"));  // quoted, Japanese intact
  r.set_fiscal_year(2025);
  EXPECT_THAT(Call(&Stub::ExportCsv, r, kAuditor)->csv(), ::testing::Not(HasSubstr("budget.2024.initial")));

  r.set_fiscal_year(2024);
  r.set_report(v1::CSV_REPORT_PROGRAM_BUDGET);
  EXPECT_THAT(Call(&Stub::ExportCsv, r, kAuditor)->csv(), HasSubstr("\r\nsatreps,2024,40000000,13000000,0,13000000,2000000,27000000,0,0,0\r\n"));
  r.set_report(v1::CSV_REPORT_PROJECTS);
  EXPECT_THAT(Call(&Stub::ExportCsv, r, kAuditor)->csv(),
              HasSubstr("\r\nsatreps,satreps-p1,2024,travel,10000000,0,10000000,2000000,0,0,0,0\r\n"));
  r.set_report(v1::CSV_REPORT_INSTITUTIONS);
  EXPECT_THAT(Call(&Stub::ExportCsv, r, kAuditor)->csv(),
              HasSubstr("\r\nsatreps,057zh3y96,2024,1,13000000,2000000,11000000,0,0,0\r\n"));
}

}  // namespace
}  // namespace tane::funds
