#include "split/split_model.h"

#include <algorithm>

namespace securemark::split {

StatusOr<SplitModel> SplitModel::Make(torch::jit::Module model, const std::string& architecture,
                                      const std::string& after, std::vector<int64_t> input_shape) {
  SplitModel m;
  if (architecture == "fc900") {
    m.layers_ = {{"fc1"}, {"fc2"}, {"fc3"}, {"fc4"}, {"fc5"}};
  } else if (architecture == "deepmarks_cnn") {
    m.layers_ = {{"conv1", true}, {"conv2", true, true}, {"conv3", true}, {"conv4", true}, {"fc1"},
                 {"fc2"}};
  } else {
    return InvalidArgumentError(
        "split learning supports architectures fc900 and deepmarks_cnn, "
        "not '" +
        architecture + "'");
  }
  m.module_ = std::move(model);
  std::string choices;
  size_t cut = 0;
  for (size_t i = 0; i + 1 < m.layers_.size(); ++i) {
    choices += (i ? ", " : "") + m.layers_[i].name;
    if (m.layers_[i].name == after) cut = i + 1;
  }
  if (cut == 0) {
    return InvalidArgumentError("cannot cut " + architecture + " after '" + after +
                                "'; choose one of " + choices);
  }
  m.cut_ = cut;
  for (size_t i = 0; i < m.layers_.size(); ++i) {
    auto& names = i < m.cut_ ? m.head_names_ : m.tail_names_;
    for (const char* part : {"_weight", "_bias"}) {
      if (!m.module_.hasattr(m.layers_[i].name + part))
        return InvalidArgumentError("the model has no parameter " + m.layers_[i].name + part +
                                    "; is it an " + architecture + "?");
      names.push_back(m.layers_[i].name + part);
    }
  }
  if (!m.layers_[m.cut_ - 1].conv) {
    m.hidden_shape_ = {m.module_.attr(m.layers_[m.cut_ - 1].name + "_weight").toTensor().size(0)};
  } else {
    if (input_shape.size() != 3)
      return InvalidArgumentError("a convolutional cut needs the input shape {C, H, W}");
    torch::NoGradGuard no_grad;
    input_shape.insert(input_shape.begin(), 1);
    torch::Tensor hidden = m.Head(torch::zeros(input_shape));
    m.hidden_shape_ = hidden.sizes().slice(1).vec();
  }
  m.hidden_features_ = 1;
  for (int64_t d : m.hidden_shape_) m.hidden_features_ *= d;
  return m;
}

std::vector<torch::Tensor> SplitModel::Tensors(const std::vector<std::string>& names) const {
  std::vector<torch::Tensor> out;
  for (const std::string& n : names) out.push_back(module_.attr(n).toTensor());
  return out;
}

torch::Tensor SplitModel::Layers(torch::Tensor x, size_t from, size_t to, bool snapshot) const {
  for (size_t i = from; i < to; ++i) {
    const Layer& layer = layers_[i];
    torch::Tensor w = module_.attr(layer.name + "_weight").toTensor();
    torch::Tensor b = module_.attr(layer.name + "_bias").toTensor();
    if (snapshot) {
      w = w.clone();
      b = b.clone();
    }
    x = layer.conv ? torch::conv2d(x, w, b) : torch::matmul(x.flatten(1), w.t()) + b;
    if (i + 1 < layers_.size()) x = torch::relu(x);  // the last layer gives logits
    if (layer.pool_after) x = torch::max_pool2d(x, {2, 2});
  }
  return x;
}

torch::Tensor SplitModel::Head(const torch::Tensor& images, bool snapshot) const {
  const torch::Tensor mean = module_.attr("input_mean").toTensor();
  const torch::Tensor std = module_.attr("input_std").toTensor();
  return Layers((images - mean) / std, 0, cut_, snapshot);
}

torch::Tensor SplitModel::Tail(const torch::Tensor& hidden) const {
  return Layers(hidden, cut_, layers_.size());
}

Status SplitModel::SetHead(const std::vector<torch::Tensor>& values) {
  if (values.size() != head_names_.size())
    return InvalidArgumentError("expected " + std::to_string(head_names_.size()) +
                                " head tensors, got " + std::to_string(values.size()));
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < values.size(); ++i) {
    torch::Tensor p = module_.attr(head_names_[i]).toTensor();
    if (!p.sizes().equals(values[i].sizes()))
      return InvalidArgumentError("head tensor " + head_names_[i] + " has shape " +
                                  c10::str(values[i].sizes()) + ", expected " +
                                  c10::str(p.sizes()));
    p.copy_(values[i]);
  }
  return OkStatus();
}

}  // namespace securemark::split
