#include "tane/store/sharded_index.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tane/core/errors.h"

namespace tane::store {
namespace {

constexpr std::string_view kTokenPrefix = "c1:";

absl::Status UnexpectedReply(std::string_view what, const Reply& reply) {
  return absl::InternalError(absl::StrCat("unexpected reply to ", std::string(what), ": ", reply.str));
}

}  // namespace

std::string IndexMember(std::string_view sort_key, std::string_view id) { return absl::StrCat(std::string(sort_key), "|", std::string(id)); }

std::string_view IndexMemberId(std::string_view member) {
  const size_t bar = member.rfind('|');
  return bar == std::string_view::npos ? member : member.substr(bar + 1);
}

std::string SortKeyOfTime(absl::Time t) {
  const int64_t nanos = std::max<int64_t>(0, absl::ToUnixNanos(t));
  return absl::StrFormat("%020d", nanos);
}

IndexOp IndexAdd(std::string key_suffix, std::string_view sort_key, std::string_view id) {
  return IndexOp{IndexOp::Kind::kSortedSetAdd, std::move(key_suffix), IndexMember(sort_key, id), "0"};
}

IndexOp IndexRemove(std::string key_suffix, std::string_view sort_key, std::string_view id) {
  return IndexOp{IndexOp::Kind::kSortedSetRemove, std::move(key_suffix), IndexMember(sort_key, id), ""};
}

IndexOp CounterAdd(std::string key_suffix, std::string field, int64_t delta) {
  return IndexOp{IndexOp::Kind::kHashIncrement, std::move(key_suffix), std::move(field), absl::StrCat(delta)};
}

absl::StatusOr<IndexPage> ShardedIndex::Page(std::string_view key_suffix, std::string_view cursor, int limit,
                                             bool descending) const {
  if (limit < 1) return absl::InvalidArgumentError("page limit must be at least 1");
  const std::string from = cursor.empty() ? (descending ? "+" : "-") : absl::StrCat("(", std::string(cursor));
  const std::string to = descending ? "-" : "+";
  std::vector<std::vector<std::string>> commands;
  commands.reserve(keyspace_.shards());
  for (int shard = 0; shard < keyspace_.shards(); ++shard) {
    commands.push_back({descending ? "ZREVRANGEBYLEX" : "ZRANGEBYLEX", keyspace_.Key(shard, key_suffix), from, to,
                        "LIMIT", "0", absl::StrCat(limit)});
  }
  auto replies = pool_.Pipeline(commands);
  if (!replies.ok()) return replies.status();
  std::vector<std::string> merged;
  bool some_shard_full = false;
  for (Reply& reply : *replies) {
    if (reply.type != Reply::Type::kArray) return UnexpectedReply("ZRANGEBYLEX", reply);
    some_shard_full = some_shard_full || static_cast<int>(reply.elements.size()) == limit;
    for (Reply& e : reply.elements) merged.push_back(std::move(e.str));
  }
  if (descending) {
    std::sort(merged.begin(), merged.end(), std::greater<>());
  } else {
    std::sort(merged.begin(), merged.end());
  }
  IndexPage page;
  const bool more = static_cast<int>(merged.size()) > limit || some_shard_full;
  if (static_cast<int>(merged.size()) > limit) merged.resize(limit);
  page.members = std::move(merged);
  if (more && !page.members.empty()) page.next_cursor = page.members.back();
  return page;
}

absl::StatusOr<std::vector<std::string>> ShardedIndex::All(std::string_view key_suffix, int max_members) const {
  std::vector<std::string> out;
  std::string cursor;
  for (;;) {
    auto page = Page(key_suffix, cursor, 1000);
    if (!page.ok()) return page.status();
    for (std::string& m : page->members) out.push_back(std::move(m));
    if (static_cast<int>(out.size()) > max_members) {
      return absl::OutOfRangeError(absl::StrCat("index ", std::string(key_suffix), " has more than ", max_members, " entries"));
    }
    if (page->next_cursor.empty()) return out;
    cursor = page->next_cursor;
  }
}

absl::StatusOr<std::map<std::string, int64_t>> ShardedIndex::Counters(std::string_view key_suffix) const {
  std::vector<std::vector<std::string>> commands;
  for (int shard = 0; shard < keyspace_.shards(); ++shard) {
    commands.push_back({"HGETALL", keyspace_.Key(shard, key_suffix)});
  }
  auto replies = pool_.Pipeline(commands);
  if (!replies.ok()) return replies.status();
  std::map<std::string, int64_t> sums;
  for (const Reply& reply : *replies) {
    if (reply.type != Reply::Type::kArray || reply.elements.size() % 2 != 0) return UnexpectedReply("HGETALL", reply);
    for (size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
      int64_t value = 0;
      if (!absl::SimpleAtoi(reply.elements[i + 1].str, &value)) return UnexpectedReply("HGETALL", reply);
      sums[reply.elements[i].str] += value;
    }
  }
  return sums;
}

std::string EncodePageToken(std::string_view cursor) {
  if (cursor.empty()) return "";
  return absl::WebSafeBase64Escape(absl::StrCat(std::string(kTokenPrefix), std::string(cursor)));
}

absl::StatusOr<std::string> DecodePageToken(std::string_view token, std::string_view field) {
  if (token.empty()) return std::string();
  std::string raw;
  if (!absl::WebSafeBase64Unescape(std::string(token), &raw) || raw.compare(0, kTokenPrefix.size(), kTokenPrefix) != 0 ||
      raw.size() == kTokenPrefix.size()) {
    core::Violations violations;
    violations.Add(std::string(field), "not a page token returned by this API (pass next_page_token unchanged)");
    return violations.ToStatus("invalid page token");
  }
  return raw.substr(kTokenPrefix.size());
}

}  // namespace tane::store
