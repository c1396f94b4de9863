#pragma once
/// API keys for partner systems (NSF, DFG, ... exchanging joint-call data):
/// long random secrets presented in the X-Api-Key header. Only their SHA-256
/// is stored: the keys file holds one key per line,
///
///   # comment
///   sha256:<64 hex digits>  <subject>  <role>  [<agency>]
///
/// e.g. `sha256:9f86…  nsf-exchange  partner  NSF`. A plain hash (no salt,
/// no slow KDF) is right here because keys are 256-bit random values, not
/// passwords: nothing can be guessed from the hash. `tanectl api-key` makes a
/// key and prints its line.

#include <string>
#include <string_view>
#include <unordered_map>

#include "absl/status/statusor.h"
#include "tane/auth/roles.h"

namespace tane::auth {

/// A new key: "tane_" followed by 43 base64url characters (32 random bytes).
absl::StatusOr<std::string> GenerateApiKey();

/// "sha256:" and the lower-case hex SHA-256 of `key`: what the keys file stores.
std::string HashApiKey(std::string_view key);

/// The keys file line for a key with hash `hash` held by `principal`.
std::string ApiKeyLine(std::string_view hash, const Principal& principal);

/// The keys of a keys file. Immutable after loading; Verify() is thread-safe.
class ApiKeyStore final {
 public:
  ApiKeyStore() = default;

  /// INVALID_ARGUMENT naming the line for a malformed line, a bad principal
  /// (ValidatePrincipal) or a hash listed twice.
  static absl::StatusOr<ApiKeyStore> Parse(std::string_view text);
  /// Parse() of a file; NOT_FOUND when it cannot be read.
  static absl::StatusOr<ApiKeyStore> Load(const std::string& path);

  /// The principal holding `key`; UNAUTHENTICATED for an unknown key.
  absl::StatusOr<Principal> Verify(std::string_view key) const;

  size_t size() const { return by_hash_.size(); }

 private:
  std::unordered_map<std::string, Principal> by_hash_;
};

}  // namespace tane::auth
