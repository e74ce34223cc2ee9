// Early stopping on a validation score (higher is better): keeps the best epoch and says
// when `patience` epochs in a row have not beaten it. Patience 0 never stops early.
#pragma once

#include <cstdint>

namespace securemark::models {

class EarlyStopping {
 public:
  explicit EarlyStopping(int64_t patience) : patience_(patience) {}

  // Records an epoch's score; true when it is the best so far (keep this model).
  bool Record(int64_t epoch, double score) {
    last_epoch_ = epoch;
    if (best_epoch_ > 0 && score <= best_) return false;
    best_ = score;
    best_epoch_ = epoch;
    return true;
  }
  bool ShouldStop() const { return patience_ > 0 && last_epoch_ - best_epoch_ >= patience_; }

  int64_t best_epoch() const { return best_epoch_; }
  double best() const { return best_; }

 private:
  int64_t patience_;
  int64_t best_epoch_ = 0, last_epoch_ = 0;
  double best_ = 0;
};

}  // namespace securemark::models
