#include "models/pickle_reader.h"

#include <cmath>
#include <cstring>
#include <map>

namespace securemark::models {
namespace {

using Kind = PickleValue::Kind;

// Nobody writes a pickle with more items pending than this; the bound keeps a hostile
// one from growing the stack without end.
constexpr size_t kMaxStack = size_t{1} << 24;
constexpr int64_t kMaxDims = 32;

class Reader {
 public:
  Reader(std::string_view bytes, std::string_view name) : p_(bytes), name_(name) {}

  StatusOr<Pickle> Run() {
    while (at_ < p_.size()) {
      start_ = at_;
      const auto code = static_cast<unsigned char>(p_[at_++]);
      if (code == '.') {
        if (stack_.size() != 1)
          return Bad("STOP with " + std::to_string(stack_.size()) + " values");
        out_.set_root(stack_.back());
        return std::move(out_);
      }
      SM_RETURN_IF_ERROR(Step(code));
      if (stack_.size() > kMaxStack) return Bad("more than 16M values pending");
    }
    return Bad("the pickle has no STOP");
  }

 private:
  Status Bad(const std::string& what) const {
    return DataLossError("pickle '" + std::string(name_) + "' at offset " + std::to_string(start_) +
                         ": " + what);
  }

  StatusOr<uint64_t> Fixed(size_t n) {
    if (n > p_.size() - at_) return Bad("argument runs past the end");
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i)
      v |= uint64_t{static_cast<unsigned char>(p_[at_ + i])} << (8 * i);
    at_ += n;
    return v;
  }
  StatusOr<std::string_view> Bytes(uint64_t n) {
    if (n > p_.size() - at_) return Bad("declares " + std::to_string(n) + " bytes past the end");
    std::string_view out = p_.substr(at_, n);
    at_ += n;
    return out;
  }
  StatusOr<std::string_view> Line() {
    const size_t end = p_.find('\n', at_);
    if (end == std::string_view::npos) return Bad("unterminated text argument");
    std::string_view out = p_.substr(at_, end - at_);
    at_ = end + 1;
    return out;
  }

