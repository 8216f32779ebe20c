#pragma once
// Non-parametric denoising auto-encoders (SPEC 2.4; DAE paper section 4, Figure 3): the theory's check
// in a setting where the asymptotic limit is reachable. A reconstruction distribution P(X | X~) is
// estimated from training pairs (x_i, x~_i ~ C(. | x_i)) without any parametric model, and the chain
// X~_t ~ C(. | X_t), X_{t+1} ~ P(. | X~_t) is run. Its stationary distribution estimates the data's.
//
// Randomness: training pair i's corruption comes from Philox(seed, i, 0); chain c's step t from
// Philox(seed, c, t) (first the corruption, then the reconstruction draw). Chains run in parallel in
// fixed blocks, so results do not depend on the thread count.

#include "random.h"
#include "tensor.h"

#include <Eigen/Core>

#include <cstdint>
#include <vector>

namespace gsn {

// X takes K discrete values 0..K-1 (K = 10 in the paper); P(X | X~) by counting.
class DiscreteNpDae {
public:
    // corruption: C(x~ | x), shape = [K, K], row x, rows sum to 1 (else gsn::Error).
    explicit DiscreteNpDae(Eigen::MatrixXd corruption);

    // A local corruption on a ring of K values: x~ = x with probability `keep`, else x + d (mod K) with
    // d uniform in {-width..-1, 1..width}. Requires 0 <= keep <= 1 and 1 <= width, 2 width < K.
    static Eigen::MatrixXd ringCorruption(int values, double keep, int width);
    // The Bayes reconstruction of infinite data: P(x | x~) = p(x) C(x~ | x) / sum_x' p(x') C(x~ | x').
    // Shape = [K, K], row x~. (Rows of unreachable x~ are uniform.)
    static Eigen::MatrixXd bayesReconstruction(const Eigen::VectorXd& p, const Eigen::MatrixXd& corruption);
    // n draws from the categorical distribution p (sums to 1); draw i from Philox(seed, i, 0).
    static std::vector<int> sampleCategorical(const Eigen::VectorXd& p, int n, std::uint64_t seed);

    int values() const { return static_cast<int>(m_corruption.rows()); }
    const Eigen::MatrixXd& corruption() const { return m_corruption; }

    // Counting (maximum-likelihood) estimator from the training pairs (x_i, x~_i), x~_i drawn from
    // C(. | x_i) with Philox(seed, i, 0): P(x | x~) = N(x~, x) / N(x~). A corrupted value never seen gets
    // a uniform row (it cannot occur for the ring corruption with a few thousand pairs). Values must be
    // in [0, K) (else gsn::Error).
    void fit(const std::vector<int>& samples, std::uint64_t seed);
    // Uses a given reconstruction (shape = [K, K], row x~, rows sum to 1), e.g. bayesReconstruction().
    void setReconstruction(Eigen::MatrixXd reconstruction);
    // P(x | x~), shape = [K, K], row x~ (empty before fit()).
    const Eigen::MatrixXd& reconstruction() const { return m_reconstruction; }
    // Empirical distribution of the training samples given to fit(), size K.
    const Eigen::VectorXd& empirical() const { return m_empirical; }

    // The chain's transition matrix T = C P: T(x, x') = sum_x~ C(x~ | x) P(x' | x~), shape = [K, K].
    Eigen::MatrixXd transitionMatrix() const;
    // The stationary distribution pi = pi T by power iteration from uniform (to max change < tol).
    Eigen::VectorXd stationaryDistribution(double tol = 1e-14, int maxIterations = 1000000) const;

    // Runs C = start.size() chains for `steps` steps; returns the states after each step,
    // row-major shape = [C, steps] (element c * steps + t is chain c after step t + 1).
    std::vector<int> run(const std::vector<int>& start, int steps, std::uint64_t seed) const;
    // One chain step of every value in x (C chains, values in [0, K)) with Philox(seed, c, step): the
    // same draws as step `step` of run().
    void step(std::vector<int>& x, std::uint64_t seed, std::uint64_t step) const;

private:
    void checkChain(const std::vector<int>& x) const;

    Eigen::MatrixXd m_corruption;
    Eigen::MatrixXd m_reconstruction;
    Eigen::VectorXd m_empirical;
};

// X in R^d; Gaussian corruption; P(X | X~) a Parzen (kernel) conditional estimator over the pairs:
//   P(x | x~) = sum_i w_i(x~) N(x; x_i, s^2 I),  w_i(x~) ∝ exp(-|x~ - x~_i|^2 / (2 h^2)),
// the conditional of a product-kernel Parzen estimate of the joint density of (x, x~).
class ParzenNpDae {
public:
    struct Options {
        double corruptionSigma = 0.3; // C(x~ | x) = N(x, sigma^2 I)
        double inputBandwidth = 0.1;  // h: kernel width on x~
        double outputSigma = 0.05;    // s: kernel width on x (0 = resample training points exactly)
    };

    // Throws gsn::Error unless corruptionSigma > 0, inputBandwidth > 0, outputSigma >= 0.
    explicit ParzenNpDae(const Options& options);

    // Training pairs from data (shape = [n, d], n >= 1): x~_i = x_i + sigma N(0, I), Philox(seed, i, 0).
    void fit(const Matrix& data, std::uint64_t seed);
    // Uses given pairs (shape = [n, d] each) as they are.
    void setPairs(const Matrix& clean, const Matrix& corrupted);

    const Options& options() const { return m_options; }
    const Matrix& clean() const { return m_clean; }         // shape = [n, d]: x_i
    const Matrix& corrupted() const { return m_corrupted; } // shape = [n, d]: x~_i
    int dimension() const { return static_cast<int>(m_clean.cols()); }

    // Mixture weights w(x~) over the n pairs for one corrupted point (shape = [1, d]); sums to 1.
    Eigen::VectorXd weights(const RowVector& corruptedPoint) const;
    // Draws x ~ P(. | x~ row) for every row of xt (shape = [m, d]); row r from Philox(seed, r, step).
    Matrix sampleConditional(const Matrix& xt, std::uint64_t seed, std::uint64_t step) const;

    // One chain step for every row of x (shape = [C, d]): x~ = x + sigma N(0, I), then x ~ P(. | x~).
    // Chain c's noise: Philox(seed, c, step).
    void step(Matrix& x, std::uint64_t seed, std::uint64_t step) const;
    // Runs the chains from x0 (shape = [C, d]) for `steps` steps (Philox steps 0..steps-1); returns every
    // state after a step, shape = [C * steps, d], row c * steps + t = chain c after step t + 1.
    Matrix run(const Matrix& x0, int steps, std::uint64_t seed) const;

private:
    // Samples rows [begin, end) of xt into out, drawing each row's uniforms from rng[row - begin].
    void sampleRows(const Matrix& xt, Matrix& out, std::size_t begin, std::size_t end, std::vector<Philox>& rng) const;

    Options m_options;
    Matrix m_clean;
    Matrix m_corrupted;
    Eigen::VectorXf m_corruptedNorms; // |x~_i|^2
};

} // namespace gsn
