#include "runner/progress.h"

#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "util/printable.h"

namespace securemark::runner {
namespace {

using Clock = std::chrono::steady_clock;

std::string Timestamp() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buffer[16];
  std::strftime(buffer, sizeof buffer, "%H:%M:%S", &tm);
  return buffer;
}

std::string Seconds(double s) {
  char buffer[32];
  if (s < 60)
    std::snprintf(buffer, sizeof buffer, "%.1fs", s);
  else
    std::snprintf(buffer, sizeof buffer, "%dm%02ds", static_cast<int>(s) / 60,
                  static_cast<int>(s) % 60);
  return buffer;
}

std::string SummaryLine(const RunSummary& s) {
  std::ostringstream os;
  os << "run " << s.run << ": " << s.completed << " completed, " << s.cached << " cached, "
     << s.failed << " failed, " << s.skipped << " skipped in " << Seconds(s.seconds);
  return os.str();
}

class PlainProgress : public ProgressSink {
 public:
  void RunStarted(const std::string& run, const std::string& store, size_t n) override {
    Line("run " + run + ": " + std::to_string(n) + " step instances, store " + store);
  }
  void StepStarted(const std::string& step, const std::string& host, int attempt) override {
    Line(step + ": started on " + host +
         (attempt > 1 ? " (attempt " + std::to_string(attempt) + ")" : ""));
  }
  void StepProgress(const std::string& step, double done, double total,
                    const std::string& what) override {
    // At most one line per step every 5 seconds: logs stay readable.
    auto now = Clock::now();
    auto& last = last_[step];
    if (now - last < std::chrono::seconds(5)) return;
    last = now;
    char line[64];
    std::snprintf(line, sizeof line, "%.4g/%.4g ", done, total);
    Line(step + ": " + line + what);
  }
  void StepLog(const std::string& step, int level, const std::string& message) override {
    static const char* kLevels[] = {"debug", "info", "warning", "error"};
    Line(step + ": " + kLevels[std::clamp(level, 0, 3)] + ": " + message);
  }
  void StepFinished(const std::string& step, const std::string& state, double seconds,
                    const std::string& detail) override {
    Line(step + ": " + state + " (" + Seconds(seconds) + ")" +
         (detail.empty() ? "" : ": " + detail));
  }
  void Note(const std::string& message) override { Line(message); }
  void RunFinished(const RunSummary& s) override {
    Line(SummaryLine(s));
    for (const auto& f : s.failures) Line("  failed: " + f);
  }

 private:
  void Line(const std::string& text) {
    std::cerr << Timestamp() << " " << Printable(text) << std::endl;
  }
  std::map<std::string, Clock::time_point> last_;
};

class JsonProgress : public ProgressSink {
 public:
  void RunStarted(const std::string& run, const std::string& store, size_t n) override {
    Emit({{"event", "run_started"}, {"run", run}, {"store", store}, {"instances", n}});
  }
  void StepStarted(const std::string& step, const std::string& host, int attempt) override {
    Emit({{"event", "step_started"}, {"step", step}, {"host", host}, {"attempt", attempt}});
  }
  void StepProgress(const std::string& step, double done, double total,
                    const std::string& what) override {
    Emit({{"event", "step_progress"},
          {"step", step},
          {"done", done},
          {"total", total},
          {"unit", what}});
  }
  void StepLog(const std::string& step, int level, const std::string& message) override {
    Emit({{"event", "step_log"}, {"step", step}, {"level", level}, {"message", message}});
  }
  void StepFinished(const std::string& step, const std::string& state, double seconds,
                    const std::string& detail) override {
    Emit({{"event", "step_finished"},
          {"step", step},
          {"state", state},
          {"seconds", seconds},
          {"detail", detail}});
  }
  void Note(const std::string& message) override {
    Emit({{"event", "note"}, {"message", message}});
  }
  void RunFinished(const RunSummary& s) override {
    Emit({{"event", "run_finished"},
          {"run", s.run},
          {"completed", s.completed},
          {"cached", s.cached},
          {"failed", s.failed},
          {"skipped", s.skipped},
          {"seconds", s.seconds},
          {"failures", s.failures}});
  }

