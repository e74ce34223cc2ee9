// Each group of `securemark` subcommands registers itself on the app. A command's
// callback stores its exit code: 0 success, 1 the operation failed, 2 bad usage.
#pragma once

#include <CLI/CLI.hpp>

#include "securemark/status.h"
#include "store.h"

namespace securemark::cli {

enum ExitCode { kExitOk = 0, kExitFailed = 1, kExitUsage = 2 };

// $SECUREMARK_STORE, else ./securemark-store.
std::string DefaultStorePath();

// The --store option every store-reading command takes, defaulting as above.
void AddStoreOption(CLI::App* cmd, std::string& path);

// A number in [low, high]; unlike CLI::Range it refuses NaN, which compares false with
// both bounds, and infinities.
CLI::Validator FiniteRange(double low, double high);

// Opens an existing store for a command that reads it. Executions left RUNNING by a
// process that is gone (a killed run) are recorded FAILED first, so what is shown is
// true; a store that cannot be written is read as it is.
StatusOr<std::unique_ptr<store::Store>> OpenStoreToRead(const std::string& path);

// Prints "securemark: <message>" to stderr and returns kExitFailed.
int Fail(const Status& status);

void AddPluginCommands(CLI::App& app, int& exit_code);       // plugins, describe
void AddExecCommand(CLI::App& app, int& exit_code);          // exec
void AddDoctorCommand(CLI::App& app, int& exit_code);        // doctor
void AddStoreCommands(CLI::App& app, int& exit_code);        // lineage, show, gc, store check
void AddValidateCommand(CLI::App& app, int& exit_code);      // validate
void AddRunCommand(CLI::App& app, int& exit_code);           // run
void AddKeysCommand(CLI::App& app, int& exit_code);          // keys new
void AddInvestigateCommands(CLI::App& app, int& exit_code);  // trace, audit
void AddReportCommand(CLI::App& app, int& exit_code);        // report
void AddExportCommand(CLI::App& app, int& exit_code);        // export

}  // namespace securemark::cli
