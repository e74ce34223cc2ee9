// Nothing a reader of the store's metadata sees lets them redraw a secret. The test plays
// that reader against a real deployment: it gathers what `show`, `lineage --format
// openlineage`, `audit` and `report` reveal, then replays every execution that made a
// secret artifact, in a scratch store of its own, with the parameters it shows and with
// every number revealed anywhere in place of each of its seeds. Secret inputs are
// replaced by the replay's own best guesses. No replay may reproduce a secret byte for
// byte.
#include <sys/stat.h>

#include <regex>
#include <set>

#include "investigation_fixture.h"
#include "pipeline/secret_params.h"
#include "securemark/files.h"
#include "sqlite.h"
#include "store.h"

namespace securemark {
namespace {

std::vector<int64_t> Ids(store::Store& s, const std::string& sql) {
  std::vector<int64_t> ids;
  auto stmt = s.db().Prepare(sql);
  EXPECT_TRUE(stmt.ok());
  while (*stmt->Step()) ids.push_back(stmt->Int(0));
  return ids;
}

class SecretsTest : public InvestigationTest {
 protected:
  // Everything the metadata reveals, as text.
  static std::string PublicText(store::Store& s) {
    std::string text, out;
    for (int64_t id : Ids(s, "SELECT id FROM executions")) {
      EXPECT_EQ(Securemark("show e" + std::to_string(id) + " --store " + Store(), &out), 0);
      text += out;
    }
    for (int64_t id : Ids(s, "SELECT id FROM artifacts")) {
      EXPECT_EQ(Securemark("show a" + std::to_string(id) + " --store " + Store(), &out), 0);
      text += out;
      if (id % 7 == 1 || id < 8) {  // the graph is connected: a sample covers every node
        EXPECT_EQ(Securemark(
                      "lineage a" + std::to_string(id) + " --format openlineage --store " + Store(),
                      &out),
                  0);
        text += out;
      }
    }
    EXPECT_EQ(Securemark("audit runs --store " + Store(), &out), 0);
    text += out;
    EXPECT_EQ(Securemark("audit customer 0 --store " + Store(), &out), 0);
    text += out;
    const std::string report = Dir() + "/public-report";
    fs::remove_all(report);
    EXPECT_EQ(Securemark("report deepmarks-fmnist --store " + Store() + " --out " + report, &out),
              0)
        << out;
    for (const auto& entry : fs::recursive_directory_iterator(report)) {
      if (!entry.is_regular_file()) continue;
      StatusOr<std::string> file = ReadFile(entry.path().string());
      if (file.ok()) text += *file;
    }
    return text;
  }

