#include "mipp/bench/plots.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "bench/file_names.h"
#include "mipp/bench/summary.h"
#include "mipp/util/atomic_file.h"
#include "mipp/util/error.h"

namespace mipp::bench {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

bool gnuplot_installed() {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return false;
  std::string dirs = path;
  size_t start = 0;
  while (start <= dirs.size()) {
    const size_t end = std::min(dirs.find(':', start), dirs.size());
    std::error_code ec;
    const fs::path candidate = fs::path(dirs.substr(start, end - start)) / "gnuplot";
    if (!candidate.empty() && fs::is_regular_file(candidate, ec) &&
        (fs::status(candidate, ec).permissions() & fs::perms::others_exec) != fs::perms::none) {
      return true;
    }
    start = end + 1;
  }
  return false;
}

std::string gp_string(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) out += ch == '"' ? std::string("\\\"") : std::string(1, ch);
  return out + "\"";
}

std::string series_label(const BenchConfig& c, const json& cell) {
  const std::string control = cell.at("control").get<std::string>();
  const std::string method = method_title(c, cell.at("method").get<std::string>());
  return control == "none" ? method : fmt::format("{} ({})", method, control == "shuffle" ? "shuffled" : "re-init");
}

// Finished cells of one model and timing, grouped by series (method or control), in first-seen order.
struct Series {
  std::string label;
  std::vector<const json*> cells;
};

std::vector<Series> series_of(const BenchResults& r, const std::string& model, const std::string& timing) {
  std::vector<Series> out;
  for (const json& c : r.cells) {
    if (c.at("model") != model || c.at("timing") != timing || c.at("status") != "ok") continue;
    const std::string label = series_label(*r.config, c);
    auto it = std::find_if(out.begin(), out.end(), [&](const Series& s) { return s.label == label; });
    if (it == out.end()) {
      out.push_back({label, {}});
      it = out.end() - 1;
    }
    it->cells.push_back(&c);
  }
  return out;
}

// Mean and sd over seeds of `key` per sparsity, with the mean of `x_key` when given.
struct Point {
  double x = 0;
  MeanSd y;
};

std::vector<Point> points(const Series& s, const std::string& key, const std::string& x_key) {
  std::map<double, std::pair<std::vector<double>, std::vector<double>>> by_sparsity;
  for (const json* c : s.cells) {
    auto& [ys, xs] = by_sparsity[c->at("sparsity").get<double>()];
    ys.push_back(100 * c->at(key).get<double>());
    xs.push_back(x_key.empty() ? c->at("sparsity").get<double>() : c->at(x_key).get<double>());
  }
  std::vector<Point> out;
  for (const auto& [sparsity, v] : by_sparsity) out.push_back({mean_sd(v.second).mean, mean_sd(v.first)});
  return out;
}

void write(const fs::path& p, const std::string& text, PlotOutcome& outcome, bool is_script) {
  util::write_file_atomically(p.string(), text);
  if (is_script) outcome.scripts.push_back(p.string());
}

// Text is plain (noenhanced): titles such as "next_layer pre-activations" would otherwise print
// their underscores as subscripts. The width leaves the plot its room beside a key of long titles.
const char* kHeader =
    "# Re-render with: gnuplot {script} (in this folder)\n"
    "set terminal pngcairo size 1200,600 font \",11\" noenhanced\n"
    "set output {png}\n"
    "set title {title}\n"
    "set key outside right top\n"
    "set grid\n"
    "set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05\n";

std::string header(const std::string& script, const std::string& png, const std::string& title) {
  return fmt::format(fmt::runtime(kHeader), fmt::arg("script", script), fmt::arg("png", gp_string(png)), fmt::arg("title", gp_string(title)));
}

// Series i's line: gnuplot's default colours repeat after 8, and a bench plots up to a dozen
// methods, so ten distinct colours, then the same colours dashed; every series its own point type.
std::string series_style(size_t i) {
  static const char* colours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  constexpr size_t kColours = sizeof(colours) / sizeof(colours[0]);
  return fmt::format("lc rgb \"{}\" dashtype {} pointtype {}", colours[i % kColours], 1 + i / kColours, 1 + i % 13);
}

// Accuracy against sparsity, or against MACs (log scale), with error bars.
void accuracy_plot(const BenchResults& r, const fs::path& dir, const std::string& base, const std::string& title,
                   const std::vector<Series>& series, const std::string& x_key, double dense_top1,
                   PlotOutcome& outcome) {
  const std::string suffix = x_key.empty() ? "accuracy" : "macs";
  std::string data;
  for (const Series& s : series) {
    data += fmt::format("# {}\n", s.label);
    for (const Point& p : points(s, "top1_final", x_key)) data += fmt::format("{} {} {}\n", p.x, p.y.mean, p.y.sd);
    data += "\n\n";
  }
  const std::string name = fmt::format("{}-{}", base, suffix);
  write(dir / (name + ".dat"), data, outcome, false);
  std::string gp = header(name + ".gp", name + ".png", title);
  gp += x_key.empty() ? "set xlabel \"sparsity (fraction removed)\"\n" : "set xlabel \"MACs per sample\"\nset logscale x\n";
  gp += "set ylabel \"test top-1, % (mean ± sd over seeds)\"\n";
  std::vector<std::string> plots;
  for (size_t i = 0; i < series.size(); ++i) {
    plots.push_back(fmt::format("{} index {} using 1:2:3 with yerrorlines {} title {}", gp_string(name + ".dat"), i,
                                series_style(i), gp_string(series[i].label)));
  }
  if (dense_top1 > 0) plots.push_back(fmt::format("{} with lines dashtype 2 lc rgb \"black\" title \"dense\"", dense_top1));
  gp += fmt::format("plot {}\n", fmt::join(plots, ", \\\n     "));
  write(dir / (name + ".gp"), gp, outcome, true);
}

