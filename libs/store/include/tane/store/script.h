#pragma once
/// Lua scripts run with EVALSHA; when Redis answers NOSCRIPT (it restarted or
/// flushed its script cache) the script is loaded again and the call retried.

#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tane/store/redis.h"

namespace tane::store {

class Script final {
 public:
  Script(std::string name, std::string source) : name_(std::move(name)), source_(std::move(source)) {}
  Script(const Script&) = delete;
  Script& operator=(const Script&) = delete;

  const std::string& name() const { return name_; }
  const std::string& source() const { return source_; }

  /// Runs the script. Every key must hash to one slot (callers use hash tags).
  /// A script's error_reply comes back as a Reply of type kError.
  absl::StatusOr<Reply> Run(RedisPool& pool, const std::vector<std::string>& keys,
                            const std::vector<std::string>& args) const;

 private:
  absl::StatusOr<std::string> Load(RedisPool& pool) const;

  std::string name_;
  std::string source_;
  mutable std::mutex mu_;
  mutable std::string sha_;  // empty until loaded
};

}  // namespace tane::store
