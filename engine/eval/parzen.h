#pragma once
// Parzen-window log-likelihood (Breuleux et al. 2011; SPEC section 4).
//
// Given M samples mu_i and a point x in R^d, an isotropic Gaussian kernel of width sigma gives
//   log p(x) = logsumexp_i(-||x - mu_i||^2 / (2 sigma^2)) - log M - d log(sigma sqrt(2 pi)).
// Distances are computed by blocks with one float matrix product per block
// (||x||^2 + ||mu||^2 - 2 x.mu, after centring both sets on the samples' mean), and every sigma of a
// grid is evaluated from the same distance block with a streaming log-sum-exp, so memory stays
// bounded whatever M is. Work is split over fixed blocks of points (gsn::parallelFor), so results do
// not depend on the thread count. Float distances are off by up to ~1e-6 of ||x||^2 + ||mu||^2, which
// 1 / 2 sigma^2 (50 at sigma 0.1) would turn into ~1e-2 nats, so the terms near each point's nearest
// sample (all that carry weight at small sigma) are recomputed exactly in double. Against a direct
// double-precision evaluation the result then agrees to ~1e-5 nats per point on MNIST (bench_parzen
// --check: 1.1e-5 at sigma 0.1 and 1, 1e-13 at 0.2); tests/tst_parzen.cpp checks 1e-3.

#include "tensor.h"

#include <Eigen/Core>

#include <atomic>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

namespace gsn {

// logspace(lo, hi, n): 10^(lo + i (hi - lo) / (n - 1)), i = 0 .. n-1 (one value 10^lo when n == 1).
std::vector<double> logSpace(double lo, double hi, int n);

// The SPEC grid of kernel widths: logspace(-1, 0, 10).
std::vector<double> defaultSigmaGrid();

// Progress of a Parzen evaluation: `done` of `total` points processed (all sigmas of a point count
// once). Called from worker threads, one call at a time.
using ParzenProgress = std::function<void(long long done, long long total)>;

// Log-density of every point under every sigma of the grid.
// samples: shape = [M, d] (M >= 1), the kernel centres; points: shape = [N, d]; sigmas: each > 0.
// Returns shape = [N, S] (column s for sigmas[s]), in nats, or nullopt when *cancel became true
// (checked once per block of points and samples). Throws gsn::Error for mismatched widths, an empty
// sample set, a non-finite value or a sigma that is not positive.
std::optional<Eigen::MatrixXd> parzenLogDensity(const Matrix& samples, const Matrix& points,
                                                const std::vector<double>& sigmas, const ParzenProgress& progress = {},
                                                const std::atomic<bool>* cancel = nullptr);

// Mean of the values and its standard error: std / sqrt(N), with the population standard deviation
// (numpy's default, ddof = 0; for N = 10000 the ddof = 1 version differs by 0.005 %).
struct MeanAndError {
    double mean = 0.0;
    double standardError = 0.0;
};
MeanAndError meanAndStandardError(const Eigen::VectorXd& values);

// Index of the largest value (the first one on ties); -1 for an empty list.
int argmaxIndex(const std::vector<double>& values);

// The full protocol's result.
struct ParzenResult {
    double sigma = 0.0;                              // the width chosen on the validation set
    double mean = 0.0;                               // mean test log-likelihood (nats)
    double standardError = 0.0;                      // std / sqrt(N) over the test points
    std::vector<std::pair<double, double>> curve;    // validation curve: [sigma, mean log-likelihood]
    Eigen::VectorXd testLogDensity;                  // shape = [N_test], log p(x) at the chosen sigma
    double seconds = 0.0;                            // wall time of the evaluation
};

// SPEC 4 protocol: every sigma of the grid on `validation` (shape = [V, d]), the argmax of its mean
// log-likelihood chosen, then the test set (shape = [N, d]) at that sigma only. Progress counts
// validation then test points. nullopt when cancelled.
std::optional<ParzenResult> parzenEvaluate(const Matrix& samples, const Matrix& validation, const Matrix& test,
                                           const std::vector<double>& sigmas, const ParzenProgress& progress = {},
                                           const std::atomic<bool>* cancel = nullptr);

} // namespace gsn
