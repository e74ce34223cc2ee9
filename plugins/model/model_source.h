// What both model sources do once they hold a module: refuse non-finite weights, check
// that it runs on a sample of the deployment's data, and describe its layers, so that the
// step's summary says what was imported and where a fingerprint can go.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include <torch/script.h>
#include <nlohmann/json.hpp>

#include "models/model_file.h"
#include "models/model_zoo.h"
#include "models/training.h"
#include "securemark/digest.h"
#include "securemark/node.h"

namespace securemark::model_source {

inline constexpr Input<Dataset> kSample{
    "sample", "Examples of the deployment's data the model must run on (and is scored on).",
    kOptional};
inline constexpr Output<models::ModelFile> kModel{"model", "The imported model (TorchScript)."};
inline constexpr Output<JsonDocument> kSummary{
    "summary", "Digest, size, layers that can carry a fingerprint, parameters, sample check."};

// Conv and linear layers by qualified name with their weight shapes (the places
// embedder.projection's `layer` can name), and the parameter count.
inline nlohmann::json Layers(const torch::jit::Module& model, int64_t& parameters) {
  nlohmann::json layers = nlohmann::json::array();
  for (const std::string& name : models::LayerNames(model)) {
    StatusOr<torch::Tensor> w = models::LayerWeight(model, name);
    if (w.ok()) layers.push_back({{"layer", name}, {"weight", w->sizes().vec()}});
  }
  parameters = 0;
  for (const auto& p : model.named_parameters(/*recurse=*/true)) parameters += p.value.numel();
  return layers;
}

// Runs the model on up to 256 sample images ([N, C, H, W] in [0, 1], as the zoo's models
// take them); the output must be finite logits [N, classes].
inline StatusOr<nlohmann::json> CheckOnSample(torch::jit::Module& model, const Dataset& sample) {
  const int64_t n = std::min<int64_t>(sample.size(), 256);
  if (n == 0) return InvalidArgumentError("input 'sample' is empty");
  const torch::Tensor x = models::ImagesToTensor(sample.images()).slice(0, 0, n);
  torch::NoGradGuard no_grad;
  model.eval();
  torch::Tensor logits;
  try {
    logits = model.forward({x}).toTensor();
  } catch (const std::exception& e) {
    std::string what = e.what();
    if (const size_t nl = what.find('\n'); nl != std::string::npos) what.resize(nl);
    return InvalidArgumentError("the model does not run on input 'sample' (float [" +
                                std::to_string(n) + ", " + std::to_string(x.size(1)) + ", " +
                                std::to_string(x.size(2)) + ", " + std::to_string(x.size(3)) +
                                "] in [0, 1]): " + what);
  }
  if (logits.dim() != 2 || logits.size(0) != n) {
    return InvalidArgumentError("the model gives " + std::to_string(logits.dim()) +
                                "-dimensional output of shape " + c10::str(logits.sizes()) +
                                " on " + std::to_string(n) + " sample images; expected logits [" +
                                std::to_string(n) + ", classes]");
  }
  if (!torch::isfinite(logits).all().item<bool>())
    return InvalidArgumentError("the model gives non-finite outputs on input 'sample'");
  const torch::Tensor y = models::LabelsToTensor(sample.labels()).slice(0, 0, n);
  const double accuracy = logits.argmax(1).eq(y).to(torch::kFloat64).mean().item<double>();
  return nlohmann::json{{"examples", n}, {"classes", logits.size(1)}, {"accuracy", accuracy}};
}

// The summary and outputs shared by both sources.
inline Status Emit(Context& ctx, torch::jit::Module& model, nlohmann::json summary) {
  SM_RETURN_IF_ERROR(models::CheckFinite(model));
  int64_t parameters = 0;
  summary["layers"] = Layers(model, parameters);
  summary["parameters"] = parameters;
  if (ctx.Has(kSample)) {
    SM_ASSIGN_OR_RETURN(Dataset sample, ctx.Get(kSample));
    SM_ASSIGN_OR_RETURN(summary["sample"], CheckOnSample(model, sample));
    ctx.Info("runs on the sample: accuracy " + summary["sample"]["accuracy"].dump() + " on " +
             summary["sample"]["examples"].dump() + " examples");
  }
  const std::string bytes = models::SaveModel(model);
  summary["sha256"] = Sha256Hex(bytes);
  summary["bytes"] = bytes.size();
  ctx.Info("imported " + std::to_string(parameters) + " parameters, " +
           std::to_string(summary["layers"].size()) + " conv/linear layers");
  SM_RETURN_IF_ERROR(ctx.Set(kModel, models::ModelFile(bytes)));
  return ctx.Set(kSummary, JsonDocument(summary.dump()));
}

// The file at `path`, at most 4 GiB, with a message naming the parameter.
inline StatusOr<std::string> ReadModelFile(const std::string& path) {
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return NotFoundError("parameter 'path': cannot read " + path + ": " + ec.message());
  if (size > (uintmax_t{4} << 30))
    return InvalidArgumentError("parameter 'path': " + path + " is over 4 GiB");
  std::ifstream in(path, std::ios::binary);
  std::string bytes(size, '\0');
  if (!in.read(bytes.data(), static_cast<std::streamsize>(size)))
    return NotFoundError("parameter 'path': cannot read " + path);
  return bytes;
}

}  // namespace securemark::model_source
