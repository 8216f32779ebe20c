#include "langevinsampler.h"

#include "error.h"
#include "randomstreams.h"
#include "rwmhsampler.h"

#include <cmath>
#include <string>

namespace gsn {

LangevinSampler::LangevinSampler(std::shared_ptr<const Target> target, double stepSize, bool adjusted)
    : m_density(requireTarget(std::move(target), adjusted ? kMalaKind : kUlaKind))
    , m_stepSize(stepSize)
    , m_adjusted(adjusted)
{
    if (!(stepSize > 0.0) || !std::isfinite(stepSize))
        fail(kind(), "step_size", "expected a finite number > 0");
}

nlohmann::json LangevinSampler::config() const
{
    return {{"kind", kind()}, {"step_size", m_stepSize}, {"target", target().config()}};
}

void LangevinSampler::checkModel(const Model* model) const
{
    if (model)
        fail(kind(), "model", "expected no model: Langevin samples its target density with the exact score");
}

std::unique_ptr<SamplerState> LangevinSampler::start(const Model* model, const Matrix& x0) const
{
    checkModel(model);
    return startPointChains(m_density, x0, m_adjusted ? kMalaKind : kUlaKind);
}

PointMoveParams LangevinSampler::params() const
{
    return {m_adjusted ? PointMove::Mala : PointMove::Ula, static_cast<float>(m_stepSize),
            m_adjusted ? kMalaKind : kUlaKind, streams::langevinStream};
}

void LangevinSampler::step(const Model* model, SamplerState& state, std::uint64_t seed, const ChainClamp* clamp) const
{
    checkModel(model);
    stepPointChains(m_density, params(), pointStateOf(state, params().who), seed, clamp, nullptr);
}

void LangevinSampler::stepTempered(const Model* model, SamplerState& state, std::uint64_t seed, const ChainClamp* clamp,
                                   const std::vector<float>& betas) const
{
    checkModel(model);
    PointChainState& s = pointStateOf(state, params().who);
    if (betas.size() != static_cast<std::size_t>(s.x.rows()))
        fail(kind(), "betas", "expected one inverse temperature per chain");
    stepPointChains(m_density, params(), s, seed, clamp, betas.data());
}

SamplerDiagnostics LangevinSampler::diagnostics(const SamplerState& state) const
{
    SamplerDiagnostics d = Sampler::diagnostics(state);
    if (m_adjusted) {
        const PointChainState& s = pointStateOf(state, kMalaKind);
        d.proposals = s.proposals;
        d.accepts = s.accepts;
    }
    return d;
}

std::vector<double> LangevinSampler::energies(const Model* model, const SamplerState& state) const
{
    checkModel(model);
    return pointEnergies(m_density, pointStateOf(state, params().who));
}

namespace {

std::unique_ptr<Sampler> createLangevin(const nlohmann::json& config, bool adjusted)
{
    const char* kind = adjusted ? LangevinSampler::kMalaKind : LangevinSampler::kUlaKind;
    if (!config.is_object())
        fail("sampler config", kind, "expected a json object");
    if (config.contains("kind") && config["kind"] != kind)
        fail("sampler config", "kind", std::string("expected \"") + kind + "\"");
    const auto step = config.find("step_size");
    if (step == config.end() || !step->is_number())
        fail("sampler config", "step_size", "expected a number > 0");
    const auto target = config.find("target");
    if (target == config.end())
        fail("sampler config", "target", "expected a target density (e.g. {\"kind\": \"ring\", ...})");
    return std::make_unique<LangevinSampler>(createTarget(*target, "sampler config target"), step->get<double>(), adjusted);
}

} // namespace

std::unique_ptr<Sampler> createMalaSampler(const nlohmann::json& config, const SamplerInputs&)
{
    return createLangevin(config, true);
}

std::unique_ptr<Sampler> createUlaSampler(const nlohmann::json& config, const SamplerInputs&)
{
    return createLangevin(config, false);
}

} // namespace gsn
