// The partner agency registry and its exchange credentials.

#include "tane/international/registry.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tane/core/errors.h"
#include "test_support.h"

namespace tane::international {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace tane::international::testing;  // NOLINT

const CredentialMaterial kKey{"0123456789abcdef0123456789abcdef",
                              "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde"};
const CredentialMaterial kCert{"fedcba9876543210fedcba9876543210", ""};
const char kIdentity[] = "SHA256:9f:86:d0:81:88:4c:7d:65:9a:2f:ea:a0:c5:5a:d0:15";

v1::PartnerAgencyRecord Registered() {
  v1::CreatePartnerAgencyRequest r;
  *r.mutable_partner_agency() = Anr();
  auto created = CreatePartnerAgency(nullptr, r, Ctx(Staff()));
  EXPECT_TRUE(created.ok()) << created.status();
  return created->record;
}

v1::IssuePartnerCredentialRequest IssueKey() {
  v1::IssuePartnerCredentialRequest r;
  r.set_agency_code("ANR");
  r.set_kind(v1::CREDENTIAL_KIND_API_KEY);
  r.set_label("exchange server");
  return r;
}

v1::IssuePartnerCredentialRequest IssueCert() {
  v1::IssuePartnerCredentialRequest r = IssueKey();
  r.set_kind(v1::CREDENTIAL_KIND_CLIENT_CERTIFICATE);
  r.set_certificate_identity(kIdentity);
  return r;
}

v1::AuthenticatePartnerRequest WithKey(const std::string& key) {
  v1::AuthenticatePartnerRequest r;
  r.set_api_key(key);
  return r;
}

v1::AuthenticatePartnerRequest WithCert(const std::string& identity) {
  v1::AuthenticatePartnerRequest r;
  r.set_certificate_identity(identity);
  return r;
}

TEST(PartnerAgencyTest, CreateValidatesEveryField) {
  v1::CreatePartnerAgencyRequest r;
  v1::PartnerAgency& a = *r.mutable_partner_agency();
  a.set_agency_code("anr");
  a.set_country_code("FRA");
  a.set_currency_code("FRF");
  a.mutable_contact()->set_email("nobody");
  a.add_shared_data(v1::DATA_SCOPE_JST_TITLES);
  a.add_shared_data(v1::DATA_SCOPE_JST_TITLES);
  a.add_credentials()->set_credential_id("x");
  auto t = CreatePartnerAgency(nullptr, r, Ctx(Staff()));
  ASSERT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  std::vector<std::string> fields;
  for (const auto& v : core::ViolationsOf(t.status())) fields.push_back(v.field);
  EXPECT_THAT(fields, ::testing::ElementsAre(
                          "partner_agency.agency_code", "partner_agency.name",
                          "partner_agency.country_code", "partner_agency.currency_code",
                          "partner_agency.contact.email", "partner_agency.shared_data[1]",
                          "partner_agency.credentials"));
}

TEST(PartnerAgencyTest, CreateOnceAndUpdateByMask) {
  const v1::PartnerAgencyRecord record = Registered();
  EXPECT_EQ(record.agency().version(), 1);
  EXPECT_EQ(record.agency().create_time().seconds(), absl::ToUnixSeconds(Day()));
  v1::CreatePartnerAgencyRequest again;
  *again.mutable_partner_agency() = Anr();
  EXPECT_EQ(CreatePartnerAgency(&record, again, Ctx(Staff())).status().code(),
            absl::StatusCode::kAlreadyExists);

  v1::UpdatePartnerAgencyRequest u;
  u.mutable_partner_agency()->set_agency_code("ANR");
  u.mutable_partner_agency()->set_name("ANR — Agence nationale de la recherche");
  u.mutable_partner_agency()->set_currency_code("USD");
  u.mutable_update_mask()->add_paths("name");
  auto updated = UpdatePartnerAgency(record, u, Ctx(Staff(), Day(1)));
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->record.agency().name(), "ANR — Agence nationale de la recherche");
  EXPECT_EQ(updated->record.agency().currency_code(), "EUR") << "not in the mask";
  EXPECT_EQ(updated->record.agency().version(), 2);

