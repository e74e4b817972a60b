#include "mipp/bench/cells.h"

#include <algorithm>

#include <fmt/format.h>

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

}  // namespace mipp::bench
