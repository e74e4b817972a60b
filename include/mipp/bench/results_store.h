// bench::ResultsStore — the finished cells of a bench, one JSON object per line in a file
// (cells.jsonl), so an interrupted bench resumes where it stopped.
//
// append() writes one complete line with a single write() to a file opened with O_APPEND and
// fsyncs it, so a crash leaves at most a torn last line; opening the store drops such a line (and
// rewrites the file without it). Not thread-safe; one process per store.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mipp::bench {

class ResultsStore {
 public:
  // Reads `path` when it exists. Every record must have a string "key". Throws Error(kCorruption)
  // naming the line for a malformed line that is not the last, Error(kIo) when it cannot be read.
  explicit ResultsStore(std::string path);

  const std::vector<nlohmann::json>& records() const { return records_; }
  // The record with this key, or null.
  const nlohmann::json* find(const std::string& key) const;
  // Appends a record (replacing an earlier one of the same key in memory; the file keeps both and
  // the later wins when read). Throws Error(kIo) when the write fails.
  void append(const nlohmann::json& record);

 private:
  std::string path_;
  std::vector<nlohmann::json> records_;
};

}  // namespace mipp::bench
