#pragma once
/// The commitments read model: what each researcher is committed to, for the
/// effort rule and the duplicate check (tane/calls/commitments.h).
///
/// Kept in Redis as one hash per researcher, split over shards: every field
/// is written by the commit of the aggregate it describes, in that
/// aggregate's shard, and readers merge the shards.
/// - "app:<id>": a pending application (PendingApplicationRecord), written
///   by the calls service's own submit and withdraw commits (PendingOps), so
///   an accepted submission is counted at once;
/// - "project:<id>": an active project (ActiveProjectRecord), from
///   tane.projects.events. Project events carry the team but no effort, so a
///   member's effort is the one they declared in the application the project
///   was adopted from (members it did not name count 0%);
/// - a rejected application (tane.reviews.events ProposalDecided, adopted =
///   false) is no longer pending. An adopted one stays pending until its
///   project starts; from then on the project's record replaces it.
///
/// Event handlers apply each event once (bus::ApplyOnce). Thread-safe.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tane/calls/commitments.h"
#include "tane/calls/v1/calls.pb.h"
#include "tane/common/v1/envelope.pb.h"
#include "tane/projects/v1/events.pb.h"
#include "tane/reviews/v1/events.pb.h"
#include "tane/runtime/service_kit.h"
#include "tane/store/aggregate_store.h"

namespace tane::calls {

class CommitmentsModel final {
 public:
  /// The topics whose events Subscribe() handles; the kit must consume them.
  static std::vector<std::string> Topics();

  explicit CommitmentsModel(runtime::ServiceKit& kit) : kit_(kit) {}

  /// Registers the event handlers with the kit. Before kit.Start().
  void Subscribe();

  /// The commitments of every researcher named in `application` (principal
  /// investigator and co-investigators), each pending application marked open
  /// when its call accepts submissions at `now`. UNAVAILABLE when Redis is
  /// unreachable.
  absl::StatusOr<InMemoryCommitments> ViewFor(const v1::Application& application, absl::Time now) const;

  /// The commit ops that keep `application`'s pending records in step when it
  /// moves from `before` (nullptr: new) to `after`: a record per named
  /// researcher exactly while the application is SUBMITTED.
  static std::vector<store::IndexOp> PendingOps(const v1::Application* before, const v1::Application& after);

 private:
  absl::Status OnProjectStarted(const common::v1::EventEnvelope& event, const projects::v1::ProjectStarted& started);
  absl::Status OnProjectChanged(const common::v1::EventEnvelope& event, const projects::v1::ProjectChanged& changed);
  /// ProjectTerminated and ProjectCompleted: the project's effort is released.
  absl::Status OnProjectEnded(const common::v1::EventEnvelope& event, const std::string& project_id);
  absl::Status OnProposalDecided(const common::v1::EventEnvelope& event, const reviews::v1::ProposalDecided& decided);

  runtime::ServiceKit& kit_;
};

}  // namespace tane::calls
