#include "tane/auth/jwt.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "encoding.h"

namespace tane::auth {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

constexpr size_t kMaxTokenBytes = 8192;
constexpr size_t kMinSecretBytes = 32;

struct JwtFree {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtFree>;

absl::Status Refuse(const std::string& why) { return absl::UnauthenticatedError(why); }

std::string Rfc3339(absl::Time t) { return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone()); }

// One base64url part of a compact JWS, as a JSON object.
absl::StatusOr<Struct> DecodeJsonPart(absl::string_view part, const char* what) {
  std::string json;
  if (part.empty() || !absl::WebSafeBase64Unescape(part, &json)) {
    return Refuse(absl::StrCat("malformed token: the ", what, " is not base64url"));
  }
  Struct out;
  if (!google::protobuf::util::JsonStringToMessage(json, &out).ok()) {
    return Refuse(absl::StrCat("malformed token: the ", what, " is not a JSON object"));
  }
  return out;
}

const Value* Field(const Struct& s, const char* name) {
  auto it = s.fields().find(name);
  return it == s.fields().end() ? nullptr : &it->second;
}

// A string claim: absent -> "", present but not a string -> error.
absl::StatusOr<std::string> StringClaim(const Struct& claims, const char* name) {
  const Value* v = Field(claims, name);
  if (v == nullptr) return std::string();
  if (v->kind_case() != Value::kStringValue) return Refuse(absl::StrCat("claim \"", name, "\" must be a string"));
  return v->string_value();
}

// A NumericDate claim (seconds since the epoch): absent -> nullopt.
absl::StatusOr<std::optional<absl::Time>> TimeClaim(const Struct& claims, const char* name) {
  const Value* v = Field(claims, name);
  if (v == nullptr) return std::optional<absl::Time>();
  if (v->kind_case() != Value::kNumberValue || !std::isfinite(v->number_value()) || v->number_value() < 0 ||
      v->number_value() > 1e11) {
    return Refuse(absl::StrCat("claim \"", name, "\" must be a number of seconds since 1970"));
  }
  return std::optional<absl::Time>(absl::UnixEpoch() + absl::Seconds(v->number_value()));
}

absl::Status CheckAudience(const Struct& claims, const std::string& audience) {
  const Value* v = Field(claims, "aud");
  if (v == nullptr) return Refuse(absl::StrCat("token has no \"aud\" claim; expected \"", audience, "\""));
  std::vector<std::string> presented;
  if (v->kind_case() == Value::kStringValue) {
    presented.push_back(v->string_value());
  } else if (v->kind_case() == Value::kListValue) {
    for (const Value& item : v->list_value().values()) {
      if (item.kind_case() != Value::kStringValue) return Refuse("claim \"aud\" must be a string or strings");
      presented.push_back(item.string_value());
    }
  } else {
    return Refuse("claim \"aud\" must be a string or strings");
  }
  if (std::find(presented.begin(), presented.end(), audience) != presented.end()) return absl::OkStatus();
  return Refuse(absl::StrCat("audience \"", absl::StrJoin(presented, "\", \""), "\" is not accepted; expected \"",
                             audience, "\""));
}

absl::Status CheckRsaPublicKey(const std::string& kid, const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr),
                                                          EVP_PKEY_free);
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("RS256 key \"", kid, "\" is not a PEM public key (-----BEGIN PUBLIC KEY-----)"));
  }
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) {
    return absl::InvalidArgumentError(absl::StrCat("RS256 key \"", kid, "\" is not an RSA key"));
  }
  return absl::OkStatus();
}

std::string AcceptedAlgorithms(const JwtVerifierOptions& options) {
  std::vector<std::string> algs;
  if (!options.hs256_secret.empty()) algs.push_back("HS256");
  if (!options.rs256_public_keys.empty()) algs.push_back("RS256");
  return algs.empty() ? "none configured" : absl::StrJoin(algs, ", ");
}

