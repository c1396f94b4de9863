#include "tanectl.h"

#include <CLI/CLI.hpp>
#include <ostream>

namespace tane::tanectl {

int Run(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app("tanectl: Tane's operator tool", "tanectl");
  app.require_subcommand(1);
  app.get_formatter()->column_width(36);
  CommandContext context{out, err};
  AddTokenCommand(app, context);
  AddApiKeyCommand(app, context);
  AddLoadDemoCommand(app, context);
  std::string known;
  bool found = false;
  for (const CLI::App* sub : app.get_subcommands({})) {
    known += (known.empty() ? "" : ", ") + sub->get_name();
    found = found || (argc > 1 && sub->get_name() == argv[1]);
  }
  if (argc > 1 && argv[1][0] != '-' && !found) {
    err << "tanectl: unknown command \"" << argv[1] << "\" (commands: " << known << ")\n";
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out << app.help();  // the selected subcommand's help, if any
    return 0;
  } catch (const CLI::ParseError& e) {
    err << e.what() << "\nRun tanectl --help (or tanectl <command> --help) for the options.\n";
    return 2;
  }
  return context.exit_code;
}

}  // namespace tane::tanectl
