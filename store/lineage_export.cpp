// Lineage as a text tree, Graphviz DOT, and OpenLineage RunEvents.
#include <ctime>
#include <functional>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "lineage.h"

namespace securemark::store {
namespace {

using nlohmann::json;

constexpr const char* kProducer = "urn:securemark:securemark:0.1.0";
constexpr const char* kRunEventSchema =
    "https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/RunEvent";
constexpr const char* kFacetBase = "https://openlineage.io/spec/facets/";

std::string HumanSize(int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  std::ostringstream os;
  os.precision(u == 0 ? 0 : 1);
  os << std::fixed << v << " " << units[u];
  return os.str();
}

std::string Iso8601(int64_t ms) {
  std::time_t seconds = ms / 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[40];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buffer, static_cast<int>(ms % 1000));
  return out;
}

std::string ArtifactLine(const Artifact& a) {
  std::string line = "a" + std::to_string(a.id) + " " + a.type;
  if (!a.name.empty()) line += " '" + a.name + "'";
  line += " sha256:" + a.digest.substr(0, 12) + " " + HumanSize(a.size);
  if (a.state != ArtifactState::kLive) line += " [" + std::string(Name(a.state)) + "]";
  if (a.secret) line += " [secret]";
  return line;
}

std::string ExecutionLine(const Execution& e) {
  std::string line = "e" + std::to_string(e.id) + " " + e.plugin;
  if (!e.name.empty()) line += " (" + e.name + ")";
  line += " " + std::string(Name(e.state));
  if (e.start_time_ms && e.end_time_ms) {
    std::ostringstream os;
    os.precision(2);
    os << std::fixed << (*e.end_time_ms - *e.start_time_ms) / 1000.0 << "s";
    line += " " + os.str();
  }
  if (!e.error.empty()) line += ": " + e.error.substr(0, 80);
  return line;
}

// Neighbours of a node through events of one type, in event order.
std::vector<NodeRef> Neighbours(const LineageGraph& g, NodeRef node, bool upstream) {
  std::vector<NodeRef> out;
  for (const Event& ev : g.events) {
    if (node.kind == NodeRef::kArtifact && ev.artifact_id == node.id &&
        ev.type == (upstream ? EventType::kOutput : EventType::kInput)) {
      out.push_back({NodeRef::kExecution, ev.execution_id});
    }
    if (node.kind == NodeRef::kExecution && ev.execution_id == node.id &&
        ev.type == (upstream ? EventType::kInput : EventType::kOutput)) {
      out.push_back({NodeRef::kArtifact, ev.artifact_id});
    }
  }
  return out;
}

std::string Line(const LineageGraph& g, NodeRef n) {
  if (n.kind == NodeRef::kArtifact) {
    auto it = g.artifacts.find(n.id);
    return it == g.artifacts.end() ? n.Label() : ArtifactLine(it->second);
  }
  auto it = g.executions.find(n.id);
  return it == g.executions.end() ? n.Label() : ExecutionLine(it->second);
}

void PrintTree(const LineageGraph& g, NodeRef node, bool upstream, const std::string& indent,
               std::set<NodeRef>& seen, std::ostringstream& out) {
  std::vector<NodeRef> next = Neighbours(g, node, upstream);
  for (size_t i = 0; i < next.size(); ++i) {
    const bool last = i + 1 == next.size();
    out << indent << (last ? "└─ " : "├─ ") << Line(g, next[i]);
    if (!seen.insert(next[i]).second) {
      out << " (shown above)\n";
      continue;
    }
    out << "\n";
    PrintTree(g, next[i], upstream, indent + (last ? "   " : "│  "), seen, out);
  }
}

std::string DotEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

json Facet(const std::string& name, json body) {
  body["_producer"] = kProducer;
  body["_schemaURL"] = std::string(kFacetBase) + name + ".json";
  return body;
}

}  // namespace

std::string LineageToText(const LineageGraph& g) {
  std::ostringstream out;
  out << Line(g, g.root) << "\n";
  if (g.direction != Direction::kDownstream) {
    std::set<NodeRef> seen{g.root};
    if (g.direction == Direction::kBoth) out << "upstream:\n";
    PrintTree(g, g.root, /*upstream=*/true, "", seen, out);
  }
  if (g.direction != Direction::kUpstream) {
    std::set<NodeRef> seen{g.root};
    if (g.direction == Direction::kBoth) out << "downstream:\n";
    PrintTree(g, g.root, /*upstream=*/false, "", seen, out);
  }
  return out.str();
}

