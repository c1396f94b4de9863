#pragma once
// Byte helpers shared by the auth sources (OpenSSL underneath).

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace tane::auth::internal {

/// Lower-case hex.
std::string HexEncode(std::string_view bytes);
/// `n` bytes from OpenSSL's CSPRNG; INTERNAL if it fails.
absl::StatusOr<std::string> RandomBytes(size_t n);
/// The 32-byte SHA-256 digest.
std::string Sha256(std::string_view data);

}  // namespace tane::auth::internal