 private:
  void Emit(nlohmann::json j) {
    j["time"] =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  }
};

// Redraws one line per running step below the scrolling log of finished ones.
class TerminalProgress : public ProgressSink {
 public:
  void RunStarted(const std::string& run, const std::string& store, size_t n) override {
    Print("run " + run + ": " + std::to_string(n) + " step instances, store " + store);
  }
  void StepStarted(const std::string& step, const std::string& host, int attempt) override {
    running_[step] = {Clock::now(), 0, 0, "", host, attempt};
    Redraw();
  }
  void StepProgress(const std::string& step, double done, double total,
                    const std::string& what) override {
    auto it = running_.find(step);
    if (it == running_.end()) return;
    it->second.done = done;
    it->second.total = total;
    it->second.what = what;
    if (Clock::now() - last_draw_ > std::chrono::milliseconds(100)) Redraw();
  }
  void StepLog(const std::string& step, int level, const std::string& message) override {
    if (level >= 2) Print(step + ": " + message);
  }
  void StepFinished(const std::string& step, const std::string& state, double seconds,
                    const std::string& detail) override {
    running_.erase(step);
    const char* mark = state == "COMPLETE" ? "\033[32m✓\033[0m"
                       : state == "CACHED" ? "\033[36m=\033[0m"
                       : state == "RETRY"  ? "\033[33m↻\033[0m"
                                           : "\033[31m✗\033[0m";
    Print(std::string(mark) + " " + step + " " + state + " " + Seconds(seconds) +
          (detail.empty() ? "" : ": " + detail));
  }
  void Note(const std::string& message) override { Print(message); }
  void RunFinished(const RunSummary& s) override {
    running_.clear();
    Print(SummaryLine(s));
    for (const auto& f : s.failures) Print("  failed: " + f);
  }

 private:
  struct Live {
    Clock::time_point started;
    double done, total;
    std::string what, host;
    int attempt;
  };

  void Clear() {
    for (int i = 0; i < drawn_; ++i) std::cerr << "\033[1A\033[2K";
    drawn_ = 0;
  }
  void Print(const std::string& text) {
    const std::string line = Printable(text);
    Clear();
    std::cerr << line << "\n";
    Redraw();
  }
  void Redraw() {
    Clear();
    for (const auto& [step, live] : running_) {
      double elapsed = std::chrono::duration<double>(Clock::now() - live.started).count();
      std::string bar, eta;
      if (live.total > 0) {
        const int width = 24;
        double f = std::clamp(live.done / live.total, 0.0, 1.0);
        int filled = static_cast<int>(f * width);
        bar = "[" + std::string(filled, '#') + std::string(width - filled, '.') + "] " +
              std::to_string(static_cast<int>(f * 100)) + "%";
        if (f > 0.01) eta = " ETA " + Seconds(elapsed * (1 - f) / f);
      }
      std::cerr << "  " << step << " " << bar << " " << Seconds(elapsed) << eta << "\n";
      ++drawn_;
    }
    std::cerr.flush();
    last_draw_ = Clock::now();
  }

  std::map<std::string, Live> running_;
  int drawn_ = 0;
  Clock::time_point last_draw_;
};

}  // namespace

std::unique_ptr<ProgressSink> MakeProgressSink(ProgressMode mode) {
  if (mode == ProgressMode::kAuto)
    mode = isatty(STDERR_FILENO) ? ProgressMode::kTerminal : ProgressMode::kPlain;
  switch (mode) {
    case ProgressMode::kJson:
      return std::make_unique<JsonProgress>();
    case ProgressMode::kTerminal:
      return std::make_unique<TerminalProgress>();
    default:
      return std::make_unique<PlainProgress>();
  }
}

}  // namespace securemark::runner
