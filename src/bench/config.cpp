#include "mipp/bench/config.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/zeros.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <fstream>
#include <iterator>
#include <set>
#include <fmt/ranges.h>

#include "mipp/data/readers.h"
#include "mipp/data/transforms.h"
#include "mipp/graph/analyze.h"
#include "mipp/io/model_file.h"
#include "mipp/prune/method.h"
#include "mipp/util/error.h"

namespace mipp::bench {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// Reads one JSON object's keys into typed fields, collecting problems instead of throwing, and
// reports the keys nobody asked for. `path` names the object in messages ("train.optimizer").
class Reader {
 public:
  Reader(const json& j, std::string path, std::vector<std::string>& problems)
      : j_(j), path_(std::move(path)), problems_(problems) {
    if (!j_.is_object()) {
      problem("expected an object, got {}", j_.dump());
      ok_ = false;
    }
  }

  template <class... Args>
  void problem(fmt::format_string<Args...> format, Args&&... args) {
    problems_.push_back(fmt::format("{}: {}", path_.empty() ? "(top level)" : path_,
                                    fmt::format(format, std::forward<Args>(args)...)));
  }

  std::string at(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

  // The value of `key`, or null when absent (or when the object itself is not an object).
  const json* value(const std::string& key) {
    known_.insert(key);
    if (!ok_ || !j_.contains(key)) return nullptr;
    return &j_.at(key);
  }

  void get(const std::string& key, std::string& out) {
    if (const json* v = value(key)) v->is_string() ? void(out = v->get<std::string>()) : wrong(key, *v, "a string");
  }
  void get(const std::string& key, bool& out) {
    if (const json* v = value(key)) v->is_boolean() ? void(out = v->get<bool>()) : wrong(key, *v, "true or false");
  }
  void get(const std::string& key, double& out) {
    if (const json* v = value(key)) v->is_number() ? void(out = v->get<double>()) : wrong(key, *v, "a number");
  }
  void get(const std::string& key, int& out) {
    if (const json* v = value(key)) v->is_number_integer() ? void(out = v->get<int>()) : wrong(key, *v, "an integer");
  }
  void get(const std::string& key, int64_t& out) {
    if (const json* v = value(key)) v->is_number_integer() ? void(out = v->get<int64_t>()) : wrong(key, *v, "an integer");
  }
  void get(const std::string& key, uint64_t& out) {
    if (const json* v = value(key)) {
      non_negative_integer(*v) ? void(out = v->get<uint64_t>()) : wrong(key, *v, "a non-negative integer");
    }
  }
  void get(const std::string& key, std::vector<int64_t>& out) { get_list(key, out, "a list of integers"); }
  void get(const std::string& key, std::vector<int>& out) { get_list(key, out, "a list of integers"); }
  void get(const std::string& key, std::vector<double>& out) { get_list(key, out, "a list of numbers"); }
  void get(const std::string& key, std::vector<uint64_t>& out) { get_list(key, out, "a list of non-negative integers"); }

  // Unknown keys are problems: a typo must not silently fall back to a default.
  void finish() {
    if (!ok_) return;
    for (const auto& [key, v] : j_.items()) {
      if (known_.count(key) == 0) {
        problems_.push_back(fmt::format("{}: unknown key (known: {})", at(key), fmt::join(known_, ", ")));
      }
    }
  }

 private:
  // Parsed JSON stores 3 as unsigned, JSON built in C++ as signed: both are fine.
  static bool non_negative_integer(const json& v) {
    return v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0);
  }

  void wrong(const std::string& key, const json& v, const char* expected) {
    problems_.push_back(fmt::format("{}: expected {}, got {}", at(key), expected, v.dump()));
  }

  template <class T>
  void get_list(const std::string& key, std::vector<T>& out, const char* expected) {
    const json* v = value(key);
    if (v == nullptr) return;
    bool good = v->is_array();
    if (good) {
      for (const json& e : *v) {
        if constexpr (std::is_same_v<T, double>) {
          good = good && e.is_number();
        } else if constexpr (std::is_same_v<T, uint64_t>) {
          good = good && non_negative_integer(e);
        } else {
          good = good && e.is_number_integer();
        }
      }
    }
    if (!good) return wrong(key, *v, expected);
    out = v->get<std::vector<T>>();
  }

