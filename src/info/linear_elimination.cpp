#include "info/linear_elimination.h"

#include <ATen/core/Tensor.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/cholesky_inverse.h>
#include <ATen/ops/cholesky_solve.h>
#include <ATen/ops/eye.h>
#include <ATen/ops/linalg_cholesky.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/zeros.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include <nlohmann/json.hpp>

#include "info/checks.h"
#include "info/chi_square.h"
#include "info/columns.h"
#include "mipp/info/linear_proxy.h"
#include "mipp/util/error.h"

namespace mipp::info {

namespace {

// A dense row-major matrix of doubles. The elimination's matrices are at most a few hundred
// columns wide and each test or removal touches a k-column slice of them, where ATen's overhead
// per operation (microseconds, a dozen operations per test) cost more than the arithmetic: plain
// loops made MIPP's search on LeNet-5 several times faster.
struct Dense {
  int64_t rows = 0, cols = 0;
  std::vector<double> v;

  Dense() = default;
  Dense(int64_t r, int64_t c) : rows(r), cols(c), v(static_cast<size_t>(r * c), 0.0) {}
  double& operator()(int64_t i, int64_t j) { return v[static_cast<size_t>(i * cols + j)]; }
  double operator()(int64_t i, int64_t j) const { return v[static_cast<size_t>(i * cols + j)]; }
};

Dense to_dense(const at::Tensor& t) {
  const at::Tensor c = t.to(at::kDouble).contiguous();
  Dense d(c.size(0), c.size(1));
  std::copy(c.data_ptr<double>(), c.data_ptr<double>() + c.numel(), d.v.begin());
  return d;
}

// The [S, S] block of a square matrix.
Dense block(const Dense& a, const std::vector<int64_t>& s) {
  Dense b(static_cast<int64_t>(s.size()), static_cast<int64_t>(s.size()));
  for (size_t i = 0; i < s.size(); ++i) {
    for (size_t j = 0; j < s.size(); ++j) b(static_cast<int64_t>(i), static_cast<int64_t>(j)) = a(s[i], s[j]);
  }
  return b;
}

// Lower Cholesky factor of a symmetric positive definite k x k matrix; `what` names it in the
// error a rounding-broken (non-positive-definite) matrix gives.
Dense cholesky(const Dense& a, const char* what) {
  const int64_t k = a.rows;
  Dense l(k, k);
  for (int64_t j = 0; j < k; ++j) {
    double pivot = a(j, j);
    for (int64_t p = 0; p < j; ++p) pivot -= l(j, p) * l(j, p);
    MIPP_CHECK(pivot > 0 && std::isfinite(pivot), kNumerical,
               "linear elimination: {} is not positive definite (pivot {} at column {})", what, pivot, j);
    l(j, j) = std::sqrt(pivot);
    for (int64_t i = j + 1; i < k; ++i) {
      double sum = a(i, j);
      for (int64_t p = 0; p < j; ++p) sum -= l(i, p) * l(j, p);
      l(i, j) = sum / l(j, j);
    }
  }
  return l;
}

double log_det(const Dense& l) {  // of L L^T, from its factor L
  double sum = 0;
  for (int64_t i = 0; i < l.rows; ++i) sum += std::log(l(i, i));
  return 2 * sum;
}

// Solves (L L^T) x = b in place for one right-hand side of length k.
void solve(const Dense& l, double* b) {
  const int64_t k = l.rows;
  for (int64_t i = 0; i < k; ++i) {
    for (int64_t p = 0; p < i; ++p) b[i] -= l(i, p) * b[p];
    b[i] /= l(i, i);
  }
  for (int64_t i = k - 1; i >= 0; --i) {
    for (int64_t p = i + 1; p < k; ++p) b[i] -= l(p, i) * b[p];
    b[i] /= l(i, i);
  }
}

// rows x k: row r solved against (L L^T), i.e. M (L L^T)^-1 for a symmetric L L^T.
Dense times_inverse(Dense m, const Dense& l) {
  for (int64_t r = 0; r < m.rows; ++r) solve(l, &m.v[static_cast<size_t>(r * m.cols)]);
  return m;
}

void symmetrize(Dense& a) {
  for (int64_t i = 0; i < a.rows; ++i) {
    for (int64_t j = i + 1; j < a.cols; ++j) a(i, j) = a(j, i) = 0.5 * (a(i, j) + a(j, i));
  }
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
    target_weights_ = column_weights(problem.target_weights, y.size(1), ys.kept);

    // Constant columns carry no information and are dropped, so a dead unit has no columns at all.
    unit_columns_ = unit_positions("linear elimination", xs, x.size(1), problem.units);
    active_units_.assign(unit_columns_.size(), true);
    for (const auto& columns : unit_columns_) {
      for (int64_t c : columns) active_columns_.push_back(c);
    }
    const int64_t d = static_cast<int64_t>(active_columns_.size());
    MIPP_CHECK(samples_ > d + targets_ + 1, kInvalidArgument,
               "linear elimination: {} samples are too few for {} unit columns and {} target columns; "
               "give more calibration samples (at least {})",
               samples_, d, targets_, d + targets_ + 2);

    const auto opts = x.options();
    const double n = static_cast<double>(samples_);
    const at::Tensor xa =
        d > 0 ? xs.data.index_select(1, at::tensor(active_columns_, at::kLong)) : at::zeros({samples_, 0}, opts);
    const at::Tensor ya = targets_ > 0 ? ys.data : at::zeros({samples_, 0}, opts);
    // active_columns_ now index columns of xa (0 .. d-1).
    std::vector<int64_t> remap(xs.kept.size(), -1);
    for (int64_t j = 0; j < d; ++j) remap[static_cast<size_t>(active_columns_[static_cast<size_t>(j)])] = j;
    for (auto& columns : unit_columns_) {
      for (int64_t& c : columns) c = remap[static_cast<size_t>(c)];
    }
    for (int64_t j = 0; j < d; ++j) active_columns_[static_cast<size_t>(j)] = j;

    const at::Tensor gram = xa.t().mm(xa) + n * ridge_ * at::eye(d, opts);
    const at::Tensor inverse_gram = d > 0 ? at::cholesky_inverse(at::linalg_cholesky(gram)) : at::zeros({0, 0}, opts);
    const at::Tensor cross = xa.t().mm(ya);  // X^T Y [d, m]
    const at::Tensor coefficients = inverse_gram.mm(cross);
    const at::Tensor target_scatter = ya.t().mm(ya) + n * ridge_ * at::eye(targets_, opts);  // S = Y^T Y + n lambda I
    at::Tensor scatter = target_scatter - cross.t().mm(coefficients);
    scatter = 0.5 * (scatter + scatter.t());
    const at::Tensor precision =
        targets_ > 0 ? at::cholesky_inverse(at::linalg_cholesky(scatter)) : at::zeros({0, 0}, opts);
    // C S^-1 C^T: unit_information()'s explained part of every unit at once.
    const at::Tensor explained = targets_ > 0 && d > 0
                                     ? cross.mm(at::cholesky_solve(cross.t(), at::linalg_cholesky(target_scatter)))
                                     : at::zeros({d, d}, opts);
    gram_ = to_dense(gram);
    explained_ = to_dense(explained);
    inverse_gram_ = to_dense(inverse_gram);
    coefficients_ = to_dense(coefficients);
    precision_ = to_dense(precision);
    fits_ = 1;
  }

