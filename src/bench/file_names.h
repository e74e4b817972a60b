// File names made from labels in a bench's output folder.
#pragma once

#include <string>

namespace mipp::bench {

// Anything but letters, digits, '.', '-' and '_' becomes '_': "vgg11 x0.5" -> "vgg11_x0.5".
std::string file_safe(const std::string& label);

}  // namespace mipp::bench
