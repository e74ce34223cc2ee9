#include "investigate/audit.h"

#include <ctime>
#include <sstream>

#include "investigate/deployment.h"
#include "investigate/trace.h"

namespace securemark::investigate {
namespace {

using nlohmann::json;

StatusOr<std::string> RunOf(store::Store& store, int64_t execution) {
  SM_ASSIGN_OR_RETURN(std::vector<store::ContextRecord> contexts,
                      store.ContextsOfExecution(execution));
  for (const store::ContextRecord& c : contexts) {
    if (c.type == store::ContextType::kRun) return c.name;
  }
  return std::string();
}

StatusOr<json> ExecutionSummary(store::Store& store, const store::Execution& e) {
  SM_ASSIGN_OR_RETURN(std::string run, RunOf(store, e.id));
  return json{{"execution", e.id}, {"plugin", e.plugin},
              {"step", e.name},    {"state", std::string(store::Name(e.state))},
              {"run", run},        {"time_ms", e.end_time_ms.value_or(e.create_time_ms)}};
}

// From a model back through every model-making execution to where it began.
StatusOr<json> ModelHistory(store::Store& store, int64_t artifact) {
  json chain = json::array();
  int64_t current = artifact;
  for (int depth = 0; depth < 32; ++depth) {
    SM_ASSIGN_OR_RETURN(std::optional<store::Execution> producer, ProducerOf(store, current));
    if (!producer) {
      chain.push_back({{"model", current}, {"made_by", "imported (no producer)"}});
      break;
    }
    SM_ASSIGN_OR_RETURN(json step, ExecutionSummary(store, *producer));
    step["model"] = current;
    for (const char* port : {"key", "codebook", "basis", "train", "data"}) {
      SM_ASSIGN_OR_RETURN(std::optional<int64_t> in, InputOf(store, producer->id, port));
      if (in) step["inputs"][port] = *in;
    }
    chain.push_back(step);
    SM_ASSIGN_OR_RETURN(std::optional<int64_t> parent, InputOf(store, producer->id, "model"));
    if (!parent) break;
    current = *parent;
  }
  return chain;
}

StatusOr<json> DeliveryOf(store::Store& store, const store::Artifact& model) {
  auto customer = model.properties.find("customer");
  auto delivered = model.properties.find("delivered");
  if (customer == model.properties.end() || delivered == model.properties.end()) return json();
  SM_ASSIGN_OR_RETURN(std::optional<store::Execution> producer, ProducerOf(store, model.id));
  if (!producer) return json();
  SM_ASSIGN_OR_RETURN(json entry, ExecutionSummary(store, *producer));
  entry["customer"] = std::stoll(std::get<std::string>(customer->second));
  entry["model"] = model.id;
  entry["sha256"] = model.digest;
  entry["bytes"] = model.size;
  return entry;
}

std::string Pad(std::string text, size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

void HistoryText(std::ostringstream& out, const json& history) {
  for (const json& step : history) {
    out << "      a" << step["model"].get<int64_t>() << " ";
    if (!step.contains("execution")) {
      out << step.value("made_by", std::string()) << "\n";
      continue;
    }
    out << "made by " << step["plugin"].get<std::string>() << " ("
        << step["step"].get<std::string>() << ", e" << step["execution"].get<int64_t>() << ", run "
        << step["run"].get<std::string>() << ", " << TimeText(step["time_ms"].get<int64_t>())
        << ")";
    if (step.contains("inputs")) {
      for (const auto& [port, id] : step["inputs"].items())
        out << " " << port << "=a" << id.get<int64_t>();
    }
    out << "\n";
  }
}

void NamedByText(std::ostringstream& out, const json& investigations) {
  if (investigations.empty()) {
    out << "  named by no investigation\n";
    return;
  }
  out << "  named by " << investigations.size() << " investigation(s):\n";
  for (const json& inv : investigations) {
    out << "    " << inv["run"].get<std::string>() << " ("
        << TimeText(inv["time_ms"].get<int64_t>()) << ") suspect "
        << inv["suspect_file"].get<std::string>() << ", p-value "
        << PValueText(inv["p_value"].get<double>()) << ", verdict a"
        << inv["verdict"].get<int64_t>() << "\n";
  }
}

}  // namespace

std::string PValueText(double p) {
  if (p <= 0) return "< 1e-300";  // an exact tail underflows far past any level
  std::ostringstream out;
  out.precision(2);
  out << p;
  return out.str();
}

std::string TimeText(int64_t time_ms) {
  const std::time_t t = static_cast<std::time_t>(time_ms / 1000);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&t));
  return text;
}

