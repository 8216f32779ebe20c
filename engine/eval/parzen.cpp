#include "parzen.h"

#include "error.h"
#include "gemmkernel.h"
#include "parallel.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <mutex>
#include <numbers>
#include <string>

namespace gsn {
namespace {

// Points per parallel block. Fixed (never derived from the thread count) so the result is the same
// on any number of threads; 128 rows keep a block's float distance tile (128 x kSampleBlock) in L2.
constexpr std::size_t kPointBlock = 128;
// Samples per distance tile: the streaming log-sum-exp folds one tile at a time into each row.
// A multiple of the kernel's panel width (48).
constexpr Eigen::Index kSampleBlock = 1536;
// Terms whose exponent is this far below the row's largest weigh < e^-32 = 1.3e-14 each.
constexpr double kNegligibleExponent = 32.0;
// Float distances from the product are off by at most about this fraction of ||x||^2 + ||mu||^2
// (measured on MNIST, 300 test x 10000 train digits, centred: 1.0e-6 at worst, 1.7e-4 absolute; 4e-6
// leaves a margin). It widens the refinement window, and refinement is skipped altogether when that
// error times 1 / 2 sigma^2 stays under kRefineTolerance nats.
constexpr float kFloatErrorScale = 4e-6f;
constexpr double kRefineTolerance = 1e-5;
// At most this many terms per row and tile are refined (the nearest ones), which bounds the cost when
// many samples are nearly equal (a chain that stays in one mode); the others keep their float error.
constexpr std::size_t kMaxRefined = 32;

void checkInputs(const Matrix& samples, const Matrix& points, const std::vector<double>& sigmas)
{
    if (samples.rows() < 1)
        fail("parzen", "samples", "expected at least one sample, got 0");
    if (samples.cols() < 1)
        fail("parzen", "samples", "expected at least one dimension, got 0");
    if (points.cols() != samples.cols())
        fail("parzen", "points", "expected " + std::to_string(samples.cols()) + " columns (the samples' width), got " +
                                     std::to_string(points.cols()));
    if (sigmas.empty())
        fail("parzen", "sigmas", "expected at least one kernel width, got none");
    for (double s : sigmas)
        if (!(s > 0.0) || !std::isfinite(s))
            fail("parzen", "sigma", "expected a finite value > 0, got " + std::to_string(s));
    if (!samples.allFinite())
        fail("parzen", "samples", "expected finite values, got NaN or infinity");
    if (!points.allFinite())
        fail("parzen", "points", "expected finite values, got NaN or infinity");
}

// The products x.mu of a block of points with every sample, one tile of samples at a time.
//
// With AVX-512 this is our own kernel (gemmkernel.h): 8 points x 48 samples of accumulators (24 zmm
// registers) over the whole depth, on operands packed into panels once (samples) or once per block (points). It runs
// at OpenBLAS's AVX-512 speed, which matters because the OpenBLAS in Debian 12 (0.3.21) does not
// recognise Zen 4/5 CPUs and falls back to its AVX2 kernels, half as fast. Without AVX-512 the tile
// is one Eigen product (OpenBLAS's sgemm when the engine is built with it).
class ProductTiles {
public:
    // mu: shape = [M, d], the (centred) samples. Packed once here.
    explicit ProductTiles(const Matrix& mu) : m_mu(mu)
    {
#if defined(__AVX512F__)
        m_packedMu = pack(mu, kCols);
#endif
    }

    // Rows a tile buffer needs for a block of `rows` points (the kernel writes whole panels).
    static Eigen::Index paddedRows(Eigen::Index rows)
    {
#if defined(__AVX512F__)
        return (rows + kRows - 1) / kRows * kRows;
#else
        return rows;
#endif
    }

    // A block of points ready for product(): x shape = [nr, d], kept by reference.
    struct Points {
        const Matrix& x;
        std::vector<float> packed;
    };
    static Points preparePoints(const Matrix& x)
    {
#if defined(__AVX512F__)
        return {x, pack(x, kRows)};
#else
        return {x, {}};
#endif
    }

