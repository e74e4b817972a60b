// PNG and JPEG decoding for the image-folder dataset: libpng's simplified API and libjpeg-turbo,
// the libraries every Linux distribution maintains. The format is told by the file's first bytes,
// not by its name, so a PNG saved as .jpg still reads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mipp::data {

// An 8-bit image, rows top to bottom, pixels interleaved: height * width * channels bytes.
struct DecodedImage {
  int64_t height = 0;
  int64_t width = 0;
  int64_t channels = 0;  // 1 (grey) or 3 (RGB)
  std::vector<uint8_t> pixels;
};

// Decodes the PNG or JPEG file `path` to `channels` (1: grey, 3: RGB) whatever its own colour
// type: colour is converted, alpha composited onto black, 16-bit PNG reduced to 8 bits.
// Throws Error(kNotFound) for a missing file, Error(kCorruption) "PATH: not a readable PNG image
// (REASON)" for damaged data (a truncated JPEG included, which libjpeg would only warn about and
// fill with grey), and Error(kNotSupported) for another format or a JPEG colour space that cannot
// be converted (CMYK).
// REQUIRES: channels is 1 or 3.
DecodedImage decode_image(const std::string& path, int64_t channels);

}  // namespace mipp::data
