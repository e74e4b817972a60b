// End-to-end runs of the mipp binary: help and version, inspect and export, and bad input, which
// must give one clear line on stderr, exit code 2, and no output file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include <torch/torch.h>

#include "support/dataset_files.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace mipp {

namespace {

using testing::run_mipp;

int count_lines(const std::string& text) { return static_cast<int>(std::count(text.begin(), text.end(), '\n')); }

// Exit code 2 and one error line, the last on stderr, naming `what` (progress lines may precede it).
void expect_bad_input(const testing::CommandResult& r, const std::string& what) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  const size_t error_at = r.err.find("mipp: error: ");
  ASSERT_NE(error_at, std::string::npos) << r.err;
  EXPECT_TRUE(error_at == 0 || r.err[error_at - 1] == '\n') << r.err;
  const std::string error_line = r.err.substr(error_at);
  EXPECT_EQ(count_lines(error_line), 1) << r.err;
  EXPECT_NE(error_line.find(what), std::string::npos) << "expected '" << what << "' in: " << r.err;
}

}  // namespace

TEST(Cli, VersionAndHelpExitZero) {
  const auto version = run_mipp("--version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find("mipp 0."), std::string::npos) << version.out;
  EXPECT_NE(version.out.find("LibTorch"), std::string::npos);
  for (const char* cmd : {"", "inspect ", "export ", "train ", "finetune ", "eval ", "prune ", "latency ", "demo "}) {
    const auto help = run_mipp(std::string(cmd) + "--help");
    EXPECT_EQ(help.exit_code, 0) << cmd;
    EXPECT_NE(help.out.find("--threads"), std::string::npos) << cmd << help.out;
  }
}

TEST(Cli, NoSubcommandIsBadInput) { EXPECT_EQ(run_mipp("").exit_code, 2); }

TEST(Cli, InspectJsonReportsCountsAndThreads) {
  const auto r = run_mipp("inspect --model lenet5 --json --threads 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("params_total"), 61706);
  EXPECT_EQ(j.at("macs_total"), 416520);
  EXPECT_EQ(j.at("run").at("threads"), 2);
  EXPECT_EQ(j.at("model").at("num_classes"), 10);
  EXPECT_EQ(j.at("layers").at(1).at("name"), "conv1");
}

TEST(Cli, InspectTextShowsEveryWeightLayer) {
  const auto r = run_mipp("inspect --model resnet20");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("layer3.2.conv2"), std::string::npos);
  EXPECT_NE(r.out.find("272474"), std::string::npos);
}

TEST(Cli, InspectListsTheZoo) {
  const auto r = run_mipp("inspect --list");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("resnet110"), std::string::npos);
}

TEST(Cli, ExportWritesAFileInspectReads) {
  testing::TempDir dir;
  const auto e = run_mipp("export --model resnet20 --num-classes 100 --width 0.5 --seed 4 --out " + dir.file("r.pt"));
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const auto from_file = run_mipp("inspect " + dir.file("r.pt") + " --json");
  const auto from_zoo = run_mipp("inspect --model resnet20 --num-classes 100 --width 0.5 --json");
  ASSERT_EQ(from_file.exit_code, 0) << from_file.err;
  const nlohmann::json a = nlohmann::json::parse(from_file.out), b = nlohmann::json::parse(from_zoo.out);
  EXPECT_EQ(a.at("layers"), b.at("layers"));
  EXPECT_EQ(a.at("model").at("history").at(0).at("seed"), 4);
}

TEST(Cli, SameSeedWritesIdenticalFiles) {
  testing::TempDir dir;
  ASSERT_EQ(run_mipp("export --model lenet5 --seed 9 --out " + dir.file("a.pt")).exit_code, 0);
  ASSERT_EQ(run_mipp("export --model lenet5 --seed 9 --out " + dir.file("b.pt")).exit_code, 0);
  EXPECT_EQ(testing::run_command("cmp " + dir.file("a.pt") + " " + dir.file("b.pt")).exit_code, 0);
}

TEST(Cli, MissingModelFile) { expect_bad_input(run_mipp("inspect /nonexistent/m.pt"), "/nonexistent/m.pt"); }

TEST(Cli, FileThatIsNotTorchScript) {
  testing::TempDir dir;
  std::ofstream(dir.file("notes.pt")) << "hello";
  expect_bad_input(run_mipp("inspect " + dir.file("notes.pt")), "not a readable TorchScript archive");
}

