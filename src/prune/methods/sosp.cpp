#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/cross_entropy_loss.h>
#include <ATen/ops/softmax.h>
#include <ATen/ops/zeros.h>
#include <ATen/ops/zeros_like.h>
#include <torch/csrc/autograd/autograd.h>

#include "mipp/graph/forward.h"
#include "mipp/util/error.h"
#include "prune/methods/gradient_methods.h"

namespace mipp::prune {

namespace {

// SOSP-H (Nonnenmacher, Pfeil, Steinwart, Reeb, ICLR 2022), structured. Removing unit s (its
// weights in every producer of its group, as grasp takes them; biases and batch-norm stay) is the
// step dθ = -P_s θ, P_s the projection onto those weights. To second order the loss changes by
//   L(θ - P_s θ) - L(θ) ≈ -θᵀ P_s g + ½ θᵀ P_s H P_s θ,      g = ∇L, H the curvature of L.
// Removing a set M, the quadratic part is ½ Σ_{s,s' ∈ M} θᵀ P_s H P_s' θ: structures of all layers
// are coupled. SOSP-H replaces the partners s' ∈ M by everything, P_s H θ for P_s H Σ_{s'∈M} P_s' θ,
// so that ONE curvature-vector product Hθ gives every saliency, at about the cost of a gradient:
//   λ_s = | -θᵀ P_s g + ½ θᵀ P_s H θ |                        (higher = keep).
// θ is every conv and linear weight (also of layers whose outputs are never pruned, the classifier);
// L the mean cross-entropy over all calibration samples, eval mode (running batch-norm statistics:
// an after-training method), batch by batch, each batch's g and Hθ weighted by its share of the set.
// Curvature: "gauss_newton" (default, SOSP's choice) G = (1/N) Σ_n J_nᵀ Λ_n J_n, J_n the Jacobian of
// sample n's logits in the weights, Λ_n = diag(p_n) - p_n p_nᵀ the Hessian of softmax cross-entropy
// in the logits: positive semi-definite, no second derivatives of the network; "hessian" the exact
// Hessian (double backward, as grasp). Source: the formula follows the derivation above; the paper's
// text was not available here (only its abstract), so its sign convention and absolute value were
// not checked against its equations.
enum class Curvature { kGaussNewton, kHessian };

class SospMethod : public Method {
 public:
  SospMethod(Curvature curvature, int64_t batch_size) : curvature_(curvature), batch_size_(batch_size) {}
  std::string_view name() const override { return "sosp"; }
  bool needs_data() const override { return true; }
  bool needs_labels() const override { return true; }
  nlohmann::json options() const override {
    return {{"curvature", curvature_ == Curvature::kGaussNewton ? "gauss_newton" : "hessian"},
            {"batch_size", batch_size_}};
  }

