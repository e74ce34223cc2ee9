#include "models/state_dict_reader.h"

#include <algorithm>
#include <set>

#include "models/archive_guard.h"
#include "models/pickle_reader.h"

namespace securemark::models {
namespace {

using Kind = PickleValue::Kind;

constexpr size_t kMaxPickleBytes = size_t{256} << 20;
constexpr size_t kMaxStorageBytes = size_t{4} << 30;
constexpr int kMaxDepth = 8;

const char* kSaveAdvice =
    "; save the weights instead: torch.save(model.state_dict(), f), or TorchScript: "
    "torch.jit.save(torch.jit.script(model), f)";

// Names compared after removing wrapper prefixes and taking '.' and '_' as equal, so a
// PyTorch module's "conv2.weight" meets a TorchScript zoo model's "conv2_weight".
std::string Loose(std::string name) {
  for (bool again = true; again;) {
    again = false;
    for (std::string_view prefix : {"module.", "_orig_mod."}) {
      if (name.compare(0, prefix.size(), prefix) == 0) {
        name.erase(0, prefix.size());
        again = true;
      }
    }
  }
  std::replace(name.begin(), name.end(), '.', '_');
  return name;
}

struct Candidate {
  const PickleValue* dict;
  std::string where;
};

// Every dict reachable from the root (depth-limited; pickles may hold cycles), the root
// first, then breadth-first, so a top-level state_dict wins over one nested deeper.
std::vector<Candidate> Dicts(const PickleValue* root) {
  std::vector<Candidate> out;
  std::set<const PickleValue*> seen;
  std::vector<Candidate> level = {{root, "at the top level"}};
  for (int depth = 0; depth < kMaxDepth && !level.empty(); ++depth) {
    std::vector<Candidate> next;
    for (const Candidate& c : level) {
      if (!seen.insert(c.dict).second) continue;
      if (c.dict->kind == Kind::kDict) {
        out.push_back(c);
        for (const auto& [k, v] : c.dict->entries) {
          const std::string key =
              k->kind == Kind::kString ? "'" + k->text + "'" : DescribeValue(*k);
          next.push_back({v, (depth == 0 ? "under key " : c.where + " > ") + key});
        }
      } else if (c.dict->kind == Kind::kList || c.dict->kind == Kind::kTuple) {
        for (size_t i = 0; i < c.dict->items.size(); ++i)
          next.push_back({c.dict->items[i], c.where + " [" + std::to_string(i) + "]"});
      }
    }
    level = std::move(next);
  }
  return out;
}

// A Python object standing where weights should be (e.g. torch.save(model)).
const PickleValue* PickledObject(const PickleValue* root) {
  std::set<const PickleValue*> seen;
  std::vector<const PickleValue*> level = {root};
  for (int depth = 0; depth < kMaxDepth && !level.empty(); ++depth) {
    std::vector<const PickleValue*> next;
    for (const PickleValue* v : level) {
      if (!seen.insert(v).second) continue;
      if (v->kind == Kind::kObject) return v;
      if (v->kind == Kind::kDict)
        for (const auto& kv : v->entries) next.push_back(kv.second);
    }
    level = std::move(next);
  }
  return nullptr;
}

std::map<std::string, const PickleValue*> TensorsOf(const PickleValue* dict) {
  std::map<std::string, const PickleValue*> out;
  for (const auto& [k, v] : dict->entries) {
    if (k->kind == Kind::kString && v->kind == Kind::kTensor) out[k->text] = v;
  }
  return out;
}

// `wanted` names matched to the file's entries, or the names that are missing.
std::map<std::string, const PickleValue*> Match(
    const std::map<std::string, const PickleValue*>& found, const std::vector<std::string>& wanted,
    std::vector<std::string>& missing) {
  std::map<std::string, const PickleValue*> loose;
  for (const auto& [name, t] : found) loose.emplace(Loose(name), t);
  std::map<std::string, const PickleValue*> out;
  for (const std::string& w : wanted) {
    auto exact = found.find(w);
    if (exact != found.end()) {
      out[w] = exact->second;
      continue;
    }
    auto near = loose.find(Loose(w));
    if (near != loose.end()) {
      out[w] = near->second;
    } else {
      missing.push_back(w);
    }
  }
  return out;
}

Status Refuse(const std::string& what) { return InvalidArgumentError(what); }

}  // namespace

int64_t ElementSize(const std::string& dtype) {
  if (dtype == "Double" || dtype == "Long") return 8;
  if (dtype == "Float" || dtype == "Int") return 4;
  if (dtype == "Half" || dtype == "BFloat16" || dtype == "Short") return 2;
  if (dtype == "Char" || dtype == "Byte" || dtype == "Bool") return 1;
  return 0;
}

StatusOr<StateDict> ReadStateDict(std::string_view archive,
                                  const std::vector<std::string>& parameters,
                                  const std::vector<std::string>& optional) {
  if (archive.size() >= 2 && static_cast<unsigned char>(archive[0]) == 0x80) {
    return Refuse(
        "the checkpoint is in PyTorch's legacy format (torch.save with "
        "_use_new_zipfile_serialization=False, or PyTorch before 1.6); save it again with "
        "torch.save(state_dict, f) from PyTorch 1.6 or later");
  }
  // data.pkl and data/<key> sit in one folder whose name torch.save takes from the file.
  std::string pickle, folder, byteorder;
  std::map<std::string, ArchiveEntry> entries;
  SM_RETURN_IF_ERROR(ForEachArchiveEntry(archive, [&](const ArchiveEntry& e) -> Status {
    entries[std::string(e.name)] = e;
    const std::string_view name = e.name;
    if (name == "data.pkl" || (name.size() > 9 && name.substr(name.size() - 9) == "/data.pkl")) {
      if (!pickle.empty()) return DataLossError("the checkpoint holds two data.pkl entries");
      SM_ASSIGN_OR_RETURN(pickle, EntryContents(e, kMaxPickleBytes));
      folder = std::string(name.substr(0, name.size() - 8));
    }
    return OkStatus();
  }));
  if (pickle.empty()) return Refuse("the archive has no data.pkl: not a torch.save checkpoint");
  if (entries.count(folder + "constants.pkl") || entries.count(folder + "code/")) {
    return Refuse("the archive is a TorchScript model, not a torch.save checkpoint");
  }
  if (auto it = entries.find(folder + "byteorder"); it != entries.end()) {
    SM_ASSIGN_OR_RETURN(byteorder, EntryContents(it->second, 16));
    if (byteorder != "little")
      return Refuse("the checkpoint was saved on a '" + byteorder + "'-endian machine");
  }
  SM_ASSIGN_OR_RETURN(Pickle value, ReadPickle(pickle, folder + "data.pkl"));

  // The dictionary that holds every wanted parameter.
  const std::vector<Candidate> dicts = Dicts(value.root());
  std::map<std::string, const PickleValue*> chosen;
  std::string where, best_where;
  std::vector<std::string> best_missing;
  size_t best_found = 0;
  for (const Candidate& c : dicts) {
    const auto found = TensorsOf(c.dict);
    if (found.empty()) continue;
    if (parameters.empty()) {
      if (found.size() > chosen.size()) chosen = found, where = c.where;
      continue;
    }
    std::vector<std::string> missing;
    auto matched = Match(found, parameters, missing);
    if (missing.empty()) {
      std::vector<std::string> absent;
      for (const auto& [name, t] : Match(found, optional, absent)) matched[name] = t;
      chosen = std::move(matched);
      where = c.where;
      break;
    }
    if (matched.size() > best_found || best_where.empty()) {
      best_found = matched.size();
      best_where = c.where;
      best_missing = std::move(missing);
    }
  }
  if (chosen.empty()) {
    if (const PickleValue* object = PickledObject(value.root())) {
      return Refuse("the checkpoint pickles a Python object (" + object->text +
                    "); reading it would mean running its code" + kSaveAdvice);
    }
    if (best_where.empty()) {
      return Refuse("the checkpoint holds no dictionary of tensors (its top level is a " +
                    DescribeValue(*value.root()) + ")" + kSaveAdvice);
    }
    std::string list;
    for (size_t i = 0; i < best_missing.size() && i < 5; ++i)
      list += (i ? ", '" : "'") + best_missing[i] + "'";
    if (best_missing.size() > 5) list += ", ...";
    return Refuse("the checkpoint's tensors " + best_where + " lack " +
                  std::to_string(best_missing.size()) + " of the " +
                  std::to_string(parameters.size()) +
                  " parameters of the reference architecture (" + list + ")");
  }

  StateDict out;
  out.where = where;
  for (const auto& [name, t] : chosen) {
    const PickleValue& s = *t->storage;
    const int64_t element = ElementSize(s.dtype);
    if (!out.storages.count(s.text)) {
      auto entry = entries.find(folder + "data/" + s.text);
      if (entry == entries.end())
        return DataLossError("the checkpoint lacks the storage data/" + s.text + " of '" + name +
                             "'");
      SM_ASSIGN_OR_RETURN(std::string bytes, EntryContents(entry->second, kMaxStorageBytes));
      if (static_cast<uint64_t>(s.numel) > bytes.size() / element) {
        return DataLossError("storage data/" + s.text + " of '" + name + "' holds " +
                             std::to_string(bytes.size()) + " bytes, not " +
                             std::to_string(s.numel) + " " + s.dtype + " values");
      }
      out.storages[s.text] = std::move(bytes);
    }
    out.tensors[name] = {s.dtype, t->shape, t->stride, t->offset, s.text};
  }
  return out;
}

}  // namespace securemark::models
