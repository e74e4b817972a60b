#include "mipp/data/csv_table.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/from_blob.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <fmt/ranges.h>

#include "mipp/util/error.h"

namespace mipp::data {

namespace {

std::vector<std::string> split_cells(const std::string& line) {
  std::vector<std::string> cells;
  size_t start = 0;
  while (true) {
    const size_t comma = line.find(',', start);
    cells.push_back(line.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) return cells;
    start = comma + 1;
  }
}

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

bool parse_number(const std::string& cell, double& value) {
  const std::string t = trim(cell);
  if (t.empty()) return false;
  char* end = nullptr;
  errno = 0;
  value = std::strtod(t.c_str(), &end);
  // Overflow (ERANGE with +-HUGE_VAL) is a value the consumer's finiteness check reports; underflow
  // to a tiny number is fine.
  return end == t.c_str() + t.size();
}

}  // namespace

CsvTable read_csv_table(const std::string& path) {
  std::ifstream in(path);
  MIPP_CHECK(in.good(), kNotFound, "{}: cannot open the file", path);
  CsvTable table;
  table.path = path;
  std::vector<double> values;
  size_t columns = 0;
  int64_t rows = 0, first_line = 0, line_number = 0;
  std::string line;
  while (std::getline(in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (trim(line).empty()) continue;
    const std::vector<std::string> cells = split_cells(line);
    if (columns == 0) {
      columns = cells.size();
      first_line = line_number;
      std::vector<double> parsed(columns);
      bool numeric = true;
      for (size_t c = 0; c < columns; ++c) numeric = numeric && parse_number(cells[c], parsed[c]);
      if (!numeric) {
        table.has_header = true;
        for (const std::string& c : cells) table.names.push_back(trim(c));
        continue;
      }
      for (size_t c = 0; c < columns; ++c) table.names.push_back(std::to_string(c));
    }
    MIPP_CHECK(cells.size() == columns, kCorruption, "{} line {}: {} cells, expected {} (as in line {})", path,
               line_number, cells.size(), columns, first_line);
    for (size_t c = 0; c < columns; ++c) {
      double v = 0;
      MIPP_CHECK(parse_number(cells[c], v), kCorruption, "{} line {}, column {} ({}): '{}' is not a number", path,
                 line_number, c, table.names[c], trim(cells[c]));
      values.push_back(v);
    }
    ++rows;
  }
  MIPP_CHECK(columns > 0, kCorruption, "{}: empty file (no rows)", path);
  MIPP_CHECK(rows > 0, kCorruption, "{}: a header but no data rows", path);
  table.values = at::from_blob(values.data(), {rows, static_cast<int64_t>(columns)}, at::kDouble).clone();
  return table;
}

std::vector<int64_t> select_columns(const CsvTable& table, const std::string& spec, const std::string& option) {
  std::vector<int64_t> out;
  for (const std::string& raw : split_cells(spec)) {
    const std::string name = trim(raw);
    MIPP_CHECK(!name.empty(), kInvalidArgument, "{} '{}': empty column name", option, spec);
    int64_t index = -1;
    for (size_t c = 0; c < table.names.size(); ++c) {
      if (table.names[c] == name) {
        index = static_cast<int64_t>(c);
        break;
      }
    }
    if (index < 0 && name.find_first_not_of("0123456789") == std::string::npos && name.size() < 10) {
      index = std::stoll(name);
      MIPP_CHECK(index < static_cast<int64_t>(table.names.size()), kInvalidArgument,
                 "{}: column index {} is out of range: {} has {} columns", option, index, table.path,
                 table.names.size());
    }
    MIPP_CHECK(index >= 0, kInvalidArgument, "{}: unknown column '{}' in {} (columns: {})", option, name, table.path,
               fmt::join(table.names, ", "));
    out.push_back(index);
  }
  return out;
}

}  // namespace mipp::data
