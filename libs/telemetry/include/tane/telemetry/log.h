#pragma once
/// JSON-lines logging: one JSON object per line on stderr,
///   {"ts":"2024-05-01T03:04:05.678Z","level":"info","service":"calls",
///    "trace_id":"…","msg":"…", <extra fields>}
/// so log shippers need no parsing rules. Strings are escaped per RFC 8259;
/// UTF-8 (Japanese titles) passes through unchanged and invalid UTF-8 bytes
/// become U+FFFD, so every line is valid JSON whatever the input.
///
/// The service name and the minimum level are process-wide. Every function
/// here is thread-safe; a line is written with one call under a mutex, so
/// lines from different threads never interleave.

#include <charconv>
#include <concepts>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace tane::telemetry {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

/// "debug", "info", "warn" (or "warning"), "error"; case-insensitive.
std::optional<LogLevel> ParseLogLevel(std::string_view name);
/// The lower-case name written in the "level" field.
std::string_view LogLevelName(LogLevel level);

void SetLogService(std::string service);
std::string LogService();
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
inline bool LogEnabled(LogLevel level) { return level >= GetLogLevel(); }

/// Where finished lines go (without the trailing newline). nullptr restores
/// the default, stderr. Meant for tests.
using LogSink = std::function<void(std::string_view line)>;
void SetLogSink(LogSink sink);

/// Appends `s` as a quoted JSON string.
void AppendJsonString(std::string* out, std::string_view s);
inline std::string JsonQuote(std::string_view s) {
  std::string out;
  AppendJsonString(&out, s);
  return out;
}

/// One extra key/value of a log line. Strings are quoted; numbers and bools
/// are written as JSON numbers and booleans; a Status as its ToString().
class LogField final {
 public:
  LogField(std::string_view key, std::string_view value) : key_(key), json_(JsonQuote(value)) {}
  LogField(std::string_view key, const char* value) : LogField(key, std::string_view(value == nullptr ? "" : value)) {}
  LogField(std::string_view key, const std::string& value) : LogField(key, std::string_view(value)) {}
  LogField(std::string_view key, const absl::Status& status) : LogField(key, std::string_view(status.ToString())) {}
  LogField(std::string_view key, absl::Duration d) : LogField(key, absl::ToDoubleSeconds(d)) {}
  template <typename T>
  requires std::is_arithmetic_v<T> LogField(std::string_view key, T value) : key_(key) {
    if constexpr (std::is_same_v<T, bool>) {
      json_ = value ? "true" : "false";
    } else {
      json_ = FormatNumber(
          static_cast<std::conditional_t<
              std::is_integral_v<T>, std::conditional_t<std::is_signed_v<T>, long long, unsigned long long>, double>>(
              value));
    }
  }

  std::string_view key() const { return key_; }
  /// The value, already rendered as JSON.
  std::string_view json() const { return json_; }
  /// The raw string value when the field is a string (used for "trace_id").
  std::optional<std::string> string_value() const;

 private:
  static std::string FormatNumber(long long v);
  static std::string FormatNumber(unsigned long long v);
  static std::string FormatNumber(double v);

  std::string key_;
  std::string json_;
};

using LogFields = std::initializer_list<LogField>;

/// Writes one line if `level` is enabled. The trace id is the one of the
/// innermost ScopedTraceId on this thread, unless `fields` has "trace_id".
/// Extra keys that collide with ts/level/service/msg are written as "x_<key>".
void Log(LogLevel level, std::string_view msg, LogFields fields = {});
inline void LogDebug(std::string_view msg, LogFields fields = {}) { Log(LogLevel::kDebug, msg, fields); }
inline void LogInfo(std::string_view msg, LogFields fields = {}) { Log(LogLevel::kInfo, msg, fields); }
inline void LogWarn(std::string_view msg, LogFields fields = {}) { Log(LogLevel::kWarn, msg, fields); }
inline void LogError(std::string_view msg, LogFields fields = {}) { Log(LogLevel::kError, msg, fields); }

/// The line Log() would write (without newline); exposed for tests.
std::string FormatLogLine(absl::Time ts, LogLevel level, std::string_view service, std::string_view trace_id,
                          std::string_view msg, LogFields fields);

/// Sets this thread's trace id for the lifetime of the object (nests).
/// Handlers do `ScopedTraceId trace(TraceIdOrNew(*context));` first thing.
class ScopedTraceId final {
 public:
  explicit ScopedTraceId(std::string trace_id);
  ~ScopedTraceId();
  ScopedTraceId(const ScopedTraceId&) = delete;
  ScopedTraceId& operator=(const ScopedTraceId&) = delete;

 private:
  std::string previous_;
};

/// This thread's current trace id ("" when none).
const std::string& CurrentTraceId();

}  // namespace tane::telemetry
