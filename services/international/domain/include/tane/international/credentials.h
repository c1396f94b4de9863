#pragma once
/// Hashing and comparing partner exchange credentials. Only SHA-256 digests
/// are ever stored; comparisons of digests take the same time whatever the
/// bytes (OpenSSL CRYPTO_memcmp). API keys are 256-bit random secrets, so a
/// plain SHA-256 suffices (no password stretching needed).
///
/// API key format: "tpk_" + credential id (32 lowercase hex digits) + "_" +
/// secret (43 characters of unpadded base64url, 32 random bytes). The id lets
/// the service find the agency without a hash lookup.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace tane::international {

/// The 32-byte SHA-256 digest of `bytes`.
std::string Sha256(std::string_view bytes);
/// Lowercase hex of the SHA-256 digest (64 characters).
std::string Sha256Hex(std::string_view bytes);

/// Equal length and equal bytes, in time independent of where they differ.
/// Lengths are not secret (digests are always 32 bytes).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

inline constexpr char kApiKeyPrefix[] = "tpk_";

/// What a new credential is made of. Random in production
/// (RandomCredentialMaterial), fixed in tests.
struct CredentialMaterial {
  std::string credential_id;  // 32 lowercase hex digits
  std::string secret;         // 43 base64url characters; unused for certificates
};

/// Fresh material from OpenSSL's CSPRNG. Thread-safe.
CredentialMaterial RandomCredentialMaterial();

/// "tpk_<id>_<secret>". INVALID_ARGUMENT when the material is malformed.
absl::StatusOr<std::string> FormatApiKey(const CredentialMaterial& material);

/// The credential id of a well-formed API key; UNAUTHENTICATED otherwise (the
/// message never echoes the key).
absl::StatusOr<std::string> CredentialIdOfApiKey(std::string_view api_key);

}  // namespace tane::international