TEST(Cli, UnknownModelNameWritesNothing) {
  testing::TempDir dir;
  expect_bad_input(run_mipp("export --model resnet21 --out " + dir.file("m.pt")), "unknown model 'resnet21'");
  EXPECT_EQ(dir.num_entries(), 0);
}

TEST(Cli, BadOptionValuesNameTheOption) {
  testing::TempDir dir;
  expect_bad_input(run_mipp("export --model lenet5 --input-shape 1,x,28 --out " + dir.file("m.pt")), "--input-shape");
  expect_bad_input(run_mipp("export --model lenet5 --num-classes 1 --out " + dir.file("m.pt")), "num_classes 1");
  expect_bad_input(run_mipp("inspect --model lenet5 --threads -1"), "--threads");
  // Thousands of threads used to start (minutes) before anything ran: the limit is named.
  const std::string limit =
      "at most " + std::to_string(4 * std::max(1u, std::thread::hardware_concurrency())) + " on this machine";
  expect_bad_input(run_mipp("--threads 4096 inspect --model lenet5"), limit);
  // An empty number used to read as 0: prune wrote an unpruned model.
  expect_bad_input(run_mipp("prune --model lenet5 --method random --sparsity '' --no-eval --out " + dir.file("p.pt")),
                   "--sparsity: empty value");
  // 0 meant "not given" for both: the documented ranges are now enforced.
  expect_bad_input(run_mipp("prune --model lenet5 --method mipp --confidence 0 --no-eval --out " + dir.file("p.pt")),
                   "--confidence 0: must be in (0, 1)");
  expect_bad_input(run_mipp("prune --model lenet5 --method snip --calib-samples 0 --out " + dir.file("p.pt")),
                   "--calib-samples 0: must be at least 1");
  expect_bad_input(run_mipp("inspect --model lenet5 --width 0.5"), "width 0.5");
  expect_bad_input(run_mipp("export --model lenet5"), "--out");
  EXPECT_EQ(dir.num_entries(), 0);
}

TEST(Cli, UnwritableOutputIsAnEnvironmentError) {
  const auto r = run_mipp("export --model lenet5 --out /nonexistent/dir/m.pt");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("/nonexistent/dir/m.pt"), std::string::npos) << r.err;
}

TEST(Cli, DemoTrainsPrunesFineTunesAndReloads) {
  testing::TempDir dir;
  const auto r = run_mipp("demo --epochs 1 --finetune-epochs 1 --limit 3000 --calib-samples 1000 --out-dir " + dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("top-1 after"), std::string::npos) << r.out;
  // Both methods at the same MACs budget, each row with the MACs it removed and its speed-up.
  EXPECT_NE(r.out.find("both methods remove 50% of the MACs"), std::string::npos) << r.out;
  for (const char* method : {"MIPP (linear-Gaussian)", "submodular"}) {
    const size_t at = r.out.find(std::string("\n  ") + method + " ");
    ASSERT_NE(at, std::string::npos) << method << "\n" << r.out;
    const std::string line = r.out.substr(at + 1, r.out.find('\n', at + 1) - at - 1);
    const size_t percent = line.find("% ");
    ASSERT_NE(percent, std::string::npos) << line;
    const double removed = std::stod(line.substr(line.rfind(' ', percent) + 1));
    // Near the budget: a conv1 channel of LeNet-5 carries 14% of its MACs (its own and conv2's
    // input), so a method lands a few points off it, on either side.
    EXPECT_GE(removed, 45) << line;
    EXPECT_LE(removed, 65) << line;
    EXPECT_EQ(line.back(), 'x') << line;
  }
  EXPECT_NE(r.out.find("all reloaded: same accuracy"), std::string::npos) << r.out;
  EXPECT_TRUE(std::filesystem::exists(dir.file("lenet5-submodular.pt")));
  EXPECT_EQ(dir.num_entries(), 3);  // the dense and the two pruned model files
}

