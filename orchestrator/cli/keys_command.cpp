// `securemark keys new NAME`: a CURVE key pair for an orchestrator or a remote host.
#include <iostream>

#include "cli/commands.h"
#include "transport/curve.h"

namespace securemark::cli {

void AddKeysCommand(CLI::App& app, int& exit_code) {
  auto* keys = app.add_subcommand(
      "keys", "CURVE keys for orchestrators and hosts\nExample: securemark keys new orchestrator");
  keys->require_subcommand(1);
  auto name = std::make_shared<std::string>();
  auto* make = keys->add_subcommand(
      "new",
      "Write NAME.key (secret, mode 0600) and NAME.pub\nExample: securemark keys new lab-host-1");
  make->add_option("name", *name, "Path without extension")->required();
  make->callback([&exit_code, name] {
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
