// Fuzzes the bench configuration reader: bench::parse_json_strict (JSON with repeated keys
// refused) on any text, then bench::parse_config on what parses. Input: the configuration text.
//
// parse_config checks a configuration against the world: it builds every model and loads the
// dataset. So that each input stays cheap and the run stays about the reader, not about resources,
// the harness (1) skips configurations that name files or folders ("file", "dir": the model
// file loader has its own harness) or ask for large models (width > 2, hidden widths > 512,
// inputs > 4096 values, > 1000 classes) — valid requests whose cost is the point, not bugs — and
// (2) points the dataset at a tiny MNIST-format folder it writes once (8 images), "mnist" when
// the configuration names none.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz_support.h"
#include "mipp/bench/config.h"
#include "mipp/util/error.h"

namespace {

using nlohmann::json;

// The bytes of a big-endian IDX file: magic, dimensions, then `n` bytes of value `fill`.
std::string idx_file(uint32_t magic, const std::vector<uint32_t>& dims, size_t n, char fill) {
  std::string bytes;
  auto put = [&](uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>((v >> shift) & 0xff));
  };
  put(magic);
  for (uint32_t d : dims) put(d);
  bytes.append(n, fill);
  return bytes;
}

// A folder in the layout data::load_dataset("mnist", dir) reads: 8 images, labels 0..7.
std::string tiny_mnist() {
  const std::string dir = mipp::fuzz::temp_path("mnist");
  std::filesystem::create_directories(dir);
  std::string labels = idx_file(0x00000801, {8}, 0, 0);
  for (char c = 0; c < 8; ++c) labels.push_back(c);
  for (const char* split : {"train", "t10k"}) {
    mipp::fuzz::write_file(dir + "/" + split + "-images-idx3-ubyte", idx_file(0x00000803, {8, 28, 28}, 8 * 784, 7));
    mipp::fuzz::write_file(dir + "/" + split + "-labels-idx1-ubyte", labels);
  }
  return dir;
}

// Whether `j` asks for files, folders or large models anywhere (see the header comment).
bool too_costly(const json& j) {
  if (j.is_array()) {
    for (const json& e : j) {
      if (too_costly(e)) return true;
    }
    return false;
  }
  if (!j.is_object()) return false;
  for (const auto& [key, v] : j.items()) {
    if (key == "file" || key == "dir") return true;
    if (key == "width" && v.is_number() && !(v.get<double>() <= 2)) return true;
    if (key == "num_classes" && v.is_number() && !(v.get<double>() <= 1000)) return true;
    if ((key == "hidden" || key == "input_shape") && v.is_array()) {
      double product = 1;
      for (const json& e : v) {
        if (!e.is_number()) continue;
        const double x = e.get<double>();
        if (key == "hidden" && !(x <= 512)) return true;
        product *= x > 1 ? x : 1;
      }
      if (key == "input_shape" && !(product <= 4096)) return true;
    }
    if (too_costly(v)) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mipp::fuzz::init();
  static const std::string dataset_dir = tiny_mnist();
  const std::string text(reinterpret_cast<const char*>(data), size);
  json j;
  try {
    j = mipp::bench::parse_json_strict(text, "config fuzz.json");
  } catch (const mipp::Error& e) {
    mipp::fuzz::note_error(e);
    return 0;
  }
  if (too_costly(j)) return 0;
  if (j.is_object()) {
    // No dataset means Fashion-MNIST from its Debian folder: 70000 images per input.
    json& d = j.contains("dataset") ? j["dataset"] : (j["dataset"] = "mnist");
    if (d.is_string()) d = json{{"name", d}};
    if (d.is_object()) d["dir"] = dataset_dir;
  }
  try {
    mipp::bench::parse_config(j, "fuzz.json", mipp::fuzz::temp_path(""));
  } catch (const mipp::Error& e) {
    mipp::fuzz::note_error(e);
  }
  return 0;
}
