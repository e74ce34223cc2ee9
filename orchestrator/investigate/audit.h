// Audits answer "who got what, made from what, and who was named": each is a JSON
// document read from the store's lineage, printed as text or JSON by the CLI.
#pragma once

#include <nlohmann/json.hpp>

#include "securemark/status.h"
#include "store.h"

namespace securemark::investigate {

// Every model delivered to `customer`: when, by which run, the fingerprinting execution,
// the key, codebook and reference model, the training that produced the reference; and
// the investigations whose verdict named the customer.
StatusOr<nlohmann::json> AuditCustomer(store::Store& store, int64_t customer);

// One model artifact: what produced it (the chain of model-making executions back to
// training), to whom it was delivered, and the investigations that traced it or named
// its customer.
StatusOr<nlohmann::json> AuditModel(store::Store& store, int64_t artifact);

// Every run, newest first: pipeline, time, executions, deliveries, and for trace runs
// the verdict.
StatusOr<nlohmann::json> AuditRuns(store::Store& store);

std::string AuditCustomerText(const nlohmann::json& audit);
std::string AuditModelText(const nlohmann::json& audit);
std::string AuditRunsText(const nlohmann::json& audit);

// "3.1e-05", or "< 1e-300" where the fitted tail underflows.
std::string PValueText(double p);

// "2026-11-30 08:12:03 UTC"
std::string TimeText(int64_t time_ms);

}  // namespace securemark::investigate
