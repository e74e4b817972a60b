// EventSink: how the library reports progress, results and messages without printing anything.
//
// Long operations announce stages, report progress steps (a false return asks them to stop at
// the next safe point), and emit records: one JSON object per finished unit of work (an epoch, a
// pruned layer) with stable keys. The CLI provides a terminal sink (progress bar, text lines) and a
// JSON-lines sink (--log-format json); tests pass null_sink() or a recording fake.
// Implementations need not be thread-safe: the library calls a sink from one thread.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace mipp::util {

enum class LogLevel { kError, kWarn, kInfo, kDebug };

class EventSink {
 public:
  virtual ~EventSink() = default;
  // A stage of `total` steps begins (0 when unknown), e.g. ("epoch 3/10", 469).
  virtual void stage_begin(const std::string& stage, int64_t total) {}
  // `step` of `total` steps of the current stage are done. Return false to request cancellation.
  virtual bool progress(int64_t step, int64_t total) { return true; }
  virtual void stage_end() {}
  // A finished unit of work, e.g. {"event": "epoch", "epoch": 3, "train_loss": 0.41, ...}.
  virtual void record(const nlohmann::json& values) {}
  virtual void message(LogLevel level, const std::string& text) {}
};

// A sink that ignores everything.
EventSink& null_sink();

}  // namespace mipp::util
