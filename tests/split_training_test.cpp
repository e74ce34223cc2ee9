// Split learning end to end under `securemark run`: a server and data owners as separate
// host processes over CURVE ZeroMQ, on Fashion-MNIST. Checks that nothing an owner sends
// contains its images, that the store learns only digests and counts of owner data, and
// that a killed server resumes from its checkpoint.
#include <cmath>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <unordered_map>

#include <gtest/gtest.h>

#include "data/idx_reader.h"
#include "run_fixture.h"

namespace securemark {
namespace {

const std::string kFmnist = "/usr/share/datasets/fashion-mnist/";

class SplitTrainingTest : public RunFixture {
 protected:
  std::string Pipeline(const std::string& server_with, int owners, int limit,
                       const std::string& runtime = "") {
    return Write("split", R"(steps:
  - id: test_set
    uses: dataset.idx
    with: {split: test, limit: 500}
  - id: no_defence
    uses: defender.none
  - id: mlp2
    uses: defender.mlp
    with: {variant: 2}
  - id: train
    inputs: {test: test_set.dataset, owner/defenders: [no_defence.model, mlp2.model]}
)" + runtime + R"(
    parties:
      - name: server
        uses: server_trainer.split
        with: )" + server_with +
                              R"(
      - name: owner
        uses: data_owner.node
        count: )" + std::to_string(owners) +
                              R"(
        with:
          images: )" + kFmnist +
                              R"(train-images-idx3-ubyte.gz
          labels: )" + kFmnist +
                              R"(train-labels-idx1-ubyte.gz
          limit: )" + std::to_string(limit) +
                              R"(
)");
  }

  json Artifact(const std::string& name) {
    auto s = Store();
    auto stmt = s->db().Prepare("SELECT id FROM artifacts WHERE name=? ORDER BY id DESC");
    stmt->Bind(1, name);
    if (!*stmt->Step()) return json();
    return json::parse(*s->ReadArtifact(stmt->Int(0)));
  }
};

// Rows of the owners' images worth finding: at least 8 lit pixels.
std::vector<std::string> DistinctiveRows(const Tensor& images, int64_t n) {
  std::vector<std::string> rows;
  const int64_t w = images.dim(2);
  for (int64_t i = 0; i < n * images.dim(1); ++i) {
    std::string row(images.raw_data() + i * w, static_cast<size_t>(w));
    if (std::count_if(row.begin(), row.end(), [](char c) { return c != 0; }) >= 8)
      rows.push_back(row);
  }
  return rows;
}

// How many of `rows` occur in `haystack` byte for byte. Each needle is keyed by the 8
// bytes from its first non-zero byte on, so that the zeros every tensor is full of match
// nothing, and every offset of the haystack costs one hash lookup.
size_t Occurrences(const std::string& haystack, const std::vector<std::string>& rows) {
  struct Needle {
    std::string bytes;
    size_t key_at;
  };
  std::unordered_map<uint64_t, std::vector<Needle>> by_key;
  for (const std::string& needle : rows) {
    const size_t k = std::min(needle.find_first_not_of('\0'), needle.size() - 8);
    uint64_t key;
    std::memcpy(&key, needle.data() + k, 8);
    by_key[key].push_back({needle, k});
  }
  std::set<std::string> found;
  for (size_t i = 0; i + 8 <= haystack.size(); ++i) {
    uint64_t key;
    std::memcpy(&key, haystack.data() + i, 8);
    auto it = by_key.find(key);
    if (it == by_key.end()) continue;
    for (const Needle& n : it->second) {
      if (i >= n.key_at && haystack.compare(i - n.key_at, n.bytes.size(), n.bytes) == 0)
        found.insert(n.bytes);
    }
  }
  return found.size();
}

float HalfToFloat(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  float magnitude;
  if (exponent == 0)
    magnitude = std::ldexp(static_cast<float>(mantissa), -24);
  else if (exponent == 31)
    magnitude = mantissa ? std::nanf("") : INFINITY;
  else
    magnitude = std::ldexp(static_cast<float>(mantissa | 0x400), static_cast<int>(exponent) - 25);
  return sign ? -magnitude : magnitude;
}

// A pixel value as two bytes, so that "no pixel" (0xFFFF) differs from every pixel.
void PutPixel(std::string& out, int pixel) {
  out += static_cast<char>(pixel < 0 ? 0xFF : pixel);
  out += static_cast<char>(pixel < 0 ? 0xFF : 0);
}
std::string PixelRow(const std::string& row) {
  std::string out;
  for (char c : row) PutPixel(out, static_cast<unsigned char>(c));
  return out;
}

// The ways a careless change could put an image on the wire: its bytes, or floats of
// 16, 32 or 64 bits holding x/255 or the model's normalisation (x/255 - mean)/std.
struct Encoding {
  std::string name;
  int width;  // bytes per value; 1: the image's own bytes
  double mean = 0, std = 1;
};

