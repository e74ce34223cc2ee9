#include "models/layer_chain.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <torch/torch.h>

namespace securemark::models {
namespace {

// "conv2" for "conv2_weight", "features.3" for "features.3.weight".
std::string LayerOfParameter(const std::string& name, std::string* kind) {
  for (const char* suffix : {"_weight", ".weight", "_bias", ".bias"}) {
    const std::string s = suffix;
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      *kind = s.substr(1);
      return name.substr(0, name.size() - s.size());
    }
  }
  *kind = "";
  return "";
}

// The module holding a qualified attribute, and the attribute's last name.
std::pair<torch::jit::Module, std::string> Owner(const torch::jit::Module& model,
                                                 const std::string& qualified) {
  torch::jit::Module m = model;
  size_t start = 0;
  for (size_t dot; (dot = qualified.find('.', start)) != std::string::npos; start = dot + 1)
    m = m.attr(qualified.substr(start, dot - start)).toModule();
  return {m, qualified.substr(start)};
}

torch::Tensor Get(const torch::jit::Module& model, const std::string& qualified) {
  auto [m, name] = Owner(model, qualified);
  return m.attr(name).toTensor();
}

// Columns of `next` per unit of the layer before it (1, or h*w after flattening).
StatusOr<int64_t> GroupSize(const torch::Tensor& weight, const torch::Tensor& next,
                            const std::string& layer) {
  const int64_t units = weight.size(0);
  if (units == 0 || next.size(1) % units != 0)
    return FailedPreconditionError("layer '" + layer + "' has " + std::to_string(units) +
                                   " units but the next layer takes " +
                                   std::to_string(next.size(1)) + " inputs");
  return next.size(1) / units;
}

// [out, in, ...] -> [out, units, rest]: the next layer's columns grouped by input unit.
torch::Tensor ByInputUnit(const torch::Tensor& next, int64_t units) {
  return next.reshape({next.size(0), units, -1});
}

// Back to the layout of `like` (a linear or conv weight), with `units` input units.
torch::Tensor FromInputUnits(const torch::Tensor& grouped, const torch::Tensor& like,
                             int64_t units) {
  std::vector<int64_t> shape = like.sizes().vec();
  shape[1] = like.dim() == 2 ? units * grouped.size(2) : units;
  return grouped.reshape(shape);
}

torch::Tensor PerUnit(const torch::Tensor& values, int64_t dims) {
  std::vector<int64_t> shape(static_cast<size_t>(dims), 1);
  shape[0] = values.size(0);
  return values.reshape(shape);
}

}  // namespace

Status SetParameter(torch::jit::Module& model, const std::string& qualified_name,
                    const torch::Tensor& value) {
  auto [m, name] = Owner(model, qualified_name);
  if (!m.hasattr(name)) return NotFoundError("the model has no parameter " + qualified_name);
  const bool grad = m.attr(name).toTensor().requires_grad();
  m.setattr(name, value.detach().clone().set_requires_grad(grad));
  return OkStatus();
}

StatusOr<std::vector<ChainLayer>> LayerChain(const torch::jit::Module& model) {
  std::vector<ChainLayer> chain;
  for (const auto& p : model.named_parameters(/*recurse=*/true)) {
    std::string kind;
    const std::string layer = LayerOfParameter(p.name, &kind);
    if (p.value.dim() >= 2 && kind == "weight") {
      chain.push_back({layer, p.name, ""});
    } else if (p.value.dim() == 1 && kind == "bias" && !chain.empty() &&
               chain.back().name == layer && chain.back().bias.empty()) {
      chain.back().bias = p.name;
    } else {
      // Say what the parameter is, and which module holds it when that is a submodule.
      std::string what;
      if (kind == "weight")
        what = "is a one-dimensional weight, as a normalisation layer's scale is";
      else if (kind == "bias")
        what = "is a bias with no weight of its own layer right before it";
      else
        what = "is neither a layer's weight nor its bias";
      auto [owner, attribute] = Owner(model, p.name);
      if (attribute.size() < p.name.size() && owner.type()->name()) {
        what += " (it belongs to a " + owner.type()->name()->name() + " module, '" +
                p.name.substr(0, p.name.size() - attribute.size() - 1) + "')";
      }
      return FailedPreconditionError(
          "parameter '" + p.name + "' " + what +
          "; alignment and re-parameterisation handle only plain chains of Linear and Conv "
          "layers (a weight and a bias each, every layer's outputs the next one's inputs), "
          "so permuted, rescaled or padded units of this model cannot be undone");
    }
  }
  if (chain.size() < 2) return FailedPreconditionError("the model has fewer than two layers");
  for (size_t i = 0; i + 1 < chain.size(); ++i) {
    SM_RETURN_IF_ERROR(
        GroupSize(Get(model, chain[i].weight), Get(model, chain[i + 1].weight), chain[i].name)
            .status());
  }
  return chain;
}

