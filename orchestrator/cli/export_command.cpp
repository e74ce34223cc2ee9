// securemark export: an artifact out of the store in a standard format, so that codes,
// extractions, tables and models can be read by other tools. Secret artifacts leave only
// on request, and then only into a new file that only its owner can read.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/torch_archive.h"
#include "codes/codebook.h"
#include "lineage.h"
#include "securemark/typed.h"
#include "securemark/values.h"

namespace securemark::cli {
namespace {

struct ExportOptions {
  std::string store_path = DefaultStorePath();
  std::string id, out, format = "auto", tensor;
  bool secret = false, force = false;
};

std::string NpyDescr(DType d) {
  switch (d) {
    case DType::kUInt8:
      return "|u1";
    case DType::kInt8:
      return "|i1";
    case DType::kInt32:
      return "<i4";
    case DType::kInt64:
      return "<i8";
    case DType::kFloat32:
      return "<f4";
    case DType::kFloat64:
      return "<f8";
  }
  return "|u1";
}

// NumPy's .npy format, version 1.0: magic, header length, a Python dict literal padded
// so that the data starts at a multiple of 64 bytes.
std::string Npy(const Tensor& t) {
  // A Python tuple: "()", "(3,)", "(2, 3)".
  std::string shape;
  for (int64_t d : t.shape()) shape += (shape.empty() ? "" : ", ") + std::to_string(d);
  shape = "(" + shape + (t.shape().size() == 1 ? ",)" : ")");
  std::string header =
      "{'descr': '" + NpyDescr(t.dtype()) + "', 'fortran_order': False, 'shape': " + shape + ", }";
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY";
  out += static_cast<char>(1);
  out += static_cast<char>(0);
  const uint16_t length = static_cast<uint16_t>(header.size());
  out += static_cast<char>(length & 0xff);
  out += static_cast<char>(length >> 8);
  return out + header + t.bytes();
}

double ElementAt(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::kUInt8:
      return t.data<uint8_t>()[i];
    case DType::kInt8:
      return t.data<int8_t>()[i];
    case DType::kInt32:
      return t.data<int32_t>()[i];
    case DType::kInt64:
      return static_cast<double>(t.data<int64_t>()[i]);
    case DType::kFloat32:
      return t.data<float>()[i];
    case DType::kFloat64:
      return t.data<double>()[i];
  }
  return 0;
}

std::string ElementText(const Tensor& t, int64_t i) {
  std::ostringstream s;
  s.precision(17);
  if (t.dtype() == DType::kFloat32 || t.dtype() == DType::kFloat64)
    s << ElementAt(t, i);
  else
    s << static_cast<int64_t>(ElementAt(t, i));
  return s.str();
}

StatusOr<std::string> Csv(const Tensor& t, const std::string& name) {
  if (t.shape().size() > 2) {
    return InvalidArgumentError("tensor '" + name + "' is " + t.ShapeString() +
                                "; CSV holds one or two dimensions (use --format npy)");
  }
  const int64_t cols = t.shape().size() == 2 ? t.dim(1) : 1;
  std::string out;
  for (int64_t i = 0; i < t.numel(); ++i)
    out += ElementText(t, i) + ((i + 1) % cols == 0 ? "\n" : ",");
  return out;
}

nlohmann::json TensorJson(const Tensor& t) {
  nlohmann::json data = nlohmann::json::array();
  for (int64_t i = 0; i < t.numel(); ++i) data.push_back(ElementAt(t, i));
  return {{"dtype", std::string(DTypeName(t.dtype()))}, {"shape", t.shape()}, {"data", data}};
}

// The one tensor of a map, or the one --tensor names.
StatusOr<std::pair<std::string, const Tensor*>> PickTensor(const TensorMap& map,
                                                           const std::string& wanted) {
  std::string names;
  for (const auto& [name, tensor] : map.tensors()) names += (names.empty() ? "" : ", ") + name;
  if (wanted.empty()) {
    if (map.tensors().size() == 1)
      return std::make_pair(map.tensors().begin()->first, &map.tensors().begin()->second);
    return InvalidArgumentError("the artifact holds tensors " + names +
                                "; name one with --tensor (or use --format json for all)");
  }
  if (!map.Has(wanted))
    return NotFoundError("the artifact has no tensor '" + wanted + "'; it holds " + names);
  return std::make_pair(wanted, *map.Get(wanted));
}

StatusOr<std::string> ExportTensors(const std::string& bytes, const ExportOptions& o,
                                    std::string& format) {
  SM_ASSIGN_OR_RETURN(TensorMap map, TensorMap::Decode(bytes));
  if (format == "auto") format = map.tensors().size() == 1 || !o.tensor.empty() ? "npy" : "json";
  if (format == "json") {
    nlohmann::json j = {{"attributes", map.attrs()}, {"tensors", nlohmann::json::object()}};
    for (const auto& [name, tensor] : map.tensors()) {
      if (o.tensor.empty() || o.tensor == name) j["tensors"][name] = TensorJson(tensor);
    }
    return j.dump(1) + "\n";
  }
  if (format == "pt") {  // every tensor, or the one --tensor names, as a dict
    std::vector<std::pair<std::string, const Tensor*>> picked;
    if (!o.tensor.empty()) {
      SM_ASSIGN_OR_RETURN(auto one, PickTensor(map, o.tensor));
      picked.push_back(one);
    } else {
      for (const auto& [name, tensor] : map.tensors()) picked.emplace_back(name, &tensor);
    }
    return TorchSaveArchive(picked);
  }
  SM_ASSIGN_OR_RETURN(auto picked, PickTensor(map, o.tensor));
  if (format == "npy") return Npy(*picked.second);
  if (format == "csv") return Csv(*picked.second, picked.first);
  return InvalidArgumentError("tensors export as npy, csv, json or pt, not " + format);
}

StatusOr<std::string> ExportCodebook(const std::string& bytes, std::string& format) {
  SM_ASSIGN_OR_RETURN(codes::Codebook codebook, codes::Codebook::Decode(bytes));
  if (format == "auto") format = "csv";
  Tensor words(DType::kUInt8, {codebook.users(), codebook.length()});
  uint8_t* w = words.mutable_data<uint8_t>();
  for (int64_t u = 0; u < codebook.users(); ++u) {
    for (int64_t p = 0; p < codebook.length(); ++p)
      w[u * codebook.length() + p] = codebook.Bit(p, u);
  }
  if (format == "npy") return Npy(words);
  if (format == "csv") return Csv(words, "codebook");
  if (format == "pt") return TorchSaveArchive({{"words", &words}});
  if (format == "json") {
    nlohmann::json rows = nlohmann::json::array();
    for (int64_t u = 0; u < codebook.users(); ++u)
      rows.push_back(
          std::vector<uint8_t>(w + u * codebook.length(), w + (u + 1) * codebook.length()));
    return nlohmann::json{{"name", codebook.name()},
                          {"users", codebook.users()},
                          {"length", codebook.length()},
                          {"words", rows}}
               .dump() +
           "\n";
  }
  return InvalidArgumentError(
      "a codebook exports as csv, npy, json or pt (one row per customer), not " + format);
}

StatusOr<std::string> Converted(const store::Artifact& a, const std::string& bytes,
                                const ExportOptions& o, std::string& format) {
  const std::string_view base = BaseTypeOf(a.type);
  if (base == "Json") {
    if (format == "auto" || format == "json") {
      format = "json";
      return nlohmann::json::parse(bytes).dump(2) + "\n";
    }
    return InvalidArgumentError("a " + a.type + " exports as json, not " + format);
  }
  if (base == "Tensors" || base == "Dataset") return ExportTensors(bytes, o, format);
  if (a.type == "Codebook") return ExportCodebook(bytes, format);
  if (a.type == "Model") {
    if (format == "auto" || format == "pt") {
      format = "pt";  // a TorchScript archive: torch.jit.load reads it
      return bytes;
    }
    return InvalidArgumentError("a Model exports as pt (TorchScript), not " + format);
  }
  if (a.type == "Blob") {
    if (format == "auto" || format == "raw") {
      format = "raw";
      return bytes;
    }
    return InvalidArgumentError("a Blob (CSV tables, images, archives) exports as raw, not " +
                                format);
  }
  if (format == "auto" || format == "raw") {
    format = "raw";
    return bytes;  // the type's own encoding
  }
  return InvalidArgumentError("a " + a.type + " exports only as raw (its own encoding), not " +
                              format);
}

// Writes `bytes` to a new file (0600 for secrets), or replaces an existing one with --force;
// never leaves a partial file behind.
Status WriteExport(const std::string& path, const std::string& bytes, bool secret, bool force) {
  namespace fs = std::filesystem;
  if (fs::exists(path) && (secret || !force)) {
    return AlreadyExistsError(path + " exists; " +
                              (secret ? std::string("a secret is only written to a new file")
                                      : std::string("choose another --out or add --force")));
  }
  const std::string temp = path + ".partial-" + std::to_string(getpid());
  const int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL, secret ? 0600 : 0644);
  if (fd < 0) return InternalError("cannot create " + temp + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      const std::string why = std::strerror(errno);
      close(fd);
      unlink(temp.c_str());
      return InternalError("cannot write " + temp + ": " + why);
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    unlink(temp.c_str());
    return InternalError("cannot write " + temp);
  }
  // link() refuses an existing target, so a secret never replaces a file made meanwhile.
  const int moved = secret ? link(temp.c_str(), path.c_str()) : rename(temp.c_str(), path.c_str());
  const std::string why = std::strerror(errno);
  if (secret) unlink(temp.c_str());
  if (moved != 0) {
    if (!secret) unlink(temp.c_str());
    return InternalError("cannot create " + path + ": " + why);
  }
  return OkStatus();
}

