#include "tane/funds/ledger.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/rpc/error_details.pb.h"
#include "ledger_lua.h"
#include "tane/bus/envelope.h"
#include "tane/core/errors.h"
#include "tane/funds/v1/events.pb.h"

namespace tane::funds {
namespace {

using core::Yen;
using store::Reply;

constexpr char kSep = '\x1f';
constexpr char kPreconditionFailureTypeUrl[] = "type.googleapis.com/google.rpc.PreconditionFailure";
// Machine-readable shortfalls: "account\tavailable\tshortfall\n" per account.
constexpr char kShortfallsTypeUrl[] = "type.tane/funds.Shortfalls";
constexpr size_t kMaxMemo = 1024;

std::string SpecString(const AccountSpec& s) {
  return absl::StrCat(s.must_not_go_negative ? "1" : "0", std::string(1, kSep), AccountKindName(s.kind),
                      std::string(1, kSep), s.fiscal_year, std::string(1, kSep), s.project_id, std::string(1, kSep),
                      s.category, std::string(1, kSep), s.budget_line ? BudgetLineName(*s.budget_line) : "",
                      std::string(1, kSep), s.institution_id);
}

absl::StatusOr<AccountSpec> ParseSpec(const std::string& id, const std::string& text) {
  std::vector<std::string> f = absl::StrSplit(text, kSep);
  AccountSpec s;
  s.id = id;
  auto kind = f.size() == 7 ? ParseAccountKind(f[1]) : std::nullopt;
  if (!kind || !absl::SimpleAtoi(f[2], &s.fiscal_year)) {
    return absl::InternalError(absl::StrCat("account ", id, " has a malformed spec"));
  }
  s.must_not_go_negative = f[0] == "1";
  s.kind = *kind;
  s.project_id = f[3];
  s.category = f[4];
  if (!f[5].empty()) s.budget_line = ParseBudgetLine(f[5]);
  s.institution_id = f[6];
  return s;
}

std::string Content(const TransferRequest& t, const std::string& batch_id) {
  return absl::StrJoin({t.debit_account_id, t.credit_account_id, absl::StrCat(t.amount.value()),
                        std::string(t.pending ? "1" : "0"), t.code, batch_id, t.memo},
                       std::string(1, kSep));
}

// Names the fields in which a stored transfer differs from a request.
std::string DescribeConflict(const std::string& stored, const std::string& requested) {
  static constexpr const char* kFields[] = {
      "debit_account_id", "credit_account_id", "amount_yen", "pending", "code", "batch_id", "memo"};
  std::vector<std::string> a = absl::StrSplit(stored, absl::MaxSplits(kSep, 6));
  std::vector<std::string> b = absl::StrSplit(requested, absl::MaxSplits(kSep, 6));
  std::vector<std::string> diffs;
  for (size_t i = 0; i < 7 && i < a.size() && i < b.size(); ++i) {
    if (a[i] != b[i]) diffs.push_back(absl::StrCat(kFields[i], " '", a[i], "' (booked) vs '", b[i], "' (request)"));
  }
  return absl::StrJoin(diffs, ", ");
}

bool ValidCode(const std::string& code) {
  if (code.empty() || code.size() > 40) return false;
  for (char c : code) {
    if (!((c >= 'a' && c <= 'z') || c == '_')) return false;
  }
  return true;
}

bool ValidMemo(const std::string& memo) {
  if (memo.size() > kMaxMemo) return false;
  for (unsigned char c : memo) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

void ValidateTransfer(const TransferRequest& t, const std::string& at, core::Violations* v) {
  if (!IsValidTransferId(t.id)) v->Add(at + "transfer_id", "must be 1-128 characters of [A-Za-z0-9_.:-]");
  if (!IsValidAccountId(t.debit_account_id)) v->Add(at + "debit_account_id", "not a valid account id");
  if (!IsValidAccountId(t.credit_account_id)) v->Add(at + "credit_account_id", "not a valid account id");
  if (t.debit_account_id == t.credit_account_id) {
    v->Add(at + "credit_account_id", "must differ from debit_account_id");
  }
  if (t.amount.value() <= 0) {
    v->Add(at + "amount_yen", absl::StrCat("must be positive, got ", t.amount.value()));
  } else if (t.amount.value() > kMaxLedgerYen) {
    v->Add(at + "amount_yen",
           absl::StrCat("must be at most ", kMaxLedgerYen, " yen (2^53 - 1), got ", t.amount.value()));
  }
  if (!ValidCode(t.code)) v->Add(at + "code", "must be 1-40 characters of [a-z_]");
  if (!ValidMemo(t.memo)) v->Add(at + "memo", "at most 1024 bytes, no control characters");
}

// A Redis error reply: transient ones (restarting, loading the AOF, busy)
// mean "try again"; anything else is a bug.
absl::Status FromErrorReply(const std::string& what, const Reply& reply) {
  for (const char* transient : {"LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "READONLY", "CLUSTERDOWN"}) {
    if (absl::StartsWith(reply.str, transient)) {
      return absl::UnavailableError(absl::StrCat(what, ": redis: ", reply.str));
    }
  }
  if (absl::StartsWith(reply.str, "OOM")) return absl::ResourceExhaustedError(absl::StrCat(what, ": ", reply.str));
  return absl::InternalError(absl::StrCat(what, ": redis: ", reply.str));
}

std::map<std::string, std::string> HashOf(const Reply& reply) {
  std::map<std::string, std::string> out;
  for (size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
    out[reply.elements[i].str] = reply.elements[i + 1].str;
  }
  return out;
}

int64_t Int(const std::map<std::string, std::string>& h, const std::string& field) {
  int64_t v = 0;
  auto it = h.find(field);
  if (it != h.end() && !absl::SimpleAtoi(it->second, &v)) v = 0;
  return v;
}

absl::StatusOr<Transfer> TransferFromHash(const std::string& program_id, const std::string& id,
                                          const std::map<std::string, std::string>& h) {
  if (h.find("c") == h.end())
    return absl::NotFoundError(absl::StrCat("transfer ", id, " of program ", program_id, " not found"));
  Transfer t;
  t.program_id = program_id;
  t.id = id;
  auto get = [&](const char* f) {
    auto it = h.find(f);
    return it == h.end() ? std::string() : it->second;
  };
  t.debit_account_id = get("dr");
  t.credit_account_id = get("cr");
  t.amount = Yen(Int(h, "amt"));
  t.pending = get("pend") == "1";
  t.code = get("code");
  t.memo = get("memo");
  t.batch_id = get("batch");
  const std::string st = get("st");
  t.state = st == "pending"  ? TransferState::kPending
            : st == "voided" ? TransferState::kVoided
                             : TransferState::kPosted;
  t.created_at = absl::FromUnixMillis(Int(h, "at"));
  if (h.count("rat")) t.resolved_at = absl::FromUnixMillis(Int(h, "rat"));
  t.debit_balance_after = Yen(Int(h, "dbal"));
  t.credit_balance_after = Yen(Int(h, "cbal"));
  t.resolved_debit_balance_after = Yen(Int(h, "rdbal"));
  t.resolved_credit_balance_after = Yen(Int(h, "rcbal"));
  return t;
}

// An account from HGETALL: spec, bal, pdr, pcr, rev and the turnover fields
// "dr:<code>" / "cr:<code>".
absl::StatusOr<Account> AccountFromReply(const std::string& program_id, const std::string& account_id,
                                         const Reply& reply) {
  if (reply.is_error()) return FromErrorReply("get account", reply);
  const auto h = HashOf(reply);
  auto spec_it = h.find("spec");
  if (spec_it == h.end()) {
    return absl::NotFoundError(absl::StrCat("account ", account_id, " of program ", program_id, " not found"));
  }
  auto spec = ParseSpec(account_id, spec_it->second);
  if (!spec.ok()) return spec.status();
  Account a;
  a.program_id = program_id;
  a.spec = std::move(*spec);
  for (const auto& [field, value] : h) {
    if (field == "spec") continue;
    int64_t n = 0;
    if (!absl::SimpleAtoi(value, &n)) return absl::InternalError(absl::StrCat("account ", account_id, " has a malformed ", field));
    if (field == "bal") {
      a.balance = Yen(n);
    } else if (field == "pdr") {
      a.pending_debits = Yen(n);
    } else if (field == "pcr") {
      a.pending_credits = Yen(n);
    } else if (field == "rev") {
      a.revision = n;
    } else if (absl::StartsWith(field, "dr:")) {
      a.turnover[field.substr(3)].debited = Yen(n);
    } else if (absl::StartsWith(field, "cr:")) {
      a.turnover[field.substr(3)].credited = Yen(n);
    }
  }
  return a;
}

absl::Status InsufficientFunds(const std::vector<Shortfall>& shortfalls) {
  google::rpc::PreconditionFailure details;
  std::string machine;
  std::vector<std::string> parts;
  for (const auto& s : shortfalls) {
    auto* v = details.add_violations();
    v->set_type("INSUFFICIENT_FUNDS");
    v->set_subject(s.account_id);
    v->set_description(absl::StrCat("account ", s.account_id, " has ", s.available.value(),
                                    " yen available and is short by ", s.shortfall.value(), " yen"));
    parts.push_back(v->description());
    absl::StrAppend(&machine, s.account_id, "\t", s.available.value(), "\t", s.shortfall.value(), "\n");
  }
  absl::Status status = absl::FailedPreconditionError(absl::StrCat("insufficient funds: ", absl::StrJoin(parts, "; ")));
  status.SetPayload(kPreconditionFailureTypeUrl, absl::Cord(details.SerializeAsString()));
  status.SetPayload(kShortfallsTypeUrl, absl::Cord(machine));
  return status;
}

void SetTimestamp(absl::Time t, google::protobuf::Timestamp* out) {
  if (t == absl::InfinitePast()) return;
  const int64_t nanos = absl::ToUnixNanos(t);
  out->set_seconds(nanos / 1'000'000'000);
  out->set_nanos(static_cast<int32_t>(nanos % 1'000'000'000));
}

std::string AggregateId(const std::string& program_id, const std::string& transfer_id) {
  return absl::StrCat(program_id, "/", transfer_id);
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

const char* StateName(TransferState s) {
  switch (s) {
    case TransferState::kPosted:
      return "posted";
    case TransferState::kPending:
      return "pending";
    case TransferState::kVoided:
      return "voided";
  }
  return "unknown";
}

}  // namespace

Turnover Account::TurnoverOf(const std::string& code) const {
  auto it = turnover.find(code);
  return it == turnover.end() ? Turnover{} : it->second;
}

std::vector<Shortfall> ShortfallsOf(const absl::Status& status) {
  std::vector<Shortfall> out;
  auto payload = status.GetPayload(kShortfallsTypeUrl);
  if (!payload) return out;
  for (absl::string_view line : absl::StrSplit(std::string(*payload), '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    int64_t available = 0, shortfall = 0;
    if (f.size() == 3 && absl::SimpleAtoi(f[1], &available) && absl::SimpleAtoi(f[2], &shortfall)) {
      out.push_back({f[0], Yen(available), Yen(shortfall)});
    }
  }
  return out;
}

Batch AllocationBatch(const std::string& batch_id, const std::string& project_id, const DrawPlan& draws,
                      bool pending) {
  Batch batch;
  batch.batch_id = batch_id;
  std::set<std::string> opened;
  for (size_t i = 0; i < draws.draws.size(); ++i) {
    const BudgetDraw& d = draws.draws[i];
    AccountSpec to = ProjectAllocationAccount(project_id, d.fiscal_year, d.category);
    TransferRequest t;
    t.id = absl::StrCat(batch_id, ".", i + 1);
    t.debit_account_id = ProgramBudgetAccount(d.fiscal_year, d.line).id;
    t.credit_account_id = to.id;
    t.amount = d.amount;
    t.code = "allocation";
    t.pending = pending;
    batch.transfers.push_back(std::move(t));
    if (opened.insert(to.id).second) batch.open_accounts.push_back(std::move(to));
  }
  return batch;
}

Batch MovesBatch(const std::string& batch_id, const std::vector<LedgerMove>& moves) {
  Batch batch;
  batch.batch_id = batch_id;
  std::set<std::string> opened;
  for (size_t i = 0; i < moves.size(); ++i) {
    const LedgerMove& m = moves[i];
    for (const AccountSpec* spec : {&m.from, &m.to}) {
      if (opened.insert(spec->id).second) batch.open_accounts.push_back(*spec);
    }
    TransferRequest t;
    t.id = absl::StrCat(batch_id, ".", i + 1);
    t.debit_account_id = m.from.id;
    t.credit_account_id = m.to.id;
    t.amount = m.amount;
    t.code = m.code;
    batch.transfers.push_back(std::move(t));
  }
  return batch;
}

tane::funds::v1::Transfer ToProto(const Transfer& t) {
  tane::funds::v1::Transfer p;
  p.set_program_id(t.program_id);
  p.set_transfer_id(t.id);
  p.set_debit_account_id(t.debit_account_id);
  p.set_credit_account_id(t.credit_account_id);
  p.set_amount_yen(t.amount.value());
  p.set_code(t.code);
  p.set_memo(t.memo);
  p.set_pending(t.pending);
  p.set_batch_id(t.batch_id);
  switch (t.state) {
    case TransferState::kPosted:
      p.set_state(tane::funds::v1::TRANSFER_STATE_POSTED);
      break;
    case TransferState::kPending:
      p.set_state(tane::funds::v1::TRANSFER_STATE_PENDING);
      break;
    case TransferState::kVoided:
      p.set_state(tane::funds::v1::TRANSFER_STATE_VOIDED);
      break;
  }
  SetTimestamp(t.created_at, p.mutable_created_at());
  if (t.resolved_at != absl::InfinitePast()) SetTimestamp(t.resolved_at, p.mutable_resolved_at());
  const bool resolved = t.resolved_at != absl::InfinitePast();
  p.set_debit_balance_after_yen(resolved ? t.resolved_debit_balance_after.value() : t.debit_balance_after.value());
  p.set_credit_balance_after_yen(resolved ? t.resolved_credit_balance_after.value() : t.credit_balance_after.value());
  return p;
}

tane::funds::v1::Account ToProto(const Account& a) {
  tane::funds::v1::Account p;
  p.set_program_id(a.program_id);
  p.set_account_id(a.spec.id);
  p.set_kind(static_cast<tane::funds::v1::AccountKind>(static_cast<int>(a.spec.kind) + 1));
  p.set_must_not_go_negative(a.spec.must_not_go_negative);
  p.set_currency_code("JPY");
  p.set_fiscal_year(a.spec.fiscal_year);
  p.set_project_id(a.spec.project_id);
  p.set_category(a.spec.category);
  if (a.spec.budget_line) {
    p.set_budget_line(static_cast<tane::funds::v1::BudgetLine>(static_cast<int>(*a.spec.budget_line) + 1));
  }
  p.set_institution_id(a.spec.institution_id);
  p.set_balance_yen(a.balance.value());
  p.set_pending_debits_yen(a.pending_debits.value());
  p.set_pending_credits_yen(a.pending_credits.value());
  p.set_available_yen(a.available().value());
  for (const auto& [code, t] : a.turnover) {
    auto* out = p.add_turnover();
    out->set_code(code);
    out->set_debited_yen(t.debited.value());
    out->set_credited_yen(t.credited.value());
  }
  return p;
}

Ledger::Ledger(store::RedisPool& pool, store::Keyspace keyspace, const core::Clock& clock)
    : pool_(pool),
      keyspace_(std::move(keyspace)),
      clock_(clock),
      open_script_("funds_open_account", lua::kOpenAccount),
      batch_script_("funds_transfer_batch", lua::kBatch) {}

std::string Ledger::AccountKey(int shard, const std::string& program_id, const std::string& account_id) const {
  return keyspace_.Key(shard, absl::StrCat("acct:", program_id, ":", account_id));
}

std::string Ledger::TransferKey(int shard, const std::string& program_id, const std::string& transfer_id) const {
  return keyspace_.Key(shard, absl::StrCat("xfer:", program_id, ":", transfer_id));
}

absl::StatusOr<bool> Ledger::OpenAccount(const std::string& program_id, const AccountSpec& spec) {
  core::Violations v;
  if (!IsValidIdComponent(program_id)) v.Add("program_id", "must be 1-100 characters of [A-Za-z0-9_-]");
  if (absl::Status s = ValidateAccountSpec(spec); !s.ok()) v.Add("account", std::string(s.message()));
  if (!v.empty()) return v.ToStatus("invalid account");
  const int shard = ShardOf(program_id);
  auto reply = open_script_.Run(
      pool_, {AccountKey(shard, program_id, spec.id), keyspace_.Key(shard, absl::StrCat("accts:", program_id))},
      {spec.id, SpecString(spec)});
  if (!reply.ok()) return reply.status();
  if (reply->is_error()) return FromErrorReply("open account", *reply);
  if (reply->elements.empty()) return absl::InternalError("open account: unexpected reply");
  const std::string& outcome = reply->elements[0].str;
  if (outcome == "ok") return true;
  if (outcome == "dup") return false;
  return absl::AlreadyExistsError(absl::StrCat("account ", spec.id, " of program ", program_id,
                                               " already exists with a different kind or attributes"));
}

absl::StatusOr<TransferResult> Ledger::CreateTransfer(const std::string& program_id, const TransferRequest& request,
                                                      const Origin& origin) {
  Batch batch;
  batch.transfers.push_back(request);
  // A single transfer is a batch of one without a batch id.
  auto result = CreateBatch(program_id, batch, origin);
  if (!result.ok()) return result.status();
  return TransferResult{std::move(result->transfers.front()), result->duplicate};
}

absl::StatusOr<BatchResult> Ledger::CreateBatch(const std::string& program_id, const Batch& batch,
                                                const Origin& origin) {
  const bool single = batch.transfers.size() == 1 && batch.resolve.empty() && batch.batch_id.empty() &&
                      batch.open_accounts.empty() && batch.events.empty();
  // Resolving pending transfers records nothing of the batch on them: no id needed.
  const bool resolve_only = batch.transfers.empty() && !batch.resolve.empty();
  core::Violations v;
  if (!IsValidIdComponent(program_id)) v.Add("program_id", "must be 1-100 characters of [A-Za-z0-9_-]");
  if (!single && !resolve_only && !IsValidTransferId(batch.batch_id)) {
    v.Add("batch_id", "a batch needs an id of 1-128 characters of [A-Za-z0-9_.:-]");
  }
  if (batch.transfers.empty() && batch.resolve.empty()) v.Add("transfers", "at least one transfer or resolution");
  if (batch.transfers.size() + batch.resolve.size() > kMaxBatchTransfers) {
    v.Add("transfers", absl::StrCat("at most ", kMaxBatchTransfers, " transfers and resolutions per batch"));
  }
  std::set<std::string> ids;
  for (size_t i = 0; i < batch.transfers.size(); ++i) {
    const std::string at = single ? "" : absl::StrCat("transfers[", i, "].");
    ValidateTransfer(batch.transfers[i], at, &v);
    if (!ids.insert(batch.transfers[i].id).second) v.Add(at + "transfer_id", "appears twice in the batch");
  }
  for (size_t i = 0; i < batch.resolve.size(); ++i) {
    const std::string at = absl::StrCat("resolve[", i, "].transfer_id");
    if (!IsValidTransferId(batch.resolve[i].transfer_id)) {
      v.Add(at, "must be 1-128 characters of [A-Za-z0-9_.:-]");
    } else if (!ids.insert(batch.resolve[i].transfer_id).second) {
      v.Add(at, "appears twice in the batch");
    }
  }
  // Accounts in first-use order; opened ones carry their spec.
  std::vector<std::string> account_ids;
  std::map<std::string, size_t> index;  // id -> 1-based position (Lua)
  std::map<std::string, const AccountSpec*> opened;
  for (size_t i = 0; i < batch.open_accounts.size(); ++i) {
    const AccountSpec& spec = batch.open_accounts[i];
    if (absl::Status s = ValidateAccountSpec(spec); !s.ok()) {
      v.Add(absl::StrCat("open_accounts[", i, "]"), std::string(s.message()));
      continue;
    }
    auto [it, fresh] = opened.emplace(spec.id, &spec);
    if (!fresh && !(*it->second == spec)) {
      v.Add(absl::StrCat("open_accounts[", i, "]"), absl::StrCat("account ", spec.id, " listed twice, differently"));
    }
  }
  for (size_t i = 0; i < batch.events.size(); ++i) {
    if (batch.events[i].event_id().empty() || batch.events[i].type().empty()) {
      v.Add(absl::StrCat("events[", i, "]"), "needs an event_id and a type");
    }
  }
  if (!v.empty()) return v.ToStatus(single ? "invalid transfer" : "invalid batch");

  // The records of the transfers to resolve name their accounts, and a script
  // must declare its keys, so they are read first; a record never changes
  // its accounts, and the script checks the state again.
  std::vector<Transfer> to_resolve;
  for (const Resolution& r : batch.resolve) {
    auto current = GetTransfer(program_id, r.transfer_id);
    if (!current.ok()) return current.status();
    to_resolve.push_back(*std::move(current));
  }

  auto add_account = [&](const std::string& id) {
    if (index.emplace(id, account_ids.size() + 1).second) account_ids.push_back(id);
  };
  for (const auto& spec : batch.open_accounts) add_account(spec.id);
  for (const auto& t : to_resolve) {
    add_account(t.debit_account_id);
    add_account(t.credit_account_id);
  }
  for (const auto& t : batch.transfers) {
    add_account(t.debit_account_id);
    add_account(t.credit_account_id);
  }

  const int shard = ShardOf(program_id);
  const absl::Time now = clock_.Now();
  const std::string now_ms = absl::StrCat(absl::ToUnixMillis(now));
  std::vector<std::string> keys;
  keys.reserve(3 + batch.transfers.size() + to_resolve.size() + account_ids.size());
  keys.push_back(keyspace_.OutboxKey(shard));
  keys.push_back(keyspace_.Key(shard, absl::StrCat("xlog:", program_id)));
  keys.push_back(keyspace_.Key(shard, absl::StrCat("accts:", program_id)));
  for (const auto& t : batch.transfers) keys.push_back(TransferKey(shard, program_id, t.id));
  for (const auto& t : to_resolve) keys.push_back(TransferKey(shard, program_id, t.id));
  for (const auto& id : account_ids) keys.push_back(AccountKey(shard, program_id, id));

  std::vector<std::string> args;
  args.reserve(6 + account_ids.size() * 4 + batch.transfers.size() * 12 + to_resolve.size() * 8 +
               batch.events.size() * 4);
  args.push_back(now_ms);
  args.push_back(absl::StrCat(batch.transfers.size()));
  args.push_back(absl::StrCat(account_ids.size()));
  args.push_back(absl::StrCat(batch.events.size()));
  args.push_back(batch.batch_id);
  args.push_back(absl::StrCat(to_resolve.size()));
  for (const auto& id : account_ids) {
    auto it = opened.find(id);
    args.push_back(id);
    args.push_back(it == opened.end() ? "" : SpecString(*it->second));
    args.push_back(it == opened.end() ? "0" : "1");
    auto expected = batch.expected_revisions.find(id);
    args.push_back(expected == batch.expected_revisions.end() ? "" : absl::StrCat(expected->second));
  }
  for (const auto& [id, revision] : batch.expected_revisions) {
    if (index.find(id) == index.end()) {
      core::Violations unused;
      unused.Add("expected_revisions", absl::StrCat("account ", id, " is not one the batch opens or moves money on"));
      return unused.ToStatus("invalid batch");
    }
  }
  auto push_event = [&](const common::v1::EventEnvelope& event) {
    args.push_back(event.event_id());
    args.push_back(event.aggregate_id());
    args.push_back(event.type());
    args.push_back(event.SerializeAsString());
  };
  for (const auto& t : batch.transfers) {
    Transfer record;
    record.program_id = program_id;
    record.id = t.id;
    record.debit_account_id = t.debit_account_id;
    record.credit_account_id = t.credit_account_id;
    record.amount = t.amount;
    record.pending = t.pending;
    record.code = t.code;
    record.memo = t.memo;
    record.batch_id = batch.batch_id;
    record.state = t.pending ? TransferState::kPending : TransferState::kPosted;
    record.created_at = now;
    google::protobuf::Message* payload;
    tane::funds::v1::TransferPosted posted;
    tane::funds::v1::TransferPending reserved;
    if (t.pending) {
      *reserved.mutable_transfer() = ToProto(record);
      payload = &reserved;
    } else {
      *posted.mutable_transfer() = ToProto(record);
      payload = &posted;
    }
    auto event = bus::NewEvent(*payload, "transfer", AggregateId(program_id, t.id), origin.actor, origin.trace_id, now);
    event.set_aggregate_version(1);
    args.push_back(t.id);
    args.push_back(absl::StrCat(index[t.debit_account_id]));
    args.push_back(absl::StrCat(index[t.credit_account_id]));
    args.push_back(absl::StrCat(t.amount.value()));
    args.push_back(t.pending ? "1" : "0");
    args.push_back(Content(t, batch.batch_id));
    args.push_back(t.code);
    args.push_back(t.memo);
    push_event(event);
  }
  for (size_t i = 0; i < to_resolve.size(); ++i) {
    const bool post = batch.resolve[i].post;
    Transfer next = to_resolve[i];
    next.state = post ? TransferState::kPosted : TransferState::kVoided;
    next.resolved_at = now;
    tane::funds::v1::TransferPosted posted;
    tane::funds::v1::TransferVoided voided;
    google::protobuf::Message* payload = &voided;
    if (post) {
      *posted.mutable_transfer() = ToProto(next);
      payload = &posted;
    } else {
      *voided.mutable_transfer() = ToProto(next);
    }
    auto event =
        bus::NewEvent(*payload, "transfer", AggregateId(program_id, next.id), origin.actor, origin.trace_id, now);
    event.set_aggregate_version(2);
    args.push_back(next.id);
    args.push_back(absl::StrCat(index[next.debit_account_id]));
    args.push_back(absl::StrCat(index[next.credit_account_id]));
    args.push_back(post ? "post" : "void");
    push_event(event);
  }
  for (const auto& e : batch.events) push_event(e);

  auto reply = batch_script_.Run(pool_, keys, args);
  if (!reply.ok()) return reply.status();
  if (reply->is_error()) return FromErrorReply("transfer", *reply);
  if (reply->type != Reply::Type::kArray || reply->elements.empty()) {
    return absl::InternalError("transfer script: unexpected reply");
  }
  const auto& e = reply->elements;
  const std::string& outcome = e[0].str;
  if (outcome == "ok" || outcome == "dup") {
    BatchResult result;
    result.duplicate = outcome == "dup";
    if (e.size() != 1 + batch.transfers.size() + to_resolve.size()) {
      return absl::InternalError("transfer script: wrong number of records");
    }
    for (size_t i = 0; i < batch.transfers.size(); ++i) {
      auto t = TransferFromHash(program_id, batch.transfers[i].id, HashOf(e[1 + i]));
      if (!t.ok()) return t.status();
      result.transfers.push_back(std::move(*t));
    }
    for (size_t i = 0; i < to_resolve.size(); ++i) {
      auto t = TransferFromHash(program_id, to_resolve[i].id, HashOf(e[1 + batch.transfers.size() + i]));
      if (!t.ok()) return t.status();
      result.resolved.push_back(std::move(*t));
    }
    return result;
  }
  auto str = [&](size_t i) { return i < e.size() ? e[i].str : std::string(); };
  auto resolution = [&](const std::string& id) -> const Resolution* {
    for (const auto& r : batch.resolve) {
      if (r.transfer_id == id) return &r;
    }
    return nullptr;
  };
  if (outcome == "conflict") {
    const std::string id = str(1);
    const TransferRequest* mine = nullptr;
    for (const auto& t : batch.transfers) {
      if (t.id == id) mine = &t;
    }
    return absl::AlreadyExistsError(
        absl::StrCat("transfer ", id, " of program ", program_id, " was already booked with different content: ",
                     mine ? DescribeConflict(str(2), Content(*mine, batch.batch_id)) : std::string("?"),
                     "; use a new transfer id for a different transfer"));
  }
  if (outcome == "partial") {
    return absl::AlreadyExistsError(absl::StrCat("transfer ", str(1), " of program ", program_id,
                                                 " was already booked by another request; a batch is booked "
                                                 "whole or not at all, so none of it was booked"));
  }
  if (outcome == "notfound") {
    return absl::NotFoundError(absl::StrCat("account ", str(1), " of program ", program_id, " does not exist"));
  }
  if (outcome == "xnotfound") {
    return absl::NotFoundError(absl::StrCat("transfer ", str(1), " of program ", program_id, " not found"));
  }
  if (outcome == "notpending" || outcome == "resolved") {
    const Resolution* r = resolution(str(1));
    const char* verb = r != nullptr && r->post ? "posted" : "voided";
    if (outcome == "notpending") {
      return absl::FailedPreconditionError(absl::StrCat("transfer ", str(1), " of program ", program_id,
                                                        " is not a pending transfer; only pending transfers can be ",
                                                        verb));
    }
    return absl::FailedPreconditionError(absl::StrCat("transfer ", str(1), " of program ", program_id,
                                                      " was already ", str(2), "; it cannot be ", verb));
  }
  if (outcome == "specconflict") {
    return absl::AlreadyExistsError(absl::StrCat("account ", str(1), " of program ", program_id,
                                                 " already exists with a different kind or attributes"));
  }
  if (outcome == "stale") {
    return absl::AbortedError(absl::StrCat("account ", str(1), " of program ", program_id, " changed (revision ",
                                           str(2), " read, now ", str(3),
                                           ") since the request was decided; nothing was booked: read and retry"));
  }
  if (outcome == "bound") {
    return absl::OutOfRangeError(absl::StrCat("transfer ", str(2), " would take account ", str(1),
                                              " beyond the ledger's bound of +/-", kMaxLedgerYen,
                                              " yen (2^53 - 1); nothing was booked"));
  }
  if (outcome == "insufficient") {
    std::vector<Shortfall> shortfalls;
    for (size_t i = 1; i + 2 < e.size(); i += 3) {
      int64_t available = 0, shortfall = 0;
      if (!absl::SimpleAtoi(e[i + 1].str, &available) || !absl::SimpleAtoi(e[i + 2].str, &shortfall)) {
        return absl::InternalError("transfer script: malformed shortfall");
      }
      shortfalls.push_back({e[i].str, Yen(available), Yen(shortfall)});
    }
    return InsufficientFunds(shortfalls);
  }
  if (outcome == "invalid") {
    return absl::InvalidArgumentError(absl::StrCat("transfer ", str(1), ": invalid ", str(2)));
  }
  return absl::InternalError(absl::StrCat("transfer script: unexpected outcome ", outcome, " (", str(1), ")"));
}

absl::StatusOr<TransferResult> Ledger::PostPending(const std::string& program_id, const std::string& transfer_id,
                                                   const Origin& origin) {
  return Resolve(program_id, transfer_id, true, origin);
}

absl::StatusOr<TransferResult> Ledger::VoidPending(const std::string& program_id, const std::string& transfer_id,
                                                   const Origin& origin) {
  return Resolve(program_id, transfer_id, false, origin);
}

absl::StatusOr<TransferResult> Ledger::Resolve(const std::string& program_id, const std::string& transfer_id, bool post,
                                               const Origin& origin) {
  Batch batch;
  batch.resolve.push_back({transfer_id, post});
  auto result = CreateBatch(program_id, batch, origin);
  if (!result.ok()) return result.status();
  return TransferResult{std::move(result->resolved.front()), result->duplicate};
}

absl::StatusOr<Transfer> Ledger::GetTransfer(const std::string& program_id, const std::string& transfer_id) {
  core::Violations v;
  if (!IsValidIdComponent(program_id)) v.Add("program_id", "must be 1-100 characters of [A-Za-z0-9_-]");
  if (!IsValidTransferId(transfer_id)) v.Add("transfer_id", "must be 1-128 characters of [A-Za-z0-9_.:-]");
  if (!v.empty()) return v.ToStatus();
  auto reply = pool_.Command({"HGETALL", TransferKey(ShardOf(program_id), program_id, transfer_id)});
  if (!reply.ok()) return reply.status();
  if (reply->is_error()) return FromErrorReply("get transfer", *reply);
  return TransferFromHash(program_id, transfer_id, HashOf(*reply));
}

absl::StatusOr<Account> Ledger::GetAccount(const std::string& program_id, const std::string& account_id) {
  core::Violations v;
  if (!IsValidIdComponent(program_id)) v.Add("program_id", "must be 1-100 characters of [A-Za-z0-9_-]");
  if (!IsValidAccountId(account_id)) v.Add("account_id", "not a valid account id");
  if (!v.empty()) return v.ToStatus();
  auto reply =
      pool_.Command({"HGETALL", AccountKey(ShardOf(program_id), program_id, account_id)});
  if (!reply.ok()) return reply.status();
  return AccountFromReply(program_id, account_id, *reply);
}

absl::StatusOr<std::vector<Account>> Ledger::ListAccounts(const std::string& program_id,
                                                          const std::string& project_id) {
  core::Violations v;
  if (!IsValidIdComponent(program_id)) v.Add("program_id", "must be 1-100 characters of [A-Za-z0-9_-]");
  if (!project_id.empty() && !IsValidIdComponent(project_id)) {
    v.Add("project_id", "must be 1-100 characters of [A-Za-z0-9_-]");
  }
  if (!v.empty()) return v.ToStatus();
  const int shard = ShardOf(program_id);
  const std::string index_key = keyspace_.Key(shard, absl::StrCat("accts:", program_id));
  std::vector<std::string> ids;
  if (project_id.empty()) {
    auto members = pool_.Command({"SMEMBERS", index_key});
    if (!members.ok()) return members.status();
    if (members->is_error()) return FromErrorReply("list accounts", *members);
    for (const auto& m : members->elements) ids.push_back(m.str);
  } else {
    // Project accounts are "<kind>.<project>.<FY>.<...>"; ids are [A-Za-z0-9_-.],
    // so the pattern has no glob characters but its own '*'.
    std::set<std::string> seen;
    std::string cursor = "0";
    do {
      auto page = pool_.Command(
          {"SSCAN", index_key, cursor, "MATCH", absl::StrCat("*.", project_id, ".*"), "COUNT", "1000"});
      if (!page.ok()) return page.status();
      if (page->is_error()) return FromErrorReply("list accounts", *page);
      if (page->elements.size() != 2) return absl::InternalError("list accounts: unexpected SSCAN reply");
      cursor = page->elements[0].str;
      for (const auto& m : page->elements[1].elements) {
        std::vector<std::string> parts = absl::StrSplit(m.str, '.');
        if (parts.size() >= 2 && parts[1] == project_id && seen.insert(m.str).second) ids.push_back(m.str);
      }
    } while (cursor != "0");
  }
  std::sort(ids.begin(), ids.end());
  std::vector<Account> out;
  constexpr size_t kChunk = 500;
  for (size_t begin = 0; begin < ids.size(); begin += kChunk) {
    const size_t end = std::min(ids.size(), begin + kChunk);
    std::vector<std::vector<std::string>> commands;
    for (size_t i = begin; i < end; ++i) {
      commands.push_back({"HGETALL", AccountKey(shard, program_id, ids[i])});
    }
    auto replies = pool_.Pipeline(commands);
    if (!replies.ok()) return replies.status();
    for (size_t i = begin; i < end; ++i) {
      auto a = AccountFromReply(program_id, ids[i], (*replies)[i - begin]);
      if (!a.ok()) return a.status();
      out.push_back(std::move(*a));
    }
  }
  return out;
}

absl::StatusOr<std::vector<Transfer>> Ledger::GetNumberedTransfers(const std::string& program_id,
                                                                   const std::string& prefix) {
  std::vector<Transfer> out;
  constexpr int kChunk = 32;
  const int shard = ShardOf(program_id);
  for (int first = 1;; first += kChunk) {
    std::vector<std::vector<std::string>> commands;
    for (int n = first; n < first + kChunk; ++n) {
      const std::string id = absl::StrCat(prefix, ".", n);
      if (!IsValidTransferId(id) || !IsValidIdComponent(program_id)) {
        core::Violations v;
        v.Add("transfer_id", "the numbered ids must be 1-128 characters of [A-Za-z0-9_.:-]");
        return v.ToStatus();
      }
      commands.push_back({"HGETALL", TransferKey(shard, program_id, id)});
    }
    auto replies = pool_.Pipeline(commands);
    if (!replies.ok()) return replies.status();
    for (int i = 0; i < kChunk; ++i) {
      const Reply& r = (*replies)[i];
      if (r.is_error()) return FromErrorReply("get transfers", r);
      auto t = TransferFromHash(program_id, absl::StrCat(prefix, ".", first + i), HashOf(r));
      if (absl::IsNotFound(t.status())) return out;
      if (!t.ok()) return t.status();
      out.push_back(std::move(*t));
    }
  }
}

absl::StatusOr<std::vector<Transfer>> Ledger::ListTransfers(const std::string& program_id, int64_t start,
                                                            int64_t limit) {
  if (!IsValidIdComponent(program_id)) {
    core::Violations v;
    v.Add("program_id", "must be 1-100 characters of [A-Za-z0-9_-]");
    return v.ToStatus();
  }
  if (start < 0) return absl::InvalidArgumentError("start must not be negative");
  const int shard = ShardOf(program_id);
  const int64_t stop = limit < 0 ? -1 : start + limit - 1;
  std::vector<Transfer> out;
  if (limit == 0) return out;
  auto ids = pool_.Command(
      {"LRANGE", keyspace_.Key(shard, absl::StrCat("xlog:", program_id)), absl::StrCat(start), absl::StrCat(stop)});
  if (!ids.ok()) return ids.status();
  if (ids->is_error()) return FromErrorReply("list transfers", *ids);
  constexpr size_t kChunk = 500;
  for (size_t begin = 0; begin < ids->elements.size(); begin += kChunk) {
    const size_t end = std::min(ids->elements.size(), begin + kChunk);
    std::vector<std::vector<std::string>> commands;
    for (size_t i = begin; i < end; ++i) {
      commands.push_back({"HGETALL", TransferKey(shard, program_id, ids->elements[i].str)});
    }
    auto replies = pool_.Pipeline(commands);
    if (!replies.ok()) return replies.status();
    for (size_t i = begin; i < end; ++i) {
      const Reply& r = (*replies)[i - begin];
      if (r.is_error()) return FromErrorReply("list transfers", r);
      auto t = TransferFromHash(program_id, ids->elements[i].str, HashOf(r));
      if (!t.ok()) return t.status();
      out.push_back(std::move(*t));
    }
  }
  return out;
}

absl::StatusOr<std::string> Ledger::ExportCsv(const std::string& program_id, int fiscal_year) {
  auto transfers = ListTransfers(program_id);
  if (!transfers.ok()) return transfers.status();
  std::set<std::string> of_year;  // the accounts of `fiscal_year`
  if (fiscal_year > 0) {
    auto accounts = ListAccounts(program_id);
    if (!accounts.ok()) return accounts.status();
    for (const auto& a : *accounts) {
      if (a.spec.fiscal_year == fiscal_year) of_year.insert(a.spec.id);
    }
  }
  std::string csv =
      "seq,transfer_id,created_at,debit_account_id,credit_account_id,amount_yen,currency,code,state,"
      "resolved_at,batch_id,memo\r\n";
  int64_t seq = 0;
  for (const auto& t : *transfers) {
    ++seq;  // the position in the whole ledger, also when filtered
    if (fiscal_year > 0 && !of_year.count(t.debit_account_id) && !of_year.count(t.credit_account_id)) continue;
    const std::string resolved = t.resolved_at == absl::InfinitePast() ? "" : core::FormatRfc3339Utc(t.resolved_at);
    absl::StrAppend(&csv, seq, ",", CsvField(t.id), ",", core::FormatRfc3339Utc(t.created_at), ",",
                    CsvField(t.debit_account_id), ",", CsvField(t.credit_account_id), ",", t.amount.value(), ",JPY,",
                    CsvField(t.code), ",", StateName(t.state), ",", resolved, ",", CsvField(t.batch_id), ",",
                    CsvField(t.memo), "\r\n");
  }
  return csv;
}

}  // namespace tane::funds