Status Reparameterise(torch::jit::Module& model, const ReparamOptions& o) {
  SM_ASSIGN_OR_RETURN(std::vector<ChainLayer> chain, LayerChain(model));
  std::vector<size_t> targets;
  for (size_t i = 0; i + 1 < chain.size(); ++i) {
    if (o.layers.empty() ||
        std::find(o.layers.begin(), o.layers.end(), chain[i].name) != o.layers.end())
      targets.push_back(i);
  }
  for (const std::string& name : o.layers) {
    auto it = std::find_if(chain.begin(), chain.end() - 1,
                           [&](const ChainLayer& l) { return l.name == name; });
    if (it == chain.end() - 1)
      return InvalidArgumentError("'" + name +
                                  "' is not a hidden layer of the model (the last layer's "
                                  "outputs are the model's and cannot move)");
  }
  if (o.min_scale <= 0 || o.max_scale < o.min_scale)
    return InvalidArgumentError("scales must satisfy 0 < min_scale <= max_scale");
  torch::NoGradGuard no_grad;
  torch::Generator gen = at::detail::createCPUGenerator(o.seed);
  for (size_t i : targets) {
    const ChainLayer& layer = chain[i];
    const ChainLayer& next = chain[i + 1];
    torch::Tensor w = Get(model, layer.weight).detach().clone();
    torch::Tensor b =
        layer.bias.empty() ? torch::Tensor() : Get(model, layer.bias).detach().clone();
    const torch::Tensor next_w = Get(model, next.weight).detach();
    const int64_t units = w.size(0);
    torch::Tensor out = ByInputUnit(next_w, units);
    // Dummy pairs: identical incoming weights, outgoing weights v and -v.
    for (int64_t d = 0; d < o.dummy_pairs; ++d) {
      const torch::Tensor row =
          torch::randn(w.sizes().slice(1), gen, w.options()) * w.std() + w.mean(0);
      w = torch::cat({w, row.unsqueeze(0), row.unsqueeze(0)});
      if (b.defined()) {
        const torch::Tensor rb = torch::randn({1}, gen, b.options()) * b.std() + b.mean();
        b = torch::cat({b, rb, rb});
      }
      const torch::Tensor v =
          torch::randn({out.size(0), 1, out.size(2)}, gen, out.options()) * next_w.std();
      out = torch::cat({out, v, -v}, 1);
    }
    const int64_t total = w.size(0);
    const torch::Tensor perm =
        o.permute ? torch::randperm(total, gen, torch::kLong) : torch::arange(total);
    const torch::Tensor scale =
        torch::exp(torch::rand({total}, gen, w.options().dtype(torch::kDouble)) *
                       (std::log(o.max_scale) - std::log(o.min_scale)) +
                   std::log(o.min_scale));
    const torch::Tensor s = scale.to(w.dtype());
    w = w.index_select(0, perm) * PerUnit(s, w.dim());
    if (b.defined()) b = b.index_select(0, perm) * s;
    out = out.index_select(1, perm) / s.view({1, -1, 1});
    SM_RETURN_IF_ERROR(SetParameter(model, layer.weight, w));
    if (b.defined()) SM_RETURN_IF_ERROR(SetParameter(model, layer.bias, b));
    SM_RETURN_IF_ERROR(SetParameter(model, next.weight, FromInputUnits(out, next_w, total)));
  }
  return OkStatus();
}