  std::string_view estimator() const override { return "linear"; }

  // I(u; Y) alone = 1/2 [log det(A_u) - log det(A_u - C_u S^-1 C_u^T)] with A_u = X_u^T X_u + n lambda I,
  // C_u = X_u^T Y and S = Y^T Y + n lambda I (the gaussian MI by the determinant lemma), for all
  // units from one product C S^-1 C^T.
  std::vector<double> unit_information() override {
    std::vector<double> out(unit_columns_.size(), 0.0);
    if (targets_ == 0 || gram_.rows == 0) return out;
    for (size_t u = 0; u < unit_columns_.size(); ++u) {
      const std::vector<int64_t>& s = unit_columns_[u];
      if (s.empty()) continue;
      const Dense a = block(gram_, s);
      Dense rest = a;
      const Dense q = block(explained_, s);
      for (size_t i = 0; i < rest.v.size(); ++i) rest.v[i] -= q.v[i];
      symmetrize(rest);
      out[u] = 0.5 * (log_det(cholesky(a, "a unit's Gram block")) -
                      log_det(cholesky(rest, "a unit's residual scatter")));
    }
    fits_ += static_cast<int64_t>(unit_columns_.size());
    return out;
  }

  UnitTest test(int64_t unit) override {
    const std::vector<int64_t> s = positions(unit);
    UnitTest t;
    if (s.empty() || targets_ == 0) return t;  // a dead unit, or nothing to predict: no information
    const Update up = update_for(s);
    t.information = std::max(0.0, 0.5 * (log_det(up.inner_factor) - log_det(up.h_ss_factor)));
    // Residual scatter rises by B_S^T H_SS^-1 B_S; its (weighted) trace over n m is the mean squared
    // error's rise.
    Dense b_s_t = transpose(up.b_s);                    // [m, k]
    const Dense solved = times_inverse(b_s_t, up.h_ss_factor);  // B_S^T H_SS^-1
    double rise = 0;
    for (int64_t c = 0; c < targets_; ++c) {
      double column_rise = 0;
      for (int64_t i = 0; i < up.b_s.rows; ++i) column_rise += solved(c, i) * up.b_s(i, c);
      rise += target_weights_[static_cast<size_t>(c)] * column_rise;
    }
    t.loss_increase = rise / static_cast<double>(samples_ * targets_);
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
    const int64_t a = inverse_gram_.rows, k = static_cast<int64_t>(s.size()), m = targets_;
    std::vector<int64_t> keep;
    std::vector<int64_t> kept_columns;
    size_t next = 0;
    for (int64_t p = 0; p < a; ++p) {
      if (next < s.size() && s[next] == p) {
        ++next;
        continue;
      }
      keep.push_back(p);
      kept_columns.push_back(active_columns_[static_cast<size_t>(p)]);
    }
    const int64_t o = static_cast<int64_t>(keep.size());
    if (m > 0) {  // P' = P - (P B_S^T) inner^-1 (B_S P)
      const Dense v = times_inverse(up.pb, up.inner_factor);  // [m, k]
      for (int64_t r = 0; r < m; ++r) {
        for (int64_t c = 0; c < m; ++c) {
          double sum = 0;
          for (int64_t i = 0; i < k; ++i) sum += v(r, i) * up.pb(c, i);
          precision_(r, c) -= sum;
        }
      }
      symmetrize(precision_);
    }
    Dense h_os(o, k);  // H_OS
    for (int64_t p = 0; p < o; ++p) {
      for (int64_t i = 0; i < k; ++i) h_os(p, i) = inverse_gram_(keep[static_cast<size_t>(p)], s[static_cast<size_t>(i)]);
    }
    const Dense w = times_inverse(h_os, up.h_ss_factor);  // H_OS H_SS^-1 [o, k]
    Dense h(o, o);  // H' = H_OO - W H_OS^T
    for (int64_t p = 0; p < o; ++p) {
      for (int64_t q = 0; q < o; ++q) {
        double sum = 0;
        for (int64_t i = 0; i < k; ++i) sum += w(p, i) * h_os(q, i);
        h(p, q) = inverse_gram_(keep[static_cast<size_t>(p)], keep[static_cast<size_t>(q)]) - sum;
      }
    }
    symmetrize(h);
    Dense b(o, m);  // B' = B_O - W B_S
    for (int64_t p = 0; p < o; ++p) {
      for (int64_t c = 0; c < m; ++c) {
        double sum = 0;
        for (int64_t i = 0; i < k; ++i) sum += w(p, i) * up.b_s(i, c);
        b(p, c) = coefficients_(keep[static_cast<size_t>(p)], c) - sum;
      }
    }
    inverse_gram_ = std::move(h);
    coefficients_ = std::move(b);
    active_columns_ = kept_columns;
  }

