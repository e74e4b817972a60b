// MIPP's target for a wide layer can have thousands of columns (a torchvision classifier's 1000
// logits beside the kept units of the next block), more than a calibration set of a few thousand
// samples can be regressed on. Its leading principal components keep the directions in which the
// target varies most: information about them is a lower bound on information about the whole
// target (they are a function of it), and a close one when the dropped directions carry little
// variance.
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>

namespace mipp::prune::mipp_method {

// y [n, m] itself when m <= components; otherwise the scores [n, r] (float32, r <= components) of
// its standardised columns (or, with standardise false, its centred columns in their own scale) on
// their leading principal components, largest variance first.
// Components with no variance (below 1e-10 of the largest) are left out, so r can be smaller.
// Deterministic: one symmetric eigendecomposition of the smaller of the two Gram matrices.
at::Tensor leading_components(const at::Tensor& y, int64_t components, bool standardise = true);

}  // namespace mipp::prune::mipp_method
