#pragma once
// A small world for the reviews domain tests: one call, its cases, a reviewer
// pool, and the events emitted, driven only through the domain's functions.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tane/core/errors.h"
#include "tane/reviews/assignment.h"
#include "tane/reviews/cases.h"
#include "tane/reviews/decision.h"
#include "tane/reviews/reviewer.h"
#include "tane/reviews/rules.h"
#include "tane/reviews/scoring.h"
#include "tane/reviews/visibility.h"

namespace tane::reviews::testing {

inline constexpr char kCallId[] = "call-crest-2017";
inline constexpr Stage kDocument = calls::v1::REVIEW_STAGE_DOCUMENT;
inline constexpr Stage kInterview = calls::v1::REVIEW_STAGE_INTERVIEW;

/// 2017-06-07 00:00 JST: the call closes ("closes on 6 June").
absl::Time CloseTime();
absl::Time Jst(int y, int m, int d, int hh = 0, int mm = 0, int ss = 0);

common::v1::Actor Actor(const std::string& role, const std::string& subject);
common::v1::Actor Po();
common::v1::Actor Operator();
common::v1::Actor System();

/// An application with its PI (e-Rad id, institution), section and keywords.
calls::v1::Application App(const std::string& id, const std::string& pi_researcher_id,
                           const std::string& pi_institution, const std::string& section,
                           std::vector<std::string> keywords = {});
void AddCoInvestigator(calls::v1::Application& app, const std::string& researcher_id,
                       const std::string& institution);

/// A reviewer (reviewer_id "r-<name>", subject "sub-<name>") currently at
/// `institution` since 2010, registered for `sections`.
v1::Reviewer Rev(const std::string& name, const std::string& researcher_id,
                 const std::string& institution, std::vector<std::string> sections,
                 int max_load = 10);

/// Adds a past affiliation [from, to) at `institution`.
void AddPastAffiliation(v1::Reviewer& reviewer, const std::string& institution, absl::Time from,
                        absl::Time to);

/// The field paths of the violations a status carries.
std::vector<std::string> ViolationFields(const absl::Status& status);

class World {
 public:
  explicit World(std::vector<Stage> stages = {kDocument}, int n = 2);

  ReviewRules rules;
  std::optional<v1::CallReview> call;
  std::vector<v1::ReviewCase> cases;
  std::vector<v1::Reviewer> pool;
  std::vector<Event> events;
  absl::Time now;
  calls::v1::ReviewModel model;

  Context Ctx(const common::v1::Actor& actor) const { return Context{rules, actor, now}; }
  Context PoCtx() const { return Ctx(Po()); }
  /// The reviewer's own actor (role reviewer, their subject).
  common::v1::Actor As(const std::string& reviewer_id) const;
  Context ReviewerCtx(const std::string& reviewer_id) const { return Ctx(As(reviewer_id)); }

  /// ApplicationSubmitted → case and call review (at `now`).
  absl::Status Submit(const calls::v1::Application& app, const std::string& partner = "");
  /// CallClosed with `count` applications (default: the cases so far).
  absl::Status Close(int64_t count = -1);
  absl::Status AddReviewer(const v1::Reviewer& reviewer);
  absl::StatusOr<SolveResult> Solve(v1::SolveAssignmentRequest request = {});
  /// Submit, close and solve in one go.
  absl::Status Open(const std::vector<calls::v1::Application>& apps);

  absl::Status Review(const std::string& application_id, const std::string& reviewer_id,
                      int overall, const std::string& comment = "good",
                      const std::string& confidential = "");
  absl::Status Shortlist(const std::string& application_id);
  absl::Status Decide(const std::string& application_id, bool adopted,
                      const std::string& departure_reason = "");

  void Apply(const CallTransition& t);
  void Apply(const CaseTransition& t);

  v1::ReviewCase& Case(const std::string& application_id);
  const v1::Reviewer& Reviewer(const std::string& reviewer_id) const;
  /// Current reviewer ids of the case's `stage` (default: its current one), sorted.
  std::vector<std::string> ReviewersOf(const std::string& application_id,
                                       Stage stage = calls::v1::REVIEW_STAGE_UNSPECIFIED);
  std::vector<const v1::ReviewersAssigned*> AssignedEvents() const;
};

}  // namespace tane::reviews::testing
