#include "tane/auth/jwt.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tane::auth {
namespace {

using ::testing::HasSubstr;

constexpr char kSecret[] = "0123456789abcdef0123456789abcdef";
const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

struct RsaKeyPair {
  std::string private_pem;
  std::string public_pem;
};

std::string BioString(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

RsaKeyPair NewRsaKeyPair() {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  BIO* priv = BIO_new(BIO_s_mem());
  BIO* pub = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(priv, key, nullptr, nullptr, 0, nullptr, nullptr);
  PEM_write_bio_PUBKEY(pub, key);
  RsaKeyPair pair{BioString(priv), BioString(pub)};
  BIO_free(priv);
  BIO_free(pub);
  EVP_PKEY_free(key);
  return pair;
}

// Keys are slow to make; every test shares two.
const RsaKeyPair& KeyA() {
  static const RsaKeyPair* pair = new RsaKeyPair(NewRsaKeyPair());
  return *pair;
}
const RsaKeyPair& KeyB() {
  static const RsaKeyPair* pair = new RsaKeyPair(NewRsaKeyPair());
  return *pair;
}

// Signs arbitrary claims (JSON) with libjwt directly, for tokens MintHs256
// would never make.
std::string Sign(const std::string& claims_json, jwt_alg_t alg, std::string_view key, std::string_view kid = "") {
  jwt_t* jwt = nullptr;
  jwt_new(&jwt);
  EXPECT_EQ(jwt_add_grants_json(jwt, claims_json.c_str()), 0) << claims_json;
  if (!kid.empty()) jwt_add_header(jwt, "kid", std::string(kid).c_str());
  jwt_set_alg(jwt, alg, alg == JWT_ALG_NONE ? nullptr : reinterpret_cast<const unsigned char*>(key.data()),
              alg == JWT_ALG_NONE ? 0 : static_cast<int>(key.size()));
  char* encoded = jwt_encode_str(jwt);
  std::string token = encoded == nullptr ? "" : encoded;
  std::free(encoded);
  jwt_free(jwt);
  return token;
}

std::string Claims(const std::string& extra = "") {
  return absl::StrCat(R"({"sub":"alice","role":"applicant","iss":"tane-dev","aud":"tane","exp":)",
                      absl::ToUnixSeconds(kNow) + 3600, extra, "}");
}

JwtVerifier Hs256Verifier() {
  JwtVerifierOptions options;
  options.hs256_secret = kSecret;
  options.issuer = "tane-dev";
  options.audience = "tane";
  return *JwtVerifier::Create(options);
}

JwtVerifier Rs256Verifier(std::map<std::string, std::string> keys) {
  JwtVerifierOptions options;
  options.rs256_public_keys = std::move(keys);
  options.issuer = "tane-dev";
  options.audience = "tane";
  return *JwtVerifier::Create(options);
}

TokenClaims Dev(std::string role, std::string agency = "") {
  TokenClaims claims;
  claims.subject = "alice";
  claims.role = std::move(role);
  claims.agency = std::move(agency);
  claims.issuer = "tane-dev";
  claims.audience = "tane";
  claims.issued_at = kNow;
  claims.ttl = absl::Hours(8);
  return claims;
}

TEST(JwtTest, MintedHs256TokenVerifies) {
  auto token = MintHs256(Dev("partner", "NSF"), kSecret);
  ASSERT_TRUE(token.ok()) << token.status();
  auto principal = Hs256Verifier().Verify(*token, kNow + absl::Minutes(1));
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->subject, "alice");
  EXPECT_EQ(principal->role, "partner");
  EXPECT_EQ(principal->agency, "NSF");
  EXPECT_EQ(principal->credential, CredentialKind::kJwt);
  EXPECT_EQ(principal->expires_at, kNow + absl::Hours(8));
}

TEST(JwtTest, MintedTokenCarriesTheStandardClaims) {
  auto token = MintHs256(Dev("operator"), kSecret);
  ASSERT_TRUE(token.ok());
  std::vector<std::string> parts = absl::StrSplit(*token, '.');
  ASSERT_EQ(parts.size(), 3u);
  std::string payload;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(parts[1], &payload));
  for (std::string claim :
       {"\"sub\":\"alice\"", "\"role\":\"operator\"", "\"iss\":\"tane-dev\"", "\"aud\":\"tane\"", "\"jti\":"}) {
    EXPECT_THAT(payload, HasSubstr(claim));
  }
  EXPECT_THAT(payload, HasSubstr(absl::StrCat("\"exp\":", absl::ToUnixSeconds(kNow + absl::Hours(8)))));
  EXPECT_THAT(payload, HasSubstr(absl::StrCat("\"nbf\":", absl::ToUnixSeconds(kNow))));
}

