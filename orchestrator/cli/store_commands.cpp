// `securemark lineage`, `show`, `gc` and `store check`: reading and maintaining a store.
#include <unistd.h>
#include <cmath>
#include <cstdlib>

#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "lineage.h"
#include "securemark/typed.h"
#include "store.h"

namespace securemark::cli {

void AddStoreOption(CLI::App* cmd, std::string& path) {
  path = DefaultStorePath();
  cmd->add_option("--store,-s", path,
                  "Store directory (default: $SECUREMARK_STORE or ./securemark-store)");
}

int Fail(const Status& status) {
  std::cerr << "securemark: " << status.message() << "\n";
  return kExitFailed;
}

StatusOr<std::unique_ptr<store::Store>> OpenStoreToRead(const std::string& path) {
  // Where this user may write, recover what a killed run left RUNNING first, so that
  // what is read is true; elsewhere (a read-only mount, someone else's store) just read.
  const std::string db = path + "/metadata.sqlite";
  if (::access(path.c_str(), W_OK) != 0 || ::access(db.c_str(), W_OK) != 0) {
    if (::access(db.c_str(), R_OK) == 0) return store::Store::OpenReadOnly(path);
  }
  SM_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> store,
                      store::Store::Open(path, /*create=*/false));
  (void)store->RecoverInterrupted();
  return store;
}

namespace {

using store::Store;

StatusOr<std::unique_ptr<Store>> OpenExisting(const std::string& path) {
  return OpenStoreToRead(path);
}

std::string PropertyText(const store::PropertyValue& v) {
  if (auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (auto* d = std::get_if<double>(&v)) return std::to_string(*d);
  return std::get<std::string>(v);
}

struct LineageOptions {
  std::string store_path;
  std::string id;
  bool upstream = false;
  bool downstream = false;
  int hops = 1000;
  std::string format = "text";
};

int Lineage(const LineageOptions& o) {
  auto s = OpenExisting(o.store_path);
  if (!s.ok()) return Fail(s.status());
  auto node = store::ResolveNode(**s, o.id);
  if (!node.ok()) return Fail(node.status());
  store::Direction direction = o.upstream     ? store::Direction::kUpstream
                               : o.downstream ? store::Direction::kDownstream
                                              : store::Direction::kBoth;
  auto graph = store::QueryLineage(**s, *node, direction, o.hops);
  if (!graph.ok()) return Fail(graph.status());
  if (o.format == "dot") {
    std::cout << store::LineageToDot(*graph);
  } else if (o.format == "openlineage") {
    auto json = store::LineageToOpenLineage(**s, *graph);
    if (!json.ok()) return Fail(json.status());
    std::cout << *json << "\n";
  } else {
    std::cout << store::LineageToText(*graph);
  }
  return kExitOk;
}

int ShowArtifact(Store& s, int64_t id) {
  auto a = s.GetArtifact(id);
  if (!a.ok()) return Fail(a.status());
  std::cout << "artifact a" << a->id << "\n  type:    " << a->type << "\n  uri:     " << a->uri
            << "\n  size:    " << a->size << " bytes\n  state:   " << store::Name(a->state)
            << (a->secret ? "\n  secret:  yes (blob mode 0600)" : "") << "\n";
  if (!a->name.empty()) std::cout << "  name:    " << a->name << "\n";
  for (const auto& [k, v] : a->properties)
    std::cout << "  " << k << ": " << PropertyText(v) << "\n";
  auto events = s.EventsOfArtifact(id);
  if (!events.ok()) return Fail(events.status());
  for (const auto& ev : *events) {
    auto e = s.GetExecution(ev.execution_id);
    std::cout << (ev.type == store::EventType::kOutput ? "  produced by e" : "  read by e")
              << ev.execution_id << " " << (e.ok() ? e->plugin + " " + e->name : "") << " ("
              << ev.path << ")\n";
  }
  return kExitOk;
}

int ShowExecution(Store& s, int64_t id) {
  auto e = s.GetExecution(id);
  if (!e.ok()) return Fail(e.status());
  std::cout << "execution e" << e->id << "\n  plugin:      " << e->plugin << " "
            << e->plugin_version << "\n  step:        " << e->name
            << "\n  state:       " << store::Name(e->state) << "\n  uuid:        " << e->uuid
            << "\n  params:      " << e->params_json << "\n  fingerprint: " << e->fingerprint
            << "\n  owner:       " << e->owner << "\n";
  if (e->start_time_ms && e->end_time_ms) {
    std::cout << "  duration:    " << (*e->end_time_ms - *e->start_time_ms) / 1000.0 << " s\n";
  }
  if (e->cached_from) std::cout << "  cached from: e" << *e->cached_from << "\n";
  if (!e->error.empty()) std::cout << "  error:       " << e->error << "\n";
  for (const auto& [k, v] : e->properties)
    std::cout << "  " << k << ": " << PropertyText(v) << "\n";
  auto events = s.EventsOfExecution(id);
  if (!events.ok()) return Fail(events.status());
  for (const auto& ev : *events) {
    auto a = s.GetArtifact(ev.artifact_id);
    std::cout << (ev.type == store::EventType::kInput ? "  input  " : "  output ") << ev.path
              << " = a" << ev.artifact_id << " "
              << (a.ok() ? a->type + " " + a->digest.substr(0, 12) : "") << "\n";
  }
  auto contexts = s.ContextsOfExecution(id);
  if (contexts.ok()) {
    for (const auto& c : *contexts)
      std::cout << "  context " << store::Name(c.type) << " " << c.name << "\n";
  }
  return kExitOk;
}

// The document itself, for JSON artifacts that are not secret.
int ShowContent(Store& s, int64_t id) {
  auto a = s.GetArtifact(id);
  if (!a.ok()) return Fail(a.status());
  if (a->secret)
    return Fail(FailedPreconditionError("a" + std::to_string(id) + " is secret; not printed"));
  if (BaseTypeOf(a->type) != "Json")
    return Fail(InvalidArgumentError("a" + std::to_string(id) + " is a " + a->type + " of " +
                                     std::to_string(a->size) +
                                     " bytes; --content prints Json artifacts only"));
  auto bytes = s.ReadArtifact(id);
  if (!bytes.ok()) return Fail(bytes.status());
  std::cout << *bytes << "\n";
  return kExitOk;
}

int Show(const std::string& path, const std::string& id, bool content) {
  auto s = OpenExisting(path);
  if (!s.ok()) return Fail(s.status());
  auto node = store::ResolveNode(**s, id);
  if (!node.ok()) return Fail(node.status());
  if (content) {
    if (node->kind != store::NodeRef::kArtifact)
      return Fail(InvalidArgumentError("--content needs an artifact, not an execution"));
    return ShowContent(**s, node->id);
  }
  return node->kind == store::NodeRef::kArtifact ? ShowArtifact(**s, node->id)
                                                 : ShowExecution(**s, node->id);
}

int Gc(const std::string& path) {
  auto s = Store::Open(path, /*create=*/false);
  if (!s.ok()) return Fail(s.status());
  auto report = (*s)->CollectGarbage();
  if (!report.ok()) return Fail(report.status());
  std::cout << "removed " << report->blobs_removed << " unreferenced blobs and "
            << report->temp_files_removed << " stray temp files; freed " << report->bytes_freed
            << " bytes\n";
  return kExitOk;
}

int Check(const std::string& path) {
  auto s = OpenExisting(path);
  if (!s.ok()) return Fail(s.status());
  auto problems = (*s)->Check();
  if (!problems.ok()) return Fail(problems.status());
  for (const auto& p : *problems) std::cout << "problem: " << p << "\n";
  if (!problems->empty()) {
    std::cout << problems->size() << " problems in " << path << "\n";
    return kExitFailed;
  }
  std::cout << path << ": ok\n";
  return kExitOk;
}

}  // namespace

CLI::Validator FiniteRange(double low, double high) {
  return CLI::Validator(
      [low, high](std::string& text) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (end == text.c_str() || *end != '\0' || !std::isfinite(v))
          return "Value " + text + " is not a finite number";
        if (v < low || v > high) {
          return "Value " + text + " not in range [" + CLI::detail::to_string(low) + " - " +
                 CLI::detail::to_string(high) + "]";
        }
        return std::string();
      },
      "FLOAT in [" + CLI::detail::to_string(low) + " - " + CLI::detail::to_string(high) + "]");
}

