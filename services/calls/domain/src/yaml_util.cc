#include "yaml_util.h"

#include <charconv>
#include <exception>

#include "absl/strings/str_cat.h"

namespace tane::calls::impl {

absl::Status YamlError(std::string_view where, std::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(where), ": ", std::string(message)));
}

std::string Join(std::string_view where, std::string_view key) {
  if (where.empty()) return std::string(key);
  return absl::StrCat(std::string(where), ".", std::string(key));
}

absl::StatusOr<YAML::Node> ParseYaml(std::string_view text, std::string_view what) {
  try {
    YAML::Node node = YAML::Load(std::string(text));
    if (!node.IsMap()) return YamlError(what, "the document must be a YAML map");
    return node;
  } catch (const YAML::Exception& e) {
    return YamlError(what, absl::StrCat("YAML syntax error at line ", e.mark.line + 1, ", column ",
                                        e.mark.column + 1, ": ", e.msg));
  }
}

absl::Status CheckMap(const YAML::Node& node, std::string_view where,
                      std::initializer_list<std::string_view> allowed) {
  if (!node.IsMap()) return YamlError(where, "must be a map");
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) return YamlError(where, "keys must be plain strings");
    const std::string& key = entry.first.Scalar();
    bool known = false;
    for (std::string_view a : allowed) known = known || a == key;
    if (!known) return YamlError(Join(where, key), "unknown field");
  }
  return absl::OkStatus();
}

absl::Status ReadString(const YAML::Node& map, std::string_view key, std::string_view where,
                        bool required, std::string* out) {
  const YAML::Node node = map[std::string(key)];
  if (!node.IsDefined() || node.IsNull()) {
    if (required) return YamlError(Join(where, key), "is required");
    return absl::OkStatus();
  }
  if (!node.IsScalar()) return YamlError(Join(where, key), "must be a string");
  *out = node.Scalar();
  if (required && out->empty()) return YamlError(Join(where, key), "must not be empty");
  return absl::OkStatus();
}

absl::Status ReadOptionalInt(const YAML::Node& map, std::string_view key, std::string_view where,
                             int64_t min, int64_t max, std::optional<int64_t>* out, bool* present) {
  const YAML::Node node = map[std::string(key)];
  if (present != nullptr) *present = node.IsDefined();
  if (!node.IsDefined()) return absl::OkStatus();
  if (node.IsNull()) {
    *out = std::nullopt;
    return absl::OkStatus();
  }
  const std::string path = Join(where, key);
  if (!node.IsScalar()) return YamlError(path, "must be an integer or null");
  const std::string& text = node.Scalar();
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) {
    return YamlError(path, absl::StrCat("must be a plain decimal integer (got \"", text, "\")"));
  }
  if (value < min) {
    return YamlError(path, min == 0 ? absl::StrCat("must not be negative (got ", value, ")")
                                    : absl::StrCat("must be at least ", min, " (got ", value, ")"));
  }
  if (value > max)
    return YamlError(path, absl::StrCat("must be at most ", max, " (got ", value, ")"));
  *out = value;
  return absl::OkStatus();
}

absl::Status ReadBool(const YAML::Node& map, std::string_view key, std::string_view where,
                      bool* out) {
  const YAML::Node node = map[std::string(key)];
  if (!node.IsDefined() || node.IsNull()) return absl::OkStatus();
  const std::string path = Join(where, key);
  if (!node.IsScalar()) return YamlError(path, "must be true or false");
  const std::string& text = node.Scalar();
  if (text == "true") {
    *out = true;
  } else if (text == "false") {
    *out = false;
  } else {
    return YamlError(path, absl::StrCat("must be true or false (got \"", text, "\")"));
  }
  return absl::OkStatus();
}

}  // namespace tane::calls::impl
