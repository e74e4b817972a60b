#include "event_sinks.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "mipp/dist/process_group.h"
#include "mipp/util/atomic_file.h"
#include "mipp/util/error.h"

namespace mipp::cli {

namespace {

using Clock = std::chrono::steady_clock;

std::atomic<int> g_sigints{0};

// What the forced stop adds when a file exists then (set before the work starts, read only after).
struct ResumeHint {
  std::string path;
  std::string text;
};
std::atomic<const ResumeHint*> g_resume_hint{nullptr};
std::filesystem::file_time_type g_started;  // set by handle_interrupts(), before the watchdog starts

void on_sigint(int) { ++g_sigints; }

// Long work polls EventSink::progress and stops at its next step with its own
// message (MIPP names its checkpoint, training its last epoch). Work without such steps (a forward
// pass over a test set, loading data, scoring by magnitude) is stopped by this thread: it gives
// the work kGrace to stop by itself (none after a second Ctrl-C), waits for any output being
// written to be complete (util::WriteSection), and exits with 130.
void stop_work_that_does_not_stop() {
  constexpr auto kGrace = std::chrono::milliseconds(700);
  constexpr auto kPoll = std::chrono::milliseconds(25);
  while (g_sigints.load() == 0) std::this_thread::sleep_for(kPoll);
  const auto deadline = Clock::now() + kGrace;
  while (Clock::now() < deadline && g_sigints.load() < 2) std::this_thread::sleep_for(kPoll);
  while (util::writes_in_progress()) std::this_thread::sleep_for(kPoll);
  const ResumeHint* hint = g_resume_hint.load();
  std::error_code ec;
  // Only a file this run wrote: an older one at that path holds nothing of this run.
  const bool resumable = hint != nullptr && std::filesystem::exists(hint->path, ec) &&
                         std::filesystem::last_write_time(hint->path, ec) >= g_started;
  std::fprintf(stderr, "\nmipp: interrupted; every output is either complete or absent%s%s\n", resumable ? "; " : "",
               resumable ? hint->text.c_str() : "");
  std::fflush(stderr);
  std::_Exit(130);  // other threads are mid-work: no destructors, no atexit handlers
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
    if (!tty_ && !quiet_) log_progress(step, total);
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
    return g_sigints.load() == 0;
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
    } else if (r.value("event", "") == "reconstruction_layer" && r.contains("layer")) {
      const nlohmann::json& l = r.at("layer");
      std::string line = fmt::format("{}: {} -> {} units", l.value("group", "?"), l.value("width_before", 0),
                                     l.value("width_after", 0));
      for (const nlohmann::json& c : l.value("consumers", nlohmann::json::array())) {
        line += fmt::format("; {} error {:.4g} after removal, {:.4g} after refit", c.value("consumer", "?"),
                            c.value("error_removed", 0.0), c.value("error_updated", 0.0));
      }
      std::fprintf(stderr, "%s\n", line.c_str());
    } else {
      std::fprintf(stderr, "%s\n", record_line(r).c_str());
    }
  }

  void message(util::LogLevel level, const std::string& text) override {
    if (quiet_ && level > util::LogLevel::kWarn) return;
    const char* prefix = level == util::LogLevel::kError ? "error: " : level == util::LogLevel::kWarn ? "warning: " : "";
    std::fprintf(stderr, "%s%s\n", prefix, text.c_str());
  }

 private:
  // Without a terminal (a log file, CI) there is no bar: a stage that has run for kQuietSeconds
  // says how far it is, then every kLogEverySeconds (what ends it prints its own line).
  static constexpr double kQuietSeconds = 5;
  static constexpr double kLogEverySeconds = 15;

  void log_progress(int64_t step, int64_t total) {
    const auto now = Clock::now();
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double since_line = std::chrono::duration<double>(now - last_draw_).count();
    if (elapsed < kQuietSeconds || (last_draw_ != Clock::time_point{} && since_line < kLogEverySeconds)) return;
    last_draw_ = now;
    const std::string of_total = total > 0 ? fmt::format("/{} ({:.0f}%)", total, 100.0 * step / total) : "";
    std::fprintf(stderr, "%s: %lld%s after %.0f s\n", stage_.c_str(), static_cast<long long>(step), of_total.c_str(),
                 elapsed);
  }

  // A record without a line of its own, as "event key value, group.key value, ...": nested objects
  // flattened, lists counted; readable, not raw JSON (--log-format json has that).
  static std::string record_line(const nlohmann::json& r) {
    std::string line = r.value("event", std::string("record"));
    const char* separator = " ";
    std::function<void(const std::string&, const nlohmann::json&)> add = [&](const std::string& key,
                                                                            const nlohmann::json& value) {
      if (value.is_object()) {
        for (const auto& [k, v] : value.items()) add(key + "." + k, v);
        return;
      }
      const std::string text = value.is_string()         ? value.get<std::string>()
                               : value.is_number_float() ? fmt::format("{:.4g}", value.get<double>())
                               : value.is_array()        ? fmt::format("[{} entries]", value.size())
                                                         : value.dump();
      line += fmt::format("{}{} {}", separator, key, text);
      separator = ", ";
    };
    for (const auto& [key, value] : r.items()) {
      if (key == "event") continue;
      if (value.is_object()) {
        for (const auto& [k, v] : value.items()) add(k, v);
      } else {
        add(key, value);
      }
    }
    return line;
  }

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
  bool progress(int64_t step, int64_t total) override { return g_sigints.load() == 0; }
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

void handle_interrupts() {
  g_started = std::filesystem::file_time_type::clock::now();
  std::signal(SIGINT, on_sigint);
  std::thread(stop_work_that_does_not_stop).detach();
}

void set_resume_hint(const std::string& path, const std::string& text) {
  g_resume_hint.store(new ResumeHint{path, text});  // once per process: kept for the watchdog
}

std::unique_ptr<util::EventSink> make_event_sink(const std::string& format, bool quiet) {
  MIPP_CHECK(format == "text" || format == "auto" || format == "json", kInvalidArgument,
             "--log-format {}: use text or json", format);
  // In a data-parallel run rank 0 reports; the others say only what goes wrong.
  if (!dist::is_main()) return std::make_unique<TextSink>(/*quiet=*/true);
  if (format == "json") return std::make_unique<JsonSink>();
  return std::make_unique<TextSink>(quiet);
}


}  // namespace mipp::cli