StatusOr<json> AuditCustomer(store::Store& store, int64_t customer) {
  SM_ASSIGN_OR_RETURN(std::vector<store::Artifact> labelled,
                      store.FindArtifactsWithLabel("customer", std::to_string(customer)));
  json deliveries = json::array();
  for (const store::Artifact& a : labelled) {
    if (a.type != "Model" || a.state != store::ArtifactState::kLive) continue;
    SM_ASSIGN_OR_RETURN(json delivery, DeliveryOf(store, a));
    if (delivery.is_null()) continue;
    SM_ASSIGN_OR_RETURN(delivery["history"], ModelHistory(store, a.id));
    deliveries.push_back(std::move(delivery));
  }
  SM_ASSIGN_OR_RETURN(std::vector<json> named, InvestigationsNaming(store, customer));
  return json{{"customer", customer}, {"deliveries", deliveries}, {"named_by", named}};
}

StatusOr<json> AuditModel(store::Store& store, int64_t artifact) {
  SM_ASSIGN_OR_RETURN(store::Artifact a, store.GetArtifact(artifact));
  if (a.type != "Model") {
    return InvalidArgumentError("artifact a" + std::to_string(artifact) + " is a " + a.type +
                                ", not a Model");
  }
  json audit = {{"model", a.id},
                {"name", a.name},
                {"sha256", a.digest},
                {"bytes", a.size},
                {"state", std::string(store::Name(a.state))}};
  SM_ASSIGN_OR_RETURN(audit["history"], ModelHistory(store, a.id));
  SM_ASSIGN_OR_RETURN(json delivery, DeliveryOf(store, a));
  audit["delivered"] = delivery;
  json traced = json::array();
  SM_ASSIGN_OR_RETURN(std::vector<json> all, Investigations(store));
  SM_ASSIGN_OR_RETURN(std::vector<store::Event> events, store.EventsOfArtifact(a.id));
  for (const store::Event& ev : events) {
    if (ev.type != store::EventType::kInput || ev.path != "model") continue;
    SM_ASSIGN_OR_RETURN(store::Execution e, store.GetExecution(ev.execution_id));
    if (e.name != "extract") continue;
    SM_ASSIGN_OR_RETURN(std::string run, RunOf(store, e.id));
    for (const json& inv : all) {
      if (inv["run"] == run) traced.push_back(inv);
    }
  }
  audit["traced_by"] = traced;
  if (!delivery.is_null()) {
    SM_ASSIGN_OR_RETURN(audit["named_by"],
                        InvestigationsNaming(store, delivery["customer"].get<int64_t>()));
  } else {
    audit["named_by"] = json::array();
  }
  return audit;
}

