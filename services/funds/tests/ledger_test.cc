// The ledger against a real redis-server (AOF, appendfsync always).
#include "tane/funds/ledger.h"

#include <map>

#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "ledger_lua.h"
#include "tane/bus/envelope.h"
#include "tane/core/errors.h"
#include "tane/funds/v1/events.pb.h"
#include "tane/store/aggregate_store.h"
#include "tane/testing/fixtures.h"

namespace tane::funds {
namespace {

using core::FiscalYear;
using core::Yen;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kProgram[] = "crest-2024";

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = tane::testing::RedisServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    store::RedisOptions options;
    options.port = server_->port();
    options.pool_size = 8;
    options.initial_backoff = absl::Milliseconds(5);
    options.max_backoff = absl::Milliseconds(50);
    pool_ = std::make_unique<store::RedisPool>(options);
    ledger_ = std::make_unique<Ledger>(*pool_, store::Keyspace("funds", 4), clock_);
    ASSERT_TRUE(ledger_->OpenAccount(kProgram, ExternalSourceAccount("mext")).ok());
    ASSERT_TRUE(ledger_->OpenAccount(kProgram, budget_).ok());
    ASSERT_TRUE(ledger_->OpenAccount(kProgram, alloc_).ok());
  }

  // Every key and its DUMP: equal snapshots mean nothing changed.
  std::map<std::string, std::string> Snapshot() {
    std::map<std::string, std::string> out;
    auto keys = pool_->Command({"KEYS", "*"});
    EXPECT_TRUE(keys.ok());
    for (const auto& k : keys->elements) out[k.str] = pool_->Command({"DUMP", k.str})->str;
    return out;
  }

  std::vector<common::v1::EventEnvelope> Outbox() {
    std::vector<common::v1::EventEnvelope> out;
    auto reply = pool_->Command({"XRANGE", ledger_->keyspace().OutboxKey(ledger_->ShardOf(kProgram)), "-", "+"});
    EXPECT_TRUE(reply.ok());
    for (const auto& entry : reply->elements) {
      const auto& fields = entry.elements[1].elements;
      std::map<std::string, std::string> f;
      for (size_t i = 0; i + 1 < fields.size(); i += 2) f[fields[i].str] = fields[i + 1].str;
      common::v1::EventEnvelope e;
      EXPECT_TRUE(e.ParseFromString(f["env"]));
      EXPECT_EQ(f["id"], e.event_id());
      EXPECT_EQ(f["agg"], e.aggregate_id());
      EXPECT_EQ(f["type"], e.type());
      out.push_back(e);
    }
    return out;
  }

  std::vector<Account> Accounts() {
    auto all = ledger_->ListAccounts(kProgram);
    EXPECT_TRUE(all.ok()) << all.status();
    return all.ok() ? *std::move(all) : std::vector<Account>{};
  }

  int64_t Balance(const std::string& account) {
    auto a = ledger_->GetAccount(kProgram, account);
    EXPECT_TRUE(a.ok()) << a.status();
    return a.ok() ? a->balance.value() : -1;
  }

  TransferRequest Move(std::string id, const std::string& from, const std::string& to, int64_t amount) {
    TransferRequest t;
    t.id = std::move(id);
    t.debit_account_id = from;
    t.credit_account_id = to;
    t.amount = Yen(amount);
    return t;
  }

  // Loads `amount` into the FY2024 budget.
  void LoadBudget(int64_t amount, const std::string& id = "load-1") {
    TransferRequest t = Move(id, "external.mext", budget_.id, amount);
    t.code = "budget_load";
    auto r = ledger_->CreateTransfer(kProgram, t);
    ASSERT_TRUE(r.ok()) << r.status();
  }

  core::ManualClock clock_{absl::FromCivil(absl::CivilSecond(2024, 6, 1, 10, 0, 0), core::TokyoTimeZone())};
  AccountSpec budget_ = ProgramBudgetAccount(FiscalYear(2024), BudgetLine::kInitial);
  AccountSpec alloc_ = ProjectAllocationAccount("p1", FiscalYear(2024), "equipment");
  std::unique_ptr<tane::testing::RedisServer> server_;
  std::unique_ptr<store::RedisPool> pool_;
  std::unique_ptr<Ledger> ledger_;
};

