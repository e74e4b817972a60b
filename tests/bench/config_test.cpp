#include "mipp/bench/config.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mipp/bench/cells.h"
#include "support/dataset_files.h"
#include "support/expect_error.h"
#include "support/temp_dir.h"

namespace mipp::bench {

namespace {

using nlohmann::json;

// A tiny MNIST-format dataset on disk, so that validation (which loads the data) stays fast.
class BenchConfigTest : public ::testing::Test {
 protected:
  BenchConfigTest() {
    const at::Tensor images = testing::random_pixels({20, 28, 28}, 1);
    const at::Tensor labels = torch::arange(20) % 10;
    for (const char* split : {"train", "t10k"}) {
      testing::write_file(dir_.file(std::string(split) + "-images-idx3-ubyte"), testing::idx_images_bytes(images));
      testing::write_file(dir_.file(std::string(split) + "-labels-idx1-ubyte"), testing::idx_labels_bytes(labels));
    }
  }

  json minimal() const {
    json j = json::object();
    j["models"] = json::array({json{{"name", "mlp"}, {"hidden", json::array({8, 4})}}});
    j["dataset"] = json{{"name", "mnist"}, {"dir", dir_.path()}};
    j["methods"] = json::array({"magnitude", json{{"name", "random"}, {"timing", "both"}}});
    j["sparsities"] = json::array({0.5});
    return j;
  }