  const json& j_;
  std::string path_;
  std::vector<std::string>& problems_;
  std::set<std::string> known_;
  bool ok_ = true;
};

void read_optimizer(Reader& r, train::OptimizerOptions& o) {
  r.get("name", o.name);
  r.get("lr", o.lr);
  r.get("momentum", o.momentum);
  r.get("nesterov", o.nesterov);
  r.get("weight_decay", o.weight_decay);
  r.get("beta1", o.beta1);
  r.get("beta2", o.beta2);
  r.get("eps", o.eps);
  r.finish();
}

void read_schedule(Reader& r, train::ScheduleOptions& s) {
  r.get("name", s.name);
  r.get("step_size", s.step_size);
  r.get("gamma", s.gamma);
  r.get("milestones", s.milestones);
  r.finish();
}

// The keys of train::TrainOptions that change results, plus eval_batch_size; seeds come from the
// bench's seeds and checkpoints from the bench's cache.
void read_train(const json* j, const std::string& path, train::TrainOptions& t, std::vector<std::string>& problems) {
  if (j == nullptr) return;
  Reader r(*j, path, problems);
  r.get("epochs", t.epochs);
  r.get("batch_size", t.batch_size);
  if (const json* o = r.value("optimizer")) {
    Reader ro(*o, r.at("optimizer"), problems);
    read_optimizer(ro, t.optimizer);
  }
  if (const json* s = r.value("schedule")) {
    Reader rs(*s, r.at("schedule"), problems);
    read_schedule(rs, t.schedule);
  }
  r.get("label_smoothing", t.label_smoothing);
  r.get("augment", t.augment);
  r.get("eval_batch_size", t.eval_batch_size);
  r.finish();
  try {
    train::validate(t);
  } catch (const Error& e) {
    r.problem("{}", e.what());
  }
}

std::vector<std::string> read_timing(Reader& r, const std::string& key, const std::vector<std::string>& fallback) {
  std::string timing;
  r.get(key, timing);
  if (timing.empty()) return fallback;
  if (timing == "after" || timing == "before") return {timing};
  if (timing == "both") return {"after", "before"};
  r.problem("{} '{}': use after, before or both", key, timing);
  return fallback;
}

// Where the model is built or loaded, and the network for checks; null when it cannot be made.
std::optional<graph::Network> read_model(const json& j, const std::string& path, const std::string& base_dir,
                                         ModelConfig& m, std::vector<std::string>& problems) {
  if (j.is_string()) return read_model(json{{"name", j}}, path, base_dir, m, problems);
  Reader r(j, path, problems);
  r.get("label", m.label);
  r.get("file", m.file);
  r.get("name", m.spec.name);
  r.get("num_classes", m.spec.num_classes);
  r.get("input_shape", m.spec.input_shape);
  r.get("width", m.spec.width);
  r.get("hidden", m.spec.hidden);
  r.get("small_stem", m.spec.small_stem);
  r.finish();
  if (!m.file.empty()) {
    if (!m.spec.name.empty()) r.problem("give either name (a zoo model) or file, not both");
    if (fs::path(m.file).is_relative()) m.file = (fs::path(base_dir) / m.file).lexically_normal().string();
    if (m.label.empty()) m.label = fs::path(m.file).stem().string();
    try {
      return io::load_model(m.file).network;
    } catch (const Error& e) {
      r.problem("{}", e.what());
      return std::nullopt;
    }
  }
  if (m.spec.name.empty()) {
    r.problem("give name (a zoo model, see `mipp inspect --list`) or file");
    return std::nullopt;
  }
  if (m.label.empty()) m.label = m.spec.width == 1.0 ? m.spec.name : fmt::format("{}-w{}", m.spec.name, m.spec.width);
  try {
    m.spec = models::resolve(m.spec);
    return models::build_model(m.spec);
  } catch (const Error& e) {
    r.problem("{}", e.what());
    return std::nullopt;
  }
}

void read_method(const json& j, const std::string& path, const std::vector<std::string>& timings, MethodConfig& m,
                 std::vector<std::string>& problems) {
  if (j.is_string()) return read_method(json{{"name", j}}, path, timings, m, problems);
  Reader r(j, path, problems);
  r.get("name", m.name);
  r.get("label", m.label);
  if (const json* o = r.value("options")) {
    o->is_object() ? void(m.options = *o) : r.problem("options: expected an object, got {}", o->dump());
  }
  r.get("rounds", m.rounds);
  r.get("round_schedule", m.round_schedule);
  r.get("retrain_epochs", m.retrain_epochs);
  if (const json* o = r.value("group_sparsity")) {
    json options = *o;
    if (options.is_object() && options.contains("epochs")) {
      options.at("epochs").is_number_integer() ? void(m.group_sparsity_epochs = options.at("epochs").get<int>())
                                               : r.problem("group_sparsity.epochs: expected an integer");
      options.erase("epochs");
    }
    try {
      MIPP_CHECK(options.is_object(), kInvalidArgument, "group_sparsity: expected an object, got {}", options.dump());
      MIPP_CHECK(!options.contains("target") && !options.contains("min_width"), kInvalidArgument,
                 "group_sparsity: target and min_width come from each cell's sparsity and the budget");
      m.group_sparsity = options.get<train::GroupSparsityOptions>();  // target 0: each cell sets its own
      train::validate(m.group_sparsity);
    } catch (const Error& e) {
      r.problem("{}", e.what());
    } catch (const json::exception& e) {
      r.problem("group_sparsity: {}", e.what());
    }
    if (m.group_sparsity_epochs < 1) r.problem("group_sparsity.epochs {}: must be at least 1", m.group_sparsity_epochs);
  }
  m.timings = read_timing(r, "timing", timings);
  r.get("calib_samples", m.calib_samples);
  r.get("reweight", m.reweight);
  r.get("reweight_variant", m.reweight_variant);
  r.get("recalibrate_bn", m.recalibrate_bn);
  r.finish();
  if (m.label.empty()) m.label = m.name;
  if (m.name.empty()) return r.problem("name: missing (see `mipp prune --list-methods`)");
  try {
    prune::make_method(m.name, m.options);
  } catch (const Error& e) {
    r.problem("{}", e.what());
  }
  if (m.rounds < 1) r.problem("rounds {}: must be at least 1", m.rounds);
  if (m.retrain_epochs < 0) r.problem("retrain_epochs {}: must be >= 0", m.retrain_epochs);
  if (m.retrain_epochs > 0 && m.rounds < 2) {
    r.problem("retrain_epochs {}: retraining happens between rounds; set rounds to 2 or more", m.retrain_epochs);
  }
  if (m.retrain_epochs > 0 && std::count(m.timings.begin(), m.timings.end(), "before") > 0) {
    r.problem("retrain_epochs {}: retraining between rounds prunes a trained network; use timing \"after\"",
              m.retrain_epochs);
  }
  if (m.group_sparsity_epochs > 0 && std::count(m.timings.begin(), m.timings.end(), "before") > 0) {
    r.problem("group_sparsity: OTO's training starts from the trained network here; use timing \"after\"");
  }
  if (m.reweight_variant != "asym" && m.reweight_variant != "seq" && m.reweight_variant != "layer") {
    r.problem("reweight_variant '{}': use asym, seq or layer", m.reweight_variant);
  }
  if (m.round_schedule != "exponential" && m.round_schedule != "linear") {
    r.problem("round_schedule '{}': use exponential or linear", m.round_schedule);
  }
  if (m.calib_samples < 0) r.problem("calib_samples {}: must be >= 0", m.calib_samples);
}

void read_budget(const json* j, prune::Budget& b, std::vector<std::string>& problems) {
  if (j == nullptr) return;
  Reader r(*j, "budget", problems);
  r.get("target", b.target);
  r.get("scope", b.scope);
  r.get("min_width", b.min_width);
  r.get("min_width_fraction", b.min_width_fraction);
  r.get("max_layer_sparsity", b.max_layer_sparsity);
  r.get("round_to", b.round_to);
  r.finish();
  if (b.scope != "global" && b.scope != "layer") return r.problem("scope '{}': use global or layer", b.scope);
  try {
    prune::Budget check = b;
    check.sparsity = 0;
    prune::validate(check);
  } catch (const Error& e) {
    r.problem("{}", e.what());
  }
}

void read_latency(const json* j, LatencyConfig& l, std::vector<std::string>& problems) {
  if (j == nullptr) return;
  if (j->is_boolean()) {
    l.enabled = j->get<bool>();
    return;
  }
  Reader r(*j, "latency", problems);
  r.get("enabled", l.enabled);
  r.get("batches", l.batches);
  r.get("warmup", l.warmup);
  r.get("repeats", l.repeats);
  r.finish();
  for (int64_t b : l.batches) {
    if (b < 1) r.problem("batches: {} must be >= 1", b);
  }
  if (l.warmup < 0) r.problem("warmup {}: must be >= 0", l.warmup);
  if (l.repeats < 1) r.problem("repeats {}: must be >= 1", l.repeats);
}

void read_data(const json* j, pipeline::DataOptions& d, std::vector<std::string>& problems) {
  if (j == nullptr) return;
  if (j->is_string()) {
    d.dataset = j->get<std::string>();
    return;
  }
  Reader r(*j, "dataset", problems);
  r.get("name", d.dataset);
  r.get("dir", d.dir);
  r.get("train_limit", d.train_limit);
  r.get("test_limit", d.test_limit);
  r.finish();
  if (d.train_limit < 0) r.problem("train_limit {}: must be >= 0", d.train_limit);
  if (d.test_limit < 0) r.problem("test_limit {}: must be >= 0", d.test_limit);
}

// Checks against the world what the keys alone cannot tell: the dataset loads and fits each model,
// and each budget is reachable on each model.
void check_models(const BenchConfig& c, const std::vector<std::optional<graph::Network>>& nets,
                  std::vector<std::string>& problems) {
  std::optional<data::DatasetSplits> splits;
  try {
    // Its images decode to each model's input shape, and a cell's dataset checksum reads them all.
    MIPP_CHECK(c.data.dataset != "image-folder", kNotSupported,
               "image-folder is not supported by mipp bench yet (mipp train, eval and prune read it)");
    splits = data::load_dataset(c.data.dataset, c.data.dir);
  } catch (const Error& e) {
    problems.push_back(fmt::format("dataset: {}", e.what()));
  }
  for (size_t i = 0; i < c.models.size(); ++i) {
    if (!nets[i]) continue;
    const graph::Network& net = *nets[i];
    const std::string name = fmt::format("models[{}] ({})", i, c.models[i].label);
    if (splits) {
      try {
        data::fit_to_shape(data::head(splits->test, 2), net.input_shape());
        const int64_t outputs = net.nodes().at(net.output()).out_shape.at(0);
        MIPP_CHECK(outputs == splits->test.num_classes, kInvalidArgument,
                   "the model has {} outputs, dataset {} has {} classes", outputs, c.data.dataset,
                   splits->test.num_classes);
      } catch (const Error& e) {
        problems.push_back(fmt::format("{}: {}", name, e.what()));
      }
    }
    const graph::Analysis analysis = graph::analyze(net);
    if (analysis.groups.empty()) {
      problems.push_back(fmt::format("{}: no prunable groups", name));
      continue;
    }
    std::vector<at::Tensor> scores;
    for (const graph::Group& g : analysis.groups) scores.push_back(at::zeros({g.size}));
    for (double s : c.sparsities) {
      if (s < 0 || s >= 1) continue;  // reported with the sparsities
      prune::Budget b = c.budget;
      b.sparsity = s;
      try {
        prune::select_units(net, analysis, scores, b);
      } catch (const Error& e) {
        problems.push_back(fmt::format("{}, sparsity {}: {}", name, s, e.what()));
      }
    }
  }
}

// One step of the path to the value being parsed: a key of an object or an index of an array.
struct JsonFrame {
  bool is_array = false;
  std::set<std::string> keys;  // an object's keys so far
  std::string key;             // an object's current key
  int64_t index = -1;          // an array's current element
};

// "methods[2].options.lr": the position the first `levels` frames describe.
std::string json_path(const std::vector<JsonFrame>& frames, size_t levels) {
  std::string path;
  for (size_t i = 0; i < levels; ++i) {
    if (frames[i].is_array) {
      path += fmt::format("[{}]", frames[i].index);
    } else {
      path += (path.empty() ? "" : ".") + frames[i].key;
    }
  }
  return path.empty() ? "(top level)" : path;
}

}  // namespace

