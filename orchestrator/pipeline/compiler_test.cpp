// Parsing, validation (each error kind at its file:line:col) and planning.
#include "pipeline/compiler.h"

#include <gtest/gtest.h>

#include "pipeline/parser.h"

namespace securemark::pipeline {
namespace {

const std::string kBuild = SECUREMARK_BUILD_DIR;

class CompilerTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    catalog_ = new PluginCatalog(PluginCatalog::Discover(
        {kBuild + "/plugins", kBuild + "/test-plugins/good", kBuild + "/test-plugins/pipeline"}));
  }

  CompileResult Compile(const std::string& yaml, std::map<std::string, std::string> sets = {}) {
    ParseResult parsed = ParsePipelineText(yaml, "p.yaml");
    CompileResult result = pipeline::Compile(parsed.spec, *catalog_, sets);
    result.diagnostics.insert(result.diagnostics.begin(), parsed.diagnostics.begin(),
                              parsed.diagnostics.end());
    return result;
  }

  // The one diagnostic expected, as "p.yaml:L:C: error: ..." containing `text`.
  void ExpectOnly(const CompileResult& r, const std::string& where, const std::string& text) {
    ASSERT_EQ(r.diagnostics.size(), 1u) << All(r);
    EXPECT_EQ(r.diagnostics[0].at.ToString(), where) << All(r);
    EXPECT_NE(r.diagnostics[0].message.find(text), std::string::npos) << All(r);
  }
  static std::string All(const CompileResult& r) {
    std::string s;
    for (const auto& d : r.diagnostics) s += d.ToString() + "\n";
    return s;
  }

  static PluginCatalog* catalog_;
};
PluginCatalog* CompilerTest::catalog_ = nullptr;

const char* kHeader = "apiVersion: securemark/v1\nname: t\n";

TEST_F(CompilerTest, ExpandsForeachSubstitutesParamsAndOrdersInstances) {
  CompileResult r = Compile(std::string(kHeader) + R"(params:
  n: 3
  base: 10
steps:
  - id: join
    uses: testing.gather
    inputs: {parts: "work[*].out"}
  - id: work
    uses: testing.work
    foreach: ${{ range(params.n) }}
    with: {value: "${{ item }}", seconds: 0.5}
  - id: one
    uses: testing.echo
    inputs: {in: "work@2.out"}
    with: {count: "${{ params.n }}", mode: b}
    needs: [join]
)");
  ASSERT_TRUE(r.ok()) << All(r);
  std::vector<std::string> keys;
  for (const auto& i : r.plan.instances) keys.push_back(i.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"work@0", "work@1", "work@2", "join", "one"}));
  const Instance* w2 = r.plan.Find("work@2");
  EXPECT_EQ(std::get<int64_t>(w2->params.at("value")), 2);
  EXPECT_EQ(w2->item_key, "2");
  EXPECT_EQ(w2->params_json.find("\"value\":2") != std::string::npos, true) << w2->params_json;
  const Instance* join = r.plan.Find("join");
  ASSERT_EQ(join->inputs.size(), 1u);
  EXPECT_EQ(join->inputs[0].sources.size(), 3u);
  const Instance* one = r.plan.Find("one");
  EXPECT_EQ(std::get<int64_t>(one->params.at("count")), 3);
  EXPECT_EQ(one->depends_on, (std::vector<std::string>{"join", "work@2"}));
}

// Stored artifacts are bound as they are; the runner checks them against the store.
TEST_F(CompilerTest, ArtifactReferencesBindStoredArtifactsWithoutDependencies) {
  CompileResult r = Compile(std::string(kHeader) + R"(steps:
  - id: one
    uses: testing.echo
    inputs: {in: "artifact:42"}
  - id: bad
    uses: testing.echo
    inputs: {in: "artifact:x"}
)");
  ExpectOnly(r, "p.yaml:9:18", "artifact:ID");
  CompileResult ok = Compile(std::string(kHeader) + R"(steps:
  - id: one
    uses: testing.echo
    inputs: {in: "artifact:42"}
)");
  ASSERT_TRUE(ok.ok()) << All(ok);
  const Instance* one = ok.plan.Find("one");
  ASSERT_NE(one, nullptr);
  ASSERT_EQ(one->inputs.size(), 1u);
  ASSERT_EQ(one->inputs[0].sources.size(), 1u);
  EXPECT_EQ(one->inputs[0].sources[0].artifact, 42);
  EXPECT_TRUE(one->depends_on.empty());
}

