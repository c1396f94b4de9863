#pragma once
/// Text checks and decoding for what arrives over HTTP: UTF-8 validation
/// and percent-decoding of path segments and query strings.

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace tane::gateway {

/// Whether `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no
/// surrogates, nothing above U+10FFFF). When not, `*bad_offset` (if given)
/// is the byte offset of the first invalid sequence.
bool IsValidUtf8(std::string_view text, size_t* bad_offset = nullptr);

enum class PercentDecoding {
  /// A single path segment: every %XX is decoded.
  kSegment,
  /// Several path segments ({name=**}): %2F stays encoded, so the value's
  /// own slashes remain distinguishable from escaped ones.
  kMultiSegment,
  /// application/x-www-form-urlencoded query text: also '+' is a space.
  kQuery,
};

/// Decodes %XX escapes; INVALID_ARGUMENT for a malformed escape or a result
/// that is not valid UTF-8 (the message says which and where).
absl::StatusOr<std::string> PercentDecode(std::string_view text, PercentDecoding mode);

}  // namespace tane::gateway
