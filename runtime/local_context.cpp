#include "securemark/local_context.h"
#include "securemark/suggestions.h"
#include "securemark/typed.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>

namespace securemark {
namespace fs = std::filesystem;

LocalContext::LocalContext(const Contract& contract, ParamMap params, InputValues inputs,
                           ExecutionHooks hooks)
    : contract_(contract),
      params_(std::move(params)),
      inputs_(std::move(inputs)),
      hooks_(std::move(hooks)),
      scratch_dir_(hooks_.scratch_dir) {}

LocalContext::~LocalContext() {
  if (owns_scratch_dir_) {
    std::error_code ec;
    fs::remove_all(scratch_dir_, ec);
  }
}

void LocalContext::Log(LogLevel level, std::string_view message) {
  if (hooks_.log) return hooks_.log(level, message);
  static constexpr const char* kNames[] = {"debug", "info", "warning", "error"};
  std::cerr << contract_.name() << " " << kNames[static_cast<int>(level)] << ": " << message
            << "\n";
}

void LocalContext::Progress(double done, double total, std::string_view what) {
  if (hooks_.progress) hooks_.progress(done, total, what);
}

bool LocalContext::Cancelled() const {
  return hooks_.cancelled != nullptr && hooks_.cancelled->load();
}

std::string LocalContext::ScratchDir() {
  if (scratch_dir_.empty()) {
    std::string pattern = (fs::temp_directory_path() / "securemark-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) {
      scratch_dir_ = pattern;
      owns_scratch_dir_ = true;
    }
  }
  return scratch_dir_;
}

const PartyInfo* LocalContext::Party() const { return hooks_.party ? &*hooks_.party : nullptr; }

Status LocalContext::Announce(std::string_view endpoint) {
  if (!hooks_.party || !hooks_.announce) return Context::Announce(endpoint);
  return hooks_.announce(endpoint);
}

size_t LocalContext::InputCount(std::string_view port) {
  auto it = inputs_.find(port);
  return it == inputs_.end() ? 0 : it->second.size();
}

StatusOr<std::string> LocalContext::ReadInput(std::string_view port, size_t index) {
  auto it = inputs_.find(port);
  if (it == inputs_.end() || index >= it->second.size()) {
    return NotFoundError("input '" + std::string(port) + "'[" + std::to_string(index) +
                         "] is not connected");
  }
  return it->second[index].bytes;
}

const ParamValue& LocalContext::RawParam(std::string_view name) const {
  auto it = params_.find(name);
  if (it != params_.end()) return it->second;
  // Parameters are resolved before Process, so this only happens when a plugin asks for a
  // parameter its contract does not declare: a programming error worth failing loudly.
  throw std::logic_error("plugin asked for undeclared parameter '" + std::string(name) + "'");
}

Status LocalContext::WriteOutput(std::string_view port, std::string_view type, std::string bytes,
                                 bool secret, Labels labels) {
  const PortSpec* spec = contract_.FindOutput(port);
  if (spec == nullptr) {
    return InternalError("plugin wrote undeclared output '" + std::string(port) + "'");
  }
  if (spec->type != type) {
    return InternalError("output '" + std::string(port) + "' is declared " + spec->type +
                         " but the plugin wrote " + std::string(type));
  }
  size_t count = 0;
  for (const auto& o : outputs_) count += o.port == port;
  if (count > 0 && !spec->many()) {
    return InternalError("output '" + std::string(port) + "' was set twice");
  }
  outputs_.push_back(
      {std::string(port), count, {std::string(type), std::move(bytes), secret}, std::move(labels)});
  return OkStatus();
}

Status LocalContext::CheckOutputsComplete() const {
  for (const auto& spec : contract_.outputs()) {
    if (spec.many() || spec.optional()) continue;
    bool set = false;
    for (const auto& o : outputs_) set |= o.port == spec.name;
    if (!set) return InternalError("plugin finished without setting output '" + spec.name + "'");
  }
  return OkStatus();
}

Status CheckInputs(const Contract& contract, const InputValues& inputs) {
  std::vector<std::string> errors;
  std::vector<std::string> known;
  for (const auto& p : contract.inputs()) known.push_back(p.name);
  for (const auto& [port, values] : inputs) {
    const PortSpec* spec = contract.FindInput(port);
    if (spec == nullptr) {
      errors.push_back("unknown input '" + port + "'" + DidYouMean(port, known));
      continue;
    }
    if (!spec->many() && values.size() > 1) {
      errors.push_back("input '" + port + "' takes one value, got " +
                       std::to_string(values.size()));
    }
    for (const auto& v : values) {
      if (!StoredTypeAccepted(spec->type, v.type)) {
        errors.push_back("input '" + port + "' expects " + spec->type + ", got " + v.type);
        break;
      }
    }
  }
  for (const auto& spec : contract.inputs()) {
    auto it = inputs.find(spec.name);
    if (!spec.optional() && !spec.many() && (it == inputs.end() || it->second.empty())) {
      errors.push_back("required input '" + spec.name + "' (" + spec.type + ") is missing");
    }
  }
  if (errors.empty()) return OkStatus();
  std::string msg = contract.name() + ": ";
  for (size_t i = 0; i < errors.size(); ++i) msg += (i ? "; " : "") + errors[i];
  return InvalidArgumentError(msg);
}

const OutputValue* FindOutput(const std::vector<OutputValue>& outputs, std::string_view port) {
  for (const auto& o : outputs) {
    if (o.port == port) return &o;
  }
  return nullptr;
}

}  // namespace securemark
