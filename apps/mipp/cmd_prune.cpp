// mipp prune: score, select and physically remove units of a model file (or a fresh zoo model,
// for pruning at initialisation), write the smaller model and a report.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <fmt/ranges.h>

#include "commands.h"
#include "event_sinks.h"
#include "local_ranks.h"
#include "mipp/dist/process_group.h"
#include "mipp/data/readers.h"
#include "mipp/pipeline/prune_model.h"
#include "mipp/prune/method.h"
#include "mipp/report/prune_summary.h"
#include "mipp/util/atomic_file.h"
#include "mipp/util/error.h"

namespace mipp::cli {

namespace {

struct PruneCommandOptions {
  ModelSource source;
  pipeline::DataOptions data;
  pipeline::PruneOptions prune;
  std::string method_options = "{}";
  std::string scope = "global";
  int64_t calib_samples = 0;  // 0: the method's default
  double confidence = 0;      // mipp: > 0 sets its confidence level
  std::string estimator;      // mipp: the estimator, when given
  bool sparsity_given = false;
  bool confidence_given = false;
  bool calib_samples_given = false;
  bool no_eval = false;
  bool list_methods = false;
  std::string out;
  std::string report_path;
  bool json = false;
  int nproc = 1;
};

nlohmann::json parse_json(const std::string& text, const std::string& what) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    MIPP_FAIL(kInvalidArgument, "{}: not valid JSON: {}", what, e.what());
  }
}

// --scope global | layer | FILE.json ({"group name": sparsity, ...}).
void apply_scope(const std::string& scope, prune::Budget& budget) {
  if (scope == "global" || scope == "layer") {
    budget.scope = scope;
    return;
  }
  std::ifstream in(scope);
  MIPP_CHECK(in.good(), kNotFound, "--scope {}: use global, layer, or an existing JSON file", scope);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const nlohmann::json j = parse_json(text, scope);
  MIPP_CHECK(j.is_object(), kInvalidArgument, "--scope {}: expected an object of group name -> sparsity", scope);
  for (const auto& [name, value] : j.items()) {
    MIPP_CHECK(value.is_number(), kInvalidArgument, "--scope {}: sparsity of {} is not a number", scope, name);
    budget.layer_sparsity[name] = value.get<double>();
  }
  budget.scope = "custom";
}

void print_summary(const pipeline::PruneResult& r, const std::string& out) {
  std::cout << report::prune_summary(r.report) << fmt::format("wrote {}\n", out);
}

