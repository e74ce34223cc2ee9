// Content-addressed blobs beside the database: <root>/blobs/<2 hex>/<62 hex> by sha256.
// Writes go to <root>/tmp, are fsynced and renamed into place, so a blob that exists is
// complete. Identical content is stored once; secret blobs are mode 0600.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "securemark/digest.h"
#include "securemark/status.h"

namespace securemark::store {

using securemark::Sha256Hex;

class BlobStore {
 public:
  explicit BlobStore(std::string root) : root_(std::move(root)) {}

  Status Init();  // creates the directories

  // Stores `bytes` durably and returns their sha256 digest (hex).
  StatusOr<std::string> Put(std::string_view bytes, bool secret);
  // The same when the caller has already hashed the bytes.
  Status Write(std::string_view bytes, const std::string& digest, bool secret);
  StatusOr<std::string> Get(const std::string& digest) const;  // verifies the digest
  bool Exists(const std::string& digest) const;
  // A secret blob must be readable by its owner only; PermissionDenied names the file.
  Status CheckPrivate(const std::string& digest) const;
  std::string PathOf(const std::string& digest) const;
  StatusOr<int64_t> SizeOf(const std::string& digest) const;

  // OK when the blob exists and hashes to its name.
  Status Verify(const std::string& digest) const;
  StatusOr<int64_t> Remove(const std::string& digest);  // bytes freed

  std::vector<std::string> ListDigests() const;
  std::vector<std::string> ListTempFiles() const;
  // Removes temp files no live writer holds (writers keep an flock on theirs).
  StatusOr<int64_t> RemoveAbandonedTempFiles(int64_t* bytes_freed);
  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

}  // namespace securemark::store