// What a template (pipelines/trace.yaml) needs: the plugin named by a parameter, a list of
// references given by one expression, and an empty list leaving an optional input
// unconnected; each checked against the plugin the parameter names.
TEST_F(CompilerTest, TemplatesTakePluginsAndReferenceListsFromParameters) {
  const std::string yaml = std::string(kHeader) + R"(params:
  models: ["artifact:1", "artifact:2", "artifact:3"]
  basis: []
  detector: detector.hard_threshold
steps:
  - id: pool
    uses: testing.gather
    inputs: {parts: "${{ params.models }}"}
  - id: detect
    uses: ${{ params.detector }}
    inputs: {codebook: "artifact:4", basis: "${{ params.basis }}", extracted: "artifact:5"}
)";
  CompileResult r = Compile(yaml);
  ASSERT_TRUE(r.ok()) << All(r);
  const Instance* pool = r.plan.Find("pool");
  ASSERT_NE(pool, nullptr);
  ASSERT_EQ(pool->inputs.size(), 1u);
  ASSERT_EQ(pool->inputs[0].sources.size(), 3u);
  EXPECT_EQ(pool->inputs[0].sources[2].artifact, 3);
  const Instance* detect = r.plan.Find("detect");
  ASSERT_NE(detect, nullptr);
  EXPECT_EQ(detect->plugin->contract().name(), "detector.hard_threshold");
  EXPECT_EQ(detect->inputs.size(), 2u);  // codebook and extracted; no basis

  ExpectOnly(Compile(yaml, {{"detector", "detector.hard_treshold"}}), "p.yaml:12:11",
             "detector.hard_threshold");
  ExpectOnly(Compile(yaml, {{"detector", "[a, b]"}}), "p.yaml:12:11",
             "'uses' must give a plugin name");
  ExpectOnly(Compile(yaml, {{"models", "[artifact:1, 2]"}}), "p.yaml:10:21",
             "an input reference must be a string, not 2");
}

TEST_F(CompilerTest, OversizedPipelinesAreRefusedBeforeExpansion) {
  CompileResult r = Compile(std::string(kHeader) + R"(steps:
  - id: many
    uses: testing.work
    foreach: ${{ range(1000000) }}
    with: {value: 1}
)");
  ExpectOnly(r, "p.yaml:4:5", "expands to 1000000 step instances");
  EXPECT_TRUE(r.plan.instances.empty());
  ParseResult big =
      ParsePipelineText(std::string(kHeader) + "# " + std::string(5 << 20, 'x'), "big.yaml");
  ASSERT_EQ(big.diagnostics.size(), 1u);
  EXPECT_NE(big.diagnostics[0].message.find("at most 4194304"), std::string::npos);
}

// A "billion laughs" of YAML aliases: nine anchors, each a list of nine of the previous,
// expand to 9^9 nodes from a few hundred bytes. Refused at the node that runs out.
TEST_F(CompilerTest, AliasBombsAreRefusedWithTheirPosition) {
  std::string yaml = std::string(kHeader) + "params:\n  a0: &a0 [x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 8; ++i) {
    const std::string p = "*a" + std::to_string(i - 1);
    yaml += "  a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + p;
    for (int j = 1; j < 9; ++j) yaml += ", " + p;
    yaml += "]\n";
  }
  yaml += "  x: *a8\nsteps:\n  - {id: s, uses: testing.work, with: {value: 1}}\n";
  ParseResult parsed = ParsePipelineText(yaml, "bomb.yaml");
  ASSERT_EQ(parsed.diagnostics.size(), 1u);
  EXPECT_NE(parsed.diagnostics[0].message.find("more than 1000000 YAML nodes"), std::string::npos)
      << parsed.diagnostics[0].ToString();
  EXPECT_EQ(parsed.diagnostics[0].at.file, "bomb.yaml");
  EXPECT_GT(parsed.diagnostics[0].at.line, 1);
}

