#include "tane/reviews/storage.h"

#include <algorithm>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tane/reviews/v1/events.pb.h"
#include "tane/store/sharded_index.h"

namespace tane::reviews {
namespace {

constexpr char kCaseCallIndex[] = "idx:case-call";
constexpr char kReviewersIndex[] = "idx:reviewers";

std::string CaseKey(const std::string& case_id) { return absl::StrCat("case:", case_id); }
std::string CallCasesIndex(const std::string& call_id) {
  return absl::StrCat("idx:call-cases:", call_id);
}
std::string ReviewerCallsIndex(const std::string& reviewer_id) {
  return absl::StrCat("idx:reviewer-calls:", reviewer_id);
}

}  // namespace

absl::StatusOr<CallData> ReviewsStorage::LoadCall(const std::string& call_id,
                                                  const CaseSelection& selection) {
  CallData out;
  auto review = runtime::LoadAggregate<v1::CallReview>(kit_.store(), kCallReviewAggregate, call_id);
  if (!review.ok()) return review.status();
  out.review = *std::move(review);
  if (!out.review.exists() || selection.kind == CaseSelection::Kind::kNone) return out;
  std::vector<std::string> case_ids;
  if (selection.kind == CaseSelection::Kind::kOne) {
    case_ids.push_back(selection.case_id);
  } else {
    auto members = kit_.index().All(CallCasesIndex(call_id));
    if (!members.ok()) return members.status();
    for (const auto& m : *members) case_ids.emplace_back(store::IndexMemberId(m));
  }
  if (case_ids.empty()) return out;
  const int shard = kit_.keyspace().ShardOf(call_id);
  std::vector<std::vector<std::string>> gets;
  gets.reserve(case_ids.size());
  for (const auto& id : case_ids) gets.push_back({"GET", kit_.keyspace().Key(shard, CaseKey(id))});
  auto replies = kit_.redis().Pipeline(gets);
  if (!replies.ok()) return replies.status();
  for (size_t i = 0; i < replies->size(); ++i) {
    const store::Reply& r = (*replies)[i];
    if (r.is_nil()) continue;
    if (r.type != store::Reply::Type::kString) {
      return absl::InternalError(absl::StrCat("unexpected reply loading case ", case_ids[i]));
    }
    v1::ReviewCase c;
    if (!c.ParseFromString(r.str)) {
      return absl::InternalError(absl::StrCat("stored case ", case_ids[i], " does not parse"));
    }
    out.cases.push_back(std::move(c));
  }
  return out;
}

absl::StatusOr<std::optional<std::string>> ReviewsStorage::LookupExact(const std::string& index,
                                                                       const std::string& key) {
  // Members are "<key>|<id>". Paging from "<key>|" (exclusive) skips every
  // longer key that merely starts with `key` ("r-10|…" sorts before
  // "r-1|…"): the first member after it is ours if it has that prefix.
  const std::string prefix = absl::StrCat(key, "|");
  auto page = kit_.index().Page(index, prefix, 1);
  if (!page.ok()) return page.status();
  if (page->members.empty()) return std::optional<std::string>();
  const std::string& m = page->members.front();
  if (m.compare(0, prefix.size(), prefix) != 0) return std::optional<std::string>();
  const std::string_view id = std::string_view(m).substr(prefix.size());
  if (id.empty() || id.find('|') != std::string_view::npos) return std::optional<std::string>();
  return std::optional<std::string>(std::string(id));
}

absl::StatusOr<std::optional<std::string>> ReviewsStorage::CallOfCase(const std::string& case_id) {
  return LookupExact(kCaseCallIndex, case_id);
}

absl::StatusOr<runtime::Loaded<v1::Reviewer>> ReviewsStorage::LoadReviewer(
    const std::string& reviewer_id) {
  return runtime::LoadAggregate<v1::Reviewer>(kit_.store(), kReviewerAggregate, reviewer_id);
}

namespace {

/// A subject claim: "<reviewer_id>|<version of the claiming commit>|<unix
/// seconds of the claim>"; a claim without the time is as old as can be.
struct SubjectClaim {
  int64_t store_version = 0;  // 0: never claimed
  std::string reviewer_id;    // empty: free
  int64_t reviewer_version = 0;
  absl::Time claimed_at = absl::UnixEpoch();
};

absl::StatusOr<SubjectClaim> LoadClaim(store::AggregateStore& store, const std::string& subject) {
  auto raw = store.Load(kSubjectClaimAggregate, subject);
  if (!raw.ok()) return raw.status();
  SubjectClaim claim;
  claim.store_version = raw->version;
  if (raw->version == 0) return claim;
  const std::vector<absl::string_view> parts = absl::StrSplit(raw->data, '|');
  int64_t seconds = 0;
  if ((parts.size() != 2 && parts.size() != 3) || parts[0].empty() ||
      !absl::SimpleAtoi(parts[1], &claim.reviewer_version) ||
      (parts.size() == 3 && !absl::SimpleAtoi(parts[2], &seconds))) {
    return absl::InternalError(absl::StrCat("stored claim on subject ", subject, " does not parse"));
  }
  claim.reviewer_id = std::string(parts[0]);
  claim.claimed_at = absl::FromUnixSeconds(seconds);
  return claim;
}

}  // namespace

absl::StatusOr<std::optional<v1::Reviewer>> ReviewsStorage::ReviewerOfSubject(
    const std::string& subject) {
  if (subject.empty()) return std::optional<v1::Reviewer>();
  auto claim = LoadClaim(kit_.store(), subject);
  if (!claim.ok()) return claim.status();
  if (claim->reviewer_id.empty()) return std::optional<v1::Reviewer>();
  auto loaded = LoadReviewer(claim->reviewer_id);
  if (!loaded.ok()) return loaded.status();
  // A pending claim (its commit not landed) or a stale one names no one yet.
  if (!loaded->exists() || loaded->value.subject() != subject) return std::optional<v1::Reviewer>();
  return std::optional<v1::Reviewer>(std::move(loaded->value));
}

absl::Status ReviewsStorage::ClaimSubject(const std::string& subject, const std::string& reviewer_id,
                                          int64_t next_version) {
  constexpr int kAttempts = 8;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    const absl::Time now = kit_.clock().Now();
    auto claim = LoadClaim(kit_.store(), subject);
    if (!claim.ok()) return claim.status();
    if (!claim->reviewer_id.empty() && claim->reviewer_id != reviewer_id) {
      auto holder = LoadReviewer(claim->reviewer_id);
      if (!holder.ok()) return holder.status();
      const bool pending = holder->version < claim->reviewer_version &&
                           now - claim->claimed_at <= kSubjectClaimGrace;
      if (pending || holder->value.subject() == subject) {
        return absl::AlreadyExistsError(
            absl::StrCat("subject ", subject, " is already reviewer ", claim->reviewer_id));
      }
    }
    store::Commit commit;
    commit.aggregate_type = kSubjectClaimAggregate;
    commit.aggregate_id = subject;
    commit.expected_version = claim->store_version;
    commit.data = absl::StrCat(reviewer_id, "|", next_version, "|", absl::ToUnixSeconds(now));
    auto written = kit_.store().Commit(commit);
    if (written.ok()) return absl::OkStatus();
    if (!absl::IsAborted(written.status())) return written.status();
  }
  return absl::AbortedError(absl::StrCat("the claim on subject ", subject, " kept changing; try again"));
}

