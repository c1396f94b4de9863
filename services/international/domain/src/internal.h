#pragma once
// Helpers shared by the international domain's implementation files.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/repeated_field.h"
#include "google/protobuf/timestamp.pb.h"
#include "tane/core/errors.h"
#include "tane/international/context.h"

namespace tane::international::internal {

/// Debian's Abseil is built with its own string_view (not std::string_view):
/// absl::StrCat and the absl::Ascii* helpers take this.
inline absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

/// Byte offset of the first ill-formed UTF-8 sequence (overlong forms,
/// surrogates, code points above U+10FFFF, truncated sequences), or npos.
size_t FirstInvalidUtf8(std::string_view text);
inline bool IsValidUtf8(std::string_view text) {
  return FirstInvalidUtf8(text) == std::string_view::npos;
}
/// Number of code points of valid UTF-8 text.
size_t CodePoints(std::string_view text);

/// Text rules for one field: valid UTF-8, no control characters (TAB, LF and
/// CR allowed when `multiline`), at most `max_chars` code points, non-empty
/// when `required`.
void CheckText(core::Violations& v, const std::string& field, std::string_view value, bool required,
               size_t max_chars = 500, bool multiline = false);

/// ISO 3166-1 alpha-2 shape: two capital letters.
bool IsCountryCode(std::string_view code);
/// 2–16 of A–Z, 0–9, '-', '_' (the rule of tane.calls.v1.Call.partner_agency).
bool IsAgencyCode(std::string_view code);
/// local@domain with a dot in the domain, no spaces; not a full RFC 5322 parser.
bool IsEmail(std::string_view text);

/// Valid scopes, each once.
void CheckScopes(core::Violations& v, const std::string& field,
                 const google::protobuf::RepeatedField<int>& scopes);

google::protobuf::Timestamp ToProto(absl::Time t);
absl::Time FromProto(const google::protobuf::Timestamp& ts);
/// "2017-06-07T00:00:00Z"
std::string Rfc3339(absl::Time t);

/// ABORTED when `expected` is non-zero and differs from `actual`.
absl::Status CheckVersion(int64_t expected, int64_t actual, std::string_view what);

/// "program_officer:po-1", "partner:nsf-bot (NSF)".
std::string ActorLabel(const common::v1::Actor& actor);

}  // namespace tane::international::internal