    // tile(r, j) = x_r . mu_{c0 + j} for r < nr, j < nc. tile: shape = [paddedRows(nr), kSampleBlock].
    void product(const Points& points, Eigen::Index c0, Eigen::Index nc, Matrix& tile) const
    {
#if defined(__AVX512F__)
        const Eigen::Index d = m_mu.cols();
        const Eigen::Index rowPanels = (points.x.rows() + kRows - 1) / kRows;
        const Eigen::Index colPanels = (nc + kCols - 1) / kCols;
        // Sample panel outside, point panels inside: the sample panel (48 x d floats, 150 KB for
        // MNIST) stays in L2 while the block's point panels (8 x d floats each) stream past it.
        for (Eigen::Index q = 0; q < colPanels; ++q) {
            const float* mp = m_packedMu.data() + (c0 / kCols + q) * kCols * d;
            for (Eigen::Index p = 0; p < rowPanels; ++p)
                kernel(points.packed.data() + p * kRows * d, mp, d, tile.data() + p * kRows * tile.cols() + q * kCols,
                       tile.cols());
        }
#else
        tile.block(0, 0, points.x.rows(), nc).noalias() = points.x * m_mu.middleRows(c0, nc).transpose();
#endif
    }

private:
#if defined(__AVX512F__)
    static constexpr Eigen::Index kRows = gemm::kRows; // points per kernel panel
    static constexpr Eigen::Index kCols = gemm::kCols; // samples per kernel panel (3 zmm registers)
    static_assert(kSampleBlock % kCols == 0);

    static std::vector<float> pack(const Matrix& a, Eigen::Index width) { return gemm::packRows(a, width); }

    // g[i][j] = sum_k xp[k][i] * mp[k][j] for an 8 x 48 block; g has row stride ldg.
    static void kernel(const float* xp, const float* mp, Eigen::Index depth, float* g, Eigen::Index ldg)
    {
        const float* const rows[kRows] = {xp, xp + 1, xp + 2, xp + 3, xp + 4, xp + 5, xp + 6, xp + 7};
        gemm::kernel<kRows>(rows, mp, depth, g, ldg, false);
    }

