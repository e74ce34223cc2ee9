// securemark: the command-line entry point. Each subcommand lives in its own file.
#include <iostream>

#include "cli/commands.h"

namespace {

bool HasCommand(CLI::App& app, const std::string& name) {
  for (const CLI::App* sub : app.get_subcommands({}))
    if (sub->get_name() == name) return true;
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  namespace cli = securemark::cli;
  CLI::App app{
      "securemark: train, fingerprint and trace image classifiers\n"
      "Example: securemark plugins"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "securemark 0.1.0");
  int exit_code = cli::kExitOk;
  cli::AddPluginCommands(app, exit_code);
  cli::AddExecCommand(app, exit_code);
  cli::AddDoctorCommand(app, exit_code);
  cli::AddStoreCommands(app, exit_code);
  cli::AddExportCommand(app, exit_code);
  cli::AddValidateCommand(app, exit_code);
  cli::AddRunCommand(app, exit_code);
  cli::AddKeysCommand(app, exit_code);
  cli::AddInvestigateCommands(app, exit_code);
  cli::AddReportCommand(app, exit_code);
  // CLI11 answers an unknown command with "A subcommand is required": name it instead,
  // with the commands there are.
  if (argc > 1 && argv[1][0] != '-' && !HasCommand(app, argv[1])) {
    std::string known;
    for (const CLI::App* sub : app.get_subcommands({}))
      known += (known.empty() ? "" : ", ") + sub->get_name();
    std::cerr << "securemark: unknown command '" << argv[1] << "'; the commands are " << known
              << "\nRun with --help for more information.\n";
    return cli::kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return cli::kExitUsage;
  }
  return exit_code;
}
