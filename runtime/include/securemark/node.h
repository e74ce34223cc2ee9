// The plugin interface. A plugin is a class deriving from Node with a static contract:
//
//   class Shuffle : public securemark::Node {
//    public:
//     static constexpr securemark::Input<securemark::Dataset> kIn{"data", "Examples."};
//     static constexpr securemark::Output<securemark::Dataset> kOut{"shuffled", "Examples."};
//     static securemark::Contract GetContract() {
//       return securemark::Contract::Build("1.0.0", "Shuffles examples.", kIn, kOut);
//     }
//     securemark::Status Process(securemark::Context& ctx) override;
//   };
//   SECUREMARK_PLUGIN(Shuffle, dataset, shuffle)   // registers "dataset.shuffle"
//
// A host calls Open once, Process once per execution it is given, and Close at the end.
#pragma once

#include <exception>
#include <string>

#include <boost/dll/alias.hpp>

#include "securemark/context.h"
#include "securemark/contract.h"
#include "securemark/plugin_abi.h"
#include "securemark/status.h"
#include "securemark/values.h"

namespace securemark {

class Node {
 public:
  virtual ~Node() = default;
  virtual Status Open(Context& /*ctx*/) { return OkStatus(); }
  virtual Status Process(Context& ctx) = 0;
  virtual Status Close(Context& /*ctx*/) { return OkStatus(); }
};

namespace plugin_detail {

// Turns anything a plugin throws into a status code and a message.
template <typename Fn>
int Guard(SmMessageSink error, void* sink, Fn&& fn) {
  try {
    Status status = fn();
    if (!status.ok()) error(sink, status.message().c_str());
    return static_cast<int>(status.code());
  } catch (const std::exception& e) {
    error(sink, (std::string("plugin threw an exception: ") + e.what()).c_str());
  } catch (...) {
    error(sink, "plugin threw a non-standard exception");
  }
  return static_cast<int>(StatusCode::kInternal);
}

template <typename NodeT>
struct Thunks {
  static int Describe(const char* name, SmMessageSink out, void* sink) {
    return Guard(out, sink, [&] {
      Contract contract = NodeT::GetContract();
      contract.set_name(name);
      out(sink, contract.ToJson().c_str());
      return OkStatus();
    });
  }
  static void* Create(SmMessageSink error, void* sink) {
    void* node = nullptr;
    Guard(error, sink, [&] {
      node = static_cast<Node*>(new NodeT());
      return OkStatus();
    });
    return node;
  }
  static int Invoke(void* node, int phase, void* context, SmMessageSink error, void* sink) {
    return Guard(error, sink, [&] {
      Node& n = *static_cast<Node*>(node);
      Context& ctx = *static_cast<Context*>(context);
      switch (phase) {
        case SM_PHASE_OPEN:
          return n.Open(ctx);
        case SM_PHASE_PROCESS:
          return n.Process(ctx);
        case SM_PHASE_CLOSE:
          return n.Close(ctx);
      }
      return InvalidArgumentError("unknown phase " + std::to_string(phase));
    });
  }
  static void Destroy(void* node) { delete static_cast<Node*>(node); }
};

}  // namespace plugin_detail
}  // namespace securemark

#define SM_PLUGIN_CAT3(a, b, c) a##b##c
#define SM_PLUGIN_SYMBOL(abi, role, name) SM_PLUGIN_CAT3(securemark_v, abi, __##role##__##name)
#define SM_PLUGIN_SYMBOL_EXPAND(abi, role, name) SM_PLUGIN_SYMBOL(abi, role, name)

// Registers NodeClass as the plugin "role.name" (role and name are C identifiers).
#define SECUREMARK_PLUGIN(NodeClass, role, name)                                                   \
  namespace securemark_plugin_##role##_##name {                                                    \
    static int Describe(SmMessageSink out, void* sink) {                                           \
      return ::securemark::plugin_detail::Thunks<NodeClass>::Describe(#role "." #name, out, sink); \
    }                                                                                              \
    static const SmPluginEntry kEntry = {                                                          \
        SECUREMARK_ABI_VERSION,                                                                    \
        #role "." #name,                                                                           \
        &Describe,                                                                                 \
        &::securemark::plugin_detail::Thunks<NodeClass>::Create,                                   \
        &::securemark::plugin_detail::Thunks<NodeClass>::Invoke,                                   \
        &::securemark::plugin_detail::Thunks<NodeClass>::Destroy,                                  \
    };                                                                                             \
    const SmPluginEntry* Entry() { return &kEntry; }                                               \
  }                                                                                                \
  BOOST_DLL_ALIAS_SECTIONED(securemark_plugin_##role##_##name::Entry,                              \
                            SM_PLUGIN_SYMBOL_EXPAND(SECUREMARK_ABI_VERSION, role, name), smplugin)
