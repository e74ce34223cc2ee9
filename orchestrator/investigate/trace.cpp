#include "investigate/trace.h"

#include "investigate/audit.h"

#include <filesystem>
#include <sstream>

#include "investigate/trace_pipeline.h"
#include "pipeline/compiler.h"
#include "pipeline/parser.h"
#include "runner/runner.h"
#include "securemark/files.h"

namespace securemark::investigate {
namespace {

using nlohmann::json;

constexpr int64_t kMaxSuspectBytes = int64_t{4} << 30;

std::string Ref(int64_t artifact) { return "artifact:" + std::to_string(artifact); }

// A LIVE Model artifact holding exactly these bytes, or a new one.
StatusOr<int64_t> ImportSuspect(store::Store& store, const std::string& path,
                                const std::string& bytes, const std::string& digest) {
  SM_ASSIGN_OR_RETURN(std::vector<store::Artifact> same, store.FindArtifactsByDigestPrefix(digest));
  for (const store::Artifact& a : same) {
    if (a.type == "Model" && a.state == store::ArtifactState::kLive) return a.id;
  }
  const std::string absolute = std::filesystem::absolute(path).lexically_normal().string();
  return store.PutArtifact("Model", bytes, /*secret=*/false,
                           {{"file", absolute}, {"suspect", std::string("true")}}, "suspect");
}

// The shipped trace pipeline (pipelines/trace.yaml) with its parameters set to this
// deployment's artifacts, compiled and checked like any pipeline.
StatusOr<pipeline::Plan> CompileTrace(const TraceOptions& o, const Deployment& d, int64_t suspect,
                                      const PluginCatalog& catalog) {
  json models = json::array(), customers = json::array(), nulls = json::array();
  for (const Delivery& delivery : d.deliveries) {
    models.push_back(Ref(delivery.model));
    customers.push_back(delivery.customer);
  }
  const int most = std::max<int>(
      1, std::min<int>(o.max_null_coalition, static_cast<int>(d.deliveries.size()) - 1));
  for (int i = 0; i < o.null_models; ++i)
    nulls.push_back({{"name", "n" + std::to_string(i)}, {"k", 1 + i % most}, {"seed", 1000 + i}});
  const json values = {
      {"suspect", Ref(suspect)},
      {"key", Ref(d.key)},
      {"reference", Ref(d.reference)},
      {"codebook", Ref(d.codebook)},
      {"basis", d.basis ? json::array({Ref(*d.basis)}) : json::array()},
      {"models", models},
      {"customers", customers},
      {"detector", o.detector.empty() ? d.detector : o.detector},
      {"false_accusation", o.false_accusation},
      {"nulls", nulls},
      {"suspect_file", std::filesystem::absolute(o.suspect_file).lexically_normal().string()},
      {"deployment", d.run}};
  pipeline::ParseResult parsed = pipeline::ParsePipelineText(kTracePipeline, "trace.yaml");
  std::vector<pipeline::Diagnostic> problems = parsed.diagnostics;
  for (const auto& [name, value] : values.items()) {
    auto param = parsed.spec.params.find(name);
    if (param == parsed.spec.params.end()) {
      problems.push_back(
          {{"trace.yaml", 0, 0}, "the trace pipeline has no parameter '" + name + "'"});
      continue;
    }
    param->second.json = value;
  }
  pipeline::CompileResult compiled;
  if (problems.empty()) {
    compiled = pipeline::Compile(parsed.spec, catalog);
    problems = compiled.diagnostics;
  }
  if (problems.empty()) return compiled.plan;
  std::string message = "cannot build the investigation:";
  for (const auto& p : problems) message += "\n  " + p.message;
  return FailedPreconditionError(message);
}

// The artifact an instance of the run wrote through `port`.
StatusOr<int64_t> OutputOfStep(store::Store& store, const std::string& run, const std::string& step,
                               const std::string& port) {
  SM_ASSIGN_OR_RETURN(std::optional<store::ContextRecord> context,
                      store.FindContext(store::ContextType::kRun, run));
  if (!context) return NotFoundError("run '" + run + "' is not in the store");
  SM_ASSIGN_OR_RETURN(std::vector<store::Execution> executions,
                      store.ExecutionsInContext(context->id));
  for (const store::Execution& e : executions) {
    if (e.name != step) continue;
    SM_ASSIGN_OR_RETURN(std::vector<store::Event> events, store.EventsOfExecution(e.id));
    for (const store::Event& ev : events) {
      if (ev.type == store::EventType::kOutput && ev.path == port) return ev.artifact_id;
    }
  }
  return NotFoundError("run '" + run + "' has no output " + step + "." + port);
}

std::string Short(const std::string& digest) { return digest.substr(0, 12); }

std::string Number(double v) {
  std::ostringstream out;
  out.precision(3);
  out << v;
  return out.str();
}

// The two statistics of the provenance test beside what an unrelated model would show.
std::string ProvenanceNumbers(const json& p) {
  return "mean-code z " + Number(p.value("mean_z", 0.0)) + " (unrelated models: N(0,1)), " +
         "share of the layer in the key's row space " + Number(p.value("energy", 0.0)) +
         " (unrelated models: " + Number(p.value("energy_null_mean", 0.0)) + ")";
}

}  // namespace

StatusOr<Investigation> Trace(const TraceOptions& o, const PluginCatalog& catalog,
                              runner::ProgressSink& progress) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(o.suspect_file, ec);
  if (ec)
    return NotFoundError("cannot read the suspect model " + o.suspect_file + ": " + ec.message());
  if (static_cast<int64_t>(size) > kMaxSuspectBytes) {
    return InvalidArgumentError("the suspect model " + o.suspect_file + " has " +
                                std::to_string(size) + " bytes; at most 4 GiB are accepted");
  }
  SM_ASSIGN_OR_RETURN(std::string bytes, ReadFile(o.suspect_file));
  if (bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x80) {
    return InvalidArgumentError(
        o.suspect_file +
        " is a checkpoint in PyTorch's legacy format (_use_new_zipfile_serialization=False, or "
        "PyTorch before 1.6); save it again with torch.save(state_dict, f) from PyTorch 1.6 or "
        "later");
  }
  if (bytes.size() < 4 || bytes.compare(0, 2, "PK") != 0) {
    return InvalidArgumentError(o.suspect_file +
                                " is not a TorchScript model or a torch.save checkpoint "
                                "(expected a zip archive)");
  }
  if (o.null_models < 2) return InvalidArgumentError("--nulls must be at least 2");

