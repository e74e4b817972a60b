// mipp latency: measured forward latency of model files (eval mode, median of repeated runs after
// warm-up), at one or more batch sizes; with two files, the speed-up of the second over the first.
#include <iostream>

#include "commands.h"
#include "mipp/graph/cost.h"
#include "mipp/report/latency.h"

namespace mipp::cli {

void add_latency_command(CLI::App& app, GlobalOptions& global) {
  struct LatencyCommandOptions {
    std::vector<std::string> files;
    std::string input_shape;
    std::string batches = "1,256";
    report::LatencyOptions latency;
    bool json = false;
  };
  auto opt = std::make_shared<LatencyCommandOptions>();
  CLI::App* cmd = add_command(app, "latency", "measure the forward latency of model files",
                              "Examples:\n  mipp latency lenet5.pt --threads 2\n"
                              "  mipp latency dense.pt pruned.pt --batch 1,256 --json   (speed-up of pruned.pt)\n");
  cmd->add_option("files", opt->files, "model files (.pt); with two, the second is compared to the first")
      ->required()
      ->expected(1, 2);
  cmd->add_option("--input-shape", opt->input_shape, "per-sample input shape C,H,W of PyTorch TorchScript files");
  cmd->add_option("--batch", opt->batches, "batch sizes, comma-separated")->capture_default_str();
  cmd->add_option("--warmup", opt->latency.warmup, "untimed runs first")->capture_default_str();
  cmd->add_option("--repeats", opt->latency.repeats, "timed runs; the median is reported")->capture_default_str();
  cmd->add_flag("--json", opt->json, "machine-readable output on stdout");
  cmd->add_flag("--no-fold", [opt](int64_t) { opt->latency.fold_batch_norms = false; },
                "time the network as stored (default: batch-norms folded into the preceding layers)");
  cmd->add_option("--layout", opt->latency.layout,
                  "memory layout of image activations and conv weights: contiguous (NCHW), channels-last (NHWC), "
                  "or auto: time both and keep the faster, per model and batch")
      ->check(CLI::IsMember({"auto", "contiguous", "channels-last"}))
      ->capture_default_str();
  cmd->callback([opt, &global] {
    const int threads = apply_global_options(global);
    std::vector<io::Model> models;
    for (const std::string& f : opt->files) {
      models.push_back(load_model_file(f, opt->input_shape));
      models.back().network.to(run_device());
    }
    nlohmann::json results = nlohmann::json::array();
    for (int64_t batch : parse_int_list(opt->batches, "--batch")) {
      report::LatencyOptions lo = opt->latency;
      lo.batch = batch;
      // Interleave the models round by round so that machine noise hits both alike.
      std::vector<std::vector<report::Latency>> rounds(models.size());
      constexpr int kRounds = 3;
      for (int r = 0; r < kRounds; ++r) {
        for (size_t m = 0; m < models.size(); ++m) rounds[m].push_back(report::measure_latency(models[m].network, lo));
      }
      nlohmann::json row = {{"batch", batch}, {"threads", threads}};
      std::vector<double> medians;
      std::vector<std::string> layouts;
      for (size_t m = 0; m < models.size(); ++m) {
        std::vector<report::Latency> by_time = rounds[m];
        std::sort(by_time.begin(), by_time.end(), [](const auto& a, const auto& b) { return a.median_ms < b.median_ms; });
        const report::Latency& median_round = by_time[kRounds / 2];
        medians.push_back(median_round.median_ms);
        layouts.push_back(median_round.layout);
        row["models"].push_back({{"file", opt->files[m]},
                                 {"median_ms", median_round.median_ms},
                                 {"layout", median_round.layout},
                                 {"macs", graph::total_cost(models[m].network).macs}});
      }
      if (models.size() == 2) {
        row["measured_speedup"] = medians[0] / medians[1];
        row["theoretical_speedup"] = static_cast<double>(row["models"][0]["macs"].get<int64_t>()) /
                                     static_cast<double>(row["models"][1]["macs"].get<int64_t>());
      }
      results.push_back(row);
      if (!opt->json) {
        std::string line = fmt::format("batch {:>4}, {} threads:", batch, threads);
        for (size_t m = 0; m < models.size(); ++m) {
          line += fmt::format("  {} {:.3f} ms ({})", opt->files[m], medians[m], layouts[m]);
        }
        if (models.size() == 2) {
          line += fmt::format("  -> {:.2f}x measured, {:.2f}x in MACs", row["measured_speedup"].get<double>(),
                              row["theoretical_speedup"].get<double>());
        }
        std::cout << line << "\n";
      }
    }
    if (opt->json) std::cout << nlohmann::json{{"results", results}, {"run", run_info(threads)}}.dump(2) << "\n";
  });
}

}  // namespace mipp::cli
