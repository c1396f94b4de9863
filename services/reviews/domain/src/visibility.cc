#include "tane/reviews/visibility.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "internal.h"
#include "tane/reviews/assignment/affinity.h"
#include "tane/reviews/cases.h"
#include "tane/reviews/decision.h"
#include "tane/reviews/scoring.h"

namespace tane::reviews {

using core::Violations;

namespace {

constexpr char kTokenPrefix[] = "p1:";

bool IsPartnerOf(const common::v1::Actor& actor, const std::string& partner_agency) {
  return actor.role() == "partner" && !actor.agency().empty() && actor.agency() == partner_agency;
}

void RedactForReviewer(v1::ReviewCase& c, const std::string& reviewer_id) {
  for (auto& sa : *c.mutable_assignments()) {
    auto* rs = sa.mutable_reviewers();
    rs->erase(std::remove_if(rs->begin(), rs->end(),
                             [&](const v1::AssignedReviewer& r) { return r.reviewer_id() != reviewer_id; }),
              rs->end());
    sa.clear_shortfall();
  }
  auto* reviews = c.mutable_reviews();
  reviews->erase(std::remove_if(reviews->begin(), reviews->end(),
                                [&](const v1::Review& r) { return r.reviewer_id() != reviewer_id; }),
                 reviews->end());
  c.clear_pair_rules();
  c.clear_conflicts();
  c.clear_assignment_history();
  c.clear_shortlistings();
  c.clear_decision();
  c.mutable_application()->clear_applicant_subject();
}

void RedactForPartner(v1::ReviewCase& c) {
  for (auto& sa : *c.mutable_assignments()) sa.clear_reviewers();
  for (auto& r : *c.mutable_reviews()) {
    r.clear_reviewer_id();
    r.clear_confidential_comment();
  }
  c.clear_pair_rules();
  c.clear_conflicts();
  c.clear_assignment_history();
  for (auto& s : *c.mutable_shortlistings()) s.clear_shortlisted_by();
  auto* d = c.mutable_decision();
  d->clear_reason();
  d->clear_departure_reason();
  d->clear_departed_from_case_ids();
  d->clear_decided_by();
  c.mutable_application()->clear_applicant_subject();
}

// Call-level access (rankings, case lists): staff, or the partner of a joint call.
absl::Status CheckCallAccess(const v1::CallReview& cr, const Viewer& viewer) {
  if (IsStaff(viewer.actor) || IsPartnerOf(viewer.actor, cr.partner_agency())) {
    return absl::OkStatus();
  }
  if (viewer.actor.role() == "partner") {
    return absl::NotFoundError(absl::StrCat("no call review ", cr.call_id()));
  }
  return absl::PermissionDeniedError(
      absl::StrCat("role ", viewer.actor.role(), " may not see a call's review"));
}

// Items sorted by key; returns one page and the token of the next.
template <typename T, typename KeyFn>
absl::Status Page(const std::vector<T>& sorted, int page_size, const std::string& token, KeyFn key,
                  google::protobuf::RepeatedPtrField<T>* out, std::string* next_token) {
  Violations v;
  if (page_size < 0) v.Add("page_size", "must not be negative");
  if (!token.empty() && !absl::StartsWith(token, kTokenPrefix)) {
    v.Add("page_token", "is not a token this service issued");
  }
  if (!v.empty()) return v.ToStatus();
  const int size = page_size == 0 ? kDefaultPageSize : std::min(page_size, kMaxPageSize);
  const std::string after = token.empty() ? "" : token.substr(sizeof(kTokenPrefix) - 1);
  for (const T& item : sorted) {
    if (!token.empty() && key(item) <= after) continue;
    if (out->size() == size) {
      *next_token = absl::StrCat(kTokenPrefix, key(out->at(out->size() - 1)));
      break;
    }
    *out->Add() = item;
  }
  return absl::OkStatus();
}

}  // namespace

bool IsStaff(const common::v1::Actor& actor) {
  return actor.role() == "program_officer" || actor.role() == "operator" ||
         actor.role() == "auditor";
}

bool MaySeeConfidential(const common::v1::Actor& actor) { return IsStaff(actor); }

bool ReviewerMaySee(const v1::ReviewCase& review_case, const v1::CallReview& call_review,
                    const v1::Reviewer& reviewer, absl::Time now) {
  return review_case.state() != v1::CASE_STATE_WITHDRAWN &&
         IsAssigned(review_case, reviewer.reviewer_id()) &&
         ConflictsOf(review_case, reviewer, call_review, now).empty();
}

absl::StatusOr<v1::ReviewCase> ViewCase(const v1::ReviewCase& review_case,
                                        const v1::CallReview& call_review, const Viewer& viewer,
                                        absl::Time now) {
  const auto& role = viewer.actor.role();
  if (IsStaff(viewer.actor)) return review_case;
  const auto not_found = absl::NotFoundError(absl::StrCat("no case ", review_case.case_id()));
  if (role == "reviewer") {
    if (viewer.reviewer == nullptr ||
        !ReviewerMaySee(review_case, call_review, *viewer.reviewer, now)) {
      return not_found;
    }
    v1::ReviewCase view = review_case;
    RedactForReviewer(view, viewer.reviewer->reviewer_id());
    return view;
  }
  if (role == "partner") {
    if (!IsPartnerOf(viewer.actor, review_case.partner_agency())) return not_found;
    v1::ReviewCase view = review_case;
    RedactForPartner(view);
    return view;
  }
  return absl::PermissionDeniedError(absl::StrCat("role ", role, " may not see review cases"));
}

absl::StatusOr<v1::Reviewer> ViewReviewer(const v1::Reviewer& reviewer, const Viewer& viewer) {
  if (IsStaff(viewer.actor)) return reviewer;
  if (viewer.actor.role() == "reviewer") {
    if (!reviewer.subject().empty() && reviewer.subject() == viewer.actor.subject()) return reviewer;
    return absl::NotFoundError(absl::StrCat("no reviewer ", reviewer.reviewer_id()));
  }
  return absl::PermissionDeniedError(
      absl::StrCat("role ", viewer.actor.role(), " may not see reviewer records"));
}

absl::StatusOr<v1::Review> ViewMyReview(const v1::ReviewCase& review_case,
                                        const v1::CallReview& call_review,
                                        const v1::Reviewer& reviewer, absl::Time now) {
  if (!ReviewerMaySee(review_case, call_review, reviewer, now)) {
    return absl::NotFoundError(absl::StrCat("no case ", review_case.case_id()));
  }
  const v1::Review* review =
      internal::FindReview(review_case, review_case.stage(), reviewer.reviewer_id());
  if (review == nullptr) {
    return absl::NotFoundError(absl::StrCat("no review of the ", StageName(review_case.stage()),
                                            " stage submitted yet"));
  }
  return *review;
}

absl::StatusOr<v1::Feedback> ViewFeedback(const v1::ReviewCase& review_case,
                                          const ReviewRules& rules, const Viewer& viewer) {
  if (viewer.actor.role() == "applicant") {
    const auto& owner = review_case.application().applicant_subject();
    if (owner.empty() || owner != viewer.actor.subject()) {
      return absl::NotFoundError(
          absl::StrCat("no application ", review_case.application_id()));
    }
  } else if (!IsStaff(viewer.actor)) {
    return absl::PermissionDeniedError(
        absl::StrCat("role ", viewer.actor.role(), " may not see feedback"));
  }
  return BuildFeedback(review_case, rules);
}

absl::StatusOr<v1::Ranking> ViewRanking(const v1::CallReview& call_review,
                                        std::span<const v1::ReviewCase> cases, Stage stage,
                                        const Viewer& viewer, absl::Time now) {
  if (auto s = CheckCallAccess(call_review, viewer); !s.ok()) return s;
  if (stage != calls::v1::REVIEW_STAGE_UNSPECIFIED && internal::StageIndex(call_review, stage) < 0) {
    Violations v;
    v.Add("stage", absl::StrCat("call ", call_review.call_id(), " has no ", StageName(stage),
                                " stage"));
    return v.ToStatus();
  }
  return ComputeRanking(call_review, cases, stage, now);
}

absl::StatusOr<v1::ListReviewCasesResponse> ListReviewCases(
    const v1::CallReview& call_review, std::span<const v1::ReviewCase> cases,
    const v1::ListReviewCasesRequest& request, const Viewer& viewer, absl::Time now) {
  if (auto s = CheckCallAccess(call_review, viewer); !s.ok()) return s;
  std::vector<v1::ReviewCase> matching;
  for (const auto& c : cases) {
    if (c.call_id() != call_review.call_id()) continue;
    if (request.state() != v1::CASE_STATE_UNSPECIFIED && c.state() != request.state()) continue;
    if (request.stage() != calls::v1::REVIEW_STAGE_UNSPECIFIED && c.stage() != request.stage()) {
      continue;
    }
    if (!request.review_section().empty() &&
        c.application().review_section() != request.review_section()) {
      continue;
    }
    if (request.short_of_reviewers_only()) {
      const auto* sa = FindStageAssignment(c, c.stage());
      if (c.state() != v1::CASE_STATE_IN_REVIEW || sa == nullptr || !sa->has_shortfall()) continue;
    }
    auto view = ViewCase(c, call_review, viewer, now);
    if (!view.ok()) return view.status();
    matching.push_back(std::move(*view));
  }
  std::sort(matching.begin(), matching.end(), [](const auto& a, const auto& b) {
    return a.application_id() < b.application_id();
  });
  v1::ListReviewCasesResponse out;
  if (auto s = Page(
          matching, request.page_size(), request.page_token(),
          [](const v1::ReviewCase& c) { return c.application_id(); }, out.mutable_review_cases(),
          out.mutable_next_page_token());
      !s.ok()) {
    return s;
  }
  return out;
}

const v1::CallReview* CallReviews::Find(const std::string& call_id) const {
  for (const auto& cr : items) {
    if (cr.call_id() == call_id) return &cr;
  }
  return nullptr;
}

absl::StatusOr<v1::ListMyReviewAssignmentsResponse> ListMyReviewAssignments(
    const CallReviews& call_reviews, std::span<const v1::ReviewCase> cases,
    const v1::Reviewer& reviewer, const v1::ListMyReviewAssignmentsRequest& request,
    absl::Time now) {
  std::vector<v1::AssignmentSummary> items;
  for (const auto& c : cases) {
    if (!request.call_id().empty() && c.call_id() != request.call_id()) continue;
    const v1::CallReview* cr = call_reviews.Find(c.call_id());
    if (cr == nullptr || !ReviewerMaySee(c, *cr, reviewer, now)) continue;
    // The latest stage they review.
    Stage stage = calls::v1::REVIEW_STAGE_UNSPECIFIED;
    for (const auto& sa : c.assignments()) {
      for (const auto& r : sa.reviewers()) {
        if (r.reviewer_id() == reviewer.reviewer_id()) stage = sa.stage();
      }
    }
    v1::AssignmentSummary s;
    s.set_case_id(c.case_id());
    s.set_application_id(c.application_id());
    s.set_call_id(c.call_id());
    s.set_program_id(c.program_id());
    s.set_stage(stage);
    s.set_title_ja(c.application().title_ja());
    s.set_title_en(c.application().title_en());
    s.set_review_section(c.application().review_section());
    const auto deadline = ReviewDeadline(*cr, stage);
    if (deadline) *s.mutable_review_deadline() = ToTimestamp(*deadline);
    if (const auto* review = internal::FindReview(c, stage, reviewer.reviewer_id())) {
      s.set_my_review_revision(review->revision());
    }
    s.set_locked((deadline && now >= *deadline) || c.state() != v1::CASE_STATE_IN_REVIEW ||
                 c.stage() != stage);
    items.push_back(std::move(s));
  }
  // Latest deadline first: the key inverts the deadline's seconds.
  constexpr int64_t kLatest = 1'000'000'000'000'000;
  const auto key = [&](const v1::AssignmentSummary& s) {
    const int64_t secs = std::clamp<int64_t>(
        s.has_review_deadline() ? s.review_deadline().seconds() : 0, 0, kLatest);
    return absl::StrFormat("%016d/%s", kLatest - secs, s.case_id());
  };
  std::sort(items.begin(), items.end(),
            [&](const auto& a, const auto& b) { return key(a) < key(b); });
  v1::ListMyReviewAssignmentsResponse out;
  if (auto s = Page(items, request.page_size(), request.page_token(), key,
                    out.mutable_assignments(), out.mutable_next_page_token());
      !s.ok()) {
    return s;
  }
  return out;
}

absl::StatusOr<v1::ListReviewersResponse> ListReviewers(std::span<const v1::Reviewer> reviewers,
                                                        const v1::ListReviewersRequest& request,
                                                        const Viewer& viewer) {
  if (!IsStaff(viewer.actor)) {
    return absl::PermissionDeniedError(
        absl::StrCat("role ", viewer.actor.role(), " may not list reviewers"));
  }
  const std::string keyword =
      request.keyword().empty() ? "" : assignment::NormalizeKeyword(request.keyword());
  std::vector<v1::Reviewer> matching;
  for (const auto& r : reviewers) {
    if (request.exclude_suspended() && r.suspended()) continue;
    if (!request.review_section().empty() &&
        std::find(r.review_sections().begin(), r.review_sections().end(),
                  request.review_section()) == r.review_sections().end()) {
      continue;
    }
    if (!keyword.empty() &&
        std::none_of(r.keywords().begin(), r.keywords().end(), [&](const std::string& k) {
          return assignment::NormalizeKeyword(k) == keyword;
        })) {
      continue;
    }
    matching.push_back(r);
  }
  std::sort(matching.begin(), matching.end(),
            [](const auto& a, const auto& b) { return a.reviewer_id() < b.reviewer_id(); });
  v1::ListReviewersResponse out;
  if (auto s = Page(
          matching, request.page_size(), request.page_token(),
          [](const v1::Reviewer& r) { return r.reviewer_id(); }, out.mutable_reviewers(),
          out.mutable_next_page_token());
      !s.ok()) {
    return s;
  }
  return out;
}

}  // namespace tane::reviews
