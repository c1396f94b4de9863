#include "tane/international/credentials.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace tane::international {
namespace {

constexpr size_t kIdHexDigits = 32;
constexpr size_t kSecretChars = 43;

bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool IsBase64Url(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

absl::Status InvalidKey() { return absl::UnauthenticatedError("invalid partner credential"); }

}  // namespace

std::string Sha256(std::string_view bytes) {
  std::string digest(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
         reinterpret_cast<unsigned char*>(digest.data()));
  return digest;
}

std::string Sha256Hex(std::string_view bytes) { return absl::BytesToHexString(Sha256(bytes)); }

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

CredentialMaterial RandomCredentialMaterial() {
  unsigned char id[16];
  unsigned char secret[32];
  // RAND_bytes fails only when the CSPRNG cannot be seeded; a key from an
  // unseeded generator must never be issued.
  if (RAND_bytes(id, sizeof id) != 1 || RAND_bytes(secret, sizeof secret) != 1) {
    std::abort();
  }
  CredentialMaterial m;
  m.credential_id =
      absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(id), sizeof id));
  m.secret = absl::WebSafeBase64Escape(
      absl::string_view(reinterpret_cast<const char*>(secret), sizeof secret));
  return m;
}

absl::StatusOr<std::string> FormatApiKey(const CredentialMaterial& m) {
  if (m.credential_id.size() != kIdHexDigits || !IsLowerHex(m.credential_id)) {
    return absl::InvalidArgumentError("credential id must be 32 lowercase hex digits");
  }
  if (m.secret.size() != kSecretChars || !IsBase64Url(m.secret)) {
    return absl::InvalidArgumentError("secret must be 43 base64url characters");
  }
  return absl::StrCat(kApiKeyPrefix, m.credential_id, "_", m.secret);
}

absl::StatusOr<std::string> CredentialIdOfApiKey(std::string_view key) {
  const std::string_view prefix = kApiKeyPrefix;
  if (key.size() != prefix.size() + kIdHexDigits + 1 + kSecretChars ||
      key.substr(0, prefix.size()) != prefix) {
    return InvalidKey();
  }
  const std::string_view id = key.substr(prefix.size(), kIdHexDigits);
  if (!IsLowerHex(id) || key[prefix.size() + kIdHexDigits] != '_' ||
      !IsBase64Url(key.substr(prefix.size() + kIdHexDigits + 1))) {
    return InvalidKey();
  }
  return std::string(id);
}

}  // namespace tane::international
