// Reading past investigations back: every run of the "trace" pipeline and whom its
// verdict named.
#include "investigate/trace.h"

namespace securemark::investigate {
namespace {

using nlohmann::json;

json ParamsOf(const store::ContextRecord& run) {
  auto it = run.properties.find("params");
  if (it == run.properties.end()) return json::object();
  const auto* text = std::get_if<std::string>(&it->second);
  if (text == nullptr) return json::object();
  json params = json::parse(*text, nullptr, false);
  return params.is_object() ? params : json::object();
}

// The verdict of a trace run, or null when its detector did not finish.
StatusOr<json> VerdictOf(store::Store& store, int64_t run_context) {
  SM_ASSIGN_OR_RETURN(std::vector<store::Execution> executions,
                      store.ExecutionsInContext(run_context));
  for (const store::Execution& e : executions) {
    if (e.name != "detect") continue;
    if (e.state != store::ExecutionState::kComplete && e.state != store::ExecutionState::kCached)
      continue;
    SM_ASSIGN_OR_RETURN(std::vector<store::Event> events, store.EventsOfExecution(e.id));
    for (const store::Event& ev : events) {
      if (ev.type != store::EventType::kOutput) continue;
      SM_ASSIGN_OR_RETURN(std::string text, store.ReadArtifact(ev.artifact_id));
      json verdict = json::parse(text, nullptr, false);
      if (verdict.is_object()) {
        verdict["artifact"] = ev.artifact_id;
        return verdict;
      }
    }
  }
  return json();
}

}  // namespace

StatusOr<std::vector<json>> Investigations(store::Store& store) {
  SM_ASSIGN_OR_RETURN(std::vector<store::ContextRecord> runs,
                      store.ListContexts(store::ContextType::kRun));
  std::vector<json> out;
  for (const store::ContextRecord& run : runs) {
    SM_ASSIGN_OR_RETURN(std::string pipeline, PipelineOf(store, run));
    if (pipeline != "trace") continue;
    const json params = ParamsOf(run);
    SM_ASSIGN_OR_RETURN(json verdict, VerdictOf(store, run.id));
    json entry = {{"run", run.name},
                  {"time_ms", run.create_time_ms},
                  {"suspect_file", params.value("suspect_file", std::string())},
                  {"deployment", params.value("deployment", std::string())},
                  {"finished", !verdict.is_null()},
                  {"accused", json::array()}};
    if (!verdict.is_null()) {
      entry["verdict"] = verdict["artifact"];
      entry["decided_by"] = verdict.value("decided_by", std::string("identification"));
      const json provenance = verdict.value("provenance", json::object());
      if (provenance.value("tested", false))
        entry["provenance_p_value"] = provenance.value("p_value", 1.0);
      for (const json& a : verdict.value("accused", json::array())) entry["accused"].push_back(a);
    }
    out.push_back(std::move(entry));
  }
  return out;
}

StatusOr<std::vector<json>> InvestigationsNaming(store::Store& store, int64_t customer) {
  SM_ASSIGN_OR_RETURN(std::vector<json> all, Investigations(store));
  std::vector<json> out;
  for (const json& inv : all) {
    for (const json& a : inv["accused"]) {
      if (a.value("user", int64_t{-1}) != customer) continue;
      out.push_back({{"run", inv["run"]},
                     {"time_ms", inv["time_ms"]},
                     {"suspect_file", inv["suspect_file"]},
                     {"deployment", inv["deployment"]},
                     {"verdict", inv["verdict"]},
                     {"evidence", a.value("evidence", 0.0)},
                     {"p_value", a.value("p_value", 1.0)}});
    }
  }
  return out;
}

}  // namespace securemark::investigate
