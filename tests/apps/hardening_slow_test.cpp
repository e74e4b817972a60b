// Fault tests of the mipp binary: outputs that cannot be written, a full disk, sizes that cannot
// fit, corrupt model files, the dataset a model records, Ctrl-C of every long command, and kill -9
// at random points of train and prune followed by a resume that gives the uninterrupted result.
// Each case gave a crash, a hang, a wrong answer or a leftover file before it was fixed.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <torch/torch.h>

#include "mipp/io/model_file.h"
#include "support/bench_results.h"
#include "support/dataset_files.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace mipp {

namespace {

using testing::BackgroundMipp;
using testing::CommandResult;
using testing::run_command;
using testing::run_mipp;
using Clock = std::chrono::steady_clock;

// Exit `code` with exactly one "mipp: error: " line naming `what`.
void expect_one_error_line(const CommandResult& r, int code, const std::string& what) {
  EXPECT_EQ(r.exit_code, code) << r.err;
  const size_t at = r.err.find("mipp: error: ");
  ASSERT_NE(at, std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("mipp: error: ", at + 1), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(what, at), std::string::npos) << "expected '" << what << "' in: " << r.err;
}

std::vector<std::string> entries_of(const std::string& folder) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(folder)) names.push_back(e.path().filename().string());
  return names;
}

void expect_identical_models(const std::string& a, const std::string& b) {
  const io::Model ma = io::load_model(a), mb = io::load_model(b);
  const auto pa = ma.network.named_parameters(), pb = mb.network.named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) {
    EXPECT_EQ(pa[i].first, pb[i].first);
    EXPECT_TRUE(torch::equal(pa[i].second, pb[i].second)) << pa[i].first;
  }
  const auto ba = ma.network.named_buffers(), bb = mb.network.named_buffers();
  ASSERT_EQ(ba.size(), bb.size());
  for (size_t i = 0; i < ba.size(); ++i) EXPECT_TRUE(torch::equal(ba[i].second, bb[i].second)) << ba[i].first;
}

// Starts `args`, sends SIGINT once it has run `after` (and `file`, when given, exists), and returns
// its result and how long it took to stop.
std::pair<CommandResult, double> interrupt_after(const std::string& args, std::chrono::milliseconds after,
                                                 const std::string& file = "") {
  BackgroundMipp run(args);
  std::this_thread::sleep_for(after);
  const auto give_up = Clock::now() + std::chrono::seconds(60);
  while (!file.empty() && !std::filesystem::exists(file) && run.running() && Clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(run.running()) << args << ": finished before the interrupt; make it longer";
  const auto sent = Clock::now();
  run.signal(SIGINT);
  CommandResult r = run.wait();
  return {r, std::chrono::duration<double>(Clock::now() - sent).count()};
}

// IDX files of `n` random 28x28 images in `dir` (train and t10k), labels 0..9 in turn.
void write_idx_dataset(const std::string& dir, int64_t n, uint64_t seed) {
  const at::Tensor labels = torch::arange(n) % 10;
  for (const char* split : {"train", "t10k"}) {
    testing::write_file(dir + "/" + split + "-images-idx3-ubyte",
                        testing::idx_images_bytes(testing::random_pixels({n, 28, 28}, seed)));
    testing::write_file(dir + "/" + split + "-labels-idx1-ubyte", testing::idx_labels_bytes(labels));
  }
}

}  // namespace

