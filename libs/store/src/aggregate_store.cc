#include "tane/store/aggregate_store.h"

#include "absl/strings/str_cat.h"

namespace tane::store {
namespace {

// KEYS[1] aggregate hash, KEYS[2] outbox stream, KEYS[3] dedupe key,
// KEYS[4..] index keys.
// ARGV[1] has aggregate, ARGV[2] expected version, ARGV[3] data,
// ARGV[4] use dedupe, ARGV[5] dedupe result, ARGV[6] dedupe ttl seconds,
// ARGV[7] event count E, then E x (event id, aggregate id, type, envelope),
// then one (op, member, value) per index key.
constexpr char kCommitLua[] = R"lua(
if ARGV[4] == '1' then
  local prior = redis.call('GET', KEYS[3])
  if prior then return {'dup', prior} end
end
local version = 0
if ARGV[1] == '1' then
  local v = redis.call('HGET', KEYS[1], 'v')
  if v then version = tonumber(v) end
  if version ~= tonumber(ARGV[2]) then return {'conflict', tostring(version)} end
end
-- every precondition holds: from here on only writes
local new_version = version
if ARGV[1] == '1' then
  new_version = version + 1
  redis.call('HSET', KEYS[1], 'v', new_version, 'd', ARGV[3])
end
local a = 8
for i = 1, tonumber(ARGV[7]) do
  redis.call('XADD', KEYS[2], '*', 'id', ARGV[a], 'agg', ARGV[a + 1], 'type', ARGV[a + 2], 'env', ARGV[a + 3])
  a = a + 4
end
for k = 4, #KEYS do
  local op, member, value = ARGV[a], ARGV[a + 1], ARGV[a + 2]
  a = a + 3
  if op == 'sadd' then redis.call('SADD', KEYS[k], member)
  elseif op == 'srem' then redis.call('SREM', KEYS[k], member)
  elseif op == 'zadd' then redis.call('ZADD', KEYS[k], value, member)
  elseif op == 'zrem' then redis.call('ZREM', KEYS[k], member)
  elseif op == 'hset' then redis.call('HSET', KEYS[k], member, value)
  elseif op == 'hdel' then redis.call('HDEL', KEYS[k], member)
  elseif op == 'hincrby' then redis.call('HINCRBY', KEYS[k], member, value)
  elseif op == 'set' then redis.call('SET', KEYS[k], value)
  elseif op == 'del' then redis.call('DEL', KEYS[k])
  end
end
if ARGV[4] == '1' then redis.call('SET', KEYS[3], ARGV[5], 'EX', ARGV[6]) end
return {'ok', tostring(new_version)}
)lua";

const char* OpName(IndexOp::Kind kind) {
  switch (kind) {
    case IndexOp::Kind::kSetAdd: return "sadd";
    case IndexOp::Kind::kSetRemove: return "srem";
    case IndexOp::Kind::kSortedSetAdd: return "zadd";
    case IndexOp::Kind::kSortedSetRemove: return "zrem";
    case IndexOp::Kind::kHashSet: return "hset";
    case IndexOp::Kind::kHashDelete: return "hdel";
    case IndexOp::Kind::kHashIncrement: return "hincrby";
    case IndexOp::Kind::kStringSet: return "set";
    case IndexOp::Kind::kDelete: return "del";
  }
  return "";
}

}  // namespace

AggregateStore::AggregateStore(RedisPool& pool, Keyspace keyspace)
    : pool_(pool), keyspace_(std::move(keyspace)), commit_script_("commit", kCommitLua) {}

namespace {

std::vector<std::string> LoadCommand(const Keyspace& keyspace, const std::string& type, const std::string& id) {
  return {"HMGET", keyspace.AggregateKey(keyspace.ShardOf(id), type, id), "v", "d"};
}

absl::StatusOr<Versioned> VersionedOf(Reply& reply, const std::string& type, const std::string& id) {
  if (reply.type != Reply::Type::kArray || reply.elements.size() != 2) {
    return absl::InternalError(absl::StrCat("unexpected reply loading ", type, " ", id, ": ", reply.str));
  }
  Versioned out;
  if (reply.elements[0].is_nil()) return out;
  out.version = std::stoll(reply.elements[0].str);
  out.data = std::move(reply.elements[1].str);
  return out;
}

}  // namespace

absl::StatusOr<Versioned> AggregateStore::Load(const std::string& type, const std::string& id) {
  auto reply = pool_.Command(LoadCommand(keyspace_, type, id));
  if (!reply.ok()) return reply.status();
  return VersionedOf(*reply, type, id);
}

