// Installs securemark into a temporary prefix, builds examples/minimal_plugin out of tree
// against it with find_package(securemark), and loads the result through
// SECUREMARK_PLUGIN_PATH from the installed `securemark`.
#include <filesystem>

#include <gtest/gtest.h>

#include "util/process.h"

namespace securemark {
namespace {

const std::string kBuild = SECUREMARK_BUILD_DIR;
const std::string kSource = SECUREMARK_SOURCE_DIR;

ProcessResult Shell(const std::string& cmd) {
  StatusOr<ProcessResult> r = RunProcess({"/bin/sh", "-c", cmd + " 2>&1"}, true);
  EXPECT_TRUE(r.ok()) << r.status();
  return *r;
}

// Installs securemark into WORK/prefix, checks that `installed` paths are there, and
// builds examples/EXAMPLE out of tree against it into WORK/build.
void InstallAndBuild(const std::string& work, const std::string& example,
                     const std::vector<std::string>& installed) {
  std::filesystem::remove_all(work);
  const std::string prefix = work + "/prefix";
  ProcessResult install = Shell("cmake --install " + kBuild + " --prefix " + prefix);
  ASSERT_EQ(install.exit_code, 0) << install.output;
  for (const std::string& path : installed)
    EXPECT_TRUE(std::filesystem::exists(prefix + path)) << path;
  ProcessResult configure = Shell("cmake -G Ninja -S " + kSource + "/examples/" + example + " -B " +
                                  work + "/build -DCMAKE_PREFIX_PATH=" + prefix);
  ASSERT_EQ(configure.exit_code, 0) << configure.output;
  ProcessResult build = Shell("cmake --build " + work + "/build");
  ASSERT_EQ(build.exit_code, 0) << build.output;
}

TEST(ExamplesTest, OutOfTreePluginBuildsAgainstTheInstalledSdkAndLoads) {
  const std::string work = testing::TempDir() + "/examples_test";
  const std::string prefix = work + "/prefix";
  InstallAndBuild(
      work, "minimal_plugin",
      {"/bin/securemark", "/bin/securemark-host", "/plugins/dataset_idx.so",
       "/include/securemark/node.h", "/include/securemark/party.h", "/include/securemark/message.h",
       "/include/securemark/files.h", "/include/securemark/digest.h"});
  if (HasFatalFailure()) return;
  // Its unit test runs the node through the installed securemark/testing.h.
  ProcessResult unit = Shell(work + "/build/label_count_test");
  ASSERT_EQ(unit.exit_code, 0) << unit.output;
  EXPECT_NE(unit.output.find("[  PASSED  ] 2 tests"), std::string::npos) << unit.output;

  // The installed securemark finds its own plugins relative to itself and the example
  // through the environment.
  ProcessResult list =
      Shell("SECUREMARK_PLUGIN_PATH=" + work + "/build " + prefix + "/bin/securemark plugins");
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_NE(list.output.find("example.label_count"), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("dataset.idx"), std::string::npos) << list.output;

  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist")) return;
  ProcessResult idx = Shell(prefix +
                            "/bin/securemark exec dataset.idx --with split=test "
                            "--with limit=300 --out " +
                            work + "/a");
  ASSERT_EQ(idx.exit_code, 0) << idx.output;
  ProcessResult count =
      Shell("SECUREMARK_PLUGIN_PATH=" + work + "/build " + prefix +
            "/bin/securemark exec example.label_count --in data=" + work +
            "/a/dataset.0.Dataset --out " + work + "/b && cat " + work + "/b/counts.0.Json");
  ASSERT_EQ(count.exit_code, 0) << count.output;
  EXPECT_NE(count.output.find("\"0\":"), std::string::npos) << count.output;
}

// examples/fingerprint_capacity: a plugin that takes a model and a codebook, built out of
// tree against the installed core and domain SDKs with Debian's LibTorch, run on artifacts
// that the installed securemark's own plugins made.
TEST(ExamplesTest, OutOfTreePluginWithAModelAndACodebook) {
  const std::string work = testing::TempDir() + "/examples_capacity";
  const std::string prefix = work + "/prefix";
  InstallAndBuild(
      work, "fingerprint_capacity",
      {"/include/securemark-domain/codes/codebook.h", "/include/securemark-domain/codes/bibd.h",
       "/include/securemark-domain/domain/domain_values.h",
       "/include/securemark-domain/models/model_file.h", "/lib/libsecuremark_domain_sdk.so"});
  if (HasFatalFailure()) return;
  ProcessResult unit = Shell(work + "/build/capacity_test");
  ASSERT_EQ(unit.exit_code, 0) << unit.output;
  EXPECT_NE(unit.output.find("[  PASSED  ] 2 tests"), std::string::npos) << unit.output;

  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist")) return;
  const std::string sm = "SECUREMARK_PLUGIN_PATH=" + work + "/build " + prefix + "/bin/securemark";
  ProcessResult made = Shell(
      sm + " exec dataset.idx --with limit=100 --out " + work + "/data && " + sm +
      " exec server_trainer.standalone --in train=" + work +
      "/data/dataset.0.Dataset --with model=fc900 --with epochs=0 --out " + work + "/model && " +
      sm + " exec cic.bibd --with design=ag2 --with q=11 --with basis=false --out " + work +
      "/code");
  ASSERT_EQ(made.exit_code, 0) << made.output;
  auto capacity = [&](const std::string& layer) {
    return Shell("(" + sm + " exec example.fingerprint_capacity --in model=" + work +
                 "/model/model.0.Model --in codebook=" + work +
                 "/code/codebook.0.Codebook --with layer=" + layer + " --out " + work + "/" +
                 layer + " && cat " + work + "/" + layer + "/report.0.Json)");
  };
  // fc900's fc2 has 900 units of 900 inputs: the 121-bit code fits with 779 to spare.
  ProcessResult fc2 = capacity("fc2");
  ASSERT_EQ(fc2.exit_code, 0) << fc2.output;
  EXPECT_NE(fc2.output.find("\"code_length\":121"), std::string::npos) << fc2.output;
  EXPECT_NE(fc2.output.find("\"fits\":true"), std::string::npos) << fc2.output;
  EXPECT_NE(fc2.output.find("\"spare\":779"), std::string::npos) << fc2.output;
  ProcessResult unknown = capacity("fc9");
  EXPECT_NE(unknown.exit_code, 0) << unknown.output;
  EXPECT_NE(unknown.output.find("no weighted layer 'fc9'"), std::string::npos) << unknown.output;
}

// examples/multihost: the server and each owner in their own network namespace, so a
// party that assumed localhost could not reach its peers.
TEST(ExamplesTest, SplitTrainingAcrossNetworkNamespaces) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist")) GTEST_SKIP();
  const std::string store = testing::TempDir() + "/multihost_store";
  std::filesystem::remove_all(store);
  ProcessResult r =
      Shell("MULTIHOST_PREFIX=smt MULTIHOST_SUBNET=10.78.0 SECUREMARK_BIN=" + kBuild + "/bin " +
            kSource + "/examples/multihost/run.sh 2 " + store + " --set examples=1000");
  if (r.exit_code == 77) GTEST_SKIP() << "no network namespaces here: " << r.output;
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("server listens at tcp://10.78.0.2:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[server] 2 owners joined"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("train: COMPLETE"), std::string::npos) << r.output;
  // Nothing is left behind.
  EXPECT_EQ(Shell("ip netns list | grep -c '^smt-' || true").output, "0\n");
}

}  // namespace
}  // namespace securemark
