#include "mipp/prune/method.h"

namespace mipp::prune {

Selection Method::select(const MethodInputs& in, const Budget& budget) {
  return select_units(in.net, in.analysis, score(in), budget);
}

}  // namespace mipp::prune