StatusOr<AlignmentReport> AlignToReference(torch::jit::Module& suspect,
                                           const torch::jit::Module& reference) {
  SM_ASSIGN_OR_RETURN(std::vector<ChainLayer> cs, LayerChain(suspect));
  SM_ASSIGN_OR_RETURN(std::vector<ChainLayer> cr, LayerChain(reference));
  if (cs.size() != cr.size())
    return InvalidArgumentError("the suspect has " + std::to_string(cs.size()) +
                                " layers, the reference " + std::to_string(cr.size()));
  torch::NoGradGuard no_grad;
  AlignmentReport report;
  double similarity = 0;
  int64_t matched = 0;
  torch::Tensor prev_map, prev_scale;  // reference unit -> suspect unit, suspect/reference scale
  int64_t prev_suspect_units = 0;
  for (size_t i = 0; i < cs.size(); ++i) {
    const torch::Tensor original = Get(suspect, cs[i].weight);
    torch::Tensor ws = original.detach().to(torch::kDouble);
    torch::Tensor bs = cs[i].bias.empty() ? torch::zeros({ws.size(0)}, ws.options())
                                          : Get(suspect, cs[i].bias).detach().to(torch::kDouble);
    const torch::Tensor wr = Get(reference, cr[i].weight).detach().to(torch::kDouble);
    const torch::Tensor br = cr[i].bias.empty()
                                 ? torch::zeros({wr.size(0)}, wr.options())
                                 : Get(reference, cr[i].bias).detach().to(torch::kDouble);
    const int64_t suspect_units = ws.size(0);
    if (i > 0) {
      // Undo the previous layer's moves on this layer's inputs.
      torch::Tensor grouped = ByInputUnit(ws, prev_suspect_units);
      grouped = grouped.index_select(1, prev_map) * prev_scale.view({1, -1, 1});
      if (grouped.numel() / suspect_units != wr.numel() / wr.size(0))
        return InvalidArgumentError("layer '" + cs[i].name + "' of the suspect has weights " +
                                    c10::str(original.sizes()) + ", the reference " +
                                    c10::str(wr.sizes()) + ": not derived from this reference");
      std::vector<int64_t> shape = wr.sizes().vec();
      shape[0] = suspect_units;
      ws = grouped.reshape(shape);
    }
    if (ws.sizes().slice(1) != wr.sizes().slice(1))
      return InvalidArgumentError("layer '" + cs[i].name + "' of the suspect has weights " +
                                  c10::str(original.sizes()) + ", the reference " +
                                  c10::str(wr.sizes()) + ": not derived from this reference");
    torch::Tensor map, scale;
    const int64_t units = wr.size(0);
    if (i + 1 == cs.size()) {
      if (suspect_units != units)
        return InvalidArgumentError("the suspect's output layer has " +
                                    std::to_string(suspect_units) + " units, the reference " +
                                    std::to_string(units));
      map = torch::arange(units);
      scale = torch::ones({units}, ws.options());
    } else {
      if (suspect_units < units)
        return InvalidArgumentError("layer '" + cs[i].name + "' of the suspect has " +
                                    std::to_string(suspect_units) + " units, fewer than the " +
                                    std::to_string(units) + " of the reference");
      const torch::Tensor s_rows = torch::cat({ws.flatten(1), bs.unsqueeze(1)}, 1);
      const torch::Tensor r_rows = torch::cat({wr.flatten(1), br.unsqueeze(1)}, 1);
      const torch::Tensor sim =
          torch::matmul(r_rows / r_rows.norm(2, 1, true).clamp_min(1e-12),
                        (s_rows / s_rows.norm(2, 1, true).clamp_min(1e-12)).t());
      // Greedy matching, most similar pairs first: fingerprints and fine-tuning move
      // weights a little, so each unit stays far closer to its origin than to any other.
      const torch::Tensor order = sim.flatten().argsort(0, /*descending=*/true);
      const int64_t* o = order.data_ptr<int64_t>();
      std::vector<int64_t> to_suspect(units, -1);
      std::vector<char> taken(suspect_units, 0);
      int64_t left = units;
      for (int64_t k = 0; k < order.numel() && left > 0; ++k) {
        const int64_t r = o[k] / suspect_units, c = o[k] % suspect_units;
        if (to_suspect[r] >= 0 || taken[c]) continue;
        to_suspect[r] = c;
        taken[c] = 1;
        --left;
        similarity += sim[r][c].item<double>();
        ++matched;
      }
      map = torch::tensor(to_suspect, torch::kLong);
      const torch::Tensor picked = s_rows.index_select(0, map);
      scale = (picked * r_rows).sum(1) / (r_rows * r_rows).sum(1).clamp_min(1e-30);
      scale = torch::where(scale > 1e-8, scale, torch::ones_like(scale));
      for (int64_t r = 0; r < units; ++r) report.units_moved += to_suspect[r] != r;
      report.dummies_dropped += suspect_units - units;
    }
    ws = ws.index_select(0, map) / PerUnit(scale, ws.dim());
    bs = bs.index_select(0, map) / scale;
    SM_RETURN_IF_ERROR(SetParameter(suspect, cs[i].weight, ws.to(original.dtype())));
    if (!cs[i].bias.empty())
      SM_RETURN_IF_ERROR(SetParameter(suspect, cs[i].bias, bs.to(original.dtype())));
    prev_map = map;
    prev_scale = scale;
    prev_suspect_units = suspect_units;
  }
  report.mean_similarity = matched ? similarity / matched : 1.0;
  return report;
}

Status ShiftWeights(torch::jit::Module& model, const std::string& layer, double alpha) {
  SM_ASSIGN_OR_RETURN(std::vector<ChainLayer> chain, LayerChain(model));
  for (const ChainLayer& l : chain) {
    if (l.name != layer) continue;
    torch::NoGradGuard no_grad;
    const torch::Tensor w = Get(model, l.weight).detach();
    return SetParameter(model, l.weight, w - alpha * w.mean(0, /*keepdim=*/true));
  }
  return NotFoundError("the model has no layer '" + layer + "' in its chain");
}

}  // namespace securemark::models
