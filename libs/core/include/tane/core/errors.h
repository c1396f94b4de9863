#pragma once
/// Field-level validation errors. Every bad input is answered with the list of
/// every violated rule, each naming its field; the gRPC edge turns that list
/// into google.rpc.BadRequest details and the gateway into a 400 body.

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace tane::core {

struct FieldViolation {
  std::string field;        // proto field path, e.g. "budget_plan[2].amount"
  std::string description;  // why, in words an applicant understands
  friend bool operator==(const FieldViolation&, const FieldViolation&) = default;
};

/// Collects violations; ToStatus() is OK when there are none.
class Violations final {
 public:
  void Add(std::string field, std::string description) {
    items_.push_back({std::move(field), std::move(description)});
  }
  bool empty() const { return items_.empty(); }
  const std::vector<FieldViolation>& items() const { return items_; }
  /// INVALID_ARGUMENT carrying a google.rpc.BadRequest payload, or OK.
  absl::Status ToStatus(std::string_view summary = "invalid request") const;

 private:
  std::vector<FieldViolation> items_;
};

/// The type URL under which a BadRequest payload is attached to a Status.
inline constexpr char kBadRequestTypeUrl[] = "type.googleapis.com/google.rpc.BadRequest";

/// The violations carried by a Status (empty when it carries none).
std::vector<FieldViolation> ViolationsOf(const absl::Status& status);

}  // namespace tane::core