// Per-layer widths of every series at one sparsity (mean over seeds).
void widths_plot(const fs::path& dir, const std::string& base, const std::string& title, const std::vector<Series>& series,
                 double sparsity, PlotOutcome& outcome) {
  std::vector<std::string> groups;
  std::string data;
  size_t blocks = 0;
  std::vector<std::string> labels;
  std::vector<size_t> styles;  // the series' place in `series`: its style, as in the accuracy plots
  for (const Series& s : series) {
    std::vector<std::vector<double>> widths;
    for (const json* c : s.cells) {
      if (c->at("sparsity").get<double>() != sparsity) continue;
      const json& w = c->at("widths");
      if (groups.empty()) {
        for (const json& g : w) groups.push_back(g.at("group").get<std::string>());
      }
      widths.resize(w.size());
      for (size_t g = 0; g < w.size(); ++g) widths[g].push_back(w[g].at("after").get<double>());
    }
    if (widths.empty()) continue;
    data += fmt::format("# {}\n", s.label);
    for (size_t g = 0; g < widths.size(); ++g) data += fmt::format("{} {}\n", g, mean_sd(widths[g]).mean);
    data += "\n\n";
    labels.push_back(s.label);
    styles.push_back(static_cast<size_t>(&s - series.data()));
    ++blocks;
  }
  if (blocks == 0) return;
  const std::string name = fmt::format("{}-widths-{}", base, fmt::format("{:g}", 100 * sparsity));
  write(dir / (name + ".dat"), data, outcome, false);
  std::string gp = header(name + ".gp", name + ".png", title);
  std::vector<std::string> tics;
  for (size_t g = 0; g < groups.size(); ++g) tics.push_back(fmt::format("{} {}", gp_string(groups[g]), g));
  gp += fmt::format("set xtics ({}) rotate by -45\nset ylabel \"units kept (mean over seeds)\"\nset logscale y\n",
                    fmt::join(tics, ", "));
  std::vector<std::string> plots;
  for (size_t i = 0; i < blocks; ++i) {
    plots.push_back(fmt::format("{} index {} using 1:2 with linespoints {} title {}", gp_string(name + ".dat"), i,
                                series_style(styles[i]), gp_string(labels[i])));
  }
  gp += fmt::format("plot {}\n", fmt::join(plots, ", \\\n     "));
  write(dir / (name + ".gp"), gp, outcome, true);
}

}  // namespace

PlotOutcome write_plots(const BenchResults& r, const std::string& dir_name, bool render) {
  const fs::path dir = dir_name;
  std::error_code ec;
  fs::create_directories(dir, ec);
  MIPP_CHECK(!ec, kIo, "{}: cannot create: {}", dir_name, ec.message());
  PlotOutcome outcome;
  for (const ModelConfig& m : r.config->models) {
    std::vector<double> dense;
    for (const json& d : r.dense) {
      if (d.at("model") == m.label) dense.push_back(100 * d.at("top1").get<double>());
    }
    const double dense_top1 = dense.empty() ? 0 : mean_sd(dense).mean;
    for (const std::string timing : {"after", "before"}) {
      const std::vector<Series> series = series_of(r, m.label, timing);
      if (series.empty()) continue;
      const std::string base = fmt::format("{}-{}", file_safe(m.label), timing);
      const std::string what = fmt::format("{}, pruned {} training", m.label, timing);
      accuracy_plot(r, dir, base, what, series, "", dense_top1, outcome);
      accuracy_plot(r, dir, base, what, series, "macs", dense_top1, outcome);
      for (double s : r.config->sparsities) {
        widths_plot(dir, base, fmt::format("{}: widths at {:g}% sparsity", what, 100 * s), series, s, outcome);
      }
    }
  }
  if (!render) return outcome;
  if (!gnuplot_installed()) {
    outcome.note = fmt::format("gnuplot not found: {} plot scripts written to {}, no PNG rendered (install gnuplot-nox "
                               "and run gnuplot on each .gp file there)",
                               outcome.scripts.size(), dir_name);
    return outcome;
  }
  for (const std::string& script : outcome.scripts) {
    const fs::path p = script;
    const std::string command =
        fmt::format("cd {} && gnuplot {} >/dev/null 2>&1", gp_string(dir.string()), gp_string(p.filename().string()));
    if (std::system(command.c_str()) == 0) {
      outcome.images.push_back((dir / p.stem()).string() + ".png");
    } else {
      outcome.note = fmt::format("gnuplot failed on {}; the script is kept", script);
    }
  }
  return outcome;
}

}  // namespace mipp::bench