TEST_F(CompilerTest, SetOverridesAParameterWithItsType) {
  const std::string yaml = std::string(kHeader) +
                           "params: {n: 2}\nsteps:\n  - id: w\n    uses: testing.work\n"
                           "    foreach: ${{ range(params.n) }}\n";
  EXPECT_EQ(Compile(yaml, {{"n", "5"}}).plan.instances.size(), 5u);
  ExpectOnly(Compile(yaml, {{"m", "5"}}), "<command line>:0:0",
             "declares no parameter 'm'; did you mean 'n'?");
}

TEST_F(CompilerTest, SetAcceptsListsAndMappingsWrittenAsYaml) {
  const std::string yaml =
      std::string(kHeader) +
      "params: {runs: [{name: a}]}\nsteps:\n  - id: w\n    uses: testing.work\n"
      "    foreach: ${{ params.runs }}\n";
  auto r = Compile(yaml, {{"runs", "[{name: x, k: 2}, {name: y, k: 3}]"}});
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r.plan.Find("w@x"), nullptr);
  EXPECT_NE(r.plan.Find("w@y"), nullptr);
  // Text that is not YAML stays a string, and then is not a list.
  EXPECT_FALSE(Compile(yaml, {{"runs", "[unclosed"}}).ok());
}

TEST_F(CompilerTest, YamlSyntaxErrorHasItsPosition) {
  ExpectOnly(Compile(std::string(kHeader) + "steps:\n  - id: a\n    with: {x: [1, 2}\n"),
             "p.yaml:5:20", "YAML syntax");
}

TEST_F(CompilerTest, UnknownKeySuggestsTheClosest) {
  ExpectOnly(
      Compile(std::string(kHeader) + "steps:\n  - id: a\n    uses: testing.echo\n    wiht: {}\n"),
      "p.yaml:6:5", "unknown key 'wiht' in a step; did you mean 'with'?");
}

TEST_F(CompilerTest, UnknownPluginListsClosestNames) {
  ExpectOnly(Compile(std::string(kHeader) + "steps:\n  - id: a\n    uses: testing.eco\n"),
             "p.yaml:5:11", "unknown plugin 'testing.eco'; did you mean 'testing.echo'");
}

TEST_F(CompilerTest, ParamOfTheWrongType) {
  ExpectOnly(Compile(std::string(kHeader) +
                     "steps:\n  - id: a\n    uses: testing.echo\n    with: {count: many}\n"),
             "p.yaml:6:19", "parameter 'count': expected int, got \"many\"");
}

TEST_F(CompilerTest, ParamOutOfRange) {
  ExpectOnly(Compile(std::string(kHeader) +
                     "steps:\n  - id: a\n    uses: testing.echo\n    with: {rate: 1.5}\n"),
             "p.yaml:6:18", "parameter 'rate' = 1.5 is outside [0, 1]");
}

TEST_F(CompilerTest, UnknownParamSuggestsTheClosest) {
  ExpectOnly(Compile(std::string(kHeader) +
                     "steps:\n  - id: a\n    uses: testing.echo\n    with: {cuont: 2}\n"),
             "p.yaml:6:19", "unknown parameter 'cuont' for testing.echo; did you mean 'count'?");
}

TEST_F(CompilerTest, UnknownPipelineParameterInAnExpression) {
  ExpectOnly(
      Compile(std::string(kHeader) + "params: {rate: 0.1}\nsteps:\n  - id: a\n    uses: "
                                     "testing.echo\n    with: {rate: \"${{ params.rte }}\"}\n"),
      "p.yaml:7:18", "unknown pipeline parameter 'rte'; did you mean 'rate'?");
}

TEST_F(CompilerTest, InputNamingAMissingStep) {
  ExpectOnly(
      Compile(std::string(kHeader) +
              "steps:\n  - id: source\n    uses: testing.echo\n  - id: b\n    uses: testing.echo\n"
              "    inputs: {in: sorce.out}\n"),
      "p.yaml:8:18", "unknown step 'sorce'; did you mean 'source'?");
}

TEST_F(CompilerTest, InputNamingAMissingOutput) {
  ExpectOnly(
      Compile(std::string(kHeader) +
              "steps:\n  - id: source\n    uses: testing.echo\n  - id: b\n    uses: testing.echo\n"
              "    inputs: {in: source.ot}\n"),
      "p.yaml:8:18", "has no output 'ot'; did you mean 'out'?");
}

