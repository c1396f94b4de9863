#include "internal.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "tane/core/time.h"

namespace tane::international::internal {

size_t FirstInvalidUtf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;  // continuation byte, C0/C1 (overlong) or F5..FF
    }
    if (i + len > n) return i;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

size_t CodePoints(std::string_view text) {
  size_t count = 0;
  for (unsigned char c : text) count += (c & 0xC0) != 0x80;
  return count;
}

void CheckText(core::Violations& v, const std::string& field, std::string_view value, bool required,
               size_t max_chars, bool multiline) {
  if (value.empty()) {
    if (required) v.Add(field, "is required");
    return;
  }
  if (const size_t bad = FirstInvalidUtf8(value); bad != std::string_view::npos) {
    v.Add(field, absl::StrCat("is not valid UTF-8 (byte ", bad + 1, ")"));
    return;
  }
  for (unsigned char c : value) {
    const bool allowed = multiline && (c == '\t' || c == '\n' || c == '\r');
    if ((c < 0x20 || c == 0x7F) && !allowed) {
      v.Add(field, "must not contain control characters");
      return;
    }
  }
  if (CodePoints(value) > max_chars) {
    v.Add(field, absl::StrCat("is longer than ", max_chars, " characters"));
  }
}

bool IsCountryCode(std::string_view code) {
  return code.size() == 2 && code[0] >= 'A' && code[0] <= 'Z' && code[1] >= 'A' && code[1] <= 'Z';
}

bool IsAgencyCode(std::string_view code) {
  if (code.size() < 2 || code.size() > 16) return false;
  for (char c : code) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  }
  return true;
}

bool IsEmail(std::string_view text) {
  const size_t at = text.find('@');
  if (at == std::string_view::npos || at == 0 || text.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  const std::string_view domain = text.substr(at + 1);
  const size_t dot = domain.find('.');
  if (dot == std::string_view::npos || dot == 0 || domain.back() == '.') return false;
  for (unsigned char c : text) {
    if (c <= 0x20 || c == 0x7F) return false;
  }
  return true;
}

void CheckScopes(core::Violations& v, const std::string& field,
                 const google::protobuf::RepeatedField<int>& scopes) {
  std::set<int> seen;
  for (int i = 0; i < scopes.size(); ++i) {
    const int scope = scopes.Get(i);
    const std::string path = absl::StrCat(field, "[", i, "]");
    if (scope == v1::DATA_SCOPE_UNSPECIFIED || !v1::DataScope_IsValid(scope)) {
      v.Add(path, "is not a data scope");
    } else if (!seen.insert(scope).second) {
      v.Add(path, absl::StrCat(v1::DataScope_Name(scope), " is listed twice"));
    }
  }
}

google::protobuf::Timestamp ToProto(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

absl::Time FromProto(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixNanos(google::protobuf::util::TimeUtil::TimestampToNanoseconds(ts));
}

std::string Rfc3339(absl::Time t) { return core::FormatRfc3339Utc(t); }

absl::Status CheckVersion(int64_t expected, int64_t actual, std::string_view what) {
  if (expected != 0 && expected != actual) {
    return absl::AbortedError(absl::StrCat(Sv(what), " is at version ", actual, ", not ", expected,
                                           ": reload and retry"));
  }
  return absl::OkStatus();
}

std::string ActorLabel(const common::v1::Actor& actor) {
  std::string label = absl::StrCat(actor.role(), ":", actor.subject());
  if (!actor.agency().empty()) absl::StrAppend(&label, " (", actor.agency(), ")");
  return label;
}

}  // namespace tane::international::internal
