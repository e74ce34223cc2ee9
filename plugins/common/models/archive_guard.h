// A check of a model archive (torch.save / torch.jit.save zip) before LibTorch reads it.
// LibTorch's unpickler trusts the lengths and memo indices written in the pickles: a
// 1 KB file declaring a 4 GB string makes it reserve 4 GB (found by fuzz/model_fuzzer).
// This walks the zip's entries and every pickle in them, opcode by opcode, and refuses
// lengths that run past the data, memo indices no pickle of that size can have, unknown
// opcodes and oversized or malformed entries. LibTorch-free.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "securemark/status.h"

namespace securemark::models {

// OK when every pickle in the archive is structurally sound; otherwise DataLoss naming
// the entry and the offset.
Status CheckModelArchive(std::string_view bytes);

// One entry of a zip archive as its central directory describes it.
struct ArchiveEntry {
  std::string_view name;
  std::string_view stored;  // the bytes as stored (possibly deflated)
  uint64_t method = 0;      // 0 stored, 8 deflated
  uint64_t size = 0;        // uncompressed size the directory declares
  uint64_t offset = 0;      // of the local header, for messages
};
using ArchiveVisitor = std::function<Status(const ArchiveEntry&)>;

// Calls `visit` for every entry, in directory order; stops at the first error.
Status ForEachArchiveEntry(std::string_view bytes, const ArchiveVisitor& visit);

// An entry's uncompressed bytes, refusing more than `limit` bytes.
StatusOr<std::string> EntryContents(const ArchiveEntry& entry, size_t limit);

// One pickle (protocol 0-5), on its own.
Status CheckPickle(std::string_view pickle, std::string_view name);

}  // namespace securemark::models
