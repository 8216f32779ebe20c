#include "temperingsampler.h"

#include "error.h"

#include <string>
#include <utility>

namespace gsn {

TemperingSampler::TemperingSampler(std::vector<float> betas)
    : m_tempering(std::move(betas))
{
}

nlohmann::json TemperingSampler::config() const
{
    return {{"kind", kKind}, {"betas", m_tempering.betas()}};
}

const Rbm& TemperingSampler::rbmOf(const Model* model) const
{
    const auto* rbm = dynamic_cast<const Rbm*>(model);
    if (!rbm)
        fail("tempering", "model", std::string("expected an RBM, got ") + (model ? "a " + model->kind() : "none"));
    return *rbm;
}

TemperingChainState& TemperingSampler::stateOf(SamplerState& state)
{
    auto* s = dynamic_cast<TemperingChainState*>(&state);
    if (!s)
        fail("tempering", "chain state", "expected a state made by TemperingSampler::start");
    return *s;
}

int TemperingSampler::dimension(const Model* model) const
{
    return rbmOf(model).options().visible;
}

void TemperingSampler::checkModel(const Model* model) const
{
    rbmOf(model);
}

std::unique_ptr<SamplerState> TemperingSampler::start(const Model* model, const Matrix& x0) const
{
    TemperingState t = m_tempering.start(rbmOf(model), x0);
    auto s = std::make_unique<TemperingChainState>();
    static_cast<ChainState&>(*s) = std::move(t.chains);
    s->replicaV = std::move(t.v);
    s->replicaH = std::move(t.h);
    s->swapAttempts = std::move(t.swapAttempts);
    s->swapAccepts = std::move(t.swapAccepts);
    return s;
}

void TemperingSampler::step(const Model* model, SamplerState& state, std::uint64_t seed, const ChainClamp* clamp) const
{
    const Rbm& rbm = rbmOf(model);
    TemperingChainState& s = stateOf(state);
    const Eigen::Index chains = s.x.rows();
    const auto pairs = static_cast<std::size_t>(m_tempering.replicas() - 1);
    if (s.replicaV.rows() != chains * m_tempering.replicas() || s.swapAttempts.size() != pairs
        || s.swapAccepts.size() != pairs)
        fail("tempering", "chain state", "expected a state made by TemperingSampler::start with these betas");
    if (clamp && (clamp->mask.rows() != chains || clamp->mask.cols() != s.x.cols()))
        fail("tempering", "clamp", "expected one mask row per chain");
    // ParallelTempering works on its own state type: move the fields in and out (no copies).
    TemperingState t;
    t.v = std::move(s.replicaV);
    t.h = std::move(s.replicaH);
    // Replica 0 continues from state.x as the caller left it (e.g. with clamped values restored).
    t.v.topRows(chains) = s.x;
    t.swapAttempts = std::move(s.swapAttempts);
    t.swapAccepts = std::move(s.swapAccepts);
    t.chains = std::move(static_cast<ChainState&>(s));
    m_tempering.step(rbm, t, seed, clamp ? &clamp->mask : nullptr, clamp ? &clamp->values : nullptr);
    static_cast<ChainState&>(s) = std::move(t.chains);
    s.replicaV = std::move(t.v);
    s.replicaH = std::move(t.h);
    s.swapAttempts = std::move(t.swapAttempts);
    s.swapAccepts = std::move(t.swapAccepts);
}

SamplerDiagnostics TemperingSampler::diagnostics(const SamplerState& state) const
{
    SamplerDiagnostics d = Sampler::diagnostics(state);
    const auto* s = dynamic_cast<const TemperingChainState*>(&state);
    if (s) {
        d.swapAttempts = s->swapAttempts;
        d.swapAccepts = s->swapAccepts;
    }
    return d;
}

std::vector<double> TemperingSampler::energies(const Model* model, const SamplerState& state) const
{
    const Rbm& rbm = rbmOf(model);
    const auto* s = dynamic_cast<const TemperingChainState*>(&state);
    if (!s || s->h.empty())
        fail("tempering", "chain state", "expected a state made by TemperingSampler::start");
    return rbm.energy(s->x, s->h[0]);
}

std::unique_ptr<Sampler> createTemperingSampler(const nlohmann::json& config, const SamplerInputs&)
{
    if (!config.is_object())
        fail("sampler config", "rbm-pt", "expected a json object");
    if (config.contains("kind") && config["kind"] != TemperingSampler::kKind)
        fail("sampler config", "kind", std::string("expected \"") + TemperingSampler::kKind + "\"");
    if (config.contains("betas")) {
        const auto& b = config["betas"];
        if (!b.is_array() || b.empty())
            fail("sampler config", "betas", "expected a non-empty array of numbers");
        std::vector<float> betas;
        for (const auto& v : b) {
            if (!v.is_number())
                fail("sampler config", "betas", "expected numbers");
            betas.push_back(v.get<float>());
        }
        return std::make_unique<TemperingSampler>(std::move(betas));
    }
    const auto replicas = config.find("replicas");
    const auto betaMin = config.find("beta_min");
    if (replicas == config.end() || !replicas->is_number_integer())
        fail("sampler config", "replicas", "expected an integer (or give \"betas\")");
    if (betaMin == config.end() || !betaMin->is_number())
        fail("sampler config", "beta_min", "expected a number in (0, 1] (or give \"betas\")");
    return std::make_unique<TemperingSampler>(
        ParallelTempering::geometricBetas(replicas->get<int>(), betaMin->get<float>()));
}

} // namespace gsn
