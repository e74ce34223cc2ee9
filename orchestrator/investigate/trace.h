// Tracing a suspect model back to the customers who leaked it. The investigation is an
// ordinary pipeline run (name "trace") over artifacts already in the store, so it is
// recorded, cached and shown in lineage like any other run:
//   extract     align the suspect to the reference model, read F = X w
//   null@*      null models: random coalitions of delivered copies, averaged
//   calibrate   innocents' evidence on the null models -> threshold and p-values
//   detect      the deployment's detector, calibrated: accused customers and community
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "investigate/deployment.h"
#include "loader/plugin_catalog.h"
#include "runner/progress.h"

namespace securemark::investigate {

struct TraceOptions {
  std::string store_dir;
  std::string suspect_file;
  std::string deployment;  // see FindDeployment
  std::string detector;    // empty: the one the deployment used
  int null_models = 12;
  int max_null_coalition = 5;  // null coalitions have 1..this many members
  double false_accusation = 0.01;
  int jobs = 2;
};

struct Investigation {
  Deployment deployment;
  std::string run;  // the trace run's context name
  int64_t suspect = 0;
  std::string suspect_digest;
  std::optional<int64_t> identical_to_customer;  // the file is that customer's delivery
  int64_t accusation = 0;
  int64_t calibration = 0;
  nlohmann::json verdict;  // the detector's accusation document
};

StatusOr<Investigation> Trace(const TraceOptions& options, const PluginCatalog& catalog,
                              runner::ProgressSink& progress);

// The verdict and its evidence chain, for people.
std::string VerdictText(const Investigation& investigation);

// Investigations (trace runs) whose verdict accused `customer`, newest first, as
// {run, time_ms, suspect_file, p_value, evidence}.
StatusOr<std::vector<nlohmann::json>> InvestigationsNaming(store::Store& store, int64_t customer);

// Every trace run: {run, time_ms, suspect_file, deployment, accused: [users]}.
StatusOr<std::vector<nlohmann::json>> Investigations(store::Store& store);

}  // namespace securemark::investigate
