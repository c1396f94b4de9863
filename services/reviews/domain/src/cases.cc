#include "tane/reviews/cases.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "internal.h"
#include "tane/core/ids.h"
#include "tane/core/time.h"
#include "tane/reviews/reviewer.h"

namespace tane::reviews {

using core::Violations;
using internal::Bump;
using internal::IsSet;

std::string CaseIdForApplication(std::string_view application_id) {
  return core::NameUuid(kCaseIdNamespace, application_id);
}

namespace {

std::vector<Stage> StagesOf(const calls::v1::ReviewModel& model, const ReviewRules& rules) {
  std::vector<Stage> listed;
  for (int s : model.stages()) listed.push_back(static_cast<Stage>(s));
  std::vector<Stage> stages = DistinctStages(listed);
  return stages.empty() ? rules.stages : stages;
}

}  // namespace

absl::StatusOr<CaseTransition> OpenCase(const calls::v1::ApplicationSubmitted& submitted,
                                        const Context& ctx) {
  const auto& app = submitted.application();
  Violations v;
  if (app.application_id().empty()) v.Add("application.application_id", "is required");
  if (app.call_id().empty()) v.Add("application.call_id", "is required");
  if (app.state() != calls::v1::APPLICATION_STATE_SUBMITTED) {
    v.Add("application.state", "must be SUBMITTED");
  }
  if (!v.empty()) return v.ToStatus("invalid ApplicationSubmitted");

  v1::ReviewCase c;
  c.set_case_id(CaseIdForApplication(app.application_id()));
  c.set_application_id(app.application_id());
  c.set_call_id(app.call_id());
  c.set_program_id(submitted.program_id());
  c.set_research_area_id(submitted.research_area_id());
  c.set_call_fiscal_year(submitted.call_fiscal_year());
  c.set_partner_agency(submitted.partner_agency());
  *c.mutable_review_model() = submitted.review_model();
  *c.mutable_application() = app;
  c.set_state(v1::CASE_STATE_IN_REVIEW);
  c.set_stage(StagesOf(submitted.review_model(), ctx.rules).front());
  c.set_application_version(app.version());
  Bump(c, ctx.now);
  return CaseTransition{std::move(c), {}};
}

namespace {

/// Releases every current assignment of `c` (the reviewers' loads are free
/// again): one ReviewersAssigned per stage that had reviewers, with `kind`
/// and `reason`, recorded in the case's history.
std::vector<Event> ReleaseAssignments(v1::ReviewCase& c, v1::AssignmentChangeKind kind,
                                      const std::string& reason, const Context& ctx) {
  std::vector<Event> events;
  for (auto& sa : *c.mutable_assignments()) {
    sa.clear_shortfall();
    if (sa.reviewers().empty()) continue;
    auto* h = internal::AddHistory(c, sa.stage(), kind, reason, ctx);
    for (const auto& r : sa.reviewers()) h->add_removed_reviewer_ids(r.reviewer_id());
    sa.clear_reviewers();
    events.push_back(internal::AssignedEvent(c, sa, *h, ctx));
  }
  return events;
}

}  // namespace

bool FollowsCase(const v1::ReviewCase& review_case, const ApplicationEventOrder& order) {
  if (order.version > 0 && review_case.application_version() > 0) {
    return order.version > review_case.application_version();
  }
  absl::Time last = FromTimestamp(review_case.application().submitted_at());
  if (IsSet(review_case.withdrawn_at())) last = std::max(last, FromTimestamp(review_case.withdrawn_at()));
  return order.at > last;
}

absl::StatusOr<CaseTransition> ResubmitCase(const v1::ReviewCase& review_case,
                                            const calls::v1::ApplicationSubmitted& submitted,
                                            const Context& ctx) {
  auto opened = OpenCase(submitted, ctx);
  if (!opened.ok()) return opened.status();
  const v1::ReviewCase& fresh = opened->review_case;
  if (fresh.case_id() != review_case.case_id()) {
    Violations v;
    v.Add("application.application_id",
          absl::StrCat("does not name application ", review_case.application_id()));
    return v.ToStatus("invalid ApplicationSubmitted");
  }
  if (review_case.state() == v1::CASE_STATE_DECIDED || !review_case.reviews().empty() ||
      !review_case.shortlistings().empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the case of application ", review_case.application_id(),
                     " has reviews or a decision; version ", fresh.application_version(),
                     " of the application cannot replace the reviewed one"));
  }
  v1::ReviewCase next = review_case;
  next.set_program_id(fresh.program_id());
  next.set_research_area_id(fresh.research_area_id());
  next.set_call_fiscal_year(fresh.call_fiscal_year());
  next.set_partner_agency(fresh.partner_agency());
  *next.mutable_review_model() = fresh.review_model();
  *next.mutable_application() = fresh.application();
  next.set_application_version(fresh.application_version());
  next.set_state(v1::CASE_STATE_IN_REVIEW);
  next.set_stage(fresh.stage());
  next.clear_withdrawn_at();
  next.clear_withdraw_reason();
  std::vector<Event> events = ReleaseAssignments(
      next, v1::ASSIGNMENT_CHANGE_KIND_WITHDRAWN,
      absl::StrCat("superseded by version ", fresh.application_version(), " of the application"), ctx);
  next.clear_assignments();
  Bump(next, ctx.now);
  return CaseTransition{std::move(next), std::move(events)};
}

