#include "npdae.h"

#include "error.h"
#include "parallel.h"
#include "randomstreams.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

namespace gsn {
namespace {

constexpr std::size_t kChainBlock = 16; // chains per parallel block (fixed: thread-count independent)

void checkStochastic(const Eigen::MatrixXd& m, const char* what)
{
    if (m.rows() < 2 || m.rows() != m.cols())
        fail("npdae", what, "expected a square matrix with at least 2 values");
    for (Eigen::Index r = 0; r < m.rows(); ++r) {
        if ((m.row(r).array() < 0.0).any() || !m.row(r).allFinite())
            fail("npdae", what, "expected non-negative finite entries (row " + std::to_string(r) + ")");
        if (std::abs(m.row(r).sum() - 1.0) > 1e-9)
            fail("npdae", what, "expected rows summing to 1 (row " + std::to_string(r) + ")");
    }
}

// Index of the first cumulative weight above u * total (cumulative row, last entry = total).
int drawFromCumulative(const double* cum, int n, double u)
{
    const double target = u * cum[n - 1];
    const double* it = std::upper_bound(cum, cum + n, target);
    return static_cast<int>(std::min<std::ptrdiff_t>(it - cum, n - 1));
}

// Row-major, so that a row's cumulative weights are contiguous for drawFromCumulative.
using RowMajorD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

RowMajorD cumulativeRows(const Eigen::MatrixXd& m)
{
    RowMajorD cum = m;
    for (Eigen::Index r = 0; r < m.rows(); ++r)
        for (Eigen::Index c = 1; c < m.cols(); ++c)
            cum(r, c) += cum(r, c - 1);
    return cum;
}

} // namespace

DiscreteNpDae::DiscreteNpDae(Eigen::MatrixXd corruption)
    : m_corruption(std::move(corruption))
{
    checkStochastic(m_corruption, "corruption");
}

Eigen::MatrixXd DiscreteNpDae::ringCorruption(int values, double keep, int width)
{
    if (values < 2 || width < 1 || 2 * width >= values || !(keep >= 0.0 && keep <= 1.0))
        fail("npdae", "ring corruption", "expected K >= 2, 0 <= keep <= 1 and 1 <= width < K / 2");
    Eigen::MatrixXd c = Eigen::MatrixXd::Zero(values, values);
    const double move = (1.0 - keep) / (2.0 * width);
    for (int x = 0; x < values; ++x) {
        c(x, x) = keep;
        for (int d = 1; d <= width; ++d) {
            c(x, (x + d) % values) += move;
            c(x, (x - d + values) % values) += move;
        }
    }
    return c;
}

Eigen::MatrixXd DiscreteNpDae::bayesReconstruction(const Eigen::VectorXd& p, const Eigen::MatrixXd& corruption)
{
    checkStochastic(corruption, "corruption");
    if (p.size() != corruption.rows())
        fail("npdae", "distribution", "expected one probability per value");
    const auto k = corruption.rows();
    Eigen::MatrixXd r(k, k);
    for (Eigen::Index xt = 0; xt < k; ++xt) {
        for (Eigen::Index x = 0; x < k; ++x)
            r(xt, x) = p(x) * corruption(x, xt);
        const double s = r.row(xt).sum();
        if (s > 0.0)
            r.row(xt) /= s;
        else
            r.row(xt).setConstant(1.0 / static_cast<double>(k));
    }
    return r;
}

std::vector<int> DiscreteNpDae::sampleCategorical(const Eigen::VectorXd& p, int n, std::uint64_t seed)
{
    if (p.size() < 1 || (p.array() < 0.0).any() || std::abs(p.sum() - 1.0) > 1e-9)
        fail("npdae", "distribution", "expected non-negative probabilities summing to 1");
    Eigen::VectorXd cum = p;
    for (Eigen::Index i = 1; i < cum.size(); ++i)
        cum(i) += cum(i - 1);
    std::vector<int> out(static_cast<std::size_t>(std::max(n, 0)));
    for (std::size_t i = 0; i < out.size(); ++i) {
        Philox rng(seed, streams::npdaeStream(i), 0);
        out[i] = drawFromCumulative(cum.data(), static_cast<int>(cum.size()), rng.uniform());
    }
    return out;
}

void DiscreteNpDae::fit(const std::vector<int>& samples, std::uint64_t seed)
{
    const int k = values();
    if (samples.empty())
        fail("npdae", "training samples", "expected at least one sample");
    const RowMajorD cumC = cumulativeRows(m_corruption);
    Eigen::MatrixXd counts = Eigen::MatrixXd::Zero(k, k); // row x~, column x
    m_empirical = Eigen::VectorXd::Zero(k);
    for (std::size_t i = 0; i < samples.size(); ++i) {
        const int x = samples[i];
        if (x < 0 || x >= k)
            fail("npdae", "training samples", "expected values in [0, " + std::to_string(k) + "), got "
                                                  + std::to_string(x) + " at index " + std::to_string(i));
        Philox rng(seed, streams::npdaeStream(i), 0);
        const int xt = drawFromCumulative(cumC.row(x).data(), k, rng.uniform());
        counts(xt, x) += 1.0;
        m_empirical(x) += 1.0;
    }
    m_empirical /= static_cast<double>(samples.size());
    for (int xt = 0; xt < k; ++xt) {
        const double n = counts.row(xt).sum();
        if (n > 0.0)
            counts.row(xt) /= n;
        else
            counts.row(xt).setConstant(1.0 / k);
    }
    m_reconstruction = std::move(counts);
}

void DiscreteNpDae::setReconstruction(Eigen::MatrixXd reconstruction)
{
    checkStochastic(reconstruction, "reconstruction");
    if (reconstruction.rows() != m_corruption.rows())
        fail("npdae", "reconstruction", "expected the corruption's size");
    m_reconstruction = std::move(reconstruction);
}

Eigen::MatrixXd DiscreteNpDae::transitionMatrix() const
{
    if (m_reconstruction.size() == 0)
        fail("npdae", "transition matrix", "the estimator is not fitted");
    return m_corruption * m_reconstruction;
}

Eigen::VectorXd DiscreteNpDae::stationaryDistribution(double tol, int maxIterations) const
{
    const Eigen::MatrixXd t = transitionMatrix();
    const auto k = t.rows();
    Eigen::RowVectorXd pi = Eigen::RowVectorXd::Constant(k, 1.0 / static_cast<double>(k));
    for (int it = 0; it < maxIterations; ++it) {
        Eigen::RowVectorXd next = pi * t;
        next /= next.sum();
        const double change = (next - pi).cwiseAbs().maxCoeff();
        pi = next;
        if (change < tol)
            return pi.transpose();
    }
    fail("npdae", "stationary distribution", "power iteration did not converge (is the chain periodic?)");
}

void DiscreteNpDae::checkChain(const std::vector<int>& x) const
{
    const int k = values();
    if (m_reconstruction.size() == 0)
        fail("npdae", "chain", "the estimator is not fitted");
    for (int v : x)
        if (v < 0 || v >= k)
            fail("npdae", "chain start", "expected values in [0, " + std::to_string(k) + ")");
}

std::vector<int> DiscreteNpDae::run(const std::vector<int>& start, int steps, std::uint64_t seed) const
{
    const int k = values();
    if (m_reconstruction.size() == 0)
        fail("npdae", "chain", "the estimator is not fitted");
    if (steps < 0)
        fail("npdae", "chain", "expected a non-negative number of steps");
    checkChain(start);
    const RowMajorD rc = cumulativeRows(m_corruption);
    const RowMajorD rp = cumulativeRows(m_reconstruction);
    const std::size_t chains = start.size();
    const auto s = static_cast<std::size_t>(steps);
    std::vector<int> out(chains * s);
    parallelFor(chains, kChainBlock, [&](std::size_t begin, std::size_t end) {
        for (std::size_t c = begin; c < end; ++c) {
            int x = start[c];
            for (std::size_t t = 0; t < s; ++t) {
                Philox rng(seed, streams::npdaeStream(c), t);
                const int xt = drawFromCumulative(rc.row(x).data(), k, rng.uniform());
                x = drawFromCumulative(rp.row(xt).data(), k, rng.uniform());
                out[c * s + t] = x;
            }
        }
    });
    return out;
}

void DiscreteNpDae::step(std::vector<int>& x, std::uint64_t seed, std::uint64_t step) const
{
    checkChain(x);
    const int k = values();
    // K x K work per call against C chains: recomputing the cumulative rows is cheap next to the draws.
    const RowMajorD rc = cumulativeRows(m_corruption);
    const RowMajorD rp = cumulativeRows(m_reconstruction);
    parallelFor(x.size(), kChainBlock, [&](std::size_t begin, std::size_t end) {
        for (std::size_t c = begin; c < end; ++c) {
            Philox rng(seed, streams::npdaeStream(static_cast<std::uint64_t>(c)), step);
            const int xt = drawFromCumulative(rc.row(x[c]).data(), k, rng.uniform());
            x[c] = drawFromCumulative(rp.row(xt).data(), k, rng.uniform());
        }
    });
}

ParzenNpDae::ParzenNpDae(const Options& options)
    : m_options(options)
{
    if (!(options.corruptionSigma > 0.0))
        fail("npdae", "corruption sigma", "expected a positive value");
    if (!(options.inputBandwidth > 0.0))
        fail("npdae", "input bandwidth", "expected a positive value");
    if (!(options.outputSigma >= 0.0))
        fail("npdae", "output sigma", "expected a non-negative value");
}

void ParzenNpDae::fit(const Matrix& data, std::uint64_t seed)
{
    if (data.rows() < 1 || data.cols() < 1 || !data.allFinite())
        fail("npdae", "training data", "expected at least one finite row");
    Matrix corrupted(data.rows(), data.cols());
    const auto sigma = static_cast<float>(m_options.corruptionSigma);
    for (Eigen::Index i = 0; i < data.rows(); ++i) {
        Philox rng(seed, streams::npdaeStream(static_cast<std::uint64_t>(i)), 0);
        for (Eigen::Index j = 0; j < data.cols(); ++j)
            corrupted(i, j) = data(i, j) + sigma * rng.normal();
    }
    setPairs(data, corrupted);
}

void ParzenNpDae::setPairs(const Matrix& clean, const Matrix& corrupted)
{
    if (clean.rows() < 1 || clean.cols() < 1 || clean.rows() != corrupted.rows() || clean.cols() != corrupted.cols()
        || !clean.allFinite() || !corrupted.allFinite())
        fail("npdae", "training pairs", "expected two finite matrices of the same shape [n >= 1, d >= 1]");
    m_clean = clean;
    m_corrupted = corrupted;
    m_corruptedNorms = m_corrupted.rowwise().squaredNorm();
}

Eigen::VectorXd ParzenNpDae::weights(const RowVector& corruptedPoint) const
{
    if (corruptedPoint.cols() != m_corrupted.cols())
        fail("npdae", "corrupted point", "expected " + std::to_string(m_corrupted.cols()) + " values");
    const double h2 = 2.0 * m_options.inputBandwidth * m_options.inputBandwidth;
    Eigen::VectorXd logits(m_corrupted.rows());
    for (Eigen::Index i = 0; i < m_corrupted.rows(); ++i)
        logits(i) = -(m_corrupted.row(i) - corruptedPoint).cast<double>().squaredNorm() / h2;
    const double m = logits.maxCoeff();
    Eigen::VectorXd w = (logits.array() - m).exp();
    return w / w.sum();
}

void ParzenNpDae::sampleRows(const Matrix& xt, Matrix& out, std::size_t begin, std::size_t end,
                             std::vector<Philox>& rng) const
{
    const auto b = static_cast<Eigen::Index>(begin);
    const auto m = static_cast<Eigen::Index>(end - begin);
    const Eigen::Index n = m_corrupted.rows();
    const Eigen::Index d = m_corrupted.cols();
    // Squared distances of the block's rows to every x~_i by one product: |a|^2 + |b|^2 - 2 a.b.
    Matrix dist(m, n);
    dist.noalias() = xt.middleRows(b, m) * m_corrupted.transpose();
    const Eigen::VectorXf rowNorms = xt.middleRows(b, m).rowwise().squaredNorm();
    const auto invH2 = static_cast<float>(1.0 / (2.0 * m_options.inputBandwidth * m_options.inputBandwidth));
    const auto s = static_cast<float>(m_options.outputSigma);
    Eigen::ArrayXf w(n);
    for (Eigen::Index r = 0; r < m; ++r) {
        // logit_i = -|x~ - x~_i|^2 / 2h^2 in float SIMD, shifted by the row maximum before exp (issue 13:
        // the scalar double loop ran at ~12 steps per CPU second for 1000 chains over 5000 pairs).
        w = ((rowNorms(r) + m_corruptedNorms.array() - 2.0f * dist.row(r).transpose().array()).max(0.0f)) * (-invH2);
        w = (w - w.maxCoeff()).exp();
        Philox& g = rng[static_cast<std::size_t>(r)];
        // The first i whose running sum exceeds u * total (an upper bound on the cumulative weights).
        const double target = static_cast<double>(g.uniform()) * w.cast<double>().sum();
        Eigen::Index pick = n - 1;
        double run = 0.0;
        for (Eigen::Index i = 0; i < n; ++i) {
            run += static_cast<double>(w[i]);
            if (run > target) {
                pick = i;
                break;
            }
        }
        for (Eigen::Index j = 0; j < d; ++j)
            out(b + r, j) = m_clean(pick, j) + (s > 0.0f ? s * g.normal() : 0.0f);
    }
}

Matrix ParzenNpDae::sampleConditional(const Matrix& xt, std::uint64_t seed, std::uint64_t step) const
{
    if (m_clean.size() == 0)
        fail("npdae", "conditional", "the estimator is not fitted");
    if (xt.cols() != m_clean.cols())
        fail("npdae", "conditional", "expected " + std::to_string(m_clean.cols()) + " columns");
    Matrix out(xt.rows(), xt.cols());
    parallelFor(static_cast<std::size_t>(xt.rows()), kChainBlock, [&](std::size_t begin, std::size_t end) {
        std::vector<Philox> rng;
        rng.reserve(end - begin);
        for (std::size_t r = begin; r < end; ++r)
            rng.emplace_back(seed, streams::npdaeStream(r), step);
        sampleRows(xt, out, begin, end, rng);
    });
    return out;
}

void ParzenNpDae::step(Matrix& x, std::uint64_t seed, std::uint64_t step) const
{
    if (m_clean.size() == 0)
        fail("npdae", "chain", "the estimator is not fitted");
    if (x.cols() != m_clean.cols())
        fail("npdae", "chain", "expected " + std::to_string(m_clean.cols()) + " columns");
    Matrix xt(x.rows(), x.cols());
    const auto sigma = static_cast<float>(m_options.corruptionSigma);
    parallelFor(static_cast<std::size_t>(x.rows()), kChainBlock, [&](std::size_t begin, std::size_t end) {
        std::vector<Philox> rng;
        rng.reserve(end - begin);
        for (std::size_t c = begin; c < end; ++c) {
            rng.emplace_back(seed, streams::npdaeStream(c), step);
            const auto r = static_cast<Eigen::Index>(c);
            for (Eigen::Index j = 0; j < x.cols(); ++j)
                xt(r, j) = x(r, j) + sigma * rng.back().normal();
        }
        sampleRows(xt, x, begin, end, rng);
    });
}

Matrix ParzenNpDae::run(const Matrix& x0, int steps, std::uint64_t seed) const
{
    if (steps < 0)
        fail("npdae", "chain", "expected a non-negative number of steps");
    Matrix x = x0;
    const Eigen::Index chains = x0.rows();
    Matrix out(chains * steps, x0.cols());
    for (int t = 0; t < steps; ++t) {
        step(x, seed, static_cast<std::uint64_t>(t));
        for (Eigen::Index c = 0; c < chains; ++c)
            out.row(c * steps + t) = x.row(c);
    }
    return out;
}

} // namespace gsn
