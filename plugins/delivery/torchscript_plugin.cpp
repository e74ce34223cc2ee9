// delivery.torchscript: hands a fingerprinted model to its customer. The delivered file is
// a TorchScript archive PyTorch loads with torch.jit.load; before it leaves, the plugin
// checks that it loads and runs, and that no key material travels with it.
#include <filesystem>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "models/plugin_support.h"
#include "models/training.h"
#include "securemark/digest.h"
#include "securemark/files.h"

namespace securemark {
namespace {

// True when any row of the key, as float32 or float64 bytes, occurs in `file`.
bool ContainsKeyBytes(const std::string& file, const torch::Tensor& key) {
  for (auto dtype : {torch::kFloat32, torch::kFloat64}) {
    const torch::Tensor k = key.to(dtype).contiguous();
    const int64_t row_bytes = k.size(1) * k.element_size();
    const int64_t probe = std::min<int64_t>(row_bytes, 64);
    for (int64_t r = 0; r < k.size(0); ++r) {
      const char* row = static_cast<const char*>(k[r].data_ptr());
      if (file.find(std::string_view(row, probe)) != std::string::npos) return true;
    }
  }
  return false;
}

class TorchScriptDelivery : public Node {
 public:
  static constexpr Input<models::ModelFile> kModel{"model", "The customer's fingerprinted model."};
  static constexpr Input<domain::ProjectionKey> kKey{
      "key", "The projection key; the delivery is refused if its bytes appear in the file.",
      kOptional};
  static constexpr Input<Dataset> kSample{"sample", "Examples the delivered model must run on.",
                                          kOptional};
  static constexpr Output<models::ModelFile> kDelivered{
      "model", "The delivered file, labelled with its customer."};
  static constexpr Output<JsonDocument> kReceipt{
      "receipt", "Customer, file digest and size, checks passed, where it was written."};
  static constexpr Param<int64_t> kCustomer{"customer", 0, "Who receives it.", Range{0, 1e12}};
  static constexpr Param<std::string> kExportDir{
      "export_dir", "", "Also write <export_dir>/customer-<id>.pt (empty: store only)."};

  static Contract GetContract() {
    return Contract::Build("1.0.0", "Delivers a customer's model as a TorchScript file.", kModel,
                           kKey, kSample, kDelivered, kReceipt, kCustomer, kExportDir);
  }

  Status Process(Context& ctx) override {
    SM_ASSIGN_OR_RETURN(models::ModelFile file, ctx.Get(kModel));
    SM_ASSIGN_OR_RETURN(torch::jit::Module model, models::GetModel(ctx, kModel));
    const std::string customer = std::to_string(ctx.Get(kCustomer));
    // A fresh save keeps only the module: parameters, buffers and forward().
    const std::string bytes = models::SaveModel(model);
    if (ctx.Has(kKey)) {
      SM_ASSIGN_OR_RETURN(domain::ProjectionKey key_map, ctx.Get(kKey));
      SM_ASSIGN_OR_RETURN(models::ProjectionKey key, models::KeyFromMap(key_map));
      if (ContainsKeyBytes(bytes, key.x) ||
          (key.unit_weights.defined() && ContainsKeyBytes(bytes, key.unit_weights.view({1, -1})))) {
        return FailedPreconditionError("refusing to deliver to customer " + customer +
                                       ": the model file contains bytes of the secret key");
      }
    }
    nlohmann::json receipt = {{"customer", ctx.Get(kCustomer)},
                              {"sha256", Sha256Hex(bytes)},
                              {"bytes", bytes.size()},
                              {"key_checked", ctx.Has(kKey)}};
    if (ctx.Has(kSample)) {
      SM_ASSIGN_OR_RETURN(Dataset sample, ctx.Get(kSample));
      SM_ASSIGN_OR_RETURN(torch::jit::Module reloaded, models::LoadModel(bytes));
      const int64_t n = std::min<int64_t>(sample.size(), 64);
      const torch::Tensor x = models::ImagesToTensor(sample.images()).slice(0, 0, n);
      torch::NoGradGuard no_grad;
      const torch::Tensor logits = reloaded.forward({x}).toTensor();
      if (logits.dim() != 2 || logits.size(0) != n || !torch::isfinite(logits).all().item<bool>()) {
        return FailedPreconditionError("the delivered model does not run on the sample");
      }
      receipt["sample_checked"] = n;
    }
    if (!ctx.Get(kExportDir).empty()) {
      std::error_code ec;
      std::filesystem::create_directories(ctx.Get(kExportDir), ec);
      const std::string path = ctx.Get(kExportDir) + "/customer-" + customer + ".pt";
      SM_RETURN_IF_ERROR(WriteFileAtomic(path, bytes, 0644));
      receipt["file"] = path;
    }
    ctx.Info("delivered " + std::to_string(bytes.size()) + " bytes to customer " + customer);
    SM_RETURN_IF_ERROR(ctx.Set(kDelivered, models::ModelFile(bytes),
                               {{"customer", customer}, {"delivered", "true"}}));
    return ctx.Set(kReceipt, JsonDocument(receipt.dump()));
  }
};

}  // namespace
}  // namespace securemark

SECUREMARK_PLUGIN(securemark::TorchScriptDelivery, delivery, torchscript)
