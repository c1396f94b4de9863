#include "tane/reviews/decision.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "internal.h"
#include "tane/core/ids.h"
#include "tane/core/time.h"
#include "tane/reviews/cases.h"
#include "tane/reviews/scoring.h"

namespace tane::reviews {

using core::Violations;

namespace {

absl::Status CheckCaseCommand(const v1::ReviewCase& c, const std::string& case_id,
                              int64_t version, const Context& ctx) {
  if (auto s = internal::CheckActor(ctx); !s.ok()) return s;
  if (case_id != c.case_id()) {
    Violations v;
    v.Add("case_id", absl::StrCat("does not name case ", c.case_id()));
    return v.ToStatus();
  }
  return internal::CheckVersion(version, c.version(), "case", c.case_id());
}

std::string OpenReviewsMessage(const v1::ReviewCase& c, const v1::CallReview& cr) {
  const auto* sa = FindStageAssignment(c, c.stage());
  const int assigned = sa == nullptr ? 0 : sa->reviewers_size();
  const auto deadline = ReviewDeadline(cr, c.stage());
  return absl::StrCat("reviews of the ", StageName(c.stage()), " stage of case ", c.case_id(),
                      " are still open: ", CountedReviews(c, c.stage()), " of ", assigned,
                      " submitted",
                      deadline ? absl::StrCat(", deadline ", internal::FormatJst(*deadline)) : "");
}

std::string RankText(const v1::RankingEntry& e, int ranked) {
  return e.rank() > 0 ? absl::StrCat("ranked ", e.rank(), " of ", ranked) : "unranked";
}

}  // namespace

absl::StatusOr<CaseTransition> ShortlistProposal(const v1::ReviewCase& review_case,
                                                 const v1::CallReview& call_review,
                                                 std::span<const v1::ReviewCase> cases,
                                                 const v1::ShortlistProposalRequest& request,
                                                 const Context& ctx) {
  if (auto s = CheckCaseCommand(review_case, request.case_id(), request.version(), ctx); !s.ok()) {
    return s;
  }
  Violations v;
  internal::CheckText(request.note(), "note", false, true, internal::kMaxReasonChars, v);
  if (!v.empty()) return v.ToStatus();
  if (review_case.state() != v1::CASE_STATE_IN_REVIEW) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot shortlist: the case is ", CaseStateName(review_case.state())));
  }
  if (!StageReviewsClosed(review_case, call_review, ctx.now)) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot shortlist: ", OpenReviewsMessage(review_case, call_review)));
  }
  const Stage from = review_case.stage();
  if (CountedReviews(review_case, from) == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot shortlist: case ", review_case.case_id(), " has no counted review in the ",
        StageName(from), " stage"));
  }
  const v1::Ranking ranking = ComputeRanking(call_review, cases, from, ctx.now);
  const v1::RankingEntry* entry = FindEntry(ranking, review_case.case_id());

  v1::ReviewCase next = review_case;
  const Stage to = NextStage(call_review, from);
  if (to == calls::v1::REVIEW_STAGE_UNSPECIFIED) {
    next.set_state(v1::CASE_STATE_AWAITING_DECISION);
  } else {
    next.set_stage(to);
  }
  auto* s = next.add_shortlistings();
  s->set_from_stage(from);
  s->set_to_stage(to);
  if (entry != nullptr) s->set_rank(entry->rank());
  s->set_ranked_of(ranking.ranked());
  s->set_note(request.note());
  *s->mutable_shortlisted_at() = ToTimestamp(ctx.now);
  *s->mutable_shortlisted_by() = ctx.actor;

  v1::ProposalShortlisted e;
  e.set_case_id(next.case_id());
  e.set_application_id(next.application_id());
  e.set_call_id(next.call_id());
  e.set_program_id(next.program_id());
  e.set_from_stage(from);
  e.set_to_stage(to);
  e.set_rank(s->rank());
  e.set_ranked_of(s->ranked_of());
  *e.mutable_shortlisted_at() = ToTimestamp(ctx.now);
  internal::Bump(next, ctx.now);
  return CaseTransition{std::move(next), {std::move(e)}};
}

absl::Time DefaultResearchStart(const calls::v1::Application& application, absl::Time decided_at) {
  if (application.start_fiscal_year() > 0) {
    const absl::Time fy_start = core::FiscalYear(application.start_fiscal_year()).Start();
    if (fy_start > decided_at) return fy_start;
  }
  const absl::TimeZone tokyo = core::TokyoTimeZone();
  const absl::CivilMonth next_month = absl::ToCivilMonth(decided_at, tokyo) + 1;
  return absl::FromCivil(absl::CivilSecond(next_month), tokyo);
}

