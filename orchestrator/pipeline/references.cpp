#include "pipeline/references.h"

#include <map>
#include <regex>
#include <set>

namespace securemark::pipeline {
namespace {

// step, optional @key or [*], '.', output or party/output, optional [index]
const std::regex kReference(
    R"(^([A-Za-z][A-Za-z0-9_-]*)(@([^.\[\]]+)|\[\*\])?\.([A-Za-z0-9_]+(/[A-Za-z0-9_]+)?)(\[([0-9]+)\])?$)");

}  // namespace

std::optional<ParsedRef> ParseRef(const std::string& text) {
  std::smatch m;
  if (!std::regex_match(text, m, kReference)) return std::nullopt;
  ParsedRef r;
  r.step = m[1];
  if (m[2].matched) {
    if (m[2].str() == "[*]")
      r.all_instances = true;
    else
      r.key = m[3].str();
  }
  r.output = m[4];
  if (m[6].matched) r.index = std::stoul(m[7].str());
  return r;
}

std::optional<int64_t> ParseArtifactRef(const std::string& text) {
  static const std::regex kArtifact(R"(^artifact:([0-9]{1,15})$)");
  std::smatch m;
  if (!std::regex_match(text, m, kArtifact)) return std::nullopt;
  return std::stoll(m[1].str());
}

std::string RefStep(const std::string& text) {
  size_t end = text.find_first_of(".@[");
  return text.substr(0, end);
}

std::vector<Instance> OrderInstances(std::vector<Instance> instances) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < instances.size(); ++i) index[instances[i].key] = i;
  std::vector<int> pending(instances.size(), 0);
  std::vector<std::vector<size_t>> dependents(instances.size());
  for (size_t i = 0; i < instances.size(); ++i) {
    std::set<std::string> unique(instances[i].depends_on.begin(), instances[i].depends_on.end());
    instances[i].depends_on.assign(unique.begin(), unique.end());
    for (const std::string& dep : instances[i].depends_on) {
      auto it = index.find(dep);
      if (it == index.end()) continue;
      ++pending[i];
      dependents[it->second].push_back(i);
    }
  }
  std::set<size_t> ready;
  for (size_t i = 0; i < instances.size(); ++i) {
    if (pending[i] == 0) ready.insert(i);
  }
  std::vector<Instance> ordered;
  while (!ready.empty()) {
    size_t i = *ready.begin();
    ready.erase(ready.begin());
    for (size_t d : dependents[i]) {
      if (--pending[d] == 0) ready.insert(d);
    }
    ordered.push_back(std::move(instances[i]));
  }
  return ordered;
}

}  // namespace securemark::pipeline
