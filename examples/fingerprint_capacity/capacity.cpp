#include "capacity.h"

#include <sstream>

#include <securemark/suggestions.h>
#include <torch/script.h>
#include <nlohmann/json.hpp>

namespace example {

Status FingerprintCapacity::Process(Context& ctx) {
  SM_ASSIGN_OR_RETURN(models::ModelFile file, ctx.Get(kModel));
  SM_ASSIGN_OR_RETURN(codes::Codebook codebook, ctx.Get(kCodebook));
  torch::jit::Module model;
  try {
    std::istringstream in(file.bytes());
    model = torch::jit::load(in);
  } catch (const c10::Error& e) {
    const std::string what = e.what();
    return InvalidArgumentError("input 'model' is not a loadable TorchScript module: " +
                                what.substr(0, what.find('\n')));
  }
  const std::string layer = ctx.Get(kLayer);
  torch::Tensor weight;
  std::vector<std::string> layers;
  for (const auto& p : model.named_parameters(/*recurse=*/true)) {
    for (const std::string suffix : {"_weight", ".weight"}) {
      if (p.name.size() <= suffix.size() ||
          p.name.compare(p.name.size() - suffix.size(), suffix.size(), suffix) != 0)
        continue;
      layers.push_back(p.name.substr(0, p.name.size() - suffix.size()));
      if (layers.back() == layer) weight = p.value;
    }
  }
  if (!weight.defined() || weight.dim() < 2)
    return InvalidArgumentError("parameter 'layer': the model has no weighted layer '" + layer +
                                "'" + DidYouMean(layer, layers));
  const int64_t units = weight.size(0);
  const int64_t signal = weight.numel() / units;  // what each unit carries: w's length
  const nlohmann::json report = {{"layer", layer},
                                 {"units", units},
                                 {"signal_length", signal},
                                 {"code", codebook.name()},
                                 {"code_length", codebook.length()},
                                 {"users", codebook.users()},
                                 {"resilience", codebook.resilience()},
                                 {"fits", codebook.length() <= signal},
                                 {"spare", signal - codebook.length()}};
  if (codebook.length() > signal)
    ctx.Warn("layer '" + layer + "' carries " + std::to_string(signal) + " values per unit; " +
             codebook.name() + " needs " + std::to_string(codebook.length()));
  return ctx.Set(kReport, JsonDocument(report.dump()));
}

}  // namespace example

SECUREMARK_PLUGIN(example::FingerprintCapacity, example, fingerprint_capacity)
