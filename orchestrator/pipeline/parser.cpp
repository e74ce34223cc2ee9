#include "pipeline/parser.h"

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "pipeline/quantities.h"
#include "securemark/contract.h"
#include "securemark/suggestions.h"

namespace securemark::pipeline {

nlohmann::json YamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      if (node.Tag() == "!") return s;  // quoted: always a string
      int64_t i;
      double d;
      bool b;
      if (YAML::convert<int64_t>::decode(node, i)) return i;
      if (YAML::convert<double>::decode(node, d)) return d;
      if ((s == "true" || s == "false") && YAML::convert<bool>::decode(node, b)) return b;
      return s;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& e : node) out.push_back(YamlToJson(e));
      return out;
    }
    case YAML::NodeType::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (auto it = node.begin(); it != node.end(); ++it)
        out[it->first.Scalar()] = YamlToJson(it->second);
      return out;
    }
    default:
      return nullptr;
  }
}

namespace {

using nlohmann::json;

// YAML aliases share nodes: a 1 KB file can name 9^9 of them (`x: *a8`), and every walk
// over the tree expands them. Nothing a pipeline needs comes near this many.
constexpr int64_t kMaxExpandedNodes = 1'000'000;

// Whether walking `node` with aliases expanded visits more than `budget` nodes; `where`
// is the node at which the budget ran out.
bool ExpandsPast(const YAML::Node& node, int64_t& budget, YAML::Mark& where) {
  if (--budget < 0) {
    where = node.Mark();
    return true;
  }
  if (node.IsSequence()) {
    for (const auto& e : node)
      if (ExpandsPast(e, budget, where)) return true;
  } else if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (ExpandsPast(it->first, budget, where) || ExpandsPast(it->second, budget, where))
        return true;
    }
  }
  return false;
}

class Parser {
 public:
  explicit Parser(std::string file) : file_(std::move(file)) {}

  Location At(const YAML::Node& node) const {
    YAML::Mark m = node.Mark();
    return {file_, m.line + 1, m.column + 1};
  }
  void Error(const Location& at, std::string message) {
    diagnostics_.push_back({at, std::move(message)});
  }

  // Checks a mapping's keys; returns false (with a diagnostic) when it is not a mapping.
  bool CheckMap(const YAML::Node& node, const std::string& what,
                const std::vector<std::string>& allowed) {
    if (!node.IsMap()) {
      Error(At(node), what + " must be a mapping");
      return false;
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      std::string msg = "unknown key '" + key + "' in " + what;
      const std::string suggestion = DidYouMean(key, allowed);
      if (!suggestion.empty()) {
        msg += suggestion;
      } else {
        msg += "; expected one of:";
        for (const auto& a : allowed) msg += " " + a;
      }
      Error(At(it->first), msg);
    }
    return true;
  }

  std::optional<std::string> String(const YAML::Node& parent, const char* key,
                                    const std::string& what, bool required) {
    const YAML::Node node = parent[key];
    if (!node) {
      if (required) Error(At(parent), what + " needs '" + key + "'");
      return std::nullopt;
    }
    if (!node.IsScalar()) {
      Error(At(node), "'" + std::string(key) + "' must be a string");
      return std::nullopt;
    }
    return node.Scalar();
  }

  json ToJson(const YAML::Node& node) { return YamlToJson(node); }

  std::map<std::string, Value> Values(const YAML::Node& node, const std::string& what) {
    std::map<std::string, Value> out;
    if (!node) return out;
    if (!node.IsMap()) {
      Error(At(node), what + " must be a mapping of names to values");
      return out;
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.Scalar();
      if (out.count(key)) Error(At(it->first), "duplicate key '" + key + "' in " + what);
      out[key] = {ToJson(it->second), At(it->second)};
    }
    return out;
  }