json parse_json_strict(const std::string& text, const std::string& what) {
  // nlohmann keeps the last of repeated keys without a word, other readers the first: a config
  // with `"lr"` twice means different things to different tools, so it is refused. The parser
  // callback sees every event in document order; `frames` follows the nesting to name the path.
  std::vector<JsonFrame> frames;
  const auto element_starts = [&frames] {
    if (!frames.empty() && frames.back().is_array) ++frames.back().index;
  };
  // Copying, printing and destroying nlohmann values recurse once per level: without a limit a
  // 400 KB file of nested brackets overflowed the stack (found by fuzzing). Configurations nest 4
  // levels deep (methods[1].options.KEY).
  constexpr size_t kMaxDepth = 64;
  const auto open = [&](bool is_array) {
    element_starts();
    MIPP_CHECK(frames.size() < kMaxDepth, kInvalidArgument, "{}: nested more than {} levels deep at {}", what,
               kMaxDepth, json_path(frames, frames.size()));
    frames.push_back(JsonFrame{is_array});
  };
  const json::parser_callback_t check = [&](int /*depth*/, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        open(false);
        break;
      case json::parse_event_t::array_start:
        open(true);
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        frames.pop_back();
        break;
      case json::parse_event_t::key: {
        JsonFrame& frame = frames.back();
        frame.key = parsed.get<std::string>();
        MIPP_CHECK(frame.keys.insert(frame.key).second, kInvalidArgument,
                   "{}: key {} appears twice in one object; give each key once", what,
                   json_path(frames, frames.size()));
        break;
      }
      case json::parse_event_t::value:
        element_starts();
        break;
    }
    return true;
  };
  try {
    return json::parse(text, check);
  } catch (const json::exception& e) {
    MIPP_FAIL(kInvalidArgument, "{}: not valid JSON: {}", what, e.what());
  }
}

