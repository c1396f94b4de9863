#pragma once
/// Secondary indexes that span shards.
///
/// An aggregate's index entries live in the aggregate's own shard, written by
/// the same commit script as the aggregate (IndexOp), so an index is never out
/// of step with the data. A query then reads the same index key in every shard
/// and merges: "the applications of call X" is {calls:0}:idx:call-apps:X ∪ …
/// ∪ {calls:7}:idx:call-apps:X.
///
/// Ordered indexes are sorted sets with every score 0 and members
/// "<sort key>|<id>", read with ZRANGEBYLEX, so paging is a plain string
/// cursor (the last member returned) that stays correct while entries are
/// added. Sort keys must not contain '|'; SortKeyOfTime gives time order.
///
/// Counters are hashes (HINCRBY in the commit; summed over shards on read).
///
/// Reads take one pipelined round trip (one command per shard); they are
/// snapshots per shard, not across shards. Thread-safe (the pool is).

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tane/store/aggregate_store.h"
#include "tane/store/keyspace.h"
#include "tane/store/redis.h"

namespace tane::store {

/// "<sort key>|<id>".
std::string IndexMember(std::string_view sort_key, std::string_view id);
/// The id part of an index member (after the last '|').
std::string_view IndexMemberId(std::string_view member);
/// A fixed-width (20 digit) rendering of nanoseconds since 1970, so lexical
/// order is time order; instants before 1970 clamp to zero.
std::string SortKeyOfTime(absl::Time t);

/// The commit ops that add or remove an ordered index entry.
IndexOp IndexAdd(std::string key_suffix, std::string_view sort_key, std::string_view id);
IndexOp IndexRemove(std::string key_suffix, std::string_view sort_key, std::string_view id);
/// The commit op adding `delta` to `field` of the counter hash `key_suffix`.
IndexOp CounterAdd(std::string key_suffix, std::string field, int64_t delta);

struct IndexPage {
  std::vector<std::string> members;  // "<sort key>|<id>", in index order
  /// The cursor for the next page; empty when this page ended the index.
  std::string next_cursor;
};

class ShardedIndex final {
 public:
  ShardedIndex(RedisPool& pool, Keyspace keyspace) : pool_(pool), keyspace_(std::move(keyspace)) {}

  /// Up to `limit` members after `cursor` ("" = from the start) across all
  /// shards, ascending (or descending) by member. INVALID_ARGUMENT for limit < 1;
  /// UNAVAILABLE when Redis is unreachable.
  absl::StatusOr<IndexPage> Page(std::string_view key_suffix, std::string_view cursor, int limit,
                                 bool descending = false) const;

  /// Every member across all shards, ascending. For small indexes only
  /// (bounded by `max_members`: OUT_OF_RANGE beyond it).
  absl::StatusOr<std::vector<std::string>> All(std::string_view key_suffix, int max_members = 100000) const;

  /// The counter hash summed over shards.
  absl::StatusOr<std::map<std::string, int64_t>> Counters(std::string_view key_suffix) const;

 private:
  RedisPool& pool_;
  Keyspace keyspace_;
};

/// Opaque page tokens for the API: web-safe base64 of a cursor, so clients
/// never build or parse cursors. Decode: INVALID_ARGUMENT naming `field` for a
/// token that is not one of ours.
std::string EncodePageToken(std::string_view cursor);
absl::StatusOr<std::string> DecodePageToken(std::string_view token, std::string_view field = "page_token");

}  // namespace tane::store