absl::StatusOr<std::string> Mint(const TokenClaims& claims, jwt_alg_t alg, std::string_view key,
                                 const std::string& kid) {
  Principal principal{claims.subject, claims.role, claims.agency};
  if (auto status = ValidatePrincipal(principal); !status.ok()) return status;
  if (claims.ttl <= absl::ZeroDuration()) return absl::InvalidArgumentError("ttl must be positive");
  auto jti = internal::RandomBytes(16);
  if (!jti.ok()) return jti.status();
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) return absl::InternalError("jwt_new failed");
  JwtPtr jwt(raw);
  const long iat = static_cast<long>(absl::ToUnixSeconds(claims.issued_at));
  const long exp = static_cast<long>(absl::ToUnixSeconds(claims.issued_at + claims.ttl));
  int rc = jwt_add_grant(jwt.get(), "sub", claims.subject.c_str());
  rc |= jwt_add_grant(jwt.get(), "role", claims.role.c_str());
  if (!claims.agency.empty()) rc |= jwt_add_grant(jwt.get(), "agency", claims.agency.c_str());
  if (!claims.issuer.empty()) rc |= jwt_add_grant(jwt.get(), "iss", claims.issuer.c_str());
  if (!claims.audience.empty()) rc |= jwt_add_grant(jwt.get(), "aud", claims.audience.c_str());
  rc |= jwt_add_grant(jwt.get(), "jti", internal::HexEncode(*jti).c_str());
  rc |= jwt_add_grant_int(jwt.get(), "iat", iat);
  rc |= jwt_add_grant_int(jwt.get(), "nbf", iat);
  rc |= jwt_add_grant_int(jwt.get(), "exp", exp);
  if (!kid.empty()) rc |= jwt_add_header(jwt.get(), "kid", kid.c_str());
  if (rc != 0) return absl::InternalError("cannot add the token's claims");
  if (jwt_set_alg(jwt.get(), alg, reinterpret_cast<const unsigned char*>(key.data()), static_cast<int>(key.size())) !=
      0) {
    return absl::InvalidArgumentError(absl::StrCat("libjwt refused the ", jwt_alg_str(alg), " key"));
  }
  char* encoded = jwt_encode_str(jwt.get());
  if (encoded == nullptr)
    return absl::InvalidArgumentError(absl::StrCat("cannot sign with this ", jwt_alg_str(alg), " key"));
  std::string token(encoded);
  std::free(encoded);
  return token;
}

}  // namespace

absl::StatusOr<JwtVerifier> JwtVerifier::Create(JwtVerifierOptions options) {
  if (!options.hs256_secret.empty() && options.hs256_secret.size() < kMinSecretBytes) {
    return absl::InvalidArgumentError(absl::StrCat("the HS256 secret must be at least ", kMinSecretBytes,
                                                   " bytes; it has ", options.hs256_secret.size()));
  }
  for (const auto& [kid, pem] : options.rs256_public_keys) {
    if (auto status = CheckRsaPublicKey(kid, pem); !status.ok()) return status;
  }
  if (options.leeway < absl::ZeroDuration()) return absl::InvalidArgumentError("leeway must not be negative");
  return JwtVerifier(std::move(options));
}

