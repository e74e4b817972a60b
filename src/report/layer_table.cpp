#include "mipp/report/layer_table.h"

#include <algorithm>
#include <fmt/ranges.h>

#include "mipp/graph/cost.h"

namespace mipp::report {

LayerTable layer_table(const graph::Network& net) {
  LayerTable table;
  const std::vector<graph::Cost> costs = graph::node_costs(net);
  for (int id = 0; id < net.num_nodes(); ++id) {
    const graph::Node& node = net.node(id);
    LayerRow row;
    row.name = node.name;
    row.op = graph::op_name(node.op);
    row.out_shape = node.out_shape;
    if (node.is<graph::Conv2dOp>() || node.is<graph::LinearOp>()) row.width = node.out_shape.front();
    row.params = costs[id].params;
    row.macs = costs[id].macs;
    for (int j : node.inputs) row.inputs.push_back(net.node(j).name);
    table.params_total += row.params;
    table.macs_total += row.macs;
    table.rows.push_back(std::move(row));
  }
  return table;
}

std::string human_count(int64_t n) {
  if (n < 10'000) return std::to_string(n);
  if (n < 1'000'000) return fmt::format("{:.1f}K", n / 1e3);
  if (n < 1'000'000'000) return fmt::format("{:.2f}M", n / 1e6);
  return fmt::format("{:.2f}G", n / 1e9);
}

std::string format_text(const LayerTable& table, bool all_nodes) {
  struct Cells {
    std::string name, op, shape, width, params, macs;
  };
  std::vector<Cells> cells = {{"layer", "op", "output", "width", "params", "MACs"}};
  for (const LayerRow& r : table.rows) {
    if (!all_nodes && r.params == 0 && r.macs == 0 && r.op != "input") continue;
    cells.push_back({r.name, r.op, fmt::format("{}", fmt::join(r.out_shape, "x")),
                     r.width > 0 ? std::to_string(r.width) : "", std::to_string(r.params), std::to_string(r.macs)});
  }
  cells.push_back({"total", "", "", "", std::to_string(table.params_total), std::to_string(table.macs_total)});

  size_t w[6] = {0, 0, 0, 0, 0, 0};
  for (const Cells& c : cells) {
    const std::string* col[6] = {&c.name, &c.op, &c.shape, &c.width, &c.params, &c.macs};
    for (int i = 0; i < 6; ++i) w[i] = std::max(w[i], col[i]->size());
  }
  std::string out;
  for (size_t i = 0; i < cells.size(); ++i) {
    const Cells& c = cells[i];
    if (i + 1 == cells.size()) out += std::string(w[0] + w[1] + w[2] + w[3] + w[4] + w[5] + 10, '-') + "\n";
    out += fmt::format("{:<{}}  {:<{}}  {:<{}}  {:>{}}  {:>{}}  {:>{}}\n", c.name, w[0], c.op, w[1], c.shape, w[2],
                       c.width, w[3], c.params, w[4], c.macs, w[5]);
  }
  out += fmt::format("{} parameters, {} MACs per sample\n", human_count(table.params_total),
                     human_count(table.macs_total));
  return out;
}

nlohmann::json to_json(const LayerTable& table) {
  nlohmann::json layers = nlohmann::json::array();
  for (const LayerRow& r : table.rows) {
    layers.push_back({{"name", r.name},
                      {"op", r.op},
                      {"out_shape", r.out_shape},
                      {"width", r.width},
                      {"params", r.params},
                      {"macs", r.macs},
                      {"inputs", r.inputs}});
  }
  return {{"layers", layers}, {"params_total", table.params_total}, {"macs_total", table.macs_total}};
}

}  // namespace mipp::report
