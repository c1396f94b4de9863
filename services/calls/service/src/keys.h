#pragma once
// Every Redis key the calls service writes, below its shard tag "{calls:S}:"
// (services/calls/README.md lists them). Each lives in the shard of the
// aggregate whose commit writes it; the readers merge shards (ShardedIndex).

#include <string>
#include <vector>

#include "tane/calls/v1/calls.pb.h"
#include "tane/store/sharded_index.h"

namespace tane::calls::keys {

// Aggregate types: agg:<type>:<id>, data = the API message with its version.
inline constexpr char kGoal[] = "goal";
inline constexpr char kArea[] = "area";
inline constexpr char kCall[] = "call";
inline constexpr char kApplication[] = "application";

// Ordered indexes ("<sort key>|<id>").
inline constexpr char kGoalsIndex[] = "idx:goals";                     // fiscal year
inline constexpr char kAreasIndex[] = "idx:areas";                     // create_time
std::string AreasOfGoalIndex(const std::string& goal_id);              // create_time
inline constexpr char kCallsIndex[] = "idx:calls";                     // closes_at
inline constexpr char kPublishedCallsIndex[] = "idx:calls:published";  // closes_at
// CLOSING and CANCELLING calls: closes and cancellations begun and not yet
// finished (the scheduler finishes them).
inline constexpr char kStoppingCallsIndex[] = "idx:calls:stopping";  // closes_at
std::string CallApplicationsIndex(const std::string& call_id);         // submitted_at, else create_time
std::string CallApplicationsInStateIndex(const std::string& call_id, v1::ApplicationState state);
std::string CallApplicationsOfPiIndex(const std::string& call_id, const std::string& researcher_id);
std::string MyApplicationsIndex(const std::string& subject);  // create_time

// Counter hash: application state name -> count, and kEverSubmittedCounter
// -> applications that were ever SUBMITTED (it only grows).
std::string CallApplicationCounts(const std::string& call_id);
inline constexpr char kEverSubmittedCounter[] = "EVER_SUBMITTED";

// The commitments read model: hash per researcher, fields "app:<id>" ->
// PendingApplicationRecord (in the application's shard) and "project:<id>"
// -> ActiveProjectRecord (in the project's shard).
std::string Commitments(const std::string& researcher_id);
std::string PendingField(const std::string& application_id);
std::string ProjectField(const std::string& project_id);
inline constexpr char kPendingFieldPrefix[] = "app:";
inline constexpr char kProjectFieldPrefix[] = "project:";
// String: ProjectRecord, in the project's shard.
std::string ProjectRecordKey(const std::string& project_id);

// Fence raised in every shard when a call stops taking submissions (while it
// is CLOSING or CANCELLING); every submit commit carries it (Commit::fences).
std::string CallFence(const std::string& call_id);

// The index entries an aggregate has in its current state; commits write
// store::IndexDiff(EntriesOf(before), EntriesOf(after)).
std::vector<store::IndexEntry> EntriesOf(const v1::Call& call);
std::vector<store::IndexEntry> EntriesOf(const v1::Application& application);

}  // namespace tane::calls::keys
