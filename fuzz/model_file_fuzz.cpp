// Fuzzes io::load_model (a mipp model file: a TorchScript zip archive whose extra entry mipp.json
// describes the graph) through a file on disk. Input: the file's bytes.
//
// A network that loads must be what load_model promises, a consistent graph::Network: its cost is
// computed and, when small (input <= 4096 values, <= 10^6 MACs), one forward pass is run on zeros;
// an error other than mipp::Error there is a finding too.
#include <ATen/ops/zeros.h>

#include <cstdint>
#include <string>

#include "fuzz_support.h"
#include "mipp/graph/cost.h"
#include "mipp/graph/forward.h"
#include "mipp/io/model_file.h"
#include "mipp/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mipp::fuzz::init();
  static const std::string path = mipp::fuzz::temp_path("model.pt");
  mipp::fuzz::write_file(path, std::string(reinterpret_cast<const char*>(data), size));
  try {
    const mipp::io::Model model = mipp::io::load_model(path, {"trainer_state.json"});
    const mipp::graph::Network& net = model.network;
    const mipp::graph::Cost cost = mipp::graph::total_cost(net);
    std::vector<int64_t> shape = {1};
    int64_t values = 1;
    for (int64_t d : net.input_shape()) {
      shape.push_back(d);
      values *= d;
    }
    if (values <= 4096 && cost.macs <= 1000000) mipp::graph::forward(net, at::zeros(shape));
  } catch (const mipp::Error& e) {
    mipp::fuzz::note_error(e);
  }
  return 0;
}
