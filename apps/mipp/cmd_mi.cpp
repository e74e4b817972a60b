// mipp mi: I(X; Y) or I(X; Y | Z) between columns of a CSV file with any estimator, and
// optionally the test of "> 0" at a confidence level.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <iostream>
#include <optional>
#include <vector>

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/tensor.h>
#include <fmt/ranges.h>

#include "commands.h"
#include "mipp/data/csv_table.h"
#include "mipp/info/estimator_registry.h"
#include "mipp/util/error.h"

namespace mipp::cli {

namespace {

struct MiOptions {
  std::string csv;
  std::string x, y, z;
  std::string estimator;
  std::string options = "{}";  // estimator options as JSON
  std::optional<int64_t> k;
  std::optional<int64_t> permutations;
  std::optional<double> confidence;
  int64_t time_runs = 1;
  bool json = false;
};

// The estimator's full options: defaults, then --options, then the shortcut flags. A flag the
// estimator does not have is an error, not silently ignored.
nlohmann::json full_options(const MiOptions& opt, const GlobalOptions& global) {
  nlohmann::json o = info::estimator_options(opt.estimator);
  nlohmann::json given;
  try {
    given = nlohmann::json::parse(opt.options);
  } catch (const nlohmann::json::exception& e) {
    MIPP_FAIL(kInvalidArgument, "--options '{}': not JSON ({})", opt.options, e.what());
  }
  MIPP_CHECK(given.is_object(), kInvalidArgument, "--options '{}': must be a JSON object", opt.options);
  for (const auto& [key, value] : given.items()) {
    MIPP_CHECK(o.contains(key), kInvalidArgument, "--options: estimator {} has no option '{}' (options: {})",
               opt.estimator, key, o.dump());
    o[key] = value;
  }
  const auto set = [&](const char* flag, const char* key, const nlohmann::json& value) {
    MIPP_CHECK(o.contains(key), kInvalidArgument, "{}: estimator {} has no option '{}'", flag, opt.estimator, key);
    o[key] = value;
  };
  if (opt.k) set("--k", "k", *opt.k);
  if (opt.permutations) set("--permutations", "permutations", *opt.permutations);
  if (o.contains("seed") && !given.contains("seed")) o["seed"] = global.seed;  // --seed decides all randomness
  return o;
}

// The columns, on the --device the estimator works on.
at::Tensor columns(const data::CsvTable& table, const std::vector<int64_t>& index) {
  return table.values.index_select(1, at::tensor(index, at::kLong)).to(run_device());
}

std::vector<std::string> names_of(const data::CsvTable& table, const std::vector<int64_t>& index) {
  std::vector<std::string> out;
  for (int64_t i : index) out.push_back(table.names[static_cast<size_t>(i)]);
  return out;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void run_mi(const MiOptions& opt, const GlobalOptions& global) {
  const int threads = apply_global_options(global);
  const nlohmann::json options = full_options(opt, global);
  const std::unique_ptr<info::Estimator> estimator = info::make_estimator(opt.estimator, options);
  const data::CsvTable table = data::read_csv_table(opt.csv);
  const std::vector<int64_t> xi = data::select_columns(table, opt.x, "--x");
  const std::vector<int64_t> yi = data::select_columns(table, opt.y, "--y");
  const std::vector<int64_t> zi = opt.z.empty() ? std::vector<int64_t>{} : data::select_columns(table, opt.z, "--z");
  const at::Tensor x = columns(table, xi), y = columns(table, yi);
  const at::Tensor z = zi.empty() ? at::Tensor() : columns(table, zi);
  const std::string quantity = zi.empty() ? "I(x; y)" : "I(x; y | z)";

  // The first estimate in a process also pays LibTorch's one-time costs (each operator's first
  // call); --time-runs repeats it and reports the median, the time a warm process takes.
  info::Estimate e;
  std::vector<double> run_s, run_cpu_s;
  for (int64_t run = 0; run < opt.time_runs; ++run) {
    const auto start = std::chrono::steady_clock::now();
    const std::clock_t cpu_start = std::clock();
    e = zi.empty() ? estimator->mutual_information(x, y) : estimator->conditional_mutual_information(x, y, z);
    run_s.push_back(seconds_since(start));
    // Process CPU time, all threads: on a busy machine a steadier measure of the work than wall time.
    run_cpu_s.push_back(static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC);
  }
  const double first_s = run_s.front();
  const double estimate_s = median(run_s), estimate_cpu_s = median(run_cpu_s);
  std::optional<info::TestResult> test;
  double test_s = 0;
  if (opt.confidence) {
    const auto test_start = std::chrono::steady_clock::now();
    test = estimator->test_positive_cmi(x, y, z, *opt.confidence);
    test_s = seconds_since(test_start);
  }

  if (opt.json) {
    nlohmann::json j = {{"csv", opt.csv},
                        {"estimator", opt.estimator},
                        {"options", options},
                        {"quantity", quantity},
                        {"x", names_of(table, xi)},
                        {"y", names_of(table, yi)},
                        {"z", names_of(table, zi)},
                        {"samples", e.samples},
                        {"value", e.value},
                        {"std_error", e.std_error},
                        {"seconds", estimate_s},
                        {"cpu_seconds", estimate_cpu_s},
                        {"time_runs", opt.time_runs},
                        {"first_run_seconds", first_s},
                        {"run", run_info(threads)}};
    if (test) {
      j["test"] = {{"confidence", *opt.confidence},
                   {"statistic", test->statistic},
                   {"p_value", test->p_value},
                   {"significant", test->significant},
                   {"seconds", test_s}};
    }
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::cout << fmt::format("{} {} = {:.6f} nats (std error {:.6f}), {} samples; x: {}; y: {}{}\n", opt.estimator,
                           quantity, e.value, e.std_error, e.samples, fmt::join(names_of(table, xi), ","),
                           fmt::join(names_of(table, yi), ","),
                           zi.empty() ? "" : fmt::format("; z: {}", fmt::join(names_of(table, zi), ",")));
  if (test) {
    std::cout << fmt::format("test {} > 0 at confidence {}: {} (p = {:.6g}, statistic {:.6g})\n", quantity,
                             *opt.confidence, test->significant ? "significant" : "not significant", test->p_value,
                             test->statistic);
  }
  std::cout << fmt::format("time: estimate {:.3f} s{}{}, {} threads\n", estimate_s,
                           opt.time_runs > 1 ? fmt::format(" (median of {}; first {:.3f} s)", opt.time_runs, first_s) : "",
                           test ? fmt::format(", test {:.3f} s", test_s) : "", threads);
}

}  // namespace

void add_mi_command(CLI::App& app, GlobalOptions& global) {
  auto opt = std::make_shared<MiOptions>();
  CLI::App* cmd = add_command(
      app, "mi", "mutual information I(x; y) or I(x; y | z) between columns of a CSV file",
      "Examples:\n  mipp mi --csv data.csv --x a --y b --estimator ksg\n"
      "  mipp mi --csv data.csv --x 0,1 --y 2 --z 3 --estimator gaussian --confidence 0.95 --json\n"
      "  mipp mi --csv data.csv --x a --y b --estimator ksg --options '{\"noise\": 1e-10}'\n");
  cmd->add_option("--csv", opt->csv, "numeric CSV file; header row optional")->required();
  cmd->add_option("--x", opt->x, "columns of x: names or 0-based indices, comma-separated")->required();
  cmd->add_option("--y", opt->y, "columns of y")->required();
  cmd->add_option("--z", opt->z, "columns of z (conditional MI)");
  std::string names;
  for (const std::string& n : info::estimator_names()) names += (names.empty() ? "" : "|") + n;
  cmd->add_option("--estimator", opt->estimator, "estimator: " + names)->required();
  cmd->add_option("--options", opt->options, "estimator options as a JSON object (docs/USAGE.md)");
  cmd->add_option("--k", opt->k, "ksg: neighbours per sample (default 3)");
  cmd->add_option("--permutations", opt->permutations, "ksg: permutations of the test (default 100)");
  cmd->add_option("--confidence", opt->confidence, "also test > 0 at this confidence, in (0.5, 1)");
  cmd->add_option("--time-runs", opt->time_runs,
                  "estimate this many times and report the median time (the first run in a process also pays "
                  "LibTorch's start-up)")
      ->check(CLI::Range(int64_t{1}, int64_t{1000}))
      ->capture_default_str();
  cmd->add_flag("--json", opt->json, "one JSON object on stdout");
  cmd->callback([opt, &global] { run_mi(*opt, global); });
}

}  // namespace mipp::cli
