// expect_error: checks the kind and message of the mipp::Error a call throws; error messages must
// name the file, value or shape at fault.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mipp/util/error.h"

namespace mipp::testing {

// Runs `fn`, expecting a mipp::Error of `kind` whose message contains each of `parts`.
template <typename Fn>
void expect_error(Fn&& fn, ErrorKind kind, const std::vector<std::string>& parts) {
  try {
    fn();
    ADD_FAILURE() << "no error thrown";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    for (const std::string& part : parts) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << "missing \"" << part << "\" in: " << e.what();
    }
  }
}

}  // namespace mipp::testing
