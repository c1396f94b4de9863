#include "tane/gateway/request_id.h"

#include <algorithm>
#include <cctype>

#include "tane/telemetry/trace.h"

namespace tane::gateway {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

}  // namespace

std::string RequestIdFor(std::string_view x_request_id, std::string_view traceparent) {
  if (telemetry::IsValidTraceId(x_request_id)) return Lower(x_request_id);
  // traceparent: version "-" trace-id "-" parent-id "-" flags, e.g.
  // 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
  if (traceparent.size() >= 55 && traceparent[2] == '-' && traceparent[35] == '-') {
    const std::string_view trace_id = traceparent.substr(3, 32);
    if (telemetry::IsValidTraceId(trace_id)) return Lower(trace_id);
  }
  return telemetry::NewTraceId();
}

}  // namespace tane::gateway