  testing::TempDir dir_;
};

TEST_F(BenchConfigTest, DefaultsFollowTheComparisonProtocol) {
  const BenchConfig c = parse_config(minimal(), "test.json");
  EXPECT_EQ(c.name, "test");
  EXPECT_EQ(c.models.at(0).label, "mlp");
  EXPECT_EQ(c.finetune.epochs, 3);
  EXPECT_DOUBLE_EQ(c.finetune.optimizer.lr, 0.01);
  EXPECT_EQ(c.train.epochs, 10);
  EXPECT_EQ(c.seeds, std::vector<uint64_t>{0});
  EXPECT_EQ(c.timings, std::vector<std::string>{"after"});
  EXPECT_EQ(c.methods.at(1).timings, (std::vector<std::string>{"after", "before"}));
  EXPECT_TRUE(c.latency.enabled);
}

TEST_F(BenchConfigTest, EveryProblemIsListedInOneError) {
  json j = minimal();
  j["models"].push_back(json{{"name", "lenet6"}});
  j["methods"].push_back("no-such-method");
  j["sparsities"] = json::array({0.5, 0.99, 1.5});
  j["train"] = json{{"epochs", 0}, {"optimiser", json{{"lr", 0.1}}}};
  j["timing"] = "during";
  testing::expect_error([&] { parse_config(j, "bad.json"); }, ErrorKind::kInvalidArgument,
                        {"config bad.json: 7 problems", "lenet6", "no-such-method", "1.5", "train.optimiser: unknown key",
                         "epochs 0", "timing 'during'", "sparsity 0.99"});
}

TEST_F(BenchConfigTest, AMethodCanBeReweightedAndItsBatchNormRecalibrated) {
  json j = minimal();
  j["methods"].push_back(json{{"name", "magnitude"}, {"label", "magnitude+rw"}, {"reweight", true},
                              {"reweight_variant", "seq"}, {"recalibrate_bn", true}});
  const BenchConfig c = parse_config(j, "c.json");
  const MethodConfig& m = c.methods.at(2);
  EXPECT_TRUE(m.reweight);
  EXPECT_EQ(m.reweight_variant, "seq");
  EXPECT_TRUE(m.recalibrate_bn);
  const json written = to_json(c).at("methods");
  EXPECT_EQ(written.at(2).at("reweight"), "seq");
  EXPECT_FALSE(written.at(0).contains("reweight")) << "methods without it keep the JSON they had";

  j["methods"][2]["reweight_variant"] = "both";
  testing::expect_error([&] { parse_config(j, "c.json"); }, ErrorKind::kInvalidArgument,
                        {"reweight_variant 'both'"});
}

TEST_F(BenchConfigTest, RetrainingBetweenRoundsNeedsRoundsAndATrainedNetwork) {
  json j = minimal();
  j["methods"] = json::array({json{{"name", "magnitude"}, {"label", "imp"}, {"rounds", 3}, {"retrain_epochs", 1}}});
  const BenchConfig c = parse_config(j, "c.json");
  EXPECT_EQ(c.methods.at(0).retrain_epochs, 1);
  EXPECT_EQ(to_json(c).at("methods").at(0).at("retrain_epochs"), 1);
  j["methods"][0]["rounds"] = 1;
  j["methods"][0]["timing"] = "before";
  testing::expect_error([&] { parse_config(j, "c.json"); }, ErrorKind::kInvalidArgument,
                        {"2 problems", "set rounds to 2 or more", "use timing \"after\""});
}

TEST_F(BenchConfigTest, GroupSparsityTrainingIsOtosAndNeedsATrainedNetworkAndAUnitsBudget) {
  json j = minimal();
  j["methods"] = json::array({json{{"name", "oto"}, {"group_sparsity", {{"epochs", 2}, {"lambda", 0.01}}}}});
  const BenchConfig c = parse_config(j, "c.json");
  EXPECT_EQ(c.methods.at(0).group_sparsity_epochs, 2);
  EXPECT_EQ(c.methods.at(0).group_sparsity.lambda, 0.01);
  EXPECT_EQ(to_json(c).at("methods").at(0).at("group_sparsity"),
            (json{{"epochs", 2}, {"lambda", 0.01}, {"lambda_amplify", 2.0}, {"lambda_max_factor", 10.0}, {"epsilon", 0.0}}));
  EXPECT_EQ(method_titles(c).at(0), "oto after 2 epochs of group-sparsity training (lambda 0.01)");
  j["methods"][0]["timing"] = "before";
  j["methods"][0]["group_sparsity"] = {{"epochs", 1}, {"target", 0.5}};
  j["budget"] = {{"target", "params"}};
  testing::expect_error([&] { parse_config(j, "c.json"); }, ErrorKind::kInvalidArgument,
                        {"3 problems", "target and min_width come from each cell", "use timing \"after\"",
                         "needs a budget of units"});
  j = minimal();
  j["methods"] = json::array({json{{"name", "oto"}, {"group_sparsity", {{"epochs", 0}}}}});
  testing::expect_error([&] { parse_config(j, "c.json"); }, ErrorKind::kInvalidArgument,
                        {"group_sparsity.epochs 0: must be at least 1"});
}

TEST_F(BenchConfigTest, MissingDatasetIsAProblem) {
  json j = minimal();
  j["dataset"]["dir"] = dir_.file("none");
  testing::expect_error([&] { parse_config(j, "c.json"); }, ErrorKind::kInvalidArgument, {"dataset: ", "none"});
  j["dataset"] = "image-folder";
  testing::expect_error([&] { parse_config(j, "c.json"); }, ErrorKind::kInvalidArgument,
                        {"dataset: ", "image-folder is not supported by mipp bench yet"});
}

// nlohmann (and so mipp, before) kept the last of repeated keys silently; Python's json does too,
// other readers keep the first. Either way a repeated key is a mistake in the file, at any depth.
TEST_F(BenchConfigTest, RepeatedKeyAtAnyDepthIsAnErrorNamingFileAndPath) {
  const std::string path = dir_.file("bench.json");
  const std::string valid = minimal().dump();
  testing::write_file(path, valid);
  EXPECT_EQ(read_config(path).methods.size(), 2u);

  // The top level: "sparsities" twice.
  testing::write_file(path, valid.substr(0, valid.size() - 1) + R"(,"sparsities":[0.25]})");
  testing::expect_error([&] { read_config(path); }, ErrorKind::kInvalidArgument,
                        {"config " + path, "key sparsities appears twice"});

  // Inside an array of objects: methods[1] (the second method) names "timing" twice.
  json j = minimal();
  j["methods"][1]["options"] = json::object();
  std::string text = j.dump();
  const std::string timing = R"("timing":"both")";
  const size_t at = text.find(timing);
  ASSERT_NE(at, std::string::npos);
  text.insert(at + timing.size(), R"(,"timing":"after")");
  testing::write_file(path, text);
  testing::expect_error([&] { read_config(path); }, ErrorKind::kInvalidArgument,
                        {"config " + path, "key methods[1].timing appears twice"});

  // Deeper, in an object after arrays and scalars: train.optimizer.lr.
  const std::string nested =
      R"({"x":[1,[2,3],{"a":1}],"train":{"epochs":1,"optimizer":{"lr":0.1,"name":"sgd","lr":0.2}}})";
  testing::expect_error([&] { parse_json_strict(nested, "t"); }, ErrorKind::kInvalidArgument,
                        {"t: key train.optimizer.lr appears twice"});
  testing::expect_error([&] { parse_json_strict(R"([{"a":1},{"b":[{},{"c":1,"c":2}]}])", "t"); },
                        ErrorKind::kInvalidArgument, {"key [1].b[1].c appears twice"});
  // The same key in sibling objects is fine, and so is the value parsed unchanged.
  const std::string siblings = R"({"a":[{"k":1},{"k":2}],"b":{"k":{"k":3}}})";
  EXPECT_EQ(parse_json_strict(siblings, "t"), json::parse(siblings));
  testing::expect_error([&] { parse_json_strict("{\"a\":", "t"); }, ErrorKind::kInvalidArgument,
                        {"t: not valid JSON"});
}

// Found by fuzzing: copying a parsed value recurses once per level, so 200000 nested brackets
// (a 400 KB file) overflowed the stack of `mipp bench` (exit 139).
TEST_F(BenchConfigTest, NestingDeeperThan64LevelsIsAnError) {
  const auto nested = [](size_t depth) {
    return R"({"x":)" + std::string(depth - 1, '[') + std::string(depth - 1, ']') + "}";
  };
  EXPECT_NO_THROW(parse_json_strict(nested(64), "t"));
  testing::expect_error([&] { parse_json_strict(nested(65), "t"); }, ErrorKind::kInvalidArgument,
                        {"t: nested more than 64 levels deep at x[0][0]"});
  const std::string path = dir_.file("deep.json");
  testing::write_file(path, nested(200000));
  testing::expect_error([&] { read_config(path); }, ErrorKind::kInvalidArgument,
                        {"config " + path, "nested more than 64 levels"});
}

TEST_F(BenchConfigTest, CellsComeInOrderWithControlsAfterTheirMethod) {
  json j = minimal();
  j["seeds"] = json::array({3, 4});
  j["controls"] = true;
  const BenchConfig c = parse_config(j, "c.json");
  const std::vector<Cell> cells = enumerate_cells(c);
  // Per seed: after: magnitude (+2 controls), random; before: random. Random gets no controls.
  ASSERT_EQ(cells.size(), 10u);
  EXPECT_EQ(cell_key(c, cells[0]), "mlp/after/magnitude/0.5/seed3");
  EXPECT_EQ(cell_key(c, cells[1]), "mlp/after/magnitude/0.5/seed3/shuffle");
  EXPECT_EQ(cell_key(c, cells[2]), "mlp/after/magnitude/0.5/seed3/reinit");
  EXPECT_EQ(cell_key(c, cells[3]), "mlp/after/random/0.5/seed3");
  EXPECT_EQ(cell_key(c, cells[4]), "mlp/before/random/0.5/seed3");
  EXPECT_EQ(cell_key(c, cells[5]), "mlp/after/magnitude/0.5/seed4");
  EXPECT_EQ(cell_key(c, parent_cell(cells[2])), cell_key(c, cells[0]));
}

TEST_F(BenchConfigTest, CellPatternsPickAPartOfTheBenchAndANoMatchIsAnError) {
  json j = minimal();
  j["seeds"] = json::array({3, 4});
  const BenchConfig c = parse_config(j, "c.json");
  const std::vector<Cell> cells = enumerate_cells(c);
  EXPECT_EQ(matching_cells(c, cells, {}).size(), cells.size());
  const std::vector<Cell> after3 = matching_cells(c, cells, {"*/after/*/seed3"});
  ASSERT_EQ(after3.size(), 2u);
  EXPECT_EQ(cell_key(c, after3[0]), "mlp/after/magnitude/0.5/seed3");
  EXPECT_EQ(cell_key(c, after3[1]), "mlp/after/random/0.5/seed3");
  // Several patterns: the union, in the bench's order, each cell once.
  const std::vector<Cell> some = matching_cells(c, cells, {"*seed4", "*/random/*"});
  ASSERT_EQ(some.size(), 5u);
  EXPECT_EQ(cell_key(c, some[0]), "mlp/after/random/0.5/seed3");
  testing::expect_error([&] { matching_cells(c, cells, {"*seed4", "vgg*"}); }, ErrorKind::kInvalidArgument,
                        {"--cells 'vgg*'", "matches none of the 6 cells"});
}

}  // namespace

}  // namespace mipp::bench