void run_prune(PruneCommandOptions opt, const GlobalOptions& global) {
  start_local_ranks_if_asked(opt.nproc, /*batch_size=*/0);
  const int threads = apply_global_options(global, /*data_parallel=*/true);
  opt.prune.method_options = parse_json(opt.method_options, "--method-options");
  // 0 means "not given" for both below; given, it is out of range.
  MIPP_CHECK(!opt.confidence_given || (opt.confidence > 0 && opt.confidence < 1), kInvalidArgument,
             "--confidence {}: must be in (0, 1)", opt.confidence);
  MIPP_CHECK(!opt.calib_samples_given || opt.calib_samples >= 1, kInvalidArgument,
             "--calib-samples {}: must be at least 1", opt.calib_samples);
  if (opt.confidence_given || !opt.estimator.empty()) {
    MIPP_CHECK(opt.prune.method == "mipp", kInvalidArgument, "--confidence and --estimator are options of --method mipp");
    if (opt.confidence_given) {
      opt.prune.method_options["confidence"] = opt.confidence;
      // Without --sparsity the confidence level alone decides what is removed (the paper's mode).
      if (!opt.sparsity_given) opt.prune.method_options["mode"] = "confidence";
    }
    if (!opt.estimator.empty()) opt.prune.method_options["estimator"] = opt.estimator;
  }
  opt.prune.seed = global.seed;
  apply_scope(opt.scope, opt.prune.budget);
  prune::validate(opt.prune.budget);
  const auto method = prune::make_method(opt.prune.method, opt.prune.method_options);  // fail fast
  if (opt.calib_samples == 0) opt.calib_samples = method->default_calibration_samples();
  MIPP_CHECK(opt.calib_samples >= 1, kInvalidArgument, "--calib-samples {}: must be at least 1", opt.calib_samples);
  if (opt.prune.checkpoint_path.empty()) opt.prune.checkpoint_path = opt.out + ".checkpoint.jsonl";
  // Data-parallel: every rank takes the same decisions and keeps its own record of them, so that
  // each can resume (rank 0's is the usual file).
  if (!dist::is_main()) opt.prune.checkpoint_path += fmt::format(".rank{}", dist::rank());
  MIPP_CHECK(!opt.prune.resume || std::filesystem::exists(opt.prune.checkpoint_path), kNotFound,
             "--resume: no checkpoint {} to resume from", opt.prune.checkpoint_path);
  // Before any work: an output that cannot be written fails now, not after minutes of pruning.
  if (dist::is_main()) {
    util::check_writable(opt.out, "--out");
    if (!opt.report_path.empty()) util::check_writable(opt.report_path, "--report");
  }
  util::check_writable(opt.prune.checkpoint_path, "--checkpoint");

  const std::string resume_hint = fmt::format("decisions so far are in {}: run the same command with --resume to continue",
                                              opt.prune.checkpoint_path);
  set_resume_hint(opt.prune.checkpoint_path, resume_hint);
  io::Model model = load_or_build(opt.source, global);
  model.network.to(run_device());
  auto sink = make_event_sink(global.log_format, global.quiet);
  use_models_dataset(opt.data, model.metadata, /*fallback=*/"");
  const bool needs_calibration = method->needs_data() || opt.prune.reweight || opt.prune.recalibrate_bn;
  const bool use_data = !opt.data.dataset.empty() && (needs_calibration || !opt.no_eval);
  if (opt.calib_samples_given && !needs_calibration) {
    sink->message(util::LogLevel::kWarn,
                  fmt::format("--calib-samples: method {} reads no calibration data; the option is ignored", opt.prune.method));
  }
  pipeline::PreparedData data;
  data::Dataset calibration, verification;
  if (use_data) {
    opt.data.seed = global.seed;
    data = pipeline::prepare_data(opt.data, model.network.input_shape(), model.metadata.normalization);
    calibration = data::calibration_subset(data.train, opt.calib_samples, util::derive_seed(global.seed, "calibration"),
                                           method->needs_labels());
    if (method->verification_samples() > 0) {
      verification = data::calibration_subset(data.train, method->verification_samples(),
                                              util::derive_seed(global.seed, "verification"), /*with_labels=*/true);
    }
  }
  const pipeline::PruneResult result = [&] {
    try {
      return pipeline::prune_model(model, needs_calibration && use_data ? &calibration : nullptr,
                                   use_data && !opt.no_eval ? &data.test : nullptr, opt.prune, *sink,
                                   method->verification_samples() > 0 && use_data ? &verification : nullptr);
    } catch (const Error& e) {
      std::error_code ignored;
      const bool resumable = e.kind() == ErrorKind::kCancelled && std::filesystem::exists(opt.prune.checkpoint_path);
      if (!resumable) {
        // A run that failed for a reason other than an interrupt cannot be resumed: its decisions
        // go (a checkpoint this run only read, for --resume, stays).
        if (!opt.prune.resume) std::filesystem::remove(opt.prune.checkpoint_path, ignored);
        throw;
      }
      throw Error(e.kind(), fmt::format("{}; {}", e.what(), resume_hint));
    }
  }();
  std::filesystem::remove(opt.prune.checkpoint_path);  // the run is complete
  if (!dist::is_main()) return;  // rank 0 writes
  nlohmann::json report = result.report;
  report["model"] = opt.source.file.empty() ? opt.source.zoo_name : opt.source.file;
  report["out"] = opt.out;
  report["run"] = run_info(threads);
  // The model and the report stand or fall together.
  const util::WriteSection together;
  io::save_model(opt.out, result.pruned.network, result.pruned.metadata);
  if (!opt.report_path.empty()) {
    try {
      util::write_file_atomically(opt.report_path, report.dump(2) + "\n");
    } catch (const Error&) {
      std::filesystem::remove(opt.out);
      throw;
    }
  }
  if (opt.json) {
    std::cout << report.dump(2) << "\n";
  } else {
    print_summary(result, opt.out);
  }
}

}  // namespace