std::string LineageToDot(const LineageGraph& g) {
  std::ostringstream out;
  out << "digraph lineage {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n";
  for (const auto& [id, a] : g.artifacts) {
    std::string label = "a" + std::to_string(id) + " " + a.type + "\\n" + a.digest.substr(0, 12);
    if (!a.name.empty()) label += "\\n" + a.name;
    out << "  a" << id << " [shape=ellipse, label=\"" << DotEscape(label) << "\""
        << (a.secret ? ", style=dashed" : "")
        << (NodeRef{NodeRef::kArtifact, id}.Label() == g.root.Label() ? ", penwidth=2" : "")
        << "];\n";
  }
  for (const auto& [id, e] : g.executions) {
    std::string label = "e" + std::to_string(id) + " " + e.plugin;
    if (!e.name.empty()) label += "\\n" + e.name;
    label += "\\n" + std::string(Name(e.state));
    const char* color = e.state == ExecutionState::kFailed   ? "red"
                        : e.state == ExecutionState::kCached ? "gray"
                                                             : "black";
    out << "  e" << id << " [shape=box, color=" << color << ", label=\"" << DotEscape(label) << "\""
        << (NodeRef{NodeRef::kExecution, id}.Label() == g.root.Label() ? ", penwidth=2" : "")
        << "];\n";
  }
  for (const Event& ev : g.events) {
    if (ev.type == EventType::kInput) {
      out << "  a" << ev.artifact_id << " -> e" << ev.execution_id;
    } else {
      out << "  e" << ev.execution_id << " -> a" << ev.artifact_id;
    }
    out << " [label=\"" << DotEscape(ev.path) << "\"];\n";
  }
  out << "}\n";
  return out.str();
}

StatusOr<std::string> LineageToOpenLineage(Store& store, const LineageGraph& g) {
  const std::string dataset_namespace = "securemark://" + store.dir();
  json events = json::array();
  for (const auto& [id, e] : g.executions) {
    json run = {{"runId", e.uuid}, {"facets", json::object()}};
    SM_ASSIGN_OR_RETURN(std::vector<ContextRecord> contexts, store.ContextsOfExecution(id));
    for (const ContextRecord& c : contexts) {
      if (c.type != ContextType::kRun) continue;
      run["facets"]["parent"] = Facet(
          "1-0-0/ParentRunFacet",
          {{"run", {{"runId", c.uuid}}}, {"job", {{"namespace", "securemark"}, {"name", c.name}}}});
    }
    std::string type = "COMPLETE";
    if (e.state == ExecutionState::kFailed) type = "FAIL";
    if (e.state == ExecutionState::kCanceled) type = "ABORT";
    if (e.state == ExecutionState::kRunning || e.state == ExecutionState::kNew) type = "START";
    if (e.state == ExecutionState::kFailed) {
      run["facets"]["errorMessage"] = Facet("1-0-0/ErrorMessageRunFacet",
                                            {{"message", e.error}, {"programmingLanguage", "C++"}});
    }
    json inputs = json::array(), outputs = json::array();
    for (const Event& ev : g.events) {
      if (ev.execution_id != id) continue;
      const Artifact& a = g.artifacts.at(ev.artifact_id);
      json dataset = {{"namespace", dataset_namespace},
                      {"name", "artifact/" + std::to_string(a.id)},
                      {"facets",
                       {{"version", Facet("1-0-1/DatasetVersionDatasetFacet",
                                          {{"datasetVersion", "sha256:" + a.digest}})}}}};
      (ev.type == EventType::kInput ? inputs : outputs).push_back(dataset);
    }
    const int64_t time = e.end_time_ms.value_or(e.start_time_ms.value_or(e.create_time_ms));
    events.push_back(
        {{"eventType", type},
         {"eventTime", Iso8601(time)},
         {"producer", kProducer},
         {"schemaURL", kRunEventSchema},
         {"run", run},
         {"job", {{"namespace", "securemark"}, {"name", e.name.empty() ? e.plugin : e.name}}},
         {"inputs", inputs},
         {"outputs", outputs}});
  }
  return events.dump(2);
}

}  // namespace securemark::store
