#include "mipp/bench/run_bench.h"

#include <c10/util/Exception.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <fmt/ranges.h>

#include "bench/cell_runner.h"
#include "bench/dense_cache.h"
#include "mipp/bench/cells.h"
#include "mipp/bench/manifest.h"
#include "mipp/bench/plots.h"
#include "mipp/util/record_log.h"
#include "mipp/bench/results_table.h"
#include "mipp/bench/summary.h"
#include "mipp/io/model_file.h"
#include "mipp/util/atomic_file.h"
#include "mipp/dist/process_group.h"
#include "mipp/util/device.h"
#include "mipp/util/error.h"
#include "mipp/util/version.h"

namespace mipp::bench {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string duration_text(double seconds) {
  const int s = static_cast<int>(seconds + 0.5);
  return s >= 3600 ? fmt::format("{}h{:02}m", s / 3600, s / 60 % 60) : fmt::format("{}m{:02}s", s / 60, s % 60);
}

// Time left for a bench's remaining cells. Each is estimated at the mean time of the cells run so
// far that train the same way (the full schedule after pruning at initialisation, or the
// fine-tune), or of all of them while none of its kind has run. A dense model's training is not a
// cell's time (it is counted once per seed), so the models still to train are named, not guessed.
class TimeLeft {
 public:
  static bool full_schedule(const Cell& cell) { return cell.timing == "before" || cell.control == "reinit"; }

  void add(const Cell& cell, double seconds) {
    Mean& m = full_schedule(cell) ? full_ : finetune_;
    m.seconds += seconds;
    ++m.cells;
  }

  // "unknown" before any cell has run.
  std::string text(const std::vector<Cell>& remaining, const DenseCache& dense) const {
    const Mean all{full_.seconds + finetune_.seconds, full_.cells + finetune_.cells};
    if (all.cells == 0) return "unknown";
    double seconds = 0;
    std::set<std::pair<size_t, uint64_t>> untrained;
    for (const Cell& cell : remaining) {
      const Mean& m = full_schedule(cell) ? full_ : finetune_;
      seconds += m.cells > 0 ? m.seconds / m.cells : all.seconds / all.cells;
      if (cell.timing == "after" && !dense.is_trained(cell.model, cell.seed)) {
        untrained.insert({cell.model, cell.seed});
      }
    }
    std::string out = duration_text(seconds);
    if (!untrained.empty()) {
      out += fmt::format(" + training {} dense model{}", untrained.size(), untrained.size() > 1 ? "s" : "");
    }
    return out;
  }

 private:
  struct Mean {
    double seconds = 0;
    int cells = 0;
  };
  Mean full_, finetune_;
};

// The data of each model, shared between models with the same input shape and normalisation.
class DataByModel {
 public:
  DataByModel(const BenchConfig& c) {
    for (const ModelConfig& m : c.models) {
      graph::Shape shape;
      data::Normalization normalization;
      if (m.file.empty()) {
        shape = models::resolve(m.spec).input_shape;
      } else {
        const io::Model model = io::load_model(m.file);
        shape = model.network.input_shape();
        normalization = model.metadata.normalization;
      }
      const std::string key = fmt::format("{}|{}", fmt::join(shape, "x"), json(normalization).dump());
      if (by_key_.count(key) == 0) {
        pipeline::DataOptions o = c.data;
        o.val_split = 0;
        by_key_[key] = pipeline::prepare_data(o, shape, normalization);
        json sums = {{"input_shape", shape},
                     {"train", dataset_checksum(by_key_[key].train)},
                     {"test", dataset_checksum(by_key_[key].test)}};
        checksums_.push_back(sums);
      }
      keys_.push_back(key);
    }
  }
  const pipeline::PreparedData& of(size_t model) const { return by_key_.at(keys_.at(model)); }
  const json& checksums() const { return checksums_; }

