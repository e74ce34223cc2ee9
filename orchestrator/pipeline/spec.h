// A pipeline as written in YAML, with the source location of every element so that
// validation can point at file:line:col.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace securemark::pipeline {

struct Location {
  std::string file;
  int line = 0;    // 1-based
  int column = 0;  // 1-based
  std::string ToString() const;
};

// A scalar or list value with where it was written. Values may contain ${{ ... }}
// expressions until they are resolved for an instance.
struct Value {
  nlohmann::json json;
  Location at;
};

struct RuntimeSpec {
  std::optional<double> timeout_s;
  int retries = 0;
  bool encrypt = true;  // multi-party steps: CURVE between the parties
  // What the step's host needs; executors that allocate hosts (Slurm) ask for it, local
  // hosts ignore it. Unset: the executor's default.
  std::optional<int> cpus;
  std::optional<int64_t> memory_mb;
  std::optional<int64_t> time_s;
  Location at;
};

struct InputSpec {
  std::string port;
  std::vector<Value> refs;  // "step.output", "step[*].output", "step@key.output[2]"
  Location at;
};

struct PartySpec {
  std::string name;
  Location name_at;
  std::string uses;
  Location uses_at;
  Value count{nlohmann::json(1), {}};  // an integer or a ${{ params.x }} expression
  std::map<std::string, Value> with;
};

struct StepSpec {
  std::string id;
  Location id_at;
  std::string uses;
  Location uses_at;
  std::map<std::string, Value> with;
  std::vector<InputSpec> inputs;
  std::vector<std::pair<std::string, Location>> needs;
  std::optional<Value> foreach;
  RuntimeSpec runtime;
  std::vector<PartySpec> parties;
  Location at;
};

struct PipelineSpec {
  std::string file;
  std::string api_version;
  std::string name;
  std::map<std::string, Value> params;
  std::vector<StepSpec> steps;

  const StepSpec* FindStep(const std::string& id) const;
};

struct Diagnostic {
  Location at;
  std::string message;
  std::string ToString() const { return at.ToString() + ": error: " + message; }
};

}  // namespace securemark::pipeline
