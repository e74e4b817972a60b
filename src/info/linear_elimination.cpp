#include "info/linear_elimination.h"

#include <torch/torch.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "info/checks.h"
#include "info/chi_square.h"
#include "info/columns.h"
#include "mipp/info/linear_proxy.h"
#include "mipp/util/error.h"

namespace mipp::info {

namespace {

// log det of a symmetric positive definite matrix.
double log_det_spd(const at::Tensor& a) {
  if (a.numel() == 0) return 0;
  return 2 * at::linalg_cholesky(a).diagonal().log().sum().item<double>();
}

// Backward elimination on one ridge regression of the standardised target Y [n, m] on the active
// standardised unit columns X_A, kept as (see LinearProxy for the single-column version)
//   H = (X_A^T X_A + n lambda I)^-1,  B = H X_A^T Y,  M = Y^T Y - Y^T X_A B + n lambda I,  P = M^-1.
// For a unit with active columns S (k of them), removing it gives (block Schur complement)
//   M' = M + B_S^T H_SS^-1 B_S,   log det M' - log det M = log det(H_SS + B_S P B_S^T) - log det H_SS,
// and half of that is the plug-in estimate of I(u; Y | other active units) — the gaussian CMI of
// the unit given the others. The test is the likelihood-ratio chi-square test (chi_square.h).
// Removal updates H and B by the Schur complement and P by the Woodbury identity:
//   P' = P - P B_S^T (H_SS + B_S P B_S^T)^-1 B_S P,
// so an elimination pass over d units costs O(d (d^2 + m^2)), about one fit.
class LinearElimination final : public Elimination {
 public:
  LinearElimination(const LinearOptions& options, const EliminationProblem& problem) : ridge_(options.ridge) {
    const at::Tensor x = check_sample_matrix("linear elimination", "x", problem.x, -1, 1);
    const at::Tensor y = check_sample_matrix("linear elimination", "y", problem.y, x.size(0), 1);
    samples_ = x.size(0);
    const StandardizedColumns xs = standardize_columns(x), ys = standardize_columns(y);
    targets_ = static_cast<int64_t>(ys.kept.size());

    // Unit -> positions among the standardised (non-constant) columns; constant columns carry no
    // information and are dropped, so a dead unit has no columns at all.
    std::vector<int64_t> column_position(static_cast<size_t>(x.size(1)), -1);
    for (size_t j = 0; j < xs.kept.size(); ++j) column_position[static_cast<size_t>(xs.kept[j])] = static_cast<int64_t>(j);
    std::vector<bool> used(static_cast<size_t>(x.size(1)), false);
    for (size_t u = 0; u < problem.units.size(); ++u) {
      std::vector<int64_t> columns;
      for (int64_t c : problem.units[u]) {
        MIPP_CHECK(c >= 0 && c < x.size(1), kInvalidArgument, "linear elimination: unit {} names column {} of {}", u,
                   c, x.size(1));
        MIPP_CHECK(!used[static_cast<size_t>(c)], kInvalidArgument, "linear elimination: column {} is in two units", c);
        used[static_cast<size_t>(c)] = true;
        if (column_position[static_cast<size_t>(c)] >= 0) columns.push_back(column_position[static_cast<size_t>(c)]);
      }
      unit_columns_.push_back(columns);
      active_units_.push_back(true);
      for (int64_t c : columns) active_columns_.push_back(c);
    }
    const int64_t d = static_cast<int64_t>(active_columns_.size());
    MIPP_CHECK(samples_ > d + targets_ + 1, kInvalidArgument,
               "linear elimination: {} samples are too few for {} unit columns and {} target columns; "
               "give more calibration samples (at least {})",
               samples_, d, targets_, d + targets_ + 2);

    const auto opts = x.options();
    const double n = static_cast<double>(samples_);
    x_ = d > 0 ? xs.data.index_select(1, at::tensor(active_columns_, at::kLong)) : at::zeros({samples_, 0}, opts);
    y_ = targets_ > 0 ? ys.data : at::zeros({samples_, 0}, opts);
    // active_columns_ now index columns of x_ (0 .. d-1).
    std::vector<int64_t> remap(xs.kept.size(), -1);
    for (int64_t j = 0; j < d; ++j) remap[static_cast<size_t>(active_columns_[static_cast<size_t>(j)])] = j;
    for (auto& columns : unit_columns_) {
      for (int64_t& c : columns) c = remap[static_cast<size_t>(c)];
    }
    for (int64_t j = 0; j < d; ++j) active_columns_[static_cast<size_t>(j)] = j;

    const at::Tensor gram = x_.t().mm(x_) + n * ridge_ * at::eye(d, opts);
    inverse_gram_ = d > 0 ? at::cholesky_inverse(at::linalg_cholesky(gram)) : at::zeros({0, 0}, opts);
    const at::Tensor cross = x_.t().mm(y_);  // X^T Y [d, m]
    coefficients_ = inverse_gram_.mm(cross);
    at::Tensor scatter = y_.t().mm(y_) - cross.t().mm(coefficients_) + n * ridge_ * at::eye(targets_, opts);
    scatter = 0.5 * (scatter + scatter.t());
    precision_ = targets_ > 0 ? at::cholesky_inverse(at::linalg_cholesky(scatter)) : at::zeros({0, 0}, opts);
    fits_ = 1;
  }