  // The numbers someone could have typed as a seed: every number in a parameter value
  // shown (executions' and runs' params, which `show` and the OpenLineage export print),
  // and every small one anywhere in the text.
  static std::vector<int64_t> Candidates(store::Store& s, const std::string& text) {
    static const std::regex kNumber(R"((^|[^0-9A-Za-z.])([0-9]{1,9})(?![0-9A-Za-z]))");
    std::set<int64_t> found;
    auto numbers_in = [&](const std::string& t, int64_t below) {
      for (std::sregex_iterator it(t.begin(), t.end(), kNumber), end; it != end; ++it) {
        const int64_t n = std::stoll((*it)[2].str());
        if (n < below) found.insert(n);
      }
    };
    numbers_in(text, 65);
    auto params = s.db().Prepare("SELECT params FROM executions");
    EXPECT_TRUE(params.ok());
    while (*params->Step()) {
      const std::string shown = params->Text(0);
      EXPECT_NE(text.find(shown), std::string::npos) << "not shown: " << shown;
      numbers_in(shown, int64_t{1} << 40);
    }
    // A run's params are recorded too (the report reads them).
    auto runs = s.db().Prepare("SELECT string_value FROM context_properties WHERE name = 'params'");
    EXPECT_TRUE(runs.ok());
    while (*runs->Step()) numbers_in(runs->Text(0), int64_t{1} << 40);
    return {found.begin(), found.end()};
  }
};

// A replay pipeline step: the plugin of `e` with the parameters it shows (secret ones
// dropped), `seed_param` (if any) drawn from the candidates, and inputs bound to `inputs`.
std::string ReplayStep(const std::string& id, const store::Execution& e,
                       const std::map<std::string, std::string>& inputs,
                       const std::string& seed_param, const std::string& candidates) {
  json with = json::parse(e.params_json);
  for (auto it = with.begin(); it != with.end();) {
    if (it.value() == pipeline::kSecretShown) {
      it = with.erase(it);
    } else {
      ++it;
    }
  }
  if (with.contains("max_batches")) with["max_batches"] = 1;  // keys do not depend on it
  if (!seed_param.empty()) with[seed_param] = "${{ item }}";
  std::string yaml = "  - id: " + id + "\n    uses: " + e.plugin + "\n";
  if (!seed_param.empty()) yaml += "    foreach: " + candidates + "\n";
  yaml += "    inputs: {";
  for (const auto& [port, ref] : inputs) yaml += port + ": \"" + ref + "\", ";
  yaml += "}\n    with: " + with.dump() + "\n";
  return yaml;
}

TEST_F(SecretsTest, NothingTheMetadataShowsRedrawsASecret) {
  auto victim = store::Store::Open(Store(), /*create=*/false);
  ASSERT_TRUE(victim.ok());
  store::Store& s = **victim;
  const std::string text = PublicText(s);
  const std::vector<int64_t> numbers = Candidates(s, text);
  ASSERT_GE(numbers.size(), 65u);
  json candidates = numbers;

  // The secrets of the deployment the fixture made (its newest run: an older one in a
  // reused test directory may have been made with an explicit, guessable seed), and one
  // execution per plugin that made them.
  auto runs = s.ListContexts(store::ContextType::kRun);
  ASSERT_TRUE(runs.ok());
  auto run = std::find_if(runs->begin(), runs->end(), [](const store::ContextRecord& c) {
    return c.name.rfind("deepmarks-fmnist-", 0) == 0;
  });
  ASSERT_NE(run, runs->end());
  auto executions = s.ExecutionsInContext(run->id);
  ASSERT_TRUE(executions.ok());
  std::set<std::string> secret_digests;
  std::map<std::string, store::Execution> makers;
  for (const store::Execution& e : *executions) {
    auto events = s.EventsOfExecution(e.id);
    ASSERT_TRUE(events.ok());
    for (const store::Event& ev : *events) {
      auto a = s.GetArtifact(ev.artifact_id);
      if (ev.type != store::EventType::kOutput || !a->secret) continue;
      secret_digests.insert(a->digest);
      makers.emplace(e.plugin, e);
    }
  }
  ASSERT_GE(secret_digests.size(), 3u);  // codebook, basis, key
  ASSERT_GE(makers.size(), 2u);          // the code and the embedding

  const std::string scratch_dir = Dir() + "/attacker";
  fs::remove_all(scratch_dir);
  auto scratch = store::Store::Open(scratch_dir + "/store");
  ASSERT_TRUE(scratch.ok());
  std::string yaml = "apiVersion: securemark/v1\nname: replay\nsteps:\n";
  std::map<int64_t, std::string> guessed;  // secret artifact in the victim -> replay output
  std::vector<std::pair<int64_t, std::string>> ordered;
  for (const auto& [plugin, e] : makers) ordered.emplace_back(e.id, plugin);
  std::sort(ordered.begin(), ordered.end());
  int step = 0;
  for (const auto& [execution, plugin] : ordered) {
    const store::Execution& e = makers.at(plugin);
    std::map<std::string, std::string> inputs;
    auto events = s.EventsOfExecution(e.id);
    ASSERT_TRUE(events.ok());
    for (const store::Event& ev : *events) {
      auto a = s.GetArtifact(ev.artifact_id);
      ASSERT_TRUE(a.ok());
      if (ev.type == store::EventType::kOutput) continue;
      const std::string port = ev.path.substr(0, ev.path.find('['));
      if (a->secret) {
        // The best guess: the replay of its maker with the parameters shown.
        if (guessed.count(a->id)) inputs[port] = guessed[a->id];
        continue;
      }
      auto bytes = s.ReadArtifact(a->id);
      ASSERT_TRUE(bytes.ok());
      auto copied = (*scratch)->PutArtifact(a->type, *bytes, false);
      ASSERT_TRUE(copied.ok());
      inputs[port] = "artifact:" + std::to_string(*copied);
    }
    const std::string shown = "shown" + std::to_string(step);
    yaml += ReplayStep(shown, e, inputs, "", "");
    for (const store::Event& ev : *events) {
      if (ev.type != store::EventType::kOutput) continue;
      guessed[ev.artifact_id] = shown + "." + ev.path.substr(0, ev.path.find('['));
    }
    const json shown_params = json::parse(e.params_json);
    for (const auto& item : shown_params.items()) {
      const std::string name = item.key();
      if (name.find("seed") == std::string::npos) continue;
      yaml += ReplayStep("guess" + std::to_string(step) + "_" + name, e, inputs, name,
                         candidates.dump());
    }
    ++step;
  }
  ASSERT_TRUE(WriteFileAtomic(scratch_dir + "/replay.yaml", yaml).ok());
  scratch->reset();
  std::string out;
  ASSERT_EQ(Securemark("run " + scratch_dir + "/replay.yaml --plain --jobs 2 --store " +
                       scratch_dir + "/store"),
            0)
      << yaml;
  auto replayed = store::Store::Open(scratch_dir + "/store", false);
  ASSERT_TRUE(replayed.ok());
  int outputs = 0;
  for (int64_t id : Ids(**replayed, "SELECT artifact_id FROM events WHERE type = 'OUTPUT'")) {
    const std::string digest = (*replayed)->GetArtifact(id)->digest;
    ++outputs;
    EXPECT_EQ(secret_digests.count(digest), 0u) << "a replay redrew secret " << digest;
  }
  EXPECT_GE(outputs, static_cast<int>(numbers.size()));
}

// Secrets drawn fresh belong to one step of one pipeline: re-running reuses them, a second
// step with the same parameters gets its own, and so does another store. An explicit seed
// (the opt-in for reproducible experiments) redraws the same bytes anywhere and is never
// shown.
TEST(FreshSecretsTest, EachStepDrawsItsOwnAndReRunsReuseThem) {
  const std::string dir = ::testing::TempDir() + "/fresh_secrets";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string file = dir + "/codes.yaml";
  ASSERT_TRUE(
      WriteFileAtomic(file,
                      "apiVersion: securemark/v1\nname: codes\n"
                      "params: {seed: 0}\nsteps:\n"
                      "  - id: first\n    uses: cic.bibd\n    with: {design: singer, q: 2}\n"
                      "  - id: second\n    uses: cic.bibd\n    with: {design: singer, q: 2}\n"
                      "  - id: chosen\n    uses: cic.bibd\n"
                      "    with: {design: singer, q: 2, seed: \"${{ params.seed }}\"}\n")
          .ok());
  auto run = [&](const std::string& store, const std::string& seed) {
    std::string out;
    EXPECT_EQ(Securemark("run " + file + " --plain --store " + store + " --set seed=" + seed, &out),
              0)
        << out;
    return out;
  };
  auto basis = [](const std::string& store, const std::string& step) {
    auto s = store::Store::Open(store, false);
    EXPECT_TRUE(s.ok());
    auto found = (*s)->FindArtifactsByName(step + ".basis");
    EXPECT_TRUE(found.ok() && !found->empty()) << step;
    return found->front().digest;
  };
  const std::string a = dir + "/a", b = dir + "/b";
  run(a, "5");
  const std::string first = basis(a, "first"), second = basis(a, "second");
  const std::string chosen = basis(a, "chosen");
  EXPECT_NE(first, second);
  const std::string again = run(a, "5");
  EXPECT_NE(again.find("3 cached"), std::string::npos) << again;
  EXPECT_EQ(basis(a, "first"), first);
  run(a, "6");
  EXPECT_NE(basis(a, "chosen"), chosen);  // another seed is another cache entry

  run(b, "5");
  EXPECT_NE(basis(b, "first"), first);
  EXPECT_EQ(basis(b, "chosen"), chosen);

  // The seed appears nowhere a reader of the store looks.
  auto s = store::Store::Open(a, false);
  ASSERT_TRUE(s.ok());
  auto stmt = (*s)->db().Prepare(
      "SELECT params || fingerprint FROM executions UNION ALL SELECT string_value FROM "
      "context_properties");
  ASSERT_TRUE(stmt.ok());
  int rows = 0;
  while (*stmt->Step()) {
    ++rows;
    const std::string text = stmt->Text(0);
    EXPECT_EQ(text.find("\"seed\":5"), std::string::npos) << text;
    EXPECT_EQ(text.find("\"seed\":6"), std::string::npos) << text;
  }
  EXPECT_GE(rows, 9);
}

}  // namespace
}  // namespace securemark
