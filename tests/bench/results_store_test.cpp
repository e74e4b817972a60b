#include "mipp/bench/results_store.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "mipp/bench/summary.h"
#include "support/expect_error.h"
#include "support/temp_dir.h"

namespace mipp::bench {

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST(ResultsStore, AppendedRecordsAreReadBack) {
  testing::TempDir dir;
  const std::string path = dir.file("cells.jsonl");
  {
    ResultsStore store(path);
    EXPECT_TRUE(store.records().empty());
    store.append({{"key", "a"}, {"top1", 0.5}});
    store.append({{"key", "b"}, {"top1", 0.6}});
  }
  const ResultsStore store(path);
  ASSERT_EQ(store.records().size(), 2u);
  ASSERT_NE(store.find("b"), nullptr);
  EXPECT_EQ(store.find("b")->at("top1"), 0.6);
  EXPECT_EQ(store.find("c"), nullptr);
}

TEST(ResultsStore, TornLastLineIsDropped) {
  testing::TempDir dir;
  const std::string path = dir.file("cells.jsonl");
  std::ofstream(path) << "{\"key\": \"a\"}\n{\"key\": \"b\", \"to";
  const ResultsStore store(path);
  ASSERT_EQ(store.records().size(), 1u);
  EXPECT_EQ(read_text(path), "{\"key\": \"a\"}\n") << "the file is rewritten without the torn line";
}

TEST(ResultsStore, DamageBeforeTheLastLineIsCorruption) {
  testing::TempDir dir;
  const std::string path = dir.file("cells.jsonl");
  std::ofstream(path) << "not json\n{\"key\": \"b\"}\n";
  testing::expect_error([&] { ResultsStore store(path); }, ErrorKind::kCorruption, {"line 1"});
}

TEST(ResultsStore, LaterRecordOfAKeyWins) {
  testing::TempDir dir;
  const std::string path = dir.file("cells.jsonl");
  std::ofstream(path) << "{\"key\": \"a\", \"v\": 1}\n{\"key\": \"a\", \"v\": 2}\n";
  const ResultsStore store(path);
  ASSERT_EQ(store.records().size(), 1u);
  EXPECT_EQ(store.find("a")->at("v"), 2);
}

TEST(BenchSummary, MeanAndSampleStandardDeviation) {
  const MeanSd m = mean_sd({1.0, 2.0, 3.0});
  EXPECT_DOUBLE_EQ(m.mean, 2.0);
  EXPECT_DOUBLE_EQ(m.sd, 1.0);
  EXPECT_EQ(m.n, 3u);
  EXPECT_DOUBLE_EQ(mean_sd({4.0}).sd, 0.0);
}

}  // namespace mipp::bench