int Export(const ExportOptions& o) {
  auto s = OpenStoreToRead(o.store_path);
  if (!s.ok()) return Fail(s.status());
  auto node = store::ResolveNode(**s, o.id);
  if (!node.ok()) return Fail(node.status());
  if (node->kind != store::NodeRef::kArtifact)
    return Fail(InvalidArgumentError(o.id + " is an execution; export takes an artifact"));
  auto a = (*s)->GetArtifact(node->id);
  if (!a.ok()) return Fail(a.status());
  if (a->state != store::ArtifactState::kLive) {
    return Fail(FailedPreconditionError("a" + std::to_string(a->id) + " is " +
                                        std::string(store::Name(a->state)) + ", not LIVE"));
  }
  if (a->secret && !o.secret) {
    return Fail(FailedPreconditionError(
        "a" + std::to_string(a->id) + " (" + a->type +
        ") is secret; add --secret to write it to a new file only you can read"));
  }
  auto bytes = (*s)->ReadArtifact(a->id);
  if (!bytes.ok()) return Fail(bytes.status());
  std::string format = o.format;
  StatusOr<std::string> out = Converted(*a, *bytes, o, format);
  if (!out.ok())
    return Fail(out.status().WithContext("a" + std::to_string(a->id) + " (" + a->type + ")"));
  Status written = WriteExport(o.out, *out, a->secret, o.force);
  if (!written.ok()) return Fail(written);
  std::cout << "a" << a->id << " (" << a->type << ") -> " << o.out << " as " << format << ", "
            << out->size() << " bytes" << (a->secret ? ", mode 0600" : "") << "\n";
  return kExitOk;
}

}  // namespace

