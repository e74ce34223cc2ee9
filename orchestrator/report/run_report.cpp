#include "report/run_report.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "investigate/audit.h"
#include "lineage.h"
#include "report/csv_table.h"
#include "report/figures.h"
#include "report/gnuplot.h"
#include "report/run_summary.h"
#include "securemark/files.h"
#include "securemark/typed.h"
#include "util/process.h"

namespace securemark::report {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int64_t kMaxReadBytes = int64_t{32} << 20;  // larger outputs are listed, not read
constexpr size_t kMaxTableRows = 300;

struct Output {
  store::Execution execution;
  std::string port;
  store::Artifact artifact;
  std::string bytes;  // empty when secret, large or not a document
};

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

bool IsPng(const std::string& bytes) { return bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0; }
// Figures plugins draw themselves (report.privacy_table's trade-off curve). Shown through
// <img>, so nothing in them runs.
bool IsSvg(const std::string& bytes) { return bytes.compare(0, 5, "<svg ") == 0; }

bool Finished(const store::Execution& e) {
  return e.state == store::ExecutionState::kComplete || e.state == store::ExecutionState::kCached;
}

StatusOr<std::vector<Output>> CollectOutputs(store::Store& store,
                                             const std::vector<store::Execution>& executions) {
  std::vector<Output> outputs;
  for (const store::Execution& e : executions) {
    if (!Finished(e)) continue;
    SM_ASSIGN_OR_RETURN(std::vector<store::Event> events, store.EventsOfExecution(e.id));
    for (const store::Event& ev : events) {
      if (ev.type != store::EventType::kOutput) continue;
      Output o{e, ev.path, {}, {}};
      SM_ASSIGN_OR_RETURN(o.artifact, store.GetArtifact(ev.artifact_id));
      const bool document = BaseTypeOf(o.artifact.type) == "Json" || o.artifact.type == "Blob";
      if (!o.artifact.secret && document && o.artifact.size <= kMaxReadBytes &&
          o.artifact.state == store::ArtifactState::kLive) {
        SM_ASSIGN_OR_RETURN(o.bytes, store.ReadArtifact(o.artifact.id));
      }
      outputs.push_back(std::move(o));
    }
  }
  return outputs;
}

// The run's executions, the artifacts they read and wrote, and those events.
StatusOr<store::LineageGraph> RunGraph(store::Store& store,
                                       const std::vector<store::Execution>& executions) {
  store::LineageGraph graph;
  for (const store::Execution& e : executions) {
    graph.executions[e.id] = e;
    SM_ASSIGN_OR_RETURN(std::vector<store::Event> events, store.EventsOfExecution(e.id));
    for (const store::Event& ev : events) {
      if (!graph.artifacts.count(ev.artifact_id)) {
        SM_ASSIGN_OR_RETURN(graph.artifacts[ev.artifact_id], store.GetArtifact(ev.artifact_id));
      }
      graph.events.push_back(ev);
    }
  }
  if (!executions.empty()) graph.root = {store::NodeRef::kExecution, executions.front().id};
  return graph;
}

Status DrawLineage(const store::LineageGraph& graph, const fs::path& out) {
  SM_RETURN_IF_ERROR(WriteFileAtomic((out / "lineage.dot").string(), store::LineageToDot(graph)));
  StatusOr<ProcessResult> r = RunProcess(
      {"dot", "-Tsvg", "-o", (out / "lineage.svg").string(), (out / "lineage.dot").string()},
      /*capture_stdout=*/true);
  if (!r.ok() || r->exit_code != 0) {
    return FailedPreconditionError(
        "Graphviz `dot` could not draw the lineage (apt-get install graphviz, or `make setup`)");
  }
  return OkStatus();
}

class Page {
 public:
  // What goes above the table of contents: the answer, before the way to the details.
  void Lead(const std::string& html) { lead_ << html << "\n"; }
  void Section(const std::string& id, const std::string& title) {
    body_ << "<h2 id=\"" << id << "\">" << Escape(title) << "</h2>\n";
    toc_ << "<li><a href=\"#" << id << "\">" << Escape(title) << "</a></li>\n";
  }
  void Text(const std::string& html) { body_ << html << "\n"; }
  void Figure(const std::string& path, const std::string& caption) {
    body_ << "<figure><img src=\"" << Escape(path) << "\" alt=\"" << Escape(caption)
          << "\"><figcaption>" << Escape(caption) << "</figcaption></figure>\n";
  }
  void Table(const std::vector<std::string>& columns,
             const std::vector<std::vector<std::string>>& rows) {
    TableTo(body_, columns, rows);
  }
  void Summary(const RunSummary& summary) {
    lead_ << "<h2 id=\"summary\">Summary</h2>\n<dl class=\"summary\">\n";
    for (const auto& [topic, sentence] : summary.findings)
      lead_ << "<dt>" << Escape(topic) << "</dt><dd>" << Escape(sentence) << "</dd>\n";
    lead_ << "</dl>\n";
    for (const SummaryTable& t : summary.tables) {
      lead_ << "<h3>" << Escape(t.title) << "</h3>\n";
      TableTo(lead_, t.columns, t.rows);
    }
  }
  std::string Html(const std::string& title) const {
    std::ostringstream html;
    html << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
         << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>"
         << Escape(title) << "</title>\n<style>\n"
         << "body{font-family:'DejaVu Sans',sans-serif;margin:2em auto;max-width:1100px;"
            "color:#222;padding:0 1em}\n"
         << "table{border-collapse:collapse;font-size:0.85em;margin:0.5em 0}\n"
         << "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}\n"
         << "th{background:#f0f0f0}\n.scroll{overflow-x:auto;max-height:32em}\n"
         << "figure{display:inline-block;margin:0.5em;max-width:100%}\nfigure img{max-width:100%;"
            "border:1px solid #eee}\nfigcaption{font-size:0.85em;color:#555}\n"
         << ".note{color:#666;font-size:0.85em}\npre{background:#f7f7f7;padding:0.5em;"
            "overflow-x:auto;font-size:0.8em}\n"
         << "dl.summary dt{font-weight:bold;margin-top:0.4em}\ndl.summary dd{margin:0 0 0 1em}\n"
         << "td:first-child,th:first-child{text-align:left}\n"
         << "@media (max-width:600px){body{margin:0.5em auto;padding:0 0.5em}"
            "figure{margin:0.5em 0}}\n"
         << "</style>\n"
         // Lets a headless browser (and a reader) see whether every picture loaded.
         << "<script>window.addEventListener('load',function(){var n=0,ok=0,bad=[];"
            "for(const i of document.images){n++;if(i.complete&&i.naturalWidth>0)ok++;"
            "else bad.push(i.getAttribute('src'));}"
            "document.body.setAttribute('data-images-loaded',ok+'/'+n);"
            "document.body.setAttribute('data-images-broken',bad.join(' '));"
            "document.body.setAttribute('data-page-width',"
            "document.documentElement.scrollWidth);});</script>\n"
         << "</head><body>\n<h1>" << Escape(title) << "</h1>\n"
         << lead_.str() << "<h2>Contents</h2>\n<ul>" << toc_.str() << "</ul>\n"
         << body_.str() << "</body></html>\n";
    return html.str();
  }

