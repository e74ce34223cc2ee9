#include "investigate/deployment.h"

#include <algorithm>
#include <map>

namespace securemark::investigate {
namespace {

using store::ContextType;
using store::EventType;
using store::ExecutionState;

bool Finished(const store::Execution& e) {
  return e.state == ExecutionState::kComplete || e.state == ExecutionState::kCached;
}

bool StartsWith(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// The deliveries a run made, newest per customer.
StatusOr<std::vector<Delivery>> DeliveriesOf(store::Store& store, int64_t run_context) {
  SM_ASSIGN_OR_RETURN(std::vector<store::Execution> executions,
                      store.ExecutionsInContext(run_context));
  std::map<int64_t, Delivery> by_customer;
  for (const store::Execution& e : executions) {
    if (e.plugin != "delivery.torchscript" || !Finished(e)) continue;
    SM_ASSIGN_OR_RETURN(std::vector<store::Event> events, store.EventsOfExecution(e.id));
    for (const store::Event& ev : events) {
      if (ev.type != EventType::kOutput || ev.path != "model") continue;
      SM_ASSIGN_OR_RETURN(store::Artifact a, store.GetArtifact(ev.artifact_id));
      auto customer = a.properties.find("customer");
      if (customer == a.properties.end()) continue;
      const auto* text = std::get_if<std::string>(&customer->second);
      if (text == nullptr) continue;
      Delivery d{std::stoll(*text), a.id, e.id, e.end_time_ms.value_or(e.create_time_ms)};
      by_customer[d.customer] = d;
    }
  }
  std::vector<Delivery> out;
  for (auto& [customer, d] : by_customer) out.push_back(d);
  return out;
}

StatusOr<std::string> DetectorOf(store::Store& store, int64_t run_context) {
  SM_ASSIGN_OR_RETURN(std::vector<store::Execution> executions,
                      store.ExecutionsInContext(run_context));
  for (const store::Execution& e : executions) {
    if (StartsWith(e.plugin, "detector.")) return e.plugin;
  }
  return std::string("detector.hard_threshold");
}

// Follows the first delivery back to the key, the fingerprinting step and its inputs.
Status ReadEvidenceChain(store::Store& store, Deployment& d) {
  const Delivery& first = d.deliveries.front();
  const std::string who = "customer " + std::to_string(first.customer) + "'s delivery (e" +
                          std::to_string(first.execution) + ")";
  SM_ASSIGN_OR_RETURN(std::optional<int64_t> key, InputOf(store, first.execution, "key"));
  SM_ASSIGN_OR_RETURN(std::optional<int64_t> marked, InputOf(store, first.execution, "model"));
  if (!key) return FailedPreconditionError(who + " was not checked against a key: no key input");
  if (!marked) return FailedPreconditionError(who + " has no model input");
  d.key = *key;
  SM_ASSIGN_OR_RETURN(std::optional<store::Execution> embedding, ProducerOf(store, *marked));
  if (!embedding || !StartsWith(embedding->plugin, "embedder.")) {
    return FailedPreconditionError(who +
                                   ": the delivered model was not made by an embedder, so "
                                   "there is no reference model and codebook to trace with");
  }
  d.embedding = embedding->id;
  SM_ASSIGN_OR_RETURN(std::optional<int64_t> reference, InputOf(store, embedding->id, "model"));
  SM_ASSIGN_OR_RETURN(std::optional<int64_t> codebook, InputOf(store, embedding->id, "codebook"));
  if (!reference || !codebook) {
    return FailedPreconditionError("the embedding e" + std::to_string(embedding->id) +
                                   " lacks its 'model' or 'codebook' input");
  }
  d.reference = *reference;
  d.codebook = *codebook;
  SM_ASSIGN_OR_RETURN(d.basis, InputOf(store, embedding->id, "basis"));
  return OkStatus();
}

}  // namespace

StatusOr<std::optional<store::Execution>> ProducerOf(store::Store& store, int64_t artifact) {
  SM_ASSIGN_OR_RETURN(std::vector<store::Event> events, store.EventsOfArtifact(artifact));
  std::optional<store::Execution> cached;
  for (const store::Event& ev : events) {
    if (ev.type != EventType::kOutput) continue;
    SM_ASSIGN_OR_RETURN(store::Execution e, store.GetExecution(ev.execution_id));
    if (e.state == ExecutionState::kComplete) return std::optional<store::Execution>(e);
    if (e.state == ExecutionState::kCached && !cached) cached = e;
  }
  return cached;
}

StatusOr<std::optional<int64_t>> InputOf(store::Store& store, int64_t execution,
                                         const std::string& port) {
  SM_ASSIGN_OR_RETURN(std::vector<store::Event> events, store.EventsOfExecution(execution));
  for (const store::Event& ev : events) {
    if (ev.type == EventType::kInput && ev.path == port)
      return std::optional<int64_t>(ev.artifact_id);
  }
  return std::optional<int64_t>();
}

StatusOr<std::string> PipelineOf(store::Store& store, const store::ContextRecord& run) {
  for (int64_t parent : run.parents) {
    SM_ASSIGN_OR_RETURN(store::ContextRecord p, store.GetContext(parent));
    if (p.type == ContextType::kPipeline) return p.name;
  }
  return std::string();
}

StatusOr<Deployment> FindDeployment(store::Store& store, const std::string& name) {
  SM_ASSIGN_OR_RETURN(std::vector<store::ContextRecord> runs,
                      store.ListContexts(ContextType::kRun));
  bool named = false;
  for (const store::ContextRecord& run : runs) {
    SM_ASSIGN_OR_RETURN(std::string pipeline, PipelineOf(store, run));
    if (!name.empty() && run.name != name && pipeline != name) continue;
    named = true;
    SM_ASSIGN_OR_RETURN(std::vector<Delivery> deliveries, DeliveriesOf(store, run.id));
    if (deliveries.empty()) {
      if (run.name == name)
        return FailedPreconditionError("run '" + name + "' delivered no models");
      continue;
    }
    Deployment d;
    d.run = run.name;
    d.run_context = run.id;
    d.pipeline = pipeline;
    d.deliveries = std::move(deliveries);
    SM_RETURN_IF_ERROR(ReadEvidenceChain(store, d).WithContext("deployment '" + run.name + "'"));
    SM_ASSIGN_OR_RETURN(d.detector, DetectorOf(store, run.id));
    return d;
  }
  if (name.empty()) return NotFoundError("no run in " + store.dir() + " delivered models");
  if (!named) {
    return NotFoundError("no run or pipeline named '" + name + "' in " + store.dir() +
                         " (see `securemark audit runs`)");
  }
  return NotFoundError("no run of pipeline '" + name + "' delivered models");
}

}  // namespace securemark::investigate