// `haystack` read as `e.width`-byte values from every alignment, each value mapped back
// to the pixel it would encode (within 0.02 of a grey level; 0.2 for float16, whose 10
// mantissa bits space values near 1 a quarter of a grey level apart), or to "no pixel".
// Matching grey levels instead of exact bits finds an image whatever rounding produced
// the floats.
std::vector<std::string> AsPixelStreams(const std::string& haystack, const Encoding& e) {
  if (e.width == 1) return {PixelRow(haystack)};
  const double tolerance = e.width == 2 ? 0.2 : 0.02;
  std::vector<std::string> streams;
  for (int align = 0; align < e.width; ++align) {
    std::string out;
    for (size_t i = align; i + e.width <= haystack.size(); i += e.width) {
      double v;
      if (e.width == 2) {
        uint16_t h;
        std::memcpy(&h, haystack.data() + i, 2);
        v = HalfToFloat(h);
      } else if (e.width == 4) {
        float f;
        std::memcpy(&f, haystack.data() + i, 4);
        v = f;
      } else {
        std::memcpy(&v, haystack.data() + i, 8);
      }
      const double grey = (v * e.std + e.mean) * 255.0;
      const double level = std::round(grey);
      PutPixel(out, std::isfinite(grey) && std::abs(grey - level) < tolerance && level >= 0 &&
                            level <= 255
                        ? static_cast<int>(level)
                        : -1);
    }
    streams.push_back(std::move(out));
  }
  return streams;
}

size_t FoundIn(const std::string& haystack, const std::vector<std::string>& rows,
               const Encoding& e) {
  std::vector<std::string> needles;
  for (const std::string& row : rows) needles.push_back(PixelRow(row));
  size_t found = 0;
  for (const std::string& stream : AsPixelStreams(haystack, e))
    found += Occurrences(stream, needles);
  return found;
}

// The encodings of `rows` themselves, laid end to end (to show the scan finds each).
std::string Encode(const std::vector<std::string>& rows, const Encoding& e) {
  std::string out = "header";
  for (const std::string& row : rows) {
    for (char c : row) {
      const double x = static_cast<unsigned char>(c) / 255.0;
      const float xf = static_cast<float>(static_cast<unsigned char>(c)) / 255.0f;
      const float normalised = (xf - static_cast<float>(e.mean)) / static_cast<float>(e.std);
      if (e.width == 1) {
        out += c;
      } else if (e.width == 2) {
        // float16 from a float32, rounded to nearest.
        const float f = e.mean == 0 && e.std == 1 ? xf : normalised;
        uint32_t bits;
        std::memcpy(&bits, &f, 4);
        bits += 0x1000;  // round to the nearest of the 10 mantissa bits kept
        const int exponent = static_cast<int>((bits >> 23) & 0xff) - 127 + 15;
        uint16_t h = static_cast<uint16_t>((bits >> 16) & 0x8000);
        if (exponent > 0) h |= static_cast<uint16_t>((exponent << 10) | ((bits >> 13) & 0x3ff));
        out.append(reinterpret_cast<const char*>(&h), 2);
      } else if (e.width == 4) {
        const float f = e.mean == 0 && e.std == 1 ? xf : normalised;
        out.append(reinterpret_cast<const char*>(&f), 4);
      } else {
        const double d = (x - e.mean) / e.std;
        out.append(reinterpret_cast<const char*>(&d), 8);
      }
    }
  }
  return out;
}