TEST(JwtTest, MintRefusesBadClaims) {
  EXPECT_EQ(MintHs256(Dev("dean"), kSecret).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MintHs256(Dev("partner"), kSecret).status().code(), absl::StatusCode::kInvalidArgument);
  TokenClaims zero_ttl = Dev("applicant");
  zero_ttl.ttl = absl::ZeroDuration();
  EXPECT_EQ(MintHs256(zero_ttl, kSecret).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MintHs256(Dev("applicant"), "short").status().code(), absl::StatusCode::kInvalidArgument);
}

struct RefusalCase {
  std::string name;
  std::string token;
  absl::Time now;
  std::string message;
};

void PrintTo(const RefusalCase& c, std::ostream* os) { *os << c.name; }

class Hs256RefusalTest : public ::testing::TestWithParam<RefusalCase> {};

TEST_P(Hs256RefusalTest, IsUnauthenticatedWithAPreciseMessage) {
  const RefusalCase& c = GetParam();
  auto principal = Hs256Verifier().Verify(c.token, c.now);
  ASSERT_FALSE(principal.ok()) << c.name;
  EXPECT_EQ(principal.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(principal.status().message()), HasSubstr(c.message));
}

std::vector<RefusalCase> Hs256Refusals() {
  const int64_t now = absl::ToUnixSeconds(kNow);
  auto hs = [](const std::string& claims) { return Sign(claims, JWT_ALG_HS256, kSecret); };
  auto claims = [&](const std::string& body) { return absl::StrCat("{", body, "}"); };
  const std::string base = R"("sub":"alice","role":"applicant","iss":"tane-dev","aud":"tane")";
  const std::string exp = absl::StrCat(",\"exp\":", now + 3600);
  std::string tampered = hs(Claims());
  {
    std::vector<std::string> parts = absl::StrSplit(tampered, '.');
    std::string payload;
    absl::WebSafeBase64Unescape(parts[1], &payload);
    payload.replace(payload.find("applicant"), 9, "operator");
    tampered = absl::StrCat(parts[0], ".", absl::WebSafeBase64Escape(payload), ".", parts[2]);
  }
  return {
      {"expired", hs(claims(absl::StrCat(base, ",\"exp\":", now - 120))), kNow,
       "token expired at 2023-11-14T22:11:20Z"},
      {"not_yet_valid", hs(claims(absl::StrCat(base, exp, ",\"nbf\":", now + 600))), kNow,
       "token is not valid before 2023-11-14T22:23:20Z"},
      {"issued_in_future", hs(claims(absl::StrCat(base, exp, ",\"iat\":", now + 600))), kNow, "issued in the future"},
      {"no_exp", hs(claims(base)), kNow, "token has no \"exp\" claim"},
      {"exp_not_a_number", hs(claims(absl::StrCat(base, ",\"exp\":\"tomorrow\""))), kNow,
       "claim \"exp\" must be a number"},
      {"wrong_issuer", hs(claims(absl::StrCat(R"("sub":"alice","role":"applicant","iss":"evil","aud":"tane")", exp))),
       kNow, "issuer \"evil\" is not accepted; expected \"tane-dev\""},
      {"no_issuer", hs(claims(absl::StrCat(R"("sub":"alice","role":"applicant","aud":"tane")", exp))), kNow,
       "token has no \"iss\" claim"},
      {"wrong_audience",
       hs(claims(absl::StrCat(R"("sub":"alice","role":"applicant","iss":"tane-dev","aud":["a","b"])", exp))), kNow,
       "audience \"a\", \"b\" is not accepted; expected \"tane\""},
      {"no_audience", hs(claims(absl::StrCat(R"("sub":"alice","role":"applicant","iss":"tane-dev")", exp))), kNow,
       "token has no \"aud\" claim"},
      {"wrong_secret", Sign(Claims(), JWT_ALG_HS256, "another-secret-another-secret-00"), kNow,
       "signature does not verify"},
      {"tampered_payload", tampered, kNow, "signature does not verify"},
      {"alg_none", Sign(Claims(), JWT_ALG_NONE, ""), kNow, "algorithm \"none\" is not accepted (accepted: HS256)"},
      {"alg_hs512", Sign(Claims(), JWT_ALG_HS512, kSecret), kNow, "algorithm \"HS512\" is not accepted"},
      {"rs256_to_hs256_only", Sign(Claims(), JWT_ALG_RS256, KeyA().private_pem), kNow,
       "algorithm \"RS256\" is not accepted"},
      {"no_subject", hs(claims(absl::StrCat(R"("role":"applicant","iss":"tane-dev","aud":"tane")", exp))), kNow,
       "token has no \"sub\" claim"},
      {"no_role", hs(claims(absl::StrCat(R"("sub":"alice","iss":"tane-dev","aud":"tane")", exp))), kNow,
       "token has no \"role\" claim"},
      {"unknown_role", hs(claims(absl::StrCat(R"("sub":"alice","role":"dean","iss":"tane-dev","aud":"tane")", exp))),
       kNow, "unknown role \"dean\""},
      {"partner_without_agency",
       hs(claims(absl::StrCat(R"("sub":"nsf","role":"partner","iss":"tane-dev","aud":"tane")", exp))), kNow,
       "the partner role needs an agency code"},
      {"agency_for_applicant", hs(claims(absl::StrCat(base, exp, R"(,"agency":"NSF")"))), kNow,
       "only allowed with the partner role"},
      {"role_not_a_string",
       hs(claims(absl::StrCat(R"("sub":"alice","role":["operator"],"iss":"tane-dev","aud":"tane")", exp))), kNow,
       "claim \"role\" must be a string"},
      {"subject_with_space",
       hs(claims(absl::StrCat(R"("sub":"alice smith","role":"applicant","iss":"tane-dev","aud":"tane")", exp))), kNow,
       "printable ASCII"},
      {"two_parts", "abc.def", kNow, "expected 3 dot-separated parts, got 2"},
      {"header_not_base64", "!!!.e30.sig", kNow, "the header is not base64url"},
      {"header_not_json", absl::StrCat(absl::WebSafeBase64Escape("nope"), ".e30.sig"), kNow,
       "the header is not a JSON object"},
      {"no_alg", absl::StrCat(absl::WebSafeBase64Escape("{\"typ\":\"JWT\"}"), ".e30.sig"), kNow,
       "the header has no \"alg\""},
      {"crit_header", absl::StrCat(absl::WebSafeBase64Escape(R"({"alg":"HS256","crit":["exp"]})"), ".e30.sig"), kNow,
       "critical header"},
      {"empty", "", kNow, "empty bearer token"},
      {"too_long", std::string(9000, 'a'), kNow, "longer than 8192 bytes"},
  };
}

