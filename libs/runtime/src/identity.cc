#include "tane/runtime/identity.h"

namespace tane::runtime {
namespace {

enum class Lookup { kAbsent, kOne, kMany };

Lookup Find(const telemetry::Metadata& metadata, const char* key, std::string* value) {
  auto [begin, end] = metadata.equal_range(key);
  if (begin == end) return Lookup::kAbsent;
  if (std::next(begin) != end) return Lookup::kMany;
  value->assign(begin->second.data(), begin->second.size());
  return Lookup::kOne;
}

// Compares without an early exit, so response timing does not reveal how
// much of a guessed token was right.
bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

}  // namespace

absl::StatusOr<CallerIdentity> IdentityFromMetadata(const telemetry::Metadata& metadata,
                                                    std::string_view internal_token) {
  if (!internal_token.empty()) {
    std::string presented;
    switch (Find(metadata, kInternalTokenMetadataKey, &presented)) {
      case Lookup::kAbsent:
        return absl::UnauthenticatedError("call did not come through the gateway: no internal token");
      case Lookup::kMany:
        return absl::UnauthenticatedError("more than one internal token");
      case Lookup::kOne:
        if (!ConstantTimeEquals(presented, internal_token)) {
          return absl::PermissionDeniedError("internal token does not match");
        }
        break;
    }
  }
  CallerIdentity identity;
  auto required = [&](const char* key, std::string* out) -> absl::Status {
    switch (Find(metadata, key, out)) {
      case Lookup::kAbsent:
        return absl::UnauthenticatedError(std::string("no caller identity: missing ") + key);
      case Lookup::kMany:
        return absl::UnauthenticatedError(std::string("ambiguous caller identity: more than one ") + key);
      case Lookup::kOne:
        if (out->empty()) return absl::UnauthenticatedError(std::string("no caller identity: empty ") + key);
        break;
    }
    return absl::OkStatus();
  };
  if (auto s = required(kSubjectMetadataKey, &identity.subject); !s.ok()) return s;
  if (auto s = required(kRoleMetadataKey, &identity.role); !s.ok()) return s;
  if (Find(metadata, kAgencyMetadataKey, &identity.agency) == Lookup::kMany) {
    return absl::UnauthenticatedError(std::string("ambiguous caller identity: more than one ") + kAgencyMetadataKey);
  }
  return identity;
}

absl::StatusOr<CallerIdentity> IdentityFrom(const grpc::ServerContext& context, std::string_view internal_token) {
  return IdentityFromMetadata(context.client_metadata(), internal_token);
}

void AttachIdentity(grpc::ClientContext& context, const CallerIdentity& identity, std::string_view internal_token) {
  context.AddMetadata(kSubjectMetadataKey, identity.subject);
  context.AddMetadata(kRoleMetadataKey, identity.role);
  if (!identity.agency.empty()) context.AddMetadata(kAgencyMetadataKey, identity.agency);
  if (!internal_token.empty()) context.AddMetadata(kInternalTokenMetadataKey, std::string(internal_token));
}

}  // namespace tane::runtime
