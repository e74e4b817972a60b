// Numeric CSV tables: the input of `mipp mi`, and of anything that takes variables as columns.
//
// Format: comma-separated cells, one row per line ("\n" or "\r\n"), no quoting; empty lines are
// skipped. The first row is a header when any of its cells is not a number; otherwise columns are
// named by their 0-based index. Every row must have as many cells as the first. Cells are parsed
// as float64 (strtod, surrounding spaces allowed; "nan" and "inf" are accepted and left to the
// consumer's checks).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace mipp::data {

struct CsvTable {
  std::string path;
  std::vector<std::string> names;  // one per column: the header's, or "0", "1", ...
  bool has_header = false;
  at::Tensor values;  // [rows, columns] float64
};

// Throws Error(kNotFound) when the file cannot be opened, Error(kCorruption) naming the file, the
// line and the column for an empty file, a ragged row or a cell that is not a number:
//   "data.csv line 4: 2 cells, expected 3 (as in line 1)"
//   "data.csv line 7, column 2 (b): 'x1' is not a number"
CsvTable read_csv_table(const std::string& path);

// Column indices of `spec`, a comma-separated list of header names or 0-based indices ("a,c" or
// "0,2"; a name takes precedence over an index). Throws Error(kInvalidArgument) naming `option`
// for an empty list, an unknown name or an index out of range.
std::vector<int64_t> select_columns(const CsvTable& table, const std::string& spec, const std::string& option);

}  // namespace mipp::data