  std::string_view estimator() const override { return "linear"; }

  // I(u; Y) alone = 1/2 [log det(A_u) - log det(A_u - C_u S^-1 C_u^T)] with A_u = X_u^T X_u + n lambda I,
  // C_u = X_u^T Y and S = Y^T Y + n lambda I (the gaussian MI by the determinant lemma), for all
  // units from one product C S^-1 C^T.
  std::vector<double> unit_information() override {
    const double n = static_cast<double>(samples_);
    const auto opts = x_.options();
    std::vector<double> out(unit_columns_.size(), 0.0);
    if (targets_ == 0 || x_.size(1) == 0) return out;
    const at::Tensor s = y_.t().mm(y_) + n * ridge_ * at::eye(targets_, opts);
    const at::Tensor cross = x_.t().mm(y_);                                         // [d, m]
    const at::Tensor explained = cross.mm(at::cholesky_solve(cross.t(), at::linalg_cholesky(s)));  // C S^-1 C^T
    for (size_t u = 0; u < unit_columns_.size(); ++u) {
      if (unit_columns_[u].empty()) continue;
      const at::Tensor idx = at::tensor(unit_columns_[u], at::kLong);
      const at::Tensor xu = x_.index_select(1, idx);
      const at::Tensor a = xu.t().mm(xu) + n * ridge_ * at::eye(idx.size(0), opts);
      const at::Tensor q = explained.index_select(0, idx).index_select(1, idx);
      out[u] = 0.5 * (log_det_spd(a) - log_det_spd(0.5 * ((a - q) + (a - q).t())));
    }
    fits_ += static_cast<int64_t>(unit_columns_.size());
    return out;
  }

  UnitTest test(int64_t unit) override {
    const std::vector<int64_t> s = positions(unit);
    UnitTest t;
    if (s.empty() || targets_ == 0) return t;  // a dead unit, or nothing to predict: no information
    const Update up = update_for(s);
    t.information = std::max(0.0, 0.5 * (log_det_spd(up.inner) - log_det_spd(up.h_ss)));
    // Residual scatter rises by B_S^T H_SS^-1 B_S; its trace over n m is the mean squared error's rise.
    const at::Tensor b_s = coefficients_.index_select(0, at::tensor(s, at::kLong));
    t.loss_increase = at::cholesky_solve(b_s, at::linalg_cholesky(up.h_ss)).mul(b_s).sum().item<double>() /
                      static_cast<double>(samples_ * targets_);
    const int64_t k = static_cast<int64_t>(s.size());
    const int64_t others = static_cast<int64_t>(active_columns_.size()) - k;
    const TestResult r = likelihood_ratio_test(t.information, samples_, k, targets_, others, 0.95);
    t.statistic = r.statistic;
    t.log_p_value = log_chi_square_survival(r.statistic, static_cast<double>(k * targets_));
    ++fits_;
    return t;
  }

