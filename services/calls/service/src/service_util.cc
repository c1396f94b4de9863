#include "service_util.h"

#include "absl/strings/str_cat.h"
#include "tane/core/errors.h"

namespace tane::calls::impl {

bool ManagesCalls(const runtime::RequestContext& ctx) {
  return ctx.caller.role == kOperator || ctx.caller.role == kProgramOfficer;
}

bool ReadsAllApplications(const runtime::RequestContext& ctx) {
  return ManagesCalls(ctx) || ctx.caller.role == kAuditor;
}

runtime::CommandKey CommandOf(const runtime::RequestContext& ctx, const std::string& id,
                              const std::string& idempotency_key, const google::protobuf::Message& request) {
  return runtime::CommandKey{
      .aggregate_id = id, .idempotency_key = idempotency_key, .subject = ctx.caller.subject, .request = &request};
}

absl::Status RequireField(std::string_view field, std::string_view value) {
  if (!value.empty()) return absl::OkStatus();
  core::Violations violations;
  violations.Add(std::string(field), "is required");
  return violations.ToStatus(absl::StrCat(std::string(field), " is required"));
}

absl::Status WithViolation(const absl::Status& status, std::string field, std::string description,
                           std::string_view summary) {
  core::Violations violations;
  for (const auto& v : core::ViolationsOf(status)) violations.Add(v.field, v.description);
  violations.Add(std::move(field), std::move(description));
  return violations.ToStatus(summary);
}

absl::Status CheckNotCreated(store::AggregateStore& store, const char* type, const std::string& id,
                             std::string_view what) {
  auto existing = store.Load(type, id);
  if (!existing.ok()) return existing.status();
  if (existing->version == 0) return absl::OkStatus();
  return absl::AlreadyExistsError(absl::StrCat(std::string(what), " ", id,
                                               " was already created with this idempotency key; use a new key "
                                               "for a new resource"));
}

absl::Status NotFound(std::string_view what, const std::string& id) {
  return absl::NotFoundError(absl::StrCat(std::string(what), " ", id, " not found"));
}

}  // namespace tane::calls::impl
