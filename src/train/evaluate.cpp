#include "mipp/train/evaluate.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/core/Reduction.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/cross_entropy_loss.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/zeros.h>

#include <nlohmann/json.hpp>
#include <fmt/ranges.h>

#include "mipp/dist/process_group.h"
#include "mipp/graph/cost.h"
#include "mipp/graph/forward.h"
#include "mipp/util/memory.h"
#include "mipp/util/error.h"

namespace mipp::train {

EvalResult evaluate(const graph::Network& net, const data::Dataset& d, int64_t batch_size, util::EventSink& sink) {
  data::validate(d, d.name);
  MIPP_CHECK(d.labels.defined(), kInvalidArgument, "dataset {}: evaluation needs labels", d.name);
  MIPP_CHECK(d.sample_shape() == net.input_shape(), kInvalidArgument,
             "dataset {} has samples [{}]; the model expects [{}]", d.name, fmt::join(d.sample_shape(), ", "),
             fmt::join(net.input_shape(), ", "));
  const int64_t classes = net.output_shape().front();
  MIPP_CHECK(d.num_classes <= classes, kInvalidArgument, "dataset {} has {} classes; the model outputs {}", d.name,
             d.num_classes, classes);
  if (net.device().is_cpu()) {
    util::check_memory(graph::forward_memory_bytes(net, std::min(batch_size, d.size())),
                       fmt::format("evaluation at batch {}", batch_size), "use a smaller --batch-size");
  }
  at::NoGradGuard no_grad;
  EvalResult r;
  r.samples = d.size();
  at::Tensor confusion = at::zeros({classes * classes}, at::kLong);
  double loss_sum = 0;
  int64_t top1 = 0, top5 = 0;
  const int64_t k = std::min<int64_t>(5, classes);
  const int64_t ranks = dist::world_size();
  const dist::Share share = dist::my_share(d.size());
  const int64_t end = share.first + share.count;
  const int64_t batches = (share.count + batch_size - 1) / batch_size;
  sink.stage_begin(fmt::format("evaluating on {} samples of {}", d.size(), d.name), batches);
  for (int64_t start = share.first, batch = 1; start < end; start += batch_size, ++batch) {
    const int64_t n = std::min(batch_size, end - start);
    const at::Tensor x = data::inputs_range(d, start, n);
    const at::Tensor logits = graph::forward(net, x).output;
    const at::Tensor y = d.labels.narrow(0, start, n).to(logits.device(), /*non_blocking=*/true);
    loss_sum += at::cross_entropy_loss(logits, y, {}, at::Reduction::Sum).item<double>();
    const at::Tensor best = std::get<1>(logits.topk(k, 1));  // [n, k]
    const at::Tensor hit = best.eq(y.unsqueeze(1));
    top1 += hit.select(1, 0).sum().item<int64_t>();
    top5 += hit.any(1).sum().item<int64_t>();
    confusion.index_add_(0, (y * classes + best.select(1, 0)).cpu(), at::ones({n}, at::kLong));
    MIPP_CHECK(sink.progress(batch, batches), kCancelled, "evaluation interrupted");
  }
  sink.stage_end();
  if (ranks > 1) {
    std::vector<at::Tensor> totals{at::tensor(std::vector<double>{loss_sum, double(top1), double(top5)}, at::kDouble),
                                   confusion};
    dist::all_reduce_sum(totals);
    const auto t = totals[0].accessor<double, 1>();
    loss_sum = t[0];
    top1 = static_cast<int64_t>(t[1]);
    top5 = static_cast<int64_t>(t[2]);
  }
  const double n = static_cast<double>(std::max<int64_t>(1, r.samples));
  r.top1 = top1 / n;
  r.top5 = top5 / n;
  r.loss = loss_sum / n;
  const at::Tensor matrix = confusion.view({classes, classes});
  const auto c = matrix.accessor<int64_t, 2>();
  r.confusion.assign(classes, std::vector<int64_t>(classes));
  for (int64_t i = 0; i < classes; ++i) {
    for (int64_t j = 0; j < classes; ++j) r.confusion[i][j] = c[i][j];
  }
  return r;
}

void to_json(nlohmann::json& j, const EvalResult& r) {
  j = {{"samples", r.samples}, {"top1", r.top1}, {"top5", r.top5}, {"loss", r.loss}, {"confusion", r.confusion}};
}

}  // namespace mipp::train
