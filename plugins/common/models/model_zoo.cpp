#include "models/model_zoo.h"

#include <map>
#include <sstream>

#include <torch/script.h>
#include <torch/torch.h>

#include "models/archive_guard.h"
#include "models/script_builder.h"

namespace securemark::models {
namespace {

std::string Relu(ScriptBuilder& b, const std::string& x) { return b.Apply("torch.relu({})", x); }
std::string MaxPool(ScriptBuilder& b, const std::string& x) {
  return b.Apply("torch.max_pool2d({}, [2, 2])", x);
}

Status DeepmarksCnn(ScriptBuilder& b, int64_t c, int64_t height, int64_t width, int64_t classes) {
  const int64_t h = ((height - 4) / 2) - 4, w = ((width - 4) / 2) - 4;
  if (h < 1 || w < 1) return InvalidArgumentError("deepmarks_cnn needs inputs of at least 14x14");
  std::string x = Relu(b, b.Conv("conv1", b.input(), c, 32, 3, 1, 0));
  x = MaxPool(b, Relu(b, b.Conv("conv2", x, 32, 32, 3, 1, 0)));
  x = Relu(b, b.Conv("conv3", x, 32, 64, 3, 1, 0));
  x = Relu(b, b.Conv("conv4", x, 64, 64, 3, 1, 0));
  x = Relu(b, b.Linear("fc1", x, 64 * h * w, 512));
  b.Finish(b.Linear("fc2", x, 512, classes));
  return OkStatus();
}

Status Fc900(ScriptBuilder& b, int64_t c, int64_t height, int64_t width, int64_t classes) {
  std::string x = Relu(b, b.Linear("fc1", b.input(), c * height * width, 900));
  for (const char* layer : {"fc2", "fc3", "fc4"}) x = Relu(b, b.Linear(layer, x, 900, 900));
  b.Finish(b.Linear("fc5", x, 900, classes));
  return OkStatus();
}

Status LfwConv(ScriptBuilder& b, int64_t c, int64_t height, int64_t width, int64_t classes) {
  if (height < 8 || width < 8) return InvalidArgumentError("lfw_conv needs inputs of at least 8x8");
  std::string x = MaxPool(b, Relu(b, b.Conv("conv1", b.input(), c, 32, 3, 1, 1)));
  x = MaxPool(b, Relu(b, b.Conv("conv2", x, 32, 64, 3, 1, 1)));
  x = MaxPool(b, Relu(b, b.Conv("conv3", x, 64, 128, 3, 1, 1)));
  x = Relu(b, b.Linear("fc1", x, 128 * (height / 8) * (width / 8), 256));
  b.Finish(b.Linear("fc2", x, 256, classes));
  return OkStatus();
}

Status Vgg19Bn(ScriptBuilder& b, int64_t c, int64_t height, int64_t width, int64_t classes) {
  if (height != 32 || width != 32) return InvalidArgumentError("vgg19_bn takes 32x32 inputs");
  const std::vector<int64_t> widths = {64,  64,  0,   128, 128, 0,   256, 256, 256, 256, 0,
                                       512, 512, 512, 512, 0,   512, 512, 512, 512, 0};
  std::string x = b.input();
  int64_t in = c, conv = 0;
  for (int64_t out : widths) {
    if (out == 0) {
      x = MaxPool(b, x);
      continue;
    }
    const std::string n = std::to_string(++conv);
    x = Relu(b, b.BatchNorm("bn" + n, b.Conv("conv" + n, x, in, out, 3, 1, 1, false), out));
    in = out;
  }
  b.Finish(b.Linear("fc", x, 512, classes));
  return OkStatus();
}

// Zagoruyko & Komodakis' pre-activation block: BN-ReLU-conv3x3-BN-ReLU-conv3x3, with a
// 1x1 projection shortcut where the width or stride changes.
std::string WideBlock(ScriptBuilder& b, const std::string& name, const std::string& x, int64_t in,
                      int64_t out, int64_t stride) {
  const std::string o = Relu(b, b.BatchNorm(name + "_bn1", x, in));
  std::string y = b.Conv(name + "_conv1", o, in, out, 3, stride, 1, false);
  y = b.Conv(name + "_conv2", Relu(b, b.BatchNorm(name + "_bn2", y, out)), out, out, 3, 1, 1,
             false);
  const std::string shortcut =
      (in == out && stride == 1) ? x : b.Conv(name + "_shortcut", o, in, out, 1, stride, 0, false);
  return b.Add(y, shortcut);
}

Status Wrn16x4(ScriptBuilder& b, int64_t c, int64_t height, int64_t width, int64_t classes) {
  if (height != 32 || width != 32) return InvalidArgumentError("wrn16_4 takes 32x32 inputs");
  const int64_t blocks = (16 - 4) / 6;
  std::string x = b.Conv("conv1", b.input(), c, 16, 3, 1, 1, false);
  int64_t in = 16;
  const int64_t widths[] = {64, 128, 256};
  for (int g = 0; g < 3; ++g) {
    for (int64_t i = 0; i < blocks; ++i) {
      const std::string name = "group" + std::to_string(g + 1) + "_block" + std::to_string(i + 1);
      x = WideBlock(b, name, x, in, widths[g], (i == 0 && g > 0) ? 2 : 1);
      in = widths[g];
    }
  }
  x = Relu(b, b.BatchNorm("bn", x, in));
  x = b.Apply("torch.avg_pool2d({}, [8, 8])", x);
  b.Finish(b.Linear("fc", x, in, classes));
  return OkStatus();
}

using Architecture = Status (*)(ScriptBuilder&, int64_t, int64_t, int64_t, int64_t);

const std::vector<std::pair<std::string, Architecture>>& Architectures() {
  static const std::vector<std::pair<std::string, Architecture>> all = {
      {"deepmarks_cnn", DeepmarksCnn}, {"fc900", Fc900},     {"lfw_conv", LfwConv},
      {"vgg19_bn", Vgg19Bn},           {"wrn16_4", Wrn16x4},
  };
  return all;
}

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// "conv2" for "conv2_weight" or "features.3" for "features.3.weight"; empty otherwise.
std::string LayerOf(const std::string& parameter) {
  for (const std::string suffix : {"_weight", ".weight"}) {
    if (parameter.size() > suffix.size() &&
        parameter.compare(parameter.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return parameter.substr(0, parameter.size() - suffix.size());
    }
  }
  return "";
}

}  // namespace

std::vector<std::string> ModelNames() {
  std::vector<std::string> names;
  for (const auto& [name, build] : Architectures()) names.push_back(name);
  return names;
}

StatusOr<torch::jit::Module> BuildModel(const std::string& name, int64_t channels, int64_t height,
                                        int64_t width, int64_t classes, uint64_t seed) {
  for (const auto& [known, build] : Architectures()) {
    if (known != name) continue;
    if (channels < 1 || height < 1 || width < 1 || classes < 2) {
      return InvalidArgumentError("a model needs at least one channel, pixel and two classes");
    }
    torch::manual_seed(seed);
    torch::jit::Module m(name);
    ScriptBuilder builder(m, channels);
    SM_RETURN_IF_ERROR(build(builder, channels, height, width, classes));
    return m;
  }
  return NotFoundError("unknown model '" + name + "' (known: " + Join(ModelNames()) + ")");
}

std::vector<std::string> LayerNames(const torch::jit::Module& model) {
  std::vector<std::string> names;
  for (const auto& p : model.named_parameters(/*recurse=*/true)) {
    const std::string layer = LayerOf(p.name);
    if (!layer.empty() && p.value.dim() >= 2) names.push_back(layer);
  }
  return names;
}

StatusOr<torch::Tensor> LayerWeight(const torch::jit::Module& model, const std::string& layer) {
  for (const auto& p : model.named_parameters(/*recurse=*/true)) {
    if (LayerOf(p.name) == layer && p.value.dim() >= 2) return p.value;
  }
  return NotFoundError("the model has no layer '" + layer + "' with a weight matrix or kernel (" +
                       "layers: " + Join(LayerNames(model)) + ")");
}

Status SetInputNormalization(torch::jit::Module& model, const std::vector<double>& mean,
                             const std::vector<double>& std) {
  if (!model.hasattr("input_mean") || !model.hasattr("input_std")) {
    return FailedPreconditionError("the model has no input normalisation buffers");
  }
  torch::Tensor m = model.attr("input_mean").toTensor();
  torch::Tensor s = model.attr("input_std").toTensor();
  const int64_t channels = m.numel();
  for (const auto* values : {&mean, &std}) {
    if (values->size() != 1 && static_cast<int64_t>(values->size()) != channels) {
      return InvalidArgumentError("normalisation needs 1 or " + std::to_string(channels) +
                                  " values, got " + std::to_string(values->size()));
    }
  }
  for (double v : std) {
    if (!(v > 0)) return InvalidArgumentError("normalisation std must be positive");
  }
  torch::NoGradGuard no_grad;
  for (int64_t c = 0; c < channels; ++c) {
    m.view(-1)[c] = mean.size() == 1 ? mean[0] : mean[c];
    s.view(-1)[c] = std.size() == 1 ? std[0] : std[c];
  }
  return OkStatus();
}

StatusOr<torch::jit::Module> LoadModel(const std::string& bytes) {
  if (bytes.size() < 4 || bytes.compare(0, 2, "PK") != 0) {
    return DataLossError("not a TorchScript model (expected a zip archive from torch.jit.save)");
  }
  if (Status archive = CheckModelArchive(bytes); !archive.ok())
    return DataLossError("cannot load the TorchScript model: " + archive.message());
  try {
    std::istringstream in(bytes);
    torch::jit::Module m = torch::jit::load(in);
    m.eval();
    return m;
  } catch (const c10::Error& e) {
    return DataLossError("cannot load the TorchScript model: " +
                         std::string(e.what_without_backtrace()));
  } catch (const std::exception& e) {
    // The TorchScript parser reports malformed code as std::runtime_error.
    return DataLossError("cannot load the TorchScript model: " +
                         std::string(e.what()).substr(0, 500));
  }
}

std::string SaveModel(const torch::jit::Module& model) {
  std::ostringstream out;
  model.save(out);
  return out.str();
}

}  // namespace securemark::models
