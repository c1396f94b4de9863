#include "tane/gateway/authenticator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tane::gateway {
namespace {

using ::testing::HasSubstr;

constexpr char kSecret[] = "0123456789abcdef0123456789abcdef";
const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

class AuthenticatorTest : public ::testing::Test {
 protected:
  AuthenticatorTest() : authenticator_(MakeVerifier(), MakeKeys()) {}

  static auth::JwtVerifier MakeVerifier() {
    auth::JwtVerifierOptions options;
    options.hs256_secret = kSecret;
    options.issuer = "tane-dev";
    options.audience = "tane";
    return *auth::JwtVerifier::Create(options);
  }
  static auth::ApiKeyStore MakeKeys() {
    return *auth::ApiKeyStore::Parse(auth::ApiKeyLine(
        auth::HashApiKey("tane_partnerkey"), {"nsf-exchange", "partner", "NSF", auth::CredentialKind::kApiKey}));
  }
  static std::string Token(const std::string& role) {
    auth::TokenClaims claims;
    claims.subject = "alice";
    claims.role = role;
    claims.issuer = "tane-dev";
    claims.audience = "tane";
    claims.issued_at = kNow;
    return *auth::MintHs256(claims, kSecret);
  }

  Authenticator authenticator_;
};

TEST_F(AuthenticatorTest, NoCredentialsIsAnonymous) {
  auto caller = authenticator_.Authenticate("", "", kNow);
  ASSERT_TRUE(caller.ok());
  EXPECT_FALSE(caller->caller.has_value());
  EXPECT_EQ(caller->partner_key, "");
}

TEST_F(AuthenticatorTest, BearerTokenInAnyCase) {
  for (std::string scheme : {"Bearer ", "bearer ", "BEARER  "}) {
    auto caller = authenticator_.Authenticate(scheme + Token("reviewer"), "", kNow);
    ASSERT_TRUE(caller.ok()) << scheme << caller.status();
    ASSERT_TRUE(caller->caller.has_value());
    EXPECT_EQ(caller->caller->role, "reviewer");
    EXPECT_EQ(caller->caller->credential, auth::CredentialKind::kJwt);
  }
}

TEST_F(AuthenticatorTest, RememberedTokensStillExpire) {
  const std::string header = "Bearer " + Token("operator");  // valid 8 h from kNow
  ASSERT_TRUE(authenticator_.Authenticate(header, "", kNow).ok());
  ASSERT_TRUE(authenticator_.Authenticate(header, "", kNow + absl::Hours(7)).ok());
  auto late = authenticator_.Authenticate(header, "", kNow + absl::Hours(8) + absl::Minutes(1));
  ASSERT_FALSE(late.ok());
  EXPECT_THAT(std::string(late.status().message()), HasSubstr("token expired at"));
  // A token differing in one byte is verified on its own (and fails).
  std::string tampered = header;
  char& c = tampered[tampered.size() - 10];  // inside the signature, away from its padding bits
  c = c == 'A' ? 'B' : 'A';
  EXPECT_FALSE(authenticator_.Authenticate(tampered, "", kNow).ok());
}

TEST_F(AuthenticatorTest, ApiKey) {
  auto caller = authenticator_.Authenticate("", "tane_partnerkey", kNow);
  ASSERT_TRUE(caller.ok());
  ASSERT_TRUE(caller->caller.has_value());
  EXPECT_EQ(caller->caller->agency, "NSF");
  EXPECT_EQ(caller->caller->credential, auth::CredentialKind::kApiKey);
  EXPECT_EQ(caller->partner_key, "");
}

// Keys of the international service are handed on for it to verify, never
// looked up in the keys file, even when a line there has their hash.
TEST_F(AuthenticatorTest, InternationalPartnerKeysAreLeftToTheService) {
  const std::string key = "tpk_0123456789abcdef_" + std::string(43, 'x');
  Authenticator authenticator(MakeVerifier(), *auth::ApiKeyStore::Parse(auth::ApiKeyLine(
                                                  auth::HashApiKey(key), {"nsf-exchange", "partner", "NSF",
                                                                          auth::CredentialKind::kApiKey})));
  auto caller = authenticator.Authenticate("", "  " + key + "\t", kNow);
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_FALSE(caller->caller.has_value());
  EXPECT_EQ(caller->partner_key, key);
  auto too_long = authenticator.Authenticate("", "tpk_" + std::string(600, 'a'), kNow);
  EXPECT_EQ(too_long.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(too_long.status().message()), HasSubstr("API key is too long"));
}

TEST_F(AuthenticatorTest, BadCredentialsAreRefused) {
  struct Case {
    std::string authorization;
    std::string api_key;
    std::string message;
  } cases[] = {
      {"Basic YWxpY2U6c2VjcmV0", "", "unsupported authorization scheme \"Basic\""},
      {"Bearer", "", "the Authorization header has no bearer token"},
      {"Bearer   ", "", "the Authorization header has no bearer token"},
      {"Bearer not.a.token", "", "malformed token"},
      {"", "tane_wrong", "unknown API key"},
      {"Bearer " + Token("operator"), "tane_partnerkey", "send either Authorization or X-Api-Key, not both"},
  };
  for (const Case& c : cases) {
    auto caller = authenticator_.Authenticate(c.authorization, c.api_key, kNow);
    ASSERT_FALSE(caller.ok()) << c.authorization;
    EXPECT_EQ(caller.status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_THAT(std::string(caller.status().message()), HasSubstr(c.message));
  }
}

}  // namespace
}  // namespace tane::gateway