  RuntimeSpec Runtime(const YAML::Node& node) {
    RuntimeSpec r;
    if (!node) return r;
    r.at = At(node);
    if (!CheckMap(node, "runtime", AllowedKeys().runtime)) return r;
    if (node["encrypt"]) {
      json e = ToJson(node["encrypt"]);
      if (!e.is_boolean()) {
        Error(At(node["encrypt"]), "runtime.encrypt must be true or false");
      } else {
        r.encrypt = e.get<bool>();
      }
    }
    if (node["timeout"]) {
      json t = ToJson(node["timeout"]);
      if (!t.is_number() || t.get<double>() <= 0) {
        Error(At(node["timeout"]), "runtime.timeout must be a positive number of seconds");
      } else {
        r.timeout_s = t.get<double>();
      }
    }
    if (node["retries"]) {
      json n = ToJson(node["retries"]);
      if (!n.is_number_integer() || n.get<int64_t>() < 0 || n.get<int64_t>() > 100) {
        Error(At(node["retries"]), "runtime.retries must be an integer in [0, 100]");
      } else {
        r.retries = static_cast<int>(n.get<int64_t>());
      }
    }
    if (node["cpus"]) {
      json n = ToJson(node["cpus"]);
      if (!n.is_number_integer() || n.get<int64_t>() < 1 || n.get<int64_t>() > 4096) {
        Error(At(node["cpus"]), "runtime.cpus must be an integer in [1, 4096]");
      } else {
        r.cpus = static_cast<int>(n.get<int64_t>());
      }
    }
    if (node["memory"]) {
      r.memory_mb = ParseMemoryMb(ToJson(node["memory"]));
      if (!r.memory_mb)
        Error(At(node["memory"]),
              "runtime.memory must be a positive size like 512M or 4G (a number means megabytes)");
    }
    if (node["time"]) {
      r.time_s = ParseDurationSeconds(ToJson(node["time"]));
      if (!r.time_s)
        Error(At(node["time"]),
              "runtime.time must be a positive duration like 90s, 30m, 2h or 1-12:00:00 (a "
              "number means seconds)");
    }
    return r;
  }

  std::vector<InputSpec> Inputs(const YAML::Node& node) {
    std::vector<InputSpec> out;
    if (!node) return out;
    if (!node.IsMap()) {
      Error(At(node), "inputs must map input ports to references like step.output");
      return out;
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
      InputSpec in{it->first.Scalar(), {}, At(it->first)};
      auto add = [&](const YAML::Node& ref) {
        if (!ref.IsScalar()) {
          Error(At(ref), "an input reference must be a string like step.output");
          return;
        }
        in.refs.push_back({json(ref.Scalar()), At(ref)});
      };
      // A named copy: `it->second` lives in a temporary proxy that a range-for would
      // outlive (AddressSanitizer: stack-use-after-scope).
      const YAML::Node refs = it->second;
      if (refs.IsSequence()) {
        for (const auto& ref : refs) add(ref);
      } else {
        add(refs);
      }
      out.push_back(std::move(in));
    }
    return out;
  }

  std::vector<PartySpec> Parties(const YAML::Node& node) {
    std::vector<PartySpec> out;
    if (!node) return out;
    if (!node.IsSequence()) {
      Error(At(node), "parties must be a list of {name, uses, count, with}");
      return out;
    }
    for (const auto& p : node) {
      if (!CheckMap(p, "a party", AllowedKeys().party)) continue;
      PartySpec party;
      party.name = String(p, "name", "a party", true).value_or("");
      party.name_at = p["name"] ? At(p["name"]) : At(p);
      party.uses = String(p, "uses", "party '" + party.name + "'", true).value_or("");
      party.uses_at = p["uses"] ? At(p["uses"]) : At(p);
      if (p["count"]) party.count = {ToJson(p["count"]), At(p["count"])};
      party.with = Values(p["with"], "party '" + party.name + "' with");
      out.push_back(std::move(party));
    }
    return out;
  }

  StepSpec Step(const YAML::Node& node) {
    StepSpec step;
    step.at = At(node);
    if (!CheckMap(node, "a step", AllowedKeys().step)) {
      return step;
    }
    step.id = String(node, "id", "a step", true).value_or("");
    step.id_at = node["id"] ? At(node["id"]) : step.at;
    const bool multi_party = static_cast<bool>(node["parties"]);
    step.uses = String(node, "uses", "step '" + step.id + "'", !multi_party).value_or("");
    step.uses_at = node["uses"] ? At(node["uses"]) : step.at;
    step.with = Values(node["with"], "step '" + step.id + "' with");
    step.inputs = Inputs(node["inputs"]);
    if (const YAML::Node needs = node["needs"]) {
      if (needs.IsScalar()) {
        step.needs.emplace_back(needs.Scalar(), At(needs));
      } else if (needs.IsSequence()) {
        for (const auto& n : needs) step.needs.emplace_back(n.Scalar(), At(n));
      } else {
        Error(At(needs), "needs must be a step id or a list of step ids");
      }
    }
    if (const YAML::Node foreach = node["foreach"])
      step.foreach = Value{ToJson(foreach), At(foreach)};
    step.runtime = Runtime(node["runtime"]);
    step.parties = Parties(node["parties"]);
    return step;
  }