std::string DefaultStorePath() {
  const char* env = std::getenv("SECUREMARK_STORE");
  return env && *env ? env : "securemark-store";
}

void AddStoreCommands(CLI::App& app, int& exit_code) {
  auto lineage_options = std::make_shared<LineageOptions>();
  auto* lineage = app.add_subcommand(
      "lineage",
      "Show where an artifact or execution came from and what came of it\n"
      "Example: securemark lineage a12 --upstream --format dot --store runs/ | dot -Tsvg");
  AddStoreOption(lineage, lineage_options->store_path);
  lineage->add_option("id", lineage_options->id, "a12, e7 or a digest prefix (6+ hex digits)")
      ->required();
  auto* up = lineage->add_flag("--upstream", lineage_options->upstream, "Only what it came from");
  auto* down =
      lineage->add_flag("--downstream", lineage_options->downstream, "Only what came of it");
  up->excludes(down);
  lineage->add_option("--hops", lineage_options->hops, "Follow at most N events")
      ->check(CLI::Range(1, 1000000));
  lineage->add_option("--format", lineage_options->format, "text, dot or openlineage")
      ->check(CLI::IsMember({"text", "dot", "openlineage"}));
  lineage->callback([&exit_code, lineage_options] { exit_code = Lineage(*lineage_options); });

  auto show_path = std::make_shared<std::string>();
  auto show_id = std::make_shared<std::string>();
  auto* show = app.add_subcommand("show",
                                  "Show one artifact or execution\nExample: securemark show "
                                  "train.report --content --store runs/");
  AddStoreOption(show, *show_path);
  auto show_content = std::make_shared<bool>(false);
  show->add_option("id", *show_id, "a12, e7, a digest prefix (6+ hex digits) or an artifact name")
      ->required();
  show->add_flag("--content", *show_content, "print a JSON artifact's document");
  show->callback([&exit_code, show_path, show_id, show_content] {
    exit_code = Show(*show_path, *show_id, *show_content);
  });

  auto gc_path = std::make_shared<std::string>();
  auto* gc = app.add_subcommand(
      "gc",
      "Remove blobs no artifact needs and stray temp files\nExample: securemark gc --store runs/");
  AddStoreOption(gc, *gc_path);
  gc->callback([&exit_code, gc_path] { exit_code = Gc(*gc_path); });

  auto* store_cmd = app.add_subcommand(
      "store", "Store maintenance\nExample: securemark store check --store runs/");
  store_cmd->require_subcommand(1);
  auto check_path = std::make_shared<std::string>();
  auto* check =
      store_cmd->add_subcommand("check",
                                "Check database integrity and every live artifact's blob\n"
                                "Example: securemark store check --store runs/");
  AddStoreOption(check, *check_path);
  check->callback([&exit_code, check_path] { exit_code = Check(*check_path); });
}

}  // namespace securemark::cli
