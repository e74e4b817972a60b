#include "mipp/bench/summary.h"

#include "mipp/bench/manifest.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>


namespace mipp::bench {

namespace {

using nlohmann::json;

enum class Better { kHigher, kLower, kNone };

struct Row {
  std::string method;   // label, as in the cells
  std::string control;
  std::string title;    // method_titles()
  std::string label() const {
    if (control == "shuffle") return title + " (shuffled, control)";
    if (control == "reinit") return title + " (re-init, control)";
    return title;
  }
};

// A metric of a cell record, or nothing when the record lacks it.
using Metric = std::function<std::optional<double>(const json&)>;

Metric field(const std::string& key, double scale = 1) {
  return [key, scale](const json& r) -> std::optional<double> {
    if (!r.contains(key) || !r.at(key).is_number()) return std::nullopt;
    return scale * r.at(key).get<double>();
  };
}

Metric latency_metric(int64_t batch) {
  return [batch](const json& r) -> std::optional<double> {
    if (!r.contains("latency")) return std::nullopt;
    for (const json& l : r.at("latency")) {
      if (l.at("batch").get<int64_t>() == batch) return l.at("median_ms").get<double>();
    }
    return std::nullopt;
  };
}

std::string percent(double s) { return fmt::format("{:g}%", 100 * s); }

class Section {
 public:
  Section(const BenchResults& r, const std::string& model, const std::string& timing) : r_(r) {
    for (const json& c : r.cells) {
      if (c.at("model") != model || c.at("timing") != timing) continue;
      cells_.push_back(&c);
    }
    const std::vector<std::string> titles = method_titles(*r.config);
    for (size_t k = 0; k < r.config->methods.size(); ++k) {
      const MethodConfig& m = r.config->methods[k];
      for (const char* control : {"none", "shuffle", "reinit"}) {
        const bool any = std::any_of(cells_.begin(), cells_.end(), [&](const json* c) {
          return c->at("method") == m.label && c->at("control") == control;
        });
        if (any) rows_.push_back({m.label, control, titles[k]});
      }
    }
  }

  bool empty() const { return cells_.empty(); }

  std::vector<const json*> at(const Row& row, double sparsity, bool ok_only = true) const {
    std::vector<const json*> out;
    for (const json* c : cells_) {
      if (c->at("method") == row.method && c->at("control") == row.control &&
          c->at("sparsity").get<double>() == sparsity && (!ok_only || c->at("status") == "ok")) {
        out.push_back(c);
      }
    }
    return out;
  }

  // One table: rows = methods (and controls), columns = sparsities, entries mean ± sd over seeds.
  std::string table(const std::string& title, const Metric& metric, int decimals, Better better,
                    bool with_sd = true) const {
    const std::vector<double>& sparsities = r_.config->sparsities;
    std::vector<std::vector<std::optional<MeanSd>>> values(rows_.size());
    bool any = false;
    for (size_t i = 0; i < rows_.size(); ++i) {
      for (double s : sparsities) {
        std::vector<double> v;
        for (const json* c : at(rows_[i], s)) {
          if (auto x = metric(*c)) v.push_back(*x);
        }
        values[i].push_back(v.empty() ? std::nullopt : std::optional<MeanSd>(mean_sd(v)));
        any = any || !v.empty();
      }
    }
    if (!any) return "";
    std::string out = fmt::format("### {}\n\n| Method |", title);
    for (double s : sparsities) out += fmt::format(" {} |", percent(s));
    out += "\n|---|";
    for (size_t k = 0; k < sparsities.size(); ++k) out += "---:|";
    out += "\n";
    const double factor = std::pow(10.0, decimals);
    for (size_t i = 0; i < rows_.size(); ++i) {
      out += fmt::format("| {} |", rows_[i].label());
      for (size_t k = 0; k < sparsities.size(); ++k) {
        const auto& v = values[i][k];
        if (!v) {
          out += at(rows_[i], sparsities[k], false).empty() ? " |" : " failed |";
          continue;
        }
        // Best of the column as printed (rounded), so ties are all bold.
        bool best = better != Better::kNone;
        for (size_t j = 0; j < rows_.size() && best; ++j) {
          const auto& w = values[j][k];
          if (!w) continue;
          const double a = std::round(v->mean * factor), b = std::round(w->mean * factor);
          best = better == Better::kHigher ? a >= b : a <= b;
        }
        std::string text = fmt::format("{:.{}f}", v->mean, decimals);
        if (with_sd && v->n > 1) text += fmt::format(" ± {:.{}f}", v->sd, decimals);
        if (best) text = "**" + text + "**";
        if (v->n < r_.config->seeds.size()) text += fmt::format(" (n={})", v->n);
        out += " " + text + " |";
      }
      out += "\n";
    }
    return out + "\n";
  }

