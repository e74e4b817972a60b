// Atomic output: a result appears under its final name only when it is complete.
//
// write_atomically() hands the writer a temporary path in the destination's folder (same file
// system, so the final rename is atomic), renames it over `path` when the writer returns, and
// removes it when the writer throws. A failed write therefore leaves neither a file nor a temp.
#pragma once

#include <functional>
#include <string>

namespace mipp::util {

// REQUIRES: the folder of `path` exists. Throws Error(kIo) when it cannot be written.
void write_atomically(const std::string& path, const std::function<void(const std::string& temp_path)>& writer);

// Convenience for text outputs (reports, JSON).
void write_text_atomically(const std::string& path, const std::string& text);

}  // namespace mipp::util
