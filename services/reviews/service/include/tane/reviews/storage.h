#pragma once
/// How the reviews service keeps its state in Redis (through the ServiceKit's
/// AggregateStore), so that a command over a whole call — an assignment run,
/// a recusal that refills from the call's loads — commits in one script.
///
/// A call is the unit of consistency. Everything of call C lives in C's shard
/// S = shard(call_id):
///
///   {reviews:S}:agg:call_review:<C>        the versioned aggregate (CallReview);
///                                          its version is the lock of the call
///   {reviews:S}:case:<case_id>             each ReviewCase (serialized), written
///                                          by the same commit as the call review
///   {reviews:S}:idx:call-cases:<C>         "<application_id>|<case_id>"
///   {reviews:S}:idx:case-call              "<case_id>|<C>" (case → call lookup)
///   {reviews:S}:idx:reviewer-calls:<R>     "<C>|<C>" for each call reviewer R
///                                          was ever assigned in
///   {reviews:S}:outbox                     events, keyed by case_id on Kafka
///
/// Every change to a call's cases bumps the call review's store version, so
/// concurrent commands on one call serialise (ABORTED and retried by
/// runtime::RunCommand / the consumer). Reviewers are aggregates of their own
/// ({reviews:shard(R)}:agg:reviewer:<R>) with the index idx:reviewers
/// ("<R>|<R>").
///
/// A gateway subject names at most one reviewer record. The claim on it is an
/// aggregate of its own, {reviews:shard(subject)}:agg:reviewer_subject:<subject>,
/// holding "<R>|<n>|<t>": reviewer R claimed it at t (unix seconds, the
/// service clock) for its commit that makes R version n. It lives in another
/// slot than R's record, so no one script can write both; instead the claim is
/// written (optimistic, on its version) before R's commit, and R's own version
/// fences it: the claim is live while R's record names the subject, or while
/// R's version is below n (that commit may still land) and the claim is not
/// older than kSubjectClaimGrace; once R has passed version n without naming
/// it, or that commit has not landed within the grace period (the process
/// stopped between the claim and the commit), the claim is stale and another
/// reviewer may take it. Two registrations of one subject therefore never both
/// succeed, unless a commit lands more than the grace period after its claim.
/// Claims written before the time was recorded ("<R>|<n>") count as claimed
/// at time 0.
///
/// Thread-safe (the kit's pool and store are).

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tane/reviews/rules.h"
#include "tane/runtime/service_kit.h"
#include "tane/store/aggregate_store.h"

namespace tane::reviews {

inline constexpr char kCallReviewAggregate[] = "call_review";
inline constexpr char kReviewerAggregate[] = "reviewer";
inline constexpr char kSubjectClaimAggregate[] = "reviewer_subject";
/// How long a claim whose commit has not landed keeps its subject. Far longer
/// than a registration takes from its claim to its commit (a few Redis round
/// trips), short enough that a person whose registration died
/// half-way can be registered again soon.
inline constexpr absl::Duration kSubjectClaimGrace = absl::Minutes(2);

/// Which of a call's cases to load with its call review.
struct CaseSelection {
  enum class Kind { kNone, kOne, kAll };
  Kind kind = Kind::kAll;
  std::string case_id;  // kOne
  static CaseSelection None() { return {Kind::kNone, ""}; }
  static CaseSelection One(std::string id) { return {Kind::kOne, std::move(id)}; }
  static CaseSelection All() { return {Kind::kAll, ""}; }
};

/// One call as loaded for a command or a query.
struct CallData {
  runtime::Loaded<v1::CallReview> review;  // version 0: no call review yet
  /// The cases selected (a kOne selection of an unknown case gives none).
  std::vector<v1::ReviewCase> cases;
};

class ReviewsStorage final {
 public:
  explicit ReviewsStorage(runtime::ServiceKit& kit) : kit_(kit) {}

  /// The call review and the selected cases. UNAVAILABLE when Redis is
  /// unreachable; INTERNAL for unparsable data.
  absl::StatusOr<CallData> LoadCall(const std::string& call_id, const CaseSelection& cases);
  /// The call a case belongs to; nullopt for an unknown case.
  absl::StatusOr<std::optional<std::string>> CallOfCase(const std::string& case_id);

  absl::StatusOr<runtime::Loaded<v1::Reviewer>> LoadReviewer(const std::string& reviewer_id);
  /// The reviewer whose record names this gateway subject (exactly); nullopt
  /// if none.
  absl::StatusOr<std::optional<v1::Reviewer>> ReviewerOfSubject(const std::string& subject);
  /// Claims `subject` for `reviewer_id`'s commit that will make the record
  /// version `next_version` (see the layout above); call it before that
  /// commit, with the version the commit expects plus one. Idempotent for the
  /// same reviewer (a repeat renews the claim's time). ALREADY_EXISTS when
  /// another reviewer holds a live claim (the kit's clock judges its age);
  /// ABORTED when the claim kept changing; UNAVAILABLE when Redis is down.
  absl::Status ClaimSubject(const std::string& subject, const std::string& reviewer_id,
                            int64_t next_version);
  /// The whole pool, ordered by reviewer_id.
  absl::StatusOr<std::vector<v1::Reviewer>> LoadPool();
  /// Calls the reviewer has (had) assignments in.
  absl::StatusOr<std::vector<std::string>> CallsOfReviewer(const std::string& reviewer_id);

  /// The commit of `t` over `before`: the call review (new, or unchanged but
  /// re-versioned), every changed case, their index entries and events
  /// (envelopes built by `ctx`, aggregate "review_case", version = the case's).
  /// INVALID_ARGUMENT when the call review neither exists nor is created.
  absl::StatusOr<store::Commit> CallCommit(const CallData& before, const CallTransition& t,
                                           const runtime::RequestContext& ctx) const;

  /// The commit of a reviewer record, with its index entry; a change to an
  /// existing record also emits ReviewerProfileChanged (envelope by `ctx`),
  /// which drives the recusals the change calls for.
  store::Commit ReviewerCommit(const runtime::Loaded<v1::Reviewer>& before,
                               const v1::Reviewer& after,
                               const runtime::RequestContext& ctx) const;

 private:
  /// The id of the member "<key>|<id>" of `index`: exactly `key`, never a
  /// longer key that starts with it. `key` must not contain '|'.
  absl::StatusOr<std::optional<std::string>> LookupExact(const std::string& index,
                                                         const std::string& key);

  runtime::ServiceKit& kit_;
};

}  // namespace tane::reviews
