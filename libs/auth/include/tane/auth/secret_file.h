#pragma once
/// The HS256 secret of the embedded default, shared by the gateway and
/// `tanectl token` through a file (var/jwt.secret by default).

#include <string>

#include "absl/status/statusor.h"

namespace tane::auth {

/// The secret in `path` (its content without a trailing newline). When the
/// file does not exist it is created first with 32 random bytes as 64 hex
/// characters, mode 0600, its directory with mode 0700 if missing. Creation
/// is atomic (written aside, then linked into place), so two processes
/// starting at once agree on one secret. INTERNAL/PERMISSION_DENIED-style
/// errors name the path; INVALID_ARGUMENT for an empty file.
absl::StatusOr<std::string> LoadOrCreateSecretFile(const std::string& path);

/// The secret in an existing file; NOT_FOUND when missing, INVALID_ARGUMENT when empty.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path);

}  // namespace tane::auth
