#pragma once
/// A strict RFC 8259 check of a request body before protobuf parses it, so
/// the client hears exactly what is wrong and where: protobuf's own parser
/// reports syntax errors vaguely and silently lets a repeated key win.

#include <string_view>

#include "absl/status/status.h"

namespace tane::gateway {

/// Nesting deeper than this is refused (protobuf's parser recurses).
inline constexpr int kMaxJsonDepth = 64;

/// OK for one well-formed JSON value (any type) with nothing but whitespace
/// around it. INVALID_ARGUMENT otherwise, the message starting with the line
/// and column: "line 1, column 9: expected ':' after an object key". Refused:
/// bad UTF-8, raw control characters in strings, bad escapes and lone
/// surrogates, a key repeated within one object, nesting beyond
/// kMaxJsonDepth, trailing text.
absl::Status CheckJson(std::string_view text);

}  // namespace tane::gateway