 private:
  static void TableTo(std::ostringstream& out, const std::vector<std::string>& columns,
                      const std::vector<std::vector<std::string>>& rows) {
    out << "<div class=\"scroll\"><table><thead><tr>";
    for (const std::string& c : columns) out << "<th>" << Escape(c) << "</th>";
    out << "</tr></thead><tbody>\n";
    for (size_t r = 0; r < rows.size() && r < kMaxTableRows; ++r) {
      out << "<tr>";
      for (const std::string& v : rows[r]) out << "<td>" << Escape(v) << "</td>";
      out << "</tr>\n";
    }
    out << "</tbody></table></div>\n";
    if (rows.size() > kMaxTableRows)
      out << "<p class=\"note\">" << rows.size() - kMaxTableRows << " more rows in the CSV.</p>\n";
  }

  std::ostringstream lead_, body_, toc_;
};

json ParamsOf(const store::ContextRecord& run) {
  auto it = run.properties.find("params");
  if (it == run.properties.end()) return json::object();
  const json params = json::parse(std::get<std::string>(it->second), nullptr, false);
  return params.is_object() ? params : json::object();
}

std::string Signature(const LinePlot& p) {
  std::ostringstream out;
  out << p.title;
  for (const Series& s : p.series) {  // by data alone: summary tables may name series apart
    out << "|";
    for (const auto& [x, y] : s.points) out << " " << x << "," << y;
  }
  return out.str();
}

std::string Signature(const BarChart& c) {
  std::ostringstream out;
  out << c.title;
  for (const auto& g : c.groups) out << "|" << g;
  for (const auto& c2 : c.categories) out << "|" << c2;
  for (const auto& row : c.values)
    for (const auto& v : row) out << " " << (v ? std::to_string(*v) : "?");
  return out.str();
}

void StepsSection(Page& page, const std::vector<store::Execution>& executions) {
  page.Section("steps", "Steps");
  std::vector<std::vector<std::string>> rows;
  for (const store::Execution& e : executions) {
    std::string seconds;
    if (e.start_time_ms && e.end_time_ms) {
      std::ostringstream s;
      s.precision(3);
      s << (*e.end_time_ms - *e.start_time_ms) / 1000.0;
      seconds = s.str();
    }
    rows.push_back({e.name, e.plugin, std::string(store::Name(e.state)), seconds,
                    "e" + std::to_string(e.id), e.error.substr(0, 200)});
  }
  page.Table({"step", "plugin", "state", "seconds", "execution", "error"}, rows);
}

}  // namespace

