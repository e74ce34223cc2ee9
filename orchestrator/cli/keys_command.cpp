// `securemark keys new NAME`: a CURVE key pair for an orchestrator or a remote host.
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "transport/curve.h"

namespace securemark::cli {

void AddKeysCommand(CLI::App& app, int& exit_code) {
  auto* keys = app.add_subcommand(
      "keys", "CURVE keys for orchestrators and hosts\nExample: securemark keys new orchestrator");
  keys->require_subcommand(1);
  auto name = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  auto* make = keys->add_subcommand(
      "new",
      "Write NAME.key (secret, mode 0600) and NAME.pub\nExample: securemark keys new lab-host-1");
  make->add_option("name", *name, "Path without extension")->required();
  make->add_flag("--force", *force, "Replace an existing key pair");
  make->callback([&exit_code, name, force] {
    const std::filesystem::path path(*name);
    if (name->empty() || path.filename().empty() || path.filename() == "." ||
        path.filename() == "..") {
      std::cerr << "securemark: keys new needs a file name (got '" << *name << "')\n";
      exit_code = kExitUsage;
      return;
    }
    for (const char* extension : {".key", ".pub"}) {
      std::error_code ec;
      if (!*force && std::filesystem::exists(*name + extension, ec)) {
        std::cerr << "securemark: " << *name << extension
                  << " exists; a key pair is never replaced silently (--force replaces it)\n";
        exit_code = kExitFailed;
        return;
      }
    }
    transport::KeyPair pair = transport::NewKeyPair();
    Status written = transport::WriteKeyPair(*name, pair);
    if (!written.ok()) {
      std::cerr << "securemark: " << written.message() << "\n";
      exit_code = kExitFailed;
      return;
    }
    std::cout << "wrote " << *name << ".key (secret) and " << *name
              << ".pub\npublic key: " << pair.public_key << "\n";
    exit_code = kExitOk;
  });
}

}  // namespace securemark::cli
