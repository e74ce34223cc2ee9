// Resource quantities as pipelines write them: memory ("512M", "4G", or a number of
// megabytes) and durations ("90s", "30m", "2h", "1-12:00:00", "HH:MM:SS", or a number of
// seconds). Both read the way Slurm reads its own options, so a step's `runtime` means the
// same as the sbatch option it becomes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace securemark::pipeline {

// Megabytes (MiB), rounded up; nullopt for anything else, zero and negatives included.
std::optional<int64_t> ParseMemoryMb(const nlohmann::json& value);
// Whole seconds, rounded up; nullopt for anything else, zero and negatives included.
std::optional<int64_t> ParseDurationSeconds(const nlohmann::json& value);
// Slurm's time format: "D-HH:MM:SS", or "HH:MM:SS" under a day.
std::string FormatSlurmTime(int64_t seconds);

}  // namespace securemark::pipeline