TEST(Cli, TrainThenEvalAgree) {
  testing::TempDir dir;
  const std::string out = dir.file("m.pt");
  const auto t = run_mipp("train --model lenet300 --epochs 1 --limit 3000 --test-limit 1000 --json --log-format json "
                          "--seed 2 --out " + out);
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const nlohmann::json trained = nlohmann::json::parse(t.out);
  EXPECT_GT(trained.at("test").at("top1").get<double>(), 0.5);
  EXPECT_NE(t.err.find("\"event\":\"epoch\""), std::string::npos) << "one JSON line per epoch on stderr";
  const auto e = run_mipp("eval " + out + " --test-limit 1000 --json");
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const nlohmann::json evaluated = nlohmann::json::parse(e.out);
  EXPECT_EQ(evaluated.at("result").at("top1"), trained.at("test").at("top1"));
  EXPECT_EQ(evaluated.at("result").at("confusion").size(), 10u);
}

TEST(Cli, CorruptDatasetFilesAreNamed) {
  testing::TempDir data;
  const at::Tensor images = testing::random_pixels({20, 28, 28}, 1);
  const at::Tensor labels = torch::arange(20) % 10;
  const std::string image_bytes = testing::idx_images_bytes(images);
  for (const char* split : {"train", "t10k"}) {
    testing::write_file(data.file(std::string(split) + "-images-idx3-ubyte"), image_bytes);
    testing::write_file(data.file(std::string(split) + "-labels-idx1-ubyte"), testing::idx_labels_bytes(labels));
  }
  testing::TempDir out;
  const std::string args = "train --model lenet5 --dataset mnist --epochs 1 --data " + data.path() +
                           " --out " + out.file("m.pt");
  ASSERT_EQ(run_mipp(args).exit_code, 0) << "the intact files train";
  std::remove(out.file("m.pt").c_str());

  testing::write_file(data.file("train-images-idx3-ubyte"), image_bytes.substr(0, image_bytes.size() - 100));
  expect_bad_input(run_mipp(args), "train-images-idx3-ubyte");
  testing::write_file(data.file("train-images-idx3-ubyte"), image_bytes);
  testing::write_file(data.file("train-labels-idx1-ubyte"), testing::idx_labels_bytes(labels + 5));  // up to 14
  expect_bad_input(run_mipp(args), "train-labels-idx1-ubyte");
  EXPECT_EQ(out.num_entries(), 0);
}

TEST(Cli, FinetuneAndEvalDefaultToTheModelFilesDataset) {
  testing::TempDir data;
  for (const char* split : {"train", "t10k"}) {
    testing::write_file(data.file(std::string(split) + "-images-idx3-ubyte"),
                        testing::idx_images_bytes(testing::random_pixels({40, 28, 28}, 2)));
    testing::write_file(data.file(std::string(split) + "-labels-idx1-ubyte"),
                        testing::idx_labels_bytes(torch::arange(40) % 10));
  }
  testing::TempDir out;
  ASSERT_EQ(run_mipp("train --model lenet5 --dataset mnist --epochs 1 --data " + data.path() + " --out " +
                     out.file("m.pt")).exit_code, 0);
  // The same file names as Fashion-MNIST's: only the default decides which dataset this is.
  const auto r = run_mipp("finetune " + out.file("m.pt") + " --epochs 1 --json --data " + data.path() + " --out " +
                          out.file("ft.pt"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out).at("dataset"), "mnist");
  const auto e = run_mipp("eval " + out.file("ft.pt") + " --json --data " + data.path());
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_EQ(nlohmann::json::parse(e.out).at("dataset"), "mnist");
}