std::optional<v1::CallReview> NoteSubmission(const std::optional<v1::CallReview>& current,
                                             const calls::v1::ApplicationSubmitted& submitted,
                                             const Context& ctx) {
  v1::CallReview next;
  if (current) {
    next = *current;
  } else {
    next.set_call_id(submitted.application().call_id());
    next.set_state(v1::CALL_REVIEW_STATE_COLLECTING);
    next.set_institution_window_years(ctx.rules.institution_window_years);
  }
  bool changed = !current;
  if (next.program_id().empty() && !submitted.program_id().empty()) {
    next.set_program_id(submitted.program_id());
    changed = true;
  }
  if (next.research_area_id().empty() && !submitted.research_area_id().empty()) {
    next.set_research_area_id(submitted.research_area_id());
    changed = true;
  }
  if (next.partner_agency().empty() && !submitted.partner_agency().empty()) {
    next.set_partner_agency(submitted.partner_agency());
    changed = true;
  }
  if (next.call_fiscal_year() == 0 && submitted.call_fiscal_year() != 0) {
    next.set_call_fiscal_year(submitted.call_fiscal_year());
    changed = true;
  }
  // The call's own review model wins over the program's defaults that a
  // CallClosed arriving first may have filled in, until a stage is assigned.
  const std::vector<Stage> stages = StagesOf(submitted.review_model(), ctx.rules);
  const bool same = std::equal(stages.begin(), stages.end(), next.stages().begin(),
                               next.stages().end());
  if (!same && (next.stages().empty() || next.schedules().empty())) {
    next.clear_stages();
    for (Stage s : stages) next.add_stages(s);
    changed = true;
  }
  if (next.reviewers_per_proposal() == 0 && submitted.review_model().has_reviewers_per_proposal() &&
      submitted.review_model().reviewers_per_proposal() > 0) {
    next.set_reviewers_per_proposal(submitted.review_model().reviewers_per_proposal());
    changed = true;
  }
  if (!changed) return std::nullopt;
  Bump(next, ctx.now);
  return next;
}

absl::StatusOr<v1::CallReview> CloseCallReview(const std::optional<v1::CallReview>& current,
                                               const calls::v1::CallClosed& closed,
                                               const Context& ctx) {
  if (closed.call_id().empty()) {
    Violations v;
    v.Add("call_id", "is required");
    return v.ToStatus("invalid CallClosed");
  }
  if (current && current->state() == v1::CALL_REVIEW_STATE_CLOSED) {
    return absl::FailedPreconditionError(
        absl::StrCat("call ", closed.call_id(), " is already closed for review"));
  }
  v1::CallReview next;
  if (current) {
    next = *current;
  } else {
    next.set_call_id(closed.call_id());
    next.set_institution_window_years(ctx.rules.institution_window_years);
  }
  if (next.program_id().empty()) next.set_program_id(closed.program_id());
  if (next.stages().empty()) {
    for (Stage s : ctx.rules.stages) next.add_stages(s);
  }
  next.set_state(v1::CALL_REVIEW_STATE_CLOSED);
  *next.mutable_closed_at() = IsSet(closed.closed_at()) ? closed.closed_at() : ToTimestamp(ctx.now);
  next.set_expected_cases(closed.applications_ever_submitted());
  Bump(next, ctx.now);
  return next;
}

