#include "split/protocol.h"

#include <cmath>

#include "split/tensor_frames.h"

namespace securemark::split {
namespace {

using nlohmann::json;

constexpr int64_t kMaxRound = 1000000000000;
constexpr size_t kMaxChannels = 16;

// The wire name of each message type.
template <typename T>
constexpr const char* KindOf() {
  if constexpr (std::is_same_v<T, Join>) return "JOIN";
  if constexpr (std::is_same_v<T, Step>) return "STEP";
  if constexpr (std::is_same_v<T, Act>) return "ACT";
  if constexpr (std::is_same_v<T, Grad>) return "GRAD";
  if constexpr (std::is_same_v<T, Theta>) return "THETA";
  if constexpr (std::is_same_v<T, Stop>) return "STOP";
}

Status Bad(const Message& m, const std::string& what) {
  return InvalidArgumentError(m.kind + ": " + what);
}

StatusOr<int64_t> Integer(const Message& m, const char* field, int64_t high) {
  auto it = m.header.find(field);
  if (it == m.header.end() || !it->is_number_integer() || it->get<int64_t>() < 0 ||
      it->get<int64_t>() > high)
    return Bad(
        m, std::string("'") + field + "' must be an integer in [0, " + std::to_string(high) + "]");
  return it->get<int64_t>();
}

StatusOr<std::vector<double>> Numbers(const Message& m, const char* field) {
  auto it = m.header.find(field);
  if (it == m.header.end() || !it->is_array() || it->empty() || it->size() > kMaxChannels)
    return Bad(m, std::string("'") + field + "' must be 1 to " + std::to_string(kMaxChannels) +
                      " numbers, one per channel");
  std::vector<double> out;
  for (const json& v : *it) {
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < 0)
      return Bad(m, std::string("'") + field + "' holds " + v.dump().substr(0, 32) +
                        ", not a non-negative number");
    out.push_back(v.get<double>());
  }
  return out;
}

// The names the header gives the message's tensors (TensorsOf has checked the list; a
// message without tensors may have none).
std::vector<std::string> TensorNames(const Message& m) {
  std::vector<std::string> names;
  auto list = m.header.find("tensors");
  if (list == m.header.end()) return names;
  for (const json& d : *list) names.push_back(d.at("name").get<std::string>());
  return names;
}

Status ExpectType(const Message& m, const torch::Tensor& t, const std::string& name,
                  torch::ScalarType type) {
  if (t.scalar_type() == type) return OkStatus();
  return Bad(m, "tensor '" + name + "' must be " + (type == torch::kLong ? "i64" : "f32"));
}

void AddHead(Message& m, const HeadState& head) {
  AddTensor(m, "input_mean", head.input_mean);
  AddTensor(m, "input_std", head.input_std);
  for (size_t i = 0; i < head.parameters.size(); ++i)
    AddTensor(m, head.names[i], head.parameters[i]);
}

StatusOr<HeadState> HeadOf(const Message& m) {
  SM_ASSIGN_OR_RETURN(std::vector<torch::Tensor> tensors, TensorsOf(m));
  const std::vector<std::string> names = TensorNames(m);
  if (tensors.size() < 3 || names[0] != "input_mean" || names[1] != "input_std")
    return Bad(m, "expected tensors input_mean, input_std and the head's parameters");
  HeadState head;
  head.input_mean = tensors[0];
  head.input_std = tensors[1];
  head.names.assign(names.begin() + 2, names.end());
  head.parameters.assign(tensors.begin() + 2, tensors.end());
  for (size_t i = 0; i < tensors.size(); ++i)
    SM_RETURN_IF_ERROR(ExpectType(m, tensors[i], names[i], torch::kFloat));
  return head;
}

StatusOr<Join> JoinOf(const Message& m) {
  Join join;
  SM_ASSIGN_OR_RETURN(join.examples, Integer(m, "examples", int64_t{1} << 40));
  if (!m.header.contains("pixel_sum")) return join;
  PixelStats stats;
  SM_ASSIGN_OR_RETURN(stats.sum, Numbers(m, "pixel_sum"));
  SM_ASSIGN_OR_RETURN(stats.sq, Numbers(m, "pixel_sq_sum"));
  if (stats.sq.size() != stats.sum.size())
    return Bad(m, "'pixel_sq_sum' and 'pixel_sum' differ in length");
  auto pixels = m.header.find("pixels");
  if (pixels == m.header.end() || !pixels->is_number() || !std::isfinite(pixels->get<double>()) ||
      pixels->get<double>() < 0)
    return Bad(m, "'pixels' must be a non-negative count");
  stats.pixels = pixels->get<double>();
  join.stats = std::move(stats);
  return join;
}

StatusOr<Step> StepOf(const Message& m) {
  Step step;
  SM_ASSIGN_OR_RETURN(step.round, Integer(m, "round", kMaxRound));
  auto config = m.header.find("config");
  if (config == m.header.end()) return Bad(m, "no 'config'");
  SM_ASSIGN_OR_RETURN(step.config, SplitConfig::FromJson(*config));
  SM_ASSIGN_OR_RETURN(step.head, HeadOf(m));
  return step;
}

StatusOr<Act> ActOf(const Message& m) {
  Act act;
  SM_ASSIGN_OR_RETURN(act.round, Integer(m, "round", kMaxRound));
  SM_ASSIGN_OR_RETURN(std::vector<torch::Tensor> t, TensorsOf(m, {"hidden", "labels"}));
  SM_RETURN_IF_ERROR(ExpectType(m, t[0], "hidden", torch::kFloat));
  SM_RETURN_IF_ERROR(ExpectType(m, t[1], "labels", torch::kLong));
  if (t[0].dim() < 2 || t[0].size(0) == 0)
    return Bad(m, "'hidden' must hold at least one example of at least one feature");
  SM_RETURN_IF_ERROR(ExpectShape(t[1], m.kind + " labels", {t[0].size(0)}));
  act.hidden = t[0];
  act.labels = t[1];
  return act;
}

StatusOr<Grad> GradOf(const Message& m) {
  Grad grad;
  SM_ASSIGN_OR_RETURN(grad.round, Integer(m, "round", kMaxRound));
  auto sync = m.header.find("sync");
  if (sync == m.header.end() || !sync->is_boolean()) return Bad(m, "'sync' must be true or false");
  grad.sync = sync->get<bool>();
  SM_ASSIGN_OR_RETURN(std::vector<torch::Tensor> t, TensorsOf(m, {"hidden_grad"}));
  SM_RETURN_IF_ERROR(ExpectType(m, t[0], "hidden_grad", torch::kFloat));
  grad.hidden_grad = t[0];
  return grad;
}

StatusOr<Theta> ThetaOf(const Message& m) {
  Theta theta;
  SM_ASSIGN_OR_RETURN(theta.round, Integer(m, "round", kMaxRound));
  SM_ASSIGN_OR_RETURN(theta.examples, Integer(m, "examples", int64_t{1} << 40));
  SM_ASSIGN_OR_RETURN(theta.head, HeadOf(m));
  return theta;
}

template <typename T>
StatusOr<ProtocolMessage> Widen(StatusOr<T> decoded) {
  if (!decoded.ok()) return decoded.status();
  return ProtocolMessage(std::move(*decoded));
}

}  // namespace

