#pragma once
/// The partner agency registry: agencies (code, country, currency, contact,
/// the data each may see) and their exchange credentials (API keys and
/// client-certificate identities, stored as SHA-256 digests only).
///
/// Commands are pure functions (record, request, context) → the new record,
/// or an error that changes nothing: INVALID_ARGUMENT with every field
/// violation, ALREADY_EXISTS, NOT_FOUND, FAILED_PRECONDITION, ABORTED for a
/// version mismatch. A change bumps the version by one. Thread-safe.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "tane/international/context.h"
#include "tane/international/credentials.h"
#include "tane/international/v1/international.pb.h"
#include "tane/international/v1/state.pb.h"

namespace tane::international {

struct AgencyChange {
  v1::PartnerAgencyRecord record;
  /// False for a no-op (revoking a revoked credential): nothing to write.
  bool changed = true;
};

/// A new agency at version 1. ALREADY_EXISTS when `existing` is non-null;
/// INVALID_ARGUMENT for a malformed code, name, country (ISO 3166-1 alpha-2),
/// currency (see money.h), contact e-mail or scope, or credentials given
/// (they are issued with IssueCredential).
absl::StatusOr<AgencyChange> CreatePartnerAgency(const v1::PartnerAgencyRecord* existing,
                                                 const v1::CreatePartnerAgencyRequest& request,
                                                 const Context& ctx);

/// Changes the masked fields (name, country_code, currency_code, contact,
/// shared_data); INVALID_ARGUMENT for an empty mask or another path.
absl::StatusOr<AgencyChange> UpdatePartnerAgency(const v1::PartnerAgencyRecord& record,
                                                 const v1::UpdatePartnerAgencyRequest& request,
                                                 const Context& ctx);

struct IssuedCredential {
  AgencyChange change;
  v1::PartnerCredential credential;
  /// The API key, for the first answer only; empty for certificates.
  std::string api_key;
};

/// Adds a credential made of `material` (its credential_id; for API keys its
/// secret). Stores only SHA-256 of the API key or of the certificate
/// identity. ALREADY_EXISTS when the credential id or an active identical
/// certificate identity is already registered; INVALID_ARGUMENT for a
/// missing kind, a certificate identity given with an API key or missing for
/// a certificate, an expiry not in the future.
absl::StatusOr<IssuedCredential> IssueCredential(const v1::PartnerAgencyRecord& record,
                                                 const v1::IssuePartnerCredentialRequest& request,
                                                 const CredentialMaterial& material,
                                                 const Context& ctx);

/// NOT_FOUND for an unknown credential id; revoking a revoked one changes
/// nothing (changed = false).
absl::StatusOr<AgencyChange> RevokeCredential(const v1::PartnerAgencyRecord& record,
                                              const v1::RevokePartnerCredentialRequest& request,
                                              const Context& ctx);

/// The agency and credential of an API key or certificate identity presented
/// at `now`. UNAUTHENTICATED "invalid partner credential" for every failure
/// (malformed, unknown, revoked, expired, wrong secret), so a caller learns
/// nothing about which. The digest comparison is constant-time.
absl::StatusOr<v1::AuthenticatePartnerResponse> Authenticate(
    const v1::PartnerAgencyRecord& record, const v1::AuthenticatePartnerRequest& request,
    absl::Time now);

/// Lowercase hex SHA-256 of a certificate identity: the key of the wiring's
/// identity → agency index.
std::string CertificateIdentityDigestHex(std::string_view identity);

/// NOT_FOUND (as for an unknown agency) when a partner asks for another
/// agency; OK for staff.
absl::Status AuthorizeAgencyRead(const common::v1::Actor& actor, const v1::PartnerAgency& agency);

}  // namespace tane::international