absl::StatusOr<CaseTransition> DecideProposal(const v1::ReviewCase& review_case,
                                              const v1::CallReview& call_review,
                                              std::span<const v1::ReviewCase> cases,
                                              const v1::DecideProposalRequest& request,
                                              const Context& ctx) {
  if (auto s = CheckCaseCommand(review_case, request.case_id(), request.version(), ctx); !s.ok()) {
    return s;
  }
  const v1::CaseState state = review_case.state();
  if (state == v1::CASE_STATE_DECIDED || state == v1::CASE_STATE_WITHDRAWN) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot decide: the case is ", CaseStateName(state)));
  }
  if (request.adopted() && state != v1::CASE_STATE_AWAITING_DECISION) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot adopt case ", review_case.case_id(), ": it is in the ",
        StageName(review_case.stage()),
        " stage; only a case shortlisted through every stage can be adopted"));
  }
  if (state == v1::CASE_STATE_IN_REVIEW && !StageReviewsClosed(review_case, call_review, ctx.now)) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot decide yet: ", OpenReviewsMessage(review_case, call_review)));
  }
  Violations v;
  internal::CheckText(request.reason(), "reason", true, true, internal::kMaxReasonChars, v);
  internal::CheckText(request.comment_to_applicant(), "comment_to_applicant", false, true,
                      internal::kMaxReasonChars, v);
  internal::CheckText(request.departure_reason(), "departure_reason", false, true,
                      internal::kMaxReasonChars, v);
  if (request.has_research_start_time()) {
    if (!request.adopted()) {
      v.Add("research_start_time", "is set only for an adoption");
    } else if (!internal::IsValidTimestamp(request.research_start_time())) {
      v.Add("research_start_time", "is not a valid timestamp");
    }
  }

  const Stage stage = review_case.stage();
  const v1::Ranking ranking = ComputeRanking(call_review, cases, stage, ctx.now);
  const v1::RankingEntry* entry = FindEntry(ranking, review_case.case_id());
  std::vector<std::string> departed, why;
  if (entry != nullptr && entry->rank() > 0) {
    for (const auto& other : cases) {
      if (other.case_id() == review_case.case_id() || other.call_id() != review_case.call_id() ||
          other.state() != v1::CASE_STATE_DECIDED || other.decision().stage() != stage) {
        continue;
      }
      const v1::RankingEntry* o = FindEntry(ranking, other.case_id());
      if (o == nullptr) continue;
      const bool departs = request.adopted()
                               ? !other.decision().adopted() && RanksAbove(*o, *entry)
                               : other.decision().adopted() && RanksAbove(*entry, *o);
      if (!departs) continue;
      departed.push_back(other.case_id());
      why.push_back(absl::StrCat("application ", other.application_id(), " (",
                                 RankText(*o, ranking.ranked()), ") was ",
                                 other.decision().adopted() ? "adopted" : "rejected"));
    }
  }
  if (!departed.empty() && absl::StripAsciiWhitespace(request.departure_reason()).empty()) {
    v.Add("departure_reason",
          absl::StrCat("is required: ", request.adopted() ? "adopting" : "rejecting",
                       " application ", review_case.application_id(), " (",
                       RankText(*entry, ranking.ranked()), ") departs from the ranking: ",
                       absl::StrJoin(why, "; ")));
  }
  if (!v.empty()) return v.ToStatus("invalid decision");

  v1::ReviewCase next = review_case;
  next.set_state(v1::CASE_STATE_DECIDED);
  v1::Decision* d = next.mutable_decision();
  d->set_decision_id(core::NameUuid(kDecisionIdNamespace, review_case.case_id()));
  d->set_adopted(request.adopted());
  d->set_reason(request.reason());
  d->set_comment_to_applicant(request.comment_to_applicant());
  d->set_stage(stage);
  if (entry != nullptr) d->set_rank(entry->rank());
  d->set_ranked_of(ranking.ranked());
  d->set_departs_from_ranking(!departed.empty());
  if (!departed.empty()) {
    d->set_departure_reason(request.departure_reason());
    for (auto& id : departed) d->add_departed_from_case_ids(id);
  }
  if (request.adopted()) {
    *d->mutable_research_start_time() =
        request.has_research_start_time()
            ? request.research_start_time()
            : ToTimestamp(DefaultResearchStart(review_case.application(), ctx.now));
  }
  *d->mutable_decided_at() = ToTimestamp(ctx.now);
  *d->mutable_decided_by() = ctx.actor;

  v1::ProposalDecided e;
  e.set_decision_id(d->decision_id());
  e.set_case_id(next.case_id());
  e.set_application_id(next.application_id());
  e.set_call_id(next.call_id());
  e.set_program_id(next.program_id());
  e.set_research_area_id(next.research_area_id());
  e.set_call_fiscal_year(next.call_fiscal_year());
  e.set_adopted(d->adopted());
  e.set_reason(d->reason());
  e.set_departs_from_ranking(d->departs_from_ranking());
  e.set_departure_reason(d->departure_reason());
  e.set_stage(stage);
  e.set_rank(d->rank());
  e.set_ranked_of(d->ranked_of());
  e.set_joint_call(!next.partner_agency().empty());
  e.set_partner_agency(next.partner_agency());
  e.set_joint_proposal_id(next.application().joint_proposal_id());
  *e.mutable_application() = next.application();
  if (d->has_research_start_time()) *e.mutable_research_start_time() = d->research_start_time();
  *e.mutable_decided_at() = d->decided_at();
  *e.mutable_decided_by() = d->decided_by();
  internal::Bump(next, ctx.now);
  return CaseTransition{std::move(next), {std::move(e)}};
}

