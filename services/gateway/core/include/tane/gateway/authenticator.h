#pragma once
/// Who is calling, from the HTTP request's credentials:
///   Authorization: Bearer <JWT>   end users (portals), see auth/jwt.h;
///   X-Api-Key: <key>              partner systems, see auth/api_keys.h.
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

class Authenticator final {
 public:
  static constexpr size_t kTokenCacheSize = 4096;

  Authenticator(auth::JwtVerifier jwt, auth::ApiKeyStore api_keys)
      : jwt_(std::move(jwt)), api_keys_(std::move(api_keys)) {}
  Authenticator(Authenticator&& other) noexcept : jwt_(std::move(other.jwt_)), api_keys_(std::move(other.api_keys_)) {}

  /// The caller (nullopt: anonymous) from the header values (empty: absent).
  /// UNAUTHENTICATED with the reason for a bad or unsupported credential, or
  /// when both headers are sent. Thread-safe.
  absl::StatusOr<std::optional<auth::Principal>> Authenticate(std::string_view authorization, std::string_view api_key,
                                                              absl::Time now) const;

 private:
  absl::StatusOr<auth::Principal> VerifyToken(std::string_view token, absl::Time now) const;

  auth::JwtVerifier jwt_;
  auth::ApiKeyStore api_keys_;
  mutable std::mutex mu_;
  mutable std::unordered_map<std::string, auth::Principal> verified_;  // guarded by mu_
};

}  // namespace tane::gateway
