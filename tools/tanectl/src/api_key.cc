// tanectl api-key --subject S --role partner --agency A [--append-to FILE]
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <ostream>

#include "tane/auth/api_keys.h"
#include "tanectl.h"

namespace tane::tanectl {
namespace {

struct ApiKeyOptions {
  std::string subject;
  std::string role = "partner";
  std::string agency;
  std::string append_to;
};

int MakeApiKey(const ApiKeyOptions& o, CommandContext& context) {
  const auth::Principal principal{o.subject, o.role, o.agency, auth::CredentialKind::kApiKey};
  if (auto status = auth::ValidatePrincipal(principal); !status.ok()) {
    context.err << "tanectl api-key: " << status.message() << "\n";
    return 2;
  }
  auto key = auth::GenerateApiKey();
  if (!key.ok()) {
    context.err << "tanectl api-key: " << key.status().message() << "\n";
    return 1;
  }
  const std::string line = auth::ApiKeyLine(auth::HashApiKey(*key), principal);
  if (!o.append_to.empty()) {
    const int fd = ::open(o.append_to.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    const std::string text = line + "\n";
    if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
      context.err << "tanectl api-key: cannot append to " << o.append_to << ": " << std::strerror(errno) << "\n";
      if (fd >= 0) ::close(fd);
      return 1;
    }
    ::close(fd);
  }
  context.out << "key:  " << *key << "\n"
              << "line: " << line << "\n"
              << "The key is shown only here; the gateway stores only its hash"
              << (o.append_to.empty() ? " (add the line to its --api-keys-file)."
                                      : " (line appended to " + o.append_to + ").")
              << "\n";
  return 0;
}

}  // namespace

void AddApiKeyCommand(CLI::App& app, CommandContext& context) {
  auto options = std::make_shared<ApiKeyOptions>();
  CLI::App* cmd =
      app.add_subcommand("api-key", "Make an API key for a partner system; prints the key and its hashed line");
  cmd->add_option("--subject", options->subject, "The partner system's id, e.g. nsf-exchange")->required();
  cmd->add_option("--role", options->role, "Role of the key")->capture_default_str();
  cmd->add_option("--agency", options->agency, "Partner agency code, e.g. NSF (partner role)");
  cmd->add_option("--append-to", options->append_to, "Append the hashed line to this keys file (created 0600)")
      ->envname("TANE_API_KEYS_FILE");
  cmd->callback([options, &context] { context.exit_code = MakeApiKey(*options, context); });
}

}  // namespace tane::tanectl
