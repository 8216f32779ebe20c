#pragma once
// Random-walk Metropolis on points in R^d under a Target (target.h), kind "rwmh": the first sampler of
// the mode-mixing lab (issue 13). Per step, chain c proposes y = x + step_size * N(0, I) and accepts it
// with probability min(1, p(y) / p(x)); no model snapshot.
//
// The step is the shared point kernel (pointkernel.h: blocks of 256 chains as SIMD arrays, caches in
// the state). Noise: chain c at step t draws from Philox(seed, streams::rwmhStream(c), t)
// (randomstreams.h): d normals for the proposal (Box-Muller pairs), then the acceptance uniform. Blocks
// are fixed, so a seed gives the same chains on any thread count.
//
// Clamping: clamped coordinates are not proposed (their noise is masked out), so a clamped chain is a
// Metropolis chain on the free coordinates with target p(x_free | x_clamped); the ChainSet writes the
// clamped values back as for every sampler. Energy: E(x) = -log p(x), so tempering can wrap it
// (stepTempered accepts with min(1, (p(y) / p(x))^beta)).
//
// The state is separate from the sampler: a sampler with another step size (or a MALA sampler on the
// same target) continues a state made by this one.

#include "pointkernel.h"
#include "sampler.h"
#include "target.h"

#include <cstdint>
#include <memory>

namespace gsn {

// x = mean = the points, shape = [C, d], exact acceptance counts, and the kernel's caches.
using RwmhState = PointChainState;

class RwmhSampler : public Sampler, public EnergySampler {
public:
    static constexpr const char* kKind = "rwmh";
    // target not null; stepSize > 0 and finite (else gsn::Error).
    RwmhSampler(std::shared_ptr<const Target> target, double stepSize);

    std::string kind() const override { return kKind; }
    // {"kind": "rwmh", "step_size": s, "target": target config}
    nlohmann::json config() const override;
    SamplerCapabilities capabilities() const override { return {false, true, true, false}; }
    int dimension(const Model*) const override { return m_density.dimension(); }
    // Expects no model.
    void checkModel(const Model* model) const override;
    // x0 shape = [C >= 1, d], finite; a PointChainState.
    std::unique_ptr<SamplerState> start(const Model* model, const Matrix& x0) const override;
    // One proposal and accept/reject per chain (see top of file); mean = x.
    void step(const Model* model, SamplerState& state, std::uint64_t seed, const ChainClamp* clamp) const override;
    // Steps, chains, proposals and accepts.
    SamplerDiagnostics diagnostics(const SamplerState& state) const override;
    const EnergySampler* energy() const override { return this; }
    // -log p(x) of every chain's current state (C values).
    std::vector<double> energies(const Model* model, const SamplerState& state) const override;
    bool tempers() const override { return true; }
    void stepTempered(const Model* model, SamplerState& state, std::uint64_t seed, const ChainClamp* clamp,
                      const std::vector<float>& betas) const override;

    const Target& target() const { return m_density.target(); }
    double stepSize() const { return m_stepSize; }

private:
    PointDensity m_density;
    double m_stepSize;
};

// Factory: config {"kind": "rwmh", "step_size": 0.5, "target": {...}} (target as createTarget takes it;
// both fields required); throws gsn::Error naming the bad field.
std::unique_ptr<Sampler> createRwmhSampler(const nlohmann::json& config, const SamplerInputs& inputs);

// The state of a point sampler (rwmh, mala, ula) or gsn::Error naming `who`.
PointChainState& pointStateOf(SamplerState& state, const char* who);
const PointChainState& pointStateOf(const SamplerState& state, const char* who);

} // namespace gsn