TEST_F(CompilerTest, InputNamingAMissingPort) {
  ExpectOnly(
      Compile(std::string(kHeader) +
              "steps:\n  - id: source\n    uses: testing.echo\n  - id: b\n    uses: testing.echo\n"
              "    inputs: {inn: source.out}\n"),
      "p.yaml:8:14", "testing.echo has no input 'inn'; did you mean 'in'?");
}

TEST_F(CompilerTest, InputTypeMismatch) {
  ExpectOnly(
      Compile(
          std::string(kHeader) +
          "steps:\n  - id: source\n    uses: testing.echo\n  - id: b\n    uses: dataset.partition\n"
          "    inputs: {data: source.out}\n"),
      "p.yaml:8:20", "input 'data' expects Dataset but 'source.out' is Json");
}

// Domain values have type names of their own: each class of wiring mistake below decodes
// as the base encoding and used to pass validation, failing (or worse, not) only at run time.
class DomainTypeTest : public CompilerTest {
 protected:
  // A deployment's producers, and `consumer` wired by `inputs`.
  CompileResult Wire(const std::string& consumer, const std::string& inputs) {
    return Compile(std::string(kHeader) + R"(steps:
  - id: codes
    uses: cic.orthogonal
    with: {users: 8}
  - id: report
    uses: testing.echo
  - id: model
    uses: testing.echo
  - id: extract
    uses: extractor.projection
    inputs: {model: model.out, key: codes.basis}
  - id: check
    uses: )" + consumer +
                   "\n    inputs: " + inputs + "\n");
  }
  // Projection keys and extractions flow only between LibTorch plugins, which builds
  // without LibTorch (the sanitizer preset) do not have.
  static bool HasTorchPlugins() { return catalog_->Find("extractor.projection").ok(); }
  static bool Says(const CompileResult& r, const std::string& text) {
    for (const auto& d : r.diagnostics) {
      if (d.message.find(text) != std::string::npos) return true;
    }
    return false;
  }
};

TEST_F(DomainTypeTest, ABasisIsNotAProjectionKey) {
  if (!HasTorchPlugins()) GTEST_SKIP() << "built without LibTorch";
  CompileResult r = Wire("testing.echo", "{in: report.out}");
  EXPECT_TRUE(Says(r,
                   "input 'key' expects Tensors/ProjectionKey but 'codes.basis' is "
                   "Tensors/Basis"))
      << All(r);
}

TEST_F(DomainTypeTest, APlainJsonDocumentIsNotACalibration) {
  CompileResult r =
      Wire("detector.hard_threshold",
           "{codebook: codes.codebook, basis: codes.basis, extracted: extract.extracted,"
           " calibration: report.out}");
  EXPECT_TRUE(Says(r, "input 'calibration' expects Json/Calibration but 'report.out' is Json"))
      << All(r);
}

TEST_F(DomainTypeTest, ACodeSummaryIsNotACalibration) {
  CompileResult r =
      Wire("detector.hard_threshold",
           "{codebook: codes.codebook, basis: codes.basis, extracted: extract.extracted,"
           " calibration: codes.summary}");
  EXPECT_TRUE(Says(r, "expects Json/Calibration but 'codes.summary' is Json")) << All(r);
}

TEST_F(DomainTypeTest, AnExtractionIsNotABasis) {
  if (!HasTorchPlugins()) GTEST_SKIP() << "built without LibTorch";
  CompileResult r = Wire("detector.hard_threshold",
                         "{codebook: codes.codebook, basis: extract.extracted, extracted: "
                         "extract.extracted}");
  EXPECT_TRUE(Says(r,
                   "input 'basis' expects Tensors/Basis but 'extract.extracted' is "
                   "Tensors/Extraction"))
      << All(r);
}