  StatusOr<PickleValue*> Pop() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back()))
      return Bad("pops from an empty stack");
    PickleValue* v = stack_.back();
    stack_.pop_back();
    return v;
  }
  StatusOr<PickleValue*> Top() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back()))
      return Bad("reads an empty stack");
    return stack_.back();
  }
  // The values above the last MARK, which is removed.
  StatusOr<std::vector<PickleValue*>> PopMark() {
    if (marks_.empty()) return Bad("no MARK to pop to");
    const size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<PickleValue*> items(stack_.begin() + static_cast<std::ptrdiff_t>(mark),
                                    stack_.end());
    stack_.resize(mark);
    return items;
  }

  PickleValue* Make(Kind kind) { return out_.New(kind); }
  PickleValue* Int(int64_t v) {
    PickleValue* x = Make(Kind::kInt);
    x->integer = v;
    return x;
  }
  PickleValue* Text(Kind kind, std::string_view s) {
    PickleValue* x = Make(kind);
    x->text = std::string(s);
    return x;
  }
  PickleValue* Sequence(Kind kind, std::vector<PickleValue*> items) {
    PickleValue* x = Make(kind);
    x->items = std::move(items);
    return x;
  }
  void Push(PickleValue* v) { stack_.push_back(v); }

  StatusOr<int64_t> SignedLittle(std::string_view b) {
    if (b.size() > 8) return Bad("integer wider than 64 bits");
    uint64_t v = 0;
    for (size_t i = 0; i < b.size(); ++i)
      v |= uint64_t{static_cast<unsigned char>(b[i])} << (8 * i);
    if (!b.empty() && b.size() < 8 && (static_cast<unsigned char>(b.back()) & 0x80))
      v |= ~uint64_t{0} << (8 * b.size());
    return static_cast<int64_t>(v);
  }
  StatusOr<int64_t> ParseInt(std::string_view s) {
    if (!s.empty() && s.back() == 'L') s.remove_suffix(1);
    try {
      size_t used = 0;
      const long long v = std::stoll(std::string(s), &used);
      if (used != s.size()) return Bad("malformed integer '" + std::string(s.substr(0, 40)) + "'");
      return static_cast<int64_t>(v);
    } catch (const std::exception&) {
      return Bad("integer '" + std::string(s.substr(0, 40)) + "' out of range");
    }
  }

  Status Memoize(uint64_t index) {
    if (stack_.empty()) return Bad("memoizes an empty stack");
    if (index > p_.size()) return Bad("memo index beyond the pickle's size");
    memo_[index] = stack_.back();
    return OkStatus();
  }
  Status Recall(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) return Bad("memo index " + std::to_string(index) + " was never set");
    Push(it->second);
    return OkStatus();
  }

  static Status SetItems(PickleValue* dict, const std::vector<PickleValue*>& kv, const Reader& r) {
    if (dict->kind != Kind::kDict && dict->kind != Kind::kObject)
      return r.Bad("sets items on a " + DescribeValue(*dict));
    if (kv.size() % 2) return r.Bad("odd number of values for SETITEMS");
    for (size_t i = 0; i < kv.size(); i += 2) {
      if (dict->kind == Kind::kDict) dict->entries.emplace_back(kv[i], kv[i + 1]);
    }
    return OkStatus();
  }
  Status Append(PickleValue* list, const std::vector<PickleValue*>& items) {
    if (list->kind == Kind::kObject) return OkStatus();  // e.g. a deque: kept opaque
    if (list->kind != Kind::kList) return Bad("appends to a " + DescribeValue(*list));
    list->items.insert(list->items.end(), items.begin(), items.end());
    return OkStatus();
  }

  static bool IsInt(const PickleValue* v) { return v->kind == Kind::kInt; }
  static bool IsIntTuple(const PickleValue* v) {
    if (v->kind != Kind::kTuple && v->kind != Kind::kList) return false;
    for (const PickleValue* x : v->items)
      if (!IsInt(x)) return false;
    return true;
  }

  // torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...).
  StatusOr<PickleValue*> RebuildTensor(const std::vector<PickleValue*>& a) {
    if (a.size() < 4 || a[0]->kind != Kind::kStorage || !IsInt(a[1]) || !IsIntTuple(a[2]) ||
        !IsIntTuple(a[3]) || a[2]->items.size() != a[3]->items.size()) {
      return Bad("_rebuild_tensor expects (storage, offset, size tuple, stride tuple)");
    }
    PickleValue* t = Make(Kind::kTensor);
    t->storage = a[0];
    t->offset = a[1]->integer;
    if (static_cast<int64_t>(a[2]->items.size()) > kMaxDims) return Bad("tensor of too many dims");
    int64_t last = t->offset;  // the furthest element the view reaches
    bool empty = false;
    for (size_t d = 0; d < a[2]->items.size(); ++d) {
      const int64_t size = a[2]->items[d]->integer, stride = a[3]->items[d]->integer;
      if (size < 0 || stride < 0) return Bad("negative tensor size or stride");
      t->shape.push_back(size);
      t->stride.push_back(stride);
      if (size == 0) empty = true;
      if (size > 0 && stride > 0 &&
          (size - 1 > (INT64_MAX - last) / stride))  // overflow: certainly out of range
        return Bad("tensor view beyond any storage");
      if (size > 0) last += (size - 1) * stride;
    }
    if (t->offset < 0) return Bad("negative storage offset");
    if (!empty && last >= t->storage->numel) {
      return Bad("tensor view reaches element " + std::to_string(last) + " of a storage of " +
                 std::to_string(t->storage->numel));
    }
    return t;
  }

  StatusOr<PickleValue*> Call(PickleValue* callable, PickleValue* args) {
    if (args->kind != Kind::kTuple) return Bad("REDUCE arguments are not a tuple");
    const std::vector<PickleValue*>& a = args->items;
    const std::string name = callable->kind == Kind::kGlobal ? callable->text : "";
    if (name == "collections.OrderedDict" || name == "builtins.dict") {
      PickleValue* d = Make(Kind::kDict);
      if (!a.empty() && a[0]->kind == Kind::kList) {
        for (PickleValue* pair : a[0]->items) {
          if ((pair->kind == Kind::kList || pair->kind == Kind::kTuple) && pair->items.size() == 2)
            d->entries.emplace_back(pair->items[0], pair->items[1]);
        }
      }
      return d;
    }
    if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor")
      return RebuildTensor(a);
    if (name == "torch._utils._rebuild_parameter" ||
        name == "torch._utils._rebuild_parameter_with_state") {
      if (a.empty() || a[0]->kind != Kind::kTensor) return Bad(name + " expects a tensor");
      return a[0];
    }
    if (name == "_codecs.encode") {  // how protocol 2 writes Python 3 bytes
      if (a.empty() || a[0]->kind != Kind::kString) return Bad("_codecs.encode expects a string");
      return Text(Kind::kBytes, a[0]->text);
    }
    // LibTorch's own pickles (torch::pickle_save) tag containers with their types.
    if (name == "torch.jit._pickle.restore_type_tag" || name == "torch.jit._pickle.build_intlist" ||
        name == "torch.jit._pickle.build_floatlist" || name == "torch.jit._pickle.build_boollist" ||
        name == "torch.jit._pickle.build_doublelist" ||
        name == "torch.jit._pickle.build_tensorlist") {
      if (a.empty()) return Bad(name + " expects a value");
      return a[0];
    }
    if (name == "builtins.set" || name == "builtins.frozenset") {
      return Sequence(Kind::kList, a.empty() ? std::vector<PickleValue*>{} : a[0]->items);
    }
    PickleValue* object = Sequence(Kind::kObject, a);
    object->text = callable->kind == Kind::kGlobal || callable->kind == Kind::kObject
                       ? callable->text
                       : DescribeValue(*callable);
    return object;
  }

  static const char* StorageDtype(const std::string& type) {
    static const std::map<std::string, const char*> kTypes = {
        {"torch.FloatStorage", "Float"}, {"torch.DoubleStorage", "Double"},
        {"torch.HalfStorage", "Half"},   {"torch.BFloat16Storage", "BFloat16"},
        {"torch.LongStorage", "Long"},   {"torch.IntStorage", "Int"},
        {"torch.ShortStorage", "Short"}, {"torch.CharStorage", "Char"},
        {"torch.ByteStorage", "Byte"},   {"torch.BoolStorage", "Bool"},
    };
    auto it = kTypes.find(type);
    return it == kTypes.end() ? nullptr : it->second;
  }

  // ('storage', torch.FloatStorage, key, location, numel), as torch.save writes it.
  StatusOr<PickleValue*> Persistent(PickleValue* pid) {
    const auto& a = pid->items;
    if (pid->kind != Kind::kTuple || a.size() < 5 || a[0]->kind != Kind::kString ||
        a[0]->text != "storage" || a[1]->kind != Kind::kGlobal || a[2]->kind != Kind::kString ||
        !IsInt(a[4])) {
      return Bad("persistent id is not a torch storage reference");
    }
    const char* dtype = StorageDtype(a[1]->text);
    if (dtype == nullptr) return Bad("unsupported storage type " + a[1]->text);
    if (a[4]->integer < 0) return Bad("negative storage size");
    auto known = storages_.find(a[2]->text);
    if (known != storages_.end()) return known->second;  // tensors sharing one storage
    PickleValue* s = Text(Kind::kStorage, a[2]->text);
    s->dtype = dtype;
    s->numel = a[4]->integer;
    storages_[a[2]->text] = s;
    return s;
  }

  Status Step(unsigned char code) {
    switch (code) {
      case 0x80:  // PROTO
        return Fixed(1).status();
      case 0x95:  // FRAME
        return Fixed(8).status();
      case '(':
        marks_.push_back(stack_.size());
        return OkStatus();
      case '0':
        return Pop().status();
      case '1':
        return PopMark().status();
      case '2': {
        SM_ASSIGN_OR_RETURN(PickleValue * v, Top());
        Push(v);
        return OkStatus();
      }
      case 'N':
        Push(Make(Kind::kNone));
        return OkStatus();
      case 0x88:
      case 0x89: {
        PickleValue* b = Make(Kind::kBool);
        b->boolean = code == 0x88;
        Push(b);
        return OkStatus();
      }
      case 'I': {
        SM_ASSIGN_OR_RETURN(std::string_view s, Line());
        if (s == "01" || s == "00") {
          PickleValue* b = Make(Kind::kBool);
          b->boolean = s == "01";
          Push(b);
          return OkStatus();
        }
        SM_ASSIGN_OR_RETURN(int64_t v, ParseInt(s));
        Push(Int(v));
        return OkStatus();
      }
      case 'L': {
        SM_ASSIGN_OR_RETURN(std::string_view s, Line());
        SM_ASSIGN_OR_RETURN(int64_t v, ParseInt(s));
        Push(Int(v));
        return OkStatus();
      }
      case 'J': {
        SM_ASSIGN_OR_RETURN(uint64_t v, Fixed(4));
        Push(Int(static_cast<int32_t>(static_cast<uint32_t>(v))));
        return OkStatus();
      }
      case 'K':
      case 'M': {
        SM_ASSIGN_OR_RETURN(uint64_t v, Fixed(code == 'K' ? 1 : 2));
        Push(Int(static_cast<int64_t>(v)));
        return OkStatus();
      }
      case 0x8a:
      case 0x8b: {
        SM_ASSIGN_OR_RETURN(uint64_t n, Fixed(code == 0x8a ? 1 : 4));
        SM_ASSIGN_OR_RETURN(std::string_view b, Bytes(n));
        SM_ASSIGN_OR_RETURN(int64_t v, SignedLittle(b));
        Push(Int(v));
        return OkStatus();
      }
      case 'F': {
        SM_ASSIGN_OR_RETURN(std::string_view s, Line());
        PickleValue* f = Make(Kind::kFloat);
        f->real = std::strtod(std::string(s).c_str(), nullptr);
        Push(f);
        return OkStatus();
      }
      case 'G': {
        SM_ASSIGN_OR_RETURN(std::string_view b, Bytes(8));
        uint64_t bits = 0;
        for (char c : b) bits = (bits << 8) | static_cast<unsigned char>(c);  // big-endian
        PickleValue* f = Make(Kind::kFloat);
        std::memcpy(&f->real, &bits, sizeof bits);
        Push(f);
        return OkStatus();
      }
      case 'S':
      case 'V': {
        SM_ASSIGN_OR_RETURN(std::string_view s, Line());
        if (code == 'S' && s.size() >= 2 && (s.front() == '\'' || s.front() == '"'))
          s = s.substr(1, s.size() - 2);
        Push(Text(Kind::kString, s));
        return OkStatus();
      }
      case 'T':
      case 'U':
      case 'X':
      case 0x8c:
      case 0x8d:
      case 'B':
      case 'C':
      case 0x8e:
      case 0x96: {
        const size_t width = (code == 'U' || code == 0x8c || code == 'C')     ? 1
                             : (code == 0x8d || code == 0x8e || code == 0x96) ? 8
                                                                              : 4;
        SM_ASSIGN_OR_RETURN(uint64_t n, Fixed(width));
        SM_ASSIGN_OR_RETURN(std::string_view s, Bytes(n));
        const bool text = code == 'T' || code == 'U' || code == 'X' || code == 0x8c || code == 0x8d;
        Push(Text(text ? Kind::kString : Kind::kBytes, s));
        return OkStatus();
      }
      case ')':
        Push(Make(Kind::kTuple));
        return OkStatus();
      case 't': {
        SM_ASSIGN_OR_RETURN(std::vector<PickleValue*> items, PopMark());
        Push(Sequence(Kind::kTuple, std::move(items)));
        return OkStatus();
      }
      case 0x85:
      case 0x86:
      case 0x87: {
        std::vector<PickleValue*> items(code - 0x84);
        for (size_t i = items.size(); i-- > 0;) {
          SM_ASSIGN_OR_RETURN(items[i], Pop());
        }
        Push(Sequence(Kind::kTuple, std::move(items)));
        return OkStatus();
      }
      case ']':
        Push(Make(Kind::kList));
        return OkStatus();
      case 0x8f:  // EMPTY_SET
        Push(Make(Kind::kList));
        return OkStatus();
      case 'l':
      case 0x91: {
        SM_ASSIGN_OR_RETURN(std::vector<PickleValue*> items, PopMark());
        Push(Sequence(Kind::kList, std::move(items)));
        return OkStatus();
      }
      case 'a': {
        SM_ASSIGN_OR_RETURN(PickleValue * item, Pop());
        SM_ASSIGN_OR_RETURN(PickleValue * list, Top());
        return Append(list, {item});
      }
      case 'e':
      case 0x90: {
        SM_ASSIGN_OR_RETURN(std::vector<PickleValue*> items, PopMark());
        SM_ASSIGN_OR_RETURN(PickleValue * list, Top());
        return Append(list, items);
      }
      case '}':
        Push(Make(Kind::kDict));
        return OkStatus();
      case 'd': {
        SM_ASSIGN_OR_RETURN(std::vector<PickleValue*> kv, PopMark());
        PickleValue* dict = Make(Kind::kDict);
        SM_RETURN_IF_ERROR(SetItems(dict, kv, *this));
        Push(dict);
        return OkStatus();
      }
      case 's': {
        SM_ASSIGN_OR_RETURN(PickleValue * value, Pop());
        SM_ASSIGN_OR_RETURN(PickleValue * key, Pop());
        SM_ASSIGN_OR_RETURN(PickleValue * dict, Top());
        return SetItems(dict, {key, value}, *this);
      }
      case 'u': {
        SM_ASSIGN_OR_RETURN(std::vector<PickleValue*> kv, PopMark());
        SM_ASSIGN_OR_RETURN(PickleValue * dict, Top());
        return SetItems(dict, kv, *this);
      }
      case 'c': {
        SM_ASSIGN_OR_RETURN(std::string_view module, Line());
        SM_ASSIGN_OR_RETURN(std::string_view qualname, Line());
        Push(Text(Kind::kGlobal, std::string(module) + "." + std::string(qualname)));
        return OkStatus();
      }
      case 0x93: {
        SM_ASSIGN_OR_RETURN(PickleValue * qualname, Pop());
        SM_ASSIGN_OR_RETURN(PickleValue * module, Pop());
        if (module->kind != Kind::kString || qualname->kind != Kind::kString)
          return Bad("STACK_GLOBAL expects two strings");
        Push(Text(Kind::kGlobal, module->text + "." + qualname->text));
        return OkStatus();
      }
      case 'R': {
        SM_ASSIGN_OR_RETURN(PickleValue * args, Pop());
        SM_ASSIGN_OR_RETURN(PickleValue * callable, Pop());
        SM_ASSIGN_OR_RETURN(PickleValue * result, Call(callable, args));
        Push(result);
        return OkStatus();
      }
      case 0x81:
      case 0x92: {  // NEWOBJ, NEWOBJ_EX: cls.__new__(cls, *args): never interpreted
        if (code == 0x92) SM_RETURN_IF_ERROR(Pop().status());
        SM_ASSIGN_OR_RETURN(PickleValue * args, Pop());
        SM_ASSIGN_OR_RETURN(PickleValue * cls, Pop());
        PickleValue* object = Sequence(Kind::kObject, args->items);
        object->text = cls->kind == Kind::kGlobal ? cls->text : DescribeValue(*cls);
        Push(object);
        return OkStatus();
      }
      case 'i': {
        SM_ASSIGN_OR_RETURN(std::string_view module, Line());
        SM_ASSIGN_OR_RETURN(std::string_view qualname, Line());
        SM_ASSIGN_OR_RETURN(std::vector<PickleValue*> args, PopMark());
        PickleValue* object = Sequence(Kind::kObject, std::move(args));
        object->text = std::string(module) + "." + std::string(qualname);
        Push(object);
        return OkStatus();
      }
      case 'o': {
        SM_ASSIGN_OR_RETURN(std::vector<PickleValue*> args, PopMark());
        if (args.empty()) return Bad("OBJ without a class");
        PickleValue* object = Sequence(Kind::kObject, {args.begin() + 1, args.end()});
        object->text = DescribeValue(*args[0]);
        Push(object);
        return OkStatus();
      }
      case 'b': {  // BUILD: an object's state; an OrderedDict's is its _metadata
        SM_ASSIGN_OR_RETURN(PickleValue * state, Pop());
        SM_ASSIGN_OR_RETURN(PickleValue * object, Top());
        if (object->kind == Kind::kObject) object->items.push_back(state);
        return OkStatus();
      }
      case 'P':
      case 'Q': {
        PickleValue* pid = nullptr;
        if (code == 'P') {
          SM_ASSIGN_OR_RETURN(std::string_view s, Line());
          pid = Text(Kind::kString, s);
        } else {
          SM_ASSIGN_OR_RETURN(pid, Pop());
        }
        SM_ASSIGN_OR_RETURN(PickleValue * storage, Persistent(pid));
        Push(storage);
        return OkStatus();
      }
      case 'p': {
        SM_ASSIGN_OR_RETURN(std::string_view s, Line());
        SM_ASSIGN_OR_RETURN(int64_t i, ParseInt(s));
        if (i < 0) return Bad("negative memo index");
        return Memoize(static_cast<uint64_t>(i));
      }
      case 'q':
      case 'r': {
        SM_ASSIGN_OR_RETURN(uint64_t i, Fixed(code == 'q' ? 1 : 4));
        return Memoize(i);
      }
      case 0x94:
        return Memoize(memo_.size());
      case 'g': {
        SM_ASSIGN_OR_RETURN(std::string_view s, Line());
        SM_ASSIGN_OR_RETURN(int64_t i, ParseInt(s));
        return Recall(static_cast<uint64_t>(i));
      }
      case 'h':
      case 'j': {
        SM_ASSIGN_OR_RETURN(uint64_t i, Fixed(code == 'h' ? 1 : 4));
        return Recall(i);
      }
      case 0x82:
      case 0x83:
      case 0x84:
        return Bad("extension-registry opcodes are not accepted");
      case 0x97:
      case 0x98:
        return Bad("out-of-band buffers are not accepted");
      default:
        return Bad("unknown pickle opcode " + std::to_string(code));
    }
  }

  std::string_view p_;
  std::string_view name_;
  size_t at_ = 0, start_ = 0;
  std::vector<PickleValue*> stack_;
  std::vector<size_t> marks_;
  std::map<uint64_t, PickleValue*> memo_;
  std::map<std::string, PickleValue*> storages_;
  Pickle out_;
};

}  // namespace

StatusOr<Pickle> ReadPickle(std::string_view bytes, std::string_view name) {
  return Reader(bytes, name).Run();
}

std::string DescribeValue(const PickleValue& v) {
  switch (v.kind) {
    case Kind::kNone:
      return "None";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return "str";
    case Kind::kBytes:
      return "bytes";
    case Kind::kTuple:
      return "tuple";
    case Kind::kList:
      return "list";
    case Kind::kDict:
      return "dict";
    case Kind::kGlobal:
    case Kind::kObject:
      return v.text;
    case Kind::kStorage:
      return "storage";
    case Kind::kTensor:
      return "tensor";
  }
  return "?";
}

}  // namespace securemark::models
