#include "event_sinks.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "mipp/dist/process_group.h"
#include "mipp/util/error.h"

namespace mipp::cli {

namespace {

using Clock = std::chrono::steady_clock;

std::atomic<bool> g_interrupted{false};

void on_sigint(int) { g_interrupted = true; }

void install_sigint_handler() {
  static bool installed = false;
  if (!installed) std::signal(SIGINT, on_sigint);
  installed = true;
}

std::string duration_text(double seconds) {
  const int s = static_cast<int>(seconds + 0.5);
  return s >= 3600 ? fmt::format("{}h{:02}m", s / 3600, s / 60 % 60) : fmt::format("{}:{:02}", s / 60, s % 60);
}

class TextSink : public util::EventSink {
 public:
  explicit TextSink(bool quiet) : quiet_(quiet), tty_(isatty(fileno(stderr)) != 0) {}

  void stage_begin(const std::string& stage, int64_t total) override {
    stage_ = stage;
    start_ = Clock::now();
    last_draw_ = Clock::time_point{};
  }

  bool progress(int64_t step, int64_t total) override {
    if (tty_ && !quiet_ && total > 0) {
      const auto now = Clock::now();
      if (step == total || now - last_draw_ > std::chrono::milliseconds(100)) {
        last_draw_ = now;
        const double elapsed = std::chrono::duration<double>(now - start_).count();
        const double rate = elapsed > 0 ? step / elapsed : 0;
        const double eta = rate > 0 ? (total - step) / rate : 0;
        const int width = 30;
        const int filled = static_cast<int>(width * step / total);
        std::fprintf(stderr, "\r%s [%s%s] %lld/%lld  %.1f it/s  ETA %s ", stage_.c_str(),
                     std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(),
                     static_cast<long long>(step), static_cast<long long>(total), rate, duration_text(eta).c_str());
        std::fflush(stderr);
      }
    }
    return !g_interrupted;
  }

  void stage_end() override {
    if (tty_ && !quiet_) std::fprintf(stderr, "\r\033[K");
  }

  void record(const nlohmann::json& r) override {
    if (quiet_) return;
    if (r.value("event", "") == "epoch") {
      std::string line = fmt::format("epoch {}/{}  lr {:.4g}  train loss {:.4f}  top-1 {:.2f}%", r.at("epoch").get<int>(),
                                     r.at("epochs").get<int>(), r.at("lr").get<double>(), r.at("train_loss").get<double>(),
                                     100 * r.at("train_top1").get<double>());
      if (r.contains("val_top1")) {
        line += fmt::format("  val loss {:.4f}  top-1 {:.2f}%", r.at("val_loss").get<double>(),
                            100 * r.at("val_top1").get<double>());
      }
      line += fmt::format("  ({:.1f} s, {:.0f} samples/s)", r.at("seconds").get<double>(),
                          r.at("samples_per_second").get<double>());
      std::fprintf(stderr, "%s\n", line.c_str());
    } else if (r.value("event", "") == "bench_cell") {
      std::string line = fmt::format("[{}/{}] {} {}", r.at("done").get<int64_t>(), r.at("total").get<int64_t>(),
                                     r.at("key").get<std::string>(), r.at("status").get<std::string>());
      if (r.contains("top1_final")) line += fmt::format(": top-1 {:.2f}%", 100 * r.at("top1_final").get<double>());
      if (r.contains("cell_seconds")) line += fmt::format(" ({:.1f} s)", r.at("cell_seconds").get<double>());
      std::fprintf(stderr, "%s\n", line.c_str());
    } else {
      std::fprintf(stderr, "%s\n", r.dump().c_str());
    }
  }

  void message(util::LogLevel level, const std::string& text) override {
    if (quiet_ && level > util::LogLevel::kWarn) return;
    const char* prefix = level == util::LogLevel::kError ? "error: " : level == util::LogLevel::kWarn ? "warning: " : "";
    std::fprintf(stderr, "%s%s\n", prefix, text.c_str());
  }

 private:
  bool quiet_;
  bool tty_;
  std::string stage_;
  Clock::time_point start_;
  Clock::time_point last_draw_;
};

// Stable keys: event, t_ms (since the sink was made), then the event's own fields.
class JsonSink : public util::EventSink {
 public:
  void stage_begin(const std::string& stage, int64_t total) override {
    emit({{"event", "stage_begin"}, {"stage", stage}, {"total", total}});
    stage_ = stage;
  }
  bool progress(int64_t step, int64_t total) override { return !g_interrupted; }
  void stage_end() override { emit({{"event", "stage_end"}, {"stage", stage_}}); }
  void record(const nlohmann::json& r) override { emit(r); }
  void message(util::LogLevel level, const std::string& text) override {
    static const char* names[] = {"error", "warn", "info", "debug"};
    emit({{"event", "message"}, {"level", names[static_cast<int>(level)]}, {"text", text}});
  }

 private:
  void emit(nlohmann::json j) {
    j["t_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start_).count();
    std::fprintf(stderr, "%s\n", j.dump().c_str());
    std::fflush(stderr);
  }
  Clock::time_point start_ = Clock::now();
  std::string stage_;
};

}  // namespace

std::unique_ptr<util::EventSink> make_event_sink(const std::string& format, bool quiet) {
  install_sigint_handler();
  MIPP_CHECK(format == "text" || format == "auto" || format == "json", kInvalidArgument,
             "--log-format {}: use text or json", format);
  // In a data-parallel run rank 0 reports; the others say only what goes wrong.
  if (!dist::is_main()) return std::make_unique<TextSink>(/*quiet=*/true);
  if (format == "json") return std::make_unique<JsonSink>();
  return std::make_unique<TextSink>(quiet);
}

bool interrupted() { return g_interrupted; }

}  // namespace mipp::cli
