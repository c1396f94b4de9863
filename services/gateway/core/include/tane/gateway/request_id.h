#pragma once
/// Request ids. Each HTTP request has one: it is the trace id of everything
/// the request causes (log lines, the x-tane-trace-id and x-request-id the
/// services receive, their events' envelopes) and comes back in the
/// X-Request-Id response header.

#include <string>
#include <string_view>

namespace tane::gateway {

/// The client's X-Request-Id when it is a trace id (32 hex digits, not all
/// zero), lower-cased; else the trace id of a W3C `traceparent` header;
/// else a new random id.
std::string RequestIdFor(std::string_view x_request_id, std::string_view traceparent);

}  // namespace tane::gateway