BenchConfig parse_config(const json& j, const std::string& where, const std::string& base_dir) {
  std::vector<std::string> problems;
  BenchConfig c;
  c.source = j;
  c.name = fs::path(where).stem().string();
  c.finetune.epochs = 3;
  c.finetune.optimizer.lr = 0.01;
  c.timings = {"after"};
  Reader r(j, "", problems);
  r.get("name", c.name);
  std::string description;
  r.get("description", description);

  std::vector<std::optional<graph::Network>> nets;
  if (const json* models = r.value("models"); models != nullptr && models->is_array() && !models->empty()) {
    for (size_t i = 0; i < models->size(); ++i) {
      ModelConfig m;
      nets.push_back(read_model(models->at(i), fmt::format("models[{}]", i), base_dir, m, problems));
      c.models.push_back(std::move(m));
    }
  } else {
    r.problem("models: give a non-empty list of zoo models ({{\"name\": \"lenet5\"}}) or files ({{\"file\": ...}})");
  }
  read_data(r.value("dataset"), c.data, problems);
  read_train(r.value("train"), "train", c.train, problems);
  // The fine-tuning recipe starts from the training recipe, then its own defaults, then its keys.
  if (const json* ft = r.value("finetune")) {
    train::TrainOptions base = c.train;
    base.epochs = 3;
    base.optimizer.lr = 0.01;
    c.finetune = base;
    read_train(ft, "finetune", c.finetune, problems);
  } else {
    const int epochs = c.finetune.epochs;
    const double lr = c.finetune.optimizer.lr;
    c.finetune = c.train;
    c.finetune.epochs = epochs;
    c.finetune.optimizer.lr = lr;
  }
  c.timings = read_timing(r, "timing", c.timings);
  if (const json* methods = r.value("methods"); methods != nullptr && methods->is_array() && !methods->empty()) {
    std::set<std::string> labels;
    for (size_t i = 0; i < methods->size(); ++i) {
      MethodConfig m;
      read_method(methods->at(i), fmt::format("methods[{}]", i), c.timings, m, problems);
      if (!labels.insert(m.label).second) {
        problems.push_back(fmt::format("methods[{}]: label '{}' used twice; give each a distinct label", i, m.label));
      }
      c.methods.push_back(std::move(m));
    }
  } else {
    r.problem("methods: give a non-empty list of method ids or objects (see `mipp prune --list-methods`)");
  }
  r.get("sparsities", c.sparsities);
  if (c.sparsities.empty()) r.problem("sparsities: give a non-empty list of fractions in [0, 1)");
  for (double s : c.sparsities) {
    if (!(s >= 0 && s < 1)) r.problem("sparsities: {} must be in [0, 1)", s);
  }
  read_budget(r.value("budget"), c.budget, problems);
  r.get("seeds", c.seeds);
  if (c.seeds.empty()) c.seeds = {0};
  if (std::set<uint64_t>(c.seeds.begin(), c.seeds.end()).size() != c.seeds.size()) r.problem("seeds: repeated seed");
  r.get("calib_samples", c.calib_samples);
  if (c.calib_samples < 0) r.problem("calib_samples {}: must be >= 0", c.calib_samples);
  r.get("threads", c.threads);
  if (c.threads < 0) r.problem("threads {}: must be >= 0", c.threads);
  read_latency(r.value("latency"), c.latency, problems);
  r.get("controls", c.controls);
  r.finish();
  for (const MethodConfig& m : c.methods) {
    if (m.group_sparsity_epochs > 0 && (c.budget.target != "units" || c.budget.scope != "global")) {
      problems.push_back(fmt::format("method {}: group_sparsity zeroes a fraction of the units; it needs a budget "
                                     "of units with the global scope, not {} ({} scope)",
                                     m.label, c.budget.target, c.budget.scope));
    }
  }
  std::set<std::string> labels;
  for (const ModelConfig& m : c.models) {
    if (!m.label.empty() && !labels.insert(m.label).second) {
      problems.push_back(fmt::format("models: label '{}' used twice; give each a distinct label", m.label));
    }
  }
  check_models(c, nets, problems);

  if (!problems.empty()) {
    std::vector<std::string> numbered;
    for (size_t i = 0; i < problems.size(); ++i) numbered.push_back(fmt::format("({}) {}", i + 1, problems[i]));
    MIPP_FAIL(kInvalidArgument, "config {}: {} problem{}: {}", where, problems.size(), problems.size() == 1 ? "" : "s",
              fmt::join(numbered, "; "));
  }
  return c;
}