// LibTorch's archive writer used to throw from a destructor (SIGABRT, exit 134) and leave its temp
// file when the disk was full or the folder unwritable.
TEST(Hardening, WriteFailuresAreOneLineExitThreeAndLeaveNothing) {
  testing::TempDir dir;
  // A full disk, as write() sees it: a file-size limit, with SIGXFSZ ignored so write() fails.
  const auto full = run_command("trap '' XFSZ; ulimit -f 100; " + std::string(MIPP_CLI_PATH) +
                                " export --model lenet5 --out " + dir.file("m.pt"));
  expect_one_error_line(full, 3, dir.file("m.pt") + ": cannot write: File too large");
  EXPECT_EQ(dir.num_entries(), 0) << "no model file and no temp file";
  // A folder no file can be created in, even by root.
  if (std::filesystem::is_directory("/proc/self")) {
    expect_one_error_line(run_mipp("export --model lenet5 --out /proc/m.pt"), 3, "/proc/m.pt: cannot write");
  }
}

// Outputs are checked before the work: the report's folder used to be found missing only after
// the pruned model had been written.
TEST(Hardening, OutputsAreCheckedBeforeTheWork) {
  testing::TempDir dir;
  const auto prune = run_mipp("prune --model lenet5 --method random --sparsity 0.5 --out " + dir.file("p.pt") +
                              " --report " + dir.file("missing/report.json"));
  expect_one_error_line(prune, 3, "--report " + dir.file("missing/report.json") + ": cannot write: folder");
  const auto train = run_mipp("train --model lenet5 --limit 500 --epochs 1 --out " + dir.file("missing/m.pt"));
  expect_one_error_line(train, 3, "--out " + dir.file("missing/m.pt"));
  EXPECT_EQ(train.err.find("epoch"), std::string::npos) << "no training before the check: " << train.err;
  EXPECT_EQ(dir.num_entries(), 0);
}

// MIPP used to leave OUT.checkpoint.jsonl behind when it failed for a reason other than Ctrl-C.
TEST(Hardening, AFailedMippRunLeavesNoCheckpoint) {
  testing::TempDir dir;
  const auto r = run_mipp("prune --model lenet300 --method mipp --sparsity 0.5 --dataset fashion-mnist --limit 600 "
                          "--calib-samples 20 --no-eval --out " + dir.file("p.pt"));
  expect_one_error_line(r, 2, "20 calibration samples are too few");
  EXPECT_EQ(dir.num_entries(), 0) << "left: " << ::testing::PrintToString(entries_of(dir.path()));
}

// Sizes that cannot fit used to wrap around (a negative MAC count, a 505032704-input layer) or to
// allocate for minutes before std::bad_alloc (exit 1). They fail at once, naming the size.
TEST(Hardening, ImpossibleSizesFailAtOnceNamingTheSize) {
  testing::TempDir dir;
  expect_one_error_line(run_mipp("inspect --model mlp --input-shape 3,40000,40000"), 2,
                        "input shape [3, 40000, 40000] has 4800000000 elements");
  ASSERT_EQ(run_mipp("export --model lenet5 --out " + dir.file("l.pt")).exit_code, 0);
  expect_one_error_line(run_mipp("latency " + dir.file("l.pt") + " --batch 1000000 --threads 1"), 2,
                        "latency at batch 1000000 needs");
  expect_one_error_line(run_mipp("train --model resnet18 --input-shape 1,28,28 --batch-size 60000 --out " +
                                 dir.file("t.pt")),
                        2, "training at batch 60000 needs");
  // A 224x224 ResNet-18 fed Fashion-MNIST would pad 70000 images to 3x224x224 (about 79 GiB).
  ASSERT_EQ(run_mipp("export --model resnet18 --input-shape 3,224,224 --out " + dir.file("r.pt")).exit_code, 0);
  expect_one_error_line(run_mipp("prune " + dir.file("r.pt") + " --method snip --dataset fashion-mnist --out " +
                                 dir.file("p.pt")),
                        2, "fitted to the model's input [3, 224, 224] needs");
}

