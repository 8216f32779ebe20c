#pragma once
// Parallel tempering for RBM chains (SPEC 2.3; overview paper section 5.2).
//
// Each of C chains has R replicas at inverse temperatures 1 = beta_0 > beta_1 > ... > beta_{R-1} > 0.
// One step: a block-Gibbs sweep in every replica with the energy scaled by beta_r (the replica's
// joint state is (v, h)), then, for r = 0, 1, ..., R-2 in that order, replicas r and r+1 swap states
// with probability min(1, exp((beta_r - beta_{r+1}) (E(x_r) - E(x_{r+1})))), E the joint energy.
// Every move leaves prod_r p_{beta_r}(v, h) invariant, so replica 0 samples the RBM itself.
//
// Noise: replica r of chain c uses Philox(seed, replicaStream(c, r), step), and replica 0 uses
// stream c, exactly as plain Gibbs (Rbm::stepChains) does, so R = 1 reproduces plain Gibbs. The swap
// decisions of chain c come from Philox(seed, swapStream(c), step). Results do not depend on the
// thread count. TemperingSampler (temperingsampler.h) runs this inside a ChainSet.

#include "randomstreams.h"
#include "rbm.h"
#include "tensor.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace gsn {

struct TemperingState {
    ChainState chains;   // replica 0 (beta = 1) of every chain: x, mean = P(v|h) at beta 1, h[0]; what is shown
    Matrix v;            // shape = [R*C, n_visible]: row r*C + c is replica r of chain c
    Matrix h;            // shape = [R*C, n_hidden]
    std::vector<std::uint64_t> swapAttempts; // size R-1: swaps attempted between replicas (r, r+1)
    std::vector<std::uint64_t> swapAccepts;  // size R-1: swaps accepted between (r, r+1)

    // Acceptance rate of each neighbour pair (r, r+1) so far, in [0, 1] (0 before any attempt).
    std::vector<double> acceptanceRates() const;
};

class ParallelTempering {
public:
    // betas: R >= 1 values, betas[0] == 1, strictly decreasing, all > 0; else gsn::Error.
    explicit ParallelTempering(std::vector<float> betas);
    // R inverse temperatures geometrically spaced from 1 down to betaMin (0 < betaMin <= 1).
    static std::vector<float> geometricBetas(int replicas, float betaMin);

    int replicas() const { return static_cast<int>(m_betas.size()); }
    const std::vector<float>& betas() const { return m_betas; }

    // Starts C = x0.rows() chains; every replica starts at x0 (shape = [C, n_visible]), h at 0.
    TemperingState start(const Rbm& rbm, const Matrix& x0) const;
    // One tempering step (sweep + swaps) of every chain with the parameters of `rbm` (which may be a
    // newer snapshot than the one that started the chains; same sizes). Optional clamp (SPEC 3):
    // clampMask / clampValues shape = [C, n_visible] (or [1, n_visible] for all chains), 1 = clamped;
    // applied to every replica after its sweep, so all replicas sample P(v_free | v_clamped) at their
    // temperature and swaps stay exact.
    void step(const Rbm& rbm, TemperingState& state, std::uint64_t seed, const Matrix* clampMask = nullptr,
              const Matrix* clampValues = nullptr) const;

    // Noise stream of replica r of chain c (r = 0 gives c itself, like plain Gibbs).
    static std::uint64_t replicaStream(std::uint64_t chain, std::uint64_t replica)
    {
        return streams::temperingReplicaStream(chain, replica);
    }
    // Noise stream of chain c's swap decisions.
    static std::uint64_t swapStream(std::uint64_t chain) { return streams::temperingSwapStream(chain); }

private:
    std::vector<float> m_betas;
};

} // namespace gsn