  std::vector<at::Tensor> score(const MethodInputs& in) override {
    // Gradients flow to substituted copies of the weights (clones, on the network's device), never
    // to the network's own tensors.
    std::unordered_map<std::string, at::Tensor> params;
    std::unordered_map<std::string, size_t> index;  // node name -> position in weights
    std::vector<at::Tensor> weights, theta, g_sum, curvature_theta;
    for (const graph::Node& n : in.net.nodes()) {
      if (!n.is<graph::Conv2dOp>() && !n.is<graph::LinearOp>()) continue;
      const at::Tensor w = n.params.at("weight").detach().clone().requires_grad_(true);
      params[n.name + ".weight"] = w;
      index[n.name] = weights.size();
      weights.push_back(w);
      theta.push_back(w.detach());
      g_sum.push_back(at::zeros_like(theta.back()));
      curvature_theta.push_back(at::zeros_like(theta.back()));
    }
    const int64_t total = in.calibration->size();
    graph::ForwardOptions opt;  // eval mode
    opt.parameters = &params;
    for_each_batch(in, batch_size_, [&](const at::Tensor& x, const at::Tensor& y) {
      const double share = static_cast<double>(x.size(0)) / static_cast<double>(total);
      const at::Tensor out = graph::forward(in.net, x, opt).output;  // logits [n, C]
      MIPP_CHECK(out.dim() == 2, kNotSupported, "method sosp: the network's output has {} dimensions, expected "
                 "logits [batch, classes]", out.dim());
      // This batch's part of the mean loss over the whole set: its mean times n / N.
      const at::Tensor loss = at::cross_entropy_loss(out, y) * share;
      if (curvature_ == Curvature::kHessian) {
        // z = <θ, ∇L_b> with the gradient's graph kept; dz/dθ = H_b θ (θ constant).
        const std::vector<at::Tensor> grads = torch::autograd::grad({loss}, weights, {}, true, /*create_graph=*/true);
        at::Tensor z = at::zeros({}, out.options());
        for (size_t i = 0; i < grads.size(); ++i) z = z + (grads[i] * theta[i]).sum();
        const std::vector<at::Tensor> h_theta =
            torch::autograd::grad({z}, weights, {}, false, false, /*allow_unused=*/true);
        for (size_t i = 0; i < grads.size(); ++i) {
          g_sum[i] += grads[i].detach();
          if (h_theta[i].defined()) curvature_theta[i] += h_theta[i];
        }
        return;
      }
      const std::vector<at::Tensor> grads = torch::autograd::grad({loss}, weights, {}, /*retain_graph=*/true);
      // Jθ without forming J, from two reverse passes: v(w) = Jᵀw for a dummy w [n, C] (v is linear
      // in w, its graph kept), then d(vᵀθ)/dw = Jθ [n, C].
      const at::Tensor dummy = at::zeros_like(out).requires_grad_(true);
      const std::vector<at::Tensor> v = torch::autograd::grad({out}, weights, {dummy}, true, /*create_graph=*/true);
      at::Tensor z = at::zeros({}, out.options());
      for (size_t i = 0; i < v.size(); ++i) z = z + (v[i] * theta[i]).sum();
      at::Tensor j_theta = torch::autograd::grad({z}, {dummy}, {}, true, false, /*allow_unused=*/true)[0];
      if (!j_theta.defined()) j_theta = at::zeros_like(out);
      // Λ_n (Jθ)_n = p_n ⊙ (Jθ)_n - p_n (p_nᵀ (Jθ)_n), divided by N for the mean over the set; one
      // vector-Jacobian product then gives this batch's part of Gθ.
      const at::Tensor p = at::softmax(out.detach(), 1);
      const at::Tensor lambda_j_theta = (p * j_theta - p * (p * j_theta).sum(1, true)) / static_cast<double>(total);
      const std::vector<at::Tensor> g_theta =
          torch::autograd::grad({out}, weights, {lambda_j_theta}, false, false, /*allow_unused=*/true);
      for (size_t i = 0; i < grads.size(); ++i) {
        g_sum[i] += grads[i];
        if (g_theta[i].defined()) curvature_theta[i] += g_theta[i];
      }
    });

    const at::TensorOptions options = at::TensorOptions(at::kDouble).device(in.net.device());
    std::vector<at::Tensor> scores;
    for (const graph::Group& group : in.analysis.groups) {
      at::Tensor s = at::zeros({group.size}, options);
      for (int p : group.producers) {
        const size_t i = index.at(in.net.node(p).name);
        // θ ⊙ (-g + ½ Hθ), summed over each unit's weights: [out, ...] -> [size].
        const at::Tensor change = theta[i].to(at::kDouble) *
                                  (curvature_theta[i].to(at::kDouble) * 0.5 - g_sum[i].to(at::kDouble));
        s += change.reshape({group.size, -1}).sum(1);
      }
      scores.push_back(s.abs().cpu());
    }
    return scores;
  }

 private:
  Curvature curvature_;
  int64_t batch_size_;
};

}  // namespace

std::unique_ptr<Method> make_sosp_method(const nlohmann::json& options) {
  const int64_t batch_size = batch_size_option("sosp", options, {"curvature", "batch_size"});
  const nlohmann::json curvature =
      options.contains("curvature") ? options.at("curvature") : nlohmann::json("gauss_newton");
  MIPP_CHECK(curvature == "gauss_newton" || curvature == "hessian", kInvalidArgument,
             "method sosp: curvature {} must be \"gauss_newton\" or \"hessian\"", curvature.dump());
  return std::make_unique<SospMethod>(curvature == "hessian" ? Curvature::kHessian : Curvature::kGaussNewton,
                                      batch_size);
}

}  // namespace mipp::prune