  // Widths per group (seed of the first finished cell), "6/16/69/22", with collapsed layers.
  std::string widths_table() const {
    const std::vector<double>& sparsities = r_.config->sparsities;
    std::string groups;
    for (const json* c : cells_) {
      if (c->at("status") != "ok") continue;
      std::vector<std::string> names, sizes;
      for (const json& w : c->at("widths")) {
        names.push_back(w.at("group").get<std::string>());
        sizes.push_back(std::to_string(w.at("before").get<int64_t>()));
      }
      groups = fmt::format("{} of {}", fmt::join(names, "/"), fmt::join(sizes, "/"));
      break;
    }
    if (groups.empty()) return "";
    std::string out = fmt::format("### Widths ({}), first seed; collapsed layers in brackets\n\n| Method |", groups);
    for (double s : sparsities) out += fmt::format(" {} |", percent(s));
    out += "\n|---|";
    for (size_t k = 0; k < sparsities.size(); ++k) out += "---|";
    out += "\n";
    for (const Row& row : rows_) {
      out += fmt::format("| {} |", row.label());
      for (double s : sparsities) {
        const auto cells = at(row, s);
        if (cells.empty()) {
          out += " |";
          continue;
        }
        std::vector<std::string> w;
        for (const json& g : cells[0]->at("widths")) w.push_back(std::to_string(g.at("after").get<int64_t>()));
        const size_t collapsed = cells[0]->at("collapsed_layers").size();
        out += fmt::format(" {}{} |", fmt::join(w, "/"), collapsed > 0 ? fmt::format(" ({})", collapsed) : "");
      }
      out += "\n";
    }
    return out + "\n";
  }

