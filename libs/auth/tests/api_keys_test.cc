#include "tane/auth/api_keys.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tane::auth {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

TEST(ApiKeysTest, GeneratedKeysAreLongRandomAndDistinct) {
  auto a = GenerateApiKey();
  auto b = GenerateApiKey();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_THAT(*a, MatchesRegex("tane_[A-Za-z0-9_-]{43}"));
  EXPECT_NE(*a, *b);
}

TEST(ApiKeysTest, HashIsSha256Hex) {
  // SHA-256("abc"), FIPS 180-2 appendix B.1.
  EXPECT_EQ(HashApiKey("abc"), "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ApiKeysTest, StoreVerifiesByHashOnly) {
  const std::string key = *GenerateApiKey();
  const Principal nsf{"nsf-exchange", "partner", "NSF", CredentialKind::kApiKey};
  const std::string text = "# partner systems\n\n" + ApiKeyLine(HashApiKey(key), nsf) + "\n" +
                           ApiKeyLine(HashApiKey("other"), {"audit-bot", "auditor", "", CredentialKind::kApiKey}) +
                           "\n";
  EXPECT_EQ(text.find(key), std::string::npos) << "the key itself must not be stored";
  auto store = ApiKeyStore::Parse(text);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(store->size(), 2u);
  auto principal = store->Verify(key);
  ASSERT_TRUE(principal.ok());
  EXPECT_EQ(*principal, nsf);
  EXPECT_EQ(store->Verify("tane_wrong").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(store->Verify("").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(store->Verify(std::string(1000, 'x')).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST(ApiKeysTest, MalformedLinesAreRefusedWithTheirNumber) {
  const std::string hash = HashApiKey("k");
  struct Case {
    std::string text;
    std::string message;
  } cases[] = {
      {"\n" + hash + " only-two", "line 2: expected"},
      {"md5:abc nsf partner NSF", "line 1: the hash must be"},
      {hash + " nsf partner", "line 1: the partner role needs an agency code"},
      {hash + " bot dean", "line 1: unknown role \"dean\""},
      {hash + " a auditor\n" + hash + " b auditor", "line 2: this hash is listed twice"},
      {hash + " a auditor NSF extra", "line 1: expected"},
  };
  for (const Case& c : cases) {
    auto store = ApiKeyStore::Parse(c.text);
    ASSERT_FALSE(store.ok()) << c.text;
    EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(store.status().message()), HasSubstr(c.message)) << c.text;
  }
}

TEST(ApiKeysTest, LoadOfAMissingFileIsNotFound) {
  EXPECT_EQ(ApiKeyStore::Load("/nonexistent/keys").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace tane::auth
