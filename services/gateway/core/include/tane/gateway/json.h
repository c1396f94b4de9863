#pragma once
/// A small JSON document builder for what the gateway writes itself (error
/// bodies, /readyz, the OpenAPI document): objects keep their insertion
/// order, so output is deterministic. Strings are escaped per RFC 8259 and
/// invalid UTF-8 becomes U+FFFD.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tane::gateway {

class Json final {
 public:
  /// null
  Json() = default;
  Json(const char* s) : kind_(Kind::kString), text_(s) {}
  Json(std::string s) : kind_(Kind::kString), text_(std::move(s)) {}
  Json(bool b) : kind_(Kind::kBool), bool_(b) {}
  Json(int v) : Json(static_cast<int64_t>(v)) {}
  Json(int64_t v) : kind_(Kind::kRaw), text_(std::to_string(v)) {}

  static Json Object() { return Json(Kind::kObject); }
  static Json Array() { return Json(Kind::kArray); }
  /// Already-serialized JSON, embedded as is (the caller vouches for it).
  static Json Raw(std::string json) {
    Json j(Kind::kRaw);
    j.text_ = std::move(json);
    return j;
  }

  /// Object: sets `key`, replacing an existing value in place. Returns *this.
  Json& Set(const std::string& key, Json value);
  /// Object: the value under `key`, inserting null first if absent.
  Json& operator[](const std::string& key);
  /// Array: appends. Returns *this.
  Json& Push(Json value);

  size_t size() const { return kind_ == Kind::kObject ? members_.size() : items_.size(); }

  std::string Dump() const;
  void AppendTo(std::string* out) const;

 private:
  enum class Kind { kNull, kBool, kString, kRaw, kArray, kObject };
  explicit Json(Kind kind) : kind_(kind) {}

  Kind kind_ = Kind::kNull;
  bool bool_ = false;
  std::string text_;
  std::vector<Json> items_;
  std::vector<std::pair<std::string, Json>> members_;
};

}  // namespace tane::gateway
