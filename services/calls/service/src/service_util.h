#pragma once
// Small helpers shared by the calls service's handlers.

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "tane/runtime/service_kit.h"
#include "tane/store/aggregate_store.h"

namespace tane::calls::impl {

inline constexpr char kApplicant[] = "applicant";
inline constexpr char kOperator[] = "operator";
inline constexpr char kProgramOfficer[] = "program_officer";
inline constexpr char kAuditor[] = "auditor";

/// Operators and program officers: they see DRAFT calls.
bool ManagesCalls(const runtime::RequestContext& ctx);
/// Program officers, operators and auditors: they read every application.
bool ReadsAllApplications(const runtime::RequestContext& ctx);

/// The command for `request` on aggregate `id`, keyed by the caller.
runtime::CommandKey CommandOf(const runtime::RequestContext& ctx, const std::string& id,
                              const std::string& idempotency_key, const google::protobuf::Message& request);

/// Sets `value`'s version to stored_version + 1 and returns the commit that
/// stores it over `stored_version` (0: new).
template <typename T>
store::Commit CommitOf(const char* type, const std::string& id, int64_t stored_version, T& value) {
  value.set_version(stored_version + 1);
  store::Commit commit;
  commit.aggregate_type = type;
  commit.aggregate_id = id;
  commit.expected_version = stored_version;
  commit.data = value.SerializeAsString();
  return commit;
}

/// INVALID_ARGUMENT naming `field` when `value` is empty, else OK.
absl::Status RequireField(std::string_view field, std::string_view value);

/// `status` (OK or INVALID_ARGUMENT with a BadRequest) with one more violation.
absl::Status WithViolation(const absl::Status& status, std::string field, std::string description,
                           std::string_view summary);

/// OK while no aggregate (type, id) exists. ALREADY_EXISTS when one does: the
/// id of a create comes from its idempotency key, so the key was used before,
/// longer ago than stored results are kept.
absl::Status CheckNotCreated(store::AggregateStore& store, const char* type, const std::string& id,
                             std::string_view what);

absl::Status NotFound(std::string_view what, const std::string& id);

}  // namespace tane::calls::impl
