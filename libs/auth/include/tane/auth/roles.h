#pragma once
/// The roles of Tane's callers and the authenticated principal.
///
/// A caller has exactly one role. Method-level policy (the
/// (tane.common.v1.policy) option on each RPC) names the roles that may call
/// it; services apply object-level rules on top (an applicant sees only their
/// own applications, a partner only joint calls of its agency).

#include <array>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace tane::auth {

inline constexpr std::string_view kApplicant = "applicant";
inline constexpr std::string_view kReviewer = "reviewer";
/// Research supervisor (研究総括), PS or PO of a program.
inline constexpr std::string_view kProgramOfficer = "program_officer";
inline constexpr std::string_view kOperator = "operator";
inline constexpr std::string_view kFinanceOfficer = "finance_officer";
/// A partner agency's system or staff; always carries its agency code.
inline constexpr std::string_view kPartner = "partner";
/// Read-only access to everything, the audit log included.
inline constexpr std::string_view kAuditor = "auditor";

/// Every role, in the order documentation lists them.
inline constexpr std::array<std::string_view, 7> kRoles = {kApplicant,      kReviewer, kProgramOfficer, kOperator,
                                                           kFinanceOfficer, kPartner,  kAuditor};

bool IsKnownRole(std::string_view role);

/// How the principal proved who it is.
enum class CredentialKind { kJwt, kApiKey };

/// An authenticated caller. `agency` is the partner agency code ("NSF") for
/// the partner role and empty for every other role.
struct Principal {
  std::string subject;
  std::string role;
  std::string agency;
  CredentialKind credential = CredentialKind::kJwt;
  /// When the credential stops being valid: a token's "exp"; API keys do not expire.
  absl::Time expires_at = absl::InfiniteFuture();
  friend bool operator==(const Principal&, const Principal&) = default;
};

/// Checks what every credential must satisfy before its principal is
/// trusted, whatever carried it; the principal travels to services as gRPC
/// metadata, so text must be printable ASCII:
///   subject: 1..256 printable ASCII characters (0x21..0x7E, no spaces);
///   role: one of kRoles;
///   agency: required for partner, forbidden otherwise; 2..16 of A-Z 0-9 '-' '_'
///           (the agency codes the international service registers).
/// INVALID_ARGUMENT naming the field and the rule otherwise.
absl::Status ValidatePrincipal(const Principal& principal);

}  // namespace tane::auth
