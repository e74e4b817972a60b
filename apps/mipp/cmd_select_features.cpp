// mipp select-features: MIPP's test applied to the input pixels against the first layer; writes
// the kept-pixel mask as a PGM image and the decisions as JSON.
#include <iostream>

#include "commands.h"
#include "event_sinks.h"
#include "mipp/prune/feature_selection.h"
#include "mipp/util/atomic_file.h"
#include "mipp/util/error.h"

namespace mipp::cli {

namespace {

struct SelectFeaturesOptions {
  ModelSource source;
  pipeline::DataOptions data;
  prune::FeatureSelectionOptions selection;
  double sparsity = -1;  // < 0: not given
  int64_t calib_samples = 2048;
  std::string out;
  std::string json_path;
};

void run_select_features(SelectFeaturesOptions opt, const GlobalOptions& global) {
  const int threads = apply_global_options(global);
  if (opt.sparsity >= 0) opt.selection.sparsity = opt.sparsity;
  MIPP_CHECK(opt.calib_samples >= 1, kInvalidArgument, "--calib-samples {}: must be at least 1", opt.calib_samples);
  util::check_writable(opt.out, "--out");
  if (!opt.json_path.empty()) util::check_writable(opt.json_path, "--json-out");
  io::Model model = load_or_build(opt.source, global);
  model.network.to(run_device());
  use_models_dataset(opt.data, model.metadata, /*fallback=*/"");
  MIPP_CHECK(!opt.data.dataset.empty(), kInvalidArgument, "select-features needs --dataset (the model names none)");
  opt.data.seed = global.seed;
  const pipeline::PreparedData data =
      pipeline::prepare_data(opt.data, model.network.input_shape(), model.metadata.normalization);
  const data::Dataset calibration = data::calibration_subset(
      data.train, opt.calib_samples, util::derive_seed(global.seed, "calibration"), /*with_labels=*/false);
  auto sink = make_event_sink(global.log_format, global.quiet);
  const prune::FeatureSelection s = prune::select_input_features(model.network, calibration, opt.selection, *sink);
  util::write_file_atomically(opt.out, prune::mask_to_pgm(s));
  nlohmann::json report = s.details;
  report["shape"] = s.shape;
  report["mask"] = opt.out;
  report["calibration_samples"] = calibration.size();
  report["run"] = run_info(threads);
  if (!opt.json_path.empty()) util::write_file_atomically(opt.json_path, report.dump(2) + "\n");
  std::cout << fmt::format("kept {} of {} input pixels ({:.1f}% removed), loss threshold {:.3g}, confidence {}\n",
                           s.kept, s.keep.size(), 100 * report.at("removed").get<double>(), s.loss_threshold,
                           opt.selection.confidence);
  std::cout << fmt::format("wrote {}{}\n", opt.out, opt.json_path.empty() ? "" : " and " + opt.json_path);
}

}  // namespace

void add_select_features_command(CLI::App& app, GlobalOptions& global) {
  auto opt = std::make_shared<SelectFeaturesOptions>();
  CLI::App* cmd = add_command(
      app, "select-features", "keep the input pixels that carry information about the first layer (MIPP's test)",
      "Examples:\n  mipp select-features lenet5.pt --sparsity 0.5 --out mask.pgm --json-out mask.json\n"
      "  mipp select-features lenet5.pt --confidence 0.99 --out mask.pgm\n");
  add_model_source_options(cmd, opt->source, /*with_file=*/true);
  opt->data.dataset = "";  // default: the model's dataset
  add_data_options(cmd, opt->data, /*with_val_split=*/false);
  cmd->add_option("--sparsity", opt->sparsity, "fraction of the pixels to remove (default: the test decides)");
  cmd->add_option("--confidence", opt->selection.confidence, "confidence level of the test")->capture_default_str();
  cmd->add_option("--pool", opt->selection.pool, "first-layer maps pooled to P x P per channel")->capture_default_str();
  cmd->add_option("--calib-samples", opt->calib_samples, "unlabelled training images read")->capture_default_str();
  cmd->add_option("--out", opt->out, "the mask as a PGM image (255 = kept)")->required();
  cmd->add_option("--json-out", opt->json_path, "every pixel's test and the search as JSON");
  cmd->callback([opt, &global] {
    if (opt->source.file.empty() && opt->source.zoo_name.empty()) throw CLI::RequiredError("a model file or --model NAME");
    run_select_features(*opt, global);
  });
}

}  // namespace mipp::cli
