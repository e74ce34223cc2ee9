// example.fingerprint_capacity: can a layer of this model carry this code's fingerprints?
// A layer whose units carry β values each holds a projected fingerprint of at most β
// entries (DeepMarks: the key X is v × β and needs full row rank), so a vendor checks a
// model and a codebook before embedding. Built out of tree against the installed core SDK
// (securemark/) and domain SDK (models/model_file.h, codes/codebook.h), with LibTorch.
#pragma once

#include <string>

#include <securemark/node.h>

#include "codes/codebook.h"
#include "models/model_file.h"

namespace example {

using namespace securemark;

class FingerprintCapacity : public Node {
 public:
  static constexpr Input<models::ModelFile> kModel{"model", "A TorchScript model."};
  static constexpr Input<codes::Codebook> kCodebook{"codebook", "The fingerprint code."};
  static constexpr Output<JsonDocument> kReport{
      "report", "{layer, units, signal_length, code_length, users, resilience, fits, spare}."};
  static constexpr Param<std::string> kLayer{"layer", "fc2", "The layer to carry the fingerprint."};

  static Contract GetContract() {
    return Contract::Build("0.1.0",
                           "Checks that a model's layer can carry a code's fingerprints "
                           "(out-of-tree example with a model and a codebook).",
                           kModel, kCodebook, kReport, kLayer);
  }

  Status Process(Context& ctx) override;
};

}  // namespace example