 private:
  std::map<std::string, pipeline::PreparedData> by_key_;
  std::vector<std::string> keys_;
  json checksums_ = json::array();
};

json cell_identity(const BenchConfig& c, const Cell& cell) {
  return {{"key", cell_key(c, cell)},
          {"model", c.models.at(cell.model).label},
          {"timing", cell.timing},
          {"method", c.methods.at(cell.method).label},
          {"method_id", c.methods.at(cell.method).name},
          {"control", cell.control},
          {"sparsity", cell.sparsity},
          {"seed", cell.seed}};
}

BenchResults collect(const BenchConfig& c, const std::vector<Cell>& cells, const util::RecordLog& store,
                     const DenseCache& dense, const json& environment, const std::string& command) {
  BenchResults r;
  r.config = &c;
  r.dense = dense.records();
  for (const Cell& cell : cells) {
    if (const json* rec = store.find(cell_key(c, cell))) r.cells.push_back(*rec);
  }
  r.cells_total = cells.size();
  r.run = environment;
  r.command = command;
  return r;
}

// Whether `newer` keeps everything `older` configured, so that the cells `older` finished are
// still valid: keys may be added (a later mipp resolves a configuration with the options it has
// gained, at defaults that keep the old behaviour), and the lists of cells — models, methods,
// sparsities, seeds — may grow at their end (a method added to a finished bench runs alone). Any
// changed value, or another list changed in length, is another bench; the description is free text.
bool extends(const json& newer, const json& older, bool may_grow = false) {
  if (older.is_object()) {
    if (!newer.is_object()) return false;
    for (const auto& [key, value] : older.items()) {
      if (!newer.contains(key) || !extends(newer.at(key), value)) return false;
    }
    return true;
  }
  if (older.is_array()) {
    if (!newer.is_array() || newer.size() < older.size() || (!may_grow && newer.size() != older.size())) return false;
    for (size_t i = 0; i < older.size(); ++i) {
      if (!extends(newer.at(i), older.at(i))) return false;
    }
    return true;
  }
  return newer == older;
}

// extends() at the top of a configuration, where the lists of cells may grow.
bool extends_config(const json& newer, const json& older) {
  if (!older.is_object() || !newer.is_object()) return false;
  for (const auto& [key, value] : older.items()) {
    if (key == "description") continue;
    const bool cell_list = key == "models" || key == "methods" || key == "sparsities" || key == "seeds";
    if (!newer.contains(key) || !extends(newer.at(key), value, cell_list)) return false;
  }
  return true;
}

void write_tables(const fs::path& dir, const BenchResults& r) {
  if (!dist::is_main()) return;  // data-parallel: rank 0 writes
  util::write_file_atomically((dir / "results.csv").string(), results_csv(r));
  util::write_file_atomically((dir / "results.json").string(), results_json(r).dump(2) + "\n");
  util::write_file_atomically((dir / "summary.md").string(), summary_markdown(r));
}

}  // namespace