StatusOr<json> AuditRuns(store::Store& store) {
  SM_ASSIGN_OR_RETURN(std::vector<store::ContextRecord> runs,
                      store.ListContexts(store::ContextType::kRun));
  SM_ASSIGN_OR_RETURN(std::vector<json> investigations, Investigations(store));
  json out = json::array();
  for (const store::ContextRecord& run : runs) {
    SM_ASSIGN_OR_RETURN(std::string pipeline, PipelineOf(store, run));
    SM_ASSIGN_OR_RETURN(std::vector<store::Execution> executions,
                        store.ExecutionsInContext(run.id));
    int failed = 0, delivered = 0;
    for (const store::Execution& e : executions) {
      failed += e.state == store::ExecutionState::kFailed;
      delivered +=
          e.plugin == "delivery.torchscript" && (e.state == store::ExecutionState::kComplete ||
                                                 e.state == store::ExecutionState::kCached);
    }
    json entry = {{"run", run.name},
                  {"pipeline", pipeline},
                  {"time_ms", run.create_time_ms},
                  {"executions", executions.size()},
                  {"failed", failed},
                  {"deliveries", delivered}};
    for (const json& inv : investigations) {
      if (inv["run"] != run.name || !inv.value("finished", false)) continue;
      entry["accused"] = json::array();
      for (const json& a : inv["accused"]) entry["accused"].push_back(a["user"]);
    }
    out.push_back(std::move(entry));
  }
  return out;
}

std::string AuditCustomerText(const json& audit) {
  std::ostringstream out;
  const json& deliveries = audit["deliveries"];
  out << "customer " << audit["customer"].get<int64_t>() << ": " << deliveries.size()
      << " delivered model(s)\n";
  for (const json& d : deliveries) {
    out << "  a" << d["model"].get<int64_t>()
        << " sha256:" << d["sha256"].get<std::string>().substr(0, 12) << " delivered "
        << TimeText(d["time_ms"].get<int64_t>()) << " by run " << d["run"].get<std::string>()
        << " (e" << d["execution"].get<int64_t>() << ")\n"
        << "    history (newest first):\n";
    HistoryText(out, d["history"]);
  }
  NamedByText(out, audit["named_by"]);
  return out.str();
}

std::string AuditModelText(const json& audit) {
  std::ostringstream out;
  out << "model a" << audit["model"].get<int64_t>()
      << " sha256:" << audit["sha256"].get<std::string>().substr(0, 12) << " ("
      << audit["bytes"].get<int64_t>() << " bytes, " << audit["state"].get<std::string>() << ")\n";
  const json& d = audit["delivered"];
  if (d.is_null()) {
    out << "  not a delivered copy\n";
  } else {
    out << "  delivered to customer " << d["customer"].get<int64_t>() << " at "
        << TimeText(d["time_ms"].get<int64_t>()) << " by run " << d["run"].get<std::string>()
        << "\n";
  }
  out << "  history (newest first):\n";
  HistoryText(out, audit["history"]);
  out << "  traced as a suspect by " << audit["traced_by"].size() << " investigation(s)\n";
  for (const json& inv : audit["traced_by"]) {
    out << "    " << inv["run"].get<std::string>() << ": ";
    if (!inv.value("finished", false)) {
      out << "did not finish (no verdict)\n";
      continue;
    }
    out << "accused";
    if (inv["accused"].empty()) out << " nobody";
    for (const json& a : inv["accused"]) out << " " << a["user"].get<int64_t>();
    if (inv.value("decided_by", std::string()) == "provenance") {
      out << " (not shown to derive from the deployment, p "
          << PValueText(inv.value("provenance_p_value", 1.0)) << ")";
    }
    out << "\n";
  }
  if (!d.is_null()) NamedByText(out, audit["named_by"]);
  return out.str();
}

std::string AuditRunsText(const json& audit) {
  std::ostringstream out;
  out << Pad("RUN", 52) << Pad("TIME", 25) << "EXECUTIONS  FAILED  DELIVERED  ACCUSED\n";
  for (const json& r : audit) {
    out << Pad(r["run"].get<std::string>(), 52) << Pad(TimeText(r["time_ms"].get<int64_t>()), 25)
        << Pad(std::to_string(r["executions"].get<int64_t>()), 12)
        << Pad(std::to_string(r["failed"].get<int>()), 8)
        << Pad(std::to_string(r["deliveries"].get<int>()), 11);
    if (r.contains("accused")) {
      std::string who;
      for (const json& u : r["accused"])
        who += (who.empty() ? "" : ",") + std::to_string(u.get<int64_t>());
      out << (who.empty() ? "nobody" : who);
    } else {
      out << "-";
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace securemark::investigate
