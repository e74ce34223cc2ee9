// Checkpoints as PyTorch users save them (written by testdata/make_checkpoints.py with
// Debian's python3-torch), read without Python or LibTorch.
#include "models/state_dict_reader.h"

#include <cmath>
#include <cstring>
#include <filesystem>

#include <gtest/gtest.h>

#include "models/pickle_reader.h"
#include "securemark/files.h"
#include "util/process.h"

namespace securemark::models {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kNames = {"a.weight", "a.bias"};

class StateDictReaderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = ::testing::TempDir() + "/checkpoints";
    fs::create_directories(dir_);
    auto r = RunProcess(
        {"/usr/bin/python3",
         SECUREMARK_SOURCE_DIR "/plugins/common/models/testdata/make_checkpoints.py", dir_},
        true);
    made_ = r.ok() && r->exit_code == 0;
  }
  void SetUp() override {
    if (!made_)
      FAIL() << "python3-torch could not write the checkpoints (scripts/setup.sh installs it)";
  }
  static std::string Bytes(const std::string& name) {
    auto b = ReadFile(dir_ + "/" + name);
    EXPECT_TRUE(b.ok()) << name;
    return b.ok() ? *b : "";
  }
  static inline std::string dir_;
  static inline bool made_ = false;
};

float HalfToFloat(uint16_t h) {
  const uint32_t sign = (h >> 15) & 1, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  if (exponent == 0) return (sign ? -1.f : 1.f) * std::ldexp(static_cast<float>(mantissa), -24);
  return (sign ? -1.f : 1.f) * std::ldexp(1.f + mantissa / 1024.f, static_cast<int>(exponent) - 15);
}

// Element i (in row-major order of the tensor's shape) as a double.
double At(const StateDict& s, const std::string& name, int64_t i) {
  const CheckpointTensor& t = s.tensors.at(name);
  int64_t offset = t.offset;
  for (size_t d = t.shape.size(); d-- > 0;) {
    offset += (i % t.shape[d]) * t.stride[d];
    i /= t.shape[d];
  }
  const char* p = s.storages.at(t.storage).data() + offset * ElementSize(t.dtype);
  if (t.dtype == "Float") {
    float f;
    std::memcpy(&f, p, 4);
    return f;
  }
  if (t.dtype == "Double") {
    double d;
    std::memcpy(&d, p, 8);
    return d;
  }
  uint16_t h;
  std::memcpy(&h, p, 2);
  if (t.dtype == "Half") return HalfToFloat(h);
  if (t.dtype == "BFloat16") {
    const uint32_t bits = uint32_t{h} << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  ADD_FAILURE() << "unexpected dtype " << t.dtype;
  return 0;
}

void ExpectTheTwoTensors(const StateDict& s, const std::string& dtype) {
  ASSERT_EQ(s.tensors.size(), 2u);
  EXPECT_EQ(s.tensors.at("a.weight").dtype, dtype);
  EXPECT_EQ(s.tensors.at("a.weight").shape, (std::vector<int64_t>{2, 3}));
  for (int64_t i = 0; i < 6; ++i) EXPECT_EQ(At(s, "a.weight", i), i) << i;
  EXPECT_EQ(At(s, "a.bias", 0), 1.5);
  EXPECT_EQ(At(s, "a.bias", 1), -2.0);
}

TEST_F(StateDictReaderTest, ReadsEveryCommonForm) {
  const std::map<std::string, std::string> forms = {
      {"ordered.pt", "at the top level"},
      {"plain_dict.pt", "at the top level"},
      {"one_key.pt", "under key 'state_dict'"},
      {"wrapped_model.pt", "under key 'model'"},
      {"model_state_dict.pt", "under key 'model_state_dict'"},
      {"net.pt", "under key 'net'"},
      {"data_parallel.pt", "at the top level"},
      {"views.pt", "at the top level"}};
  for (const auto& [file, where] : forms) {
    SCOPED_TRACE(file);
    StatusOr<StateDict> s = ReadStateDict(Bytes(file), kNames);
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(s->where, where);
    ExpectTheTwoTensors(*s, "Float");
  }
}

TEST_F(StateDictReaderTest, ReadsHalfBFloat16AndDoubleTensors) {
  for (const auto& [file, dtype] : std::map<std::string, std::string>{
           {"float16.pt", "Half"}, {"bfloat16.pt", "BFloat16"}, {"float64.pt", "Double"}}) {
    SCOPED_TRACE(file);
    StatusOr<StateDict> s = ReadStateDict(Bytes(file), kNames);
    ASSERT_TRUE(s.ok()) << s.status();
    ExpectTheTwoTensors(*s, dtype);
  }
}

TEST_F(StateDictReaderTest, MatchesDotsToUnderscoresAndTakesOptionalNamesWhenPresent) {
  StatusOr<StateDict> s = ReadStateDict(Bytes("ordered.pt"), {"a_weight"}, {"a_bias", "absent"});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->tensors.count("a_weight"), 1u);
  EXPECT_EQ(s->tensors.count("a_bias"), 1u);
  EXPECT_EQ(s->tensors.count("absent"), 0u);
}

TEST_F(StateDictReaderTest, RefusesWhatItCannotReadWithoutRunningCode) {
  StatusOr<StateDict> module = ReadStateDict(Bytes("whole_module.pt"), kNames);
  ASSERT_FALSE(module.ok());
  EXPECT_NE(module.status().message().find("torch.nn.modules.container.Sequential"),
            std::string::npos)
      << module.status();
  EXPECT_NE(module.status().message().find("model.state_dict()"), std::string::npos);

  StatusOr<StateDict> legacy = ReadStateDict(Bytes("legacy.pt"), kNames);
  ASSERT_FALSE(legacy.ok());
  EXPECT_NE(legacy.status().message().find("legacy format"), std::string::npos) << legacy.status();

  StatusOr<StateDict> script = ReadStateDict(Bytes("torchscript.pt"), kNames);
  ASSERT_FALSE(script.ok());
  EXPECT_NE(script.status().message().find("TorchScript"), std::string::npos) << script.status();

  StatusOr<StateDict> missing = ReadStateDict(Bytes("ordered.pt"), {"a.weight", "b.weight"});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("'b.weight'"), std::string::npos) << missing.status();
}

// Hand-written pickles: what a hostile file may try.
TEST(PickleReaderTest, InterpretsOnlyDataAndRefusesMalformedInput) {
  // GLOBAL os.system, REDUCE ('echo',): recorded as an opaque object, never called.
  const char kCall[] =
      "\x80\x02"
      "cos\nsystem\nq\x00"
      "X\x04\x00\x00\x00"
      "echo\x85R.";
  const std::string call(kCall, sizeof kCall - 1);
  StatusOr<Pickle> p = ReadPickle(call, "call");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->root()->kind, PickleValue::Kind::kObject);
  EXPECT_EQ(p->root()->text, "os.system");

  EXPECT_FALSE(ReadPickle(std::string("\x80\x02h\x05.", 4), "get").ok());             // unset memo
  EXPECT_FALSE(ReadPickle(std::string("\x80\x02X\xff\xff\xff\x7f", 8), "len").ok());  // past end
  EXPECT_FALSE(ReadPickle(std::string("\x80\x02s.", 4), "setitem").ok());             // empty stack
  EXPECT_FALSE(ReadPickle(std::string("\x80\x02\x82\x01.", 5), "ext").ok());          // registry
  EXPECT_FALSE(ReadPickle(std::string("\x80\x02N", 3), "stop").ok());                 // no STOP
}

}  // namespace
}  // namespace securemark::models
