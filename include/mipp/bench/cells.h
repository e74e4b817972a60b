// bench::Cell — one point of a bench: model x method (or its control) x sparsity x seed x timing.
// Cells are enumerated in a fixed order (model, seed, timing, sparsity, method, control), so the
// first seed of every method finishes before the second starts, and outputs list cells in the same
// order whatever order they ran in.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mipp/bench/config.h"

namespace mipp::bench {

struct Cell {
  size_t model = 0;               // index into BenchConfig::models
  size_t method = 0;              // index into BenchConfig::methods
  std::string timing;             // "after" (prune the trained model) or "before" (prune at initialisation)
  std::string control = "none";   // "none", "shuffle" (same per-layer counts, random units) or
                                  // "reinit" (same pruned architecture, fresh weights)
  double sparsity = 0;
  uint64_t seed = 0;
};

// The unique id of a cell in results: "lenet5/after/mipp/0.7/seed1" (+ "/shuffle", "/reinit").
std::string cell_key(const BenchConfig& c, const Cell& cell);

// The cell whose keep-sets a control reuses (the same cell with control "none").
Cell parent_cell(const Cell& cell);

// Every cell, in the order above. Controls (when c.controls) follow their method's cell; the
// random method gets none (its masks are random already).
std::vector<Cell> enumerate_cells(const BenchConfig& c);

// The cells whose key matches at least one of `patterns` (shell globs on cell_key, e.g.
// "vgg11/after/*/0.7/seed0"), in their order; all of them when `patterns` is empty. Throws
// Error(kInvalidArgument) naming a pattern that matches no cell.
std::vector<Cell> matching_cells(const BenchConfig& c, const std::vector<Cell>& cells,
                                 const std::vector<std::string>& patterns);

}  // namespace mipp::bench
