#include "tempering.h"

#include "error.h"
#include "parallel.h"
#include "random.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

namespace gsn {
namespace {

constexpr std::size_t kChainBlock = 16; // chains per parallel block for the swap phase (fixed)

} // namespace

std::vector<double> TemperingState::acceptanceRates() const
{
    std::vector<double> rates(swapAttempts.size(), 0.0);
    for (std::size_t i = 0; i < rates.size(); ++i) {
        if (swapAttempts[i] > 0)
            rates[i] = static_cast<double>(swapAccepts[i]) / static_cast<double>(swapAttempts[i]);
    }
    return rates;
}

ParallelTempering::ParallelTempering(std::vector<float> betas)
    : m_betas(std::move(betas))
{
    if (m_betas.empty())
        fail("tempering", "betas", "expected at least one inverse temperature");
    if (m_betas[0] != 1.0f)
        fail("tempering", "betas", "expected beta_0 = 1, got " + std::to_string(m_betas[0]));
    for (std::size_t r = 1; r < m_betas.size(); ++r) {
        if (!(m_betas[r] < m_betas[r - 1]) || !(m_betas[r] > 0.0f))
            fail("tempering", "betas", "expected strictly decreasing values in (0, 1], got beta_" + std::to_string(r)
                                           + " = " + std::to_string(m_betas[r]));
    }
}

std::vector<float> ParallelTempering::geometricBetas(int replicas, float betaMin)
{
    if (replicas < 1)
        fail("tempering", "replicas", "expected at least 1");
    if (!(betaMin > 0.0f && betaMin <= 1.0f))
        fail("tempering", "beta_min", "expected a value in (0, 1]");
    std::vector<float> betas(static_cast<std::size_t>(replicas), 1.0f);
    for (int r = 1; r < replicas; ++r)
        betas[static_cast<std::size_t>(r)] =
            static_cast<float>(std::pow(static_cast<double>(betaMin), static_cast<double>(r) / (replicas - 1)));
    return betas;
}

TemperingState ParallelTempering::start(const Rbm& rbm, const Matrix& x0) const
{
    const int nv = rbm.options().visible;
    if (x0.cols() != nv || x0.rows() == 0)
        fail("tempering", "chain start", "expected shape [C >= 1, " + std::to_string(nv) + "]");
    const Eigen::Index chains = x0.rows();
    const auto replicas = static_cast<Eigen::Index>(m_betas.size());
    TemperingState state;
    state.chains = rbm.startChains(x0);
    state.v.resize(replicas * chains, nv);
    for (Eigen::Index r = 0; r < replicas; ++r)
        state.v.middleRows(r * chains, chains) = x0;
    state.h = Matrix::Zero(replicas * chains, rbm.options().hidden);
    state.swapAttempts.assign(m_betas.size() - 1, 0);
    state.swapAccepts.assign(m_betas.size() - 1, 0);
    return state;
}

void ParallelTempering::step(const Rbm& rbm, TemperingState& state, std::uint64_t seed, const Matrix* clampMask,
                             const Matrix* clampValues) const
{
    const Eigen::Index chains = state.chains.x.rows();
    const auto replicas = static_cast<Eigen::Index>(m_betas.size());
    const int nv = rbm.options().visible;
    const int nh = rbm.options().hidden;
    if (state.v.rows() != replicas * chains || state.v.cols() != nv || state.h.rows() != replicas * chains
        || state.h.cols() != nh)
        fail("tempering", "state", "expected replicas of shape [R*C, n_visible] and [R*C, n_hidden]");
    if ((clampMask != nullptr) != (clampValues != nullptr))
        fail("tempering", "clamp", "expected both a mask and values, or neither");
    if (clampMask
        && (clampMask->rows() != clampValues->rows() || (clampMask->rows() != chains && clampMask->rows() != 1)))
        fail("tempering", "clamp", "expected mask and values with one row per chain, or one row for all");
    const std::uint64_t step = state.chains.step;

    // 1. A Gibbs sweep in every replica at its temperature (one batched call over all R*C rows).
    const auto rows = static_cast<std::size_t>(replicas * chains);
    std::vector<float> beta(rows);
    std::vector<std::uint64_t> streams(rows);
    for (Eigen::Index r = 0; r < replicas; ++r) {
        for (Eigen::Index c = 0; c < chains; ++c) {
            const auto i = static_cast<std::size_t>(r * chains + c);
            beta[i] = m_betas[static_cast<std::size_t>(r)];
            streams[i] = replicaStream(static_cast<std::uint64_t>(c), static_cast<std::uint64_t>(r));
        }
    }
    Matrix mean;
    std::vector<double> energy;
    rbm.gibbsSweep(state.v, state.h, mean, beta, streams, seed, step, clampMask, clampValues, &energy);

    // 2. Neighbour swaps, pair (0,1) first, each chain with its own stream; record per chain, merge
    // in chain order below.
    const auto pairs = static_cast<std::size_t>(replicas - 1);
    std::vector<std::uint8_t> accepted(static_cast<std::size_t>(chains) * pairs, 0);
    std::vector<std::uint8_t> topChanged(static_cast<std::size_t>(chains), 0);
    if (pairs > 0) {
        parallelFor(static_cast<std::size_t>(chains), kChainBlock, [&](std::size_t begin, std::size_t end) {
            for (std::size_t c = begin; c < end; ++c) {
                Philox rng(seed, swapStream(c), step);
                for (std::size_t r = 0; r < pairs; ++r) {
                    const auto i = static_cast<Eigen::Index>(r) * chains + static_cast<Eigen::Index>(c);
                    const Eigen::Index j = i + chains;
                    const double logRatio = (static_cast<double>(m_betas[r]) - m_betas[r + 1])
                                            * (energy[static_cast<std::size_t>(i)] - energy[static_cast<std::size_t>(j)]);
                    const double u = rng.uniform();
                    if (logRatio >= 0.0 || u < std::exp(logRatio)) {
                        state.v.row(i).swap(state.v.row(j));
                        state.h.row(i).swap(state.h.row(j));
                        std::swap(energy[static_cast<std::size_t>(i)], energy[static_cast<std::size_t>(j)]);
                        accepted[c * pairs + r] = 1;
                        if (r == 0)
                            topChanged[c] = 1;
                    }
                }
            }
        });
    }
    for (std::size_t r = 0; r < pairs; ++r) {
        state.swapAttempts[r] += static_cast<std::uint64_t>(chains);
        for (Eigen::Index c = 0; c < chains; ++c)
            state.swapAccepts[r] += accepted[static_cast<std::size_t>(c) * pairs + r];
    }

    // 3. Replica 0 is what is shown. Its displayed mean is P(v | h) at beta = 1: the sweep already
    // computed it unless a swap brought in another replica's state, then it is recomputed.
    ChainState& shown = state.chains;
    shown.x = state.v.topRows(chains);
    if (shown.h.empty())
        shown.h.emplace_back();
    shown.h[0] = state.h.topRows(chains);
    shown.mean = mean.topRows(chains);
    for (Eigen::Index c = 0; c < chains; ++c) {
        if (!topChanged[static_cast<std::size_t>(c)])
            continue;
        RowVector a = state.h.row(c) * rbm.weights().transpose() + rbm.visibleBias();
        shown.mean.row(c) = (1.0f + (-a.array()).exp()).inverse().matrix();
        if (clampMask) {
            const Eigen::Index cr = clampMask->rows() == 1 ? 0 : c;
            for (int i = 0; i < nv; ++i) {
                if ((*clampMask)(cr, i) > 0.5f)
                    shown.mean(c, i) = (*clampValues)(cr, i);
            }
        }
    }
    ++shown.step;
}

} // namespace gsn
