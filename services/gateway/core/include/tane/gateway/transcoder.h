#pragma once
/// HTTP/JSON <-> protobuf for one route, with protobuf's JSON mapping:
/// fields in lowerCamelCase (the proto names are accepted too), enums as
/// their names, 64-bit integers as strings, Timestamp as RFC 3339, unknown
/// fields refused.
///
/// A request message is built from, in this order:
///   1. the body, per the rule's `body`: "*" the whole message, a field name
///      that field, none: the body must be empty;
///   2. the path variables, percent-decoded ({name=**} keeps %2F);
///   3. the query string (only when body is not "*"): `a.b=v` sets the field
///      a.b; a repeated field takes every occurrence (`?id=1&id=2`).
/// Every failure is INVALID_ARGUMENT and the request is not forwarded; field
/// problems carry a google.rpc.BadRequest listing each (path and query
/// problems are all reported at once, the body's first problem is).

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tane/gateway/route_table.h"

namespace google::protobuf {
class Descriptor;
class Message;
}  // namespace google::protobuf

namespace tane::gateway {

/// Timestamp, Duration, FieldMask and the wrapper types: messages whose JSON
/// form is a single string or scalar, so one path or query value can set them.
bool IsScalarWellKnown(const google::protobuf::Descriptor& type);

/// Sets the leaf of `chain` under `root` from one text value (a path or
/// query parameter), creating messages on the way and appending to a
/// repeated leaf. Scalars parse as their proto3 JSON forms (enums by name or
/// number, bytes as base64); Timestamp, Duration, FieldMask and the wrapper
/// types from their JSON strings. INVALID_ARGUMENT with a description of the
/// expected form otherwise ("\"abc\" is not an integer from 0 to 4294967295").
absl::Status SetFieldFromText(google::protobuf::Message* root, const FieldChain& chain, std::string_view text);

/// Fills `request` (of the route's input type, cleared first) from the parts
/// of an HTTP request. `raw_path_values` are RouteTable::Match::raw_values;
/// `query` is the text after '?' (may be empty).
absl::Status BuildRequest(const Route& route, const std::vector<std::string>& raw_path_values, std::string_view query,
                          std::string_view body, google::protobuf::Message* request);

/// The JSON body of a successful response: the whole response message, or
/// its response_body field. Fields with default values are printed too
/// (empty lists as [], numbers as 0), so a response always has the same
/// shape; unset `optional` fields and unset messages are left out.
absl::StatusOr<std::string> RenderResponse(const Route& route, const google::protobuf::Message& response);

}  // namespace tane::gateway
