#include "rwmhsampler.h"

#include "error.h"
#include "randomstreams.h"

#include <cmath>
#include <string>
#include <utility>

namespace gsn {

PointChainState& pointStateOf(SamplerState& state, const char* who)
{
    auto* s = dynamic_cast<PointChainState*>(&state);
    if (!s)
        fail(who, "chain state", "expected a state made by a point sampler (rwmh, mala, ula)");
    return *s;
}

const PointChainState& pointStateOf(const SamplerState& state, const char* who)
{
    const auto* s = dynamic_cast<const PointChainState*>(&state);
    if (!s)
        fail(who, "chain state", "expected a state made by a point sampler (rwmh, mala, ula)");
    return *s;
}

RwmhSampler::RwmhSampler(std::shared_ptr<const Target> target, double stepSize)
    : m_density(requireTarget(std::move(target), "rwmh"))
    , m_stepSize(stepSize)
{
    if (!(stepSize > 0.0) || !std::isfinite(stepSize))
        fail("rwmh", "step_size", "expected a finite number > 0");
}

nlohmann::json RwmhSampler::config() const
{
    return {{"kind", kKind}, {"step_size", m_stepSize}, {"target", target().config()}};
}

void RwmhSampler::checkModel(const Model* model) const
{
    if (model)
        fail("rwmh", "model", "expected no model: random-walk Metropolis samples its target density");
}

std::unique_ptr<SamplerState> RwmhSampler::start(const Model* model, const Matrix& x0) const
{
    checkModel(model);
    return startPointChains(m_density, x0, "rwmh");
}

void RwmhSampler::step(const Model* model, SamplerState& state, std::uint64_t seed, const ChainClamp* clamp) const
{
    checkModel(model);
    stepPointChains(m_density, {PointMove::RandomWalk, static_cast<float>(m_stepSize), "rwmh", streams::rwmhStream},
                    pointStateOf(state, "rwmh"), seed, clamp, nullptr);
}

void RwmhSampler::stepTempered(const Model* model, SamplerState& state, std::uint64_t seed, const ChainClamp* clamp,
                               const std::vector<float>& betas) const
{
    checkModel(model);
    PointChainState& s = pointStateOf(state, "rwmh");
    if (betas.size() != static_cast<std::size_t>(s.x.rows()))
        fail("rwmh", "betas", "expected one inverse temperature per chain");
    stepPointChains(m_density, {PointMove::RandomWalk, static_cast<float>(m_stepSize), "rwmh", streams::rwmhStream}, s,
                    seed, clamp, betas.data());
}

SamplerDiagnostics RwmhSampler::diagnostics(const SamplerState& state) const
{
    SamplerDiagnostics d = Sampler::diagnostics(state);
    const PointChainState& s = pointStateOf(state, "rwmh");
    d.proposals = s.proposals;
    d.accepts = s.accepts;
    return d;
}

std::vector<double> RwmhSampler::energies(const Model* model, const SamplerState& state) const
{
    checkModel(model);
    return pointEnergies(m_density, pointStateOf(state, "rwmh"));
}

std::unique_ptr<Sampler> createRwmhSampler(const nlohmann::json& config, const SamplerInputs&)
{
    if (!config.is_object())
        fail("sampler config", RwmhSampler::kKind, "expected a json object");
    if (config.contains("kind") && config["kind"] != RwmhSampler::kKind)
        fail("sampler config", "kind", std::string("expected \"") + RwmhSampler::kKind + "\"");
    const auto step = config.find("step_size");
    if (step == config.end() || !step->is_number())
        fail("sampler config", "step_size", "expected a number > 0");
    const auto target = config.find("target");
    if (target == config.end())
        fail("sampler config", "target", "expected a target density (e.g. {\"kind\": \"ring\", ...})");
    return std::make_unique<RwmhSampler>(createTarget(*target, "sampler config target"), step->get<double>());
}

} // namespace gsn
