#include "data/image_decode.h"

// clang-format off
#include <csetjmp>
#include <cstdio>  // jpeglib.h needs FILE and size_t declared first
#include <jpeglib.h>
#include <png.h>
// clang-format on

#include <cstring>

#include "data/file_bytes.h"
#include "mipp/util/error.h"
#include "mipp/util/memory.h"

namespace mipp::data {

namespace {

// A camera's largest images are ~100 MB as files; anything longer is not an image we can hold.
constexpr uint64_t kMaxImageFileBytes = uint64_t{1} << 30;

void check_pixels(const std::string& path, int64_t height, int64_t width, int64_t channels) {
  util::check_memory(util::saturating_product({height, width, channels}),
                     fmt::format("{}: a {}x{} image", path, width, height));
}

DecodedImage decode_png(const std::string& path, const std::string& bytes, int64_t channels) {
  png_image image;
  std::memset(&image, 0, sizeof(image));
  image.version = PNG_IMAGE_VERSION;
  if (png_image_begin_read_from_memory(&image, bytes.data(), bytes.size()) == 0) {
    MIPP_FAIL(kCorruption, "{}: not a readable PNG image ({})", path, image.message);
  }
  image.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  DecodedImage out{image.height, image.width, channels, {}};
  check_pixels(path, out.height, out.width, channels);
  out.pixels.resize(PNG_IMAGE_SIZE(image));
  // No background colour: libpng composites alpha onto black in 8-bit output.
  if (png_image_finish_read(&image, nullptr, out.pixels.data(), 0, nullptr) == 0) {
    const std::string reason = image.message;
    png_image_free(&image);
    MIPP_FAIL(kCorruption, "{}: not a readable PNG image ({})", path, reason);
  }
  return out;
}

// libjpeg reports errors through a callback that must not return; it jumps back to decode_jpeg
// with the message kept here. Warnings (corrupt data it would paper over) are errors too.
struct JpegErrors {
  jpeg_error_mgr manager;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void jpeg_fail(j_common_ptr info) {
  auto* errors = reinterpret_cast<JpegErrors*>(info->err);
  (*info->err->format_message)(info, errors->message);
  std::longjmp(errors->jump, 1);
}

void jpeg_message(j_common_ptr info, int level) {
  if (level < 0) jpeg_fail(info);  // level -1: a warning about damaged data
}

// The libjpeg part of decode_jpeg. Only trivially destructible locals live here, across the
// setjmp, and what changes after it is written through `out` and `stage` (objects of the caller),
// so the jump back skips no destructor and reads no stale register.
// Returns false with `message` set when libjpeg failed.
bool read_jpeg(const std::string& path, const std::string& bytes, DecodedImage& out, char* message,
               volatile int* stage) {
  jpeg_decompress_struct info;
  JpegErrors errors;
  info.err = jpeg_std_error(&errors.manager);
  errors.manager.error_exit = jpeg_fail;
  errors.manager.emit_message = jpeg_message;
  if (setjmp(errors.jump) != 0) {
    std::memcpy(message, errors.message, JMSG_LENGTH_MAX);
    jpeg_destroy_decompress(&info);
    return false;
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&info, TRUE);
  info.out_color_space = out.channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  *stage = 1;  // start_decompress fails only for a colour conversion it lacks (CMYK -> RGB)
  jpeg_start_decompress(&info);
  *stage = 2;
  try {
    out.height = info.output_height;
    out.width = info.output_width;
    check_pixels(path, out.height, out.width, out.channels);
    out.pixels.resize(static_cast<size_t>(out.height * out.width * out.channels));
  } catch (...) {
    jpeg_destroy_decompress(&info);
    throw;
  }
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = out.pixels.data() + static_cast<size_t>(info.output_scanline) * out.width * out.channels;
    jpeg_read_scanlines(&info, &row, 1);
  }
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  return true;
}

DecodedImage decode_jpeg(const std::string& path, const std::string& bytes, int64_t channels) {
  DecodedImage out;
  out.channels = channels;
  char message[JMSG_LENGTH_MAX] = {};
  volatile int stage = 0;
  if (!read_jpeg(path, bytes, out, message, &stage)) {
    if (stage == 1) MIPP_FAIL(kNotSupported, "{}: a JPEG image mipp cannot convert ({})", path, message);
    MIPP_FAIL(kCorruption, "{}: not a readable JPEG image ({})", path, message);
  }
  return out;
}

}  // namespace

DecodedImage decode_image(const std::string& path, int64_t channels) {
  MIPP_CHECK(channels == 1 || channels == 3, kInvalidArgument, "{}: decode to {} channels: use 1 or 3", path, channels);
  const std::string bytes = read_file_bytes(path, kMaxImageFileBytes, "an image file of at most 1 GiB");
  const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() >= 8 && png_sig_cmp(b, 0, 8) == 0) return decode_png(path, bytes, channels);
  if (bytes.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return decode_jpeg(path, bytes, channels);
  MIPP_FAIL(kNotSupported, "{}: neither a PNG nor a JPEG image (its first bytes say otherwise)", path);
}

}  // namespace mipp::data
