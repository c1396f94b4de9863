#include "tane/store/redis.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/time.h>

#include <charconv>

#include "absl/strings/str_cat.h"

namespace tane::store {
namespace {


Reply CopyReply(const redisReply* r) {
  Reply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = Reply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Reply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::kArray;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(CopyReply(r->element[i]));
      break;
    default:
      out.type = Reply::Type::kNil;
  }
  return out;
}

}  // namespace

struct RedisPool::Slot {
  redisContext* context = nullptr;
  void Drop() {
    if (context != nullptr) redisFree(context);
    context = nullptr;
  }
  // An idle connection has nothing in flight, so Redis has nothing to say on
  // it: anything waiting to be read means the server closed it (EOF, reset),
  // as every pooled connection is after a Redis restart. Dropping it before
  // sending means a command goes out on a fresh connection instead of
  // failing on a dead one, and no command is ever sent twice.
  void DropIfClosedByServer() {
    if (context == nullptr) return;
    pollfd p{context->fd, POLLIN, 0};
    if (poll(&p, 1, 0) > 0 && p.revents != 0) Drop();
  }
  ~Slot() { Drop(); }
};

absl::StatusOr<RedisOptions> ParseRedisAddress(const std::string& address) {
  RedisOptions options;
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(absl::StrCat("redis address must be host:port, got '", address, "'"));
  }
  int port = 0;
  const char* begin = address.data() + colon + 1;
  const char* end = address.data() + address.size();
  auto [ptr, ec] = std::from_chars(begin, end, port);
  if (ec != std::errc() || ptr != end || port <= 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("redis address has a bad port: '", address, "'"));
  }
  options.host = address.substr(0, colon);
  options.port = port;
  return options;
}

RedisPool::RedisPool(RedisOptions options) : options_(std::move(options)), backoff_(options_.initial_backoff) {
  for (int i = 0; i < std::max(1, options_.pool_size); ++i) {
    slots_.push_back(std::make_unique<Slot>());
    idle_.push_back(slots_.back().get());
  }
}

RedisPool::~RedisPool() = default;

RedisPool::Slot* RedisPool::Acquire() {
  std::unique_lock lock(mu_);
  available_.wait(lock, [this] { return !idle_.empty(); });
  Slot* slot = idle_.back();
  idle_.pop_back();
  return slot;
}

void RedisPool::Release(Slot* slot) {
  {
    std::lock_guard lock(mu_);
    idle_.push_back(slot);
  }
  available_.notify_one();
}

absl::Status RedisPool::EnsureConnected(Slot* slot) {
  if (slot->context != nullptr) return absl::OkStatus();
  {
    std::lock_guard lock(mu_);
    if (absl::Now() < next_connect_attempt_) {
      return absl::UnavailableError(absl::StrCat("redis ", options_.host, ":", options_.port,
                                                 " unreachable (backing off)"));
    }
  }
  redisContext* c = redisConnectWithTimeout(options_.host.c_str(), options_.port,
                                            absl::ToTimeval(options_.connect_timeout));
  if (c == nullptr || c->err != 0) {
    std::string reason = c != nullptr ? c->errstr : "out of memory";
    if (c != nullptr) redisFree(c);
    std::lock_guard lock(mu_);
    next_connect_attempt_ = absl::Now() + backoff_;
    backoff_ = std::min(backoff_ * 2, options_.max_backoff);
    return absl::UnavailableError(
        absl::StrCat("redis ", options_.host, ":", options_.port, " unreachable: ", reason));
  }
  redisSetTimeout(c, absl::ToTimeval(options_.command_timeout));
  redisEnableKeepAlive(c);
  slot->context = c;
  std::lock_guard lock(mu_);
  backoff_ = options_.initial_backoff;
  next_connect_attempt_ = absl::InfinitePast();
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Reply>> RedisPool::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  Slot* slot = Acquire();
  struct Releaser {
    RedisPool* pool;
    Slot* slot;
    ~Releaser() { pool->Release(slot); }
  } releaser{this, slot};

  slot->DropIfClosedByServer();
  if (absl::Status s = EnsureConnected(slot); !s.ok()) return s;
  for (const auto& args : commands) {
    std::vector<const char*> argv;
    std::vector<size_t> argvlen;
    argv.reserve(args.size());
    argvlen.reserve(args.size());
    for (const auto& a : args) {
      argv.push_back(a.data());
      argvlen.push_back(a.size());
    }
    if (redisAppendCommandArgv(slot->context, static_cast<int>(argv.size()), argv.data(),
                               argvlen.data()) != REDIS_OK) {
      std::string reason = slot->context->errstr;
      slot->Drop();
      return absl::UnavailableError(absl::StrCat("redis: ", reason));
    }
  }
  std::vector<Reply> replies;
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(slot->context, &raw) != REDIS_OK || raw == nullptr) {
      std::string reason = slot->context->errstr;
      slot->Drop();
      return absl::UnavailableError(absl::StrCat("redis: connection lost mid-command: ", reason));
    }
    auto* reply = static_cast<redisReply*>(raw);
    replies.push_back(CopyReply(reply));
    freeReplyObject(reply);
  }
  return replies;
}

absl::StatusOr<Reply> RedisPool::Command(const std::vector<std::string>& args) {
  auto replies = Pipeline({args});
  if (!replies.ok()) return replies.status();
  return std::move(replies->front());
}

absl::Status RedisPool::Ping() {
  auto reply = Command({"PING"});
  if (!reply.ok()) return reply.status();
  if (reply->type != Reply::Type::kStatus || reply->str != "PONG") {
    return absl::UnavailableError(absl::StrCat("redis PING answered: ", reply->str));
  }
  return absl::OkStatus();
}

}  // namespace tane::store
