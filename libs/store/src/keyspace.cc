#include "tane/store/keyspace.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace tane::store {

uint64_t Fnv1a64(std::string_view data) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : data) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

Keyspace::Keyspace(std::string service, int shards) : service_(std::move(service)), shards_(std::max(1, shards)) {}

int Keyspace::ShardOf(std::string_view id) const {
  return static_cast<int>(Fnv1a64(id) % static_cast<uint64_t>(shards_));
}

std::string Keyspace::Tag(int shard) const { return absl::StrCat("{", service_, ":", shard, "}"); }

std::string Keyspace::AggregateKey(int shard, std::string_view type, std::string_view id) const {
  return absl::StrCat(Tag(shard), ":agg:", std::string(type), ":", std::string(id));
}

std::string Keyspace::OutboxKey(int shard) const { return absl::StrCat(Tag(shard), ":outbox"); }

std::string Keyspace::DedupeKey(int shard, std::string_view key) const {
  return absl::StrCat(Tag(shard), ":dedupe:", std::string(key));
}

std::string Keyspace::Key(int shard, std::string_view suffix) const {
  return absl::StrCat(Tag(shard), ":", std::string(suffix));
}

}  // namespace tane::store