    std::vector<float> m_packedMu;
#endif
    const Matrix& m_mu;
};

} // namespace

std::vector<double> logSpace(double lo, double hi, int n)
{
    std::vector<double> out;
    for (int i = 0; i < n; ++i)
        out.push_back(std::pow(10.0, n == 1 ? lo : lo + i * (hi - lo) / (n - 1)));
    return out;
}

std::vector<double> defaultSigmaGrid()
{
    return logSpace(-1.0, 0.0, 10);
}

std::optional<Eigen::MatrixXd> parzenLogDensity(const Matrix& samples, const Matrix& points,
                                                const std::vector<double>& sigmas, const ParzenProgress& progress,
                                                const std::atomic<bool>* cancel)
{
    checkInputs(samples, points, sigmas);
    const Eigen::Index m = samples.rows();
    const Eigen::Index d = samples.cols();
    const Eigen::Index n = points.rows();
    const int s = static_cast<int>(sigmas.size());

    // Centring both sets on the samples' mean leaves distances unchanged but shrinks the norms, so the
    // cancellation in ||x||^2 + ||mu||^2 - 2 x.mu loses fewer float digits.
    const Eigen::RowVectorXd centreD = samples.cast<double>().colwise().mean();
    const RowVector centre = centreD.cast<float>();
    const Matrix mu = samples.rowwise() - centre;
    const Eigen::VectorXf muNorm = mu.rowwise().squaredNorm();
    const ProductTiles products(mu);

    std::vector<double> inv2s2(s);
    std::vector<double> logNorm(s);  // log M + d log(sigma sqrt(2 pi))
    for (int k = 0; k < s; ++k) {
        inv2s2[k] = 1.0 / (2.0 * sigmas[k] * sigmas[k]);
        logNorm[k] = std::log(static_cast<double>(m)) +
                     static_cast<double>(d) * std::log(sigmas[k] * std::sqrt(2.0 * std::numbers::pi));
    }

    const double maxInv2s2 = *std::max_element(inv2s2.begin(), inv2s2.end());
    const float window = static_cast<float>(kNegligibleExponent / maxInv2s2);

    Eigen::MatrixXd out(n, s);
    std::atomic<bool> cancelled{false};
    std::mutex progressMutex;
    long long done = 0;

    parallelFor(static_cast<std::size_t>(n), kPointBlock, [&](std::size_t begin, std::size_t end) {
        if (cancelled.load(std::memory_order_relaxed) || (cancel && cancel->load(std::memory_order_relaxed))) {
            cancelled = true;
            return;
        }
        const Eigen::Index r0 = static_cast<Eigen::Index>(begin);
        const Eigen::Index nr = static_cast<Eigen::Index>(end - begin);
        const Matrix x = points.middleRows(r0, nr).rowwise() - centre;
        const Eigen::VectorXf xNorm = x.rowwise().squaredNorm();

        // Streaming log-sum-exp. The largest term of row r is its nearest sample for every sigma, so one
        // running base distance serves the whole grid: sums(r, k) = sum_i exp(-(d_ri - base_r) / 2 s_k^2).
        // base_r is an exact (double) distance, so the -base_r / 2 s^2 part carries no float error.
        Eigen::VectorXd base = Eigen::VectorXd::Constant(nr, std::numeric_limits<double>::infinity());
        Eigen::VectorXf approxMin = Eigen::VectorXf::Constant(nr, std::numeric_limits<float>::infinity());
        Eigen::MatrixXd sums = Eigen::MatrixXd::Zero(nr, s);
        Matrix tile(ProductTiles::paddedRows(nr), kSampleBlock);
        const ProductTiles::Points block = ProductTiles::preparePoints(x);
        std::vector<Eigen::Index> cand;
        std::vector<double> exact;

        for (Eigen::Index c0 = 0; c0 < m; c0 += kSampleBlock) {
            if (cancel && cancel->load(std::memory_order_relaxed)) {
                cancelled = true;
                return;
            }
            const Eigen::Index nc = std::min(kSampleBlock, m - c0);
            // The one matrix product of this tile.
            products.product(block, c0, nc, tile);
            auto g = tile.block(0, 0, nr, nc);
            const auto muNormTile = muNorm.segment(c0, nc).transpose().array();
            const float muNormMax = muNormTile.maxCoeff();
            for (Eigen::Index r = 0; r < nr; ++r) {
                auto dist = g.row(r).array();
                dist = (muNormTile - 2.0f * dist + xNorm[r]).max(0.0f);
                const float tileMin = dist.minCoeff();
                approxMin[r] = std::min(approxMin[r], tileMin);

                // Refine the terms near the minimum with exact distances. Their float error (about
                // 1e-6 of the norms, from the GEMM's accumulation and the cancellation) is multiplied by
                // 1 / 2 sigma^2 = 50 at sigma 0.1; terms further than `window` weigh < e^-32 at every sigma.
                const float floatError = kFloatErrorScale * (xNorm[r] + muNormMax);
                cand.clear();
                if (floatError * maxInv2s2 > kRefineTolerance) {
                    const float threshold = approxMin[r] + window + 2.0f * floatError;
                    for (Eigen::Index i = 0; i < nc; ++i)
                        if (dist[i] <= threshold)
                            cand.push_back(i);
                    if (cand.size() > kMaxRefined) {
                        std::nth_element(cand.begin(), cand.begin() + kMaxRefined, cand.end(),
                                         [&](Eigen::Index a, Eigen::Index b) { return dist[a] < dist[b]; });
                        cand.resize(kMaxRefined);
                    }
                } else {
                    Eigen::Index arg = 0;
                    dist.minCoeff(&arg);
                    cand.push_back(arg);
                }
                exact.resize(cand.size());
                double candMin = std::numeric_limits<double>::infinity();
                for (std::size_t j = 0; j < cand.size(); ++j) {
                    exact[j] = (points.row(r0 + r).cast<double>() - samples.row(c0 + cand[j]).cast<double>())
                                   .squaredNorm();
                    candMin = std::min(candMin, exact[j]);
                    dist[cand[j]] = std::numeric_limits<float>::infinity();  // summed exactly below
                }
                if (candMin < base[r]) {
                    // Rescale what earlier tiles summed relative to the old base (nothing on the first tile).
                    if (std::isfinite(base[r]))
                        for (int k = 0; k < s; ++k)
                            sums(r, k) *= std::exp(-(base[r] - candMin) * inv2s2[k]);
                    base[r] = candMin;
                }
                const float baseF = static_cast<float>(base[r]);
                for (int k = 0; k < s; ++k) {
                    double sum = static_cast<double>(((baseF - dist) * static_cast<float>(inv2s2[k])).exp().sum());
                    for (double e : exact)
                        sum += std::exp(-(e - base[r]) * inv2s2[k]);
                    sums(r, k) += sum;
                }
            }
        }
        for (Eigen::Index r = 0; r < nr; ++r)
            for (int k = 0; k < s; ++k)
                out(r0 + r, k) = std::log(sums(r, k)) - base[r] * inv2s2[k] - logNorm[k];

        if (progress) {
            std::lock_guard lock(progressMutex);
            done += nr;
            progress(done, n);
        }
    });
    if (cancelled || (cancel && cancel->load()))
        return std::nullopt;
    return out;
}

MeanAndError meanAndStandardError(const Eigen::VectorXd& values)
{
    MeanAndError r;
    const Eigen::Index n = values.size();
    if (n == 0)
        return r;
    r.mean = values.mean();
    const double var = (values.array() - r.mean).square().sum() / static_cast<double>(n);
    r.standardError = std::sqrt(var) / std::sqrt(static_cast<double>(n));
    return r;
}

int argmaxIndex(const std::vector<double>& values)
{
    int best = -1;
    for (int i = 0; i < static_cast<int>(values.size()); ++i)
        if (best < 0 || values[i] > values[best])
            best = i;
    return best;
}

std::optional<ParzenResult> parzenEvaluate(const Matrix& samples, const Matrix& validation, const Matrix& test,
                                           const std::vector<double>& sigmas, const ParzenProgress& progress,
                                           const std::atomic<bool>* cancel)
{
    const auto t0 = std::chrono::steady_clock::now();
    if (validation.rows() < 1)
        fail("parzen", "validation", "expected at least one validation point, got 0");
    if (test.rows() < 1)
        fail("parzen", "test", "expected at least one test point, got 0");
    const long long total = validation.rows() + test.rows();

    // Validation: every sigma from the same distance tiles.
    ParzenProgress validProgress;
    if (progress)
        validProgress = [&](long long done, long long) { progress(done, total); };
    const auto valid = parzenLogDensity(samples, validation, sigmas, validProgress, cancel);
    if (!valid)
        return std::nullopt;

    ParzenResult result;
    std::vector<double> means;
    for (int k = 0; k < static_cast<int>(sigmas.size()); ++k) {
        means.push_back(valid->col(k).mean());
        result.curve.emplace_back(sigmas[k], means.back());
    }
    result.sigma = sigmas[argmaxIndex(means)];

    // Test: the chosen sigma only (one exponential per pair instead of one per pair and sigma).
    ParzenProgress testProgress;
    if (progress)
        testProgress = [&](long long done, long long) { progress(validation.rows() + done, total); };
    const auto testLl = parzenLogDensity(samples, test, {result.sigma}, testProgress, cancel);
    if (!testLl)
        return std::nullopt;
    result.testLogDensity = testLl->col(0);
    const MeanAndError me = meanAndStandardError(result.testLogDensity);
    result.mean = me.mean;
    result.standardError = me.standardError;
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return result;
}

} // namespace gsn
