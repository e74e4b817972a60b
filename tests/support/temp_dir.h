// TempDir: a fresh folder under /tmp, removed with everything in it when the object dies.
#pragma once

#include <string>

namespace mipp::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  // Number of entries in the folder: tests check that failures leave nothing behind.
  int num_entries() const;

 private:
  std::string path_;
};

}  // namespace mipp::testing