  ParseResult Parse(const std::string& text) {
    ParseResult result;
    result.spec.file = file_;
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      Error({file_, e.mark.line + 1, e.mark.column + 1}, "YAML syntax: " + e.msg);
      result.diagnostics = std::move(diagnostics_);
      return result;
    }
    int64_t budget = kMaxExpandedNodes;
    YAML::Mark where;
    if (root && ExpandsPast(root, budget, where)) {
      Error({file_, where.line + 1, where.column + 1},
            "the pipeline expands to more than " + std::to_string(kMaxExpandedNodes) +
                " YAML nodes (aliases included); a pipeline this large is refused");
      result.diagnostics = std::move(diagnostics_);
      return result;
    }
    if (!root || !CheckMap(root, "the pipeline", AllowedKeys().pipeline)) {
      if (!root) Error({file_, 1, 1}, "the file is empty; expected a pipeline mapping");
      result.diagnostics = std::move(diagnostics_);
      return result;
    }
    result.spec.api_version = String(root, "apiVersion", "the pipeline", true).value_or("");
    if (root["apiVersion"] && result.spec.api_version != kApiVersion) {
      Error(At(root["apiVersion"]), "apiVersion '" + result.spec.api_version +
                                        "' is not supported; expected '" + kApiVersion + "'");
    }
    result.spec.name = String(root, "name", "the pipeline", true).value_or("");
    result.spec.params = Values(root["params"], "params");
    const YAML::Node steps = root["steps"];
    if (!steps) {
      Error(At(root), "the pipeline needs 'steps'");
    } else if (!steps.IsSequence() || steps.size() == 0) {
      Error(At(steps), "steps must be a non-empty list");
    } else {
      for (const auto& s : steps) result.spec.steps.push_back(Step(s));
    }
    result.diagnostics = std::move(diagnostics_);
    return result;
  }

 private:
  std::string file_;
  std::vector<Diagnostic> diagnostics_;
};

}  // namespace

std::string Location::ToString() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

const StepSpec* PipelineSpec::FindStep(const std::string& id) const {
  for (const auto& s : steps) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

namespace {

// Offset of the first byte that is not part of well-formed UTF-8, if any.
std::optional<size_t> InvalidUtf8(const std::string& text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t extra = c < 0x80           ? 0
                   : (c >> 5) == 0x6  ? 1
                   : (c >> 4) == 0xE  ? 2
                   : (c >> 3) == 0x1E ? 3
                                      : 4;
    if (extra == 4 || (extra == 1 && c < 0xC2) || (extra > 0 && i + extra >= text.size())) return i;
    uint32_t code = extra == 0 ? c : c & (0x3F >> extra);
    for (size_t k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return i;
      code = (code << 6) | (next & 0x3F);
    }
    // Overlong forms, surrogates and code points past U+10FFFF.
    if ((extra == 2 && code < 0x800) || (extra == 3 && (code < 0x10000 || code > 0x10FFFF)) ||
        (code >= 0xD800 && code <= 0xDFFF)) {
      return i;
    }
    i += extra + 1;
  }
  return std::nullopt;
}

}  // namespace

ParseResult ParsePipelineText(const std::string& text, const std::string& file_name) {
  if (text.size() > kMaxPipelineBytes) {
    ParseResult r;
    r.spec.file = file_name;
    r.diagnostics.push_back({{file_name, 0, 0},
                             "the pipeline file has " + std::to_string(text.size()) +
                                 " bytes; at most " + std::to_string(kMaxPipelineBytes) +
                                 " are read"});
    return r;
  }
  if (std::optional<size_t> bad = InvalidUtf8(text)) {
    ParseResult r;
    r.spec.file = file_name;
    const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + *bad, '\n'));
    const size_t line_start = text.rfind('\n', *bad == 0 ? 0 : *bad - 1);
    const int column =
        static_cast<int>(*bad -
                         (line_start == std::string::npos || *bad == 0 ? 0 : line_start + 1)) +
        1;
    r.diagnostics.push_back(
        {{file_name, line, column},
         "the pipeline is not valid UTF-8 (byte " + std::to_string(*bad) + ")"});
    return r;
  }
  return Parser(file_name).Parse(text);
}

const PipelineKeys& AllowedKeys() {
  static const PipelineKeys keys{
      {"apiVersion", "name", "description", "params", "steps"},
      {"id", "uses", "with", "inputs", "needs", "foreach", "runtime", "parties", "description"},
      {"timeout", "retries", "encrypt", "cpus", "memory", "time"},
      {"name", "uses", "count", "with"}};
  return keys;
}

ParseResult ParsePipelineFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    ParseResult r;
    r.spec.file = path;
    r.diagnostics.push_back({{path, 0, 0}, "cannot read the pipeline file"});
    return r;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParsePipelineText(buffer.str(), path);
}

}  // namespace securemark::pipeline
