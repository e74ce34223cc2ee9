// Reader for the IDX format (MNIST, Fashion-MNIST), plain or gzip-compressed. Errors name
// the file and the byte offset (in the uncompressed stream) where reading went wrong.
#pragma once

#include <string>
#include <string_view>

#include "securemark/status.h"
#include "securemark/values.h"

namespace securemark::data {

// Reads the first `limit` items (all when limit == 0). uint8/int8/int32/float32/float64
// keep their type; int16 widens to int32.
StatusOr<Tensor> ReadIdxFile(const std::string& path, int64_t limit = 0);

// The same on bytes already in memory; `source` names them in errors.
StatusOr<Tensor> ParseIdx(std::string_view bytes, const std::string& source, int64_t limit = 0);

// An IDX images file and its labels file as a Dataset: images as stored, labels widened to
// int64, attribute "classes" = largest label + 1. The files must agree on the count.
StatusOr<Dataset> ReadIdxDataset(const std::string& images_path, const std::string& labels_path,
                                 int64_t limit = 0);

// Writes a tensor as IDX (used by tests and to export data); gzip when `gzip` is set.
Status WriteIdxFile(const std::string& path, const Tensor& tensor, bool gzip);

// Decompresses gzip data; plain data passes through. Errors name `source`.
StatusOr<std::string> MaybeGunzip(std::string_view bytes, const std::string& source);

}  // namespace securemark::data
