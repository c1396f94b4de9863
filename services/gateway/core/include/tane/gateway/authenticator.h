#pragma once
/// Who is calling, from the HTTP request's credentials:
///   Authorization: Bearer <JWT>   end users (portals), see auth/jwt.h;
///   X-Api-Key: tpk_<id>_<secret>  partner systems, with a key the
///                                 international service issued
///                                 (IssuePartnerCredential): only its
///                                 AuthenticatePartner can say whose it is
///                                 and whether it is still valid, so it is
///                                 handed back unverified (partner_key);
///   X-Api-Key: <any other key>    a key of the gateway's keys file, see
///                                 auth/api_keys.h (deployments without the
///                                 international service; machine clients
///                                 of other roles).
/// No credentials at all is an anonymous caller, which the method's policy
/// then accepts or not. Credentials that are present but bad are always
/// refused, even on anonymous methods, so a client learns its token broke.
///
/// A portal sends the same token with every request, and verifying one
/// costs tens of microseconds, so verified tokens are remembered (by their
/// exact text, up to kTokenCacheSize of them) until their exp passes.

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tane/auth/api_keys.h"
#include "tane/auth/jwt.h"

namespace tane::gateway {

/// The prefix of the API keys the international service issues
/// ("tpk_<credential id>_<secret>", tane.international.v1.IssuePartnerCredentialResponse).
inline constexpr std::string_view kPartnerApiKeyPrefix = "tpk_";

/// What the gateway can tell from the credentials by itself.
struct Credentials {
  /// The verified caller; nullopt for an anonymous caller, or while
  /// `partner_key` is still to be verified.
  std::optional<auth::Principal> caller;
  /// Non-empty: an API key of the international service, to be verified by
  /// its AuthenticatePartner before the request goes on.
  std::string partner_key;
};

class Authenticator final {
 public:
  static constexpr size_t kTokenCacheSize = 4096;

  Authenticator(auth::JwtVerifier jwt, auth::ApiKeyStore api_keys)
      : jwt_(std::move(jwt)), api_keys_(std::move(api_keys)) {}
  Authenticator(Authenticator&& other) noexcept : jwt_(std::move(other.jwt_)), api_keys_(std::move(other.api_keys_)) {}

  /// The credentials from the header values (empty: absent). UNAUTHENTICATED
  /// with the reason for a bad or unsupported credential (a partner key only
  /// when it is too long to be one), or when both headers are sent.
  /// Thread-safe.
  absl::StatusOr<Credentials> Authenticate(std::string_view authorization, std::string_view api_key,
                                           absl::Time now) const;

 private:
  absl::StatusOr<auth::Principal> VerifyToken(std::string_view token, absl::Time now) const;

  auth::JwtVerifier jwt_;
  auth::ApiKeyStore api_keys_;
  mutable std::mutex mu_;
  mutable std::unordered_map<std::string, auth::Principal> verified_;  // guarded by mu_
};

}  // namespace tane::gateway
