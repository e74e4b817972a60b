#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "mipp/info/elimination.h"
#include "mipp/info/estimator_registry.h"
#include "support/expect_error.h"

namespace mipp::info {

namespace {

// x [n, 5]: y depends on columns 0 and 1 (unit 0) and on column 2 (unit 1); column 3 is noise
// (unit 2), column 4 copies column 2 with a little noise (unit 3), and x has a dead column 5.
struct Problem {
  at::Tensor x, y;
  std::vector<std::vector<int64_t>> units = {{0, 1}, {2}, {3}, {4}, {5}};
};

Problem make_problem(int64_t n, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto opts = at::TensorOptions().dtype(at::kDouble);
  at::Tensor x = at::randn({n, 6}, gen, opts);
  x.select(1, 4).copy_(x.select(1, 2) + 0.05 * at::randn({n}, gen, opts));
  x.select(1, 5).fill_(1.0);
  const at::Tensor y = at::stack({x.select(1, 0) + x.select(1, 1) + x.select(1, 2), x.select(1, 0) - x.select(1, 2)}, 1) +
                       at::randn({n, 2}, gen, opts);
  return {x, y};
}

at::Tensor columns(const at::Tensor& t, const std::vector<int64_t>& cols) {
  return t.index_select(1, at::tensor(cols, at::kLong));
}

}  // namespace

TEST(EstimatorElimination, TestsAreTheEstimatorsOwnCmiAndTestGivenTheActiveOthers) {
  const Problem p = make_problem(3000, 1);
  auto e = make_elimination("gaussian", nlohmann::json::object(), {p.x, p.y, p.units, 0});
  auto g = make_estimator("gaussian", nlohmann::json::object());
  const UnitTest t = e->test(1);
  const at::Tensor others = columns(p.x, {0, 1, 3, 4});  // the dead column carries nothing
  EXPECT_NEAR(t.information, g->conditional_mutual_information(columns(p.x, {2}), p.y, others).value, 1e-9);
  EXPECT_NEAR(std::exp(t.log_p_value), g->test_positive_cmi(columns(p.x, {2}), p.y, others, 0.95).p_value, 1e-12);
  EXPECT_DOUBLE_EQ(t.loss_increase, std::max(0.0, t.information));
  const std::vector<double> alone = e->unit_information();
  EXPECT_NEAR(alone[0], g->mutual_information(columns(p.x, {0, 1}), p.y).value, 1e-9);
  EXPECT_EQ(alone[4], 0.0);  // dead
}

// Backward elimination by hand: the noise unit and one of the two near-copies go (each copy is
// redundant given the other), the units y depends on stay significant; a dead unit is never
// significant. For gaussian and ksg alike (ksg on fewer samples and 39 permutations, the fewest
// that can reach p < 0.05 with room: its brute-force neighbour search makes it the slow one).
TEST(EstimatorElimination, RemovesNoiseAndRedundancyAndKeepsWhatTheTargetNeeds) {
  const double lambda = -std::log1p(-0.95);
  for (const std::string name : {"gaussian", "ksg"}) {
    SCOPED_TRACE(name);
    const bool ksg = name == "ksg";
    const Problem p = make_problem(ksg ? 800 : 1500, 2);
    auto e = make_elimination(name, ksg ? nlohmann::json{{"permutations", 39}} : nlohmann::json::object(),
                              {p.x, p.y, p.units, 7});
    EXPECT_EQ(e->estimator(), name);
    EXPECT_GT(e->test(4).log_p_value, -lambda);
    e->remove(4);
    EXPECT_GT(e->test(2).log_p_value, -lambda) << "noise";
    e->remove(2);
    EXPECT_GT(e->test(3).log_p_value, -lambda) << "a copy given the other";
    e->remove(3);
    EXPECT_LE(e->test(1).log_p_value, -lambda) << "the remaining copy, alone now";
    EXPECT_LE(e->test(0).log_p_value, -lambda);
    EXPECT_GT(e->fits(), 0);
  }
}

TEST(EstimatorElimination, BadInputsAreNamed) {
  const Problem p = make_problem(200, 3);
  testing::expect_error([&] { make_elimination("gaussian", nlohmann::json::object(), {p.x, p.y, {{0}, {0}}, 0}); },
                        ErrorKind::kInvalidArgument, {"gaussian elimination", "column 0 is in two units"});
  auto e = make_elimination("ksg", nlohmann::json::object(), {p.x, p.y, p.units, 0});
  e->remove(2);
  testing::expect_error([&] { e->test(2); }, ErrorKind::kInvalidArgument, {"unit 2 was removed"});
  testing::expect_error([&] { make_elimination("ksg", {{"k", 0}}, {p.x, p.y, p.units, 0}); },
                        ErrorKind::kInvalidArgument, {"k"});
}

}  // namespace mipp::info
