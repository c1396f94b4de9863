#include "tane/bus/outbox_relay.h"

#include <map>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tane/core/ids.h"

namespace tane::bus {
namespace {

constexpr char kLeaseLua[] = R"lua(
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
)lua";

struct OutboxEntry {
  std::string stream_id;
  std::string event_id;
  std::string aggregate_id;
  std::string type;
  std::string envelope;
};

// Delivery reports of one batch, shared with the producer's callbacks so a
// late report after a timeout never touches freed memory.
struct BatchState {
  std::mutex mu;
  std::condition_variable done;
  size_t pending = 0;
  std::vector<bool> acked;
};

int64_t StreamIdMillis(const std::string& id) {
  int64_t ms = 0;
  std::vector<std::string> parts = absl::StrSplit(id, '-');
  if (!parts.empty() && absl::SimpleAtoi(parts[0], &ms)) return ms;
  return 0;
}

}  // namespace

OutboxRelay::OutboxRelay(store::RedisPool& pool, store::Keyspace keyspace, Producer& producer,
                         RelayOptions options)
    : pool_(pool),
      keyspace_(std::move(keyspace)),
      producer_(producer),
      options_(std::move(options)),
      lease_script_("relay_lease", kLeaseLua) {
  if (options_.owner.empty()) options_.owner = tane::core::NewUuid();
}

OutboxRelay::~OutboxRelay() { Stop(); }

absl::StatusOr<bool> OutboxRelay::HoldLease(int shard) {
  auto reply = lease_script_.Run(pool_, {keyspace_.Key(shard, "relay-lease")},
                                 {options_.owner, absl::StrCat(absl::ToInt64Milliseconds(options_.lease_ttl))});
  if (!reply.ok()) return reply.status();
  if (reply->is_error()) return absl::InternalError(reply->str);
  return reply->integer == 1;
}

absl::StatusOr<int> OutboxRelay::RelayShardOnce(int shard) {
  auto leased = HoldLease(shard);
  if (!leased.ok()) return leased.status();
  if (!*leased) return 0;

  const std::string stream = keyspace_.OutboxKey(shard);
  // Always from the start: whatever is still in the stream was not yet
  // acknowledged (or was, but the relay died before removing it).
  auto reply = pool_.Command({"XRANGE", stream, "-", "+", "COUNT", absl::StrCat(options_.batch_size)});
  if (!reply.ok()) return reply.status();
  if (reply->type != store::Reply::Type::kArray) {
    return absl::InternalError(absl::StrCat("XRANGE ", stream, ": ", reply->str));
  }
  std::vector<OutboxEntry> entries;
  entries.reserve(reply->elements.size());
  for (const auto& item : reply->elements) {
    OutboxEntry entry;
    entry.stream_id = item.elements[0].str;
    const auto& fields = item.elements[1].elements;
    for (size_t i = 0; i + 1 < fields.size(); i += 2) {
      const std::string& name = fields[i].str;
      if (name == "id") entry.event_id = fields[i + 1].str;
      else if (name == "agg") entry.aggregate_id = fields[i + 1].str;
      else if (name == "type") entry.type = fields[i + 1].str;
      else if (name == "env") entry.envelope = fields[i + 1].str;
    }
    entries.push_back(std::move(entry));
  }
  if (entries.empty()) return 0;

  auto batch = std::make_shared<BatchState>();
  batch->acked.assign(entries.size(), false);
  size_t queued = 0;
  absl::Status produce_error;
  for (size_t i = 0; i < entries.size(); ++i) {
    {
      std::lock_guard lock(batch->mu);
      ++batch->pending;
    }
    absl::Status s = producer_.Produce(
        options_.topic, entries[i].aggregate_id, entries[i].envelope,
        {{"event-id", entries[i].event_id}, {"event-type", entries[i].type}},
        [batch, i](const Delivery& d) {
          std::lock_guard lock(batch->mu);
          batch->acked[i] = d.status.ok();
          if (--batch->pending == 0) batch->done.notify_all();
        });
    if (!s.ok()) {
      std::lock_guard lock(batch->mu);
      --batch->pending;
      produce_error = s;
      break;
    }
    ++queued;
  }
  {
    std::unique_lock lock(batch->mu);
    batch->done.wait_for(lock, absl::ToChronoMilliseconds(options_.batch_timeout),
                         [&] { return batch->pending == 0; });
  }

  // Remove only the acknowledged prefix: if entry k failed, entries after it
  // are sent again next pass even if acknowledged, so an aggregate's events
  // are never first seen out of order (the repeats are deduped downstream).
  std::vector<std::string> remove = {"XDEL", stream};
  {
    std::lock_guard lock(batch->mu);
    for (size_t i = 0; i < queued && batch->acked[i]; ++i) remove.push_back(entries[i].stream_id);
  }
  const int removed = static_cast<int>(remove.size()) - 2;
  if (removed > 0) {
    if (options_.before_remove) options_.before_remove();
    auto del = pool_.Command(remove);
    if (!del.ok()) return del.status();
    published_.fetch_add(removed);
  }
  if (removed < static_cast<int>(entries.size())) {
    if (!produce_error.ok()) return produce_error;
    return absl::UnavailableError(absl::StrCat("kafka acknowledged ", removed, " of ", entries.size(),
                                               " outbox entries of shard ", shard));
  }
  return removed;
}

absl::StatusOr<ShardBacklog> OutboxRelay::Backlog(int shard) {
  const std::string stream = keyspace_.OutboxKey(shard);
  auto replies = pool_.Pipeline({{"XLEN", stream}, {"XRANGE", stream, "-", "+", "COUNT", "1"}});
  if (!replies.ok()) return replies.status();
  ShardBacklog backlog;
  backlog.shard = shard;
  backlog.entries = (*replies)[0].integer;
  const auto& first = (*replies)[1];
  if (first.type == store::Reply::Type::kArray && !first.elements.empty()) {
    const int64_t ms = StreamIdMillis(first.elements[0].elements[0].str);
    backlog.oldest_age = std::max(absl::ZeroDuration(), absl::Now() - absl::FromUnixMillis(ms));
  }
  return backlog;
}

void OutboxRelay::Start() {
  stop_.store(false);
  thread_ = std::thread([this] { Loop(); });
}

void OutboxRelay::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_.store(true);
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void OutboxRelay::Loop() {
  absl::Duration failure_wait = options_.idle_wait;
  while (!stop_.load()) {
    bool progressed = false;
    bool failed = false;
    for (int shard = 0; shard < keyspace_.shards() && !stop_.load(); ++shard) {
      auto moved = RelayShardOnce(shard);
      if (!moved.ok()) {
        failed = true;
      } else if (*moved > 0) {
        progressed = true;
      }
      if (observer_) {
        if (auto backlog = Backlog(shard); backlog.ok()) observer_(*backlog);
      }
    }
    if (progressed) {
      failure_wait = options_.idle_wait;
      continue;
    }
    // Idle or failing: wait before the next pass, longer while failing.
    const absl::Duration wait = failed ? failure_wait : options_.idle_wait;
    if (failed) failure_wait = std::min(failure_wait * 2, absl::Seconds(2));
    std::unique_lock lock(mu_);
    wake_.wait_for(lock, absl::ToChronoMilliseconds(wait), [this] { return stop_.load(); });
  }
}

}  // namespace tane::bus