TEST_F(DomainTypeTest, AnAccusationIsNotACoalition) {
  CompileResult r = Compile(std::string(kHeader) + R"(steps:
  - id: codes
    uses: cic.orthogonal
    with: {users: 8}
  - id: extract
    uses: testing.echo
  - id: detect
    uses: detector.hard_threshold
    inputs: {codebook: codes.codebook, extracted: extract.out}
  - id: rates
    uses: evaluate.tracing
    inputs: {accusations: "detect.accusation", coalitions: "detect.accusation"}
)");
  EXPECT_TRUE(Says(r,
                   "input 'coalitions' expects Json/Coalition but 'detect.accusation' is "
                   "Json/Accusation"))
      << All(r);
  EXPECT_TRUE(Says(r, "input 'extracted' expects Tensors/Extraction but 'extract.out' is Json"))
      << All(r);
}

// The converse: a step that takes any JSON document (a report, a table) takes them all.
TEST_F(DomainTypeTest, AGenericJsonInputTakesEveryJsonValue) {
  CompileResult r = Compile(std::string(kHeader) + R"(steps:
  - id: codes
    uses: cic.orthogonal
    with: {users: 8}
  - id: detect
    uses: detector.hard_threshold
    inputs: {codebook: codes.codebook, basis: codes.basis, extracted: "artifact:7"}
  - id: show
    uses: testing.echo
    inputs: {in: detect.accusation}
)");
  EXPECT_TRUE(r.ok()) << All(r);
}

TEST_F(CompilerTest, ListIntoASingleInputIsRejected) {
  ExpectOnly(Compile(std::string(kHeader) + "steps:\n  - id: w\n    uses: testing.work\n    "
                                            "foreach: [a, b]\n  - id: b\n    uses: testing.echo\n"
                                            "    inputs: {in: \"w[*].out\"}\n"),
             "p.yaml:9:14", "input 'in' takes one Json but its references give several");
}

TEST_F(CompilerTest, ForeachStepNeedsAnInstanceOrAll) {
  ExpectOnly(Compile(std::string(kHeader) + "steps:\n  - id: w\n    uses: testing.work\n    "
                                            "foreach: [a, b]\n  - id: b\n    uses: testing.echo\n"
                                            "    inputs: {in: w.out}\n"),
             "p.yaml:9:18",
             "runs once per foreach item; use w[*].out for all or w@KEY.out for one");
}

TEST_F(CompilerTest, DuplicateIds) {
  ExpectOnly(
      Compile(std::string(kHeader) +
              "steps:\n  - id: a\n    uses: testing.echo\n  - id: a\n    uses: testing.echo\n"),
      "p.yaml:6:9", "duplicate step id 'a' (first defined at p.yaml:4:9)");
}

TEST_F(CompilerTest, Cycles) {
  ExpectOnly(Compile(std::string(kHeader) +
                     "steps:\n  - id: a\n    uses: testing.echo\n    inputs: {in: c.out}\n"
                     "  - id: b\n    uses: testing.echo\n    inputs: {in: a.out}\n"
                     "  - id: c\n    uses: testing.echo\n    needs: b\n"),
             "p.yaml:4:9", "steps form a cycle: a -> c -> b -> a");
}

TEST_F(CompilerTest, EveryErrorIsReportedAtOnce) {
  CompileResult r = Compile(
      "apiVersion: securemark/v9\nname: t\nsteps:\n  - id: a\n    uses: nothing.here\n"
      "  - id: b\n    uses: testing.echo\n    with: {count: 99, mode: z}\n    needs: [zz]\n");
  EXPECT_EQ(r.diagnostics.size(), 5u) << All(r);
}

TEST_F(CompilerTest, PartiesExpandCountsAndCheckParams) {
  CompileResult r = Compile(std::string(kHeader) + R"(params: {owners: 3}
steps:
  - id: train
    parties:
      - name: server
        uses: testing.echo
      - name: owner
        uses: testing.work
        count: ${{ params.owners }}
        with: {seconds: 0}
)");
  ASSERT_TRUE(r.ok()) << All(r);
  const Instance* train = r.plan.Find("train");
  ASSERT_EQ(train->parties.size(), 4u);
  EXPECT_EQ(train->parties[3].name, "owner@2");
  CompileResult bad =
      Compile(std::string(kHeader) +
              "steps:\n  - id: t\n    parties:\n      - {name: s, uses: testing.echo, count: 0}\n");
  ExpectOnly(bad, "p.yaml:6:46", "party count must be an integer in [1, 4096]");
}

