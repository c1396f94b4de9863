#include "tane/auth/api_keys.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "encoding.h"

namespace tane::auth {
namespace {

constexpr std::string_view kHashPrefix = "sha256:";
constexpr std::string_view kKeyPrefix = "tane_";
constexpr size_t kKeyRandomBytes = 32;
constexpr size_t kMaxKeyBytes = 512;

bool IsHash(std::string_view s) {
  if (s.substr(0, kHashPrefix.size()) != kHashPrefix) return false;
  s.remove_prefix(kHashPrefix.size());
  return s.size() == 64 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

absl::StatusOr<std::string> GenerateApiKey() {
  auto bytes = internal::RandomBytes(kKeyRandomBytes);
  if (!bytes.ok()) return bytes.status();
  return std::string(kKeyPrefix) + absl::WebSafeBase64Escape(*bytes);
}

std::string HashApiKey(std::string_view key) {
  return std::string(kHashPrefix) + internal::HexEncode(internal::Sha256(key));
}

std::string ApiKeyLine(std::string_view hash, const Principal& principal) {
  std::string line = std::string(hash) + " " + principal.subject + " " + principal.role;
  if (!principal.agency.empty()) line += " " + principal.agency;
  return line;
}

absl::StatusOr<ApiKeyStore> ApiKeyStore::Parse(std::string_view text) {
  ApiKeyStore store;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    std::vector<std::string> words = absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat("API keys line ", line_number, ": ", why));
    };
    if (words.size() < 3 || words.size() > 4) {
      return bad("expected \"sha256:<hex> <subject> <role> [<agency>]\"");
    }
    if (!IsHash(words[0])) return bad("the hash must be \"sha256:\" followed by 64 lower-case hex digits");
    Principal principal{words[1], words[2], words.size() == 4 ? words[3] : "", CredentialKind::kApiKey};
    if (auto status = ValidatePrincipal(principal); !status.ok()) return bad(status.message());
    if (!store.by_hash_.emplace(words[0], std::move(principal)).second) {
      return bad("this hash is listed twice");
    }
  }
  return store;
}

absl::StatusOr<ApiKeyStore> ApiKeyStore::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read the API keys file ", path));
  std::ostringstream text;
  text << in.rdbuf();
  auto store = Parse(text.str());
  if (!store.ok()) return absl::Status(store.status().code(), absl::StrCat(path, ": ", store.status().message()));
  return store;
}

absl::StatusOr<Principal> ApiKeyStore::Verify(std::string_view key) const {
  if (key.empty()) return absl::UnauthenticatedError("empty API key");
  if (key.size() > kMaxKeyBytes) return absl::UnauthenticatedError("API key is too long");
  // Looked up by hash: timing can only tell how a guess's hash compares,
  // which says nothing about the key.
  auto it = by_hash_.find(HashApiKey(key));
  if (it == by_hash_.end()) return absl::UnauthenticatedError("unknown API key");
  return it->second;
}

}  // namespace tane::auth
