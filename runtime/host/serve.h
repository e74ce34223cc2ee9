// securemark-host serve: joins an orchestrator over ZeroMQ (DEALER, CURVE) and runs the
// executions it is sent, many per process, until told to shut down or the orchestrator
// falls silent.
#pragma once

#include <string>

#include "securemark/status.h"

namespace securemark {

struct ServeOptions {
  std::string endpoint;    // tcp://HOST:PORT
  std::string id;          // routing identity; defaults to host-<pid>
  std::string server_key;  // orchestrator public key (Z85 or file)
  std::string key_file;    // this host's key pair
  std::string library;     // plugin library to load (all its plugins)
  std::string plugin;      // or: a plugin found on the search path
  int heartbeat_ms = 1000;
  int orchestrator_timeout_ms = 15000;
  bool exit_with_parent = false;  // for hosts an orchestrator starts on its own machine
};

Status Serve(const ServeOptions& options);

}  // namespace securemark
