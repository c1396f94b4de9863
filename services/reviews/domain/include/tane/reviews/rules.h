#pragma once
/// The reviews domain: what every command shares — a program's review rules,
/// the context a command runs in, the events it emits and the shape of its
/// result.
///
/// Every command is a pure function (state, request, context) → the new
/// state and the events to publish, or an error that changes nothing:
/// - INVALID_ARGUMENT with google.rpc.BadRequest field violations for bad input,
/// - FAILED_PRECONDITION for a transition the rules forbid ("reviews of the
///   document stage are locked since 2017-07-01 00:00:00 JST"),
/// - NOT_FOUND for something that does not exist *or that the caller may not
///   see* (a reviewer asking for a case they are not assigned to),
/// - ABORTED when the request's version is non-zero and differs.
/// A command bumps the version of every aggregate it changes by one and
/// stamps its update_time. Nothing here reads a clock, a network or Redis:
/// the caller passes `now` and persists the changed aggregates and the events
/// atomically (aggregates of one call share a shard: key them by call_id).

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"
#include "tane/calls/catalog.h"
#include "tane/calls/v1/calls.pb.h"
#include "tane/common/v1/types.pb.h"
#include "tane/reviews/assignment/types.h"
#include "tane/reviews/v1/events.pb.h"
#include "tane/reviews/v1/reviews.pb.h"

namespace tane::reviews {

using Stage = calls::v1::ReviewStage;

/// How a program's proposals are reviewed. Built from the catalog's
/// ReviewRule (FromProgram) or in code; every number is the program's.
struct ReviewRules {
  std::string program_id;
  /// Review stages in order (書類選考 first); decision follows the last.
  std::vector<Stage> stages{calls::v1::REVIEW_STAGE_DOCUMENT};
  /// N per stage unless the call or the solve request says otherwise.
  int reviewers_per_proposal = 5;
  /// Forms per stage; a stage without one uses DefaultReviewForm.
  std::vector<v1::ReviewForm> forms;
  /// Rank bands for feedback (see v1::RankBand), ascending, ending at 100.
  std::vector<int> rank_bands{20, 50, 100};
  /// The default review deadline: the end (JST) of the day this many days
  /// after the stage's first assignment.
  int default_review_days = 28;
  /// A past affiliation conflicts for this many years after it ended.
  int institution_window_years = 3;
  /// The review-section tree (小区分 → 中区分 → 大区分) for related-section
  /// affinity; empty: only exact sections match.
  std::vector<assignment::Section> sections;

  /// Defaults, with stages and N from the catalog's program (nullptr: the
  /// defaults alone — one document stage, N = 5).
  static ReviewRules FromProgram(const calls::ProgramRule* program);

  /// INVALID_ARGUMENT listing every inconsistent setting.
  absl::Status Validate() const;
  /// The form of `stage` (REVIEW_STAGE_UNSPECIFIED: the first stage).
  v1::ReviewForm FormFor(Stage stage) const;
};

/// The stages in order with unspecified ones and repeats dropped. A program
/// that lists two rounds of one kind (FOREST: 一次書類審査 and 二次書類審査,
/// both document review) runs them here as one stage of that kind, with one
/// assignment and one set of reviews.
std::vector<Stage> DistinctStages(const std::vector<Stage>& stages);

/// Criteria 1–5 each plus an overall score 1–5; a comment to the applicant
/// is required; comments up to 4000 characters. The criteria are the usual
/// ones of JST-style document review (practice): 独創性・新規性 (originality),
/// 研究計画の妥当性 (plan and feasibility), 研究者・実施体制 (capability),
/// 期待される成果・波及効果 (impact).
v1::ReviewForm DefaultReviewForm(std::string_view program_id, Stage stage);

/// Who acts, when, under which program rules.
struct Context {
  const ReviewRules& rules;
  common::v1::Actor actor;
  absl::Time now;
};

/// The case an event belongs to is its payload's case_id (the envelope's
/// aggregate id, aggregate type "review_case").
using Event = std::variant<v1::ReviewersAssigned, v1::ReviewSubmitted, v1::ProposalShortlisted,
                           v1::ProposalDecided>;
inline constexpr char kCaseAggregateType[] = "review_case";
inline constexpr char kCallReviewAggregateType[] = "call_review";
inline constexpr char kReviewerAggregateType[] = "reviewer";

/// The payload to pack into the envelope's Any.
const google::protobuf::Message& EventPayload(const Event& event);
/// The payload's case_id.
const std::string& EventCaseId(const Event& event);

struct ReviewerTransition {
  v1::Reviewer reviewer;
};

struct CaseTransition {
  v1::ReviewCase review_case;
  std::vector<Event> events;
};

/// The result of a command over a call's cases: only what changed.
struct CallTransition {
  /// Set when the call review changed.
  std::optional<v1::CallReview> call_review;
  /// Changed cases, each with its version bumped by one.
  std::vector<v1::ReviewCase> cases;
  std::vector<Event> events;
};

/// Timestamp conversions. An unset Timestamp (0 s, 0 ns) reads as
/// InfinitePast(), so "not set" never looks like 1970.
google::protobuf::Timestamp ToTimestamp(absl::Time t);
absl::Time FromTimestamp(const google::protobuf::Timestamp& ts);

/// "document", "interview", "panel".
const char* StageName(Stage stage);
const char* CaseStateName(v1::CaseState state);

}  // namespace tane::reviews