absl::StatusOr<Principal> JwtVerifier::Verify(std::string_view token, absl::Time now) const {
  if (token.empty()) return Refuse("empty bearer token");
  if (token.size() > kMaxTokenBytes) return Refuse(absl::StrCat("token is longer than ", kMaxTokenBytes, " bytes"));
  std::vector<absl::string_view> parts = absl::StrSplit(absl::string_view(token.data(), token.size()), '.');
  if (parts.size() != 3) {
    return Refuse(absl::StrCat("malformed token: expected 3 dot-separated parts, got ", parts.size()));
  }
  auto header = DecodeJsonPart(parts[0], "header");
  if (!header.ok()) return header.status();
  auto claims = DecodeJsonPart(parts[1], "payload");
  if (!claims.ok()) return claims.status();

  const Value* alg_value = Field(*header, "alg");
  if (alg_value == nullptr || alg_value->kind_case() != Value::kStringValue) {
    return Refuse("malformed token: the header has no \"alg\"");
  }
  if (Field(*header, "crit") != nullptr) return Refuse("token has critical header extensions, none are supported");
  const std::string& alg = alg_value->string_value();
  const std::string* key = nullptr;
  jwt_alg_t expected;
  if (alg == "HS256" && accepts_hs256()) {
    key = &options_.hs256_secret;
    expected = JWT_ALG_HS256;
  } else if (alg == "RS256" && accepts_rs256()) {
    expected = JWT_ALG_RS256;
    const Value* kid = Field(*header, "kid");
    if (kid == nullptr) {
      if (options_.rs256_public_keys.size() != 1) {
        return Refuse(absl::StrCat("token has no \"kid\" header and ", options_.rs256_public_keys.size(),
                                   " RS256 keys are configured"));
      }
      key = &options_.rs256_public_keys.begin()->second;
    } else {
      if (kid->kind_case() != Value::kStringValue) return Refuse("malformed token: \"kid\" must be a string");
      auto it = options_.rs256_public_keys.find(kid->string_value());
      if (it == options_.rs256_public_keys.end()) {
        return Refuse(absl::StrCat("unknown key id \"", kid->string_value(), "\""));
      }
      key = &it->second;
    }
  } else {
    return Refuse(
        absl::StrCat("algorithm \"", alg, "\" is not accepted (accepted: ", AcceptedAlgorithms(options_), ")"));
  }

  const std::string nul_terminated(token);
  jwt_t* raw = nullptr;
  const int rc = jwt_decode(&raw, nul_terminated.c_str(), reinterpret_cast<const unsigned char*>(key->data()),
                            static_cast<int>(key->size()));
  JwtPtr jwt(raw);
  if (rc != 0 || jwt == nullptr) return Refuse("token signature does not verify");
  if (jwt_get_alg(jwt.get()) != expected) return Refuse("token signature does not verify");

  auto exp = TimeClaim(*claims, "exp");
  if (!exp.ok()) return exp.status();
  if (!exp->has_value()) return Refuse("token has no \"exp\" claim");
  if (now > **exp + options_.leeway) return Refuse(absl::StrCat("token expired at ", Rfc3339(**exp)));
  auto nbf = TimeClaim(*claims, "nbf");
  if (!nbf.ok()) return nbf.status();
  if (nbf->has_value() && now + options_.leeway < **nbf) {
    return Refuse(absl::StrCat("token is not valid before ", Rfc3339(**nbf)));
  }
  auto iat = TimeClaim(*claims, "iat");
  if (!iat.ok()) return iat.status();
  if (iat->has_value() && now + options_.leeway < **iat) {
    return Refuse(absl::StrCat("token is issued in the future (iat ", Rfc3339(**iat), ")"));
  }
  if (!options_.issuer.empty()) {
    auto iss = StringClaim(*claims, "iss");
    if (!iss.ok()) return iss.status();
    if (iss->empty()) return Refuse(absl::StrCat("token has no \"iss\" claim; expected \"", options_.issuer, "\""));
    if (*iss != options_.issuer) {
      return Refuse(absl::StrCat("issuer \"", *iss, "\" is not accepted; expected \"", options_.issuer, "\""));
    }
  }
  if (!options_.audience.empty()) {
    if (auto status = CheckAudience(*claims, options_.audience); !status.ok()) return status;
  }

  Principal principal;
  principal.credential = CredentialKind::kJwt;
  principal.expires_at = **exp;
  for (auto [name, out] : {std::pair{"sub", &principal.subject}, std::pair{"role", &principal.role},
                           std::pair{"agency", &principal.agency}}) {
    auto value = StringClaim(*claims, name);
    if (!value.ok()) return value.status();
    *out = *std::move(value);
  }
  if (principal.subject.empty()) return Refuse("token has no \"sub\" claim");
  if (principal.role.empty()) return Refuse("token has no \"role\" claim");
  if (auto status = ValidatePrincipal(principal); !status.ok()) {
    return Refuse(absl::StrCat("token claims: ", status.message()));
  }
  return principal;
}

absl::StatusOr<std::string> MintHs256(const TokenClaims& claims, std::string_view secret) {
  if (secret.size() < kMinSecretBytes) {
    return absl::InvalidArgumentError(absl::StrCat("the HS256 secret must be at least ", kMinSecretBytes, " bytes"));
  }
  return Mint(claims, JWT_ALG_HS256, secret, "");
}

absl::StatusOr<std::string> MintRs256(const TokenClaims& claims, std::string_view private_key_pem,
                                      std::string_view kid) {
  return Mint(claims, JWT_ALG_RS256, private_key_pem, std::string(kid));
}

absl::StatusOr<std::map<std::string, std::string>> LoadRs256KeySet(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<fs::path> files;
  if (fs::is_directory(path, ec)) {
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      if (entry.is_regular_file() && entry.path().extension() == ".pem") files.push_back(entry.path());
    }
    if (ec) return absl::InvalidArgumentError(absl::StrCat("cannot list ", path, ": ", ec.message()));
    if (files.empty()) return absl::NotFoundError(absl::StrCat("no *.pem key files in ", path));
  } else if (fs::is_regular_file(path, ec)) {
    files.push_back(path);
  } else {
    return absl::NotFoundError(absl::StrCat("RS256 key set ", path, " is neither a file nor a directory"));
  }
  std::map<std::string, std::string> keys;
  for (const fs::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", file.string()));
    std::ostringstream pem;
    pem << in.rdbuf();
    const std::string kid = file.stem().string();
    if (auto status = CheckRsaPublicKey(kid, pem.str()); !status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(file.string(), ": ", status.message()));
    }
    keys[kid] = pem.str();
  }
  return keys;
}

}  // namespace tane::auth
