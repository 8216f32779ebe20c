#include "npdaesampler.h"

#include "error.h"

#include <cmath>
#include <string>
#include <utility>

namespace gsn {
namespace {

void expectNoModel(const Model* model, const char* kind)
{
    if (model)
        fail("npdae", "model", std::string("expected no model: the ") + kind + " sampler has a target of its own");
}

void checkKind(const nlohmann::json& config, const char* kind)
{
    if (!config.is_object())
        fail("sampler config", kind, "expected a json object");
    if (config.contains("kind") && config["kind"] != kind)
        fail("sampler config", "kind", std::string("expected \"") + kind + "\"");
}

double number(const nlohmann::json& config, const char* field, double fallback)
{
    const auto it = config.find(field);
    if (it == config.end())
        return fallback;
    if (!it->is_number())
        fail("sampler config", field, "expected a number");
    return it->get<double>();
}

} // namespace

ParzenNpDaeSampler::ParzenNpDaeSampler(std::shared_ptr<const ParzenNpDae> dae)
    : m_dae(std::move(dae))
{
    if (!m_dae || m_dae->clean().size() == 0)
        fail("npdae", "sampler", "expected a fitted Parzen estimator");
}

nlohmann::json ParzenNpDaeSampler::config() const
{
    const ParzenNpDae::Options& o = m_dae->options();
    return {{"kind", kKind},
            {"corruption_sigma", o.corruptionSigma},
            {"input_bandwidth", o.inputBandwidth},
            {"output_sigma", o.outputSigma}};
}

void ParzenNpDaeSampler::checkModel(const Model* model) const
{
    expectNoModel(model, kKind);
}

std::unique_ptr<SamplerState> ParzenNpDaeSampler::start(const Model* model, const Matrix& x0) const
{
    checkModel(model);
    if (x0.rows() < 1 || x0.cols() != m_dae->dimension() || !x0.allFinite())
        fail("npdae", "chain start", "expected finite points of shape [C >= 1, " + std::to_string(m_dae->dimension()) + "]");
    auto s = std::make_unique<SamplerState>();
    s->x = x0;
    s->mean = x0;
    return s;
}

void ParzenNpDaeSampler::step(const Model* model, SamplerState& state, std::uint64_t seed, const ChainClamp*) const
{
    checkModel(model);
    m_dae->step(state.x, seed, state.step);
    state.mean = state.x;
    ++state.step;
}

DiscreteNpDaeSampler::DiscreteNpDaeSampler(std::shared_ptr<const DiscreteNpDae> dae)
    : m_dae(std::move(dae))
{
    if (!m_dae || m_dae->reconstruction().size() == 0)
        fail("npdae", "sampler", "expected a fitted discrete estimator");
}

nlohmann::json DiscreteNpDaeSampler::config() const
{
    return {{"kind", kKind}, {"values", m_dae->values()}};
}

void DiscreteNpDaeSampler::checkModel(const Model* model) const
{
    expectNoModel(model, kKind);
}

std::unique_ptr<SamplerState> DiscreteNpDaeSampler::start(const Model* model, const Matrix& x0) const
{
    checkModel(model);
    const int k = m_dae->values();
    if (x0.rows() < 1 || x0.cols() != 1)
        fail("npdae", "chain start", "expected shape [C >= 1, 1]");
    auto s = std::make_unique<DiscreteChainState>();
    s->values.resize(static_cast<std::size_t>(x0.rows()));
    for (Eigen::Index c = 0; c < x0.rows(); ++c) {
        const float v = x0(c, 0);
        if (!(v >= 0.0f && v < static_cast<float>(k)) || v != std::floor(v))
            fail("npdae", "chain start", "expected integer values in [0, " + std::to_string(k) + "), got " +
                                             std::to_string(v) + " for chain " + std::to_string(c));
        s->values[static_cast<std::size_t>(c)] = static_cast<int>(v);
    }
    s->x = x0;
    s->mean = x0;
    return s;
}

void DiscreteNpDaeSampler::step(const Model* model, SamplerState& state, std::uint64_t seed, const ChainClamp*) const
{
    checkModel(model);
    auto* s = dynamic_cast<DiscreteChainState*>(&state);
    if (!s || s->values.size() != static_cast<std::size_t>(s->x.rows()))
        fail("npdae", "chain state", "expected a state made by DiscreteNpDaeSampler::start");
    m_dae->step(s->values, seed, s->step);
    for (std::size_t c = 0; c < s->values.size(); ++c)
        s->x(static_cast<Eigen::Index>(c), 0) = static_cast<float>(s->values[c]);
    s->mean = s->x;
    ++s->step;
}

std::unique_ptr<Sampler> createParzenNpDaeSampler(const nlohmann::json& config, const SamplerInputs& inputs)
{
    checkKind(config, ParzenNpDaeSampler::kKind);
    ParzenNpDae::Options o;
    o.corruptionSigma = number(config, "corruption_sigma", o.corruptionSigma);
    o.inputBandwidth = number(config, "input_bandwidth", o.inputBandwidth);
    o.outputSigma = number(config, "output_sigma", o.outputSigma);
    if (!inputs.data)
        fail("sampler config", ParzenNpDaeSampler::kKind, "expected training points");
    auto dae = std::make_shared<ParzenNpDae>(o);
    dae->fit(*inputs.data, inputs.seed);
    return std::make_unique<ParzenNpDaeSampler>(std::move(dae));
}

std::unique_ptr<Sampler> createDiscreteNpDaeSampler(const nlohmann::json& config, const SamplerInputs& inputs)
{
    checkKind(config, DiscreteNpDaeSampler::kKind);
    const auto values = config.find("values");
    if (values == config.end() || !values->is_number_integer())
        fail("sampler config", "values", "expected an integer K >= 2");
    const auto width = config.find("width");
    if (width != config.end() && !width->is_number_integer())
        fail("sampler config", "width", "expected an integer");
    const int k = values->get<int>();
    const double keep = number(config, "keep", 0.5);
    const int w = width == config.end() ? 1 : width->get<int>();
    if (!inputs.data || inputs.data->rows() < 1 || inputs.data->cols() < 1)
        fail("sampler config", DiscreteNpDaeSampler::kKind, "expected training values (one per row)");
    std::vector<int> samples(static_cast<std::size_t>(inputs.data->rows()));
    for (Eigen::Index i = 0; i < inputs.data->rows(); ++i) {
        const float v = (*inputs.data)(i, 0);
        if (!(v >= 0.0f && v < static_cast<float>(k)) || v != std::floor(v))
            fail("sampler config", "training values", "expected integers in [0, " + std::to_string(k) + "), got " +
                                                          std::to_string(v) + " at row " + std::to_string(i));
        samples[static_cast<std::size_t>(i)] = static_cast<int>(v);
    }
    auto dae = std::make_shared<DiscreteNpDae>(DiscreteNpDae::ringCorruption(k, keep, w));
    dae->fit(samples, inputs.seed);
    return std::make_unique<DiscreteNpDaeSampler>(std::move(dae));
}

} // namespace gsn
