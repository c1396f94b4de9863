#include "tane/telemetry/log.h"

#include <atomic>
#include <cctype>
#include <cstdio>
#include <limits>
#include <mutex>
#include <utility>

namespace tane::telemetry {
namespace {

struct LoggerState {
  std::mutex mu;
  std::string service;
  LogSink sink;
};

LoggerState& State() {
  static auto* state = new LoggerState();  // never destroyed: threads may log during exit
  return *state;
}

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};

thread_local std::string t_trace_id;

constexpr std::string_view kHex = "0123456789abcdef";

void AppendUnicodeEscape(std::string* out, unsigned code) {
  out->append("\\u");
  for (int shift = 12; shift >= 0; shift -= 4) out->push_back(kHex[(code >> shift) & 0xF]);
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 when invalid
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  size_t len;
  unsigned code;
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    code = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    code = b0 & 0x0F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    code = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    code = (code << 6) | (b & 0x3F);
  }
  if (len == 3 && (code < 0x800 || (code >= 0xD800 && code <= 0xDFFF))) return 0;
  if (len == 4 && (code < 0x10000 || code > 0x10FFFF)) return 0;
  return len;
}

bool IsReservedKey(std::string_view key) { return key == "ts" || key == "level" || key == "service" || key == "msg"; }

}  // namespace

std::optional<LogLevel> ParseLogLevel(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "debug") return LogLevel::kDebug;
  if (lower == "info") return LogLevel::kInfo;
  if (lower == "warn" || lower == "warning") return LogLevel::kWarn;
  if (lower == "error") return LogLevel::kError;
  return std::nullopt;
}

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

void SetLogService(std::string service) {
  auto& state = State();
  std::lock_guard lock(state.mu);
  state.service = std::move(service);
}

std::string LogService() {
  auto& state = State();
  std::lock_guard lock(state.mu);
  return state.service;
}

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level), std::memory_order_relaxed); }
LogLevel GetLogLevel() { return static_cast<LogLevel>(g_level.load(std::memory_order_relaxed)); }

void SetLogSink(LogSink sink) {
  auto& state = State();
  std::lock_guard lock(state.mu);
  state.sink = std::move(sink);
}

void AppendJsonString(std::string* out, std::string_view s) {
  out->reserve(out->size() + s.size() + 2);
  out->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out->append("\\\"");
        ++i;
        continue;
      case '\\':
        out->append("\\\\");
        ++i;
        continue;
      case '\b':
        out->append("\\b");
        ++i;
        continue;
      case '\f':
        out->append("\\f");
        ++i;
        continue;
      case '\n':
        out->append("\\n");
        ++i;
        continue;
      case '\r':
        out->append("\\r");
        ++i;
        continue;
      case '\t':
        out->append("\\t");
        ++i;
        continue;
      default:
        break;
    }
    if (c < 0x20 || c == 0x7F) {
      AppendUnicodeEscape(out, c);
      ++i;
      continue;
    }
    const size_t len = Utf8SequenceLength(s, i);
    if (len == 0) {
      out->append("\\ufffd");
      ++i;
      continue;
    }
    out->append(s.substr(i, len));
    i += len;
  }
  out->push_back('"');
}

std::optional<std::string> LogField::string_value() const {
  if (json_.size() < 2 || json_.front() != '"') return std::nullopt;
  // Only needed for trace ids, which never contain escapes.
  std::string_view inner(json_.data() + 1, json_.size() - 2);
  if (inner.find('\\') != std::string_view::npos) return std::nullopt;
  return std::string(inner);
}

std::string LogField::FormatNumber(long long v) { return std::to_string(v); }
std::string LogField::FormatNumber(unsigned long long v) { return std::to_string(v); }
std::string LogField::FormatNumber(double v) {
  if (v != v || v == std::numeric_limits<double>::infinity() || v == -std::numeric_limits<double>::infinity()) {
    return JsonQuote(v != v ? "NaN" : (v > 0 ? "Infinity" : "-Infinity"));  // JSON has no NaN/Inf
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  if (ec != std::errc()) return "null";
  return std::string(buf, end);
}

std::string FormatLogLine(absl::Time ts, LogLevel level, std::string_view service, std::string_view trace_id,
                          std::string_view msg, LogFields fields) {
  std::string line;
  line.reserve(128 + msg.size());
  line.append("{\"ts\":");
  AppendJsonString(&line, absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", ts, absl::UTCTimeZone()));
  line.append(",\"level\":");
  AppendJsonString(&line, LogLevelName(level));
  line.append(",\"service\":");
  AppendJsonString(&line, service);
  if (!trace_id.empty()) {
    line.append(",\"trace_id\":");
    AppendJsonString(&line, trace_id);
  }
  line.append(",\"msg\":");
  AppendJsonString(&line, msg);
  for (const LogField& f : fields) {
    if (f.key() == "trace_id") continue;  // already written above
    line.push_back(',');
    if (IsReservedKey(f.key())) {
      AppendJsonString(&line, std::string("x_").append(f.key()));
    } else {
      AppendJsonString(&line, f.key());
    }
    line.push_back(':');
    line.append(f.json());
  }
  line.push_back('}');
  return line;
}

void Log(LogLevel level, std::string_view msg, LogFields fields) {
  if (!LogEnabled(level)) return;
  std::string trace_id = t_trace_id;
  for (const LogField& f : fields) {
    if (f.key() == "trace_id") {
      if (auto v = f.string_value()) trace_id = *v;
    }
  }
  auto& state = State();
  std::unique_lock lock(state.mu);
  std::string line = FormatLogLine(absl::Now(), level, state.service, trace_id, msg, fields);
  if (state.sink) {
    // A copy, so a sink may log or replace itself without deadlocking.
    LogSink sink = state.sink;
    lock.unlock();
    sink(line);
    return;
  }
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

ScopedTraceId::ScopedTraceId(std::string trace_id) : previous_(std::exchange(t_trace_id, std::move(trace_id))) {}
ScopedTraceId::~ScopedTraceId() { t_trace_id = std::move(previous_); }

const std::string& CurrentTraceId() { return t_trace_id; }

}  // namespace tane::telemetry