int RankBandPercent(int rank, int ranked, std::span<const int> bands) {
  if (rank <= 0 || ranked <= 0) return 0;
  for (int b : bands) {
    const int64_t within = (int64_t{ranked} * b + 99) / 100;  // ceil(ranked × b / 100)
    if (rank <= within) return b;
  }
  return 100;
}

absl::StatusOr<v1::Feedback> BuildFeedback(const v1::ReviewCase& review_case,
                                           const ReviewRules& rules) {
  if (review_case.state() != v1::CASE_STATE_DECIDED) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no feedback yet: application ", review_case.application_id(), " is ",
        CaseStateName(review_case.state())));
  }
  const v1::Decision& d = review_case.decision();
  v1::Feedback f;
  f.set_application_id(review_case.application_id());
  f.set_call_id(review_case.call_id());
  f.set_adopted(d.adopted());
  f.set_stage_reached(d.stage());
  f.set_comment_from_program_officer(d.comment_to_applicant());
  *f.mutable_decided_at() = d.decided_at();

  const auto stage_order = [&](int stage) {
    const auto it = std::find(rules.stages.begin(), rules.stages.end(), stage);
    return it == rules.stages.end() ? static_cast<int>(rules.stages.size()) + stage
                                    : static_cast<int>(it - rules.stages.begin());
  };
  struct Item {
    int order;
    std::string key;
    const v1::Review* review;
  };
  std::vector<Item> items;
  for (const auto& r : review_case.reviews()) {
    if (!r.counted() || absl::StripAsciiWhitespace(r.comment_to_applicant()).empty()) continue;
    // A keyed hash: the order says nothing about who wrote what.
    items.push_back({stage_order(r.stage()),
                     core::NameUuid(review_case.case_id(), r.reviewer_id()), &r});
  }
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    return a.order != b.order ? a.order < b.order : a.key < b.key;
  });
  int label = 0;
  int last_stage = -1;
  for (const auto& it : items) {
    if (it.review->stage() != last_stage) {
      label = 0;
      last_stage = it.review->stage();
    }
    auto* c = f.add_comments();
    c->set_label(absl::StrCat("Reviewer ", ++label));
    c->set_stage(it.review->stage());
    c->set_comment(it.review->comment_to_applicant());
  }

  if (!d.adopted()) {
    const int pct = RankBandPercent(d.rank(), d.ranked_of(), rules.rank_bands);
    if (pct > 0) {
      auto* band = f.mutable_rank_band();
      band->set_within_top_percent(pct);
      band->set_stage(d.stage());
      const auto it = std::find(rules.rank_bands.begin(), rules.rank_bands.end(), pct);
      if (pct == 100 && it != rules.rank_bands.begin()) {
        const int above = *(it - 1);
        band->set_label_ja(absl::StrCat("上位", above, "%より下"));
        band->set_label_en(absl::StrCat("below the top ", above, "%"));
      } else {
        band->set_label_ja(absl::StrCat("上位", pct, "%"));
        band->set_label_en(absl::StrCat("top ", pct, "%"));
      }
    }
  }
  return f;
}

}  // namespace tane::reviews
