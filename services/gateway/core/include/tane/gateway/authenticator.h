#pragma once
/// Who is calling, from the HTTP request's credentials:
///   Authorization: Bearer <JWT>   end users (portals), see auth/jwt.h;
///   X-Api-Key: <key>              partner systems, see auth/api_keys.h.
/// No credentials at all is an anonymous caller, which the method's policy
/// then accepts or not. Credentials that are present but bad are always
/// refused, even on anonymous methods, so a client learns its token broke.

#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tane/auth/api_keys.h"
#include "tane/auth/jwt.h"

namespace tane::gateway {

class Authenticator final {
 public:
  Authenticator(auth::JwtVerifier jwt, auth::ApiKeyStore api_keys)
      : jwt_(std::move(jwt)), api_keys_(std::move(api_keys)) {}

  /// The caller (nullopt: anonymous) from the header values (empty: absent).
  /// UNAUTHENTICATED with the reason for a bad or unsupported credential, or
  /// when both headers are sent. Thread-safe.
  absl::StatusOr<std::optional<auth::Principal>> Authenticate(std::string_view authorization, std::string_view api_key,
                                                              absl::Time now) const;

 private:
  auth::JwtVerifier jwt_;
  auth::ApiKeyStore api_keys_;
};

}  // namespace tane::gateway