absl::StatusOr<CaseTransition> WithdrawCase(const v1::ReviewCase& review_case,
                                            const calls::v1::ApplicationWithdrawn& withdrawn,
                                            int64_t application_version, const Context& ctx) {
  if (withdrawn.application_id() != review_case.application_id()) {
    Violations v;
    v.Add("application_id", absl::StrCat("does not name application ",
                                         review_case.application_id()));
    return v.ToStatus();
  }
  if (review_case.state() == v1::CASE_STATE_WITHDRAWN) {
    return absl::FailedPreconditionError(
        absl::StrCat("the case of application ", review_case.application_id(),
                     " is already withdrawn"));
  }
  v1::ReviewCase next = review_case;
  const absl::Time at = IsSet(withdrawn.withdrawn_at()) ? FromTimestamp(withdrawn.withdrawn_at())
                                                        : ctx.now;
  *next.mutable_withdrawn_at() = ToTimestamp(at);
  next.set_withdraw_reason(withdrawn.reason());
  if (application_version > 0) next.set_application_version(application_version);
  std::vector<Event> events;
  if (review_case.state() != v1::CASE_STATE_DECIDED) {
    next.set_state(v1::CASE_STATE_WITHDRAWN);
    events = ReleaseAssignments(next, v1::ASSIGNMENT_CHANGE_KIND_WITHDRAWN, "application withdrawn", ctx);
  }
  Bump(next, ctx.now);
  return CaseTransition{std::move(next), std::move(events)};
}

int CountedCases(const v1::CallReview& call_review, std::span<const v1::ReviewCase> cases) {
  // Every case counts, withdrawn or not: expected_cases counts every
  // application ever submitted, so when a withdrawal happened (and on which
  // replica's clock) does not matter.
  return static_cast<int>(std::count_if(cases.begin(), cases.end(), [&](const v1::ReviewCase& c) {
    return c.call_id() == call_review.call_id();
  }));
}

bool ReadyForAssignment(const v1::CallReview& call_review, std::span<const v1::ReviewCase> cases) {
  return call_review.state() == v1::CALL_REVIEW_STATE_CLOSED &&
         CountedCases(call_review, cases) >= call_review.expected_cases();
}

absl::StatusOr<v1::CallReview> SetReviewDeadline(const v1::CallReview& current,
                                                 const v1::SetReviewDeadlineRequest& request,
                                                 const Context& ctx) {
  if (auto s = internal::CheckActor(ctx); !s.ok()) return s;
  Violations v;
  if (request.call_id() != current.call_id()) {
    v.Add("call_id", absl::StrCat("does not name call ", current.call_id()));
  }
  if (internal::StageIndex(current, request.stage()) < 0) {
    v.Add("stage", absl::StrCat("call ", current.call_id(), " has no ",
                                StageName(request.stage()), " stage"));
  }
  if (!internal::IsValidTimestamp(request.review_deadline())) {
    v.Add("review_deadline", "is required and must be a valid timestamp");
  }
  if (!v.empty()) return v.ToStatus();
  if (auto s = internal::CheckVersion(request.version(), current.version(), "call review",
                                      current.call_id());
      !s.ok()) {
    return s;
  }
  const absl::Time deadline = FromTimestamp(request.review_deadline());
  if (deadline <= ctx.now) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the review deadline must be after now (", internal::FormatJst(ctx.now), ")"));
  }
  v1::CallReview next = current;
  v1::StageSchedule* schedule = nullptr;
  for (auto& s : *next.mutable_schedules()) {
    if (s.stage() == request.stage()) schedule = &s;
  }
  if (schedule == nullptr) {
    schedule = next.add_schedules();
    schedule->set_stage(request.stage());
  }
  *schedule->mutable_review_deadline() = request.review_deadline();
  schedule->set_deadline_set_explicitly(true);
  Bump(next, ctx.now);
  return next;
}

std::optional<absl::Time> ReviewDeadline(const v1::CallReview& call_review, Stage stage) {
  for (const auto& s : call_review.schedules()) {
    if (s.stage() == stage && IsSet(s.review_deadline())) return FromTimestamp(s.review_deadline());
  }
  return std::nullopt;
}