void AddExportCommand(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ExportOptions>();
  auto* cmd = app.add_subcommand(
      "export",
      "Write an artifact in a standard format: JSON documents as json; tensors (codes, "
      "extractions, keys) as npy, csv, json or pt (a dict for torch.load); codebooks as csv, npy, "
      "json or pt (one row per customer); models as pt (TorchScript); tables and other blobs as "
      "they are\n"
      "Example: securemark export extract@3.extracted --tensor fingerprint --out f.npy");
  AddStoreOption(cmd, o->store_path);
  cmd->add_option("id", o->id, "a12, a digest prefix (6+ hex digits) or an artifact name")
      ->required();
  cmd->add_option("--out", o->out, "File to write")->required();
  cmd->add_option("--format", o->format, "auto, npy, csv, json, pt or raw")
      ->check(CLI::IsMember({"auto", "npy", "csv", "json", "pt", "raw"}));
  cmd->add_option("--tensor", o->tensor, "Which tensor of a tensor bundle");
  cmd->add_flag("--secret", o->secret,
                "Allow a secret artifact (key, basis, codebook); written to a new 0600 file");
  cmd->add_flag("--force", o->force, "Replace an existing file (never for secrets)");
  cmd->callback([&exit_code, o] { exit_code = Export(*o); });
}

}  // namespace securemark::cli