  int64_t fits() const override { return fits_; }

 private:
  struct Update {
    Dense b_s;           // B_S [k, m]
    Dense pb;            // P B_S^T [m, k]
    Dense h_ss_factor;   // Cholesky factor of H_SS [k, k]
    Dense inner_factor;  // of H_SS + B_S P B_S^T [k, k]
  };

  // Weights of the standardised target columns, mean 1: all 1 without weights; otherwise the given
  // weights of the kept (non-constant) columns scaled to mean 1, so that the loss stays a fraction
  // of the target's (weighted) variance and one loss threshold means the same for every layer.
  static std::vector<double> column_weights(const at::Tensor& weights, int64_t columns, const std::vector<int64_t>& kept) {
    std::vector<double> out(kept.size(), 1.0);
    if (!weights.defined() || kept.empty()) return out;
    MIPP_CHECK(weights.dim() == 1 && weights.size(0) == columns, kInvalidArgument,
               "linear elimination: {} target weights for {} target columns", weights.numel(), columns);
    const at::Tensor w = weights.to(at::kDouble).contiguous();
    const double* data = w.data_ptr<double>();
    double sum = 0;
    for (size_t j = 0; j < kept.size(); ++j) {
      out[j] = data[kept[j]];
      MIPP_CHECK(std::isfinite(out[j]) && out[j] >= 0, kInvalidArgument,
                 "linear elimination: target weight {} of column {} must be finite and >= 0", out[j], kept[j]);
      sum += out[j];
    }
    MIPP_CHECK(sum > 0, kInvalidArgument, "linear elimination: the target weights are all 0");
    for (double& v : out) v *= static_cast<double>(kept.size()) / sum;
    return out;
  }

