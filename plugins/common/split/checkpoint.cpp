#include "split/checkpoint.h"

#include <filesystem>
#include <iostream>

#include "models/model_zoo.h"
#include "securemark/files.h"

namespace securemark::split {
namespace fs = std::filesystem;

CheckpointWriter::CheckpointWriter(std::string dir)
    : dir_(std::move(dir)), thread_([this] { Loop(); }) {}

CheckpointWriter::~CheckpointWriter() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

StatusOr<std::optional<Checkpoint>> CheckpointWriter::Load() const {
  std::error_code ec;
  std::vector<std::pair<int64_t, fs::path>> found;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("round-", 0) != 0 || entry.path().extension() != ".pt") continue;
    try {
      found.emplace_back(std::stoll(name.substr(6)), entry.path());
    } catch (const std::exception&) {
    }
  }
  std::sort(found.rbegin(), found.rend());
  for (const auto& [round, path] : found) {
    StatusOr<std::string> bytes = ReadFile(path.string());
    if (!bytes.ok()) continue;
    StatusOr<torch::jit::Module> model = models::LoadModel(*bytes);
    if (model.ok()) return std::optional<Checkpoint>(Checkpoint{std::move(*model), round});
  }
  return std::optional<Checkpoint>();
}

void CheckpointWriter::Offer(const torch::jit::Module& model, int64_t round) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (busy_ || next_) return;
  }
  Checkpoint snapshot{model.deepcopy(), round};
  {
    std::lock_guard<std::mutex> lock(mutex_);
    next_ = std::move(snapshot);
  }
  wake_.notify_all();
}

void CheckpointWriter::Flush() {
  std::unique_lock<std::mutex> lock(mutex_);
  idle_.wait(lock, [&] { return !next_ && !busy_; });
}

void CheckpointWriter::Loop() {
  for (;;) {
    Checkpoint c;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || next_; });
      if (!next_) return;
      c = std::move(*next_);
      next_.reset();
      busy_ = true;
    }
    std::error_code ec;
    fs::create_directories(dir_, ec);
    const fs::path path = fs::path(dir_) / ("round-" + std::to_string(c.round) + ".pt");
    Status written = WriteFileAtomic(path.string(), models::SaveModel(c.model));
    if (written.ok()) {
      ++written_;
      // Only the newest checkpoint is kept.
      for (const auto& entry : fs::directory_iterator(dir_, ec)) {
        if (entry.path() != path && entry.path().filename().string().rfind("round-", 0) == 0)
          fs::remove(entry.path(), ec);
      }
    } else {
      std::cerr << "checkpoint: " << written.message() << "\n";
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      busy_ = false;
    }
    idle_.notify_all();
  }
}

}  // namespace securemark::split
