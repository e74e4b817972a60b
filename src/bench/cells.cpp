#include "mipp/bench/cells.h"

#include <fnmatch.h>

#include <algorithm>

#include <fmt/format.h>

#include "mipp/util/error.h"

namespace mipp::bench {

std::string cell_key(const BenchConfig& c, const Cell& cell) {
  std::string key = fmt::format("{}/{}/{}/{}/seed{}", c.models.at(cell.model).label, cell.timing,
                                c.methods.at(cell.method).label, cell.sparsity, cell.seed);
  if (cell.control != "none") key += "/" + cell.control;
  return key;
}

Cell parent_cell(const Cell& cell) {
  Cell parent = cell;
  parent.control = "none";
  return parent;
}

std::vector<Cell> enumerate_cells(const BenchConfig& c) {
  std::vector<Cell> cells;
  for (size_t m = 0; m < c.models.size(); ++m) {
    for (uint64_t seed : c.seeds) {
      for (const std::string& timing : {std::string("after"), std::string("before")}) {
        for (double s : c.sparsities) {
          for (size_t k = 0; k < c.methods.size(); ++k) {
            const MethodConfig& method = c.methods[k];
            if (std::find(method.timings.begin(), method.timings.end(), timing) == method.timings.end()) continue;
            Cell cell{m, k, timing, "none", s, seed};
            cells.push_back(cell);
            if (!c.controls || method.name == "random") continue;
            for (const char* control : {"shuffle", "reinit"}) {
              cell.control = control;
              cells.push_back(cell);
            }
          }
        }
      }
    }
  }
  return cells;
}

std::vector<Cell> matching_cells(const BenchConfig& c, const std::vector<Cell>& cells,
                                 const std::vector<std::string>& patterns) {
  if (patterns.empty()) return cells;
  std::vector<Cell> out;
  std::vector<bool> used(patterns.size(), false);
  for (const Cell& cell : cells) {
    const std::string key = cell_key(c, cell);
    bool match = false;
    for (size_t p = 0; p < patterns.size(); ++p) {
      if (fnmatch(patterns[p].c_str(), key.c_str(), 0) == 0) match = used[p] = true;
    }
    if (match) out.push_back(cell);
  }
  for (size_t p = 0; p < patterns.size(); ++p) {
    MIPP_CHECK(used[p], kInvalidArgument, "--cells '{}': matches none of the {} cells of {} (list them with --dry-run)",
               patterns[p], cells.size(), c.name);
  }
  return out;
}

}  // namespace mipp::bench
