// End-to-end runs of `mipp bench` on bench/configs/smoke.json: outputs exist and parse, a resumed
// bench skips finished cells and ends with identical results, a failing cell is recorded while the
// bench goes on, and a bad configuration lists all its problems with exit 2 and writes nothing.
#include <gtest/gtest.h>

#include <cctype>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "support/bench_results.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace mipp {

namespace {

using nlohmann::json;
using testing::run_mipp;

const std::string kSmoke = std::string(MIPP_SOURCE_DIR) + "/bench/configs/smoke.json";

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

json read_json(const std::string& path) { return json::parse(read_text(path)); }

void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

}  // namespace

TEST(BenchCli, SmokeRunsResumesAndGivesIdenticalResults) {
  testing::TempDir dir;
  const std::string out = dir.file("bench");
  const auto first = run_mipp("bench --allow-dirty " + kSmoke + " --out " + out + " --controls");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  // The ETA leaves out seed 1's dense model, which seed 0's cells say nothing about, and names it.
  EXPECT_NE(first.err.find("[1/24] mlp32/after/magnitude/0.5/seed0 (ETA unknown)"), std::string::npos) << first.err;
  EXPECT_NE(first.err.find("+ training 1 dense model)"), std::string::npos) << first.err;
  // 2 methods x 1 sparsity x 2 seeds x 2 timings, each method with its 2 controls.
  EXPECT_NE(first.out.find("24 cells: 24 run now (0 failed), 0 finished earlier"), std::string::npos) << first.out;
  const json results = read_json(out + "/results.json");
  ASSERT_EQ(results.at("cells").size(), 24u);
  for (const json& c : results.at("cells")) {
    EXPECT_EQ(c.at("status"), "ok") << c.dump();
    EXPECT_GE(c.at("top1_final").get<double>(), 0.0) << c.at("key");
    EXPECT_LE(c.at("top1_final").get<double>(), 1.0) << c.at("key");
    if (c.at("method") == "mipp" && c.at("control") == "none") {
      EXPECT_GT(c.at("top1_final").get<double>(), 0.5) << c.at("key");  // the dense models reach ~75%
    }
    EXPECT_EQ(c.at("latency").size(), 2u);
  }
  EXPECT_EQ(results.at("dense").size(), 2u);
  const json manifest = read_json(out + "/manifest.json");
  EXPECT_EQ(manifest.at("runs").at(0).at("environment").at("threads"), 1);
  EXPECT_FALSE(manifest.at("runs").at(0).at("environment").at("cpu").get<std::string>().empty());
  EXPECT_FALSE(manifest.at("runs").at(0).at("environment").at("cpu_vector_isa").get<std::string>().empty());
  // The platform that made the numbers: LibTorch's version, "cpu" or its CUDA version, its kernels' ISA.
  const json& env = manifest.at("runs").at(0).at("environment");
  EXPECT_EQ(env.at("libtorch_version").get<std::string>().substr(0, 2), "2.");
  const std::string cuda = env.at("libtorch_cuda");
  EXPECT_TRUE(cuda == "cpu" || std::isdigit(static_cast<unsigned char>(cuda.front()))) << cuda;
  EXPECT_FALSE(env.at("libtorch_cpu_capability").get<std::string>().empty());
  EXPECT_EQ(manifest.at("datasets").at(0).at("train").at("samples"), 3000);
  // Every cell and dense model says what it ran with: this run's commit and LibTorch, its model and
  // method as configured (issue 26: a number traces to its code even when sittings mix).
  EXPECT_EQ(manifest.at("runs").at(0).at("allow_dirty"), true);
  for (const json& c : results.at("cells")) {
    EXPECT_EQ(c.at("ran_with").at("run"), 0);
    EXPECT_EQ(c.at("ran_with").at("git_commit"), env.at("git_commit"));
    EXPECT_EQ(c.at("ran_with").at("libtorch_version"), env.at("libtorch_version"));
    EXPECT_EQ(c.at("config").at("method").at("label"), c.at("method"));
    EXPECT_EQ(c.at("config").at("model").at("label"), c.at("model"));
    EXPECT_TRUE(c.at("config").contains("finetune"));
  }
  for (const json& d : results.at("dense")) EXPECT_EQ(d.at("ran_with").at("git_commit"), env.at("git_commit"));
  const std::string csv = read_text(out + "/results.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 25) << csv;
  const std::string summary = read_text(out + "/summary.md");
  EXPECT_NE(summary.find("## mlp32, pruned after training"), std::string::npos) << summary;
  EXPECT_NE(summary.find("| MIPP (linear-Gaussian) (shuffled, control) |"), std::string::npos) << summary;
  EXPECT_NE(summary.find("Cells by the build that ran them"), std::string::npos) << summary;
  EXPECT_NE(summary.find("**"), std::string::npos) << "the best of each column in bold";
  EXPECT_TRUE(std::filesystem::exists(out + "/plots/mlp32-after-accuracy.gp"));
  if (std::system("command -v gnuplot >/dev/null 2>&1") == 0) {
    EXPECT_TRUE(std::filesystem::exists(out + "/plots/mlp32-after-accuracy.png"));
  }

  // An interruption: only the first 5 records survive, the sixth torn in the middle of its line.
  const std::string jsonl = read_text(out + "/cells.jsonl");
  size_t cut = 0;
  for (int i = 0; i < 5; ++i) cut = jsonl.find('\n', cut) + 1;
  write_text(out + "/cells.jsonl", jsonl.substr(0, cut + 40));
  const auto resumed = run_mipp("bench --allow-dirty " + kSmoke + " --out " + out + " --controls --quiet");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.out.find("24 cells: 19 run now (0 failed), 5 finished earlier"), std::string::npos) << resumed.out;
  const json again = read_json(out + "/results.json");
  ASSERT_EQ(again.at("cells").size(), 24u);
  for (size_t i = 0; i < 24; ++i) {
    EXPECT_EQ(testing::deterministic_cell(again.at("cells").at(i)), testing::deterministic_cell(results.at("cells").at(i))) << i;
  }
  EXPECT_EQ(read_json(out + "/manifest.json").at("runs").size(), 2u);
  EXPECT_EQ(again.at("cells").at(0).at("ran_with").at("run"), 0) << "finished in the first run";
  EXPECT_EQ(again.at("cells").at(23).at("ran_with").at("run"), 1) << "run by the resumed one";

  const auto nothing_left = run_mipp("bench --allow-dirty " + kSmoke + " --out " + out + " --controls --quiet");
  ASSERT_EQ(nothing_left.exit_code, 0) << nothing_left.err;
  EXPECT_NE(nothing_left.out.find("0 run now"), std::string::npos) << nothing_left.out;

  // A folder started by an older mipp, whose resolved configuration lacked an option added since
  // (here mipp's `order`), resumes: the newer configuration only adds keys.
  json older_manifest = read_json(out + "/manifest.json");
  bool removed = false;
  for (json& m : older_manifest.at("config").at("methods")) {
    if (m.at("name") == "mipp") removed = m.at("options").erase("order") == 1;
  }
  ASSERT_TRUE(removed);
  write_text(out + "/manifest.json", older_manifest.dump(2));
  const auto older = run_mipp("bench --allow-dirty " + kSmoke + " --out " + out + " --controls --quiet");
  ASSERT_EQ(older.exit_code, 0) << older.err;
  EXPECT_NE(older.out.find("0 run now"), std::string::npos) << older.out;

  // A method added at the end of the list (and the description reworded) runs alone (random: no
  // controls, 2 seeds x 2 timings): the cells finished stay valid. A changed method is another bench.
  json grown = read_json(kSmoke);
  grown["methods"].push_back("random");
  grown["description"] = "the smoke bench and random";
  write_text(dir.file("grown.json"), grown.dump());
  const auto added = run_mipp("bench --allow-dirty " + dir.file("grown.json") + " --out " + out + " --controls");
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_NE(added.out.find("28 cells: 4 run now (0 failed), 24 finished earlier"), std::string::npos) << added.out;
  EXPECT_NE(added.err.find("[26/28] mlp32/before/random/0.5/seed0 (ETA "), std::string::npos) << added.err;
  EXPECT_EQ(added.err.find("dense model"), std::string::npos) << "both are in the cache: " << added.err;
  json changed = grown;
  changed["methods"][0] = {{"name", "magnitude"}, {"options", {{"norm", 2}}}};
  write_text(dir.file("changed.json"), changed.dump());
  const auto refused = run_mipp("bench --allow-dirty " + dir.file("changed.json") + " --out " + out + " --controls --quiet");
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("different configuration"), std::string::npos) << refused.err;

  // The folder holds this bench; another configuration (no controls) is refused.
  const auto other = run_mipp("bench --allow-dirty " + kSmoke + " --out " + out + " --quiet");
  EXPECT_EQ(other.exit_code, 2);
  EXPECT_NE(other.err.find("different configuration"), std::string::npos) << other.err;
}

