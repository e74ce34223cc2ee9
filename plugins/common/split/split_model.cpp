#include "split/split_model.h"

#include <algorithm>

namespace securemark::split {

StatusOr<SplitModel> SplitModel::Make(torch::jit::Module model, const std::string& architecture,
                                      const std::string& after) {
  if (architecture != "fc900") {
    return InvalidArgumentError("split learning supports architecture 'fc900', not '" +
                                architecture + "'");
  }
  SplitModel m;
  m.module_ = std::move(model);
  m.layers_ = {"fc1", "fc2", "fc3", "fc4", "fc5"};
  auto cut = std::find(m.layers_.begin(), m.layers_.end() - 1, after);
  if (cut == m.layers_.end() - 1) {
    return InvalidArgumentError("cannot cut " + architecture + " after '" + after +
                                "'; choose one of fc1, fc2, fc3, fc4");
  }
  m.cut_ = static_cast<size_t>(cut - m.layers_.begin()) + 1;
  for (size_t i = 0; i < m.layers_.size(); ++i) {
    auto& names = i < m.cut_ ? m.head_names_ : m.tail_names_;
    for (const char* part : {"_weight", "_bias"}) {
      if (!m.module_.hasattr(m.layers_[i] + part))
        return InvalidArgumentError("the model has no parameter " + m.layers_[i] + part +
                                    "; is it an " + architecture + "?");
      names.push_back(m.layers_[i] + part);
    }
  }
  m.hidden_features_ = m.module_.attr(m.layers_[m.cut_ - 1] + "_weight").toTensor().size(0);
  return m;
}

std::vector<torch::Tensor> SplitModel::Tensors(const std::vector<std::string>& names) const {
  std::vector<torch::Tensor> out;
  for (const std::string& n : names) out.push_back(module_.attr(n).toTensor());
  return out;
}

torch::Tensor SplitModel::Layers(torch::Tensor x, size_t from, size_t to, bool snapshot) const {
  for (size_t i = from; i < to; ++i) {
    torch::Tensor w = module_.attr(layers_[i] + "_weight").toTensor();
    torch::Tensor b = module_.attr(layers_[i] + "_bias").toTensor();
    if (snapshot) {
      w = w.clone();
      b = b.clone();
    }
    x = torch::matmul(x.flatten(1), w.t()) + b;
    if (i + 1 < layers_.size()) x = torch::relu(x);  // the last layer gives logits
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