absl::StatusOr<std::vector<Versioned>> AggregateStore::LoadMany(const std::string& type,
                                                                const std::vector<std::string>& ids) {
  std::vector<Versioned> out;
  if (ids.empty()) return out;
  std::vector<std::vector<std::string>> commands;
  commands.reserve(ids.size());
  for (const auto& id : ids) commands.push_back(LoadCommand(keyspace_, type, id));
  auto replies = pool_.Pipeline(commands);
  if (!replies.ok()) return replies.status();
  out.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    auto one = VersionedOf((*replies)[i], type, ids[i]);
    if (!one.ok()) return one.status();
    out.push_back(*std::move(one));
  }
  return out;
}

absl::StatusOr<CommitResult> AggregateStore::Commit(const struct Commit& commit) {
  const bool has_aggregate = !commit.aggregate_id.empty();
  if (has_aggregate == commit.aggregate_type.empty()) {
    return absl::InvalidArgumentError("commit needs both aggregate_type and aggregate_id, or neither");
  }
  if (!has_aggregate && commit.shard_key.empty()) {
    return absl::InvalidArgumentError("commit without an aggregate needs a shard_key");
  }
  if (commit.expected_version < 0) return absl::InvalidArgumentError("expected_version must be >= 0");
  const int shard = keyspace_.ShardOf(has_aggregate ? commit.aggregate_id : commit.shard_key);
  const bool use_dedupe = !commit.dedupe_key.empty();

  std::vector<std::string> keys;
  keys.reserve(3 + commit.index_ops.size());
  // Placeholders stay in the shard's slot so the script never crosses slots.
  keys.push_back(has_aggregate
                     ? keyspace_.AggregateKey(shard, commit.aggregate_type, commit.aggregate_id)
                     : keyspace_.Key(shard, "unused"));
  keys.push_back(keyspace_.OutboxKey(shard));
  keys.push_back(keyspace_.DedupeKey(shard, use_dedupe ? commit.dedupe_key : "-"));

  std::vector<std::string> args;
  args.reserve(7 + commit.events.size() * 4 + commit.index_ops.size() * 3);
  args.push_back(has_aggregate ? "1" : "0");
  args.push_back(absl::StrCat(commit.expected_version));
  args.push_back(commit.data);
  args.push_back(use_dedupe ? "1" : "0");
  args.push_back(commit.dedupe_result);
  args.push_back(absl::StrCat(std::max<int64_t>(1, absl::ToInt64Seconds(commit.dedupe_ttl))));
  args.push_back(absl::StrCat(commit.events.size()));
  for (const auto& event : commit.events) {
    if (event.event_id().empty() || event.type().empty()) {
      return absl::InvalidArgumentError("every event needs an event_id and a type");
    }
    tane::common::v1::EventEnvelope copy = event;
    if (has_aggregate && copy.aggregate_id() == commit.aggregate_id) {
      copy.set_aggregate_version(commit.expected_version + 1);
    }
    args.push_back(copy.event_id());
    args.push_back(copy.aggregate_id());
    args.push_back(copy.type());
    args.push_back(copy.SerializeAsString());
  }
  for (const auto& op : commit.index_ops) {
    if (op.key_suffix.empty()) return absl::InvalidArgumentError("index op needs a key");
    keys.push_back(keyspace_.Key(shard, op.key_suffix));
    args.push_back(OpName(op.kind));
    args.push_back(op.member);
    args.push_back(op.value);
  }

  auto reply = commit_script_.Run(pool_, keys, args);
  if (!reply.ok()) return reply.status();
  if (reply->is_error()) return absl::InternalError(absl::StrCat("commit script: ", reply->str));
  if (reply->type != Reply::Type::kArray || reply->elements.size() != 2) {
    return absl::InternalError("commit script: unexpected reply");
  }
  const std::string& outcome = reply->elements[0].str;
  const std::string& value = reply->elements[1].str;
  CommitResult result;
  if (outcome == "dup") {
    result.duplicate = true;
    result.dedupe_result = value;
    return result;
  }
  if (outcome == "conflict") {
    return absl::AbortedError(absl::StrCat(commit.aggregate_type, " ", commit.aggregate_id,
                                           " was changed concurrently: expected version ",
                                           commit.expected_version, ", found ", value));
  }
  result.version = std::stoll(value);
  return result;
}

absl::StatusOr<std::optional<std::string>> AggregateStore::LookupDedupe(const std::string& shard_key,
                                                                        const std::string& dedupe_key) {
  const int shard = keyspace_.ShardOf(shard_key);
  auto reply = pool_.Command({"GET", keyspace_.DedupeKey(shard, dedupe_key)});
  if (!reply.ok()) return reply.status();
  if (reply->is_nil()) return std::optional<std::string>();
  return std::optional<std::string>(reply->str);
}

}  // namespace tane::store
