// The CLI's two EventSinks, chosen by --log-format:
//   text  progress bar with rate and ETA on stderr when it is a terminal, and one line per record
//   json  one JSON object per line on stderr: {"event": ..., "t_ms": ..., ...}
// Both stop long runs cleanly on Ctrl-C: progress() returns false after SIGINT (handle_interrupts).
#pragma once

#include <memory>
#include <string>

#include "mipp/util/events.h"

namespace mipp::cli {

// format: "auto" (text), "text" or "json". Throws Error(kInvalidArgument) for another value. In a
// data-parallel run, ranks other than 0 get a quiet text sink (warnings and errors only).
std::unique_ptr<util::EventSink> make_event_sink(const std::string& format, bool quiet);

// Installs the SIGINT handler: the first Ctrl-C asks long work to stop at its next step (the
// sinks' progress() returns false); work still running 0.7 s later (or at a second Ctrl-C) is ended
// with exit code 130 once no output is being written. Called once, by main().
void handle_interrupts();

// What the forced stop tells the user when `path` exists at that moment: "decisions so far are in
// X: run the same command with --resume to continue". Nothing is said about resuming otherwise.
void set_resume_hint(const std::string& path, const std::string& text);


}  // namespace mipp::cli
