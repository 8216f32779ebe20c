#pragma once
// The non-parametric DAE chains (npdae.h; SPEC 2.4) as gsn::Samplers: targets of their own (the
// estimator holds the training pairs), no model snapshot. Noise exactly as npdae.h documents: chain c's
// step t from Philox(seed, c, t), so a ChainSet reproduces ParzenNpDae::run / DiscreteNpDae::run.

#include "npdae.h"
#include "sampler.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace gsn {

// The Parzen chain on points in R^d (kind "npdae-parzen"): x~ = x + sigma N(0, I), x ~ P(. | x~).
// State: x = mean = the points, shape = [C, d]. Clamping: clamped coordinates are written back after
// every step (the chain then continues from them).
class ParzenNpDaeSampler : public Sampler {
public:
    static constexpr const char* kKind = "npdae-parzen";
    // A fitted estimator (not null, with training pairs; else gsn::Error).
    explicit ParzenNpDaeSampler(std::shared_ptr<const ParzenNpDae> dae);

    std::string kind() const override { return kKind; }
    // {"kind": "npdae-parzen", "corruption_sigma", "input_bandwidth", "output_sigma"}
    nlohmann::json config() const override;
    SamplerCapabilities capabilities() const override { return {false, true, false, false}; }
    int dimension(const Model* model) const override { return m_dae->dimension(); }
    // Expects no model.
    void checkModel(const Model* model) const override;
    // x0 shape = [C, d], finite.
    std::unique_ptr<SamplerState> start(const Model* model, const Matrix& x0) const override;
    // ParzenNpDae::step(x, seed, state.step); mean = x.
    void step(const Model* model, SamplerState& state, std::uint64_t seed, const ChainClamp* clamp) const override;

    const ParzenNpDae& dae() const { return *m_dae; }

private:
    std::shared_ptr<const ParzenNpDae> m_dae;
};

// The discrete chain on K values (kind "npdae-discrete"), points of dimension 1.
struct DiscreteChainState : SamplerState {
    std::vector<int> values; // size C: chain c's value in [0, K); x and mean (shape = [C, 1]) mirror it
};

class DiscreteNpDaeSampler : public Sampler {
public:
    static constexpr const char* kKind = "npdae-discrete";
    // A fitted estimator (not null, reconstruction set; else gsn::Error).
    explicit DiscreteNpDaeSampler(std::shared_ptr<const DiscreteNpDae> dae);

    std::string kind() const override { return kKind; }
    // {"kind": "npdae-discrete", "values": K}
    nlohmann::json config() const override;
    SamplerCapabilities capabilities() const override { return {false, false, false, false}; }
    int dimension(const Model*) const override { return 1; }
    // Expects no model.
    void checkModel(const Model* model) const override;
    // x0 shape = [C, 1], integer values in [0, K).
    std::unique_ptr<SamplerState> start(const Model* model, const Matrix& x0) const override;
    // DiscreteNpDae::step(values, seed, state.step); x = mean = values.
    void step(const Model* model, SamplerState& state, std::uint64_t seed, const ChainClamp* clamp) const override;

    const DiscreteNpDae& dae() const { return *m_dae; }

private:
    std::shared_ptr<const DiscreteNpDae> m_dae;
};

// Factories. Parzen: config {"kind": "npdae-parzen", "corruption_sigma": 0.3, "input_bandwidth": 0.1,
// "output_sigma": 0.05} (each optional, defaults of ParzenNpDae::Options), fitted on inputs.data
// (shape = [n, d]) with inputs.seed. Discrete: config {"kind": "npdae-discrete", "values": K, "keep": p,
// "width": w} (ring corruption, DiscreteNpDae::ringCorruption), fitted on column 0 of inputs.data
// (integers in [0, K)) with inputs.seed. Both throw gsn::Error naming the bad field or missing data.
std::unique_ptr<Sampler> createParzenNpDaeSampler(const nlohmann::json& config, const SamplerInputs& inputs);
std::unique_ptr<Sampler> createDiscreteNpDaeSampler(const nlohmann::json& config, const SamplerInputs& inputs);

} // namespace gsn
