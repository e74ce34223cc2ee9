#include "data/cifar_reader.h"

#include <cstring>

#include "securemark/files.h"

namespace securemark::data {
namespace {

constexpr int64_t kImageBytes = 3 * 32 * 32;

}  // namespace

StatusOr<CifarBatch> ReadCifarFiles(const std::vector<std::string>& paths, int label_bytes,
                                    int64_t max_label, int64_t limit) {
  if (label_bytes != 1 && label_bytes != 2)
    return InvalidArgumentError("CIFAR records have 1 or 2 label bytes");
  const int64_t record = label_bytes + kImageBytes;
  std::vector<std::string> contents;
  int64_t total = 0;
  for (const std::string& path : paths) {
    SM_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
    const int64_t size = static_cast<int64_t>(bytes.size());
    if (size == 0 || size % record != 0) {
      return DataLossError(path + ": " + std::to_string(size) + " bytes is not a whole number of " +
                           std::to_string(record) +
                           "-byte records; the last record starts at offset " +
                           std::to_string(size / record * record) + " and is cut short");
    }
    total += size / record;
    contents.push_back(std::move(bytes));
    if (limit > 0 && total >= limit) break;
  }
  const int64_t n = limit > 0 ? std::min(limit, total) : total;
  CifarBatch batch{Tensor(DType::kUInt8, {n, 3, 32, 32}), Tensor(DType::kInt64, {n})};
  int64_t i = 0;
  for (size_t f = 0; f < contents.size() && i < n; ++f) {
    const std::string& bytes = contents[f];
    for (int64_t offset = 0; offset < static_cast<int64_t>(bytes.size()) && i < n;
         offset += record, ++i) {
      const int64_t label = static_cast<uint8_t>(bytes[offset + label_bytes - 1]);
      if (label > max_label) {
        return DataLossError(paths[f] + ": label " + std::to_string(label) + " at offset " +
                             std::to_string(offset + label_bytes - 1) + " is above " +
                             std::to_string(max_label));
      }
      batch.labels.mutable_data<int64_t>()[i] = label;
      std::memcpy(batch.images.mutable_raw_data() + i * kImageBytes,
                  bytes.data() + offset + label_bytes, kImageBytes);
    }
  }
  return batch;
}

Status WriteCifarFile(const std::string& path, const CifarBatch& batch, int label_bytes) {
  const int64_t n = batch.labels.numel();
  std::string out;
  out.reserve(n * (label_bytes + kImageBytes));
  for (int64_t i = 0; i < n; ++i) {
    const char label = static_cast<char>(batch.labels.data<int64_t>()[i]);
    if (label_bytes == 2) out += label;  // coarse label: the same, for tests
    out += label;
    out.append(batch.images.raw_data() + i * kImageBytes, kImageBytes);
  }
  return WriteFileAtomic(path, out);
}

}  // namespace securemark::data