void add_prune_command(CLI::App& app, GlobalOptions& global) {
  auto opt = std::make_shared<PruneCommandOptions>();
  prune::Budget& b = opt->prune.budget;
  CLI::App* cmd = add_command(
      app, "prune", "remove units (neurons, channels) of a model and write the smaller model",
      "Examples:\n  mipp prune lenet5.pt --method magnitude --sparsity 0.5 --out small.pt --report report.json\n"
      "  mipp prune --model resnet20 --method random --sparsity 0.7 --target macs --out r20.pt\n"
      "  mipp prune lenet5.pt --method mipp --sparsity 0.7 --out small.pt\n"
      "  mipp prune lenet5.pt --method mipp --estimator mlp --confidence 0.95 --out small.pt   (the paper's mode)\n"
      "  mipp prune lenet5.pt --method submodular --scope layer --sparsity 0.5 --out small.pt\n"
      "  mipp prune lenet5.pt --method magnitude --sparsity 0.5 --reweight --out small.pt\n"
      "  mipp prune --list-methods\n");
  add_model_source_options(cmd, opt->source, /*with_file=*/true);
  opt->data.dataset = "";  // default: the dataset the model was trained on, if any
  add_data_options(cmd, opt->data, /*with_val_split=*/false);
  cmd->add_option("--method", opt->prune.method, "pruning method (see --list-methods)")->capture_default_str();
  cmd->add_option("--method-options", opt->method_options, "the method's options as a JSON object");
  cmd->add_option("--sparsity", b.sparsity, "fraction removed, in [0, 1)")->capture_default_str();
  cmd->add_option("--confidence", opt->confidence,
                  "mipp: confidence level x in (0, 1) of its test (default 0.95); without --sparsity, the sparsity "
                  "emerges from it");
  cmd->add_option("--estimator", opt->estimator, "mipp: estimator of its test: linear (default), mlp (the paper's), or by refits gaussian or ksg (slow)");
  cmd->add_option("--checkpoint", opt->prune.checkpoint_path,
                  "mipp: where decisions are saved as they are made (default: OUT.checkpoint.jsonl)");
  cmd->add_flag("--resume", opt->prune.resume, "mipp: continue an interrupted run from its checkpoint");
  cmd->add_option("--target", b.target, "what the sparsity measures: units, params or macs")->capture_default_str();
  cmd->add_option("--scope", opt->scope, "global, layer, or a JSON file {\"group\": sparsity, ...}")
      ->capture_default_str();
  cmd->add_option("--max-layer-sparsity", b.max_layer_sparsity, "no group loses more than this fraction")
      ->capture_default_str();
  cmd->add_option("--min-width", b.min_width, "units every group keeps at least")->capture_default_str();
  cmd->add_option("--min-width-fraction", b.min_width_fraction, "fraction of its units every group keeps at least")
      ->capture_default_str();
  cmd->add_option("--round-to", b.round_to, "kept units per group rounded up to a multiple of this")
      ->capture_default_str();
  cmd->add_option("--rounds", opt->prune.rounds, "iterative pruning: score, remove, re-score this many times")
      ->capture_default_str();
  cmd->add_option("--round-schedule", opt->prune.round_schedule, "sparsity per round: exponential or linear")
      ->capture_default_str();
  cmd->add_flag("--reweight", opt->prune.reweight,
                "refit the layers after removed units by least squares on the calibration data (any method)");
  cmd->add_option("--reweight-variant", opt->prune.reweight_options.variant,
                  "what --reweight fits: asym (pruned inputs to the original outputs), seq or layer")
      ->capture_default_str();
  cmd->add_flag("--recalibrate-bn", opt->prune.recalibrate_bn,
                "re-estimate batch-norm running statistics on the calibration data after pruning");
  cmd->add_option("--calib-samples", opt->calib_samples,
                  "calibration samples for data-driven methods (default: the method's, 512; mipp 2048)");
  cmd->add_flag("--no-eval", opt->no_eval, "skip the test-set evaluation before and after");
  cmd->add_option("--out", opt->out, "output model file (.pt)");
  cmd->add_option("--report", opt->report_path, "write the JSON report to this file");
  cmd->add_flag("--json", opt->json, "print the JSON report on stdout");
  cmd->add_flag("--list-methods", opt->list_methods, "list the methods and exit");
  cmd->add_option("--nproc", opt->nproc,
                  "data-parallel calibration: N local ranks share the calibration forward passes (mipp, "
                  "submodular, thinet, --reweight); the same as torchrun --no-python --nproc-per-node N mipp ...")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd->callback([opt, cmd, &global] {
    if (opt->list_methods) {
      for (const prune::MethodInfo& m : prune::method_list()) std::cout << fmt::format("{:<12} {}\n", m.name, m.description);
      return;
    }
    if (opt->source.file.empty() && opt->source.zoo_name.empty()) throw CLI::RequiredError("a model file or --model NAME");
    if (opt->out.empty()) throw CLI::RequiredError("--out");
    opt->sparsity_given = cmd->count("--sparsity") > 0;
    opt->confidence_given = cmd->count("--confidence") > 0;
    opt->calib_samples_given = cmd->count("--calib-samples") > 0;
    run_prune(*opt, global);
  });
}

}  // namespace mipp::cli
