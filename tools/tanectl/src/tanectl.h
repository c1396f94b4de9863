#pragma once
// tanectl, the operators' command-line tool, as a function so tests can run
// it in-process. One subcommand per file (token.cc, api_key.cc, ...); a new
// subcommand is a new Add*Command registered in tanectl.cc.

#include <iosfwd>

namespace CLI {
class App;
}

namespace tane::tanectl {

/// Where a subcommand writes and what it returns.
struct CommandContext {
  std::ostream& out;
  std::ostream& err;
  int exit_code = 0;
};

/// `tanectl token`: mints an HS256 dev token.
void AddTokenCommand(CLI::App& app, CommandContext& context);
/// `tanectl api-key`: makes a partner API key and its keys-file line.
void AddApiKeyCommand(CLI::App& app, CommandContext& context);

/// `tanectl load-demo`: loads the demo goals, areas, calls and budgets
/// through the services' gRPC APIs (idempotent).
void AddLoadDemoCommand(CLI::App& app, CommandContext& context);

/// Runs tanectl: 0 on success, 2 for a bad command line (message on `err`),
/// 1 when the command itself failed.
int Run(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace tane::tanectl
