#pragma once
/// Key naming. Every key of a service carries the hash tag of its service and
/// shard, "{calls:7}", so each Lua script touches one Redis Cluster slot and
/// each shard has its own outbox stream.

#include <cstdint>
#include <string>
#include <string_view>

namespace tane::store {

class Keyspace final {
 public:
  /// `service` is the short name ("calls"); `shards` >= 1. Changing the shard
  /// count of a running deployment moves aggregates: it is fixed per install.
  Keyspace(std::string service, int shards);

  const std::string& service() const { return service_; }
  int shards() const { return shards_; }

  /// Stable across processes and versions (FNV-1a 64), unlike std::hash.
  int ShardOf(std::string_view id) const;
  /// "{calls:7}"
  std::string Tag(int shard) const;

  std::string AggregateKey(int shard, std::string_view type, std::string_view id) const;
  std::string OutboxKey(int shard) const;
  std::string DedupeKey(int shard, std::string_view key) const;
  /// Any other key of the shard: "{calls:7}:<suffix>".
  std::string Key(int shard, std::string_view suffix) const;

 private:
  std::string service_;
  int shards_;
};

uint64_t Fnv1a64(std::string_view data);

}  // namespace tane::store