BenchConfig parse_config_text(const std::string& text, const std::string& where, const std::string& base_dir) {
  return parse_config(parse_json_strict(text, fmt::format("config {}", where)), where, base_dir);
}

BenchConfig read_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  MIPP_CHECK(in.good(), kNotFound, "config {}: no such file", path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  MIPP_CHECK(!in.bad(), kIo, "config {}: cannot read", path);
  const std::string dir = fs::path(path).parent_path().string();
  return parse_config_text(text, path, dir.empty() ? "." : dir);
}

std::vector<std::string> method_titles(const BenchConfig& c) {
  std::vector<std::string> titles;
  for (const MethodConfig& m : c.methods) {
    const std::unique_ptr<prune::Method> method = prune::make_method(m.name, m.options);
    std::string title = method->title();
    if (title == m.name) {  // the method does not name its variants itself
      const json defaults = prune::make_method(m.name)->options(), options = method->options();
      std::vector<std::string> changed;
      for (const auto& [key, value] : options.items()) {
        if (!defaults.contains(key) || defaults.at(key) != value) {
          changed.push_back(key + " " + (value.is_string() ? value.get<std::string>() : value.dump()));
        }
      }
      if (!changed.empty()) title += fmt::format(" ({})", fmt::join(changed, ", "));
    }
    if (m.rounds > 1) title += fmt::format(", {} {} rounds", m.rounds, m.round_schedule);
    if (m.retrain_epochs > 0) title += fmt::format(", {} retraining epoch{} between (LR rewinding)", m.retrain_epochs,
                                                   m.retrain_epochs == 1 ? "" : "s");
    if (m.group_sparsity_epochs > 0) {
      title += fmt::format(" after {} epoch{} of group-sparsity training (lambda {:g})", m.group_sparsity_epochs,
                           m.group_sparsity_epochs == 1 ? "" : "s", m.group_sparsity.lambda);
    }
    if (m.reweight) title += m.reweight_variant == "asym" ? " + reweight" : " + reweight (" + m.reweight_variant + ")";
    if (m.recalibrate_bn) title += " + BN recalibrated";
    titles.push_back(title);
  }
  const std::vector<std::string> plain = titles;
  for (size_t i = 0; i < titles.size(); ++i) {
    if (std::count(plain.begin(), plain.end(), plain[i]) > 1) titles[i] += fmt::format(" [{}]", c.methods[i].label);
  }
  return titles;
}

