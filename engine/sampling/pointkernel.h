#pragma once
// The shared step of the Metropolis and Langevin samplers on points (rwmhsampler.h, langevinsampler.h):
// random-walk Metropolis, MALA and unadjusted Langevin over C chains in R^d under a Target, each chain
// optionally at its own inverse temperature beta (target p^beta, what parallel tempering runs).
//
// Why a kernel of its own: the step is a few dozen flops and k exponentials per chain, so it is
// written as structure-of-arrays Eigen expressions over blocks of kPointBlock chains (padded to the
// SIMD width, so every chain takes the packet path of exp / log / sin / cos and a chain's result does
// not depend on its position in a block or on the thread count), with the scratch of every block and
// the log-density and score of the current points kept in the state (no allocation per step, one
// target evaluation per step instead of two). A Gaussian mixture (the lab's targets) is evaluated by
// a fused kernel; any other Target through its batch logDensity / gradLogDensity.
//
// Noise of chain c at step t: Philox(seed, stream(c), t) in next32() order: for each pair of
// coordinates (i, i + 1) two uniforms u1, u2 give z_i = r cos(2 pi u2), z_{i+1} = r sin(2 pi u2),
// r = sqrt(-2 log u1) (Box-Muller, as Philox::normal; for odd d the last sine is dropped), then
// one uniform for the accept test (Metropolis kinds only). stream() is the sampler's range in
// randomstreams.h; rows of a tempered state are chains like any other (row index = chain index).

#include "sampler.h"
#include "target.h"

#include <Eigen/Core>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace gsn {

// Chains per block: fixed (results do not depend on the thread count), a multiple of 16 floats.
inline constexpr int kPointBlock = 256;

enum class PointMove {
    RandomWalk, // y = x + eps z, accept min(1, p(y)/p(x))
    Mala,       // y = x + (eps^2/2) grad log p(x) + eps z, Metropolis-Hastings with q(x|y)/q(y|x)
    Ula,        // the same move, always taken (biased; no accept step)
};

// What every point sampler's state holds: x = mean = the points, and caches of the step.
struct PointChainState : SamplerState {
    std::uint64_t proposals = 0; // proposals made over all chains (Metropolis kinds: C per step)
    std::uint64_t accepts = 0;   // proposals accepted
    // Caches (not part of the chains' state; rebuilt whenever x was written between steps):
    Matrix cachedX;              // x at the end of the last step, shape = [C, d]
    Vector logp;                 // log p(cachedX) (untempered), shape = [C]
    Matrix grad;                 // grad log p(cachedX) (untempered), shape = [C, d]; empty for RandomWalk
    bool cacheHasGrad = false;
    std::vector<float, Eigen::aligned_allocator<float>> scratch; // per-block scratch, reused
    std::vector<std::uint64_t> blockAccepts;
};

// The log-density (and optionally score) of a Target for blocks of points in structure-of-arrays form.
class PointDensity {
public:
    explicit PointDensity(std::shared_ptr<const Target> target);
    int dimension() const { return m_d; }
    const Target& target() const { return *m_target; }
    const std::shared_ptr<const Target>& targetPtr() const { return m_target; }
    // Scratch floats evaluate() needs for a block of n (a multiple of 16) points.
    std::size_t scratchFloats(int n) const;
    // x: d arrays of n floats (coordinate i at x + i * n), n a multiple of 16, 64-byte aligned; writes
    // logp[n] and, when grad is not null, grad (same layout as x). scratch: scratchFloats(n), aligned.
    void evaluate(const float* x, int n, float* logp, float* grad, float* scratch) const;

private:
    std::shared_ptr<const Target> m_target;
    int m_d = 0;
    // Gaussian-mixture fast path (k components): means [k][d], per-component constants.
    bool m_mixture = false;
    int m_k = 0;
    std::vector<float> m_means, m_logConst, m_halfInvVar, m_invVar;
};

struct PointMoveParams {
    PointMove move = PointMove::RandomWalk;
    float stepSize = 0.5f;
    const char* who = "point sampler"; // for error messages
    std::uint64_t (*stream)(std::uint64_t chain) = nullptr;
};

// `target`, or gsn::Error(who, "target") when it is null.
std::shared_ptr<const Target> requireTarget(std::shared_ptr<const Target> target, const char* who);
// Makes a PointChainState at x0 (shape = [C >= 1, d], finite; else gsn::Error).
std::unique_ptr<PointChainState> startPointChains(const PointDensity& density, const Matrix& x0, const char* who);
// One step of every chain (see top of file). rowBeta: null (beta = 1) or C inverse temperatures in (0, 1].
void stepPointChains(const PointDensity& density, const PointMoveParams& params, PointChainState& state,
                     std::uint64_t seed, const ChainClamp* clamp, const float* rowBeta);
// -log p of the current points (untempered), C values: from the step's cache when x is unchanged
// since the last step (the fused mixture kernel's float values), else Target::logDensity.
std::vector<double> pointEnergies(const PointDensity& density, const PointChainState& state);

} // namespace gsn
