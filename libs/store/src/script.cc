#include "tane/store/script.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace tane::store {

absl::StatusOr<std::string> Script::Load(RedisPool& pool) const {
  auto reply = pool.Command({"SCRIPT", "LOAD", source_});
  if (!reply.ok()) return reply.status();
  if (reply->type != Reply::Type::kString) {
    return absl::InternalError(absl::StrCat("SCRIPT LOAD ", name_, " failed: ", reply->str));
  }
  std::lock_guard lock(mu_);
  sha_ = reply->str;
  return sha_;
}

absl::StatusOr<Reply> Script::Run(RedisPool& pool, const std::vector<std::string>& keys,
                                  const std::vector<std::string>& args) const {
  std::string sha;
  {
    std::lock_guard lock(mu_);
    sha = sha_;
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (sha.empty()) {
      auto loaded = Load(pool);
      if (!loaded.ok()) return loaded.status();
      sha = *loaded;
    }
    std::vector<std::string> command;
    command.reserve(3 + keys.size() + args.size());
    command.push_back("EVALSHA");
    command.push_back(sha);
    command.push_back(absl::StrCat(keys.size()));
    command.insert(command.end(), keys.begin(), keys.end());
    command.insert(command.end(), args.begin(), args.end());
    auto reply = pool.Command(command);
    if (!reply.ok()) return reply.status();
    if (reply->is_error() && absl::StartsWith(reply->str, "NOSCRIPT")) {
      sha.clear();
      continue;
    }
    return reply;
  }
  return absl::InternalError(absl::StrCat("script ", name_, " could not be loaded"));
}

}  // namespace tane::store
