// tanectl token --role R --subject S [--agency A] [--ttl 8h] [--secret-file var/jwt.secret]
#include <CLI/CLI.hpp>
#include <ostream>

#include "absl/time/clock.h"
#include "tane/auth/jwt.h"
#include "tane/auth/roles.h"
#include "tane/auth/secret_file.h"
#include "tanectl.h"

namespace tane::tanectl {
namespace {

struct TokenOptions {
  std::string role;
  std::string subject;
  std::string agency;
  std::string ttl = "8h";
  std::string secret_file = "var/jwt.secret";
  std::string issuer = "tane-dev";
  std::string audience = "tane";
};

std::string RoleList() {
  std::string out;
  for (std::string_view role : auth::kRoles) out += (out.empty() ? "" : ", ") + std::string(role);
  return out;
}

int MintToken(const TokenOptions& o, CommandContext& context) {
  absl::Duration ttl;
  if (!absl::ParseDuration(o.ttl, &ttl) || ttl <= absl::ZeroDuration()) {
    context.err << "tanectl token: --ttl \"" << o.ttl << "\" is not a positive duration such as 8h or 30m\n";
    return 2;
  }
  auto secret = auth::LoadOrCreateSecretFile(o.secret_file);
  if (!secret.ok()) {
    context.err << "tanectl token: " << secret.status().message() << "\n";
    return 1;
  }
  auth::TokenClaims claims;
  claims.subject = o.subject;
  claims.role = o.role;
  claims.agency = o.agency;
  claims.issuer = o.issuer;
  claims.audience = o.audience;
  claims.issued_at = absl::Now();
  claims.ttl = ttl;
  auto token = auth::MintHs256(claims, *secret);
  if (!token.ok()) {
    context.err << "tanectl token: " << token.status().message() << "\n";
    return absl::IsInvalidArgument(token.status()) ? 2 : 1;
  }
  context.out << *token << "\n";
  return 0;
}

}  // namespace

void AddTokenCommand(CLI::App& app, CommandContext& context) {
  auto options = std::make_shared<TokenOptions>();
  CLI::App* cmd = app.add_subcommand(
      "token", "Mint an HS256 development token for the gateway (signed with the gateway's secret file)");
  cmd->add_option("--role", options->role, "One of: " + RoleList())->required();
  cmd->add_option("--subject", options->subject, "The caller's id (the token's sub)")->required();
  cmd->add_option("--agency", options->agency, "Partner agency code (partner role only), e.g. NSF");
  cmd->add_option("--ttl", options->ttl, "Lifetime, e.g. 8h, 30m")->capture_default_str();
  cmd->add_option("--secret-file", options->secret_file, "HS256 secret; created (0600) when missing")
      ->envname("TANE_JWT_SECRET_FILE")
      ->capture_default_str();
  cmd->add_option("--issuer", options->issuer, "The token's iss")->envname("TANE_JWT_ISSUER")->capture_default_str();
  cmd->add_option("--audience", options->audience, "The token's aud")
      ->envname("TANE_JWT_AUDIENCE")
      ->capture_default_str();
  cmd->callback([options, &context] { context.exit_code = MintToken(*options, context); });
}

}  // namespace tane::tanectl
