#pragma once
/// Bearer JWTs (RFC 7519) through libjwt.
///
/// Two signing schemes are accepted, each only when configured:
///   HS256 with a shared secret: the embedded default (`make run`), tokens
///         minted by `tanectl token` from var/jwt.secret;
///   RS256 with a set of public keys: production, tokens issued by the
///         agency's identity provider. The token's "kid" header picks the
///         key; a token without "kid" is accepted only when one key is set.
/// The algorithm is taken from the configuration, never from the token: a
/// token whose "alg" header names anything else (none, HS384, or HS256 when
/// only RS256 keys are configured) is refused before any signature check, so
/// a public key can never be used as an HMAC secret.
///
/// Claims: "sub" (the subject), "role" (one of auth::kRoles), "agency"
/// (partner only), "exp" (required), "nbf" and "iat" (optional), "iss" and
/// "aud" (checked when configured; "aud" may be a string or an array).
/// Times are checked with `leeway` either side for clock skew.

#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tane/auth/roles.h"

namespace tane::auth {

struct JwtVerifierOptions {
  /// Non-empty: HS256 tokens are accepted, signed with this secret (at least 32 bytes).
  std::string hs256_secret;
  /// Non-empty: RS256 tokens are accepted; key id -> PEM public key.
  std::map<std::string, std::string> rs256_public_keys;
  /// Non-empty: the "iss" claim must equal it.
  std::string issuer;
  /// Non-empty: the "aud" claim must be, or contain, it.
  std::string audience;
  absl::Duration leeway = absl::Seconds(30);
};

/// Verifies tokens. Immutable after Create(), so Verify() may be called from
/// any number of threads at once.
class JwtVerifier final {
 public:
  /// INVALID_ARGUMENT for a short secret or a PEM that is not an RSA public
  /// key (naming the key id). A verifier with neither scheme configured
  /// refuses every token.
  static absl::StatusOr<JwtVerifier> Create(JwtVerifierOptions options);

  /// The principal of a valid token. UNAUTHENTICATED with a message saying
  /// exactly what is wrong (malformed, algorithm not accepted, unknown key id,
  /// bad signature, expired at ..., not valid before ..., issuer or audience
  /// not accepted, missing or invalid claim).
  absl::StatusOr<Principal> Verify(std::string_view token, absl::Time now) const;

  bool accepts_hs256() const { return !options_.hs256_secret.empty(); }
  bool accepts_rs256() const { return !options_.rs256_public_keys.empty(); }
  const JwtVerifierOptions& options() const { return options_; }

 private:
  explicit JwtVerifier(JwtVerifierOptions options) : options_(std::move(options)) {}
  JwtVerifierOptions options_;
};

/// What a minted token says.
struct TokenClaims {
  std::string subject;
  std::string role;
  std::string agency;  // partner only
  std::string issuer;
  std::string audience;
  absl::Time issued_at;
  absl::Duration ttl = absl::Hours(8);
};

/// An HS256 token with sub, role, agency (when set), iss, aud, iat, nbf = iat,
/// exp = iat + ttl and a random jti. INVALID_ARGUMENT when the claims would
/// not pass ValidatePrincipal(), the ttl is not positive or the secret is
/// shorter than 32 bytes.
absl::StatusOr<std::string> MintHs256(const TokenClaims& claims, std::string_view secret);

/// The same as RS256 signed with a PEM private key, with "kid" in the header
/// when non-empty. For tests and for tools standing in for an identity provider.
absl::StatusOr<std::string> MintRs256(const TokenClaims& claims, std::string_view private_key_pem,
                                      std::string_view kid);

/// Loads an RS256 key set: `path` is a PEM file (key id = file name without
/// ".pem") or a directory whose *.pem files are the keys. NOT_FOUND or
/// INVALID_ARGUMENT (naming the file) otherwise.
absl::StatusOr<std::map<std::string, std::string>> LoadRs256KeySet(const std::string& path);

}  // namespace tane::auth
