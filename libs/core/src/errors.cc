#include "tane/core/errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"

namespace tane::core {

absl::Status Violations::ToStatus(std::string_view summary) const {
  if (items_.empty()) return absl::OkStatus();
  google::rpc::BadRequest details;
  std::string message(summary);
  for (const auto& v : items_) {
    auto* fv = details.add_field_violations();
    fv->set_field(v.field);
    fv->set_description(v.description);
  }
  absl::StrAppend(&message, ": ", items_.front().field, ": ", items_.front().description);
  if (items_.size() > 1) absl::StrAppend(&message, " (and ", items_.size() - 1, " more)");
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(kBadRequestTypeUrl, absl::Cord(details.SerializeAsString()));
  return status;
}

std::vector<FieldViolation> ViolationsOf(const absl::Status& status) {
  std::vector<FieldViolation> out;
  auto payload = status.GetPayload(kBadRequestTypeUrl);
  if (!payload) return out;
  google::rpc::BadRequest details;
  if (!details.ParseFromString(std::string(*payload))) return out;
  for (const auto& fv : details.field_violations()) out.push_back({fv.field(), fv.description()});
  return out;
}

}  // namespace tane::core
