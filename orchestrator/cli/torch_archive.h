// Tensors as a torch.save archive, written without LibTorch, so that `securemark export
// --format pt` gives PyTorch users a file `torch.load` reads as a dict of named tensors.
//
// The archive is what torch.save has written since PyTorch 1.6: an uncompressed zip whose
// entries sit under one top-level folder (archive/data.pkl, archive/data/<key> per
// storage, archive/version), where data.pkl is a protocol-2 pickle that rebuilds each
// tensor with torch._utils._rebuild_tensor_v2 from a storage named by a persistent id.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "securemark/status.h"
#include "securemark/values.h"

namespace securemark::cli {

// The bytes of a torch.save file holding {name: tensor, ...} in the given order.
// InvalidArgument when the archive would need ZIP64 (4 GiB or more).
StatusOr<std::string> TorchSaveArchive(
    const std::vector<std::pair<std::string, const Tensor*>>& tensors);

}  // namespace securemark::cli
