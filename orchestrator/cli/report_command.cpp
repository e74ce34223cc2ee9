// `securemark report RUN --out DIR`: a run as a static HTML page with plots and lineage.
#include <iostream>

#include "cli/commands.h"
#include "report/run_report.h"

namespace securemark::cli {
namespace {

struct ReportArgs {
  std::string store_path;
  std::string run;
  std::string out_dir;
};

int Report(const ReportArgs& a) {
  auto store = OpenStoreToRead(a.store_path);
  if (!store.ok()) return Fail(store.status());
  StatusOr<store::ContextRecord> run = report::FindRun(**store, a.run);
  if (!run.ok()) return Fail(run.status());
  std::cerr << "writing the report of " << run->name << " to " << a.out_dir << "\n";
  StatusOr<report::ReportSummary> summary = report::WriteRunReport(**store, *run, a.out_dir);
  if (!summary.ok()) return Fail(summary.status());
  std::cout << summary->index << ": " << summary->plots << " plots, " << summary->tables
            << " tables, " << summary->images << " images"
            << (summary->lineage ? ", lineage graph" : "") << "\n";
  return kExitOk;
}

}  // namespace

void AddReportCommand(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<ReportArgs>();
  auto* cmd = app.add_subcommand(
      "report",
      "Write a run's results as a static HTML report (plots by gnuplot, lineage by Graphviz)\n"
      "Example: securemark report deepmarks-fmnist --store runs/ --out report/ && "
      "xdg-open report/index.html");
  cmd->add_option("run", a->run, "Run name, pipeline name (its newest run) or 'latest'")
      ->required();
  AddStoreOption(cmd, a->store_path);
  cmd->add_option("--out,-o", a->out_dir, "Directory to write index.html and its files into")
      ->required();
  cmd->callback([&exit_code, a] { exit_code = Report(*a); });
}

}  // namespace securemark::cli
