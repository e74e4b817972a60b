// The CLI's two EventSinks, chosen by --log-format:
//   text  progress bar with rate and ETA on stderr when it is a terminal, and one line per record
//   json  one JSON object per line on stderr: {"event": ..., "t_ms": ..., ...}
// Both stop long runs cleanly on Ctrl-C: progress() returns false after SIGINT.
#pragma once

#include <memory>
#include <string>

#include "mipp/util/events.h"

namespace mipp::cli {

// format: "auto" (text), "text" or "json". Throws Error(kInvalidArgument) for another value. In a
// data-parallel run, ranks other than 0 get a quiet text sink (warnings and errors only).
std::unique_ptr<util::EventSink> make_event_sink(const std::string& format, bool quiet);

// True once SIGINT arrived (the sink installs the handler).
bool interrupted();

}  // namespace mipp::cli
