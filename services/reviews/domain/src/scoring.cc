#include "tane/reviews/scoring.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "internal.h"
#include "tane/reviews/cases.h"
#include "tane/reviews/visibility.h"

namespace tane::reviews {

using core::Violations;
using i128 = __int128;
using u128 = unsigned __int128;

namespace {

constexpr int kMinOwnReviewsForZ = 3;
constexpr int64_t kMicro = 1'000'000;

int64_t FloorDiv(i128 a, i128 b) {
  i128 q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return static_cast<int64_t>(q);
}

struct Moments {
  int64_t n = 0;
  int64_t s = 0;
  int64_t q = 0;
  void Add(int64_t x) {
    ++n;
    s += x;
    q += x * x;
  }
  // n·q − s², n² times the population variance.
  i128 Spread() const { return i128{n} * q - i128{s} * s; }
};

}  // namespace

u128 IntegerSqrt(u128 v) {
  if (v < 2) return v;
  // Newton's method from a power of two at or above the root.
  int bits = 0;
  for (u128 t = v; t > 0; t >>= 1) ++bits;
  u128 x = u128{1} << ((bits + 1) / 2);
  while (true) {
    const u128 y = (x + v / x) / 2;
    if (y >= x) return x;
    x = y;
  }
}

int64_t ZScoreMicro(int64_t n, int64_t s, int64_t q, int64_t x) {
  if (n < 1) return 0;
  const i128 spread = i128{n} * q - i128{s} * s;
  if (spread <= 0) return 0;
  // z·10^6 = a / √spread with a = (n·x − s)·10^6. For k >= 0,
  // k <= |a| / √spread  ⟺  k²·spread <= a², so floor(|a| / √spread) is the
  // integer square root of floor(a² / spread): exact, no rounded root.
  const i128 a = (i128{n} * x - s) * kMicro;
  const u128 abs_a = static_cast<u128>(a < 0 ? -a : a);
  const u128 square = abs_a * abs_a;
  const u128 d = static_cast<u128>(spread);
  const u128 k = IntegerSqrt(square / d);
  if (a >= 0) return static_cast<int64_t>(k);
  const bool exact = k * k * d == square;
  return -static_cast<int64_t>(k) - (exact ? 0 : 1);
}

void CollectReviewViolations(const v1::SubmitReviewRequest& request, const v1::ReviewForm& form,
                             Violations& v) {
  std::map<std::string, const v1::Criterion*> criteria;
  for (const auto& c : form.criteria()) criteria[c.criterion_id()] = &c;
  std::set<std::string> scored;
  for (int i = 0; i < request.scores_size(); ++i) {
    const auto& s = request.scores(i);
    const std::string field = absl::StrCat("scores[", i, "]");
    const auto it = criteria.find(s.criterion_id());
    if (it == criteria.end()) {
      v.Add(field + ".criterion_id",
            absl::StrCat("\"", s.criterion_id(), "\" is not a criterion of this form"));
      continue;
    }
    if (!scored.insert(s.criterion_id()).second) {
      v.Add(field + ".criterion_id", absl::StrCat("\"", s.criterion_id(), "\" is scored twice"));
      continue;
    }
    const auto& c = *it->second;
    if (s.score() < c.min_score() || s.score() > c.max_score()) {
      v.Add(field + ".score", absl::StrCat(c.name_en(), " is scored ", c.min_score(), "–",
                                           c.max_score(), ", not ", s.score()));
    }
  }
  for (const auto& c : form.criteria()) {
    if (!scored.contains(c.criterion_id())) {
      v.Add("scores", absl::StrCat("criterion \"", c.criterion_id(), "\" (", c.name_en(),
                                   ") is not scored"));
    }
  }
  if (request.overall_score() < form.overall_min() || request.overall_score() > form.overall_max()) {
    v.Add("overall_score", absl::StrCat("must be ", form.overall_min(), "–", form.overall_max(),
                                        ", not ", request.overall_score()));
  }
  internal::CheckText(request.comment_to_applicant(), "comment_to_applicant",
                      form.comment_to_applicant_required(), true, form.max_comment_chars(), v);
  internal::CheckText(request.confidential_comment(), "confidential_comment", false, true,
                      form.max_comment_chars(), v);
}

absl::StatusOr<CaseTransition> SubmitReview(const v1::ReviewCase& review_case,
                                            const v1::CallReview& call_review,
                                            const v1::Reviewer& reviewer,
                                            const v1::SubmitReviewRequest& request,
                                            const Context& ctx) {
  if (auto s = internal::CheckActor(ctx); !s.ok()) return s;
  if (request.case_id() != review_case.case_id() ||
      !ReviewerMaySee(review_case, call_review, reviewer, ctx.now)) {
    return absl::NotFoundError(absl::StrCat("no case ", request.case_id()));
  }
  const Stage stage = review_case.stage();
  if (review_case.state() != v1::CASE_STATE_IN_REVIEW) {
    return absl::FailedPreconditionError(absl::StrCat(
        "reviews of case ", review_case.case_id(), " are closed: it is ",
        CaseStateName(review_case.state())));
  }
  const auto* sa = FindStageAssignment(review_case, stage);
  if (sa == nullptr || std::none_of(sa->reviewers().begin(), sa->reviewers().end(),
                                    [&](const v1::AssignedReviewer& r) {
                                      return r.reviewer_id() == reviewer.reviewer_id();
                                    })) {
    return absl::FailedPreconditionError(absl::StrCat(
        "you are not a reviewer of the ", StageName(stage), " stage of case ",
        review_case.case_id()));
  }
  const auto deadline = ReviewDeadline(call_review, stage);
  if (!deadline) {
    return absl::FailedPreconditionError(
        absl::StrCat("the ", StageName(stage), " stage has no review deadline yet"));
  }
  if (ctx.now >= *deadline) {
    return absl::FailedPreconditionError(absl::StrCat(
        "reviews of the ", StageName(stage), " stage are locked since ",
        internal::FormatJst(*deadline)));
  }
  if (auto s = internal::CheckVersion(request.version(), review_case.version(), "case",
                                      review_case.case_id());
      !s.ok()) {
    return s;
  }
  Violations v;
  CollectReviewViolations(request, ctx.rules.FormFor(stage), v);
  if (!v.empty()) return v.ToStatus("invalid review");

  v1::ReviewCase next = review_case;
  v1::Review* review = internal::MutableReview(next, stage, reviewer.reviewer_id());
  if (review == nullptr) {
    review = next.add_reviews();
    review->set_case_id(next.case_id());
    review->set_reviewer_id(reviewer.reviewer_id());
    review->set_stage(stage);
    *review->mutable_first_submitted_at() = ToTimestamp(ctx.now);
  }
  *review->mutable_scores() = request.scores();
  review->set_overall_score(request.overall_score());
  review->set_comment_to_applicant(request.comment_to_applicant());
  review->set_confidential_comment(request.confidential_comment());
  review->set_revision(review->revision() + 1);
  *review->mutable_submitted_at() = ToTimestamp(ctx.now);
  review->set_counted(true);

  v1::ReviewSubmitted e;
  e.set_case_id(next.case_id());
  e.set_application_id(next.application_id());
  e.set_call_id(next.call_id());
  e.set_stage(stage);
  e.set_reviewer_id(reviewer.reviewer_id());
  e.set_revision(review->revision());
  e.set_overall_score(review->overall_score());
  *e.mutable_submitted_at() = ToTimestamp(ctx.now);
  e.set_counted_reviews(CountedReviews(next, stage));
  e.set_required_reviews(sa->required_reviewers());
  internal::Bump(next, ctx.now);
  return CaseTransition{std::move(next), {std::move(e)}};
}

v1::Ranking ComputeRanking(const v1::CallReview& call_review,
                           std::span<const v1::ReviewCase> cases, Stage stage, absl::Time now) {
  stage = internal::ResolveStage(call_review, stage);
  v1::Ranking ranking;
  ranking.set_call_id(call_review.call_id());
  ranking.set_stage(stage);
  *ranking.mutable_computed_at() = ToTimestamp(now);

  std::vector<const v1::ReviewCase*> reached;
  for (const auto& c : cases) {
    if (c.call_id() != call_review.call_id() || c.state() == v1::CASE_STATE_WITHDRAWN) continue;
    if (c.stage() == stage || FindStageAssignment(c, stage) != nullptr) reached.push_back(&c);
  }
  Moments pooled;
  absl::flat_hash_map<std::string, Moments> by_reviewer;
  for (const auto* c : reached) {
    for (const auto& r : c->reviews()) {
      if (r.stage() != stage || !r.counted()) continue;
      pooled.Add(r.overall_score());
      by_reviewer[r.reviewer_id()].Add(r.overall_score());
    }
  }
  const auto normalised = [&](const v1::Review& r) {
    const Moments& own = by_reviewer[r.reviewer_id()];
    const Moments& ref = own.n >= kMinOwnReviewsForZ && own.Spread() > 0 ? own : pooled;
    return ZScoreMicro(ref.n, ref.s, ref.q, r.overall_score());
  };

  std::vector<v1::RankingEntry> ranked, unranked;
  for (const auto* c : reached) {
    v1::RankingEntry e;
    e.set_case_id(c->case_id());
    e.set_application_id(c->application_id());
    e.set_title_ja(c->application().title_ja());
    e.set_title_en(c->application().title_en());
    e.set_state(c->state());
    if (const auto* sa = FindStageAssignment(*c, stage)) {
      e.set_required_reviews(sa->required_reviewers());
    }
    if (c->state() == v1::CASE_STATE_DECIDED) e.set_adopted(c->decision().adopted());
    Moments raw;
    i128 z_sum = 0;
    int64_t z_min = 0, z_max = 0;
    for (const auto& r : c->reviews()) {
      if (r.stage() != stage || !r.counted()) continue;
      const int64_t z = normalised(r);
      z_min = raw.n == 0 ? z : std::min(z_min, z);
      z_max = raw.n == 0 ? z : std::max(z_max, z);
      z_sum += z;
      raw.Add(r.overall_score());
      e.set_min_overall(raw.n == 1 ? r.overall_score() : std::min(e.min_overall(), r.overall_score()));
      e.set_max_overall(raw.n == 1 ? r.overall_score() : std::max(e.max_overall(), r.overall_score()));
    }
    e.set_counted_reviews(static_cast<int>(raw.n));
    if (raw.n == 0) {
      unranked.push_back(std::move(e));
      continue;
    }
    e.set_mean_normalized_micro(FloorDiv(z_sum, raw.n));
    e.set_min_normalized_micro(z_min);
    e.set_max_normalized_micro(z_max);
    e.set_mean_overall_milli(FloorDiv(i128{raw.s} * 1000, raw.n));
    e.set_stddev_overall_milli(static_cast<int64_t>(
        IntegerSqrt(static_cast<u128>(raw.Spread()) * kMicro) / static_cast<u128>(raw.n)));
    ranked.push_back(std::move(e));
  }
  std::sort(ranked.begin(), ranked.end(), [](const v1::RankingEntry& a, const v1::RankingEntry& b) {
    if (a.mean_normalized_micro() != b.mean_normalized_micro()) {
      return a.mean_normalized_micro() > b.mean_normalized_micro();
    }
    if (a.mean_overall_milli() != b.mean_overall_milli()) {
      return a.mean_overall_milli() > b.mean_overall_milli();
    }
    return a.application_id() < b.application_id();
  });
  for (size_t i = 0; i < ranked.size(); ++i) {
    const bool tied = i > 0 && !RanksAbove(ranked[i - 1], ranked[i]);
    ranked[i].set_rank(tied ? ranked[i - 1].rank() : static_cast<int>(i + 1));
  }
  std::sort(unranked.begin(), unranked.end(), [](const auto& a, const auto& b) {
    return a.application_id() < b.application_id();
  });
  ranking.set_ranked(static_cast<int>(ranked.size()));
  for (auto& e : ranked) *ranking.add_entries() = std::move(e);
  for (auto& e : unranked) *ranking.add_entries() = std::move(e);
  return ranking;
}

const v1::RankingEntry* FindEntry(const v1::Ranking& ranking, const std::string& case_id) {
  for (const auto& e : ranking.entries()) {
    if (e.case_id() == case_id) return &e;
  }
  return nullptr;
}

bool RanksAbove(const v1::RankingEntry& a, const v1::RankingEntry& b) {
  if (a.counted_reviews() == 0 || b.counted_reviews() == 0) return false;
  if (a.mean_normalized_micro() != b.mean_normalized_micro()) {
    return a.mean_normalized_micro() > b.mean_normalized_micro();
  }
  return a.mean_overall_milli() > b.mean_overall_milli();
}

}  // namespace tane::reviews
