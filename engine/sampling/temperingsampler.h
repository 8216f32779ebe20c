#pragma once
// Parallel tempering over an RBM as a gsn::Sampler (kind "rbm-pt"): ParallelTempering (tempering.h)
// inside a ChainSet. The model snapshot is the Rbm itself (ChainSet::setModel installs newer ones of
// the same sizes, e.g. while it trains); the replicas live in the sampler's typed state.
//
// Noise exactly as ParallelTempering documents: replica r of chain c from
// Philox(seed, replicaStream(c, r), step), replica 0 = stream c as plain Gibbs, swaps of chain c from
// Philox(seed, swapStream(c), step).
//
// Clamping: the ChainSet's clamp goes to every replica after its sweep, so all replicas sample
// P(v_free | v_clamped) at their temperature and swaps stay exact; the ChainSet then writes the
// clamped values back into replica 0 (already equal).

#include "rbm.h"
#include "sampler.h"
#include "tempering.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace gsn {

// Tempered chains: x, mean, h[0] are replica 0 (beta = 1), what is shown, exactly as plain Gibbs.
struct TemperingChainState : ChainState {
    Matrix replicaV; // shape = [R*C, n_visible]: row r*C + c is replica r of chain c (values in {0, 1})
    Matrix replicaH; // shape = [R*C, n_hidden]
    std::vector<std::uint64_t> swapAttempts; // size R-1: swaps attempted between replicas (r, r+1), all chains
    std::vector<std::uint64_t> swapAccepts;  // size R-1: swaps accepted between (r, r+1), all chains
};

class TemperingSampler : public Sampler, public EnergySampler {
public:
    static constexpr const char* kKind = "rbm-pt";
    // betas as ParallelTempering takes them (beta_0 = 1, strictly decreasing, > 0; else gsn::Error).
    explicit TemperingSampler(std::vector<float> betas);

    std::string kind() const override { return kKind; }
    // {"kind": "rbm-pt", "betas": [...]}
    nlohmann::json config() const override;
    SamplerCapabilities capabilities() const override { return {true, true, true, true}; }
    int dimension(const Model* model) const override;
    // The model must be a gsn::Rbm.
    void checkModel(const Model* model) const override;
    // Every replica starts at x0 (shape = [C, n_visible]), h at 0; a TemperingChainState.
    std::unique_ptr<SamplerState> start(const Model* model, const Matrix& x0) const override;
    // One ParallelTempering::step (sweep + swaps) with the model's parameters; replica 0 continues
    // from state.x as the caller left it; `clamp` goes to every replica.
    void step(const Model* model, SamplerState& state, std::uint64_t seed, const ChainClamp* clamp) const override;
    // Swap attempts and accepts per neighbouring pair.
    SamplerDiagnostics diagnostics(const SamplerState& state) const override;
    const EnergySampler* energy() const override { return this; }
    // The RBM's joint energy E(x, h[0]) of replica 0 of every chain (C values).
    std::vector<double> energies(const Model* model, const SamplerState& state) const override;

    const ParallelTempering& tempering() const { return m_tempering; }

private:
    const Rbm& rbmOf(const Model* model) const;
    static TemperingChainState& stateOf(SamplerState& state);

    ParallelTempering m_tempering;
};

// Factory: config {"kind": "rbm-pt", "betas": [1, ...]} or {"kind": "rbm-pt", "replicas": R,
// "beta_min": b} (geometric ladder); throws gsn::Error naming the bad field.
std::unique_ptr<Sampler> createTemperingSampler(const nlohmann::json& config, const SamplerInputs& inputs);

} // namespace gsn
