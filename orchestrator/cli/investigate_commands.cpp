// `securemark trace` (who leaked this model?) and `securemark audit customer|model|runs`
// (who got what, made from what, named by whom).
#include <iostream>

#include "cli/commands.h"
#include "investigate/audit.h"
#include "investigate/trace.h"
#include "lineage.h"
#include "securemark/files.h"

namespace securemark::cli {
namespace {

using nlohmann::json;

struct TraceArgs {
  investigate::TraceOptions options;
  bool json = false;
  bool plain = false;
};

int Trace(TraceArgs& args) {
  PluginCatalog catalog = PluginCatalog::Discover(DefaultPluginSearchPath());
  auto progress = runner::MakeProgressSink(args.plain || args.json ? runner::ProgressMode::kPlain
                                                                   : runner::ProgressMode::kAuto);
  StatusOr<investigate::Investigation> inv = investigate::Trace(args.options, catalog, *progress);
  if (!inv.ok()) return Fail(inv.status());
  if (args.json) {
    json out = inv->verdict;
    out["run"] = inv->run;
    out["deployment"] = inv->deployment.run;
    out["evidence_chain"] = {{"suspect", inv->suspect},
                             {"key", inv->deployment.key},
                             {"reference", inv->deployment.reference},
                             {"codebook", inv->deployment.codebook},
                             {"calibration", inv->calibration},
                             {"verdict", inv->accusation}};
    if (inv->deployment.basis) out["evidence_chain"]["basis"] = *inv->deployment.basis;
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << investigate::VerdictText(*inv);
  }
  return kExitOk;
}

struct AuditArgs {
  std::string store_path;
  std::string id;
  bool json = false;
};

StatusOr<std::unique_ptr<store::Store>> OpenStore(const std::string& path) {
  return OpenStoreToRead(path);
}

int Print(const StatusOr<json>& audit, bool as_json, std::string (*text)(const json&)) {
  if (!audit.ok()) return Fail(audit.status());
  std::cout << (as_json ? audit->dump(2) + "\n" : text(*audit));
  return kExitOk;
}

int AuditCustomer(const AuditArgs& a) {
  int64_t customer = 0;
  try {
    size_t used = 0;
    customer = std::stoll(a.id, &used);
    if (used != a.id.size() || customer < 0) throw std::invalid_argument(a.id);
  } catch (const std::exception&) {
    std::cerr << "securemark: customer ID must be a non-negative integer, got '" << a.id << "'\n";
    return kExitUsage;
  }
  auto store = OpenStore(a.store_path);
  if (!store.ok()) return Fail(store.status());
  return Print(investigate::AuditCustomer(**store, customer), a.json,
               investigate::AuditCustomerText);
}

// A model is named like any node (a12, a digest prefix, a step output name) or by a
// file holding the same bytes.
StatusOr<int64_t> ResolveModel(store::Store& store, const std::string& id) {
  if (std::error_code ec; std::filesystem::is_regular_file(id, ec)) {
    SM_ASSIGN_OR_RETURN(std::string bytes, ReadFile(id));
    SM_ASSIGN_OR_RETURN(std::vector<store::Artifact> same,
                        store.FindArtifactsByDigestPrefix(Sha256Hex(bytes)));
    for (const store::Artifact& a : same) {
      if (a.type == "Model") return a.id;
    }
    return NotFoundError("no model in the store has the bytes of " + id);
  }
  SM_ASSIGN_OR_RETURN(store::NodeRef node, store::ResolveNode(store, id));
  if (node.kind != store::NodeRef::kArtifact)
    return InvalidArgumentError("'" + id + "' is an execution, not a model");
  return node.id;
}

int AuditModel(const AuditArgs& a) {
  auto store = OpenStore(a.store_path);
  if (!store.ok()) return Fail(store.status());
  StatusOr<int64_t> model = ResolveModel(**store, a.id);
  if (!model.ok()) return Fail(model.status());
  return Print(investigate::AuditModel(**store, *model), a.json, investigate::AuditModelText);
}

int AuditRuns(const AuditArgs& a) {
  auto store = OpenStore(a.store_path);
  if (!store.ok()) return Fail(store.status());
  return Print(investigate::AuditRuns(**store), a.json, investigate::AuditRunsText);
}

}  // namespace

void AddInvestigateCommands(CLI::App& app, int& exit_code) {
  auto t = std::make_shared<TraceArgs>();
  auto* trace = app.add_subcommand(
      "trace",
      "Trace a suspect model to the customers who leaked it, and record the investigation\n"
      "Example: securemark trace leaked.pt --store runs/ --deployment deepmarks-fmnist");
  trace
      ->add_option("model", t->options.suspect_file,
                   "Suspect model file: TorchScript, or a torch.save checkpoint (state_dict)")
      ->required();
  AddStoreOption(trace, t->options.store_dir);
  trace->add_option("--deployment,-d", t->options.deployment,
                    "Run or pipeline that delivered the copies (default: the newest that did)");
  trace->add_option("--detector", t->options.detector,
                    "Detector plugin (default: the one the deployment used)");
  trace
      ->add_option("--nulls", t->options.null_models,
                   "Null models (coalitions of delivered copies) to calibrate on")
      ->check(CLI::Range(2, 1000));
  trace
      ->add_option("--false-accusation", t->options.false_accusation,
                   "Probability that the investigation accuses any innocent")
      ->check(FiniteRange(1e-12, 0.5));
  trace->add_option("--jobs,-j", t->options.jobs, "Steps running at once")
      ->check(CLI::Range(1, 64));
  trace->add_flag("--json", t->json, "Print the verdict as JSON");
  trace->add_flag("--plain", t->plain, "Timestamped progress lines instead of live bars");
  trace->callback([&exit_code, t] { exit_code = Trace(*t); });

  auto* audit = app.add_subcommand(
      "audit",
      "Who received which model, made from what, and which investigations named them\n"
      "Example: securemark audit customer 3 --store runs/");
  audit->require_subcommand(1);
  struct Sub {
    const char* name;
    const char* help;
    const char* arg_help;
    int (*run)(const AuditArgs&);
  };
  for (const Sub& sub : {
           Sub{"customer",
               "Models delivered to a customer, their lineage, and investigations naming them\n"
               "Example: securemark audit customer 3 --store runs/",
               "Customer number", AuditCustomer},
           Sub{"model",
               "A model's history, its customer, and investigations about it\n"
               "Example: securemark audit model deliver@3.model --store runs/",
               "a<ID>, digest prefix, artifact name or a model file", AuditModel},
           Sub{"runs",
               "Every run with its deliveries and, for investigations, whom they accused\n"
               "Example: securemark audit runs --store runs/",
               nullptr, AuditRuns},
       }) {
    auto a = std::make_shared<AuditArgs>();
    auto* cmd = audit->add_subcommand(sub.name, sub.help);
    if (sub.arg_help != nullptr) cmd->add_option("id", a->id, sub.arg_help)->required();
    AddStoreOption(cmd, a->store_path);
    cmd->add_flag("--json", a->json, "Print JSON");
    auto run = sub.run;
    cmd->callback([&exit_code, a, run] { exit_code = run(*a); });
  }
}

}  // namespace securemark::cli
