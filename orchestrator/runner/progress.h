// What a run shows while it runs: live lines with progress bars and ETAs on a terminal,
// timestamped log lines otherwise, or one JSON object per line with --json.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace securemark::runner {

struct RunSummary {
  std::string run;  // run context name
  int completed = 0;
  int cached = 0;
  int failed = 0;
  int skipped = 0;
  double seconds = 0;
  std::vector<std::string> failures;  // "step: error"
  bool ok() const { return failed == 0 && skipped == 0; }
};

class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  virtual void RunStarted(const std::string& run, const std::string& store, size_t instances) = 0;
  virtual void StepStarted(const std::string& step, const std::string& host, int attempt) = 0;
  virtual void StepProgress(const std::string& step, double done, double total,
                            const std::string& what) = 0;
  virtual void StepLog(const std::string& step, int level, const std::string& message) = 0;
  // state: COMPLETE, CACHED, FAILED, SKIPPED, RETRY
  virtual void StepFinished(const std::string& step, const std::string& state, double seconds,
                            const std::string& detail) = 0;
  virtual void Note(const std::string& message) = 0;
  virtual void RunFinished(const RunSummary& summary) = 0;
};

enum class ProgressMode { kAuto, kTerminal, kPlain, kJson };

std::unique_ptr<ProgressSink> MakeProgressSink(ProgressMode mode);

}  // namespace securemark::runner
