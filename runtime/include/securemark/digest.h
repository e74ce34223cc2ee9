// Content digests: the store addresses blobs by them, deliveries quote them in receipts.
#pragma once

#include <string>
#include <string_view>

namespace securemark {

// Lower-case hex SHA-256 of `bytes`.
std::string Sha256Hex(std::string_view bytes);

}  // namespace securemark