  Investigation inv;
  {
    SM_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> store,
                        store::Store::Open(o.store_dir, /*create=*/false));
    SM_ASSIGN_OR_RETURN(inv.deployment, FindDeployment(*store, o.deployment));
    inv.suspect_digest = Sha256Hex(bytes);
    SM_ASSIGN_OR_RETURN(inv.suspect,
                        ImportSuspect(*store, o.suspect_file, bytes, inv.suspect_digest));
    for (const Delivery& d : inv.deployment.deliveries) {
      if (d.model == inv.suspect) inv.identical_to_customer = d.customer;
    }
  }
  SM_ASSIGN_OR_RETURN(pipeline::Plan plan, CompileTrace(o, inv.deployment, inv.suspect, catalog));
  runner::RunOptions run;
  run.store_dir = o.store_dir;
  run.pipeline_file = "(securemark trace " + o.suspect_file + ")";
  run.jobs = o.jobs;
  SM_ASSIGN_OR_RETURN(runner::RunSummary summary, runner::RunPlan(plan, run, progress));
  if (!summary.ok()) {
    std::string why;
    for (const std::string& f : summary.failures) why += "\n  " + f;
    return FailedPreconditionError("the investigation did not finish:" + why);
  }
  inv.run = summary.run;
  SM_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> store,
                      store::Store::Open(o.store_dir, /*create=*/false));
  SM_ASSIGN_OR_RETURN(inv.accusation, OutputOfStep(*store, inv.run, "detect", "accusation"));
  SM_ASSIGN_OR_RETURN(inv.calibration, OutputOfStep(*store, inv.run, "calibrate", "calibration"));
  SM_ASSIGN_OR_RETURN(std::string verdict, store->ReadArtifact(inv.accusation));
  inv.verdict = json::parse(verdict, nullptr, /*allow_exceptions=*/false);
  if (inv.verdict.is_discarded())
    return DataLossError("the detector's accusation a" + std::to_string(inv.accusation) +
                         " is not JSON");
  return inv;
}

