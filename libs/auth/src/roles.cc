#include "tane/auth/roles.h"

#include <algorithm>

namespace tane::auth {
namespace {

constexpr size_t kMaxSubjectBytes = 256;

// As the international service's partner registry allows them ("JICA_JP").
bool IsAgencyChar(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'; }

}  // namespace

bool IsKnownRole(std::string_view role) { return std::find(kRoles.begin(), kRoles.end(), role) != kRoles.end(); }

absl::Status ValidatePrincipal(const Principal& principal) {
  const std::string& subject = principal.subject;
  if (subject.empty()) return absl::InvalidArgumentError("subject is empty");
  if (subject.size() > kMaxSubjectBytes) {
    return absl::InvalidArgumentError("subject is longer than " + std::to_string(kMaxSubjectBytes) + " bytes");
  }
  if (!std::all_of(subject.begin(), subject.end(), [](char c) { return c > 0x20 && c < 0x7F; })) {
    return absl::InvalidArgumentError("subject must be printable ASCII without spaces");
  }
  if (principal.role.empty()) return absl::InvalidArgumentError("role is empty");
  if (!IsKnownRole(principal.role)) {
    std::string known;
    for (std::string_view r : kRoles) known += (known.empty() ? "" : ", ") + std::string(r);
    return absl::InvalidArgumentError("unknown role \"" + principal.role + "\" (known: " + known + ")");
  }
  const std::string& agency = principal.agency;
  if (principal.role == kPartner) {
    if (agency.empty()) return absl::InvalidArgumentError("the partner role needs an agency code");
    if (agency.size() < 2 || agency.size() > 16 || !std::all_of(agency.begin(), agency.end(), IsAgencyChar)) {
      return absl::InvalidArgumentError("agency \"" + agency + "\" must be 2..16 characters of A-Z, 0-9, '-' and '_'");
    }
  } else if (!agency.empty()) {
    return absl::InvalidArgumentError("an agency code is only allowed with the partner role, not " + principal.role);
  }
  return absl::OkStatus();
}

}  // namespace tane::auth