TEST_F(LedgerTest, OpensAccountsIdempotently) {
  auto again = ledger_->OpenAccount(kProgram, budget_);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  AccountSpec other = budget_;
  other.budget_line = BudgetLine::kAdjustment;
  const auto before = Snapshot();
  EXPECT_EQ(ledger_->OpenAccount(kProgram, other).status().code(), absl::StatusCode::kAlreadyExists);
  AccountSpec bad = budget_;
  bad.must_not_go_negative = false;
  EXPECT_EQ(ledger_->OpenAccount(kProgram, bad).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ledger_->OpenAccount("bad program", budget_).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Snapshot(), before);

  auto account = ledger_->GetAccount(kProgram, budget_.id);
  ASSERT_TRUE(account.ok()) << account.status();
  EXPECT_EQ(account->spec, budget_);
  EXPECT_EQ(account->balance, Yen(0));
  auto all = ledger_->ListAccounts(kProgram);
  ASSERT_TRUE(all.ok());
  std::vector<std::string> ids;
  for (const auto& a : *all) ids.push_back(a.spec.id);
  EXPECT_THAT(ids, ElementsAre(alloc_.id, budget_.id, "external.mext"));
  EXPECT_EQ(ledger_->GetAccount(kProgram, "nope").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(LedgerTest, TransferMovesMoneyRecordsItAndAppendsItsEvent) {
  TransferRequest t = Move("t-1", "external.mext", budget_.id, 45'821'000'000);
  t.code = "budget_load";
  t.memo = "JST strategic research FY2017, 当初予算";
  auto r = ledger_->CreateTransfer(kProgram, t, Origin{"finance_officer:f1", "trace-1"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->duplicate);
  EXPECT_EQ(r->transfer.state, TransferState::kPosted);
  EXPECT_EQ(r->transfer.debit_balance_after, Yen(-45'821'000'000));
  EXPECT_EQ(r->transfer.credit_balance_after, Yen(45'821'000'000));
  EXPECT_EQ(r->transfer.created_at, absl::FromUnixMillis(absl::ToUnixMillis(clock_.Now())));
  EXPECT_EQ(Balance(budget_.id), 45'821'000'000);
  EXPECT_EQ(Balance("external.mext"), -45'821'000'000);

  auto stored = ledger_->GetTransfer(kProgram, "t-1");
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->memo, t.memo);
  EXPECT_EQ(stored->code, "budget_load");

  auto events = Outbox();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type(), "tane.funds.v1.TransferPosted");
  EXPECT_EQ(events[0].aggregate_type(), "transfer");
  EXPECT_EQ(events[0].aggregate_id(), std::string(kProgram) + "/t-1");
  EXPECT_EQ(events[0].aggregate_version(), 1);
  EXPECT_EQ(events[0].actor(), "finance_officer:f1");
  EXPECT_EQ(events[0].trace_id(), "trace-1");
  v1::TransferPosted posted;
  ASSERT_TRUE(bus::UnpackPayload(events[0], &posted));
  EXPECT_EQ(posted.transfer().amount_yen(), 45'821'000'000);
  EXPECT_EQ(posted.transfer().transfer_id(), "t-1");
  EXPECT_EQ(posted.transfer().program_id(), kProgram);
}

TEST_F(LedgerTest, SameIdSameContentIsANoOpReturningTheOriginalResult) {
  LoadBudget(1000);
  auto first = ledger_->CreateTransfer(kProgram, Move("a-1", budget_.id, alloc_.id, 300));
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(ledger_->CreateTransfer(kProgram, Move("a-2", budget_.id, alloc_.id, 100)).ok());
  const auto before = Snapshot();
  clock_.Advance(absl::Hours(1));
  auto repeat = ledger_->CreateTransfer(kProgram, Move("a-1", budget_.id, alloc_.id, 300));
  ASSERT_TRUE(repeat.ok()) << repeat.status();
  EXPECT_TRUE(repeat->duplicate);
  EXPECT_EQ(repeat->transfer.debit_balance_after, Yen(700));  // as first booked, not now (600)
  EXPECT_EQ(repeat->transfer.credit_balance_after, Yen(300));
  EXPECT_EQ(repeat->transfer.created_at, first->transfer.created_at);
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(LedgerTest, SameIdDifferentContentIsRefusedAndChangesNothing) {
  LoadBudget(1000);
  ASSERT_TRUE(ledger_->CreateTransfer(kProgram, Move("a-1", budget_.id, alloc_.id, 300)).ok());
  const auto before = Snapshot();
  auto other_amount = ledger_->CreateTransfer(kProgram, Move("a-1", budget_.id, alloc_.id, 301));
  EXPECT_EQ(other_amount.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(other_amount.status().message(), HasSubstr("amount_yen '300' (booked) vs '301' (request)"));
  TransferRequest other_memo = Move("a-1", budget_.id, alloc_.id, 300);
  other_memo.memo = "different";
  EXPECT_EQ(ledger_->CreateTransfer(kProgram, other_memo).status().code(), absl::StatusCode::kAlreadyExists);
  TransferRequest as_pending = Move("a-1", budget_.id, alloc_.id, 300);
  as_pending.pending = true;
  EXPECT_EQ(ledger_->CreateTransfer(kProgram, as_pending).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(LedgerTest, InsufficientBalanceIsRefusedWithTheShortfallAndChangesNothing) {
  LoadBudget(100);
  const auto before = Snapshot();
  auto r = ledger_->CreateTransfer(kProgram, Move("a-1", budget_.id, alloc_.id, 101));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(ShortfallsOf(r.status()), ElementsAre(Shortfall{budget_.id, Yen(100), Yen(1)}));
  auto payload = r.status().GetPayload("type.googleapis.com/google.rpc.PreconditionFailure");
  ASSERT_TRUE(payload.has_value());
  google::rpc::PreconditionFailure details;
  ASSERT_TRUE(details.ParseFromString(std::string(*payload)));
  ASSERT_EQ(details.violations_size(), 1);
  EXPECT_EQ(details.violations(0).type(), "INSUFFICIENT_FUNDS");
  EXPECT_EQ(details.violations(0).subject(), budget_.id);
  EXPECT_EQ(Snapshot(), before);
  // A refused transfer leaves no record: its id books once the money is there.
  EXPECT_EQ(ledger_->GetTransfer(kProgram, "a-1").status().code(), absl::StatusCode::kNotFound);
  auto exact = ledger_->CreateTransfer(kProgram, Move("a-1", budget_.id, alloc_.id, 100));
  ASSERT_TRUE(exact.ok()) << exact.status();
  EXPECT_EQ(Balance(budget_.id), 0);
}

TEST_F(LedgerTest, UnknownAccountsAndMalformedRequestsChangeNothing) {
  LoadBudget(100);
  const auto before = Snapshot();
  EXPECT_EQ(ledger_->CreateTransfer(kProgram, Move("x", budget_.id, "alloc.p9.2024.travel", 1)).status().code(),
            absl::StatusCode::kNotFound);
  // Accounts live in their program: the same account id in another program is another account.
  EXPECT_EQ(ledger_->CreateTransfer("other-program", Move("x", budget_.id, alloc_.id, 1)).status().code(),
            absl::StatusCode::kNotFound);
  struct Case {
    TransferRequest request;
    std::string field;
  };
  const std::vector<Case> cases = {
      {Move("x", budget_.id, alloc_.id, 0), "amount_yen"},
      {Move("x", budget_.id, alloc_.id, -5), "amount_yen"},
      {Move("x", budget_.id, budget_.id, 1), "credit_account_id"},
      {Move("x y", budget_.id, alloc_.id, 1), "transfer_id"},
      {Move("x", "budget/2024", alloc_.id, 1), "debit_account_id"},
      {Move("x", budget_.id, alloc_.id, kMaxLedgerYen + 1), "amount_yen"},
      {Move("x", budget_.id, alloc_.id, INT64_MAX), "amount_yen"},
  };
  for (const auto& c : cases) {
    auto r = ledger_->CreateTransfer(kProgram, c.request);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    ASSERT_FALSE(core::ViolationsOf(r.status()).empty()) << r.status();
    EXPECT_EQ(core::ViolationsOf(r.status())[0].field, c.field) << r.status();
  }
  TransferRequest bad_code = Move("x", budget_.id, alloc_.id, 1);
  bad_code.code = "Budget Load";
  EXPECT_EQ(ledger_->CreateTransfer(kProgram, bad_code).status().code(), absl::StatusCode::kInvalidArgument);
  TransferRequest bad_memo = Move("x", budget_.id, alloc_.id, 1);
  bad_memo.memo = "line\nbreak";
  EXPECT_EQ(ledger_->CreateTransfer(kProgram, bad_memo).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(LedgerTest, PendingTransfersReserveThenPostOrVoid) {
  LoadBudget(100);
  TransferRequest reserve = Move("p-1", budget_.id, alloc_.id, 60);
  reserve.pending = true;
  auto pending = ledger_->CreateTransfer(kProgram, reserve);
  ASSERT_TRUE(pending.ok()) << pending.status();
  EXPECT_EQ(pending->transfer.state, TransferState::kPending);
  auto budget = ledger_->GetAccount(kProgram, budget_.id);
  EXPECT_EQ(budget->balance, Yen(100));
  EXPECT_EQ(budget->pending_debits, Yen(60));
  EXPECT_EQ(budget->available(), Yen(40));
  auto alloc = ledger_->GetAccount(kProgram, alloc_.id);
  EXPECT_EQ(alloc->balance, Yen(0));
  EXPECT_EQ(alloc->pending_credits, Yen(60));

  // The reservation counts: 50 more does not fit.
  TransferRequest too_much = Move("p-2", budget_.id, alloc_.id, 50);
  too_much.pending = true;
  auto refused = ledger_->CreateTransfer(kProgram, too_much);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(ShortfallsOf(refused.status()), ElementsAre(Shortfall{budget_.id, Yen(40), Yen(10)}));
  EXPECT_EQ(ledger_->CreateTransfer(kProgram, Move("d-1", budget_.id, alloc_.id, 41)).status().code(),
            absl::StatusCode::kFailedPrecondition);

  auto posted = ledger_->PostPending(kProgram, "p-1");
  ASSERT_TRUE(posted.ok()) << posted.status();
  EXPECT_FALSE(posted->duplicate);
  EXPECT_EQ(posted->transfer.state, TransferState::kPosted);
  EXPECT_EQ(posted->transfer.resolved_debit_balance_after, Yen(40));
  EXPECT_EQ(posted->transfer.resolved_credit_balance_after, Yen(60));
  budget = ledger_->GetAccount(kProgram, budget_.id);
  EXPECT_EQ(budget->balance, Yen(40));
  EXPECT_EQ(budget->pending_debits, Yen(0));
  alloc = ledger_->GetAccount(kProgram, alloc_.id);
  EXPECT_EQ(alloc->balance, Yen(60));
  EXPECT_EQ(alloc->pending_credits, Yen(0));

  auto before = Snapshot();
  auto post_again = ledger_->PostPending(kProgram, "p-1");
  ASSERT_TRUE(post_again.ok());
  EXPECT_TRUE(post_again->duplicate);
  EXPECT_EQ(post_again->transfer.resolved_debit_balance_after, Yen(40));
  EXPECT_EQ(ledger_->VoidPending(kProgram, "p-1").status().code(), absl::StatusCode::kFailedPrecondition);
  // Creating it again with the same content is a no-op too.
  auto create_again = ledger_->CreateTransfer(kProgram, reserve);
  ASSERT_TRUE(create_again.ok());
  EXPECT_TRUE(create_again->duplicate);
  EXPECT_EQ(Snapshot(), before);

  // Void releases the reservation.
  TransferRequest second = Move("p-3", budget_.id, alloc_.id, 40);
  second.pending = true;
  ASSERT_TRUE(ledger_->CreateTransfer(kProgram, second).ok());
  EXPECT_EQ(ledger_->GetAccount(kProgram, budget_.id)->available(), Yen(0));
  auto voided = ledger_->VoidPending(kProgram, "p-3");
  ASSERT_TRUE(voided.ok()) << voided.status();
  EXPECT_EQ(voided->transfer.state, TransferState::kVoided);
  EXPECT_EQ(ledger_->GetAccount(kProgram, budget_.id)->available(), Yen(40));
  EXPECT_EQ(ledger_->GetAccount(kProgram, alloc_.id)->pending_credits, Yen(0));
  before = Snapshot();
  EXPECT_TRUE(ledger_->VoidPending(kProgram, "p-3")->duplicate);
  EXPECT_EQ(ledger_->PostPending(kProgram, "p-3").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ledger_->PostPending(kProgram, "load-1").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ledger_->PostPending(kProgram, "nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Snapshot(), before);

  std::vector<std::pair<std::string, int64_t>> events;
  for (const auto& e : Outbox()) events.emplace_back(e.type(), e.aggregate_version());
  EXPECT_THAT(events, ElementsAre(std::pair<std::string, int64_t>{"tane.funds.v1.TransferPosted", 1},
                                  std::pair<std::string, int64_t>{"tane.funds.v1.TransferPending", 1},
                                  std::pair<std::string, int64_t>{"tane.funds.v1.TransferPosted", 2},
                                  std::pair<std::string, int64_t>{"tane.funds.v1.TransferPending", 1},
                                  std::pair<std::string, int64_t>{"tane.funds.v1.TransferVoided", 2}));
}

TEST_F(LedgerTest, ABatchResolvesPendingTransfersAtomicallyWithNewOnes) {
  LoadBudget(100);
  const AccountSpec travel = ProjectAllocationAccount("p1", FiscalYear(2024), "travel");
  Batch reserve;
  reserve.batch_id = "r";
  reserve.open_accounts = {travel};
  reserve.transfers = {Move("r.1", budget_.id, alloc_.id, 30), Move("r.2", budget_.id, travel.id, 20),
                       Move("r.3", budget_.id, travel.id, 40)};
  for (auto& t : reserve.transfers) t.pending = true;
  ASSERT_TRUE(ledger_->CreateBatch(kProgram, reserve).ok());
  EXPECT_EQ(ledger_->GetAccount(kProgram, budget_.id)->available(), Yen(10));

  // Voiding r.3 frees 40 that a new reservation in the same batch uses; r.1
  // and r.2 post. Nothing else may happen if any part fails.
  Batch settle;
  settle.batch_id = "s";
  settle.resolve = {{"r.3", false}, {"r.1", true}, {"r.2", true}};
  TransferRequest again = Move("s.1", budget_.id, travel.id, 45);
  again.pending = true;
  settle.transfers = {again};
  auto too_much = settle;
  too_much.transfers[0].amount = Yen(51);
  const auto before = Snapshot();
  EXPECT_THAT(ShortfallsOf(ledger_->CreateBatch(kProgram, too_much).status()),
              ElementsAre(Shortfall{budget_.id, Yen(10), Yen(1)}));
  EXPECT_EQ(Snapshot(), before);

  auto settled = ledger_->CreateBatch(kProgram, settle);
  ASSERT_TRUE(settled.ok()) << settled.status();
  ASSERT_EQ(settled->resolved.size(), 3u);
  EXPECT_EQ(settled->resolved[0].state, TransferState::kVoided);
  EXPECT_EQ(settled->resolved[1].state, TransferState::kPosted);
  EXPECT_EQ(settled->transfers[0].state, TransferState::kPending);
  auto budget = ledger_->GetAccount(kProgram, budget_.id);
  EXPECT_EQ(budget->balance, Yen(50));
  EXPECT_EQ(budget->pending_debits, Yen(45));
  EXPECT_EQ(ledger_->GetAccount(kProgram, travel.id)->balance, Yen(20));
  EXPECT_EQ(ledger_->GetAccount(kProgram, travel.id)->pending_credits, Yen(45));
  EXPECT_TRUE(ledger_->CreateBatch(kProgram, settle)->duplicate);

  // Already resolved the same way: skipped; the other way: refused whole.
  Batch resolve_only;
  resolve_only.resolve = {{"r.1", true}, {"s.1", true}};
  auto posted = ledger_->CreateBatch(kProgram, resolve_only);
  ASSERT_TRUE(posted.ok()) << posted.status();
  EXPECT_FALSE(posted->duplicate);
  EXPECT_EQ(ledger_->GetAccount(kProgram, travel.id)->balance, Yen(65));
  EXPECT_TRUE(ledger_->CreateBatch(kProgram, resolve_only)->duplicate);
  const auto settled_state = Snapshot();
  Batch wrong_way;
  wrong_way.resolve = {{"r.2", false}};
  EXPECT_EQ(ledger_->CreateBatch(kProgram, wrong_way).status().code(), absl::StatusCode::kFailedPrecondition);
  wrong_way.resolve = {{"nope", true}};
  EXPECT_EQ(ledger_->CreateBatch(kProgram, wrong_way).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Snapshot(), settled_state);

  // Numbered reads: r.1, r.2, r.3 and nothing after.
  auto numbered = ledger_->GetNumberedTransfers(kProgram, "r");
  ASSERT_TRUE(numbered.ok()) << numbered.status();
  ASSERT_EQ(numbered->size(), 3u);
  EXPECT_EQ((*numbered)[2].id, "r.3");
  EXPECT_TRUE(ledger_->GetNumberedTransfers(kProgram, "none")->empty());
}

TEST_F(LedgerTest, AccountsCarryTheirPostedTurnoverByCode) {
  LoadBudget(1000);
  ASSERT_TRUE(ledger_->CreateTransfer(kProgram, Move("a", budget_.id, alloc_.id, 300)).ok());
  ASSERT_TRUE(ledger_->CreateTransfer(kProgram, Move("b", alloc_.id, budget_.id, 100)).ok());
  TransferRequest reserve = Move("c", budget_.id, alloc_.id, 50);
  reserve.code = "allocation";
  reserve.pending = true;
  ASSERT_TRUE(ledger_->CreateTransfer(kProgram, reserve).ok());
  auto budget = ledger_->GetAccount(kProgram, budget_.id);
  EXPECT_EQ(budget->TurnoverOf("budget_load"), (Turnover{Yen(0), Yen(1000)}));
  EXPECT_EQ(budget->TurnoverOf("manual"), (Turnover{Yen(300), Yen(100)}));
  EXPECT_EQ(budget->TurnoverOf("allocation"), Turnover{});  // pending: not posted yet
  ASSERT_TRUE(ledger_->PostPending(kProgram, "c").ok());
  auto alloc = ledger_->GetAccount(kProgram, alloc_.id);
  EXPECT_EQ(alloc->TurnoverOf("allocation"), (Turnover{Yen(0), Yen(50)}));
  EXPECT_EQ(alloc->balance, Yen(250));
  auto proto = ToProto(*alloc);
  ASSERT_EQ(proto.turnover_size(), 2);
  EXPECT_EQ(proto.turnover(0).code(), "allocation");
  EXPECT_EQ(proto.turnover(1).debited_yen(), 100);
  EXPECT_EQ(Accounts().size(), 3u);
}

TEST_F(LedgerTest, ProjectAccountsAndYearFilteredExports) {
  LoadBudget(1000);
  const AccountSpec p10 = ProjectAllocationAccount("p10", FiscalYear(2024), "equipment");
  const AccountSpec p1_2025 = ProjectAllocationAccount("p1", FiscalYear(2025), "travel");
  const AccountSpec payable = InstitutionPayableAccount("p1", FiscalYear(2024), "inst-1");
  for (const auto& spec : {p10, p1_2025, payable}) ASSERT_TRUE(ledger_->OpenAccount(kProgram, spec).ok());
  auto p1 = ledger_->ListAccounts(kProgram, "p1");
  ASSERT_TRUE(p1.ok()) << p1.status();
  std::vector<std::string> ids;
  for (const auto& a : *p1) ids.push_back(a.spec.id);
  // Not p10's account, though "p1" is a prefix of it.
  EXPECT_THAT(ids, ElementsAre(alloc_.id, p1_2025.id, payable.id));
  EXPECT_EQ(ledger_->ListAccounts(kProgram, "p 1").status().code(), absl::StatusCode::kInvalidArgument);

  ASSERT_TRUE(ledger_->CreateTransfer(kProgram, Move("t-2024", budget_.id, alloc_.id, 5)).ok());
  ASSERT_TRUE(ledger_->OpenAccount(kProgram, ProgramBudgetAccount(FiscalYear(2025), BudgetLine::kInitial)).ok());
  ASSERT_TRUE(ledger_->CreateTransfer(kProgram, Move("t-2025", "external.mext", "budget.2025.initial", 7)).ok());
  auto csv = ledger_->ExportCsv(kProgram, 2025);
  ASSERT_TRUE(csv.ok());
  EXPECT_THAT(*csv, HasSubstr("\r\n3,t-2025,"));  // numbered as in the whole ledger
  EXPECT_THAT(*csv, ::testing::Not(HasSubstr("t-2024")));
  EXPECT_THAT(*ledger_->ExportCsv(kProgram), HasSubstr("t-2024"));
}

TEST_F(LedgerTest, BatchIsAllOrNothing) {
  LoadBudget(1000);
  const AccountSpec travel = ProjectAllocationAccount("p1", FiscalYear(2024), "travel");
  const AccountSpec indirect = ProjectAllocationAccount("p1", FiscalYear(2024), "indirect");
  Batch batch;
  batch.batch_id = "alloc-p1";
  batch.open_accounts = {travel, indirect};
  batch.transfers = {Move("alloc-p1.1", budget_.id, alloc_.id, 500), Move("alloc-p1.2", budget_.id, travel.id, 300),
                     Move("alloc-p1.3", budget_.id, indirect.id, 240)};  // 1040 > 1000
  v1::AllocationMade made;
  made.set_program_id(kProgram);
  made.set_project_id("p1");
  batch.events.push_back(bus::NewEvent(made, "allocation", "p1", "system:funds", "", clock_.Now()));

  const auto before = Snapshot();
  auto refused = ledger_->CreateBatch(kProgram, batch);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(ShortfallsOf(refused.status()), ElementsAre(Shortfall{budget_.id, Yen(1000), Yen(40)}));
  EXPECT_EQ(Snapshot(), before);  // no transfer, no opened account, no event
  EXPECT_EQ(ledger_->GetAccount(kProgram, travel.id).status().code(), absl::StatusCode::kNotFound);

  batch.transfers[2].amount = Yen(200);
  auto booked = ledger_->CreateBatch(kProgram, batch);
  ASSERT_TRUE(booked.ok()) << booked.status();
  ASSERT_EQ(booked->transfers.size(), 3u);
  EXPECT_EQ(booked->transfers[2].debit_balance_after, Yen(0));
  EXPECT_EQ(booked->transfers[2].batch_id, "alloc-p1");
  EXPECT_EQ(Balance(travel.id), 300);
  EXPECT_EQ(Balance(indirect.id), 200);
  auto events = Outbox();
  ASSERT_EQ(events.size(), 5u);  // the load, three transfers, AllocationMade
  EXPECT_EQ(events[4].type(), "tane.funds.v1.AllocationMade");

  const auto after = Snapshot();
  auto repeat = ledger_->CreateBatch(kProgram, batch);
  ASSERT_TRUE(repeat.ok()) << repeat.status();
  EXPECT_TRUE(repeat->duplicate);
  EXPECT_EQ(repeat->transfers[1].credit_balance_after, Yen(300));
  EXPECT_EQ(Snapshot(), after);

  Batch changed = batch;
  changed.transfers[1].amount = Yen(299);
  EXPECT_EQ(ledger_->CreateBatch(kProgram, changed).status().code(), absl::StatusCode::kAlreadyExists);
  // A transfer booked alone is not part of a batch: reusing its id is a conflict.
  Batch reuse;
  reuse.batch_id = "other";
  reuse.transfers = {Move("load-1", "external.mext", budget_.id, 1000)};
  EXPECT_EQ(ledger_->CreateBatch(kProgram, reuse).status().code(), absl::StatusCode::kAlreadyExists);
  // Part booked, part new: refused whole.
  Batch partial = batch;
  partial.transfers.push_back(Move("alloc-p1.4", "external.mext", budget_.id, 5));
  EXPECT_EQ(ledger_->CreateBatch(kProgram, partial).status().code(), absl::StatusCode::kAlreadyExists);
  // Opening an existing account with another spec.
  Batch respec;
  respec.batch_id = "respec";
  AccountSpec wrong = travel;
  wrong.category = "equipment";
  respec.open_accounts = {wrong};
  respec.transfers = {Move("respec.1", "external.mext", budget_.id, 5)};
  EXPECT_EQ(ledger_->CreateBatch(kProgram, respec).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Snapshot(), after);
}

TEST_F(LedgerTest, BatchShortfallCountsEveryLegAndLegsApplyInOrder) {
  LoadBudget(100);
  Batch batch;
  batch.batch_id = "b";
  batch.transfers = {Move("b.1", budget_.id, alloc_.id, 60), Move("b.2", budget_.id, alloc_.id, 60),
                     Move("b.3", budget_.id, alloc_.id, 60)};
  auto r = ledger_->CreateBatch(kProgram, batch);
  EXPECT_THAT(ShortfallsOf(r.status()), ElementsAre(Shortfall{budget_.id, Yen(100), Yen(80)}));
  // A must-not-go-negative account may not dip below zero even if a later leg refills it.
  Batch dip;
  dip.batch_id = "dip";
  dip.transfers = {Move("dip.1", alloc_.id, budget_.id, 10), Move("dip.2", budget_.id, alloc_.id, 10)};
  EXPECT_EQ(ledger_->CreateBatch(kProgram, dip).status().code(), absl::StatusCode::kFailedPrecondition);
  std::swap(dip.transfers[0], dip.transfers[1]);
  EXPECT_TRUE(ledger_->CreateBatch(kProgram, dip).ok());
  Batch dup_ids;
  dup_ids.batch_id = "d";
  dup_ids.transfers = {Move("d.1", budget_.id, alloc_.id, 1), Move("d.1", budget_.id, alloc_.id, 1)};
  EXPECT_EQ(ledger_->CreateBatch(kProgram, dup_ids).status().code(), absl::StatusCode::kInvalidArgument);
  Batch no_id;
  no_id.transfers = {Move("n.1", budget_.id, alloc_.id, 1), Move("n.2", budget_.id, alloc_.id, 1)};
  EXPECT_EQ(ledger_->CreateBatch(kProgram, no_id).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(LedgerTest, AmountsAndBalancesStayWithin53Bits) {
  const int64_t max = kMaxLedgerYen;
  ASSERT_EQ(max, 9007199254740991);
  const AccountSpec other = ExternalSourceAccount("amed");
  ASSERT_TRUE(ledger_->OpenAccount(kProgram, other).ok());

  // The largest amount books exactly.
  auto big = ledger_->CreateTransfer(kProgram, Move("big", "external.mext", budget_.id, max));
  ASSERT_TRUE(big.ok()) << big.status();
  EXPECT_EQ(big->transfer.debit_balance_after, Yen(-max));
  EXPECT_EQ(big->transfer.credit_balance_after, Yen(max));
  EXPECT_EQ(Balance(budget_.id), max);
  EXPECT_EQ(Balance("external.mext"), -max);

  const auto before = Snapshot();
  // Credit side would exceed 2^53 - 1.
  auto over = ledger_->CreateTransfer(kProgram, Move("over", other.id, budget_.id, 1));
  EXPECT_EQ(over.status().code(), absl::StatusCode::kOutOfRange) << over.status();
  // Debit side (an account allowed to go negative) would go below -(2^53 - 1).
  auto under = ledger_->CreateTransfer(kProgram, Move("under", "external.mext", other.id, 1));
  EXPECT_EQ(under.status().code(), absl::StatusCode::kOutOfRange) << under.status();
  // Pending credits count against the bound too (so posting can never overflow).
  TransferRequest pending_over = Move("pend-over", other.id, budget_.id, 1);
  pending_over.pending = true;
  EXPECT_EQ(ledger_->CreateTransfer(kProgram, pending_over).status().code(), absl::StatusCode::kOutOfRange);
  // Amounts beyond 2^53 - 1 never reach Redis.
  EXPECT_EQ(ledger_->CreateTransfer(kProgram, Move("x", other.id, alloc_.id, max + 1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Snapshot(), before);

  // Values around 2^53 stay exact (a double would round 2^53 - 1 - 1 + ... ).
  ASSERT_TRUE(ledger_->CreateTransfer(kProgram, Move("back", budget_.id, alloc_.id, max - 1)).ok());
  EXPECT_EQ(Balance(budget_.id), 1);
  EXPECT_EQ(Balance(alloc_.id), max - 1);
  ASSERT_TRUE(ledger_->CreateTransfer(kProgram, Move("last", budget_.id, alloc_.id, 1)).ok());
  EXPECT_EQ(Balance(alloc_.id), max);
  auto raw = pool_->Command(
      {"HGET", ledger_->keyspace().Key(ledger_->ShardOf(kProgram), std::string("acct:") + kProgram + ":" + alloc_.id),
       "bal"});
  EXPECT_EQ(raw->str, "9007199254740991");
  EXPECT_EQ(ledger_->GetTransfer(kProgram, "last")->credit_balance_after, Yen(max));
}

TEST_F(LedgerTest, TheScriptItselfRefusesAmountsBeyond53Bits) {
  // Defence in depth: even a caller bypassing the C++ checks cannot make the
  // script compare a rounded amount.
  ASSERT_TRUE(ledger_->CreateTransfer(kProgram, Move("seed", "external.mext", budget_.id, 10)).ok());
  const int shard = ledger_->ShardOf(kProgram);
  const auto& ks = ledger_->keyspace();
  const std::string p = kProgram;
  for (const std::string amount : {"9007199254740992", "9223372036854775807", "1e3", "-5", "0", "01"}) {
    store::Script script("batch", lua::kBatch);
    auto reply = script.Run(*pool_,
                            {ks.OutboxKey(shard), ks.Key(shard, "xlog:" + p), ks.Key(shard, "accts:" + p),
                             ks.Key(shard, "xfer:" + p + ":raw"), ks.Key(shard, "acct:" + p + ":external.mext"),
                             ks.Key(shard, "acct:" + p + ":" + budget_.id)},
                            {"0", "1", "2", "0", "", "0", "external.mext", "", "0", "", budget_.id, "", "0", "",
                             "raw", "1", "2", amount, "0", "c", "manual", "", "e", "a", "t", "env"});
    ASSERT_TRUE(reply.ok()) << reply.status();
    ASSERT_EQ(reply->type, store::Reply::Type::kArray) << reply->str;
    EXPECT_EQ(reply->elements[0].str, "invalid") << amount;
  }
  EXPECT_EQ(ledger_->GetTransfer(kProgram, "raw").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(LedgerTest, ExpectedRevisionsBookOnlyOnTheStateTheCallerRead) {
  LoadBudget(1000);
  auto budget = ledger_->GetAccount(kProgram, budget_.id);
  ASSERT_TRUE(budget.ok()) << budget.status();
  EXPECT_EQ(budget->revision, 1);  // the load
  const AccountSpec travel = ProjectAllocationAccount("p1", FiscalYear(2024), "travel");
  auto decided = [&](const std::string& id, int64_t budget_revision) {
    Batch b;
    b.batch_id = id;
    b.open_accounts = {travel};
    b.transfers = {Move(id + ".1", budget_.id, travel.id, 300)};
    b.expected_revisions = {{budget_.id, budget_revision}, {travel.id, 0}};  // travel: not opened yet
    return b;
  };
  // Two requests decided on revision 1: the first is booked, the second
  // finds the budget moved on and books nothing.
  const Batch first = decided("a", 1), second = decided("b", 1);
  auto booked = ledger_->CreateBatch(kProgram, first);
  ASSERT_TRUE(booked.ok()) << booked.status();
  const auto before = Snapshot();
  auto stale = ledger_->CreateBatch(kProgram, second);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted) << stale.status();
  EXPECT_THAT(stale.status().message(), HasSubstr("changed (revision 0 read, now 1)"));
  EXPECT_EQ(Snapshot(), before);
  // A repeat of the booked batch is still answered from it.
  auto repeat = ledger_->CreateBatch(kProgram, first);
  ASSERT_TRUE(repeat.ok()) << repeat.status();
  EXPECT_TRUE(repeat->duplicate);
  // Decided again on what is there now, it is booked.
  EXPECT_EQ(ledger_->GetAccount(kProgram, budget_.id)->revision, 2);
  EXPECT_EQ(ledger_->GetAccount(kProgram, travel.id)->revision, 1);
  Batch again = decided("b", 2);
  again.expected_revisions[travel.id] = 1;
  ASSERT_TRUE(ledger_->CreateBatch(kProgram, again).ok());
  EXPECT_EQ(Balance(budget_.id), 400);
  // A pending transfer and its void each change the revision; an account
  // only opened does not.
  Batch reserve;
  reserve.batch_id = "r";
  reserve.transfers = {Move("r.1", budget_.id, alloc_.id, 100)};
  reserve.transfers[0].pending = true;
  ASSERT_TRUE(ledger_->CreateBatch(kProgram, reserve).ok());
  ASSERT_TRUE(ledger_->VoidPending(kProgram, "r.1").ok());
  EXPECT_EQ(ledger_->GetAccount(kProgram, budget_.id)->revision, 5);
  const AccountSpec other = ProjectAllocationAccount("p1", FiscalYear(2024), "other");
  ASSERT_TRUE(ledger_->OpenAccount(kProgram, other).ok());
  EXPECT_EQ(ledger_->GetAccount(kProgram, other.id)->revision, 0);
  // The revisions must be of accounts the batch uses.
  Batch foreign = decided("c", 5);
  foreign.expected_revisions[other.id] = 0;
  EXPECT_EQ(ledger_->CreateBatch(kProgram, foreign).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(LedgerTest, EveryKeyOfAProgramIsInOneSlot) {
  LoadBudget(100);
  TransferRequest pend = Move("p", budget_.id, alloc_.id, 1);
  pend.pending = true;
  ASSERT_TRUE(ledger_->CreateTransfer(kProgram, pend).ok());
  ASSERT_TRUE(ledger_->PostPending(kProgram, "p").ok());
  const std::string tag = ledger_->keyspace().Tag(ledger_->ShardOf(kProgram));
  auto keys = pool_->Command({"KEYS", "*"});
  ASSERT_GE(keys->elements.size(), 6u);
  for (const auto& k : keys->elements) EXPECT_EQ(k.str.rfind(tag + ":", 0), 0u) << k.str;
}

TEST_F(LedgerTest, TransferIdsAreScopedToTheirProgram) {
  const std::string other = "presto-2024";
  ASSERT_TRUE(ledger_->OpenAccount(other, ExternalSourceAccount("mext")).ok());
  ASSERT_TRUE(ledger_->OpenAccount(other, budget_).ok());
  LoadBudget(100, "load");
  auto r = ledger_->CreateTransfer(other, Move("load", "external.mext", budget_.id, 7));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->duplicate);
  EXPECT_EQ(ledger_->GetAccount(other, budget_.id)->balance, Yen(7));
  EXPECT_EQ(Balance(budget_.id), 100);
}

TEST_F(LedgerTest, ListsAndExportsInCommitOrder) {
  LoadBudget(1000);
  TransferRequest t = Move("a-1", budget_.id, alloc_.id, 250);
  t.code = "allocation";
  t.memo = "設備備品費, \"phase 1\"";
  ASSERT_TRUE(ledger_->CreateTransfer(kProgram, t).ok());
  auto list = ledger_->ListTransfers(kProgram);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, "load-1");
  EXPECT_EQ((*list)[1].id, "a-1");
  EXPECT_EQ(ledger_->ListTransfers(kProgram, 1, 1)->front().id, "a-1");
  auto csv = ledger_->ExportCsv(kProgram);
  ASSERT_TRUE(csv.ok());
  EXPECT_EQ(*csv,
            "seq,transfer_id,created_at,debit_account_id,credit_account_id,amount_yen,currency,code,state,"
            "resolved_at,batch_id,memo\r\n"
            "1,load-1,2024-06-01T01:00:00Z,external.mext,budget.2024.initial,1000,JPY,budget_load,posted,,,\r\n"
            "2,a-1,2024-06-01T01:00:00Z,budget.2024.initial,alloc.p1.2024.equipment,250,JPY,allocation,posted,,,"
            "\"設備備品費, \"\"phase 1\"\"\"\r\n");
}

// The funding rules drive the ledger: a plan is booked as one batch or
// rejected with its shortfall; year-end and termination moves are batches too.
TEST_F(LedgerTest, RulesBookThroughTheLedgerWholeOrNotAtAll) {
  const FiscalYear fy24(2024), fy25(2025);
  const AccountSpec supp24 = ProgramBudgetAccount(fy24, BudgetLine::kSupplementary);
  const AccountSpec init25 = ProgramBudgetAccount(fy25, BudgetLine::kInitial);
  ASSERT_TRUE(ledger_->OpenAccount(kProgram, supp24).ok());
  ASSERT_TRUE(ledger_->OpenAccount(kProgram, init25).ok());
  LoadBudget(10'000'000, "load-24-initial");
  ASSERT_TRUE(ledger_->CreateTransfer(kProgram, Move("load-24-supp", "external.mext", supp24.id, 5'000'000)).ok());
  ASSERT_TRUE(ledger_->CreateTransfer(kProgram, Move("load-25", "external.mext", init25.id, 12'000'000)).ok());

  auto availability = [&] {
    std::vector<BudgetAvailability> out;
    for (const auto& a : Accounts()) {
      if (a.spec.kind == AccountKind::kProgramBudget) {
        out.push_back({FiscalYear(a.spec.fiscal_year), *a.spec.budget_line, a.available()});
      }
    }
    return out;
  };

  // p1: FY2024 13M (10M direct + 3M indirect), FY2025 11.7M.
  auto plan = ComputeAllocation(
      {{fy24, "equipment", Yen(8'000'000)}, {fy24, "travel", Yen(2'000'000)}, {fy25, "equipment", Yen(9'000'000)}},
      ProgramRules{}.indirect_rate);
  ASSERT_TRUE(plan.ok()) << plan.status();
  auto draws = PlanBudgetDraws(*plan, availability());
  ASSERT_TRUE(draws.ok() && draws->covered());
  Batch allocate = AllocationBatch("allocation-p1", "p1", *draws);
  v1::AllocationMade made;
  made.set_program_id(kProgram);
  made.set_project_id("p1");
  made.set_total_yen(plan->total.value());
  allocate.events.push_back(bus::NewEvent(made, "allocation", "p1", "system:funds", "", clock_.Now()));
  auto booked = ledger_->CreateBatch(kProgram, allocate);
  ASSERT_TRUE(booked.ok()) << booked.status();
  EXPECT_EQ(Balance(budget_.id), 0);
  EXPECT_EQ(Balance(supp24.id), 2'000'000);
  EXPECT_EQ(Balance(init25.id), 300'000);
  EXPECT_EQ(Balance(alloc_.id), 8'000'000);
  EXPECT_EQ(Balance("alloc.p1.2024.indirect"), 3'000'000);
  EXPECT_EQ(Balance("alloc.p1.2025.indirect"), 2'700'000);
  EXPECT_TRUE(ledger_->CreateBatch(kProgram, allocate)->duplicate);

  // p2 does not fit FY2025: rejected with its shortfall, nothing booked; the
  // rejection event goes to the same shard's outbox through the aggregate store.
  auto plan2 = ComputeAllocation({{fy25, "equipment", Yen(1'000'000)}}, ProgramRules{}.indirect_rate);
  auto draws2 = PlanBudgetDraws(*plan2, availability());
  ASSERT_TRUE(draws2.ok());
  ASSERT_FALSE(draws2->covered());
  EXPECT_EQ(draws2->total_shortfall, Yen(1'000'000));
  v1::AllocationRejected rejected;
  rejected.set_program_id(kProgram);
  rejected.set_project_id("p2");
  rejected.set_shortfall_yen(draws2->total_shortfall.value());
  store::AggregateStore aggregates(*pool_, ledger_->keyspace());
  store::Commit commit;
  commit.shard_key = kProgram;
  commit.dedupe_key = "allocation:p2";
  commit.events.push_back(bus::NewEvent(rejected, "allocation", "p2", "system:funds", "", clock_.Now()));
  ASSERT_TRUE(aggregates.Commit(commit).ok());
  EXPECT_EQ(Outbox().back().type(), "tane.funds.v1.AllocationRejected");

  // p3's draws were planned, then the budget moved under it: the ledger is
  // the authority and refuses the whole batch with the real shortfall.
  auto plan3 = ComputeAllocation({{fy24, "other", Yen(1'500'000)}}, ProgramRules{}.indirect_rate);
  auto draws3 = PlanBudgetDraws(*plan3, availability());
  ASSERT_TRUE(draws3.ok() && draws3->covered());
  ASSERT_TRUE(ledger_->CreateTransfer(kProgram, Move("someone-else", supp24.id, alloc_.id, 1'000'000)).ok());
  const auto before = Snapshot();
  auto raced = ledger_->CreateBatch(kProgram, AllocationBatch("allocation-p3", "p3", *draws3));
  EXPECT_EQ(raced.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(ShortfallsOf(raced.status()), ElementsAre(Shortfall{supp24.id, Yen(1'000'000), Yen(950'000)}));
  EXPECT_EQ(Snapshot(), before);

  // 補助金 year end with a 1M 繰越 approval for p1: 1M of p1's FY2024 money
  // moves to FY2025, everything else of FY2024 is returned.
  std::vector<AccountBalance> fy24_balances;
  int64_t unspent = 0;
  for (const auto& a : Accounts()) {
    if (a.spec.fiscal_year == 2024) {
      fy24_balances.push_back({a.spec, a.balance});
      unspent += a.balance.value();
    }
  }
  auto close = CloseFiscalYear(ProgramRules{}, fy24, fy24_balances, {{"p1", "kurikoshi-1", Yen(1'000'000)}});
  ASSERT_TRUE(close.ok()) << close.status();
  EXPECT_EQ(close->carried_over, Yen(1'000'000));
  EXPECT_EQ(close->returned.value(), unspent - 1'000'000);
  auto closed = ledger_->CreateBatch(kProgram, MovesBatch("close-fy2024", close->moves));
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(Balance("returned.2024"), unspent - 1'000'000);
  for (const auto& b : fy24_balances) EXPECT_EQ(Balance(b.account.id), 0) << b.account.id;
  EXPECT_EQ(Balance("alloc.p1.2025.equipment"), 9'000'000 + 1'000'000);

  // p1 terminates after FY2024: its FY2025 allocation goes back to the budget.
  std::vector<AccountBalance> all;
  for (const auto& a : Accounts()) all.push_back({a.spec, a.balance});
  auto release = ReleaseOnTermination("p1", fy24, all);
  ASSERT_TRUE(release.ok());
  ASSERT_TRUE(ledger_->CreateBatch(kProgram, MovesBatch("terminate-p1", *release)).ok());
  EXPECT_EQ(Balance("alloc.p1.2025.equipment"), 0);
  EXPECT_EQ(Balance("alloc.p1.2025.indirect"), 0);
  EXPECT_EQ(Balance(init25.id), 300'000 + 10'000'000 + 2'700'000);
}

TEST_F(LedgerTest, RedisDownIsUnavailableAndARetryWithTheSameIdBooksOnce) {
  LoadBudget(1000);
  server_->Kill();
  auto down = ledger_->CreateTransfer(kProgram, Move("a-1", budget_.id, alloc_.id, 10));
  EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable) << down.status();
  ASSERT_TRUE(server_->Restart().ok());
  absl::StatusOr<TransferResult> r;
  ASSERT_TRUE(tane::testing::WaitFor([&] {
    r = ledger_->CreateTransfer(kProgram, Move("a-1", budget_.id, alloc_.id, 10));
    return r.status().code() != absl::StatusCode::kUnavailable;
  }));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Balance(budget_.id), 990);  // the acknowledged load survived the crash (AOF)
  EXPECT_EQ(Balance(alloc_.id), 10);
}

}  // namespace
}  // namespace tane::funds
