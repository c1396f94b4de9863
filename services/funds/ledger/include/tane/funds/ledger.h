#pragma once
/// The funds double-entry ledger in Redis. Every change is one Lua script that
/// checks all its preconditions before its first write and appends its events
/// to the shard's outbox (the format of store::AggregateStore) in the same
/// script, so a refused request changes nothing and an accepted one is
/// published exactly once by the outbox relay.
///
/// Key layout. A program is the ledger's unit of consistency ("book"): its
/// budgets, its projects' allocations, payables and expenses, its transfer
/// records and log all carry the hash tag of the program's shard, so every
/// script touches exactly one Redis Cluster slot:
///
///   {funds:S}:acct:<program>:<account>  hash  spec, bal, pdr, pcr, rev, turnover
///   {funds:S}:accts:<program>           set   account ids of the program
///   {funds:S}:xfer:<program>:<transfer> hash  the transfer record
///   {funds:S}:xlog:<program>            list  transfer ids in commit order
///   {funds:S}:outbox                    stream events for Kafka
///
/// with S = FNV-1a-64(program id) mod shards. Limits that follow: a transfer
/// moves money between two accounts of one program (cross-program moves are
/// two transfers through each program's "clearing" account, not atomic
/// together); transfer ids are unique within a program; one program's
/// transfers are serialised on one Redis node.
///
/// Amounts. Balances are Redis integers changed only by HINCRBY, so Redis
/// does the arithmetic exactly. The scripts compare amounts as Lua numbers
/// (IEEE doubles, exact to 2^53), so every amount must be 1..kMaxLedgerYen and
/// every balance, pending total and balance-plus-pending-credits must stay
/// within ±kMaxLedgerYen; a transfer that would leave that range is refused
/// with OUT_OF_RANGE before anything is written. (Comparisons stay exact:
/// sums of two values within the bound are exact or round to >= 2^53.)
///
/// Pending (two-phase) transfers reserve the amount on the debit account
/// (pending debits reduce what is available) and announce it on the credit
/// account; post moves it, void releases it. Both are idempotent, and a batch
/// may resolve pending transfers together with booking new ones.
///
/// Revisions. Every batch that changes an account's money (posts, reserves
/// or resolves on it) adds one to its revision. A batch may name the
/// revisions its caller read (Batch::expected_revisions) and is then booked
/// only if none changed: read, decide, book, and on ABORTED read again —
/// optimistic concurrency for limits the ledger itself does not know.
///
/// Turnover. Every posted amount is also added to the debit account's
/// turnover under the transfer's code and to the credit account's, so the
/// money flows of an account by purpose ("allocation", "disbursement", ...)
/// are read from the account alone (Account::turnover).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tane/common/v1/envelope.pb.h"
#include "tane/core/money.h"
#include "tane/core/time.h"
#include "tane/funds/accounts.h"
#include "tane/funds/rules.h"
#include "tane/funds/v1/funds.pb.h"
#include "tane/store/keyspace.h"
#include "tane/store/redis.h"
#include "tane/store/script.h"