BenchOutcome run_bench(const BenchConfig& config, const BenchRunOptions& options, util::EventSink& sink) {
  if (options.run_cells) check_publishable(util::git_commit(), options.allow_dirty);  // before any output
  const fs::path dir = options.out_dir;
  std::error_code ec;
  fs::create_directories(dir / "cache", ec);
  MIPP_CHECK(!ec, kIo, "--out {}: cannot create: {}", options.out_dir, ec.message());

  // A folder holds one bench: resuming with another configuration would mix incomparable cells.
  const fs::path manifest_path = dir / "manifest.json";
  const json config_json = to_json(config);
  json manifest = {{"config", config_json}, {"config_source", config.source}, {"runs", json::array()}};
  if (fs::exists(manifest_path)) {
    std::ifstream in(manifest_path);
    json old;
    try {
      old = json::parse(in);
    } catch (const json::exception& e) {
      MIPP_FAIL(kCorruption, "{}: not valid JSON: {}", manifest_path.string(), e.what());
    }
    MIPP_CHECK(extends_config(config_json, old.value("config", json())), kInvalidArgument,
               "--out {}: holds a bench of a different configuration (see its manifest.json); use another folder",
               options.out_dir);
    manifest["runs"] = old.value("runs", json::array());
  }

  const std::vector<Cell> cells = enumerate_cells(config);
  const std::vector<Cell> selected = matching_cells(config, cells, options.cells);  // what this call may run
  util::RecordLog store((dir / "cells.jsonl").string(), /*read_only=*/!dist::is_main());
  BenchOutcome outcome;
  outcome.cells_total = selected.size();
  for (const Cell& cell : selected) outcome.cells_skipped += store.find(cell_key(config, cell)) != nullptr;

  sink.message(util::LogLevel::kInfo, fmt::format("loading {}", config.data.dataset));
  const DataByModel data(config);
  // A report-only call states the environment of the last run that ran cells, and adds no run.
  json environment = manifest["runs"].empty() ? json() : manifest["runs"].back().at("environment");
  if (options.run_cells || manifest["runs"].empty()) {
    environment = run_environment(options.threads);
    environment["device"] = util::describe_device(options.device);
  }
  // ... and the command of that run, not its own.
  const std::string command = options.run_cells || manifest["runs"].empty()
                                  ? options.command
                                  : manifest["runs"].back().value("command", options.command);
  if (options.run_cells) {
    json run = {{"started_utc", utc_now()},
                {"environment", environment},
                {"command", options.command},
                {"cells_total", selected.size()},
                {"cells_skipped", outcome.cells_skipped}};
    if (!options.cells.empty()) run["cells"] = options.cells;
    if (options.allow_dirty) run["allow_dirty"] = true;
    manifest["datasets"] = data.checksums();
    manifest["runs"].push_back(run);
    if (dist::is_main()) util::write_file_atomically(manifest_path.string(), manifest.dump(2) + "\n");
  }
  if (outcome.cells_skipped > 0) {
    sink.message(util::LogLevel::kInfo, fmt::format("resuming: {} of {} cells finished earlier, skipped",
                                                    outcome.cells_skipped, selected.size()));
  }

  // Cells and dense models record the run that made them (an index into the manifest's runs).
  const size_t run_index = manifest["runs"].empty() ? 0 : manifest["runs"].size() - 1;
  DenseCache dense((dir / "cache").string(), config, sink, options.device, ran_with(environment, run_index));
  TimeLeft time_left;
  size_t done = outcome.cells_skipped;
  for (size_t i = 0; i < selected.size() && options.run_cells; ++i) {
    const Cell& cell = selected[i];
    const std::string key = cell_key(config, cell);
    // Data-parallel: every rank runs every cell together; rank 0's log and Ctrl-C decide.
    if (dist::rank0_decides(store.find(key) != nullptr)) continue;
    sink.stage_begin("bench", static_cast<int64_t>(selected.size()));
    const bool go =
        dist::rank0_decides(sink.progress(static_cast<int64_t>(done), static_cast<int64_t>(selected.size())));
    sink.stage_end();
    if (!go) {
      write_tables(dir, collect(config, cells, store, dense, environment, command));
      MIPP_FAIL(kCancelled, "bench interrupted after {} of {} cells; run the same command to resume", done, selected.size());
    }
    std::vector<Cell> remaining;
    for (size_t j = i; j < selected.size(); ++j) {
      if (store.find(cell_key(config, selected[j])) == nullptr) remaining.push_back(selected[j]);
    }
    sink.message(util::LogLevel::kInfo, fmt::format("[{}/{}] {} (ETA {})", done + 1, selected.size(), key,
                                                    time_left.text(remaining, dense)));

    json record = cell_identity(config, cell);
    record.update(cell_provenance(config_json, cell.model, cell.method, environment, run_index));
    CellContext ctx{config, data.of(cell.model), dense, store, sink};
    std::string error;
    try {
      record.update(run_cell(cell, ctx));
      record["status"] = "ok";
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::kCancelled) {
        write_tables(dir, collect(config, cells, store, dense, environment, command));
        throw;
      }
      error = e.what();
    } catch (const c10::Error& e) {
      error = fmt::format("LibTorch: {}", e.what_without_backtrace());
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (!error.empty()) {
      record["status"] = "failed";
      record["error"] = error;
      ++outcome.cells_failed;
      sink.message(util::LogLevel::kWarn, fmt::format("cell {} failed: {}", key, error));
    }
    store.append(record);
    if (record.contains("cell_seconds")) time_left.add(cell, record.at("cell_seconds").get<double>());
    ++outcome.cells_run;
    ++done;
    json event = {{"event", "bench_cell"}, {"done", done}, {"total", selected.size()}, {"key", key},
                  {"status", record.at("status")}};
    if (record.contains("top1_final")) event["top1_final"] = record.at("top1_final");
    if (record.contains("cell_seconds")) event["cell_seconds"] = record.at("cell_seconds");
    sink.record(event);
    write_tables(dir, collect(config, cells, store, dense, environment, command));
  }

  const BenchResults results = collect(config, cells, store, dense, environment, command);
  write_tables(dir, results);
  if (!dist::is_main()) return outcome;
  const PlotOutcome plots = write_plots(results, (dir / "plots").string(), options.render_plots);
  outcome.plot_note = plots.note;
  if (options.run_cells) {
    manifest["runs"].back()["finished_utc"] = utc_now();
    manifest["runs"].back()["cells_run"] = outcome.cells_run;
    manifest["runs"].back()["cells_failed"] = outcome.cells_failed;
    util::write_file_atomically(manifest_path.string(), manifest.dump(2) + "\n");
  }
  return outcome;
}

}  // namespace mipp::bench
