// An EventSink that hands the library's progress, records and messages to a Python callable, and
// turns Ctrl-C (and an exception in that callable) into the library's cancellation.
//
// The library runs with the GIL released; each event takes the GIL, calls
// callback(kind, payload) with kind "stage", "progress", "record" or "message", and asks Python
// whether a signal arrived (PyErr_CheckSignals runs the SIGINT handler, which raises
// KeyboardInterrupt). Either way the pending exception is kept and progress() answers false, so the
// work stops at its next safe point with Error(kCancelled); rethrow_pending() then raises the kept
// exception in its place.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <pybind11/pybind11.h>

#include "mipp/util/events.h"

namespace mipp::python {

class PythonSink : public util::EventSink {
 public:
  explicit PythonSink(pybind11::object callback) : callback_(std::move(callback)) {}
  // Holds a Python exception: must be destroyed with the GIL held (pybind11 objects).
  ~PythonSink() override = default;

  void stage_begin(const std::string& stage, int64_t total) override;
  bool progress(int64_t step, int64_t total) override;
  void stage_end() override;
  void record(const nlohmann::json& values) override;
  void message(util::LogLevel level, const std::string& text) override;

  // Raises the exception that stopped the work (KeyboardInterrupt, or the callback's own), if any.
  // Call with the GIL held.
  void rethrow_pending();
  bool has_pending() const { return pending_.has_value(); }

 private:
  // Calls the callback and checks for signals; keeps the first exception. GIL held.
  void deliver(const char* kind, pybind11::object payload);

  pybind11::object callback_;
  std::optional<pybind11::error_already_set> pending_;
  std::string stage_;
  std::chrono::steady_clock::time_point last_progress_{};
};

}  // namespace mipp::python