TEST(Cli, PruneWritesASmallerModelAndAReport) {
  testing::TempDir dir;
  const auto r = run_mipp("prune --model resnet20 --width 0.5 --method magnitude --sparsity 0.5 --target macs --out " +
                          dir.file("small.pt") + " --report " + dir.file("report.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(dir.file("report.json"));
  const nlohmann::json report = nlohmann::json::parse(in);
  EXPECT_GE(report.at("achieved_sparsity").get<double>(), 0.5);
  EXPECT_GE(report.at("theoretical_speedup").get<double>(), 2.0);
  EXPECT_EQ(report.at("run").at("threads").get<int>() > 0, true);
  const auto inspected = run_mipp("inspect " + dir.file("small.pt") + " --json");
  ASSERT_EQ(inspected.exit_code, 0) << inspected.err;
  EXPECT_EQ(nlohmann::json::parse(inspected.out).at("macs_total"), report.at("after").at("macs"));
  EXPECT_EQ(nlohmann::json::parse(inspected.out).at("model").at("history").back().at("action"), "prune");
}

TEST(Cli, PruneWithSnipReadsCalibrationData) {
  testing::TempDir dir;
  const auto r = run_mipp("prune --model lenet5 --method snip --dataset fashion-mnist --limit 1000 --test-limit 500 "
                          "--calib-samples 256 --sparsity 0.5 --scope layer --json --out " + dir.file("m.pt"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json report = nlohmann::json::parse(r.out);
  EXPECT_EQ(report.at("calibration_samples"), 256);
  EXPECT_EQ(report.at("method_options").at("reduction"), "abs-of-sum");
  EXPECT_TRUE(report.contains("accuracy_after"));
}

TEST(Cli, PruneWithMippReportsEveryLayersTests) {
  testing::TempDir dir;
  const std::string common = "prune --model lenet5 --method mipp --dataset fashion-mnist --limit 1000 --test-limit 300 "
                             "--calib-samples 600 --json --out " + dir.file("m.pt");
  const auto r = run_mipp(common + " --sparsity 0.6");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json report = nlohmann::json::parse(r.out);
  EXPECT_NEAR(report.at("achieved_sparsity").get<double>(), 0.6, 0.01);
  EXPECT_EQ(report.at("calibration_samples"), 600);
  const nlohmann::json& details = report.at("method_details");
  EXPECT_EQ(details.at("mode"), "sparsity");
  EXPECT_EQ(details.at("layers").size(), 4u);
  EXPECT_EQ(details.at("layers")[0].at("group"), "fc2");
  EXPECT_FALSE(std::filesystem::exists(dir.file("m.pt.checkpoint.jsonl"))) << "a finished run leaves no checkpoint";
  // The paper's mode: the confidence level decides, the requested sparsity is not set.
  const auto c = run_mipp(common + " --confidence 0.99");
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_TRUE(nlohmann::json::parse(c.out).at("requested_sparsity").is_null());
  expect_bad_input(run_mipp(common + " --confidence 1.5"), "--confidence 1.5");
  expect_bad_input(run_mipp(common + " --resume"), "no checkpoint");
}

TEST(Cli, SelectFeaturesWritesAMaskImage) {
  testing::TempDir dir;
  const auto r = run_mipp("select-features --model lenet5 --dataset fashion-mnist --limit 1200 --calib-samples 1000 "
                          "--confidence 0.95 --out " + dir.file("mask.pgm") + " --json-out " + dir.file("mask.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream pgm(dir.file("mask.pgm"), std::ios::binary);
  const std::string image((std::istreambuf_iterator<char>(pgm)), std::istreambuf_iterator<char>());
  ASSERT_EQ(image.substr(0, 13), "P5\n28 28\n255\n");
  EXPECT_EQ(image.size(), 13u + 28 * 28);
  std::ifstream in(dir.file("mask.json"));
  const nlohmann::json report = nlohmann::json::parse(in);
  const auto kept = std::count(image.begin() + 13, image.end(), static_cast<char>(255));
  EXPECT_EQ(report.at("kept").get<int64_t>(), kept);
  EXPECT_EQ(image[13], 0) << "the corner pixel is nearly constant in Fashion-MNIST";
  expect_bad_input(run_mipp("select-features --model lenet5 --dataset fashion-mnist --confidence 2 --out " +
                            dir.file("x.pgm")),
                   "--confidence 2");
}

TEST(Cli, FinetuneContinuesAPrunedModel) {
  testing::TempDir dir;
  ASSERT_EQ(run_mipp("train --model lenet300 --epochs 1 --limit 2000 --test-limit 500 --out " + dir.file("m.pt")).exit_code, 0);
  ASSERT_EQ(run_mipp("prune " + dir.file("m.pt") + " --sparsity 0.5 --scope layer --test-limit 500 --out " +
                     dir.file("p.pt")).exit_code, 0);
  const auto r = run_mipp("finetune " + dir.file("p.pt") + " --epochs 1 --limit 2000 --test-limit 500 --lr 0.01 --json --out " +
                          dir.file("ft.pt"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto inspected = run_mipp("inspect " + dir.file("ft.pt") + " --json");
  const nlohmann::json history = nlohmann::json::parse(inspected.out).at("model").at("history");
  ASSERT_EQ(history.size(), 4u);  // init, train, prune, train
  EXPECT_EQ(history.at(2).at("action"), "prune");
  EXPECT_EQ(history.at(3).at("action"), "train");
  expect_bad_input(run_mipp("finetune --model lenet5 --out " + dir.file("x.pt")), "--model");
}

TEST(Cli, LatencyComparesTwoModels) {
  testing::TempDir dir;
  ASSERT_EQ(run_mipp("export --model lenet5 --out " + dir.file("dense.pt")).exit_code, 0);
  ASSERT_EQ(run_mipp("prune " + dir.file("dense.pt") + " --sparsity 0.5 --scope layer --out " + dir.file("small.pt"))
                .exit_code,
            0);
  const auto r = run_mipp("latency " + dir.file("dense.pt") + " " + dir.file("small.pt") +
                          " --batch 1,8 --warmup 1 --repeats 3 --json --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.at("results").size(), 2u);
  for (const auto& row : j.at("results")) {
    EXPECT_GT(row.at("measured_speedup").get<double>(), 0);
    EXPECT_GT(row.at("theoretical_speedup").get<double>(), 1);
    EXPECT_EQ(row.at("threads"), 1);
    for (const auto& model : row.at("models")) {  // auto: the faster of the two layouts
      EXPECT_TRUE(model.at("layout") == "contiguous" || model.at("layout") == "channels-last") << model;
    }
  }
  const auto forced = run_mipp("latency " + dir.file("small.pt") + " --batch 2 --warmup 0 --repeats 1 --json --layout " +
                               "channels-last");
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_EQ(nlohmann::json::parse(forced.out).at("results")[0].at("models")[0].at("layout"), "channels-last");
  ASSERT_EQ(run_mipp("export --model mlp --out " + dir.file("mlp.pt")).exit_code, 0);
  const auto flat = run_mipp("latency " + dir.file("mlp.pt") + " --batch 2 --warmup 0 --repeats 1 --json");
  ASSERT_EQ(flat.exit_code, 0) << flat.err;
  EXPECT_EQ(nlohmann::json::parse(flat.out).at("results")[0].at("models")[0].at("layout"), "contiguous")
      << "without a conv the layouts are the same";
  expect_bad_input(run_mipp("latency " + dir.file("dense.pt") + " --batch 0"), "--batch");
  expect_bad_input(run_mipp("latency " + dir.file("dense.pt") + " --layout nhwc"), "--layout");
}

TEST(Cli, PruneBadInputWritesNothing) {
  testing::TempDir dir;
  const std::string out = " --out " + dir.file("m.pt") + " --report " + dir.file("r.json");
  expect_bad_input(run_mipp("prune --model lenet5 --sparsity 1.2" + out), "--sparsity 1.2");
  expect_bad_input(run_mipp("prune --model lenet5 --method snap" + out), "magnitude");
  expect_bad_input(run_mipp("prune --model lenet5 --sparsity 0.995" + out), "at most");
  expect_bad_input(run_mipp("prune --model lenet5 --method bn-scale" + out), "batch-norm");
  expect_bad_input(run_mipp("prune --model lenet5 --method snip" + out), "needs calibration data");
  expect_bad_input(run_mipp("prune --model lenet5 --method-options '{\"norm\": 5}'" + out), "norm 5");
  EXPECT_EQ(dir.num_entries(), 0);
}

TEST(Cli, TrainBadInputWritesNothing) {
  testing::TempDir dir;
  const std::string out = " --out " + dir.file("m.pt");
  expect_bad_input(run_mipp("train --model lenet5 --dataset mnist" + out), "--data");
  expect_bad_input(run_mipp("train --model lenet5 --dataset cifar10 --data /nonexistent" + out), "/nonexistent");
  expect_bad_input(run_mipp("train --model lenet5 --dataset imagenet" + out), "imagenet");
  expect_bad_input(run_mipp("train --model mlp --input-shape 100 --limit 10" + out), "[100]");
  expect_bad_input(run_mipp("train --model lenet5 --optimizer rmsprop" + out), "rmsprop");
  expect_bad_input(run_mipp("train --model lenet5 --epochs 0" + out), "epochs 0");
  EXPECT_EQ(dir.num_entries(), 0);
}

}  // namespace mipp