absl::Time EndOfJstDayAfter(absl::Time t, int days) {
  const absl::TimeZone tokyo = core::TokyoTimeZone();
  const absl::CivilDay day = absl::ToCivilDay(t, tokyo) + days;
  return absl::FromCivil(absl::CivilSecond(day + 1), tokyo);
}

namespace {

assignment::Investigator ToInvestigator(const calls::v1::Person& p) {
  assignment::Investigator i;
  i.researcher_id = p.researcher_id();
  if (!p.institution_id().empty()) i.institution_ids.push_back(p.institution_id());
  return i;
}

}  // namespace

assignment::Proposal ToEngineProposal(const v1::ReviewCase& review_case) {
  const auto& app = review_case.application();
  assignment::Proposal p;
  p.id = review_case.case_id();
  if (!app.review_section().empty()) {
    p.review_section = app.review_section();
  } else if (!review_case.research_area_id().empty()) {
    p.review_section = absl::StrCat("area:", review_case.research_area_id());
  }
  p.keywords.assign(app.keywords().begin(), app.keywords().end());
  p.pi = ToInvestigator(app.principal_investigator());
  for (const auto& co : app.co_investigators()) p.co_investigators.push_back(ToInvestigator(co.person()));
  return p;
}

assignment::ConflictPolicy ConflictPolicyOf(const v1::CallReview& call_review, absl::Time now) {
  assignment::ConflictPolicy policy;
  policy.institution_window_years = call_review.institution_window_years();
  policy.as_of = call_review.state() == v1::CALL_REVIEW_STATE_CLOSED &&
                         IsSet(call_review.closed_at())
                     ? FromTimestamp(call_review.closed_at())
                     : now;
  return policy;
}

std::vector<assignment::Conflict> ConflictsOf(const v1::ReviewCase& review_case,
                                              const v1::Reviewer& reviewer,
                                              const v1::CallReview& call_review, absl::Time now) {
  std::vector<assignment::DeclaredConflict> declared;
  for (const auto& d : review_case.conflicts()) {
    if (d.reviewer_id() == reviewer.reviewer_id()) {
      declared.push_back({review_case.case_id(), d.reviewer_id(), d.reason()});
    }
  }
  return assignment::FindConflicts(ToEngineProposal(review_case), ToEngineReviewer(reviewer),
                                   ConflictPolicyOf(call_review, now), declared);
}

const v1::StageAssignment* FindStageAssignment(const v1::ReviewCase& review_case, Stage stage) {
  for (const auto& a : review_case.assignments()) {
    if (a.stage() == stage) return &a;
  }
  return nullptr;
}

bool IsAssigned(const v1::ReviewCase& review_case, std::string_view reviewer_id) {
  for (const auto& a : review_case.assignments()) {
    for (const auto& r : a.reviewers()) {
      if (r.reviewer_id() == reviewer_id) return true;
    }
  }
  return false;
}

bool StageAssigned(const v1::ReviewCase& review_case, Stage stage) {
  const auto* sa = FindStageAssignment(review_case, stage);
  return sa != nullptr && IsSet(sa->assigned_at());
}

int CountedReviews(const v1::ReviewCase& review_case, Stage stage) {
  return static_cast<int>(
      std::count_if(review_case.reviews().begin(), review_case.reviews().end(),
                    [&](const v1::Review& r) { return r.stage() == stage && r.counted(); }));
}

bool StageReviewsClosed(const v1::ReviewCase& review_case, const v1::CallReview& call_review,
                        absl::Time now) {
  const Stage stage = review_case.stage();
  if (auto deadline = ReviewDeadline(call_review, stage); deadline && now >= *deadline) return true;
  const auto* sa = FindStageAssignment(review_case, stage);
  if (sa == nullptr || sa->reviewers().empty()) return false;
  for (const auto& r : sa->reviewers()) {
    const auto* review = internal::FindReview(review_case, stage, r.reviewer_id());
    if (review == nullptr || !review->counted()) return false;
  }
  return true;
}

Stage NextStage(const v1::CallReview& call_review, Stage stage) {
  const int i = internal::StageIndex(call_review, stage);
  if (i < 0 || i + 1 >= call_review.stages_size()) return calls::v1::REVIEW_STAGE_UNSPECIFIED;
  return static_cast<Stage>(call_review.stages(i + 1));
}

}  // namespace tane::reviews