absl::StatusOr<std::vector<v1::Reviewer>> ReviewsStorage::LoadPool() {
  auto members = kit_.index().All(kReviewersIndex);
  if (!members.ok()) return members.status();
  std::vector<std::string> ids;
  for (const auto& m : *members) ids.emplace_back(store::IndexMemberId(m));
  auto raw = kit_.store().LoadMany(kReviewerAggregate, ids);
  if (!raw.ok()) return raw.status();
  std::vector<v1::Reviewer> pool;
  pool.reserve(ids.size());
  for (size_t i = 0; i < raw->size(); ++i) {
    if ((*raw)[i].version == 0) continue;
    v1::Reviewer r;
    if (!r.ParseFromString((*raw)[i].data)) {
      return absl::InternalError(absl::StrCat("stored reviewer ", ids[i], " does not parse"));
    }
    pool.push_back(std::move(r));
  }
  return pool;
}

absl::StatusOr<std::vector<std::string>> ReviewsStorage::CallsOfReviewer(
    const std::string& reviewer_id) {
  auto members = kit_.index().All(ReviewerCallsIndex(reviewer_id));
  if (!members.ok()) return members.status();
  std::vector<std::string> calls;
  for (const auto& m : *members) calls.emplace_back(store::IndexMemberId(m));
  return calls;
}

