#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mipp/data/synthetic.h"
#include "mipp/models/zoo.h"
#include "mipp/prune/feature_selection.h"
#include "support/expect_error.h"

namespace mipp::prune {

namespace {

graph::Network mlp16() {
  models::ModelSpec spec;
  spec.name = "mlp";
  spec.num_classes = 4;
  spec.input_shape = {16};
  spec.hidden = {24};
  spec.seed = 5;
  return models::build_model(spec);
}

// Teacher inputs with features 3 and 9 constant (an image's empty border, say).
data::Dataset inputs_with_constant_features() {
  data::TeacherOptions o;
  o.num_samples = 1500;
  o.num_features = 16;
  data::Dataset d = data::teacher_dataset(o, 2);
  d.inputs.select(1, 3).fill_(0.5);
  d.inputs.select(1, 9).fill_(-1);
  return d;
}

}  // namespace

TEST(FeatureSelection, ConstantInputsGoAndInformativeOnesStay) {
  const FeatureSelection s = select_input_features(mlp16(), inputs_with_constant_features(), {}, util::null_sink());
  ASSERT_EQ(s.shape, std::vector<int64_t>{16});
  EXPECT_EQ(s.keep[3], 0);
  EXPECT_EQ(s.keep[9], 0);
  EXPECT_EQ(s.kept, 14) << "every other input feeds the first layer";
  EXPECT_EQ(mask_to_pgm(s).substr(0, 11), "P5\n16 1\n255");
}

TEST(FeatureSelection, SparsityModeRemovesTheRequestedFraction) {
  FeatureSelectionOptions o;
  o.sparsity = 0.5;
  const FeatureSelection s = select_input_features(mlp16(), inputs_with_constant_features(), o, util::null_sink());
  EXPECT_EQ(s.kept, 8);
  EXPECT_EQ(s.keep[3] + s.keep[9], 0) << "constant inputs go first";
  o.confidence = 1.5;
  testing::expect_error([&] { select_input_features(mlp16(), inputs_with_constant_features(), o, util::null_sink()); },
                        ErrorKind::kInvalidArgument, {"--confidence 1.5"});
}

}  // namespace mipp::prune
