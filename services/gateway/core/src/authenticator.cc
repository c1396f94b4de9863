#include "tane/gateway/authenticator.h"

#include <cctype>

namespace tane::gateway {
namespace {

// Longer keys are refused without asking the international service (its keys
// are about 90 characters; auth::ApiKeyStore has the same bound).
constexpr size_t kMaxPartnerKeyBytes = 512;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<Credentials> Authenticator::Authenticate(std::string_view authorization, std::string_view api_key,
                                                       absl::Time now) const {
  authorization = Trim(authorization);
  api_key = Trim(api_key);
  if (!authorization.empty() && !api_key.empty()) {
    return absl::UnauthenticatedError("send either Authorization or X-Api-Key, not both");
  }
  if (!api_key.empty()) {
    // The international service's keys are never looked up in the keys
    // file: a line there must not keep a key working that it revoked.
    if (api_key.substr(0, kPartnerApiKeyPrefix.size()) == kPartnerApiKeyPrefix) {
      if (api_key.size() > kMaxPartnerKeyBytes) return absl::UnauthenticatedError("API key is too long");
      return Credentials{std::nullopt, std::string(api_key)};
    }
    auto principal = api_keys_.Verify(api_key);
    if (!principal.ok()) return principal.status();
    return Credentials{*std::move(principal), ""};
  }
  if (authorization.empty()) return Credentials{};
  const size_t space = authorization.find_first_of(" \t");
  const std::string_view scheme = authorization.substr(0, space);
  if (!EqualsIgnoreCase(scheme, "Bearer")) {
    return absl::UnauthenticatedError("unsupported authorization scheme \"" + std::string(scheme) +
                                      "\"; send Authorization: Bearer <token>");
  }
  const std::string_view token =
      space == std::string_view::npos ? std::string_view() : Trim(authorization.substr(space));
  if (token.empty()) return absl::UnauthenticatedError("the Authorization header has no bearer token");
  auto principal = VerifyToken(token, now);
  if (!principal.ok()) return principal.status();
  return Credentials{*std::move(principal), ""};
}

absl::StatusOr<auth::Principal> Authenticator::VerifyToken(std::string_view token, absl::Time now) const {
  const std::string key(token);
  {
    std::lock_guard lock(mu_);
    auto it = verified_.find(key);
    if (it != verified_.end()) {
      if (now <= it->second.expires_at + jwt_.options().leeway) return it->second;
      verified_.erase(it);  // expired: verify again, for the precise refusal
    }
  }
  auto principal = jwt_.Verify(token, now);
  if (!principal.ok()) return principal.status();
  std::lock_guard lock(mu_);
  if (verified_.size() >= kTokenCacheSize) verified_.clear();
  verified_.emplace(key, *principal);
  return principal;
}

}  // namespace tane::gateway
