#include "pointkernel.h"

#include "error.h"
#include "parallel.h"
#include "random.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>
#include <string>

namespace gsn {

namespace {

using Arr = Eigen::Map<Eigen::ArrayXf, Eigen::AlignedMax>;
using CArr = Eigen::Map<const Eigen::ArrayXf, Eigen::AlignedMax>;

constexpr int kLanes = 16; // padding of every array: a multiple of the widest float packet (AVX-512)

// Offsets (in floats) of the per-block arrays inside PointChainState::scratch.
struct BlockLayout {
    int d = 0, pairs = 0;
    std::size_t xs, ys, gx, gy, lpx, lpy, uA, uB, z, logu, mask, beta, density, total;
    BlockLayout(int dim, std::size_t densityFloats)
        : d(dim)
        , pairs((dim + 1) / 2)
    {
        const std::size_t B = kPointBlock, dB = static_cast<std::size_t>(dim) * B;
        std::size_t o = 0;
        xs = o, o += dB;
        ys = o, o += dB;
        gx = o, o += dB;
        gy = o, o += dB;
        z = o, o += dB;
        mask = o, o += dB;
        uA = o, o += static_cast<std::size_t>(pairs) * B;
        uB = o, o += static_cast<std::size_t>(pairs) * B;
        lpx = o, o += B;
        lpy = o, o += B;
        logu = o, o += B;
        beta = o, o += B;
        density = o, o += (densityFloats + kLanes - 1) / kLanes * kLanes;
        total = o;
    }
};

} // namespace

PointDensity::PointDensity(std::shared_ptr<const Target> target)
    : m_target(std::move(target))
{
    if (!m_target)
        fail("point sampler", "target", "expected a target density");
    m_d = m_target->dimension();
    if (const auto* mix = dynamic_cast<const GaussianMixtureTarget*>(m_target.get())) {
        m_mixture = true;
        m_k = mix->components();
        const double d = m_d;
        for (int j = 0; j < m_k; ++j) {
            const double s = mix->sds()(j);
            for (int i = 0; i < m_d; ++i)
                m_means.push_back(mix->means()(j, i));
            m_logConst.push_back(static_cast<float>(std::log(static_cast<double>(mix->weights()(j))) - d * std::log(s)
                                                    - 0.5 * d * std::log(2.0 * std::numbers::pi)));
            m_halfInvVar.push_back(static_cast<float>(0.5 / (s * s)));
            m_invVar.push_back(static_cast<float>(1.0 / (s * s)));
        }
    }
}

std::size_t PointDensity::scratchFloats(int n) const
{
    return m_mixture ? static_cast<std::size_t>(m_k + 2) * static_cast<std::size_t>(n) : 0;
}

void PointDensity::evaluate(const float* x, int n, float* logp, float* grad, float* scratch) const
{
    const Eigen::Index N = n;
    if (!m_mixture) {
        // Any target: its batch methods on a row-major copy (allocates; the lab's mixtures take the path below).
        Matrix pts(N, m_d);
        for (int i = 0; i < m_d; ++i)
            pts.col(i) = Eigen::Map<const Vector>(x + static_cast<std::size_t>(i) * n, N);
        Eigen::Map<Vector>(logp, N) = m_target->logDensity(pts);
        if (grad) {
            const Matrix g = m_target->gradLogDensity(pts);
            for (int i = 0; i < m_d; ++i)
                Eigen::Map<Vector>(grad + static_cast<std::size_t>(i) * n, N) = g.col(i);
        }
        return;
    }
    // Mixture: t_j = log w_j - d log s_j - d/2 log 2 pi - |x - mu_j|^2 / (2 s_j^2); log-sum-exp over j.
    Arr m(scratch + static_cast<std::size_t>(m_k) * n, N);
    Arr s(scratch + static_cast<std::size_t>(m_k + 1) * n, N);
    for (int j = 0; j < m_k; ++j) {
        Arr t(scratch + static_cast<std::size_t>(j) * n, N);
        const float* mu = &m_means[static_cast<std::size_t>(j * m_d)];
        t = (CArr(x, N) - mu[0]).square();
        for (int i = 1; i < m_d; ++i)
            t += (CArr(x + static_cast<std::size_t>(i) * n, N) - mu[i]).square();
        t = m_logConst[static_cast<std::size_t>(j)] - m_halfInvVar[static_cast<std::size_t>(j)] * t;
        if (j == 0)
            m = t;
        else
            m = m.max(t);
    }
    s.setZero();
    for (int j = 0; j < m_k; ++j) {
        Arr t(scratch + static_cast<std::size_t>(j) * n, N);
        t = (t - m).exp(); // unnormalised responsibilities
        s += t;
    }
    Arr(logp, N) = m + s.log();
    if (!grad)
        return;
    // grad = sum_j r_j (mu_j - x) / s_j^2 with r_j = e_j / sum e: (sum_j e_j mu_j / s_j^2 - x sum_j e_j / s_j^2) / sum e.
    Arr a(scratch + static_cast<std::size_t>(m_k) * n, N); // reuses m (no longer needed)
    a.setZero();
    for (int j = 0; j < m_k; ++j)
        a += m_invVar[static_cast<std::size_t>(j)] * Arr(scratch + static_cast<std::size_t>(j) * n, N);
    s = s.inverse();
    for (int i = 0; i < m_d; ++i) {
        Arr g(grad + static_cast<std::size_t>(i) * n, N);
        g = -a * CArr(x + static_cast<std::size_t>(i) * n, N);
        for (int j = 0; j < m_k; ++j)
            g += (m_invVar[static_cast<std::size_t>(j)] * m_means[static_cast<std::size_t>(j * m_d + i)])
               * Arr(scratch + static_cast<std::size_t>(j) * n, N);
        g *= s;
    }
}

std::shared_ptr<const Target> requireTarget(std::shared_ptr<const Target> target, const char* who)
{
    if (!target)
        fail(who, "target", "expected a target density");
    return target;
}

std::unique_ptr<PointChainState> startPointChains(const PointDensity& density, const Matrix& x0, const char* who)
{
    const int d = density.dimension();
    if (x0.rows() < 1 || x0.cols() != d || !x0.allFinite())
        fail(who, "chain start", "expected finite points of shape [C >= 1, " + std::to_string(d) + "]");
    if (static_cast<std::uint64_t>(x0.rows()) >= (std::uint64_t{1} << 32))
        fail(who, "chain start", "expected fewer than 2^32 chains");
    auto s = std::make_unique<PointChainState>();
    s->x = x0;
    s->mean = x0;
    return s;
}

void stepPointChains(const PointDensity& density, const PointMoveParams& params, PointChainState& s,
                     std::uint64_t seed, const ChainClamp* clamp, const float* rowBeta)
{
    const int d = density.dimension();
    const Eigen::Index chains = s.x.rows();
    if (s.x.cols() != d)
        fail(params.who, "chain state", "expected " + std::to_string(d) + " columns");
    if (clamp && (clamp->mask.rows() != chains || clamp->mask.cols() != d))
        fail(params.who, "clamp", "expected a mask of shape [C, d]");
    const bool needGrad = params.move != PointMove::RandomWalk;
    const bool metropolis = params.move != PointMove::Ula;
    const BlockLayout L(d, density.scratchFloats(kPointBlock));
    const std::size_t blocks = (static_cast<std::size_t>(chains) + kPointBlock - 1) / kPointBlock;
    if (s.scratch.size() != blocks * L.total)
        s.scratch.assign(blocks * L.total, 0.0f);
    s.blockAccepts.assign(blocks, 0);
    // The cache fits when it was made for these chains (and has the score if this move needs one).
    const bool cacheShape = s.cachedX.rows() == chains && s.cachedX.cols() == d && s.logp.size() == chains
                         && (!needGrad || (s.cacheHasGrad && s.grad.rows() == chains));
    if (!cacheShape) {
        s.cachedX.resize(chains, d);
        s.logp.resize(chains);
        s.grad.resize(needGrad ? chains : 0, d);
    }
    const float eps = params.stepSize, h = 0.5f * eps * eps, inv2eps2 = 1.0f / (2.0f * eps * eps);
    constexpr float twoPi = 2.0f * std::numbers::pi_v<float>;
    const std::uint64_t step = s.step;

    parallelFor(static_cast<std::size_t>(chains), kPointBlock, [&](std::size_t begin, std::size_t end) {
        const std::size_t blk = begin / kPointBlock;
        float* base = s.scratch.data() + blk * L.total;
        const auto b = static_cast<Eigen::Index>(begin);
        const int n = static_cast<int>(end - begin);
        constexpr int B = kPointBlock;
        const auto col = [&](std::size_t off, int i) { return base + off + static_cast<std::size_t>(i) * B; };
        // Gather x (padding rows repeat the block's first chain).
        for (int i = 0; i < d; ++i) {
            float* xs = col(L.xs, i);
            for (int r = 0; r < B; ++r)
                xs[r] = s.x(b + (r < n ? r : 0), i);
        }
        // log p and score at x: the cache unless x was written since the last step.
        bool fresh = cacheShape;
        if (fresh)
            fresh = std::memcmp(s.x.row(b).data(), s.cachedX.row(b).data(), sizeof(float) * static_cast<std::size_t>(n * d)) == 0;
        if (fresh) {
            for (int r = 0; r < B; ++r)
                base[L.lpx + r] = s.logp(b + (r < n ? r : 0));
            if (needGrad)
                for (int i = 0; i < d; ++i)
                    for (int r = 0; r < B; ++r)
                        col(L.gx, i)[r] = s.grad(b + (r < n ? r : 0), i);
        } else {
            density.evaluate(base + L.xs, B, base + L.lpx, needGrad ? base + L.gx : nullptr, base + L.density);
        }
        // Noise: uniforms per chain (scalar Philox), then Box-Muller over the block.
        for (int r = 0; r < B; ++r) {
            if (r >= n) {
                for (int p = 0; p < L.pairs; ++p)
                    col(L.uA, p)[r] = col(L.uB, p)[r] = 0.5f;
                base[L.logu + r] = 0.5f;
                continue;
            }
            Philox rng(seed, params.stream(static_cast<std::uint64_t>(b + r)), step);
            for (int p = 0; p < L.pairs; ++p) {
                col(L.uA, p)[r] = rng.uniform();
                col(L.uB, p)[r] = rng.uniform();
            }
            base[L.logu + r] = metropolis ? rng.uniform() : 0.5f;
        }
        for (int p = 0; p < L.pairs; ++p) {
            Arr ua(col(L.uA, p), B), ub(col(L.uB, p), B);
            ua = (-2.0f * ua.log()).sqrt(); // radius
            ub *= twoPi;                    // angle
            Arr(col(L.z, 2 * p), B) = ua * ub.cos();
            if (2 * p + 1 < d)
                Arr(col(L.z, 2 * p + 1), B) = ua * ub.sin();
        }
        Arr lu(base + L.logu, B);
        lu = lu.log();
        Arr beta(base + L.beta, B);
        for (int r = 0; r < B; ++r)
            beta[r] = rowBeta ? rowBeta[b + (r < n ? r : 0)] : 1.0f;
        for (int i = 0; i < d; ++i) {
            float* m = col(L.mask, i);
            for (int r = 0; r < B; ++r)
                m[r] = clamp && r < n ? 1.0f - clamp->mask(b + r, i) : 1.0f;
        }
        // Proposal.
        for (int i = 0; i < d; ++i) {
            Arr y(col(L.ys, i), B), x(col(L.xs, i), B), z(col(L.z, i), B), m(col(L.mask, i), B);
            if (needGrad)
                y = x + m * (eps * z + (h * beta) * Arr(col(L.gx, i), B));
            else
                y = x + m * (eps * z);
        }
        density.evaluate(base + L.ys, B, base + L.lpy, needGrad ? base + L.gy : nullptr, base + L.density);
        // Log acceptance ratio: beta (log p(y) - log p(x)), plus the proposal ratio for MALA.
        Arr lpx(base + L.lpx, B), lpy(base + L.lpy, B);
        std::uint64_t count = 0;
        if (metropolis) {
            Arr ratio(col(L.uA, 0), B); // the uniforms are spent: reuse their buffer
            ratio = beta * (lpy - lpx);
            if (params.move == PointMove::Mala) {
                // log q(x | y) - log q(y | x) = (|y - x - h b g(x)|^2 - |x - y - h b g(y)|^2) / (2 eps^2), free coordinates.
                for (int i = 0; i < d; ++i) {
                    CArr x(col(L.xs, i), B), y(col(L.ys, i), B), gx(col(L.gx, i), B), gy(col(L.gy, i), B), m(col(L.mask, i), B);
                    ratio += m * ((y - x - (h * beta) * gx).square() - (x - y - (h * beta) * gy).square()) * inv2eps2;
                }
            }
            for (int r = 0; r < n; ++r) {
                const bool ok = lu[r] < ratio[r]; // false for NaN: reject
                base[L.beta + r] = ok ? 1.0f : 0.0f; // beta is no longer needed: reuse as the accept flag
                count += ok ? 1 : 0;
            }
        } else {
            for (int r = 0; r < n; ++r)
                base[L.beta + r] = 1.0f;
            count = 0;
        }
        // Write back the points and the caches.
        for (int r = 0; r < n; ++r) {
            const bool ok = base[L.beta + r] != 0.0f;
            const std::size_t src = ok ? L.ys : L.xs, gsrc = ok ? L.gy : L.gx;
            for (int i = 0; i < d; ++i) {
                const float v = col(src, i)[r];
                s.x(b + r, i) = v;
                s.cachedX(b + r, i) = v;
                if (needGrad)
                    s.grad(b + r, i) = col(gsrc, i)[r];
            }
            s.logp(b + r) = ok ? lpy[r] : lpx[r];
        }
        s.blockAccepts[blk] = count;
    });
    if (metropolis) {
        for (std::uint64_t a : s.blockAccepts)
            s.accepts += a;
        s.proposals += static_cast<std::uint64_t>(chains);
    }
    s.cacheHasGrad = needGrad;
    s.mean = s.x;
    ++s.step;
}

std::vector<double> pointEnergies(const PointDensity& density, const PointChainState& state)
{
    // The cache holds log p of the points the last step left (the same kernel values the accept test
    // used); anything written since is evaluated afresh.
    const bool cached = state.cachedX.rows() == state.x.rows() && state.cachedX.cols() == state.x.cols()
                     && state.logp.size() == state.x.rows() && state.cachedX == state.x;
    const Vector logp = cached ? state.logp : density.target().logDensity(state.x);
    std::vector<double> e(static_cast<std::size_t>(logp.size()));
    for (Eigen::Index c = 0; c < logp.size(); ++c)
        e[static_cast<std::size_t>(c)] = -static_cast<double>(logp(c));
    return e;
}

} // namespace gsn