INSTANTIATE_TEST_SUITE_P(Cases, Hs256RefusalTest, ::testing::ValuesIn(Hs256Refusals()),
                         [](const auto& info) { return info.param.name; });

TEST(JwtTest, LeewayAllowsSmallClockSkew) {
  const int64_t now = absl::ToUnixSeconds(kNow);
  const std::string base = R"("sub":"alice","role":"applicant","iss":"tane-dev","aud":"tane")";
  // Expired 10 s ago and valid from 10 s ahead: both inside the 30 s leeway.
  std::string token =
      Sign(absl::StrCat("{", base, ",\"exp\":", now - 10, ",\"nbf\":", now + 10, "}"), JWT_ALG_HS256, kSecret);
  EXPECT_TRUE(Hs256Verifier().Verify(token, kNow).ok());
}

TEST(JwtTest, AudienceArrayContainingOursIsAccepted) {
  std::string token = Sign(absl::StrCat(R"({"sub":"alice","role":"auditor","iss":"tane-dev","aud":["x","tane"],"exp":)",
                                        absl::ToUnixSeconds(kNow) + 60, "}"),
                           JWT_ALG_HS256, kSecret);
  auto principal = Hs256Verifier().Verify(token, kNow);
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->role, "auditor");
}

TEST(JwtTest, Rs256WithKidPicksTheKey) {
  JwtVerifier verifier = Rs256Verifier({{"a", KeyA().public_pem}, {"b", KeyB().public_pem}});
  auto token = MintRs256(Dev("reviewer"), KeyB().private_pem, "b");
  ASSERT_TRUE(token.ok()) << token.status();
  auto principal = verifier.Verify(*token, kNow);
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->role, "reviewer");
}

