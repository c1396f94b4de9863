#include "tane/gateway/partner_key_cache.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tane::gateway {
namespace {

using ::testing::HasSubstr;

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

auth::Principal Nsf() { return *PartnerKeyPrincipal("NSF", "0123456789abcdef"); }

TEST(PartnerKeyPrincipalTest, FromTheServiceAnswer) {
  struct Case {
    std::string agency;
    std::string credential_id;
    std::string error;  // empty: accepted
  } cases[] = {
      {"NSF", "0123456789abcdef", ""},
      {"JICA_JP", "ff00", ""},
      {"", "0123", "the partner role needs an agency code"},
      {"nsf", "0123", "must be 2..16 characters"},
      {"NSF", "has space", "printable ASCII"},
  };
  for (const Case& c : cases) {
    auto principal = PartnerKeyPrincipal(c.agency, c.credential_id);
    if (c.error.empty()) {
      ASSERT_TRUE(principal.ok()) << c.agency << " " << principal.status();
      EXPECT_EQ(principal->subject, "partner-credential:" + c.credential_id);
      EXPECT_EQ(principal->role, "partner");
      EXPECT_EQ(principal->agency, c.agency);
      EXPECT_EQ(principal->credential, auth::CredentialKind::kApiKey);
    } else {
      ASSERT_FALSE(principal.ok()) << c.agency << " " << c.credential_id;
      EXPECT_EQ(principal.status().code(), absl::StatusCode::kInternal);
      EXPECT_THAT(std::string(principal.status().message()), HasSubstr(c.error));
    }
  }
}

TEST(PartnerKeyCacheTest, RemembersAcceptedAndRefusedKeysForTheTtl) {
  PartnerKeyCache cache(absl::Seconds(30));
  EXPECT_FALSE(cache.Find("tpk_a", kT0).has_value());
  cache.Remember("tpk_a", Nsf(), kT0);
  cache.Remember("tpk_b", absl::UnauthenticatedError("revoked"), kT0);
  struct Case {
    std::string key;
    absl::Duration after;
    std::optional<absl::StatusCode> code;  // nullopt: not remembered
  } cases[] = {
      {"tpk_a", absl::ZeroDuration(), absl::StatusCode::kOk},
      {"tpk_a", absl::Seconds(29), absl::StatusCode::kOk},
      {"tpk_a", absl::Seconds(30), std::nullopt},
      {"tpk_b", absl::Seconds(29), absl::StatusCode::kUnauthenticated},
      {"tpk_b", absl::Seconds(31), std::nullopt},
      {"tpk_c", absl::ZeroDuration(), std::nullopt},
  };
  for (const Case& c : cases) {
    auto found = cache.Find(c.key, kT0 + c.after);
    ASSERT_EQ(found.has_value(), c.code.has_value()) << c.key << " after " << c.after;
    if (!found.has_value()) continue;
    EXPECT_EQ(found->status().code(), *c.code) << c.key;
    if (found->ok()) {
      EXPECT_EQ(**found, Nsf());
    }
  }
  // A later answer replaces the earlier one (a key revoked at the service).
  cache.Remember("tpk_a", absl::UnauthenticatedError("revoked"), kT0 + absl::Seconds(1));
  EXPECT_EQ(cache.Find("tpk_a", kT0 + absl::Seconds(2))->status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(cache.size(), 2u);
}

TEST(PartnerKeyCacheTest, OutagesAreNeverRemembered) {
  PartnerKeyCache cache(absl::Seconds(30));
  for (const absl::Status& status :
       {absl::UnavailableError("connection refused"), absl::DeadlineExceededError("slow"),
        absl::PermissionDeniedError("wrong internal token"), absl::InternalError("bad answer")}) {
    cache.Remember("tpk_a", status, kT0);
    EXPECT_FALSE(cache.Find("tpk_a", kT0).has_value()) << status;
  }
  // Nor do they wipe out an answer that is remembered.
  cache.Remember("tpk_a", Nsf(), kT0);
  cache.Remember("tpk_a", absl::UnavailableError("connection refused"), kT0 + absl::Seconds(1));
  ASSERT_TRUE(cache.Find("tpk_a", kT0 + absl::Seconds(2)).has_value());
  EXPECT_TRUE(cache.Find("tpk_a", kT0 + absl::Seconds(2))->ok());
}

TEST(PartnerKeyCacheTest, ZeroTtlRemembersNothing) {
  PartnerKeyCache cache(absl::ZeroDuration());
  cache.Remember("tpk_a", Nsf(), kT0);
  EXPECT_FALSE(cache.Find("tpk_a", kT0).has_value());
  EXPECT_EQ(cache.size(), 0u);
}

TEST(PartnerKeyCacheTest, StaysWithinItsBound) {
  PartnerKeyCache cache(absl::Seconds(30), 3);
  cache.Remember("tpk_old", Nsf(), kT0);
  cache.Remember("tpk_b", Nsf(), kT0 + absl::Seconds(20));
  cache.Remember("tpk_c", Nsf(), kT0 + absl::Seconds(25));
  // Full: the outdated answer makes room.
  cache.Remember("tpk_d", Nsf(), kT0 + absl::Seconds(40));
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(cache.Find("tpk_old", kT0 + absl::Seconds(29)).has_value());
  EXPECT_TRUE(cache.Find("tpk_b", kT0 + absl::Seconds(40)).has_value());
  EXPECT_TRUE(cache.Find("tpk_d", kT0 + absl::Seconds(40)).has_value());
  // Full of current accepted keys: the oldest one makes room for another.
  cache.Remember("tpk_e", Nsf(), kT0 + absl::Seconds(41));
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(cache.Find("tpk_b", kT0 + absl::Seconds(41)).has_value());
  for (const char* key : {"tpk_c", "tpk_d", "tpk_e"}) {
    EXPECT_TRUE(cache.Find(key, kT0 + absl::Seconds(41)).has_value()) << key;
  }
  // Replacing a remembered key's answer needs no room.
  PartnerKeyCache full(absl::Seconds(30), 2);
  full.Remember("tpk_a", Nsf(), kT0);
  full.Remember("tpk_b", Nsf(), kT0);
  full.Remember("tpk_a", absl::UnauthenticatedError("revoked"), kT0);
  EXPECT_EQ(full.size(), 2u);
  EXPECT_TRUE(full.Find("tpk_b", kT0).has_value());
}

TEST(PartnerKeyCacheTest, RefusalsNeverPushOutAcceptedKeys) {
  const absl::Status refused = absl::UnauthenticatedError("unknown key");
  PartnerKeyCache cache(absl::Seconds(30), 3);
  cache.Remember("tpk_a", Nsf(), kT0);
  cache.Remember("tpk_x", refused, kT0 + absl::Seconds(1));
  cache.Remember("tpk_y", refused, kT0 + absl::Seconds(2));
  // Full, nothing outdated: the refusals make room, the accepted key stays.
  cache.Remember("tpk_z", refused, kT0 + absl::Seconds(3));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_TRUE(cache.Find("tpk_a", kT0 + absl::Seconds(3)).has_value());
  EXPECT_TRUE(cache.Find("tpk_z", kT0 + absl::Seconds(3)).has_value());
  EXPECT_FALSE(cache.Find("tpk_x", kT0 + absl::Seconds(3)).has_value());
  // An accepted key takes a refusal's room too.
  cache.Remember("tpk_w", refused, kT0 + absl::Seconds(4));
  cache.Remember("tpk_b", Nsf(), kT0 + absl::Seconds(5));
  cache.Remember("tpk_c", Nsf(), kT0 + absl::Seconds(6));
  EXPECT_EQ(cache.size(), 3u);
  // Full of accepted keys: a flood of made-up keys is not remembered.
  for (int i = 0; i < 10; ++i) {
    cache.Remember("tpk_made_up_" + std::to_string(i), refused, kT0 + absl::Seconds(7));
  }
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(cache.Find("tpk_made_up_0", kT0 + absl::Seconds(7)).has_value());
  for (const char* key : {"tpk_a", "tpk_b", "tpk_c"}) {
    auto found = cache.Find(key, kT0 + absl::Seconds(7));
    ASSERT_TRUE(found.has_value()) << key;
    EXPECT_TRUE(found->ok()) << key;
  }
}

}  // namespace
}  // namespace tane::gateway
