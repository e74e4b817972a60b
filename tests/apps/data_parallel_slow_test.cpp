// Data-parallel training end to end: two ranks on loopback (Gloo), started by `mipp train --nproc 2`
// and by PyTorch's torchrun, against one process; a rank that dies; resuming with another world
// size; and the launch errors that must be one line and exit code 2.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>
#include <torch/torch.h>
#include <fmt/format.h>

#include "mipp/io/model_file.h"
#include "mipp/util/device.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace mipp {

namespace {

using testing::run_command;
using testing::run_mipp;

// 1280 training images in batches of 64: 20 optimiser steps per epoch.
const std::string kTwentySteps =
    "train --model lenet5 --limit 1280 --test-limit 200 --epochs 1 --batch-size 64 --lr 0.05 --threads 1 --seed 4";

double max_weight_difference(const std::string& a, const std::string& b) {
  const auto pa = io::load_model(a).network.named_parameters(), pb = io::load_model(b).network.named_parameters();
  EXPECT_EQ(pa.size(), pb.size());
  double worst = 0;
  for (size_t i = 0; i < pa.size() && i < pb.size(); ++i) {
    worst = std::max(worst, (pa[i].second - pb[i].second).abs().max().item<double>());
  }
  return worst;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The child processes of `pid` (Linux: /proc/PID/task/PID/children).
std::vector<pid_t> children_of(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/task/{}/children", pid, pid));
  std::vector<pid_t> out;
  for (pid_t child; in >> child;) out.push_back(child);
  return out;
}

// Waits for `pid` up to `limit`; returns its exit code, or -1 when it is still running then.
int wait_for(pid_t pid, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return -1;
}

}  // namespace

TEST(DataParallel, TwoRanksEqualOneProcessWithTheSameGlobalBatch) {
  testing::TempDir dir;
  const auto one = run_mipp(kTwentySteps + " --out " + dir.file("one.pt"));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const auto two = run_mipp(kTwentySteps + " --nproc 2 --json --out " + dir.file("two.pt"));
  ASSERT_EQ(two.exit_code, 0) << two.err;
  EXPECT_LT(max_weight_difference(dir.file("one.pt"), dir.file("two.pt")), 1e-5);
  // Only rank 0 writes: one JSON document on stdout, which records the two ranks.
  const nlohmann::json j = nlohmann::json::parse(two.out);
  EXPECT_EQ(j.at("run").at("ranks"), 2);
  EXPECT_EQ(j.at("run").at("device"), "cpu");
  const nlohmann::json history = io::load_model(dir.file("two.pt")).metadata.history;
  EXPECT_EQ(history.back().at("data_parallel").at("ranks"), 2);
}

// --standalone: torchrun picks a free port and its agent serves the store (TORCHELASTIC_USE_AGENT_STORE).
TEST(DataParallel, TorchrunLaunchesRanksThatEqualOneProcess) {
  testing::TempDir dir;
  const auto one = run_mipp(kTwentySteps + " --out " + dir.file("one.pt"));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const auto two =
      run_command(fmt::format("{} -m torch.distributed.run --standalone --no-python --nproc-per-node 2 {} {} --out {}",
                              MIPP_PYTHON, MIPP_CLI_PATH, kTwentySteps, dir.file("two.pt")));
  ASSERT_EQ(two.exit_code, 0) << two.err;
  EXPECT_LT(max_weight_difference(dir.file("one.pt"), dir.file("two.pt")), 1e-5);
}

TEST(DataParallel, ARankThatDiesStopsTheOthersAndTheRunResumesWithAnotherWorldSize) {
  testing::TempDir dir;
  const std::string out = dir.file("m.pt"), err = dir.file("err.txt");
  const std::string command =
      fmt::format("exec {} train --model lenet300 --limit 2000 --test-limit 200 --epochs 60 --batch-size 50 "
                  "--threads 1 --checkpoint-every-epoch --nproc 2 --dist-timeout 20 --out {} 2>{}",
                  MIPP_CLI_PATH, out, err);
  const pid_t launcher = fork();
  ASSERT_GE(launcher, 0);
  if (launcher == 0) {
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Kill rank 1 once the first epoch's checkpoint is written.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!std::filesystem::exists(out) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(std::filesystem::exists(out)) << read_text(err);
  const std::vector<pid_t> ranks = children_of(launcher);
  ASSERT_EQ(ranks.size(), 2u);
  kill(ranks[1], SIGKILL);
  const int code = wait_for(launcher, std::chrono::seconds(60));
  if (code == -1) kill(launcher, SIGKILL);
  ASSERT_NE(code, -1) << "the run did not stop within 60 s after a rank died";
  EXPECT_NE(code, 0);
  const std::string text = read_text(err);
  EXPECT_NE(text.find("mipp: error: rank 1 of 2 died (signal 9"), std::string::npos) << text;
  EXPECT_NE(text.find("mipp: error: rank 0 of 2: data-parallel"), std::string::npos) << text;
  EXPECT_FALSE(std::filesystem::exists(dir.file("m.pt.tmp"))) << text;

  // The checkpoint resumes in one process: the data order is the same for every world size.
  const auto resumed = run_mipp("train --model lenet300 --limit 2000 --test-limit 200 --epochs 60 --batch-size 50 "
                                "--threads 1 --checkpoint-every-epoch --resume --json --out " + out);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  const nlohmann::json j = nlohmann::json::parse(resumed.out);
  EXPECT_GE(j.at("resumed_from_epoch").get<int>(), 1);
  EXPECT_EQ(j.at("epochs").size(), 60u);
}

TEST(DataParallel, ShardedCalibrationKeepsTheUnitsOfOneProcess) {
  testing::TempDir dir;
  const std::string model = dir.file("lenet5.pt");
  ASSERT_EQ(run_mipp("train --model lenet5 --limit 1000 --test-limit 100 --epochs 1 --threads 1 --out " + model).exit_code, 0);
  for (const std::string method : {"mipp", "submodular"}) {
    const std::string prune =
        "prune " + model + " --method " + method + " --sparsity 0.6 --calib-samples 500 --no-eval --threads 1 --json";
    const auto one = run_mipp(prune + " --out " + dir.file("one.pt"));
    ASSERT_EQ(one.exit_code, 0) << one.err;
    const auto two = run_mipp(prune + " --nproc 2 --out " + dir.file("two.pt"));
    ASSERT_EQ(two.exit_code, 0) << two.err;
    const nlohmann::json a = nlohmann::json::parse(one.out), b = nlohmann::json::parse(two.out);
    EXPECT_EQ(b.at("run").at("ranks"), 2);
    ASSERT_EQ(a.at("groups").size(), b.at("groups").size());
    for (size_t g = 0; g < a.at("groups").size(); ++g) {
      EXPECT_EQ(a["groups"][g].at("keep"), b["groups"][g].at("keep")) << method << " " << a["groups"][g].at("group");
    }
    // Every rank removed its checkpoint; only rank 0 wrote the model.
    EXPECT_FALSE(std::filesystem::exists(dir.file("two.pt.checkpoint.jsonl.rank1")));
  }
}

TEST(DataParallel, BenchCellsOnTwoRanksMatchOneProcess) {
  testing::TempDir dir;
  const std::string config = std::string(MIPP_SOURCE_DIR) + "/bench/configs/smoke.json --no-plots --quiet";
  const auto one = run_mipp("bench --allow-dirty " + config + " --out " + dir.file("one"));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const auto two = run_mipp("bench --allow-dirty " + config + " --nproc 2 --out " + dir.file("two"));
  ASSERT_EQ(two.exit_code, 0) << two.err;
  auto cells = [](const std::string& file) {
    std::map<std::string, nlohmann::json> out;
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
      const nlohmann::json j = nlohmann::json::parse(line);
      EXPECT_EQ(out.count(j.at("key")), 0u) << "a cell recorded twice: " << line;
      out[j.at("key")] = j;
    }
    return out;
  };
  const auto a = cells(dir.file("one/cells.jsonl")), b = cells(dir.file("two/cells.jsonl"));
  ASSERT_EQ(a.size(), 8u);
  ASSERT_EQ(b.size(), 8u);
  for (const auto& [key, cell] : a) {
    ASSERT_EQ(b.count(key), 1u) << key;
    EXPECT_EQ(b.at(key).at("status"), "ok") << key;
    EXPECT_NEAR(cell.at("top1_final").get<double>(), b.at(key).at("top1_final").get<double>(), 0.005) << key;
  }
  EXPECT_TRUE(std::filesystem::exists(dir.file("two/results.json")));
}

TEST(DataParallel, LaunchErrorsAreOneLineAndExitTwo) {
  testing::TempDir dir;
  const std::string m = " --out " + dir.file("m.pt");
  auto r = run_mipp(kTwentySteps + " --nproc 3" + m);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--batch-size 64: a data-parallel run of 3 ranks"), std::string::npos) << r.err;
  r = run_command(fmt::format("RANK=0 WORLD_SIZE=2 {} {}{}", MIPP_CLI_PATH, kTwentySteps, m));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("MASTER_ADDR is not set"), std::string::npos) << r.err;
  r = run_command(fmt::format("RANK=2 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=29999 {} {}{}", MIPP_CLI_PATH,
                              kTwentySteps, m));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("RANK=2 is not an integer in [0, 1]"), std::string::npos) << r.err;
  r = run_command(fmt::format("RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=29999 {} inspect --model lenet5",
                              MIPP_CLI_PATH));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("run it without torchrun"), std::string::npos) << r.err;
  EXPECT_EQ(dir.num_entries(), 0);
}

TEST(Device, BadDeviceIsOneLineAndExitTwo) {
  testing::TempDir dir;
  for (const std::string device : {"gpu", "cuda:x", "cuda:-1"}) {
    const auto r = run_mipp("train --model lenet5 --limit 64 --epochs 1 --device " + device + " --out " + dir.file("m.pt"));
    EXPECT_EQ(r.exit_code, 2) << device << r.err;
    EXPECT_NE(r.err.find("--device " + device + ": expected auto, cpu, cuda or cuda:N"), std::string::npos) << r.err;
  }
  // A GPU this machine lacks (no GPU, a CPU-only build, or fewer than 8) is bad input, named
  // before the (missing) model file is read.
  const auto r = run_mipp("eval --device cuda:7 " + dir.file("none.pt"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  if (util::gpu_count() < 8) EXPECT_NE(r.err.find("--device cuda:7: "), std::string::npos) << r.err;
  EXPECT_EQ(dir.num_entries(), 0);
}

}  // namespace mipp