absl::StatusOr<store::Commit> ReviewsStorage::CallCommit(const CallData& before,
                                                         const CallTransition& t,
                                                         const runtime::RequestContext& ctx) const {
  const v1::CallReview* review = t.call_review ? &*t.call_review : nullptr;
  if (review == nullptr && !before.review.exists()) {
    return absl::InvalidArgumentError("a call review must exist before its cases change");
  }
  if (review == nullptr) review = &before.review.value;
  store::Commit commit;
  commit.aggregate_type = kCallReviewAggregate;
  commit.aggregate_id = review->call_id();
  commit.expected_version = before.review.version;
  review->SerializeToString(&commit.data);

  std::set<std::string> existing;
  for (const auto& c : before.cases) existing.insert(c.case_id());
  std::set<std::string> reviewers;
  for (const auto& c : t.cases) {
    std::string data;
    c.SerializeToString(&data);
    commit.index_ops.push_back(
        {store::IndexOp::Kind::kStringSet, CaseKey(c.case_id()), "", std::move(data)});
    if (!existing.contains(c.case_id())) {
      commit.index_ops.push_back(
          store::IndexAdd(CallCasesIndex(c.call_id()), c.application_id(), c.case_id()));
      commit.index_ops.push_back(store::IndexAdd(kCaseCallIndex, c.case_id(), c.call_id()));
    }
    for (const auto& sa : c.assignments()) {
      for (const auto& r : sa.reviewers()) reviewers.insert(r.reviewer_id());
    }
  }
  for (const auto& r : reviewers) {
    commit.index_ops.push_back(store::IndexAdd(ReviewerCallsIndex(r), review->call_id(), review->call_id()));
  }
  for (const Event& e : t.events) {
    const std::string& case_id = EventCaseId(e);
    auto envelope = ctx.NewEvent(EventPayload(e), kCaseAggregateType, case_id);
    for (const auto& c : t.cases) {
      if (c.case_id() == case_id) envelope.set_aggregate_version(c.version());
    }
    commit.events.push_back(std::move(envelope));
  }
  return commit;
}

store::Commit ReviewsStorage::ReviewerCommit(const runtime::Loaded<v1::Reviewer>& before,
                                             const v1::Reviewer& after,
                                             const runtime::RequestContext& ctx) const {
  store::Commit commit;
  commit.aggregate_type = kReviewerAggregate;
  commit.aggregate_id = after.reviewer_id();
  commit.expected_version = before.version;
  after.SerializeToString(&commit.data);
  if (!before.exists()) {
    commit.index_ops.push_back(store::IndexAdd(kReviewersIndex, after.reviewer_id(), after.reviewer_id()));
  } else {
    v1::ReviewerProfileChanged changed;
    changed.set_reviewer_id(after.reviewer_id());
    changed.set_reviewer_version(before.version + 1);
    commit.events.push_back(ctx.NewEvent(changed, kReviewerAggregate, after.reviewer_id()));
  }
  return commit;
}

}  // namespace tane::reviews
