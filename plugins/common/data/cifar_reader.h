// Reader for the CIFAR binary format: records of <label bytes><3072 image bytes> (32×32,
// red plane, green plane, blue plane). CIFAR-10 has one label byte; CIFAR-100 two
// (coarse, fine), of which the fine label is used.
#pragma once

#include <string>
#include <vector>

#include "securemark/status.h"
#include "securemark/values.h"

namespace securemark::data {

struct CifarBatch {
  Tensor images;  // uint8 [N, 3, 32, 32]
  Tensor labels;  // int64 [N]
};

// Reads whole records from each file in order, stopping after `limit` records in all (0 =
// no limit). A file that is not a whole number of records, or a label above max_label,
// is an error naming the file and the offset.
StatusOr<CifarBatch> ReadCifarFiles(const std::vector<std::string>& paths, int label_bytes,
                                    int64_t max_label, int64_t limit = 0);

// Writes records in the same format (for tests and exports).
Status WriteCifarFile(const std::string& path, const CifarBatch& batch, int label_bytes);

}  // namespace securemark::data