std::string VerdictText(const Investigation& inv) {
  const json& v = inv.verdict;
  const Deployment& d = inv.deployment;
  std::ostringstream out;
  const json accused = v.value("accused", json::array());
  const json provenance = v.value("provenance", json::object());
  const bool tested = provenance.value("tested", false);
  out << "VERDICT: ";
  if (v.value("decided_by", std::string()) == "provenance") {
    out << "no customer is accused: the model is not shown to derive from this deployment\n"
        << "  stage 1, provenance: p-value " << PValueText(provenance.value("p_value", 1.0))
        << ", not below the level " << Number(provenance.value("level", 0.0)) << " (mean-code z "
        << Number(provenance.value("mean_z", 0.0)) << ", energy "
        << Number(provenance.value("energy", 0.0)) << " on "
        << provenance.value("energy_degrees", 0) << " degrees of freedom)\n";
  } else {
    if (accused.empty()) {
      out << "no customer is accused";
    } else {
      out << accused.size() << (accused.size() == 1 ? " customer" : " customers") << " accused";
    }
    out << " (" << v.value("method", std::string("?")) << ", false-accusation level "
        << Number(v.value("calibration", json::object()).value("false_accusation", 0.0)) << ")\n";
    if (tested) {
      out << "  stage 1, provenance: derived from this deployment, p-value "
          << PValueText(provenance.value("p_value", 1.0)) << " (" << ProvenanceNumbers(provenance)
          << ")\n";
    } else {
      out << "  stage 1, provenance: not tested ("
          << provenance.value("reason", std::string("no layer norm in the extraction")) << ")\n";
    }
    const json id = v.value("identification", json::object());
    out << "  stage 2, identification: " << id.value("candidates", 0)
        << " candidates from the detector, each tested given the others (t with "
        << id.value("dof", 0) << " degrees of freedom, level "
        << PValueText(id.value("per_user_level", 0.0)) << " per customer)\n";
  }
  for (const json& a : accused) {
    out << "  customer " << a.value("user", -1) << "  score " << Number(a.value("score", 0.0))
        << "  t " << Number(a.value("evidence", 0.0)) << "  p-value "
        << PValueText(a.value("p_value", 1.0)) << " (empirical "
        << PValueText(a.value("empirical_p_value", 1.0)) << ")  share "
        << Number(a.value("share", 0.0));
    if (a.contains("community")) out << "  community " << a["community"].get<std::string>();
    out << "\n";
  }
  for (const json& a : v.value("dismissed", json::array())) {
    out << "  dismissed: customer " << a.value("user", -1) << " (t "
        << Number(a.value("evidence", 0.0)) << ", p-value " << PValueText(a.value("p_value", 1.0))
        << ": not significant, or not beyond every innocent of the calibration)\n";
  }
  if (v.contains("signal_level"))
    out << "  signal level " << Number(v.value("signal_level", 0.0)) << "\n";
  if (v.contains("community")) {
    const json& c = v["community"];
    out << "  community screening: the suspect's community code " << c.value("code", std::string())
        << " is nearest (distance " << c.value("distance", 0) << ") to "
        << c.value("members", json::array()).size() << " customers' communities\n";
  }
  if (inv.identical_to_customer) {
    out << "  the file is byte-identical to the model delivered to customer "
        << *inv.identical_to_customer << "\n";
  }
  out << "EVIDENCE CHAIN\n"
      << "  suspect      a" << inv.suspect << " sha256:" << Short(inv.suspect_digest) << "\n"
      << "  deployment   " << d.run << " (" << d.deliveries.size() << " delivered copies)\n"
      << "  key          a" << d.key << " (secret) read by the embedding e" << d.embedding << "\n"
      << "  reference    a" << d.reference << " (the model the copies were made from)\n"
      << "  codebook     a" << d.codebook << " " << v.value("codebook", std::string()) << " ("
      << v.value("users", 0) << " users, " << v.value("length", 0) << " positions)\n";
  if (d.basis) out << "  basis        a" << *d.basis << " (secret)\n";
  const json cal = v.value("calibration", json::object());
  out << "  calibration  a" << inv.calibration << ": " << cal.value("null_models", 0)
      << " null models, " << cal.value("null_scores", 0) << " innocent scores, largest t "
      << Number(cal.value("null_max", 0.0)) << "\n"
      << "  verdict      a" << inv.accusation << ", recorded as run " << inv.run << "\n";
  return out.str();
}

}  // namespace securemark::investigate
