// The ports every crc plugin shares: a graph in, a customer -> community code table out.
#pragma once

#include <nlohmann/json.hpp>

#include "graph/codes_table.h"
#include "securemark/node.h"

namespace securemark::crc {

inline constexpr Input<graph::Graph> kGraph{"graph", "The customers' social graph."};
inline constexpr Output<domain::CommunityCodes> kCodes{
    "codes", "'codes' uint8 [customers, bits] and 'names' (one per line)."};
inline constexpr Param<int64_t> kBits{"bits", 60, "Code length.", Range{1, 64}};
inline constexpr Param<int64_t> kSeed{"seed", 0, "Random seed.", Range{0, 9.2e18}};

using graph::CodesFromTable;
using graph::CodesTable;

}  // namespace securemark::crc