 private:
  const BenchResults& r_;
  std::vector<const json*> cells_;
  std::vector<Row> rows_;
};

// "1 epoch", "3 epochs".
std::string plural(int64_t n, const char* noun) { return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s"); }

std::string recipe(const train::TrainOptions& t) {
  return fmt::format("{}, {} lr {:g} (momentum {:g}, weight decay {:g}), {} schedule, batch {}", plural(t.epochs, "epoch"),
                     t.optimizer.name, t.optimizer.lr, t.optimizer.momentum, t.optimizer.weight_decay, t.schedule.name,
                     t.batch_size);
}

std::string dense_line(const BenchResults& r, const std::string& model) {
  std::vector<double> top1, top5;
  int64_t params = 0, macs = 0;
  for (const json& d : r.dense) {
    if (d.at("model") != model) continue;
    top1.push_back(100 * d.at("top1").get<double>());
    if (d.contains("top5")) top5.push_back(100 * d.at("top5").get<double>());
    params = d.at("params").get<int64_t>();
    macs = d.at("macs").get<int64_t>();
  }
  if (top1.empty()) return "Dense model: not trained yet.\n\n";
  const MeanSd a = mean_sd(top1);
  std::string line = fmt::format("Dense {} (the unpruned model of the same recipe): test top-1 {:.2f}{}%", model, a.mean,
                                 a.n > 1 ? fmt::format(" ± {:.2f}", a.sd) : "");
  if (!top5.empty()) line += fmt::format(", top-5 {:.2f}%", mean_sd(top5).mean);
  return line + fmt::format(" over {} seed{}; {} params, {} MACs per sample.\n\n", a.n, a.n == 1 ? "" : "s",
                            params, macs);
}

// Which code made the cells: one line per commit and LibTorch (with CUDA or CPU) and its number of
// cells, a warning where a build had uncommitted changes, and the count of cells made before cells
// recorded it (their sittings are only in the manifest's runs).
std::string provenance(const BenchResults& r) {
  std::map<std::string, size_t> builds;
  size_t unrecorded = 0, dirty = 0;
  for (const json& c : r.cells) {
    if (!c.contains("ran_with")) {
      ++unrecorded;
      continue;
    }
    const json& w = c.at("ran_with");
    const std::string commit = w.value("git_commit", "unknown");
    const std::string cuda = w.value("libtorch_cuda", "cpu");
    builds[fmt::format("commit {}, LibTorch {} ({}) on {}", commit, w.value("libtorch_version", "?"),
                       cuda == "cpu" ? "CPU build" : "CUDA " + cuda, w.value("device", "cpu"))] += 1;
    dirty += is_dirty_build(commit);
  }
  std::string out;
  if (!builds.empty() || unrecorded > 0) {
    out += "\nCells by the build that ran them (each cell's `ran_with` in results.json):\n\n";
    for (const auto& [build, n] : builds) out += fmt::format("- {}: {}\n", build, plural(static_cast<int64_t>(n), "cell"));
    if (unrecorded > 0) {
      out += fmt::format("- not recorded (made before cells recorded their build; manifest.json lists the runs): {}\n",
                         plural(static_cast<int64_t>(unrecorded), "cell"));
    }
    out += "\n";
  }
  if (dirty > 0) {
    out += fmt::format("**{} ran from builds with uncommitted changes (`--allow-dirty`): no commit holds the code "
                       "that made them.**\n\n",
                       plural(static_cast<int64_t>(dirty), "cell"));
  }
  return out;
}

}  // namespace

MeanSd mean_sd(const std::vector<double>& values) {
  MeanSd m;
  m.n = values.size();
  for (double v : values) m.mean += v;
  m.mean /= static_cast<double>(m.n);
  if (m.n > 1) {
    double ss = 0;
    for (double v : values) ss += (v - m.mean) * (v - m.mean);
    m.sd = std::sqrt(ss / static_cast<double>(m.n - 1));
  }
  return m;
}

std::string summary_markdown(const BenchResults& r) {
  const BenchConfig& c = *r.config;
  size_t failed = 0;
  for (const json& cell : r.cells) failed += cell.at("status") != "ok";
  std::string out = fmt::format("# Bench `{}`\n\n", c.name);
  // Runs made before LibTorch 2.x recorded neither the CUDA version nor the kernels' ISA.
  const std::string cuda = r.run.value("libtorch_cuda", "cpu");
  out += fmt::format("Produced by `{}`: mipp {} (commit {}), LibTorch {} ({}), {}, {} ({}, kernels {}).\n", r.command,
                     r.run.value("mipp_version", "?"), r.run.value("git_commit", "?"),
                     r.run.value("libtorch_version", "?"), cuda == "cpu" ? "CPU build" : "CUDA " + cuda,
                     plural(r.run.value("threads", 0), "thread"), r.run.value("cpu", "?"),
                     r.run.value("cpu_vector_isa", "vector ISA not recorded"),
                     r.run.value("libtorch_cpu_capability", "not recorded"));
  out += provenance(r);
  out += fmt::format("{} of {} cells finished{}.\n\n", r.cells.size(), r.cells_total,
                     failed > 0 ? fmt::format(", {} failed (listed at the end)", failed) : "");
  std::vector<std::string> seeds;
  for (uint64_t s : c.seeds) seeds.push_back(std::to_string(s));
  out += fmt::format("- Dataset: {}{}{}; seeds {}.\n", c.data.dataset,
                     c.data.train_limit > 0 ? fmt::format(", first {} training samples", c.data.train_limit) : "",
                     c.data.test_limit > 0 ? fmt::format(", first {} test samples", c.data.test_limit) : "",
                     fmt::join(seeds, ", "));
  out += fmt::format("- Budget: sparsity measured in {}, {} scope, min width {}; the same for every method.\n",
                     c.budget.target, c.budget.scope, c.budget.min_width);
  out += fmt::format("- Dense training, and training after pruning before training: {}.\n", recipe(c.train));
  out += fmt::format("- Fine-tuning after pruning a trained model, every method: {}.\n", recipe(c.finetune));
  std::vector<std::string> own;
  for (const MethodConfig& m : c.methods) {
    if (m.calib_samples > 0) own.push_back(fmt::format("{} {}", m.label, m.calib_samples));
  }
  out += fmt::format("- Calibration samples of data-driven methods: {}{}.\n",
                     c.calib_samples > 0 ? std::to_string(c.calib_samples) : "each method's default (512; mipp 2048)",
                     own.empty() ? "" : fmt::format("; per method: {}", fmt::join(own, ", ")));
  if (c.controls) {
    out += "- Controls (Frankle et al. 2021): *shuffled* keeps each layer's count of units but picks them at random; "
           "*re-init* keeps the method's pruned architecture with fresh weights, trained with the full schedule.\n";
  }
  out += "\nEntries are mean ± sample standard deviation over seeds (n = seeds that finished, when fewer); the best "
         "of each column is in bold.\n\n";

  for (const ModelConfig& m : c.models) {
    for (const std::string timing : {"after", "before"}) {
      const Section s(r, m.label, timing);
      if (s.empty()) continue;
      out += fmt::format("## {}, pruned {} training\n\n", m.label, timing);
      out += dense_line(r, m.label);
      const std::string then =
          timing == "after" ? fmt::format("fine-tuning ({})", plural(c.finetune.epochs, "epoch"))
                            : fmt::format("training ({})", plural(c.train.epochs, "epoch"));
      out += s.table(fmt::format("Test top-1 after {}, %", then), field("top1_final", 100), 2, Better::kHigher);
      out += s.table(fmt::format("Test top-5 after {}, %", then), field("top5_final", 100), 2, Better::kHigher);
      out += s.table("Test top-1 right after pruning, %", field("top1_pruned", 100), 2, Better::kHigher);
      out += s.table("Parameters kept", field("params"), 0, Better::kLower, false);
      out += s.table("MACs per sample", field("macs"), 0, Better::kLower, false);
      out += s.table("Compression (dense params / params)", field("compression"), 2, Better::kHigher, false);
      out += s.table("Theoretical speed-up (dense MACs / MACs)", field("speedup"), 2, Better::kHigher, false);
      for (int64_t b : c.latency.batches) {
        out += s.table(fmt::format("Measured latency, batch {}, ms (median of {} runs, {})", b, c.latency.repeats,
                                   plural(r.run.value("threads", 0), "thread")),
                       latency_metric(b), 3, Better::kLower);
      }
      out += s.table("Collapsed layers (at the minimum width)", [](const json& rec) -> std::optional<double> {
        return static_cast<double>(rec.at("collapsed_layers").size());
      }, 1, Better::kLower, false);
      out += s.widths_table();
      out += s.table("Pruning wall time, s", field("prune_seconds"), 2, Better::kNone);
    }
  }
  if (failed > 0) {
    out += "## Failed cells\n\n";
    for (const json& cell : r.cells) {
      if (cell.at("status") != "ok") {
        out += fmt::format("- `{}`: {}\n", cell.at("key").get<std::string>(), cell.value("error", ""));
      }
    }
    out += "\n";
  }
  return out;
}

}  // namespace mipp::bench
