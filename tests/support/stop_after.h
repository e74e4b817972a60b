// StopAfter: an event sink that answers "stop" from its `limit`-th progress step on, as Ctrl-C
// does, and counts the steps it was asked about — for the tests of cancellation and resume.
#pragma once

#include <cstdint>

#include "mipp/util/events.h"

namespace mipp::testing {

class StopAfter : public util::EventSink {
 public:
  explicit StopAfter(int limit) : limit_(limit) {}
  bool progress(int64_t, int64_t) override { return ++asked_ < limit_; }
  int asked() const { return asked_; }

 private:
  int limit_;
  int asked_ = 0;
};

}  // namespace mipp::testing