StatusOr<store::ContextRecord> FindRun(store::Store& store, const std::string& name) {
  SM_ASSIGN_OR_RETURN(std::vector<store::ContextRecord> runs,
                      store.ListContexts(store::ContextType::kRun));
  if (runs.empty()) return NotFoundError("the store " + store.dir() + " has no runs");
  if (name.empty() || name == "latest") return runs.front();
  for (const store::ContextRecord& run : runs) {
    if (run.name == name) return run;
  }
  for (const store::ContextRecord& run : runs) {
    for (int64_t parent : run.parents) {
      SM_ASSIGN_OR_RETURN(store::ContextRecord p, store.GetContext(parent));
      if (p.type == store::ContextType::kPipeline && p.name == name) return run;
    }
  }
  return NotFoundError("no run or pipeline named '" + name + "' in " + store.dir() +
                       " (see `securemark audit runs`)");
}

StatusOr<ReportSummary> WriteRunReport(store::Store& store, const store::ContextRecord& run,
                                       const std::string& out_dir) {
  SM_RETURN_IF_ERROR(Gnuplot::Check());
  const fs::path out(out_dir);
  std::error_code ec;
  for (const char* sub : {"", "plots", "images", "data"}) {
    fs::create_directories(out / sub, ec);
    if (ec)
      return InvalidArgumentError("cannot create " + (out / sub).string() + ": " + ec.message());
  }
  SM_ASSIGN_OR_RETURN(std::vector<store::Execution> executions, store.ExecutionsInContext(run.id));
  SM_ASSIGN_OR_RETURN(std::vector<Output> outputs, CollectOutputs(store, executions));

  ReportSummary summary;
  summary.run = run.name;
  Page page;
  Gnuplot gnuplot(out.string());
  std::vector<std::pair<std::string, json>> epoch_reports;
  std::vector<StepDocument> documents;
  std::vector<std::vector<std::string>> accuracy_rows;
  std::vector<std::pair<std::string, CsvTable>> tables;
  std::vector<std::pair<const Output*, std::string>> images;
  for (const Output& o : outputs) {
    if (o.bytes.empty()) continue;
    const std::string name = o.execution.name + "." + o.port;
    if (BaseTypeOf(o.artifact.type) == "Json") {
      json doc = json::parse(o.bytes, nullptr, false);
      if (!doc.is_object()) continue;
      documents.push_back({o.execution.name, o.execution.plugin, doc});
      if (doc.contains("epochs") && doc["epochs"].is_array())
        epoch_reports.push_back({o.execution.name, doc});
      if (doc.contains("test_accuracy") && doc["test_accuracy"].is_number()) {
        accuracy_rows.push_back(
            {name, o.execution.plugin, std::to_string(doc["test_accuracy"].get<double>())});
      }
    } else if (IsPng(o.bytes) || IsSvg(o.bytes)) {
      const std::string path = "images/" + FileStem(name) + (IsPng(o.bytes) ? ".png" : ".svg");
      SM_RETURN_IF_ERROR(WriteFileAtomic((out / path).string(), o.bytes));
      images.push_back({&o, path});
    } else if (std::optional<CsvTable> t = ParseCsv(o.bytes)) {
      SM_RETURN_IF_ERROR(
          WriteFileAtomic((out / "data" / (FileStem(name) + ".csv")).string(), o.bytes));
      tables.push_back({name, std::move(*t)});
    }
  }

  std::vector<StepRecord> steps;
  for (const store::Execution& e : executions) {
    std::string state(store::Name(e.state));
    std::transform(state.begin(), state.end(), state.begin(), ::tolower);
    steps.push_back({e.name, e.plugin, state});
  }
  page.Summary(Summarise(steps, documents, tables));
  page.Section("run", "Run");
  page.Text("<p>Run <b>" + Escape(run.name) + "</b>, started " +
            investigate::TimeText(run.create_time_ms) + ", " + std::to_string(executions.size()) +
            " executions.</p>");
  const auto params = ParameterRows(ParamsOf(run));
  if (!params.empty()) page.Table({"parameter", "value"}, params);
  StepsSection(page, executions);

  // Summary tables repeat the rows of the tables they gather; a figure is drawn once.
  std::set<std::string> drawn;
  auto draw = [&](const auto& figure) -> Status {
    if (!drawn.insert(Signature(figure)).second) return OkStatus();
    SM_ASSIGN_OR_RETURN(std::string path, gnuplot.Draw(figure));
    page.Figure(path, figure.title);
    ++summary.plots;
    return OkStatus();
  };
  if (!epoch_reports.empty() || !accuracy_rows.empty()) {
    page.Section("accuracy", "Model accuracy");
    for (const LinePlot& p : EpochPlots(epoch_reports)) SM_RETURN_IF_ERROR(draw(p));
    if (!accuracy_rows.empty()) page.Table({"output", "plugin", "test accuracy"}, accuracy_rows);
  }
  std::vector<LinePlot> colluders, pruning;
  std::vector<BarChart> privacy;
  for (const auto& [name, t] : tables) {
    for (LinePlot& p : ColluderPlots(name, t)) colluders.push_back(std::move(p));
    for (LinePlot& p : PruningPlots(name, t)) pruning.push_back(std::move(p));
    for (BarChart& c : PrivacyCharts(name, t)) privacy.push_back(std::move(c));
  }
  if (!colluders.empty()) {
    page.Section("colluders", "Detection and false alarm vs colluders");
    for (const LinePlot& p : colluders) SM_RETURN_IF_ERROR(draw(p));
  }
  if (!pruning.empty()) {
    page.Section("pruning", "Extraction accuracy vs pruning rate");
    for (const LinePlot& p : pruning) SM_RETURN_IF_ERROR(draw(p));
  }
  if (!privacy.empty()) {
    page.Section("privacy", "Privacy: reconstruction attacks per defender");
    for (const BarChart& c : privacy) SM_RETURN_IF_ERROR(draw(c));
  }
  if (!images.empty()) {
    page.Section("images", "Images");
    for (const auto& [o, path] : images) {
      page.Figure(path,
                  o->execution.name + "." + o->port + " (a" + std::to_string(o->artifact.id) + ")");
      ++summary.images;
    }
  }
  if (!tables.empty()) {
    page.Section("tables", "Tables");
    for (const auto& [name, t] : tables) {
      page.Text("<h3>" + Escape(name) + "</h3><p class=\"note\"><a href=\"data/" + FileStem(name) +
                ".csv\">CSV</a></p>");
      page.Table(t.columns, t.rows);
      ++summary.tables;
    }
  }
  SM_ASSIGN_OR_RETURN(store::LineageGraph graph, RunGraph(store, executions));
  page.Section("lineage", "Lineage");
  if (graph.executions.empty()) {
    page.Text("<p>The run recorded no executions.</p>");
  } else {
    SM_RETURN_IF_ERROR(DrawLineage(graph, out));
    page.Figure("lineage.svg", "Executions (boxes) and artifacts of the run");
    summary.lineage = true;
  }
  summary.index = (out / "index.html").string();
  SM_RETURN_IF_ERROR(WriteFileAtomic(summary.index, page.Html("securemark report: " + run.name)));
  return summary;
}

}  // namespace securemark::report
