// End-to-end runs of `mipp mi`: estimates from a CSV file in text and JSON, the test decision, and
// bad CSV input, which must give one error line naming the file and the place, with exit code 2.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "support/run_command.h"
#include "support/temp_dir.h"

namespace mipp {

namespace {

using testing::run_mipp;

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// a ~ N(0,1), b = a + N(0,1), c ~ N(0,1) independent, from a fixed linear congruential sequence so
// that the file needs no torch. Box-Muller on uniform pairs.
std::string gaussian_csv(int n) {
  std::string text = "a,b,c\n";
  uint64_t state = 12345;
  auto uniform = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (static_cast<double>(state >> 11) + 0.5) / 9007199254740992.0;
  };
  auto normal = [&] { return std::sqrt(-2 * std::log(uniform())) * std::cos(6.283185307179586 * uniform()); };
  for (int i = 0; i < n; ++i) {
    const double a = normal(), b = a + normal(), c = normal();
    text += fmt::format("{},{},{}\n", a, b, c);
  }
  return text;
}

void expect_bad_input(const testing::CommandResult& r, const std::vector<std::string>& parts) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err.rfind("mipp: error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  for (const std::string& p : parts) EXPECT_NE(r.err.find(p), std::string::npos) << "missing '" << p << "' in " << r.err;
}

}  // namespace

TEST(CliMi, EstimatesFromCsvInTextAndJson) {
  testing::TempDir dir;
  const std::string csv = dir.file("data.csv");
  write(csv, gaussian_csv(2000));
  // I(a; b) = 1/2 log 2 = 0.347 nats.
  const auto g = run_mipp("mi --csv " + csv + " --x a --y b --estimator gaussian --json --threads 1");
  ASSERT_EQ(g.exit_code, 0) << g.err;
  const nlohmann::json j = nlohmann::json::parse(g.out);
  EXPECT_NEAR(j.at("value").get<double>(), 0.5 * std::log(2.0), 0.05);
  EXPECT_EQ(j.at("samples"), 2000);
  EXPECT_EQ(j.at("x"), nlohmann::json::array({"a"}));
  EXPECT_EQ(j.at("quantity"), "I(x; y)");
  EXPECT_EQ(j.at("run").at("threads"), 1);
  EXPECT_GE(j.at("seconds").get<double>(), 0);
  EXPECT_FALSE(j.contains("test"));

  // Indices work as names do; ksg options and --seed reach the estimator; the test is reported.
  const auto k = run_mipp("mi --csv " + csv + " --x 0 --y 1 --z 2 --estimator ksg --k 5 --permutations 19 "
                          "--confidence 0.9 --seed 7 --json");
  ASSERT_EQ(k.exit_code, 0) << k.err;
  const nlohmann::json kj = nlohmann::json::parse(k.out);
  EXPECT_EQ(kj.at("options").at("k"), 5);
  EXPECT_EQ(kj.at("options").at("permutations"), 19);
  EXPECT_EQ(kj.at("options").at("seed"), 7);
  EXPECT_EQ(kj.at("quantity"), "I(x; y | z)");
  EXPECT_NEAR(kj.at("value").get<double>(), 0.5 * std::log(2.0), 0.06);
  EXPECT_TRUE(kj.at("test").at("significant").get<bool>());
  EXPECT_DOUBLE_EQ(kj.at("test").at("p_value").get<double>(), 0.05);

  const auto t = run_mipp("mi --csv " + csv + " --x c --y b --estimator linear --confidence 0.95");
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_NE(t.out.find("linear I(x; y) = "), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("not significant"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("time: estimate"), std::string::npos) << t.out;

  // --time-runs repeats the estimate (same value) and reports the median beside the first run.
  const auto r = run_mipp("mi --csv " + csv + " --x a --y b --estimator gaussian --json --threads 1 --time-runs 3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json rj = nlohmann::json::parse(r.out);
  EXPECT_EQ(rj.at("value"), j.at("value"));
  EXPECT_EQ(rj.at("time_runs"), 3);
  EXPECT_GE(rj.at("first_run_seconds").get<double>(), 0);
  EXPECT_EQ(j.at("time_runs"), 1);
  EXPECT_EQ(j.at("first_run_seconds"), j.at("seconds"));
}

TEST(CliMi, BadCsvAndBadFlagsGiveOneErrorLineAndExitCode2) {
  testing::TempDir dir;
  const std::string ragged = dir.file("ragged.csv"), text = dir.file("text.csv"), empty = dir.file("empty.csv"),
                    good = dir.file("good.csv");
  write(ragged, "a,b\n1,2\n3\n");
  write(text, "a,b\n1,2\n3,x1\n");
  write(empty, "");
  write(good, "1,2\n3,4\n5,7\n6,1\n2,2\n");  // no header: columns are named 0 and 1
  expect_bad_input(run_mipp("mi --csv " + ragged + " --x a --y b --estimator gaussian"),
                   {ragged, "line 3", "1 cells, expected 2"});
  expect_bad_input(run_mipp("mi --csv " + text + " --x a --y b --estimator gaussian"),
                   {text, "line 3, column 1 (b)", "'x1' is not a number"});
  expect_bad_input(run_mipp("mi --csv " + empty + " --x a --y b --estimator gaussian"), {empty, "empty file"});
  expect_bad_input(run_mipp("mi --csv " + dir.file("missing.csv") + " --x a --y b --estimator gaussian"),
                   {"missing.csv", "cannot open"});
  expect_bad_input(run_mipp("mi --csv " + good + " --x 0 --y q --estimator gaussian"),
                   {"--y", "unknown column 'q'", "columns: 0, 1"});
  expect_bad_input(run_mipp("mi --csv " + good + " --x 0 --y 5 --estimator gaussian"), {"--y", "index 5"});
  expect_bad_input(run_mipp("mi --csv " + good + " --x 0 --y 1 --estimator knn"), {"unknown estimator 'knn'"});
  expect_bad_input(run_mipp("mi --csv " + good + " --x 0 --y 1 --estimator gaussian --time-runs 0"),
                   {"--time-runs", "0"});
  expect_bad_input(run_mipp("mi --csv " + good + " --x 0 --y 1 --estimator gaussian --k 3"),
                   {"--k", "gaussian has no option 'k'"});
  expect_bad_input(run_mipp("mi --csv " + good + " --x 0 --y 1 --estimator ksg --k 5"), {"5 samples", "k = 5"});
  expect_bad_input(run_mipp("mi --csv " + good + " --x 0 --y 1 --estimator ksg --options '{\"k\": 0}'"),
                   {"ksg k 0"});
  EXPECT_EQ(run_mipp("mi --help").exit_code, 0);
}

}  // namespace mipp