namespace tane::funds {

/// 2^53 - 1 yen: the largest amount or balance the ledger holds.
inline constexpr int64_t kMaxLedgerYen = (int64_t{1} << 53) - 1;
/// The most transfers one batch may hold.
inline constexpr size_t kMaxBatchTransfers = 1000;

/// Posted money through an account under one transfer code.
struct Turnover {
  core::Yen debited;
  core::Yen credited;
  friend bool operator==(const Turnover&, const Turnover&) = default;
};

struct Account {
  std::string program_id;
  AccountSpec spec;
  core::Yen balance;          // posted
  core::Yen pending_debits;   // reserved by pending transfers
  core::Yen pending_credits;  // announced by pending transfers
  /// By transfer code; codes that never touched the account are absent.
  std::map<std::string, Turnover> turnover;
  /// Changes with every batch that changes the account's money; 0 for one
  /// no batch has changed yet (Batch::expected_revisions).
  int64_t revision = 0;
  core::Yen available() const { return core::Yen(balance.value() - pending_debits.value()); }
  /// The turnover under `code`, zero when absent.
  Turnover TurnoverOf(const std::string& code) const;
};

struct TransferRequest {
  std::string id;  // caller-given, unique within the program: the idempotency key
  std::string debit_account_id;
  std::string credit_account_id;
  core::Yen amount;
  bool pending = false;         // two-phase: reserve now, PostPending/VoidPending later
  std::string code = "manual";  // [a-z_]{1,40}: what the money is for
  std::string memo;             // free UTF-8 text, no control characters, <= 1024 bytes
};

enum class TransferState { kPosted, kPending, kVoided };

struct Transfer {
  std::string program_id;
  std::string id;
  std::string debit_account_id;
  std::string credit_account_id;
  core::Yen amount;
  bool pending = false;
  std::string code;
  std::string memo;
  std::string batch_id;
  TransferState state = TransferState::kPosted;
  absl::Time created_at = absl::InfinitePast();
  absl::Time resolved_at = absl::InfinitePast();  // post/void of a pending transfer
  // Posted balances right after the transfer was created ...
  core::Yen debit_balance_after;
  core::Yen credit_balance_after;
  // ... and after it was posted or voided.
  core::Yen resolved_debit_balance_after;
  core::Yen resolved_credit_balance_after;
};

struct TransferResult {
  Transfer transfer;
  bool duplicate = false;  // the id was already booked with this content: nothing changed
};

/// A pending transfer a batch posts or voids.
struct Resolution {
  std::string transfer_id;
  bool post = true;  // false: void
};

/// All-or-nothing: every resolution and every transfer is booked, or none.
struct Batch {
  /// Required; recorded on each transfer and part of its content, so the
  /// same transfer id in another batch is a conflict.
  std::string batch_id;
  /// Opened when absent, checked when present (a different spec is
  /// ALREADY_EXISTS), before any transfer; a transfer may only use accounts
  /// that exist or are listed here.
  std::vector<AccountSpec> open_accounts;
  /// Pending transfers to post or void, applied first and in order. One
  /// already resolved the same way is skipped (a no-op); one resolved the
  /// other way, or not pending, refuses the batch.
  std::vector<Resolution> resolve;
  /// Applied in order after the resolutions: a must-not-go-negative account
  /// may not dip below zero at any step.
  std::vector<TransferRequest> transfers;
  /// Domain events (AllocationMade, DisbursementMade, ...) appended to the
  /// outbox with the transfers' own events, only when the batch is applied.
  std::vector<tane::common::v1::EventEnvelope> events;
  /// Optimistic concurrency: account id -> the revision the caller read (0
  /// for an account that does not exist yet). Each must be an account the
  /// batch opens, resolves on or transfers on. Checked after the idempotency
  /// check (a repeat of a booked batch is still answered from it): when any
  /// revision moved on, nothing is booked and the batch is ABORTED.
  std::map<std::string, int64_t> expected_revisions;
};

struct BatchResult {
  std::vector<Transfer> transfers;  // the batch's new transfers, in order
  std::vector<Transfer> resolved;   // the resolved pending transfers, in order
  /// Nothing changed: every transfer was booked with this content before and
  /// every resolution was done before.
  bool duplicate = false;
};

/// Who and what caused a change, for the events' envelopes.
struct Origin {
  std::string actor = "system:funds";
  std::string trace_id;
};

/// A must-not-go-negative account a refused request would have overdrawn.
struct Shortfall {
  std::string account_id;
  core::Yen available;  // before the request
  core::Yen shortfall;  // how much more it would need
  friend bool operator==(const Shortfall&, const Shortfall&) = default;
};

/// The shortfalls a FAILED_PRECONDITION "insufficient funds" status carries
/// (also as google.rpc.PreconditionFailure for API clients); empty otherwise.
std::vector<Shortfall> ShortfallsOf(const absl::Status& status);

/// The batch that books a covered DrawPlan (see PlanBudgetDraws) for a
/// project: one transfer "<batch_id>.<n>" per draw, budget line of the year →
/// the project's allocation account of that year and category (opened by the
/// batch), code "allocation"; two-phase reservations when `pending`.
/// Deterministic, so repeating a request with the same batch id is a no-op.
Batch AllocationBatch(const std::string& batch_id, const std::string& project_id, const DrawPlan& draws,
                      bool pending = false);

/// The batch that books the moves of a rule (CloseFiscalYear,
/// ReleaseOnTermination, ...): transfer "<batch_id>.<n>" per move, both
/// accounts opened if absent, the move's code.
Batch MovesBatch(const std::string& batch_id, const std::vector<LedgerMove>& moves);

/// The transfer as its API message.
tane::funds::v1::Transfer ToProto(const Transfer& transfer);
tane::funds::v1::Account ToProto(const Account& account);

/// Error codes of the mutating calls:
///   INVALID_ARGUMENT    malformed request (field violations attached)
///   NOT_FOUND           an account or a transfer to post/void is unknown
///   ALREADY_EXISTS      the transfer id (or an account id) exists with other content
///   FAILED_PRECONDITION insufficient funds (ShortfallsOf), or post/void of a
///                       transfer that is not pending / was resolved the other way
///   OUT_OF_RANGE        a balance would leave ±kMaxLedgerYen
///   ABORTED             an account of Batch::expected_revisions changed since
///                       it was read: read again, decide again, retry
///   UNAVAILABLE         Redis unreachable or the outcome unknown: retry with
///                       the same ids (a repeat is a no-op if it was applied)
class Ledger final {
 public:
  Ledger(store::RedisPool& pool, store::Keyspace keyspace, const core::Clock& clock = core::SystemClock::Get());

