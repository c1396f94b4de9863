#pragma once
/// The international service's recent answers about partner API keys, so a
/// partner system's every request does not cost an AuthenticatePartner call.
///
/// Both kinds of answer are remembered for `ttl` from when they were given:
/// a key accepted (its principal) and a key refused (UNAUTHENTICATED: unknown,
/// revoked or expired). Nothing else is remembered: when the service could
/// not be asked, the next request asks again. So a credential revoked (or
/// expiring) at the service stops working at the gateway at most `ttl`
/// later; a newly issued key works at once, since nobody can have presented
/// it before. A ttl of zero remembers nothing.
///
/// Keys are held by their SHA-256 (auth::HashApiKey), never in the clear.
/// At most `max_entries` answers are kept: when full, the outdated ones are
/// dropped, then the refusals. An accepted key is never dropped to make room
/// for a refusal (that refusal is then not remembered); a new accepted key
/// replaces the oldest accepted one. So a flood of made-up keys cannot push
/// real partners' keys out.
/// Thread-safe.

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tane/auth/roles.h"

namespace tane::gateway {

/// The caller a partner key stands for once the international service
/// accepted it (AuthenticatePartnerResponse): subject
/// "partner-credential:<credential_id>", role partner, the agency code.
/// INTERNAL when the answer does not make a valid auth::Principal.
absl::StatusOr<auth::Principal> PartnerKeyPrincipal(std::string_view agency_code, std::string_view credential_id);

class PartnerKeyCache final {
 public:
  static constexpr size_t kMaxEntries = 4096;

  explicit PartnerKeyCache(absl::Duration ttl, size_t max_entries = kMaxEntries)
      : ttl_(ttl), max_entries_(max_entries) {}

  /// The answer remembered for `key` if it was given less than ttl before
  /// `now`: the principal, or the UNAUTHENTICATED refusal. nullopt otherwise.
  std::optional<absl::StatusOr<auth::Principal>> Find(std::string_view key, absl::Time now) const;
  /// Remembers the service's answer about `key`, given at `now`, when it is a
  /// principal or UNAUTHENTICATED; any other status is ignored.
  void Remember(std::string_view key, const absl::StatusOr<auth::Principal>& answer, absl::Time now);

  absl::Duration ttl() const { return ttl_; }
  size_t size() const;

 private:
  struct Entry {
    absl::StatusOr<auth::Principal> answer;
    absl::Time answered_at;
  };

  const absl::Duration ttl_;
  const size_t max_entries_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // guarded by mu_; by key hash
};

}  // namespace tane::gateway
