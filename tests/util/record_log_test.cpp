#include "mipp/util/record_log.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "support/expect_error.h"
#include "support/temp_dir.h"

namespace mipp::util {

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST(RecordLog, AppendedRecordsAreReadBack) {
  testing::TempDir dir;
  const std::string path = dir.file("records.jsonl");
  {
    RecordLog store(path);
    EXPECT_TRUE(store.records().empty());
    store.append({{"key", "a"}, {"top1", 0.5}});
    store.append({{"key", "b"}, {"top1", 0.6}});
  }
  const RecordLog store(path);
  ASSERT_EQ(store.records().size(), 2u);
  ASSERT_NE(store.find("b"), nullptr);
  EXPECT_EQ(store.find("b")->at("top1"), 0.6);
  EXPECT_EQ(store.find("c"), nullptr);
}

TEST(RecordLog, TornLastLineIsDropped) {
  testing::TempDir dir;
  const std::string path = dir.file("records.jsonl");
  std::ofstream(path) << "{\"key\": \"a\"}\n{\"key\": \"b\", \"to";
  const RecordLog store(path);
  ASSERT_EQ(store.records().size(), 1u);
  EXPECT_EQ(read_text(path), "{\"key\": \"a\"}\n") << "the file is rewritten without the torn line";
}

TEST(RecordLog, DamageBeforeTheLastLineIsCorruption) {
  testing::TempDir dir;
  const std::string path = dir.file("records.jsonl");
  std::ofstream(path) << "not json\n{\"key\": \"b\"}\n";
  testing::expect_error([&] { RecordLog store(path); }, ErrorKind::kCorruption, {"line 1"});
}

TEST(RecordLog, LaterRecordOfAKeyWins) {
  testing::TempDir dir;
  const std::string path = dir.file("records.jsonl");
  std::ofstream(path) << "{\"key\": \"a\", \"v\": 1}\n{\"key\": \"a\", \"v\": 2}\n";
  const RecordLog store(path);
  ASSERT_EQ(store.records().size(), 1u);
  EXPECT_EQ(store.find("a")->at("v"), 2);
}

}  // namespace mipp::util
