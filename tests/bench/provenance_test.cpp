// What a bench records about the code that made its numbers (issue 26): dirty builds are refused
// unless allowed, each cell carries its build and its slice of the configuration, and tables name
// each method configuration distinctly.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "mipp/bench/config.h"
#include "mipp/bench/manifest.h"
#include "support/expect_error.h"

namespace mipp::bench {

namespace {

using nlohmann::json;

TEST(BenchProvenance, ABuildWithUncommittedChangesPublishesOnlyWhenAllowed) {
  testing::expect_error([] { check_publishable("4c6cbbf-dirty", false); }, ErrorKind::kInvalidArgument,
                        {"uncommitted changes", "4c6cbbf-dirty", "--allow-dirty"});
  EXPECT_NO_THROW(check_publishable("4c6cbbf-dirty", true));
  EXPECT_NO_THROW(check_publishable("4c6cbbf", false));
  EXPECT_NO_THROW(check_publishable("unknown", false));  // outside a git checkout: nothing to compare
  EXPECT_TRUE(is_dirty_build("4c6cbbf-dirty"));
  EXPECT_FALSE(is_dirty_build("4c6cbbf"));
  EXPECT_FALSE(is_dirty_build("-dirty"));  // no commit before the suffix
}

TEST(BenchProvenance, ACellRecordsItsBuildAndItsModelAndMethod) {
  const json config = {{"name", "b"},
                       {"models", json::array({{{"label", "m0"}}, {{"label", "m1"}}})},
                       {"methods", json::array({{{"label", "a"}}, {{"label", "b"}, {"reweight", "asym"}}})},
                       {"sparsities", json::array({0.5, 0.7})},
                       {"seeds", json::array({0, 1})},
                       {"finetune", {{"epochs", 3}}}};
  const json environment = {{"git_commit", "abc1234"}, {"libtorch_version", "2.11.0"}, {"libtorch_cuda", "cpu"},
                            {"threads", 2}, {"cpu", "not recorded per cell"}};
  const json p = cell_provenance(config, 1, 1, environment, 3);
  EXPECT_EQ(p.at("ran_with").at("run"), 3);
  EXPECT_EQ(p.at("ran_with").at("git_commit"), "abc1234");
  EXPECT_EQ(p.at("ran_with").at("libtorch_version"), "2.11.0");
  EXPECT_EQ(p.at("ran_with").at("threads"), 2);
  EXPECT_FALSE(p.at("ran_with").contains("cpu"));
  EXPECT_EQ(p.at("config").at("model").at("label"), "m1");
  EXPECT_EQ(p.at("config").at("method").at("reweight"), "asym");
  EXPECT_EQ(p.at("config").at("finetune").at("epochs"), 3);
  for (const char* list : {"models", "methods", "sparsities", "seeds"}) EXPECT_FALSE(p.at("config").contains(list)) << list;
}

TEST(BenchProvenance, MethodTitlesNameTheProcedureAndEveryVariantByItsOption) {
  BenchConfig c;
  auto add = [&](const std::string& label, const std::string& name, json options) {
    MethodConfig m;
    m.label = label;
    m.name = name;
    m.options = std::move(options);
    c.methods.push_back(m);
    return &c.methods.back();
  };
  add("mipp", "mipp", json::object());
  add("paper", "mipp", {{"estimator", "mlp"}, {"mode", "confidence"}});
  add("preact", "mipp", json::object({{"next_layer", "pre-activations"}}));
  add("rw", "mipp", json::object())->reweight = true;
  add("syn", "synflow", json::object())->rounds = 100;
  add("snip-sum", "snip", json::object({{"reduction", "sum-of-abs"}}));
  add("twin", "magnitude", json::object());
  add("twin2", "magnitude", json::object());
  MethodConfig* imp = add("imp", "magnitude", json::object());
  imp->rounds = 5;
  imp->retrain_epochs = 2;
  const std::vector<std::string> t = method_titles(c);
  ASSERT_EQ(t.size(), 9u);
  EXPECT_EQ(t[0], "MIPP (linear-Gaussian)");
  EXPECT_EQ(t[1], "MIPP (paper mode)");
  EXPECT_EQ(t[2], "MIPP (linear-Gaussian, next_layer pre-activations)");
  EXPECT_EQ(t[3], "MIPP (linear-Gaussian) + reweight");
  EXPECT_EQ(t[4], "synflow, 100 exponential rounds");
  EXPECT_EQ(t[5], "snip (reduction sum-of-abs)");
  EXPECT_EQ(t[6], "magnitude [twin]");
  EXPECT_EQ(t[7], "magnitude [twin2]");
  EXPECT_EQ(t[8], "magnitude, 5 exponential rounds, 2 retraining epochs between (LR rewinding)");
  EXPECT_EQ(method_title(c, "paper"), "MIPP (paper mode)");
  EXPECT_EQ(method_title(c, "gone"), "gone");
}

}  // namespace

}  // namespace mipp::bench