TEST_F(SplitTrainingTest, OwnersSendNoImagesAndTheStoreKeepsOnlyDigestsAndCounts) {
  const std::string transcript = dir_ + "/server-transcript.bin";
  std::string file =
      Pipeline("{epochs: 1, batch: 16, sync_every: 5, transcript: " + transcript + "}", 4, 800);
  Run run = RunPipeline(file);
  ASSERT_EQ(run.exit_code, 0) << run.stderr_text;
  json report = Artifact("train.report");
  EXPECT_EQ(report["owners"], 4);
  EXPECT_EQ(report["rounds"], 13);  // 200 examples per owner, 16 per round
  EXPECT_GT(report["test_accuracy"].get<double>(), 0.3) << report.dump();
  EXPECT_TRUE(report["events"].empty()) << report.dump();
  int64_t examples = 0;
  std::set<std::string> defenders;
  for (int i = 0; i < 4; ++i) {
    json summary = Artifact("train.owner@" + std::to_string(i) + "/summary");
    examples += summary["examples"].get<int64_t>();
    EXPECT_EQ(summary["data_digest"].get<std::string>().size(), 64u);
    EXPECT_EQ(summary["rounds"], 13);
    defenders.insert(summary["defender"].get<std::string>());
  }
  EXPECT_EQ(examples, 800);
  EXPECT_EQ(defenders, (std::set<std::string>{"defender.none", "defender.mlp:2"}));

  // Everything the server received, and everything in the store, against every row of
  // the owners' images as bytes and as the floats a model would see.
  auto images = data::ReadIdxFile(kFmnist + "train-images-idx3-ubyte.gz", 800);
  ASSERT_TRUE(images.ok());
  const std::vector<std::string> rows = DistinctiveRows(*images, 800);
  ASSERT_GT(rows.size(), 10000u);
  std::string received = *ReadFile(transcript);
  EXPECT_NE(received.find("owner@3 ACT"), std::string::npos);
  // The normalisation the model applies, from the owners' pixels as the server computes it.
  double sum = 0, sq = 0;
  for (int64_t i = 0; i < images->numel(); ++i) {
    const double x = static_cast<unsigned char>(images->raw_data()[i]) / 255.0;
    sum += x;
    sq += x * x;
  }
  const double mean = sum / images->numel(), std = std::sqrt(sq / images->numel() - mean * mean);
  const std::vector<Encoding> encodings = {{"uint8", 1},
                                           {"float16 x/255", 2},
                                           {"float32 x/255", 4},
                                           {"float64 x/255", 8},
                                           {"float16 (x/255-mean)/std", 2, mean, std},
                                           {"float32 (x/255-mean)/std", 4, mean, std},
                                           {"float64 (x/255-mean)/std", 8, mean, std}};
  const std::vector<std::string> some(rows.begin(), rows.begin() + 50);
  for (const Encoding& e : encodings) {
    // The scan finds rows in this encoding (here 50 rows put there on purpose)...
    EXPECT_EQ(FoundIn(Encode(some, e), some, e), some.size()) << e.name;
    // ...and finds none in what the server received.
    EXPECT_EQ(FoundIn(received, rows, e), 0u) << e.name;
  }
  std::string stored;
  for (const auto& entry : fs::recursive_directory_iterator(dir_ + "/store/blobs"))
    if (entry.is_regular_file()) stored += *ReadFile(entry.path().string());
  EXPECT_EQ(FoundIn(stored, rows, encodings[0]), 0u);
  EXPECT_EQ(FoundIn(stored, rows, encodings[2]), 0u);
  // The check can find rows: the test images, which dataset.idx stored, are found.
  auto test_images = data::ReadIdxFile(kFmnist + "t10k-images-idx3-ubyte.gz", 500);
  const std::vector<std::string> test_rows = DistinctiveRows(*test_images, 500);
  EXPECT_GT(FoundIn(stored, test_rows, encodings[0]), test_rows.size() / 2);
}

TEST_F(SplitTrainingTest, AKilledServerResumesFromItsCheckpoint) {
  std::string file =
      Pipeline("{max_rounds: 300, batch: 8, sync_every: 10}", 2, 400, "    runtime: {retries: 1}");
  const std::string out = dir_ + "/events.jsonl";
  auto pid = StartProcess({"/bin/sh", "-c",
                           kEnv + kBuild + "/bin/securemark run " + file + " --store " + dir_ +
                               "/store --json > " + out + " 2>" + dir_ + "/stderr.txt"});
  ASSERT_TRUE(pid.ok());
  // Wait for the server's host to be named and training to be under way.
  std::string server_host;
  bool killed = false;
  for (int i = 0; i < 1200 && !killed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::ifstream events(out);
    std::string line;
    double done = 0;
    while (std::getline(events, line)) {
      json e = json::parse(line, nullptr, false);
      if (e.is_discarded()) continue;
      const std::string message = e.value("message", "");
      if (message.find("for party server of train") != std::string::npos)
        server_host =
            message.substr(std::string("started plugin host ").size(),
                           message.find(" for") - std::string("started plugin host ").size());
      if (e.value("event", "") == "step_progress" && e.value("step", "") == "train")
        done = e.value("done", 0.0);
    }
    if (!server_host.empty() && done >= 40) {
      // Host ids repeat across runs, and other tests run at the same time: only a host
      // started by this run (a child of its securemark process, under the shell) will do.
      std::string host_pid;
      auto runs = RunProcess({"pgrep", "-P", std::to_string(*pid)}, true);
      ASSERT_TRUE(runs.ok());
      std::istringstream parents(std::to_string(*pid) + "\n" + runs->output);
      for (std::string parent; host_pid.empty() && std::getline(parents, parent);) {
        if (parent.empty()) continue;
        auto pids =
            RunProcess({"pgrep", "-P", parent, "-f", "--", "--id " + server_host + " "}, true);
        ASSERT_TRUE(pids.ok());
        host_pid = pids->output.substr(0, pids->output.find('\n'));
      }
      ASSERT_FALSE(host_pid.empty()) << server_host;
      ::kill(std::stoi(host_pid), SIGKILL);
      killed = true;
    }
  }
  ASSERT_TRUE(killed);
  auto finished = WaitProcess(*pid);
  ASSERT_TRUE(finished.ok());
  EXPECT_EQ(finished->exit_code, 0) << *ReadFile(dir_ + "/stderr.txt");
  EXPECT_EQ(Count("SELECT count(*) FROM executions WHERE name='train' AND state='FAILED'"), 1);
  json report = Artifact("train.report");
  ASSERT_TRUE(report["resumed_at_round"].is_number()) << report.dump();
  EXPECT_GE(report["resumed_at_round"].get<int64_t>(), 30);
  EXPECT_EQ(report["rounds"].get<int64_t>() + report["resumed_at_round"].get<int64_t>(), 300);
  // The finished step's checkpoints are gone.
  EXPECT_TRUE(!fs::exists(dir_ + "/store/state") || fs::is_empty(dir_ + "/store/state"));
}

}  // namespace
}  // namespace securemark
