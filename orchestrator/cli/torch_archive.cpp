#include "cli/torch_archive.h"

#include <zlib.h>

#include <cstdint>
#include <limits>

namespace securemark::cli {
namespace {

void PutLittleEndian(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xff);
}

// The pickle opcodes used here (protocol 2, as torch.save writes).
class Pickle {
 public:
  Pickle() { bytes_ = "\x80\x02"; }
  void Mark() { bytes_ += '('; }
  void Tuple() { bytes_ += 't'; }
  void EmptyTuple() { bytes_ += ')'; }
  void EmptyDict() { bytes_ += '}'; }
  void SetItem() { bytes_ += 's'; }
  void Reduce() { bytes_ += 'R'; }
  void PersistentId() { bytes_ += 'Q'; }
  void False() { bytes_ += '\x89'; }
  void Global(const std::string& module, const std::string& name) {
    bytes_ += 'c' + module + '\n' + name + '\n';
  }
  void String(const std::string& s) {
    bytes_ += 'X';
    PutLittleEndian(bytes_, s.size(), 4);
    bytes_ += s;
  }
  void Int(int64_t v) {
    if (v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max()) {
      bytes_ += 'J';
      PutLittleEndian(bytes_, static_cast<uint32_t>(static_cast<int32_t>(v)), 4);
    } else {
      bytes_ += "\x8a\x08";  // LONG1: 8 bytes of two's complement
      PutLittleEndian(bytes_, static_cast<uint64_t>(v), 8);
    }
  }
  void IntTuple(const std::vector<int64_t>& values) {
    Mark();
    for (int64_t v : values) Int(v);
    Tuple();
  }
  std::string Finish() { return bytes_ + '.'; }

 private:
  std::string bytes_;
};

const char* StorageClass(DType d) {
  switch (d) {
    case DType::kUInt8:
      return "ByteStorage";
    case DType::kInt8:
      return "CharStorage";
    case DType::kInt32:
      return "IntStorage";
    case DType::kInt64:
      return "LongStorage";
    case DType::kFloat32:
      return "FloatStorage";
    case DType::kFloat64:
      return "DoubleStorage";
  }
  return "ByteStorage";
}

std::vector<int64_t> ContiguousStrides(const std::vector<int64_t>& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * shape[i];
  return strides;
}

// An uncompressed ("stored") zip archive.
class ZipWriter {
 public:
  void Add(const std::string& name, const std::string& data) {
    const uint32_t crc = static_cast<uint32_t>(
        crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
    Entry e{name, crc, data.size(), out_.size()};
    PutLittleEndian(out_, 0x04034b50, 4);
    Common(e);
    PutLittleEndian(out_, 0, 2);  // no extra field
    out_ += name;
    out_ += data;
    entries_.push_back(e);
  }
  std::string Finish() {
    const uint64_t directory = out_.size();
    for (const Entry& e : entries_) {
      PutLittleEndian(out_, 0x02014b50, 4);
      PutLittleEndian(out_, 20, 2);  // made by: version 2.0
      Common(e);
      PutLittleEndian(out_, 0, 2);  // extra
      PutLittleEndian(out_, 0, 2);  // comment
      PutLittleEndian(out_, 0, 2);  // disk
      PutLittleEndian(out_, 0, 2);  // internal attributes
      PutLittleEndian(out_, 0, 4);  // external attributes
      PutLittleEndian(out_, e.offset, 4);
      out_ += e.name;
    }
    const uint64_t directory_size = out_.size() - directory;
    PutLittleEndian(out_, 0x06054b50, 4);
    PutLittleEndian(out_, 0, 4);  // this disk, the directory's disk
    PutLittleEndian(out_, entries_.size(), 2);
    PutLittleEndian(out_, entries_.size(), 2);
    PutLittleEndian(out_, directory_size, 4);
    PutLittleEndian(out_, directory, 4);
    PutLittleEndian(out_, 0, 2);  // comment
    return std::move(out_);
  }

 private:
  struct Entry {
    std::string name;
    uint32_t crc;
    uint64_t size, offset;
  };
  // The fields a local header and a directory entry share, from "version needed" to the
  // name's length.
  void Common(const Entry& e) {
    PutLittleEndian(out_, 20, 2);            // version needed: 2.0
    PutLittleEndian(out_, 0, 2);             // flags
    PutLittleEndian(out_, 0, 2);             // method: stored
    PutLittleEndian(out_, 0, 2);             // time
    PutLittleEndian(out_, (1 << 5) | 1, 2);  // date: 1980-01-01, so that the bytes are stable
    PutLittleEndian(out_, e.crc, 4);
    PutLittleEndian(out_, e.size, 4);
    PutLittleEndian(out_, e.size, 4);
    PutLittleEndian(out_, e.name.size(), 2);
  }
  std::string out_;
  std::vector<Entry> entries_;
};

}  // namespace

StatusOr<std::string> TorchSaveArchive(
    const std::vector<std::pair<std::string, const Tensor*>>& tensors) {
  uint64_t total = 0;
  for (const auto& [name, tensor] : tensors) total += tensor->nbytes() + 256 + 2 * name.size();
  if (total >= std::numeric_limits<uint32_t>::max() || tensors.size() >= 0xfff0) {
    return InvalidArgumentError(
        "the tensors take " + std::to_string(total) +
        " bytes; a pt export is limited to 4 GiB and 65,000 tensors (use npy per tensor)");
  }
  Pickle p;
  p.EmptyDict();
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = *tensors[i].second;
    p.String(tensors[i].first);
    p.Global("torch._utils", "_rebuild_tensor_v2");
    p.Mark();
    p.Mark();  // the storage, by persistent id: ('storage', class, key, location, numel)
    p.String("storage");
    p.Global("torch", StorageClass(t.dtype()));
    p.String(std::to_string(i));
    p.String("cpu");
    p.Int(t.numel());
    p.Tuple();
    p.PersistentId();
    p.Int(0);  // storage offset
    p.IntTuple(t.shape());
    p.IntTuple(ContiguousStrides(t.shape()));
    p.False();                               // requires_grad
    p.Global("collections", "OrderedDict");  // backward hooks: none
    p.EmptyTuple();
    p.Reduce();
    p.Tuple();
    p.Reduce();
    p.SetItem();
  }
  ZipWriter zip;
  zip.Add("archive/data.pkl", p.Finish());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = *tensors[i].second;
    zip.Add("archive/data/" + std::to_string(i), std::string(t.raw_data(), t.nbytes()));
  }
  zip.Add("archive/version", "3\n");
  return zip.Finish();
}

}  // namespace securemark::cli
