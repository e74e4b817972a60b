// Training and fine-tuning of a model in place.
//
// Determinism: the data order, augmentation and dropout of epoch e come from sub-seeds of
// options.seed named by e, so a run's result depends only on its options, data, initial weights
// and thread count, and a resumed run equals an uninterrupted one.
//
// Checkpoints are ordinary model files (io::save_model) with two extra entries: the training state
// (epochs done, per-epoch records, options) and the optimiser state (momentum or Adam moments).
#pragma once

#include <nlohmann/json.hpp>

#include "mipp/data/dataset.h"
#include "mipp/io/model_file.h"
#include "mipp/train/options.h"
#include "mipp/util/events.h"

namespace mipp::train {

inline constexpr const char* kTrainStateEntry = "mipp_train_state.json";
inline constexpr const char* kOptimizerEntry = "mipp_optimizer.pt";

struct TrainResult {
  nlohmann::json epochs = nlohmann::json::array();  // one record per epoch (resumed ones included)
  int resumed_from_epoch = 0;   // epochs already done in the checkpoint; 0 for a fresh run
  bool cancelled = false;       // the sink asked to stop; the last complete epoch's checkpoint stands
  double seconds = 0;           // wall time of this call
};

// Trains model.network on `train_set` (validated against the network's input shape and classes),
// evaluating on `val_set` after each epoch when given. Runs on the network's device (batches move
// there from the host). In a data-parallel run (dist::init) every rank must call it with the same
// arguments: each computes its share of every global batch of options.batch_size (a multiple of the
// world size), the gradients are summed across ranks, and only rank 0 writes checkpoints. Appends a "train" entry to the model's
// history. Writes checkpoints to options.checkpoint_path when set. Throws Error(kInvalidArgument)
// naming the option or shape that is wrong, Error(kNumerical) when the loss becomes NaN.
TrainResult train(io::Model& model, const data::Dataset& train_set, const data::Dataset* val_set,
                  const TrainOptions& options, util::EventSink& sink);

}  // namespace mipp::train