TEST(JwtTest, Rs256Refusals) {
  JwtVerifier two_keys = Rs256Verifier({{"a", KeyA().public_pem}, {"b", KeyB().public_pem}});
  struct Case {
    std::string name;
    std::string token;
    std::string message;
  } cases[] = {
      {"signed_by_other_key", *MintRs256(Dev("reviewer"), KeyA().private_pem, "b"), "signature does not verify"},
      {"unknown_kid", *MintRs256(Dev("reviewer"), KeyA().private_pem, "c"), "unknown key id \"c\""},
      {"no_kid_two_keys", *MintRs256(Dev("reviewer"), KeyA().private_pem, ""),
       "no \"kid\" header and 2 RS256 keys are configured"},
      {"hs256_to_rs256_only", *MintHs256(Dev("reviewer"), kSecret), "algorithm \"HS256\" is not accepted"},
      // The classic confusion attack: HMAC keyed with the public key.
      {"public_key_as_hmac_secret", Sign(Claims(), JWT_ALG_HS256, KeyA().public_pem, "a"),
       "algorithm \"HS256\" is not accepted (accepted: RS256)"},
  };
  for (const Case& c : cases) {
    auto principal = two_keys.Verify(c.token, kNow);
    ASSERT_FALSE(principal.ok()) << c.name;
    EXPECT_EQ(principal.status().code(), absl::StatusCode::kUnauthenticated) << c.name;
    EXPECT_THAT(std::string(principal.status().message()), HasSubstr(c.message)) << c.name;
  }
}

TEST(JwtTest, Rs256WithoutKidUsesTheOnlyKey) {
  JwtVerifier one_key = Rs256Verifier({{"only", KeyA().public_pem}});
  auto token = MintRs256(Dev("operator"), KeyA().private_pem, "");
  ASSERT_TRUE(token.ok());
  EXPECT_TRUE(one_key.Verify(*token, kNow).ok());
}

TEST(JwtTest, BothSchemesConfigured) {
  JwtVerifierOptions options;
  options.hs256_secret = kSecret;
  options.rs256_public_keys = {{"a", KeyA().public_pem}};
  auto verifier = JwtVerifier::Create(options);
  ASSERT_TRUE(verifier.ok());
  EXPECT_TRUE(verifier->Verify(*MintHs256(Dev("operator"), kSecret), kNow).ok());
  EXPECT_TRUE(verifier->Verify(*MintRs256(Dev("operator"), KeyA().private_pem, "a"), kNow).ok());
}

TEST(JwtTest, NothingConfiguredRefusesEverything) {
  auto verifier = JwtVerifier::Create({});
  ASSERT_TRUE(verifier.ok());
  auto principal = verifier->Verify(*MintHs256(Dev("operator"), kSecret), kNow);
  EXPECT_THAT(std::string(principal.status().message()), HasSubstr("accepted: none configured"));
}

TEST(JwtTest, CreateChecksTheKeys) {
  JwtVerifierOptions short_secret;
  short_secret.hs256_secret = "short";
  EXPECT_THAT(std::string(JwtVerifier::Create(short_secret).status().message()), HasSubstr("at least 32 bytes"));
  JwtVerifierOptions bad_pem;
  bad_pem.rs256_public_keys = {{"idp-2024", "not a key"}};
  EXPECT_THAT(std::string(JwtVerifier::Create(bad_pem).status().message()),
              HasSubstr("RS256 key \"idp-2024\" is not a PEM public key"));
  JwtVerifierOptions private_not_public;
  private_not_public.rs256_public_keys = {{"k", KeyA().private_pem}};
  EXPECT_FALSE(JwtVerifier::Create(private_not_public).ok());
}

TEST(JwtTest, LoadRs256KeySetFromDirectoryAndFile) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / absl::StrCat("tane-keys-", getpid());
  fs::create_directories(dir);
  std::ofstream(dir / "idp-1.pem") << KeyA().public_pem;
  std::ofstream(dir / "idp-2.pem") << KeyB().public_pem;
  std::ofstream(dir / "README") << "ignored";
  auto keys = LoadRs256KeySet(dir.string());
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(keys->size(), 2u);
  EXPECT_EQ(keys->at("idp-1"), KeyA().public_pem);
  auto single = LoadRs256KeySet((dir / "idp-2.pem").string());
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->begin()->first, "idp-2");
  std::ofstream(dir / "broken.pem") << "garbage";
  EXPECT_THAT(std::string(LoadRs256KeySet(dir.string()).status().message()), HasSubstr("broken.pem"));
  EXPECT_EQ(LoadRs256KeySet((dir / "missing").string()).status().code(), absl::StatusCode::kNotFound);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tane::auth