  void remove(int64_t unit) override {
    check_unit(unit);
    const std::vector<int64_t> s = positions(unit);
    active_units_[static_cast<size_t>(unit)] = false;
    if (s.empty()) return;
    const Update up = update_for(s);
    std::vector<int64_t> keep;
    std::vector<int64_t> kept_columns;
    size_t next = 0;
    for (int64_t p = 0; p < static_cast<int64_t>(active_columns_.size()); ++p) {
      if (next < s.size() && s[next] == p) {
        ++next;
        continue;
      }
      keep.push_back(p);
      kept_columns.push_back(active_columns_[static_cast<size_t>(p)]);
    }
    const at::Tensor keep_idx = at::tensor(keep, at::kLong), s_idx = at::tensor(s, at::kLong);
    const at::Tensor h_os = inverse_gram_.index_select(0, keep_idx).index_select(1, s_idx);  // [a-k, k]
    const at::Tensor h_ss_inv = at::cholesky_inverse(at::linalg_cholesky(up.h_ss));
    const at::Tensor b_s = coefficients_.index_select(0, s_idx);  // [k, m]
    if (targets_ > 0) {
      const at::Tensor pb = precision_.mm(b_s.t());  // P B_S^T [m, k]
      precision_ = precision_ - pb.mm(at::cholesky_solve(pb.t(), at::linalg_cholesky(up.inner)));
      precision_ = 0.5 * (precision_ + precision_.t());
    }
    inverse_gram_ = inverse_gram_.index_select(0, keep_idx).index_select(1, keep_idx) - h_os.mm(h_ss_inv).mm(h_os.t());
    inverse_gram_ = 0.5 * (inverse_gram_ + inverse_gram_.t());
    coefficients_ = coefficients_.index_select(0, keep_idx) - h_os.mm(h_ss_inv).mm(b_s);
    active_columns_ = kept_columns;
  }

  int64_t fits() const override { return fits_; }

 private:
  struct Update {
    at::Tensor h_ss;   // H_SS [k, k]
    at::Tensor inner;  // H_SS + B_S P B_S^T [k, k]
  };

  Update update_for(const std::vector<int64_t>& s) const {
    const at::Tensor idx = at::tensor(s, at::kLong);
    Update up;
    up.h_ss = inverse_gram_.index_select(0, idx).index_select(1, idx);
    const at::Tensor b_s = coefficients_.index_select(0, idx);
    up.inner = up.h_ss + b_s.mm(precision_).mm(b_s.t());
    up.inner = 0.5 * (up.inner + up.inner.t());
    return up;
  }

  void check_unit(int64_t unit) const {
    MIPP_CHECK(unit >= 0 && unit < static_cast<int64_t>(unit_columns_.size()), kInvalidArgument,
               "linear elimination: unit {} of {}", unit, unit_columns_.size());
    MIPP_CHECK(active_units_[static_cast<size_t>(unit)], kInvalidArgument, "linear elimination: unit {} was removed",
               unit);
  }

  // Positions of the unit's columns in the active set, ascending.
  std::vector<int64_t> positions(int64_t unit) const {
    check_unit(unit);
    std::vector<int64_t> out;
    const auto& columns = unit_columns_[static_cast<size_t>(unit)];
    for (int64_t p = 0; p < static_cast<int64_t>(active_columns_.size()); ++p) {
      for (int64_t c : columns) {
        if (active_columns_[static_cast<size_t>(p)] == c) out.push_back(p);
      }
    }
    return out;
  }

  double ridge_ = 0;
  int64_t samples_ = 0, targets_ = 0, fits_ = 0;
  at::Tensor x_, y_;                              // standardised, [n, d] and [n, m]
  std::vector<std::vector<int64_t>> unit_columns_;  // columns of x_ per unit
  std::vector<bool> active_units_;
  std::vector<int64_t> active_columns_;           // columns of x_ still in the fit, in H's order
  at::Tensor inverse_gram_, coefficients_, precision_;
};

}  // namespace

std::unique_ptr<Elimination> make_linear_elimination(const nlohmann::json& options, const EliminationProblem& problem) {
  LinearOptions o = options.get<LinearOptions>();
  validate(o);
  MIPP_CHECK(o.ridge > 0, kInvalidArgument,
             "linear elimination: ridge {}: must be > 0 (dead and duplicated units make the fit singular)", o.ridge);
  return std::make_unique<LinearElimination>(o, problem);
}

}  // namespace mipp::info