TEST_F(CompilerTest, PartyOutputsAreReferredToByPartyName) {
  const std::string train = std::string(kHeader) + R"(steps:
  - id: train
    parties:
      - {name: server, uses: testing.echo}
      - {name: owner, uses: testing.work, count: 3}
  - id: all
    uses: testing.gather
    inputs: {parts: [train.owner/out, train.server/out]}
)";
  CompileResult r = Compile(train);
  ASSERT_TRUE(r.ok()) << All(r);
  const std::vector<SourceRef>& sources = r.plan.Find("all")->inputs[0].sources;
  ASSERT_EQ(sources.size(), 4u);
  EXPECT_EQ(sources[0].output, "owner@0/out");
  EXPECT_EQ(sources[2].output, "owner@2/out");
  EXPECT_EQ(sources[3].output, "out");  // the first party's outputs are the step's
  CompileResult bad = Compile(train +
                              "  - id: x\n    uses: testing.gather\n"
                              "    inputs: {parts: train.owners/out}\n");
  ExpectOnly(bad, "p.yaml:13:21", "step 'train' has no party 'owners'; did you mean 'owner'?");
  CompileResult plain = Compile(train +
                                "  - id: x\n    uses: testing.gather\n"
                                "    inputs: {parts: all.owner/all}\n");
  ExpectOnly(plain, "p.yaml:13:21", "step 'all' has no party 'owner' (it is not a multi-party");
}

// "party/port" binds an input of the parties of that role; the first party's may be named
// either way. Unknown parties and ports, and unconnected required inputs of any party, are
// errors before anything runs.
TEST_F(CompilerTest, PartyInputsAreNamedByRole) {
  auto pipeline = [](const std::string& inputs) {
    return std::string(kHeader) + "steps:\n  - id: seed\n    uses: testing.work\n" +
           "  - id: train\n    inputs: " + inputs +
           "\n    parties:\n      - {name: server, uses: testing.echo}\n"
           "      - {name: owner, uses: testing.echo, count: 2}\n";
  };
  CompileResult r = Compile(pipeline("{owner/in: seed.out, server/in: seed.out}"));
  ASSERT_TRUE(r.ok()) << All(r);
  const Instance* train = r.plan.Find("train");
  ASSERT_EQ(train->inputs.size(), 2u);
  EXPECT_EQ(train->inputs[0].port, "owner/in");
  EXPECT_EQ(train->inputs[0].sources[0].instance, "seed");
  EXPECT_EQ(train->inputs[1].port, "in");  // the listener's, named by its party
  EXPECT_EQ(train->depends_on, (std::vector<std::string>{"seed"}));

  ExpectOnly(Compile(pipeline("{owners/in: seed.out}")), "p.yaml:7:14",
             "step 'train' has no party 'owners'; did you mean 'owner'?");
  ExpectOnly(Compile(pipeline("{owner/inn: seed.out}")), "p.yaml:7:14",
             "testing.echo has no input 'inn'; did you mean 'in'?");
  ExpectOnly(Compile(pipeline("{owner/in: seed.key}")), "p.yaml:7:24",
             "input 'owner/in' expects Json but 'seed.key' is Blob");
  ExpectOnly(Compile(pipeline("{in: seed.out, server/in: seed.out}")), "p.yaml:7:28",
             "input 'in' is connected twice");

  // A required input of a non-listening party must be connected as "role/port".
  const std::string needs_input = std::string(kHeader) +
                                  "steps:\n  - id: seed\n    uses: testing.work\n"
                                  "  - id: train\n    parties:\n"
                                  "      - {name: server, uses: testing.echo}\n"
                                  "      - {name: owner, uses: testing.copy}\n";
  CompileResult missing = Compile(needs_input);
  ASSERT_EQ(missing.diagnostics.size(), 1u) << All(missing);
  EXPECT_NE(missing.diagnostics[0].message.find(
                "required input 'owner/in' (Json) of testing.copy is not connected"),
            std::string::npos)
      << All(missing);
  CompileResult given =
      Compile(std::string(needs_input)
                  .insert(needs_input.find("    parties"), "    inputs: {owner/in: seed.out}\n"));
  EXPECT_TRUE(given.ok()) << All(given);
}

}  // namespace
}  // namespace securemark::pipeline
