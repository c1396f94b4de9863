#pragma once
/// Aggregates in Redis with optimistic concurrency, written together with the
/// events they emit in one Lua script (the transactional outbox):
///
///   {svc:S}:agg:<type>:<id>   hash  v = version, d = serialized state
///   {svc:S}:outbox            stream of events not yet acknowledged by Kafka
///   {svc:S}:dedupe:<key>      the stored result of an idempotent request or
///                             of an applied event, with a TTL
///
/// A commit checks every precondition (dedupe key unseen, version matches)
/// before its first write, so a refused commit leaves nothing behind.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tane/common/v1/envelope.pb.h"
#include "tane/store/keyspace.h"
#include "tane/store/redis.h"
#include "tane/store/script.h"

namespace tane::store {

struct Versioned {
  int64_t version = 0;  // 0: the aggregate does not exist
  std::string data;
};

/// A write to a secondary key of the same shard (an index, a counter, a read
/// model), applied in the same script as the aggregate.
struct IndexOp {
  enum class Kind { kSetAdd, kSetRemove, kSortedSetAdd, kSortedSetRemove, kHashSet, kHashDelete,
                    kHashIncrement, kStringSet, kDelete };
  Kind kind;
  std::string key_suffix;  // below the shard tag: "idx:call:<id>"
  std::string member;      // set/zset member, hash field; unused for string ops
  std::string value;       // zset score, hash value, increment, string value
};

struct Commit {
  /// The aggregate to write; both empty for a commit that only updates
  /// secondary keys (a read model), which is then sharded by `shard_key`.
  std::string aggregate_type;
  std::string aggregate_id;
  /// Required version before the write; 0 means "must not exist yet".
  int64_t expected_version = 0;
  std::string data;
  /// Shard for a commit without an aggregate. Ignored otherwise.
  std::string shard_key;
  /// Events to append to the shard's outbox. aggregate_version is set by the
  /// store for events of this aggregate.
  std::vector<tane::common::v1::EventEnvelope> events;
  /// Optional: an idempotency key or "event:<id>". When the key was seen, the
  /// commit changes nothing and returns the stored result.
  std::string dedupe_key;
  std::string dedupe_result;
  absl::Duration dedupe_ttl = absl::Hours(24 * 30);
  std::vector<IndexOp> index_ops;
};

struct CommitResult {
  int64_t version = 0;          // the aggregate's version after the commit
  bool duplicate = false;       // the dedupe key was seen; nothing changed
  std::string dedupe_result;    // the stored result when duplicate
};

class AggregateStore final {
 public:
  AggregateStore(RedisPool& pool, Keyspace keyspace);

  const Keyspace& keyspace() const { return keyspace_; }
  RedisPool& pool() { return pool_; }
  int ShardOf(const std::string& aggregate_id) const { return keyspace_.ShardOf(aggregate_id); }

  absl::StatusOr<Versioned> Load(const std::string& type, const std::string& id);
  /// Load for many ids in one pipelined round trip (list queries); the result
  /// is parallel to `ids`, a missing aggregate has version 0. UNAVAILABLE when
  /// Redis is unreachable.
  absl::StatusOr<std::vector<Versioned>> LoadMany(const std::string& type, const std::vector<std::string>& ids);

  /// ABORTED when the aggregate's version is not expected_version (another
  /// writer won); UNAVAILABLE when Redis is unreachable or the outcome is
  /// unknown (retry with the same dedupe key); INVALID_ARGUMENT for a
  /// malformed commit.
  absl::StatusOr<CommitResult> Commit(const Commit& commit);

  /// The stored result of a dedupe key, if seen.
  absl::StatusOr<std::optional<std::string>> LookupDedupe(const std::string& shard_key,
                                                          const std::string& dedupe_key);

 private:
  RedisPool& pool_;
  Keyspace keyspace_;
  Script commit_script_;
};

}  // namespace tane::store
