#include "models/archive_guard.h"

#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <string>

namespace securemark::models {
namespace {

constexpr size_t kMaxPickleBytes = size_t{256} << 20;

uint64_t Little(std::string_view b, size_t at, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t{static_cast<unsigned char>(b[at + i])} << (8 * i);
  return v;
}

Status Bad(std::string_view name, size_t offset, const std::string& what) {
  return DataLossError("model archive entry '" + std::string(name) + "' at offset " +
                       std::to_string(offset) + ": " + what);
}

// How an opcode's argument is laid out (see Python's pickletools).
enum class Arg { kNone, kFixed, kLine, kTwoLines, kLength };

struct Op {
  Arg arg;
  size_t size;  // kFixed: bytes; kLength: bytes of the little-endian length
  bool memo_put = false;
};

bool Describe(unsigned char code, Op& op) {
  switch (code) {
    // no argument
    case 'N':
    case 0x88:
    case 0x89:
    case ']':
    case 'a':
    case 'e':
    case 'l':
    case ')':
    case 't':
    case 0x85:
    case 0x86:
    case 0x87:
    case '}':
    case 'd':
    case 's':
    case 'u':
    case 0x8f:
    case 0x90:
    case 0x91:
    case '0':
    case '2':
    case '(':
    case '1':
    case 0x94:
    case 0x93:
    case 'R':
    case 'b':
    case 'o':
    case 0x81:
    case 0x92:
    case 'Q':
    case '.':
    case 0x97:
    case 0x98:
      op = {Arg::kNone, 0};
      return true;
    case 'K':
    case 'h':
    case 0x82:
    case 0x80:
      op = {Arg::kFixed, 1};
      return true;
    case 'q':
      op = {Arg::kFixed, 1, true};
      return true;
    case 'M':
    case 0x83:
      op = {Arg::kFixed, 2};
      return true;
    case 'J':
    case 'j':
    case 0x84:
      op = {Arg::kFixed, 4};
      return true;
    case 'r':
      op = {Arg::kFixed, 4, true};
      return true;
    case 'G':
    case 0x95:
      op = {Arg::kFixed, 8};
      return true;
    case 'I':
    case 'L':
    case 'S':
    case 'V':
    case 'F':
    case 'g':
    case 'P':
      op = {Arg::kLine, 0};
      return true;
    case 'p':
      op = {Arg::kLine, 0, true};
      return true;
    case 'c':
    case 'i':
      op = {Arg::kTwoLines, 0};
      return true;
    case 0x8a:
    case 'U':
    case 'C':
    case 0x8c:
      op = {Arg::kLength, 1};
      return true;
    case 0x8b:
    case 'T':
    case 'B':
    case 'X':
      op = {Arg::kLength, 4};
      return true;
    case 0x8e:
    case 0x96:
    case 0x8d:
      op = {Arg::kLength, 8};
      return true;
    default:
      return false;
  }
}

// Raw deflate, refusing output beyond `limit`.
Status Inflate(std::string_view in, size_t limit, std::string& out, std::string_view name) {
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) return InternalError("zlib init failed");
  out.assign(limit + 1 > (size_t{1} << 20) ? size_t{1} << 20 : limit + 1, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  size_t produced = 0;
  while (rc == Z_OK) {
    if (produced == out.size()) {
      if (out.size() > limit) break;
      out.resize(std::min(out.size() * 2, limit + 1));
    }
    z.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    z.avail_out = static_cast<uInt>(out.size() - produced);
    rc = inflate(&z, Z_NO_FLUSH);
    produced = out.size() - z.avail_out;
  }
  inflateEnd(&z);
  if (produced > limit) return Bad(name, 0, "inflates to more than the size it declares");
  if (rc != Z_STREAM_END) return Bad(name, 0, "malformed deflate data");
  out.resize(produced);
  return OkStatus();
}

}  // namespace

Status CheckPickle(std::string_view p, std::string_view name) {
  size_t at = 0;
  while (at < p.size()) {
    const size_t start = at;
    const auto code = static_cast<unsigned char>(p[at++]);
    Op op;
    if (!Describe(code, op))
      return Bad(name, start, "unknown pickle opcode " + std::to_string(code));
    if (code == '.') return OkStatus();
    const size_t left = p.size() - at;
    switch (op.arg) {
      case Arg::kNone:
        break;
      case Arg::kFixed:
        if (op.size > left) return Bad(name, start, "opcode argument runs past the end");
        // A memo index beyond the pickle's length cannot come from a real pickle, and
        // the unpickler would size its memo table by it.
        if (op.memo_put && Little(p, at, op.size) > p.size())
          return Bad(name, start,
                     "memo index " + std::to_string(Little(p, at, op.size)) +
                         " exceeds the pickle's size");
        at += op.size;
        break;
      case Arg::kLine:
      case Arg::kTwoLines: {
        for (int line = 0; line < (op.arg == Arg::kLine ? 1 : 2); ++line) {
          const size_t end = p.find('\n', at);
          if (end == std::string_view::npos) return Bad(name, start, "unterminated text argument");
          at = end + 1;
        }
        break;
      }
      case Arg::kLength: {
        if (op.size > left) return Bad(name, start, "length runs past the end");
        const uint64_t n = Little(p, at, op.size);
        if (op.size == 4 && (code == 'T') && static_cast<int32_t>(n) < 0)
          return Bad(name, start, "negative length");
        if (n > left - op.size)
          return Bad(name, start,
                     "declares " + std::to_string(n) + " bytes but " +
                         std::to_string(left - op.size) + " remain");
        at += op.size + n;
        break;
      }
    }
  }
  return Bad(name, p.size(), "the pickle has no STOP");
}

namespace {

// Where the central directory starts, from the end-of-central-directory record (or its
// zip64 form, which LibTorch always writes).
StatusOr<uint64_t> CentralDirectory(std::string_view b) {
  if (b.size() < 22) return DataLossError("not a model archive: too short for a zip file");
  const size_t lowest = b.size() > 65557 ? b.size() - 65557 : 0;
  for (size_t at = b.size() - 22 + 1; at-- > lowest;) {
    if (Little(b, at, 4) != 0x06054b50) continue;
    uint64_t offset = Little(b, at + 16, 4);
    if (offset == 0xFFFFFFFF && at >= 20 && Little(b, at - 20, 4) == 0x07064b50) {
      const uint64_t record = Little(b, at - 20 + 8, 8);
      // The zip64 end record is 56 bytes; a file shorter than that cannot hold one.
      if (b.size() < 56 || record > b.size() - 56 || Little(b, record, 4) != 0x06064b50)
        return DataLossError("model archive: malformed zip64 end record");
      offset = Little(b, record + 48, 8);
    }
    if (offset >= b.size()) return DataLossError("model archive: central directory out of range");
    return offset;
  }
  return DataLossError("not a model archive: no zip end-of-central-directory record");
}

}  // namespace

Status ForEachArchiveEntry(std::string_view b, const ArchiveVisitor& visit) {
  SM_ASSIGN_OR_RETURN(uint64_t at, CentralDirectory(b));
  int entries = 0;
  while (at + 46 <= b.size() && Little(b, at, 4) == 0x02014b50) {
    const uint64_t method = Little(b, at + 10, 2);
    uint64_t csize = Little(b, at + 20, 4), usize = Little(b, at + 24, 4);
    const size_t name_len = Little(b, at + 28, 2), extra_len = Little(b, at + 30, 2),
                 comment_len = Little(b, at + 32, 2);
    uint64_t local = Little(b, at + 42, 4);
    const size_t next = at + 46 + name_len + extra_len + comment_len;
    if (next > b.size()) return Bad("?", at, "truncated central directory");
    const std::string_view name = b.substr(at + 46, name_len);
    // Zip64 values live in the extra field (header id 1), in this order.
    for (size_t e = at + 46 + name_len; e + 4 <= at + 46 + name_len + extra_len;) {
      const uint64_t id = Little(b, e, 2), len = Little(b, e + 2, 2);
      if (e + 4 + len > at + 46 + name_len + extra_len)
        return Bad(name, at, "malformed zip extra field");
      if (id == 1) {
        size_t f = e + 4;
        const size_t end = e + 4 + len;
        if (usize == 0xFFFFFFFF && f + 8 <= end) usize = Little(b, f, 8), f += 8;
        if (csize == 0xFFFFFFFF && f + 8 <= end) csize = Little(b, f, 8), f += 8;
        if (local == 0xFFFFFFFF && f + 8 <= end) local = Little(b, f, 8);
      }
      e += 4 + len;
    }
    if (local > b.size() - 30 || Little(b, local, 4) != 0x04034b50)
      return Bad(name, at, "its local header is missing");
    const uint64_t data = local + 30 + Little(b, local + 26, 2) + Little(b, local + 28, 2);
    if (data > b.size() || csize > b.size() - data)
      return Bad(name, local, "entry runs past the end of the file");
    SM_RETURN_IF_ERROR(visit({name, b.substr(data, csize), method, usize, local}));
    ++entries;
    at = next;
  }
  if (entries == 0) return DataLossError("not a model archive: its zip directory is empty");
  return OkStatus();
}

StatusOr<std::string> EntryContents(const ArchiveEntry& e, size_t limit) {
  if (e.size > limit)
    return Bad(e.name, e.offset, "larger than " + std::to_string(limit >> 20) + " MiB");
  if (e.method == 0) {
    if (e.size != e.stored.size())
      return Bad(e.name, e.offset, "stored entry with two different sizes");
    return std::string(e.stored);
  }
  if (e.method != 8) {
    return Bad(e.name, e.offset,
               "compression method " + std::to_string(e.method) + " is not accepted");
  }
  std::string inflated;
  SM_RETURN_IF_ERROR(Inflate(e.stored, e.size, inflated, e.name));
  return inflated;
}

namespace {

bool IsPickleEntry(std::string_view name) {
  return (name.size() >= 4 && name.substr(name.size() - 4) == ".pkl") ||
         (name.size() >= 10 && name.substr(name.size() - 10) == ".debug_pkl");
}

}  // namespace

Status CheckModelArchive(std::string_view b) {
  return ForEachArchiveEntry(b, [](const ArchiveEntry& e) -> Status {
    if (!IsPickleEntry(e.name)) return OkStatus();
    SM_ASSIGN_OR_RETURN(std::string pickle, EntryContents(e, kMaxPickleBytes));
    return CheckPickle(pickle, e.name);
  });
}

}  // namespace securemark::models
