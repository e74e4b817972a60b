#include "mipp/bench/results_table.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

namespace mipp::bench {

namespace {

using nlohmann::json;

// A CSV field: quoted when it holds a comma, a quote or a line break.
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string quoted = "\"";
  for (char ch : s) quoted += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return quoted + "\"";
}

std::string scalar(const json& record, const std::string& key) {
  if (!record.contains(key) || record.at(key).is_null()) return "";
  const json& v = record.at(key);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return fmt::format("{:.6g}", v.get<double>());
  return v.dump();
}

// Latency median at `batch`, or "".
std::string latency_at(const json& record, int64_t batch) {
  if (!record.contains("latency")) return "";
  for (const json& l : record.at("latency")) {
    if (l.at("batch").get<int64_t>() == batch) return fmt::format("{:.4g}", l.at("median_ms").get<double>());
  }
  return "";
}

}  // namespace

std::string results_csv(const BenchResults& r) {
  const std::vector<int64_t>& batches = r.config->latency.batches;
  std::vector<std::string> header = {"model", "timing", "method", "method_title", "method_id", "control", "sparsity", "seed", "status",
                                     "achieved_sparsity", "top1_before", "top1_pruned", "top1_final", "top5_before",
                                     "top5_pruned", "top5_final", "loss_final", "params", "macs", "compression",
                                     "speedup"};
  for (int64_t b : batches) header.push_back(fmt::format("latency_b{}_ms", b));
  for (const char* k : {"threads", "collapsed_layers", "widths", "prune_seconds", "estimator_fits", "train_seconds",
                        "error", "git_commit", "libtorch_version"}) {
    header.emplace_back(k);
  }
  std::string out = fmt::format("{}\n", fmt::join(header, ","));
  for (const json& c : r.cells) {
    std::vector<std::string> row;
    for (const char* k : {"model", "timing", "method"}) row.push_back(scalar(c, k));
    row.push_back(method_title(*r.config, c.at("method").get<std::string>()));
    for (const char* k : {"method_id", "control", "sparsity", "seed", "status",
                          "achieved_sparsity", "top1_before", "top1_pruned", "top1_final", "top5_before", "top5_pruned",
                          "top5_final", "loss_final", "params", "macs", "compression", "speedup"}) {
      row.push_back(scalar(c, k));
    }
    for (int64_t b : batches) row.push_back(latency_at(c, b));
    row.push_back(scalar(r.run, "threads"));
    row.push_back(c.contains("collapsed_layers") ? std::to_string(c.at("collapsed_layers").size()) : "");
    std::vector<std::string> widths;
    if (c.contains("widths")) {
      for (const json& w : c.at("widths")) widths.push_back(std::to_string(w.at("after").get<int64_t>()));
    }
    row.push_back(fmt::format("{}", fmt::join(widths, "/")));
    row.push_back(scalar(c, "prune_seconds"));
    row.push_back(c.contains("method_details") ? scalar(c.at("method_details"), "estimator_fits") : "");
    row.push_back(scalar(c, "train_seconds"));
    row.push_back(scalar(c, "error"));
    // Cells made before they recorded what they ran with leave these empty; the manifest's runs
    // list the sittings.
    const json ran_with = c.value("ran_with", json::object());
    row.push_back(scalar(ran_with, "git_commit"));
    row.push_back(scalar(ran_with, "libtorch_version"));
    for (std::string& f : row) f = csv_field(f);
    out += fmt::format("{}\n", fmt::join(row, ","));
  }
  return out;
}

json results_json(const BenchResults& r) {
  json methods = json::array();
  const std::vector<std::string> titles = method_titles(*r.config);
  for (size_t k = 0; k < titles.size(); ++k) methods.push_back({{"label", r.config->methods[k].label}, {"title", titles[k]}});
  return {{"run", r.run},
          {"command", r.command},
          {"methods", methods},
          {"cells_total", r.cells_total},
          {"cells_finished", r.cells.size()},
          {"dense", r.dense},
          {"cells", r.cells}};
}

}  // namespace mipp::bench
