// A library as an older SDK would have built it: its plugin symbol carries ABI v0.
#include <boost/dll/alias.hpp>

#include "securemark/plugin_abi.h"

namespace {
const SmPluginEntry kEntry = {0, "testing.old", nullptr, nullptr, nullptr, nullptr};
const SmPluginEntry* Entry() { return &kEntry; }
}  // namespace

BOOST_DLL_ALIAS_SECTIONED(Entry, securemark_v0__testing__old, smplugin)