// A flipped weight byte used to load and evaluate without a word.
TEST(Hardening, ACorruptWeightIsNamed) {
  testing::TempDir dir;
  ASSERT_EQ(run_mipp("export --model lenet300 --out " + dir.file("m.pt")).exit_code, 0);
  std::string bytes;
  {
    std::ifstream in(dir.file("m.pt"), std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const io::Model model = io::load_model(dir.file("m.pt"));
  const at::Tensor w = model.network.named_parameters().front().second.contiguous();
  const size_t at = bytes.find(std::string(static_cast<const char*>(w.data_ptr()), 64));
  ASSERT_NE(at, std::string::npos);
  bytes[at + 9] = static_cast<char>(bytes[at + 9] ^ 0x01);
  std::ofstream(dir.file("m.pt"), std::ios::binary) << bytes;
  expect_one_error_line(run_mipp("eval " + dir.file("m.pt") + " --test-limit 100"), 2,
                        model.network.named_parameters().front().first + " does not match its checksum");
}

// An archive whose TorchScript code no longer compiles, or whose data.pkl points at a missing
// tensor record, used to end in an internal error (exit 1).
TEST(Hardening, BrokenTorchScriptArchivesAreBadInput) {
  testing::TempDir dir;
  ASSERT_EQ(run_mipp("export --model lenet300 --out " + dir.file("m.pt")).exit_code, 0);
  // The archive is rewritten record by record with one record changed (Python's zipfile).
  const std::string rewrite = std::string(MIPP_PYTHON) + " -c \"import sys, zipfile\n"
                              "src = zipfile.ZipFile(sys.argv[1]); dst = zipfile.ZipFile(sys.argv[2], 'w')\n"
                              "for info in src.infolist():\n"
                              "    data = src.read(info.filename)\n"
                              "    raw = lambda text: text.encode('latin1').decode('unicode_escape').encode('latin1')\n"
                              "    if info.filename.endswith(sys.argv[3]): data = data.replace(raw(sys.argv[4]), raw(sys.argv[5]))\n"
                              "    dst.writestr(info, data)\n"
                              "dst.close()\" ";
  ASSERT_EQ(run_command(rewrite + dir.file("m.pt") + " " + dir.file("code.pt") + " mipp.py torch.linear torch.no_such_op")
                .exit_code,
            0);
  const auto code = run_mipp("eval " + dir.file("code.pt") + " --test-limit 10");
  expect_one_error_line(code, 2, "code.pt: not a readable TorchScript archive (");
  EXPECT_EQ(code.err.find("()"), std::string::npos) << "the reason is given: " << code.err;
  // Storage key "5" renamed "9": a record that does not exist.
  ASSERT_EQ(run_command(rewrite + dir.file("m.pt") + " " + dir.file("pickle.pt") +
                        " data.pkl 'X\\x01\\x00\\x00\\x005' 'X\\x01\\x00\\x00\\x009'")
                .exit_code,
            0);
  expect_one_error_line(run_mipp("eval " + dir.file("pickle.pt") + " --test-limit 10"), 2, "pickle.pt: not a readable");
}

// The dataset used to be forgotten: `train --data DIR` recorded "fashion-mnist", and eval,
// finetune and resume silently read Fashion-MNIST instead of the model's data.
TEST(Hardening, TheRecordedDatasetIsReusedAndAConflictRefused) {
  testing::TempDir data, dir;
  write_idx_dataset(data.path(), 200, 3);
  const std::string model = dir.file("m.pt");
  expect_one_error_line(run_mipp("train --model lenet300 --data " + data.path() + " --epochs 1 --out " + model), 2,
                        "name the dataset its files hold with --dataset");
  ASSERT_EQ(run_mipp("train --model lenet300 --dataset mnist --data " + data.path() + " --epochs 1 --out " + model).exit_code,
            0);
  // eval without --dataset or --data reads the recorded files: 200 test samples, not 10000.
  const auto e = run_mipp("eval " + model + " --json");
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const nlohmann::json evaluated = nlohmann::json::parse(e.out);
  EXPECT_EQ(evaluated.at("dataset"), "mnist");
  EXPECT_EQ(evaluated.at("result").at("samples"), 200);
  expect_one_error_line(run_mipp("eval " + model + " --dataset fashion-mnist"), 2,
                        "--dataset fashion-mnist: the model was trained on mnist");
  expect_one_error_line(run_mipp("finetune " + model + " --dataset fashion-mnist --out " + dir.file("f.pt")), 2,
                        "trained on mnist");
  // A resume without --dataset continues on the checkpoint's files (it used to switch to
  // Fashion-MNIST and overwrite the model); another dataset is refused.
  expect_one_error_line(run_mipp("train --model lenet300 --dataset fashion-mnist --epochs 2 --resume --out " + model), 2,
                        "trained on mnist");
  const auto resumed = run_mipp("train --model lenet300 --epochs 2 --resume --json --out " + model);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  const nlohmann::json j = nlohmann::json::parse(resumed.out);
  EXPECT_EQ(j.at("dataset"), "mnist");
  EXPECT_EQ(j.at("resumed_from_epoch"), 1);
  EXPECT_EQ(j.at("test").at("samples"), 200);
}

// A --resume with other options names the option instead of printing two JSON objects.
TEST(Hardening, AResumeMismatchNamesTheOption) {
  testing::TempDir dir;
  const std::string common = "train --model lenet300 --limit 300 --test-limit 100 --out " + dir.file("m.pt");
  ASSERT_EQ(run_mipp(common + " --epochs 1").exit_code, 0);
  expect_one_error_line(run_mipp(common + " --epochs 2 --lr 0.07 --resume"), 2,
                        "--lr 0.05 in the checkpoint, 0.07 now");
}

// Ctrl-C used to be ignored for 23 s by `prune --method magnitude` on ResNet-18 (its evaluation
// does not check for it). Every long command stops within about a second, exits 130 and leaves
// no output; only where something can be resumed does the message mention it.
TEST(Hardening, CtrlCStopsEveryLongCommand) {
  testing::TempDir dir;
  ASSERT_EQ(run_mipp("export --model resnet18 --input-shape 1,28,28 --out " + dir.file("r.pt")).exit_code, 0);
  ASSERT_EQ(run_mipp("export --model lenet300 --out " + dir.file("l.pt")).exit_code, 0);
  const std::string r18 = dir.file("r.pt");
  struct Case {
    std::string args;
    int after_ms;      // long enough for the command to be at work
    std::string hint;  // what the message must say about resuming; "" = nothing
    std::string file;  // interrupt only once this exists
  };
  const std::vector<Case> commands = {
      {"eval " + r18 + " --threads 1", 3000, "", ""},
      {"prune " + r18 + " --method magnitude --sparsity 0.5 --dataset fashion-mnist --threads 1 --out " + dir.file("p.pt"),
       3000, "", ""},
      {"latency " + r18 + " --batch 64 --repeats 1000 --threads 1", 3000, "", ""},
      {"train --model lenet5 --epochs 100 --threads 1 --out " + dir.file("t.pt"), 3000, "", ""},
      {"prune --model resnet20 --method mipp --sparsity 0.5 --dataset fashion-mnist --no-eval --threads 1 --out " +
           dir.file("m.pt"),
       500, "--resume", dir.file("m.pt.checkpoint.jsonl")},
  };
  for (const auto& [args, after_ms, hint, file] : commands) {
    const auto [r, seconds] = interrupt_after(args, std::chrono::milliseconds(after_ms), file);
    EXPECT_EQ(r.exit_code, 130) << args << "\n" << r.err;
    EXPECT_LT(seconds, 5.0) << args;  // about one second; generous for a busy machine
    if (hint.empty()) {
      EXPECT_EQ(r.err.find("--resume"), std::string::npos) << args << "\n" << r.err;
    } else {
      EXPECT_NE(r.err.find(hint), std::string::npos) << args << "\n" << r.err;
    }
    for (const std::string& name : entries_of(dir.path())) {
      EXPECT_TRUE(name == "r.pt" || name == "l.pt" || name == "m.pt.checkpoint.jsonl") << args << " left " << name;
    }
  }
}

// kill -9 at random points, then the same command again (with --resume where there is a
// checkpoint): the result equals the uninterrupted run's, bit for bit.
TEST(Hardening, KillNineThenResumeGivesTheUninterruptedResult) {
  testing::TempDir dir;
  std::mt19937 rng(11);
  const std::vector<std::pair<std::string, std::string>> commands = {
      {"train --model lenet300 --limit 2000 --test-limit 100 --epochs 6 --checkpoint-every-epoch --threads 1", ""},
      {"prune --model lenet300 --method mipp --sparsity 0.5 --dataset fashion-mnist --calib-samples 1024 --no-eval "
       "--threads 1",
       ".checkpoint.jsonl"},
  };
  for (const auto& [args, checkpoint_suffix] : commands) {
    const std::string reference = dir.file("reference.pt");
    const auto whole = run_mipp(args + " --out " + reference);
    ASSERT_EQ(whole.exit_code, 0) << whole.err;
    for (int trial = 0; trial < 2; ++trial) {
      const std::string out = dir.file("killed.pt");
      const std::string checkpoint = checkpoint_suffix.empty() ? out : out + checkpoint_suffix;
      {
        BackgroundMipp run(args + " --out " + out);
        std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(600, 1800)(rng)));
        run.signal(SIGKILL);
        run.wait();
      }
      const bool resumable = std::filesystem::exists(checkpoint);
      const auto again = run_mipp(args + " --out " + out + (resumable ? " --resume" : ""));
      ASSERT_EQ(again.exit_code, 0) << args << (resumable ? " --resume" : "") << "\n" << again.err;
      expect_identical_models(reference, out);
      std::filesystem::remove(out);
    }
    std::filesystem::remove(reference);
    for (const std::string& name : entries_of(dir.path())) ADD_FAILURE() << args << " left " << name;
  }
}

