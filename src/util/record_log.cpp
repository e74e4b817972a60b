#include "mipp/util/record_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "mipp/util/atomic_file.h"
#include "mipp/util/error.h"

namespace mipp::util {

RecordLog::RecordLog(std::string path, bool read_only) : path_(std::move(path)), read_only_(read_only) {
  std::error_code ec;
  if (!std::filesystem::exists(path_, ec)) return;
  std::ifstream in(path_);
  MIPP_CHECK(in.good(), kIo, "{}: cannot read", path_);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  bool torn = false;
  std::string kept;
  for (size_t i = 0; i < lines.size(); ++i) {
    nlohmann::json record;
    try {
      record = nlohmann::json::parse(lines[i]);
      MIPP_CHECK(record.is_object() && record.contains("key") && record.at("key").is_string(), kCorruption,
                 "no \"key\"");
    } catch (const std::exception& e) {
      // A crash during append can leave only the last line incomplete; anything else is damage.
      MIPP_CHECK(i + 1 == lines.size(), kCorruption, "{} line {}: not a record: {}", path_, i + 1, e.what());
      torn = true;
      break;
    }
    kept += lines[i] + "\n";
    records_.push_back(std::move(record));
  }
  if (torn && !read_only_) util::write_file_atomically(path_, kept);
  // Later records of a key replace earlier ones.
  std::vector<nlohmann::json> unique;
  for (auto& r : records_) {
    auto same = std::find_if(unique.begin(), unique.end(), [&](const nlohmann::json& u) { return u.at("key") == r.at("key"); });
    if (same != unique.end()) {
      *same = std::move(r);
    } else {
      unique.push_back(std::move(r));
    }
  }
  records_ = std::move(unique);
}

const nlohmann::json* RecordLog::find(const std::string& key) const {
  for (const nlohmann::json& r : records_) {
    if (r.at("key").get<std::string>() == key) return &r;
  }
  return nullptr;
}

void RecordLog::append(const nlohmann::json& record) {
  MIPP_CHECK(record.contains("key") && record.at("key").is_string(), kInvalidArgument, "a record needs a \"key\"");
  const std::string line = record.dump() + "\n";
  if (read_only_) return remember(record);
  const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  MIPP_CHECK(fd >= 0, kIo, "{}: cannot open for appending: {}", path_, std::strerror(errno));
  const ssize_t written = ::write(fd, line.data(), line.size());
  const int saved = errno;
  const bool synced = written == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  ::close(fd);
  MIPP_CHECK(synced, kIo, "{}: cannot append a record: {}", path_, std::strerror(written < 0 ? saved : errno));
  remember(record);
}

void RecordLog::remember(const nlohmann::json& record) {
  for (nlohmann::json& r : records_) {
    if (r.at("key") == record.at("key")) {
      r = record;
      return;
    }
  }
  records_.push_back(record);
}

}  // namespace mipp::util
