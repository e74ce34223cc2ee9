// The split server's checkpoints: a snapshot of the whole model after a round, written in
// the background as round-<N>.pt in the party's state directory, which outlives a crashed
// attempt. Load() returns the newest snapshot that reads back.
#pragma once

#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <torch/script.h>

#include "securemark/status.h"

namespace securemark::split {

struct Checkpoint {
  torch::jit::Module model;
  int64_t round = 0;
};

class CheckpointWriter {
 public:
  explicit CheckpointWriter(std::string dir);
  ~CheckpointWriter();

  StatusOr<std::optional<Checkpoint>> Load() const;
  // Snapshots the model unless the previous snapshot is still being written: training
  // never waits for the disk, and a resume loses at most the rounds of one write.
  void Offer(const torch::jit::Module& model, int64_t round);
  // Waits until the latest offered snapshot is on disk.
  void Flush();
  int64_t written() const { return written_; }

 private:
  void Loop();

  std::string dir_;
  std::mutex mutex_;
  std::condition_variable wake_, idle_;
  std::optional<Checkpoint> next_;
  bool busy_ = false;
  bool stopping_ = false;
  int64_t written_ = 0;
  std::thread thread_;
};

}  // namespace securemark::split
