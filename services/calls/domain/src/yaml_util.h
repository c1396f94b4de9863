#pragma once
// Small helpers over yaml-cpp that turn its exceptions and loose typing into
// absl::Status errors naming the offending path ("programs[3] (crest).period_months.max").

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tane::calls::impl {

absl::Status YamlError(std::string_view where, std::string_view message);

/// Parses a document; INVALID_ARGUMENT with line and column on a syntax error.
absl::StatusOr<YAML::Node> ParseYaml(std::string_view text, std::string_view what);

/// INVALID_ARGUMENT unless `node` is a map whose keys are all in `allowed`.
absl::Status CheckMap(const YAML::Node& node, std::string_view where,
                      std::initializer_list<std::string_view> allowed);

/// A present, non-null scalar string. `required` missing keys are errors;
/// otherwise missing or null leaves *out untouched.
absl::Status ReadString(const YAML::Node& map, std::string_view key, std::string_view where,
                        bool required, std::string* out);

/// Integer fields. Missing key: *present = false and *out untouched. Null:
/// *present = true, *out = nullopt ("not stated"). Must be a plain decimal
/// integer within [min, max].
absl::Status ReadOptionalInt(const YAML::Node& map, std::string_view key, std::string_view where,
                             int64_t min, int64_t max, std::optional<int64_t>* out,
                             bool* present = nullptr);

absl::Status ReadBool(const YAML::Node& map, std::string_view key, std::string_view where,
                      bool* out);

std::string Join(std::string_view where, std::string_view key);

}  // namespace tane::calls::impl