  const store::Keyspace& keyspace() const { return keyspace_; }
  int ShardOf(const std::string& program_id) const { return keyspace_.ShardOf(program_id); }

  /// Opens an account with a zero balance; true when created, false when it
  /// already existed with the same spec.
  absl::StatusOr<bool> OpenAccount(const std::string& program_id, const AccountSpec& spec);

  absl::StatusOr<TransferResult> CreateTransfer(const std::string& program_id, const TransferRequest& request,
                                                const Origin& origin = {});
  absl::StatusOr<BatchResult> CreateBatch(const std::string& program_id, const Batch& batch, const Origin& origin = {});
  absl::StatusOr<TransferResult> PostPending(const std::string& program_id, const std::string& transfer_id,
                                             const Origin& origin = {});
  absl::StatusOr<TransferResult> VoidPending(const std::string& program_id, const std::string& transfer_id,
                                             const Origin& origin = {});

  absl::StatusOr<Transfer> GetTransfer(const std::string& program_id, const std::string& transfer_id);
  absl::StatusOr<Account> GetAccount(const std::string& program_id, const std::string& account_id);
  /// The program's accounts, by id; with `project_id`, only that project's
  /// (allocation, payable, expense), found by a server-side SSCAN of the
  /// program's account index rather than reading every account.
  absl::StatusOr<std::vector<Account>> ListAccounts(const std::string& program_id, const std::string& project_id = "");
  /// The transfers "<prefix>.1", "<prefix>.2", ... up to the first missing one
  /// (the transfers AllocationBatch and MovesBatch book under a batch id);
  /// empty when "<prefix>.1" does not exist.
  absl::StatusOr<std::vector<Transfer>> GetNumberedTransfers(const std::string& program_id, const std::string& prefix);
  /// Transfers in commit order, from position `start`, at most `limit` (< 0: all).
  absl::StatusOr<std::vector<Transfer>> ListTransfers(const std::string& program_id, int64_t start = 0,
                                                      int64_t limit = -1);
  /// The program's transfers in commit order as RFC 4180 CSV; with
  /// `fiscal_year` > 0 only those debiting or crediting an account of that
  /// fiscal year.
  absl::StatusOr<std::string> ExportCsv(const std::string& program_id, int fiscal_year = 0);

 private:
  std::string AccountKey(int shard, const std::string& program_id, const std::string& account_id) const;
  std::string TransferKey(int shard, const std::string& program_id, const std::string& transfer_id) const;
  absl::StatusOr<TransferResult> Resolve(const std::string& program_id, const std::string& transfer_id, bool post,
                                         const Origin& origin);

  store::RedisPool& pool_;
  store::Keyspace keyspace_;
  const core::Clock& clock_;
  store::Script open_script_;
  store::Script batch_script_;
};

}  // namespace tane::funds
