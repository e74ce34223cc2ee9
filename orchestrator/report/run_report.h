// `securemark report`: one run as a static HTML page that opens offline: what ran, the
// results as tables, plots drawn by gnuplot (accuracy per epoch, detection and false alarm
// vs colluders, extraction accuracy vs pruning rate, privacy metrics per attack and
// defender), the images steps produced, and the run's lineage drawn by Graphviz.
// Secret artifacts never enter a report.
#pragma once

#include <string>
#include <vector>

#include "securemark/status.h"
#include "store.h"

namespace securemark::report {

struct ReportSummary {
  std::string run;
  std::string index;  // path of index.html
  int plots = 0;
  int tables = 0;
  int images = 0;
  bool lineage = false;
};

// `run`: a run name, a pipeline name (its newest run) or empty (the newest run).
StatusOr<store::ContextRecord> FindRun(store::Store& store, const std::string& run);

// Writes <out_dir>/index.html with plots/, images/, data/ and lineage.svg beside it.
// Files already in out_dir with other names are left alone.
StatusOr<ReportSummary> WriteRunReport(store::Store& store, const store::ContextRecord& run,
                                       const std::string& out_dir);

}  // namespace securemark::report