TEST(BenchCli, FailingCellIsRecordedAndTheBenchGoesOn) {
  testing::TempDir dir;
  json config = read_json(kSmoke);
  config["seeds"] = json::array({0});
  config["timing"] = "after";
  // ProsPr needs (steps + 1) x batch_size calibration samples: 16 are too few, at run time.
  config["methods"] = json::array({"random", json{{"name", "prospr"}, {"calib_samples", 16}}});
  config["latency"] = false;
  write_text(dir.file("c.json"), config.dump());
  const auto r = run_mipp("bench --allow-dirty " + dir.file("c.json") + " --out " + dir.file("out") + " --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("2 cells: 2 run now (1 failed)"), std::string::npos) << r.out;
  const json cells = read_json(dir.file("out/results.json")).at("cells");
  EXPECT_EQ(cells.at(0).at("status"), "ok");
  EXPECT_EQ(cells.at(1).at("status"), "failed");
  EXPECT_FALSE(cells.at(1).at("error").get<std::string>().empty());
  EXPECT_NE(read_text(dir.file("out/summary.md")).find("## Failed cells"), std::string::npos);
}

TEST(BenchCli, BadConfigListsEveryProblemAndWritesNothing) {
  testing::TempDir dir;
  json config = read_json(kSmoke);
  config["models"].push_back(json{{"name", "lenet6"}});
  config["methods"].push_back("no-such-method");
  config["sparsities"] = json::array({0.5, 0.99, 1.2});
  config["epochs"] = 3;  // belongs in "train"
  config["dataset"]["name"] = "mnist";
  config["dataset"]["dir"] = dir.file("no-such-folder");
  write_text(dir.file("c.json"), config.dump());
  const auto r = run_mipp("bench --allow-dirty " + dir.file("c.json") + " --out " + dir.file("out"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one error line: " << r.err;
  for (const char* what : {"lenet6", "no-such-method", "1.2", "epochs: unknown key", "no-such-folder",
                           "sparsity 0.99"}) {
    EXPECT_NE(r.err.find(what), std::string::npos) << "expected '" << what << "' in " << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("out")));
  const auto missing = run_mipp("bench --allow-dirty " + dir.file("nothing.json") + " --out " + dir.file("out"));
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("nothing.json"), std::string::npos);
}

// The configurations shipped in bench/configs/ stay valid as mipp changes, and every one the docs name
// is shipped.
TEST(BenchCli, EveryShippedConfigIsValid) {
  testing::TempDir dir;
  const std::string config_dir = std::string(MIPP_SOURCE_DIR) + "/bench/configs";
  std::set<std::string> shipped;
  for (const auto& entry : std::filesystem::directory_iterator(config_dir)) {
    const std::string path = entry.path().string();
    SCOPED_TRACE(path);
    const auto r = run_mipp("bench --allow-dirty " + path + " --dry-run --out " + dir.file(entry.path().stem().string()));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find(" cells, "), std::string::npos) << r.out;
    shipped.insert(entry.path().filename().string());
  }
  const std::regex named(R"(bench/configs/([A-Za-z0-9_.-]+\.json))");
  int names = 0;
  for (const char* doc : {"/docs/RESULTS.md", "/docs/USAGE.md"}) {
    const std::string text = read_text(std::string(MIPP_SOURCE_DIR) + doc);
    for (std::sregex_iterator m(text.begin(), text.end(), named), end; m != end; ++m) {
      EXPECT_EQ(shipped.count((*m)[1].str()), 1u) << doc << " names " << (*m)[0].str() << ", which is not shipped";
      ++names;
    }
  }
  EXPECT_GE(names, 1) << "the docs name no bench configuration";
  EXPECT_FALSE(shipped.empty());
}

}  // namespace mipp
