// util::RecordLog — keyed JSON records, one per line in a file, for work that must resume where
// it stopped: the finished cells of a bench (cells.jsonl), MIPP's per-layer decisions. Appending is
// O(record), so a log of thousands of records costs what they do, not their square.
//
// append() writes one complete line with a single write() to a file opened with O_APPEND and
// fsyncs it, so a crash leaves at most a torn last line; opening the store drops such a line (and
// rewrites the file without it). Not thread-safe; one process per log.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mipp::util {

class RecordLog {
 public:
  // Reads `path` when it exists. Every record must have a string "key". Throws Error(kCorruption)
  // naming the line for a malformed line that is not the last, Error(kIo) when it cannot be read.
  // A `read_only` log reads the file but never writes it: append() keeps the record in memory only
  // (the other ranks of a data-parallel run, which follow the file rank 0 writes).
  explicit RecordLog(std::string path, bool read_only = false);

  const std::vector<nlohmann::json>& records() const { return records_; }
  // The record with this key, or null.
  const nlohmann::json* find(const std::string& key) const;
  // Appends a record (replacing an earlier one of the same key in memory; the file keeps both and
  // the later wins when read). Throws Error(kIo) when the write fails.
  void append(const nlohmann::json& record);

 private:
  void remember(const nlohmann::json& record);  // in memory: replaces the record of its key

  std::string path_;
  bool read_only_ = false;
  std::vector<nlohmann::json> records_;
};

}  // namespace mipp::util
