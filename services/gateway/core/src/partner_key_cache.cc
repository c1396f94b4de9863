#include "tane/gateway/partner_key_cache.h"

#include <algorithm>

#include "tane/auth/api_keys.h"

namespace tane::gateway {

absl::StatusOr<auth::Principal> PartnerKeyPrincipal(std::string_view agency_code, std::string_view credential_id) {
  auth::Principal principal{"partner-credential:" + std::string(credential_id), std::string(auth::kPartner),
                            std::string(agency_code), auth::CredentialKind::kApiKey};
  if (auto status = auth::ValidatePrincipal(principal); !status.ok()) {
    return absl::InternalError("the international service accepted the partner API key with an unusable answer: " +
                               std::string(status.message()));
  }
  return principal;
}

std::optional<absl::StatusOr<auth::Principal>> PartnerKeyCache::Find(std::string_view key, absl::Time now) const {
  if (ttl_ <= absl::ZeroDuration()) return std::nullopt;
  const std::string hash = auth::HashApiKey(key);
  std::lock_guard lock(mu_);
  auto it = entries_.find(hash);
  if (it == entries_.end() || now - it->second.answered_at >= ttl_) return std::nullopt;
  return it->second.answer;
}

void PartnerKeyCache::Remember(std::string_view key, const absl::StatusOr<auth::Principal>& answer, absl::Time now) {
  if (ttl_ <= absl::ZeroDuration()) return;
  if (!answer.ok() && answer.status().code() != absl::StatusCode::kUnauthenticated) return;
  std::string hash = auth::HashApiKey(key);
  std::lock_guard lock(mu_);
  if (entries_.size() >= max_entries_ && !entries_.contains(hash)) {
    // Room comes from outdated answers, then from refusals; an accepted key
    // makes room only for another accepted key (the oldest one goes), so
    // made-up keys cannot push real partners' keys out.
    std::erase_if(entries_, [&](const auto& entry) { return now - entry.second.answered_at >= ttl_; });
    if (entries_.size() >= max_entries_) {
      std::erase_if(entries_, [](const auto& entry) { return !entry.second.answer.ok(); });
    }
    if (entries_.size() >= max_entries_) {
      if (!answer.ok()) return;
      entries_.erase(std::min_element(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
        return a.second.answered_at < b.second.answered_at;
      }));
    }
  }
  entries_.insert_or_assign(std::move(hash), Entry{answer, now});
}

size_t PartnerKeyCache::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace tane::gateway
