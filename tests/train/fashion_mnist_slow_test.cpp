// Real data: one epoch of LeNet-5 on a Fashion-MNIST subset must beat chance (10%) clearly.
#include <gtest/gtest.h>

#include <filesystem>

#include "mipp/data/readers.h"
#include "mipp/models/zoo.h"
#include "mipp/pipeline/prepare_data.h"
#include "mipp/train/evaluate.h"
#include "mipp/train/trainer.h"

namespace mipp::train {

TEST(FashionMnistTraining, OneEpochOnASubsetBeatsChance) {
  if (!std::filesystem::exists(data::kFashionMnistDebianDir)) {
    GTEST_SKIP() << "Debian's dataset-fashion-mnist is not installed (scripts/install-deps.sh installs it)";
  }
  models::ModelSpec spec;
  spec.name = "lenet5";
  io::Model model{models::build_model(spec), {"lenet5"}, {}};
  pipeline::DataOptions data_options;
  data_options.train_limit = 10000;
  data_options.test_limit = 2000;
  const pipeline::PreparedData data = pipeline::prepare_data(data_options, model.network.input_shape(), {});
  TrainOptions t;
  t.epochs = 1;
  t.schedule.name = "constant";
  const TrainResult r = train(model, data.train, nullptr, t, util::null_sink());
  const EvalResult test = evaluate(model.network, data.test);
  EXPECT_GT(test.top1, 0.5) << "after one epoch on 10000 images; chance is 0.1";
  EXPECT_EQ(test.samples, 2000);
  EXPECT_GT(r.epochs.at(0).at("samples_per_second").get<double>(), 0);
}

}  // namespace mipp::train
