// Reading the pickles inside torch.save archives without running anything. Python's
// pickle is a small stack machine whose GLOBAL and REDUCE opcodes name functions to call;
// LibTorch's own unpickler supports only the opcodes TorchScript writes, so the usual
// `torch.save(model.state_dict(), f)` (an OrderedDict, built by calling
// collections.OrderedDict) is beyond it. This reader interprets the handful of callables
// that torch.save uses for plain data (OrderedDict, _rebuild_tensor_v2, _rebuild_parameter,
// _codecs.encode, set) and represents every other call as an opaque object that records
// the name it would have called. Nothing is ever looked up, imported or executed.
// LibTorch-free, so it can be fuzzed on its own.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "securemark/status.h"

namespace securemark::models {

struct PickleValue {
  enum class Kind {
    kNone,
    kBool,
    kInt,
    kFloat,
    kString,
    kBytes,
    kTuple,
    kList,
    kDict,
    kGlobal,   // a name a pickle refers to: text = "module.name"
    kObject,   // the result of calling or instantiating a name we do not interpret
    kStorage,  // a torch storage: text = its key in the archive
    kTensor,
  };
  Kind kind = Kind::kNone;
  bool boolean = false;
  int64_t integer = 0;
  double real = 0;
  std::string text;                                            // string, bytes, names, keys
  std::vector<PickleValue*> items;                             // tuple, list, object arguments
  std::vector<std::pair<PickleValue*, PickleValue*>> entries;  // dict, in insertion order
  // kStorage: element type (e.g. "Float") and element count; kTensor: its view.
  std::string dtype;
  int64_t numel = 0;
  PickleValue* storage = nullptr;
  int64_t offset = 0;
  std::vector<int64_t> shape, stride;
};

// All values of one pickle. Values refer to each other by pointer (pickles share values
// through the memo and may even build cycles), so they live and die together here.
class Pickle {
 public:
  Pickle() = default;
  Pickle(const Pickle&) = delete;
  Pickle& operator=(const Pickle&) = delete;
  Pickle(Pickle&&) = default;
  Pickle& operator=(Pickle&&) = default;

  const PickleValue* root() const { return root_; }
  PickleValue* New(PickleValue::Kind kind) {
    values_.emplace_back();
    values_.back().kind = kind;
    return &values_.back();
  }
  void set_root(PickleValue* root) { root_ = root; }

 private:
  std::deque<PickleValue> values_;
  PickleValue* root_ = nullptr;
};

// Interprets one pickle (protocol 0-5). DataLoss names `name` and the offset of what is
// malformed; opcodes that need outside state (extension registry, out-of-band buffers)
// are refused.
StatusOr<Pickle> ReadPickle(std::string_view bytes, std::string_view name);

// "collections.OrderedDict" for kGlobal; the called name for kObject; else the kind.
std::string DescribeValue(const PickleValue& value);

}  // namespace securemark::models
