// Text that came from a peer (a host's log line, an error, a message kind) on its way to a
// terminal: control characters would let it move the cursor, recolour or erase what the
// user sees, so they are escaped.
#pragma once

#include <string>
#include <string_view>

namespace securemark {

// `text` with control characters (ESC, CR, DEL, ... but not newline and tab) and bytes
// that are not UTF-8 written as \xNN, cut after `max_bytes` with the number of bytes left.
std::string Printable(std::string_view text, size_t max_bytes = 8192);

}  // namespace securemark
