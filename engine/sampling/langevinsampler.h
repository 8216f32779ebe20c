#pragma once
// Langevin samplers on points under a Target with an exact score (Target::gradLogDensity), kinds
// "mala" and "ula" (SPEC 7, issue 13 item 2):
//   MALA  y = x + (eps^2 / 2) grad log p(x) + eps N(0, I), accepted with the Metropolis-Hastings ratio
//         min(1, p(y) q(x | y) / (p(x) q(y | x))), q(y | x) = N(y; x + (eps^2/2) grad log p(x), eps^2 I)
//   ULA   the same move without the accept step: biased (its stationary law is wider than p for
//         finite eps), which is what the lab shows beside MALA.
// The step is the shared point kernel (pointkernel.h); the state is a PointChainState, so rwmh, mala
// and ula (and the same kind with another step size) continue each other's states.
//
// Noise: chain c at step t draws from Philox(seed, streams::langevinStream(c), t): d normals, then
// (MALA) the acceptance uniform. Clamping: clamped coordinates get neither drift nor noise.
// Energy: E(x) = -log p(x); tempered steps use p^beta (drift beta grad log p, ratio with p^beta).

#include "pointkernel.h"
#include "sampler.h"
#include "target.h"

#include <memory>

namespace gsn {

class LangevinSampler : public Sampler, public EnergySampler {
public:
    static constexpr const char* kMalaKind = "mala";
    static constexpr const char* kUlaKind = "ula";
    // adjusted: MALA (true) or ULA (false); target not null; stepSize > 0 and finite (else gsn::Error).
    LangevinSampler(std::shared_ptr<const Target> target, double stepSize, bool adjusted);

    std::string kind() const override { return m_adjusted ? kMalaKind : kUlaKind; }
    // {"kind": "mala" | "ula", "step_size": eps, "target": target config}
    nlohmann::json config() const override;
    SamplerCapabilities capabilities() const override { return {false, true, true, false}; }
    int dimension(const Model*) const override { return m_density.dimension(); }
    void checkModel(const Model* model) const override;
    std::unique_ptr<SamplerState> start(const Model* model, const Matrix& x0) const override;
    void step(const Model* model, SamplerState& state, std::uint64_t seed, const ChainClamp* clamp) const override;
    // MALA: proposals and accepts; ULA: none (no accept step).
    SamplerDiagnostics diagnostics(const SamplerState& state) const override;
    const EnergySampler* energy() const override { return this; }
    std::vector<double> energies(const Model* model, const SamplerState& state) const override;
    bool tempers() const override { return true; }
    void stepTempered(const Model* model, SamplerState& state, std::uint64_t seed, const ChainClamp* clamp,
                      const std::vector<float>& betas) const override;

    const Target& target() const { return m_density.target(); }
    double stepSize() const { return m_stepSize; }
    bool adjusted() const { return m_adjusted; }

private:
    PointMoveParams params() const;

    PointDensity m_density;
    double m_stepSize;
    bool m_adjusted;
};

// Factories: config {"kind": "mala" | "ula", "step_size": eps, "target": {...}} (both fields required).
std::unique_ptr<Sampler> createMalaSampler(const nlohmann::json& config, const SamplerInputs& inputs);
std::unique_ptr<Sampler> createUlaSampler(const nlohmann::json& config, const SamplerInputs& inputs);

} // namespace gsn