  static Dense transpose(const Dense& a) {
    Dense t(a.cols, a.rows);
    for (int64_t i = 0; i < a.rows; ++i) {
      for (int64_t j = 0; j < a.cols; ++j) t(j, i) = a(i, j);
    }
    return t;
  }

  Update update_for(const std::vector<int64_t>& s) const {
    const int64_t k = static_cast<int64_t>(s.size()), m = targets_;
    Update up;
    const Dense h_ss = block(inverse_gram_, s);
    up.b_s = Dense(k, m);
    for (int64_t i = 0; i < k; ++i) {
      for (int64_t c = 0; c < m; ++c) up.b_s(i, c) = coefficients_(s[static_cast<size_t>(i)], c);
    }
    up.pb = Dense(m, k);
    for (int64_t r = 0; r < m; ++r) {
      for (int64_t i = 0; i < k; ++i) {
        double sum = 0;
        for (int64_t c = 0; c < m; ++c) sum += precision_(r, c) * up.b_s(i, c);
        up.pb(r, i) = sum;
      }
    }
    Dense inner = h_ss;
    for (int64_t i = 0; i < k; ++i) {
      for (int64_t j = 0; j < k; ++j) {
        double sum = 0;
        for (int64_t r = 0; r < m; ++r) sum += up.b_s(i, r) * up.pb(r, j);
        inner(i, j) += sum;
      }
    }
    symmetrize(inner);
    up.h_ss_factor = cholesky(h_ss, "the inverse Gram block of a unit");
    up.inner_factor = cholesky(inner, "a unit's update matrix");
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
  std::vector<std::vector<int64_t>> unit_columns_;  // columns of the standardised unit matrix per unit
  std::vector<double> target_weights_;              // per standardised target column, mean 1
  std::vector<bool> active_units_;
  std::vector<int64_t> active_columns_;           // those columns still in the fit, in H's order
  Dense gram_, explained_;                        // X^T X + n lambda I and C S^-1 C^T, of all columns
  Dense inverse_gram_, coefficients_, precision_;  // H, B, P of the active columns
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
