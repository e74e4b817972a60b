// The per-layer table behind `mipp inspect`: one row per node with its op, output shape, width,
// parameters and MACs, plus totals. Rendered as aligned text or as JSON.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mipp/graph/network.h"

namespace mipp::report {

struct LayerRow {
  std::string name;
  std::string op;
  std::vector<int64_t> out_shape;  // per sample
  int64_t width = 0;               // units: output channels (conv) or features (linear); 0 otherwise
  int64_t params = 0;
  int64_t macs = 0;
  std::vector<std::string> inputs;  // names of the nodes read
};

struct LayerTable {
  std::vector<LayerRow> rows;
  int64_t params_total = 0;
  int64_t macs_total = 0;
};

LayerTable layer_table(const graph::Network& net);

// Aligned text; rows with neither parameters nor MACs are included only when `all_nodes`.
std::string format_text(const LayerTable& table, bool all_nodes);

nlohmann::json to_json(const LayerTable& table);

// 1234567 -> "1.23M"; 999 -> "999". For human-readable summaries only; JSON keeps exact counts.
std::string human_count(int64_t n);

}  // namespace mipp::report
