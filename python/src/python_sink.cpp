#include "python_sink.h"

#include <nlohmann/json.hpp>

namespace mipp::python {

namespace py = pybind11;

namespace {

// Progress events reach Python at most this often (the last step of a stage always does); the
// signal check happens on every step.
constexpr std::chrono::milliseconds kProgressInterval{200};

const char* level_name(util::LogLevel level) {
  switch (level) {
    case util::LogLevel::kError: return "error";
    case util::LogLevel::kWarn: return "warning";
    case util::LogLevel::kInfo: return "info";
    case util::LogLevel::kDebug: return "debug";
  }
  return "info";
}

}  // namespace

void PythonSink::deliver(const char* kind, py::object payload) {
  if (pending_) return;
  try {
    if (!callback_.is_none()) callback_(kind, std::move(payload));
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
  } catch (py::error_already_set& e) {
    pending_.emplace(std::move(e));
  }
}

void PythonSink::stage_begin(const std::string& stage, int64_t total) {
  py::gil_scoped_acquire gil;
  stage_ = stage;
  last_progress_ = std::chrono::steady_clock::now();
  deliver("stage", py::dict(py::arg("stage") = stage, py::arg("total") = total));
}

bool PythonSink::progress(int64_t step, int64_t total) {
  py::gil_scoped_acquire gil;
  const auto now = std::chrono::steady_clock::now();
  if (step >= total || now - last_progress_ >= kProgressInterval) {
    last_progress_ = now;
    deliver("progress", py::dict(py::arg("stage") = stage_, py::arg("step") = step, py::arg("total") = total));
  } else if (!pending_ && PyErr_CheckSignals() != 0) {
    pending_.emplace();  // error_already_set's default constructor takes Python's pending exception
  }
  return !pending_;
}

void PythonSink::stage_end() {
  py::gil_scoped_acquire gil;
  deliver("stage_end", py::dict(py::arg("stage") = stage_));
}

void PythonSink::record(const nlohmann::json& values) {
  py::gil_scoped_acquire gil;
  deliver("record", py::module_::import("json").attr("loads")(values.dump()));
}

void PythonSink::message(util::LogLevel level, const std::string& text) {
  py::gil_scoped_acquire gil;
  deliver("message", py::dict(py::arg("level") = level_name(level), py::arg("text") = text));
}

void PythonSink::rethrow_pending() {
  if (!pending_) return;
  py::error_already_set e = std::move(*pending_);
  pending_.reset();
  throw e;
}

}  // namespace mipp::python