  u.mutable_update_mask()->add_paths("credentials");
  EXPECT_EQ(UpdatePartnerAgency(record, u, Ctx(Staff())).status().code(),
            absl::StatusCode::kInvalidArgument);
  u.mutable_update_mask()->Clear();
  EXPECT_EQ(UpdatePartnerAgency(record, u, Ctx(Staff())).status().code(),
            absl::StatusCode::kInvalidArgument);
  u.mutable_update_mask()->add_paths("name");
  u.mutable_partner_agency()->set_version(5);
  EXPECT_EQ(UpdatePartnerAgency(record, u, Ctx(Staff())).status().code(),
            absl::StatusCode::kAborted);
}

TEST(CredentialTest, ApiKeyIsShownOnceAndStoredOnlyAsItsDigest) {
  auto issued = IssueCredential(Registered(), IssueKey(), kKey, Ctx(Staff()));
  ASSERT_TRUE(issued.ok()) << issued.status();
  const std::string key = "tpk_" + kKey.credential_id + "_" + kKey.secret;
  EXPECT_EQ(issued->api_key, key);
  EXPECT_EQ(issued->credential.hint(), "bcde");
  const v1::PartnerAgencyRecord& record = issued->change.record;
  EXPECT_EQ(record.agency().version(), 2);
  ASSERT_EQ(record.hashes_size(), 1);
  EXPECT_EQ(record.hashes(0).sha256(), Sha256(key));
  EXPECT_THAT(record.SerializeAsString(), Not(HasSubstr(kKey.secret)));
  EXPECT_THAT(record.agency().SerializeAsString(), Not(HasSubstr(Sha256(key))))
      << "the API view has no digest";
}

TEST(CredentialTest, AuthenticateTable) {
  auto with_key = IssueCredential(Registered(), IssueKey(), kKey, Ctx(Staff()));
  ASSERT_TRUE(with_key.ok());
  v1::IssuePartnerCredentialRequest expiring = IssueCert();
  expiring.mutable_expire_time()->set_seconds(absl::ToUnixSeconds(Day(30)));
  auto with_cert = IssueCredential(with_key->change.record, expiring, kCert, Ctx(Staff()));
  ASSERT_TRUE(with_cert.ok()) << with_cert.status();
  const v1::PartnerAgencyRecord record = with_cert->change.record;
  const std::string key = with_key->api_key;
  std::string tampered = key;
  tampered.back() = tampered.back() == 'e' ? 'f' : 'e';

  struct Case {
    std::string name;
    v1::AuthenticatePartnerRequest request;
    absl::Time now;
    std::string credential;  // empty: refused
  };
  const std::vector<Case> cases = {
      {"the key", WithKey(key), Day(), kKey.credential_id},
      {"a wrong secret", WithKey(tampered), Day(), ""},
      {"a malformed key", WithKey("tpk_short"), Day(), ""},
      {"the secret alone", WithKey(kKey.secret), Day(), ""},
      {"nothing", v1::AuthenticatePartnerRequest(), Day(), ""},
      {"the certificate", WithCert(kIdentity), Day(29), kCert.credential_id},
      {"an expired certificate", WithCert(kIdentity), Day(30), ""},
      {"another certificate", WithCert("SHA256:00"), Day(), ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = Authenticate(record, c.request, c.now);
    if (c.credential.empty()) {
      EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated);
      EXPECT_EQ(r.status().message(), "invalid partner credential");
    } else {
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_EQ(r->agency_code(), "ANR");
      EXPECT_EQ(r->credential_id(), c.credential);
    }
  }
}

