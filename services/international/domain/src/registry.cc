#include "tane/international/registry.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "internal.h"
#include "tane/international/money.h"

namespace tane::international {

using core::Violations;
using namespace internal;  // NOLINT

namespace {

constexpr size_t kMaxIdentityBytes = 2048;

void ValidateAgencyFields(const v1::PartnerAgency& a, const std::string& prefix, Violations& v) {
  if (!IsAgencyCode(a.agency_code())) {
    v.Add(prefix + "agency_code",
          "must be 2–16 capital letters, digits, '-' or '_' (e.g. \"NSF\", \"JICA\")");
  }
  CheckText(v, prefix + "name", a.name(), true, 200);
  if (!IsCountryCode(a.country_code())) {
    v.Add(prefix + "country_code", "must be an ISO 3166-1 alpha-2 code such as \"US\"");
  }
  if (FindCurrency(a.currency_code()) == nullptr) {
    v.Add(prefix + "currency_code",
          absl::StrCat("\"", a.currency_code(), "\" is not a supported ISO 4217 currency code"));
  }
  CheckText(v, prefix + "contact.name", a.contact().name(), false, 200);
  if (!a.contact().email().empty() && !IsEmail(a.contact().email())) {
    v.Add(prefix + "contact.email", "is not an e-mail address");
  }
  CheckText(v, prefix + "contact.phone", a.contact().phone(), false, 50);
  CheckScopes(v, prefix + "shared_data", a.shared_data());
}

// The request names this agency and, when it says so, its version.
absl::Status CheckAgencyRequest(const v1::PartnerAgencyRecord& record, std::string_view agency_code,
                                int64_t expected_version) {
  if (agency_code != record.agency().agency_code()) {
    return absl::InvalidArgumentError(absl::StrCat("request names agency ", Sv(agency_code),
                                                   ", not ", record.agency().agency_code()));
  }
  return CheckVersion(expected_version, record.agency().version(), "partner agency");
}

void Touch(v1::PartnerAgencyRecord& record, const Context& ctx) {
  auto* a = record.mutable_agency();
  a->set_version(a->version() + 1);
  *a->mutable_update_time() = ToProto(ctx.now);
}

std::string Hint(std::string_view s) {
  return std::string(s.substr(s.size() > 4 ? s.size() - 4 : 0));
}

const v1::StoredCredentialHash* HashOf(const v1::PartnerAgencyRecord& record,
                                       std::string_view credential_id) {
  for (const auto& h : record.hashes()) {
    if (h.credential_id() == credential_id) return &h;
  }
  return nullptr;
}

bool Usable(const v1::PartnerCredential& c, absl::Time now) {
  if (c.has_revoke_time()) return false;
  return !c.has_expire_time() || now < FromProto(c.expire_time());
}

}  // namespace

absl::StatusOr<AgencyChange> CreatePartnerAgency(const v1::PartnerAgencyRecord* existing,
                                                 const v1::CreatePartnerAgencyRequest& request,
                                                 const Context& ctx) {
  const v1::PartnerAgency& a = request.partner_agency();
  if (existing != nullptr) {
    return absl::AlreadyExistsError(
        absl::StrCat("partner agency ", a.agency_code(), " is already registered"));
  }
  Violations v;
  ValidateAgencyFields(a, "partner_agency.", v);
  if (a.credentials_size() > 0) {
    v.Add("partner_agency.credentials", "are issued with IssuePartnerCredential, not given here");
  }
  if (!v.empty()) return v.ToStatus("invalid partner agency");
  AgencyChange out;
  v1::PartnerAgency* stored = out.record.mutable_agency();
  *stored = a;
  stored->set_version(1);
  *stored->mutable_create_time() = ToProto(ctx.now);
  *stored->mutable_update_time() = ToProto(ctx.now);
  return out;
}

absl::StatusOr<AgencyChange> UpdatePartnerAgency(const v1::PartnerAgencyRecord& record,
                                                 const v1::UpdatePartnerAgencyRequest& request,
                                                 const Context& ctx) {
  const v1::PartnerAgency& given = request.partner_agency();
  if (auto s = CheckAgencyRequest(record, given.agency_code(), given.version()); !s.ok()) {
    return s;
  }
  Violations v;
  if (request.update_mask().paths_size() == 0) v.Add("update_mask", "is required");
  AgencyChange out{record, true};
  v1::PartnerAgency& a = *out.record.mutable_agency();
  for (const std::string& path : request.update_mask().paths()) {
    if (path == "name") {
      a.set_name(given.name());
    } else if (path == "country_code") {
      a.set_country_code(given.country_code());
    } else if (path == "currency_code") {
      a.set_currency_code(given.currency_code());
    } else if (path == "contact") {
      *a.mutable_contact() = given.contact();
    } else if (path == "shared_data") {
      *a.mutable_shared_data() = given.shared_data();
    } else {
      v.Add("update_mask", absl::StrCat("\"", path,
                                        "\" cannot be changed (allowed: name, country_code, "
                                        "currency_code, contact, shared_data)"));
    }
  }
  ValidateAgencyFields(a, "partner_agency.", v);
  if (!v.empty()) return v.ToStatus("invalid partner agency update");
  Touch(out.record, ctx);
  return out;
}

absl::StatusOr<IssuedCredential> IssueCredential(const v1::PartnerAgencyRecord& record,
                                                 const v1::IssuePartnerCredentialRequest& request,
                                                 const CredentialMaterial& material,
                                                 const Context& ctx) {
  if (auto s = CheckAgencyRequest(record, request.agency_code(), request.expected_version());
      !s.ok()) {
    return s;
  }
  Violations v;
  CheckText(v, "label", request.label(), false, 100);
  const bool certificate = request.kind() == v1::CREDENTIAL_KIND_CLIENT_CERTIFICATE;
  if (request.kind() != v1::CREDENTIAL_KIND_API_KEY && !certificate) {
    v.Add("kind", "must be CREDENTIAL_KIND_API_KEY or CREDENTIAL_KIND_CLIENT_CERTIFICATE");
  }
  if (certificate) {
    CheckText(v, "certificate_identity", request.certificate_identity(), true, kMaxIdentityBytes);
  } else if (!request.certificate_identity().empty()) {
    v.Add("certificate_identity", "is only for client certificates");
  }
  if (request.has_expire_time() && FromProto(request.expire_time()) <= ctx.now) {
    v.Add("expire_time", "must be in the future");
  }
  if (!v.empty()) return v.ToStatus("invalid credential request");

  std::string api_key;
  if (!certificate) {
    auto key = FormatApiKey(material);
    if (!key.ok()) return key.status();
    api_key = *std::move(key);
  } else if (material.credential_id.empty()) {
    return absl::InvalidArgumentError("credential id is required");
  }
  for (const auto& c : record.agency().credentials()) {
    if (c.credential_id() == material.credential_id) {
      return absl::AlreadyExistsError(
          absl::StrCat("credential ", material.credential_id, " already exists"));
    }
  }
  const std::string digest = Sha256(certificate ? request.certificate_identity() : api_key);
  if (certificate) {
    for (const auto& c : record.agency().credentials()) {
      const auto* h = HashOf(record, c.credential_id());
      if (c.kind() == v1::CREDENTIAL_KIND_CLIENT_CERTIFICATE && Usable(c, ctx.now) &&
          h != nullptr && ConstantTimeEquals(h->sha256(), digest)) {
        return absl::AlreadyExistsError(absl::StrCat(
            "this certificate identity is already registered as credential ", c.credential_id()));
      }
    }
  }

  IssuedCredential out;
  out.change.record = record;
  v1::PartnerCredential& c = *out.change.record.mutable_agency()->add_credentials();
  c.set_credential_id(material.credential_id);
  c.set_kind(request.kind());
  c.set_label(request.label());
  c.set_hint(Hint(certificate ? request.certificate_identity() : api_key));
  *c.mutable_create_time() = ToProto(ctx.now);
  if (request.has_expire_time()) *c.mutable_expire_time() = request.expire_time();
  auto* h = out.change.record.add_hashes();
  h->set_credential_id(material.credential_id);
  h->set_sha256(digest);
  Touch(out.change.record, ctx);
  out.credential = c;
  out.api_key = std::move(api_key);
  return out;
}

absl::StatusOr<AgencyChange> RevokeCredential(const v1::PartnerAgencyRecord& record,
                                              const v1::RevokePartnerCredentialRequest& request,
                                              const Context& ctx) {
  if (auto s = CheckAgencyRequest(record, request.agency_code(), request.expected_version());
      !s.ok()) {
    return s;
  }
  Violations v;
  CheckText(v, "reason", request.reason(), false, 500);
  if (!v.empty()) return v.ToStatus("invalid revocation");
  AgencyChange out{record, false};
  for (auto& c : *out.record.mutable_agency()->mutable_credentials()) {
    if (c.credential_id() != request.credential_id()) continue;
    if (c.has_revoke_time()) return out;
    *c.mutable_revoke_time() = ToProto(ctx.now);
    c.set_revoke_reason(request.reason());
    out.changed = true;
    Touch(out.record, ctx);
    return out;
  }
  return absl::NotFoundError(absl::StrCat("partner agency ", record.agency().agency_code(),
                                          " has no credential ", request.credential_id()));
}

absl::StatusOr<v1::AuthenticatePartnerResponse> Authenticate(
    const v1::PartnerAgencyRecord& record, const v1::AuthenticatePartnerRequest& request,
    absl::Time now) {
  const absl::Status invalid = absl::UnauthenticatedError("invalid partner credential");
  std::string digest;
  std::string key_id;
  v1::CredentialKind kind;
  if (request.has_api_key()) {
    auto id = CredentialIdOfApiKey(request.api_key());
    if (!id.ok()) return invalid;
    key_id = *id;
    digest = Sha256(request.api_key());
    kind = v1::CREDENTIAL_KIND_API_KEY;
  } else if (request.has_certificate_identity() && !request.certificate_identity().empty()) {
    digest = Sha256(request.certificate_identity());
    kind = v1::CREDENTIAL_KIND_CLIENT_CERTIFICATE;
  } else {
    return invalid;
  }
  for (const auto& c : record.agency().credentials()) {
    if (c.kind() != kind || (!key_id.empty() && c.credential_id() != key_id)) continue;
    const auto* h = HashOf(record, c.credential_id());
    if (h == nullptr || !ConstantTimeEquals(h->sha256(), digest)) continue;
    // A revoked certificate may have been registered again as a new credential.
    if (!Usable(c, now)) continue;
    v1::AuthenticatePartnerResponse out;
    out.set_agency_code(record.agency().agency_code());
    out.set_credential_id(c.credential_id());
    return out;
  }
  return invalid;
}

std::string CertificateIdentityDigestHex(std::string_view identity) { return Sha256Hex(identity); }

absl::Status AuthorizeAgencyRead(const common::v1::Actor& actor, const v1::PartnerAgency& agency) {
  if (IsPartner(actor) && actor.agency() != agency.agency_code()) {
    return absl::NotFoundError(absl::StrCat("no partner agency ", agency.agency_code()));
  }
  return absl::OkStatus();
}

}  // namespace tane::international