party::ChannelOptions ProtocolOptions(int64_t max_message_mb) {
  party::ChannelOptions o;
  o.kinds = {KindOf<Join>(), KindOf<Step>(),  KindOf<Act>(),
             KindOf<Grad>(), KindOf<Theta>(), KindOf<Stop>()};
  o.max_message_bytes = max_message_mb << 20;
  return o;
}

Status HeadState::Fits(const std::vector<std::string>& head_names,
                       const std::vector<torch::Tensor>& head) const {
  if (names != head_names) {
    std::string got;
    for (const std::string& n : names) got += (got.empty() ? "" : ", ") + n.substr(0, 64);
    return InvalidArgumentError("head parameters are [" + got.substr(0, 512) +
                                "], expected those of the model's head");
  }
  for (size_t i = 0; i < head.size(); ++i)
    SM_RETURN_IF_ERROR(ExpectShape(parameters[i], names[i], head[i].sizes().vec()));
  return OkStatus();
}

Message Encode(const ProtocolMessage& message) {
  return std::visit(
      [](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        Message out{KindOf<T>(), nlohmann::json::object(), {}};
        if constexpr (std::is_same_v<T, Join>) {
          out.header["examples"] = m.examples;
          if (m.stats) {
            out.header["pixel_sum"] = m.stats->sum;
            out.header["pixel_sq_sum"] = m.stats->sq;
            out.header["pixels"] = m.stats->pixels;
          }
        } else if constexpr (std::is_same_v<T, Step>) {
          out.header["round"] = m.round;
          out.header["config"] = m.config.ToJson();
          AddHead(out, m.head);
        } else if constexpr (std::is_same_v<T, Act>) {
          out.header["round"] = m.round;
          AddTensor(out, "hidden", m.hidden);
          AddTensor(out, "labels", m.labels);
        } else if constexpr (std::is_same_v<T, Grad>) {
          out.header["round"] = m.round;
          out.header["sync"] = m.sync;
          AddTensor(out, "hidden_grad", m.hidden_grad);
        } else if constexpr (std::is_same_v<T, Theta>) {
          out.header["round"] = m.round;
          out.header["examples"] = m.examples;
          AddHead(out, m.head);
        }
        return out;
      },
      message);
}

StatusOr<ProtocolMessage> Decode(const Message& m) {
  if (!m.header.is_object()) return Bad(m, "the header is not a JSON object");
  if (m.kind == KindOf<Join>()) return Widen(JoinOf(m));
  if (m.kind == KindOf<Step>()) return Widen(StepOf(m));
  if (m.kind == KindOf<Act>()) return Widen(ActOf(m));
  if (m.kind == KindOf<Grad>()) return Widen(GradOf(m));
  if (m.kind == KindOf<Theta>()) return Widen(ThetaOf(m));
  if (m.kind == KindOf<Stop>()) return ProtocolMessage(Stop{});
  return InvalidArgumentError("'" + m.kind.substr(0, 32) + "' is not a split-learning message");
}

}  // namespace securemark::split