TEST(CredentialTest, RevokedCredentialsAreRefusedAndRevokingTwiceIsANoOp) {
  auto issued = IssueCredential(Registered(), IssueKey(), kKey, Ctx(Staff()));
  ASSERT_TRUE(issued.ok());
  v1::RevokePartnerCredentialRequest r;
  r.set_agency_code("ANR");
  r.set_credential_id(kKey.credential_id);
  r.set_reason("key leaked in a support e-mail");
  auto revoked = RevokeCredential(issued->change.record, r, Ctx(Staff(), Day(1)));
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  EXPECT_TRUE(revoked->changed);
  EXPECT_EQ(Authenticate(revoked->record, WithKey(issued->api_key), Day(2)).status().code(),
            absl::StatusCode::kUnauthenticated);
  auto again = RevokeCredential(revoked->record, r, Ctx(Staff(), Day(2)));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->changed);
  EXPECT_EQ(again->record.agency().version(), revoked->record.agency().version());
  r.set_credential_id("00000000000000000000000000000000");
  EXPECT_EQ(RevokeCredential(revoked->record, r, Ctx(Staff())).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(CredentialTest, CertificateIdentityOnceWhileActive) {
  auto first = IssueCredential(Registered(), IssueCert(), kCert, Ctx(Staff()));
  ASSERT_TRUE(first.ok()) << first.status();
  const CredentialMaterial second{"11111111111111111111111111111111", ""};
  EXPECT_EQ(
      IssueCredential(first->change.record, IssueCert(), second, Ctx(Staff())).status().code(),
      absl::StatusCode::kAlreadyExists);
  v1::RevokePartnerCredentialRequest r;
  r.set_agency_code("ANR");
  r.set_credential_id(kCert.credential_id);
  auto revoked = RevokeCredential(first->change.record, r, Ctx(Staff()));
  ASSERT_TRUE(revoked.ok());
  auto renewed = IssueCredential(revoked->record, IssueCert(), second, Ctx(Staff()));
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  auto who = Authenticate(renewed->change.record, WithCert(kIdentity), Day());
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_EQ(who->credential_id(), second.credential_id);
  EXPECT_EQ(CertificateIdentityDigestHex(kIdentity), Sha256Hex(kIdentity));
}

TEST(CredentialTest, IssueRequestRules) {
  const v1::PartnerAgencyRecord record = Registered();
  v1::IssuePartnerCredentialRequest no_kind = IssueKey();
  no_kind.set_kind(v1::CREDENTIAL_KIND_UNSPECIFIED);
  EXPECT_EQ(IssueCredential(record, no_kind, kKey, Ctx(Staff())).status().code(),
            absl::StatusCode::kInvalidArgument);
  v1::IssuePartnerCredentialRequest key_with_identity = IssueKey();
  key_with_identity.set_certificate_identity(kIdentity);
  EXPECT_EQ(IssueCredential(record, key_with_identity, kKey, Ctx(Staff())).status().code(),
            absl::StatusCode::kInvalidArgument);
  v1::IssuePartnerCredentialRequest past = IssueKey();
  past.mutable_expire_time()->set_seconds(absl::ToUnixSeconds(Day(-1)));
  EXPECT_EQ(IssueCredential(record, past, kKey, Ctx(Staff())).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(IssueCredential(record, IssueKey(), CredentialMaterial{"xyz", "short"}, Ctx(Staff()))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  auto once = IssueCredential(record, IssueKey(), kKey, Ctx(Staff()));
  ASSERT_TRUE(once.ok());
  EXPECT_EQ(IssueCredential(once->change.record, IssueKey(), kKey, Ctx(Staff())).status().code(),
            absl::StatusCode::kAlreadyExists);
}

TEST(CredentialTest, RandomMaterialIsWellFormedAndFresh) {
  const CredentialMaterial a = RandomCredentialMaterial();
  const CredentialMaterial b = RandomCredentialMaterial();
  auto key = FormatApiKey(a);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(*CredentialIdOfApiKey(*key), a.credential_id);
  EXPECT_NE(a.credential_id, b.credential_id);
  EXPECT_NE(a.secret, b.secret);
}

TEST(CredentialTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals(Sha256("a"), Sha256("a")));
  EXPECT_FALSE(ConstantTimeEquals(Sha256("a"), Sha256("b")));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace tane::international