// The same for a bench: killed at a random point, rerun, it ends with the uninterrupted results.
TEST(Hardening, KillNineThenRerunOfABenchGivesTheUninterruptedResults) {
  testing::TempDir dir;
  const std::string bench = "bench --allow-dirty " + std::string(MIPP_SOURCE_DIR) + "/bench/configs/smoke.json --no-plots --quiet --out ";
  const auto start = Clock::now();
  ASSERT_EQ(run_mipp(bench + dir.file("whole")).exit_code, 0);
  const double whole_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  {
    BackgroundMipp run(bench + dir.file("killed"));
    // At a seeded random point between 30% and 70% of the uninterrupted run.
    std::mt19937 rng(5);
    const double at = std::uniform_real_distribution<double>(0.3, 0.7)(rng);
    std::this_thread::sleep_for(std::chrono::duration<double>(at * whole_seconds));
    ASSERT_TRUE(run.running()) << "the bench finished before it was killed; kill it earlier";
    run.signal(SIGKILL);
    run.wait();
  }
  const auto again = run_mipp(bench + dir.file("killed"));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const nlohmann::json whole = nlohmann::json::parse(std::ifstream(dir.file("whole/results.json")));
  const nlohmann::json resumed = nlohmann::json::parse(std::ifstream(dir.file("killed/results.json")));
  ASSERT_EQ(whole.at("cells").size(), resumed.at("cells").size());
  for (size_t i = 0; i < whole.at("cells").size(); ++i) {
    EXPECT_EQ(testing::deterministic_cell(whole.at("cells").at(i)), testing::deterministic_cell(resumed.at("cells").at(i)))
        << i;
  }
  for (const std::string& name : entries_of(dir.file("killed"))) {
    EXPECT_EQ(name.find(".tmp."), std::string::npos) << "left " << name;
  }
}

}  // namespace mipp
