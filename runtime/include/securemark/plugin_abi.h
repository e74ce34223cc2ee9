// The binary interface between a plugin library and the host that loads it. Only C types
// cross it, through one entry per plugin exported with BOOST_DLL_ALIAS_SECTIONED into the
// section below, under the name  securemark_v<ABI>__<role>__<name>. Discovery reads these
// names from the symbol table without loading the library; the ABI version in the name
// and in the entry are both checked before any call.
#pragma once

#include <cstdint>

#define SECUREMARK_ABI_VERSION 2
#define SECUREMARK_PLUGIN_SECTION "smplugin"  // at most 8 characters; used by SECUREMARK_PLUGIN
#define SECUREMARK_SYMBOL_PREFIX "securemark_v"

extern "C" {

// Receives a message (contract JSON, or an error text). `sink` is the caller's state.
typedef void (*SmMessageSink)(void* sink, const char* message);

enum SmPhase { SM_PHASE_OPEN = 0, SM_PHASE_PROCESS = 1, SM_PHASE_CLOSE = 2 };

struct SmPluginEntry {
  uint32_t abi_version;
  const char* name;  // "role.name"
  // Writes the contract as JSON to `out`. Returns a StatusCode (0 = OK) and on failure
  // writes the error text instead.
  int (*describe)(SmMessageSink out, void* sink);
  // Creates a node; returns NULL and writes the error on failure.
  void* (*create)(SmMessageSink error, void* sink);
  // Runs one phase. `context` is a securemark::Context*. Returns a StatusCode; never throws.
  int (*invoke)(void* node, int phase, void* context, SmMessageSink error, void* sink);
  void (*destroy)(void* node);
};

typedef const SmPluginEntry* (*SmPluginEntryFn)(void);
}