std::string method_title(const BenchConfig& c, const std::string& label) {
  for (size_t i = 0; i < c.methods.size(); ++i) {
    if (c.methods[i].label == label) return method_titles(c).at(i);
  }
  return label;
}

json to_json(const BenchConfig& c) {
  json models = json::array();
  for (const ModelConfig& m : c.models) {
    json e = {{"label", m.label}};
    if (m.file.empty()) {
      e["spec"] = m.spec;
      e["spec"].erase("seed");  // set per bench seed
    } else {
      e["file"] = m.file;
    }
    models.push_back(e);
  }
  json methods = json::array();
  for (const MethodConfig& m : c.methods) {
    methods.push_back({{"label", m.label},
                       {"name", m.name},
                       {"options", prune::make_method(m.name, m.options)->options()},
                       {"rounds", m.rounds},
                       {"round_schedule", m.round_schedule},
                       {"timings", m.timings},
                       {"calib_samples", m.calib_samples}});
    // Only when set, so configs without them keep the JSON (and the resumable outputs) they had.
    if (m.reweight) methods.back()["reweight"] = m.reweight_variant;
    if (m.recalibrate_bn) methods.back()["recalibrate_bn"] = true;
    if (m.retrain_epochs > 0) methods.back()["retrain_epochs"] = m.retrain_epochs;
    if (m.group_sparsity_epochs > 0) {
      json g = m.group_sparsity;
      g.erase("target");
      g.erase("min_width");
      g["epochs"] = m.group_sparsity_epochs;
      methods.back()["group_sparsity"] = g;
    }
  }
  json train = c.train, finetune = c.finetune;
  for (json* t : {&train, &finetune}) {
    for (const char* key : {"seed", "checkpoint_path", "checkpoint_every_epoch", "resume"}) t->erase(key);
  }
  json budget = c.budget;
  budget.erase("sparsity");
  budget.erase("layer_sparsity");
  return {{"name", c.name},
          {"models", models},
          {"dataset",
           {{"name", c.data.dataset}, {"dir", c.data.dir}, {"train_limit", c.data.train_limit}, {"test_limit", c.data.test_limit}}},
          {"train", train},
          {"finetune", finetune},
          {"methods", methods},
          {"sparsities", c.sparsities},
          {"budget", budget},
          {"seeds", c.seeds},
          {"timings", c.timings},
          {"calib_samples", c.calib_samples},
          {"threads", c.threads},
          {"latency",
           {{"enabled", c.latency.enabled},
            {"batches", c.latency.batches},
            {"warmup", c.latency.warmup},
            {"repeats", c.latency.repeats}}},
          {"controls", c.controls}};
}

}  // namespace mipp::bench
