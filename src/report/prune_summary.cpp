#include "mipp/report/prune_summary.h"

#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "mipp/report/layer_table.h"

namespace mipp::report {

namespace {

// "next layers' output error after removal 0.412 -> 0.087 refitted (mean over 3 layers)" from the
// per-layer reconstruction records of --reweight, submodular or thinet; empty when there are none.
std::string reconstruction_line(const nlohmann::json& layers) {
  double removed = 0, updated = 0;
  int count = 0;
  for (const auto& layer : layers) {
    if (!layer.contains("consumers")) continue;
    for (const auto& c : layer.at("consumers")) {
      removed += c.at("error_removed").get<double>();
      updated += c.at("error_updated").get<double>();
      ++count;
    }
  }
  if (count == 0) return "";
  return fmt::format("next layers' relative output error on calibration data: {:.3f} after removal, {:.3f} refitted "
                     "(mean over {} layers)\n",
                     removed / count, updated / count, count);
}

}  // namespace

std::string prune_summary(const nlohmann::json& j) {
  std::string out;
  const std::string requested =
      j.at("requested_sparsity").is_null() ? "not set" : fmt::format("{:.4f} requested", j.at("requested_sparsity").get<double>());
  out += fmt::format("{} pruning: {} sparsity {}, {:.4f} achieved\n", j.at("method").get<std::string>(),
                     j.at("budget").at("target").get<std::string>(), requested,
                     j.at("achieved_sparsity").get<double>());
  if (j.contains("method_details") && j.at("method_details").contains("loss_threshold")) {
    const nlohmann::json& d = j.at("method_details");
    // Widths fixed by the budget (mipp's widths uniform, a layer scope): a threshold per layer.
    const std::string threshold = d.at("loss_threshold").is_null()
                                      ? "loss threshold per layer (widths fixed)"
                                      : fmt::format("loss threshold {:.3g}", d.at("loss_threshold").get<double>());
    out += fmt::format("mipp: confidence {}, {}, {} estimator fits, {:.1f} s\n", d.at("confidence").get<double>(),
                       threshold, d.at("estimator_fits").get<int64_t>(), d.at("seconds").get<double>());
  }
  if (j.contains("reweight_layers") && !j.at("reweight_layers").empty()) {
    out += reconstruction_line(j.at("reweight_layers").back());
  } else if (j.contains("method_details") && j.at("method_details").contains("layers")) {
    out += reconstruction_line(j.at("method_details").at("layers"));
  }
  out += fmt::format("{:<28} {:>8} {:>8}\n", "group", "before", "after");
  for (const auto& g : j.at("groups")) {
    out += fmt::format("{:<28} {:>8} {:>8}{}\n", g.at("group").get<std::string>(), g.at("width_before").get<int64_t>(),
                       g.at("width_after").get<int64_t>(), g.at("producers").get<size_t>() > 1 ? "  (residual)" : "");
  }
  const auto count = [&](const char* when, const char* what) { return j.at(when).at(what).get<int64_t>(); };
  out += fmt::format("params {} -> {} ({:.2f}x smaller), MACs {} -> {} ({:.2f}x fewer)\n",
                     report::human_count(count("before", "params")), report::human_count(count("after", "params")),
                     j.at("compression").get<double>(), report::human_count(count("before", "macs")),
                     report::human_count(count("after", "macs")), j.at("theoretical_speedup").get<double>());
  if (!j.at("collapsed_layers").empty()) {
    out += fmt::format("at the minimum width: {}\n", fmt::join(j.at("collapsed_layers").get<std::vector<std::string>>(), ", "));
  }
  if (j.contains("accuracy_after")) {
    out += fmt::format("test top-1 {:.2f}% before, {:.2f}% right after pruning (no fine-tuning)\n",
                       100 * j.at("accuracy_before").at("top1").get<double>(),
                       100 * j.at("accuracy_after").at("top1").get<double>());
  }
  return out;
}

}  // namespace mipp::report
