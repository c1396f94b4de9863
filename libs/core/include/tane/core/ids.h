#pragma once
/// Identifiers: UUIDs for aggregates and events, typed wrappers so an
/// ApplicationId cannot be passed where a CallId is expected, and validators
/// for the identifiers the research world already has (e-Rad, ORCID).

#include <compare>
#include <string>
#include <string_view>

namespace tane::core {

/// A random (version 4) UUID in canonical lowercase form.
std::string NewUuid();
/// A name-based (version 5, SHA-1) UUID: the same namespace and name always
/// give the same id. Used to turn an idempotency key into an aggregate id.
std::string NameUuid(std::string_view name_space, std::string_view name);
/// True for the canonical 8-4-4-4-12 hex form.
bool IsUuid(std::string_view text);

/// e-Rad researcher number: exactly 8 ASCII digits.
bool IsEradResearcherNumber(std::string_view text);
/// ORCID iD "0000-0002-1825-0097" with its ISO 7064 11,2 check digit.
bool IsOrcid(std::string_view text);

/// A string id tagged with what it identifies.
template <typename Tag>
class TypedId final {
 public:
  TypedId() = default;
  explicit TypedId(std::string value) : value_(std::move(value)) {}
  const std::string& value() const { return value_; }
  bool empty() const { return value_.empty(); }
  friend auto operator<=>(const TypedId&, const TypedId&) = default;

 private:
  std::string value_;
};

}  // namespace tane::core
