#include "tane/reviews/storage.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "tane/store/sharded_index.h"

namespace tane::reviews {
namespace {

constexpr char kCaseCallIndex[] = "idx:case-call";
constexpr char kReviewersIndex[] = "idx:reviewers";
constexpr char kReviewerSubjectIndex[] = "idx:reviewer-subject";

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

absl::StatusOr<std::optional<std::string>> ReviewsStorage::LookupPrefix(const std::string& index,
                                                                        const std::string& key) {
  // Members are "<key>|<id>": the first member after the bare key is ours
  // when it starts with "<key>|".
  auto page = kit_.index().Page(index, key, 1);
  if (!page.ok()) return page.status();
  if (page->members.empty()) return std::optional<std::string>();
  const std::string& m = page->members.front();
  const std::string prefix = absl::StrCat(key, "|");
  if (m.compare(0, prefix.size(), prefix) != 0) return std::optional<std::string>();
  return std::optional<std::string>(std::string(store::IndexMemberId(m)));
}

absl::StatusOr<std::optional<std::string>> ReviewsStorage::CallOfCase(const std::string& case_id) {
  return LookupPrefix(kCaseCallIndex, case_id);
}

absl::StatusOr<runtime::Loaded<v1::Reviewer>> ReviewsStorage::LoadReviewer(
    const std::string& reviewer_id) {
  return runtime::LoadAggregate<v1::Reviewer>(kit_.store(), kReviewerAggregate, reviewer_id);
}

absl::StatusOr<std::optional<v1::Reviewer>> ReviewsStorage::ReviewerOfSubject(
    const std::string& subject) {
  if (subject.empty()) return std::optional<v1::Reviewer>();
  auto id = LookupPrefix(kReviewerSubjectIndex, subject);
  if (!id.ok()) return id.status();
  if (!id->has_value()) return std::optional<v1::Reviewer>();
  auto loaded = LoadReviewer(**id);
  if (!loaded.ok()) return loaded.status();
  // The index is written with the record; a record whose subject changed
  // since is not this subject's.
  if (!loaded->exists() || loaded->value.subject() != subject) return std::optional<v1::Reviewer>();
  return std::optional<v1::Reviewer>(std::move(loaded->value));
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
                                             const v1::Reviewer& after) const {
  store::Commit commit;
  commit.aggregate_type = kReviewerAggregate;
  commit.aggregate_id = after.reviewer_id();
  commit.expected_version = before.version;
  after.SerializeToString(&commit.data);
  if (!before.exists()) {
    commit.index_ops.push_back(store::IndexAdd(kReviewersIndex, after.reviewer_id(), after.reviewer_id()));
  }
  const std::string old_subject = before.exists() ? before.value.subject() : "";
  if (old_subject != after.subject()) {
    if (!old_subject.empty()) {
      commit.index_ops.push_back(store::IndexRemove(kReviewerSubjectIndex, old_subject, after.reviewer_id()));
    }
    if (!after.subject().empty()) {
      commit.index_ops.push_back(store::IndexAdd(kReviewerSubjectIndex, after.subject(), after.reviewer_id()));
    }
  }
  return commit;
}

}  // namespace tane::reviews
