#pragma once
// Parallel tempering around any sampler with an energy that can run on tempered targets (an
// EnergySampler whose tempers() is true: rwmh, mala, ula), kind "pt" (SPEC 7, issue 13 item 2).
// The RBM's own tempering ("rbm-pt", temperingsampler.h) stays as it was.
//
// R replicas of each of the C chains at inverse temperatures 1 = beta_0 > beta_1 > ... > beta_{R-1} > 0.
// Replica r of chain c is row r * C + c of ONE state of the base sampler (R * C rows), which each step
// advances with EnergySampler::stepTempered (row r * C + c at beta_r): a vectorised base runs all the
// replicas in one pass, and replica r of chain c draws the base sampler's noise of row r * C + c.
// Then every chain attempts the neighbour swaps (0, 1), (1, 2), ..., (R-2, R-1) in that order, swap
// (r, r+1) accepted with min(1, exp((beta_r - beta_{r+1}) (E_r - E_{r+1}))), E = -log p (the base's
// energies); the uniforms come from Philox(seed, streams::pointSwapStream(c), t), one per pair in order.
// The chain that is shown (state.x) is the beta = 1 replica.
//
// The ladder is editable: a PtSampler with other betas (and the same R) or another base sampler of the
// same state type continues a state made by this one (the chains are kept); another R is refused.
// Diagnostics: swapAttempts / swapAccepts per neighbouring pair; proposals and accepts are not
// reported (the base sampler's counts cover all R * C rows).

#include "sampler.h"

#include <memory>
#include <vector>

namespace gsn {

struct PtState : SamplerState {
    std::unique_ptr<SamplerState> replicas; // the base sampler's state, R * C rows (row r * C + c)
    std::vector<std::uint64_t> swapAttempts, swapAccepts; // per neighbouring pair, R - 1 each
    int replicaCount = 0;
};

class PtSampler : public Sampler {
public:
    static constexpr const char* kKind = "pt";
    // base: not null, base->energy() not null with tempers(); betas: R >= 1 values, betas[0] = 1,
    // strictly decreasing, > 0 (else gsn::Error naming the field).
    PtSampler(std::shared_ptr<const Sampler> base, std::vector<double> betas);

    std::string kind() const override { return kKind; }
    // {"kind": "pt", "betas": [...], "base": base config without its target, "target": the base's target (if any)}
    nlohmann::json config() const override;
    SamplerCapabilities capabilities() const override;
    int dimension(const Model* model) const override { return m_base->dimension(model); }
    void checkModel(const Model* model) const override { m_base->checkModel(model); }
    // R copies of x0 as the replicas; a PtState.
    std::unique_ptr<SamplerState> start(const Model* model, const Matrix& x0) const override;
    // Base step of every replica at its beta, then the swaps (see top of file). Values written into
    // state.x between steps go to the beta = 1 replica; the clamp holds in every replica.
    void step(const Model* model, SamplerState& state, std::uint64_t seed, const ChainClamp* clamp) const override;
    SamplerDiagnostics diagnostics(const SamplerState& state) const override;

    const Sampler& base() const { return *m_base; }
    const std::vector<double>& betas() const { return m_betas; }
    // Every replica's current points, shape = [R * C, d] (row r * C + c).
    static const Matrix& replicaPoints(const SamplerState& state);

private:
    std::shared_ptr<const Sampler> m_base;
    const EnergySampler* m_energy = nullptr;
    std::vector<double> m_betas;
};

// Factory: {"kind": "pt", "base": {"kind": "rwmh" | "mala" | ..., ...}, "target": {...} (optional: given to
// the base when it has none), "betas": [1, ...] or "replicas": R with "beta_min": b (geometric ladder
// from 1 to b)}. Throws gsn::Error naming the bad field.
std::unique_ptr<Sampler> createPtSampler(const nlohmann::json& config, const SamplerInputs& inputs);

} // namespace gsn
