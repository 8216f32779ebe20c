#include "sampler.h"

#include "error.h"

namespace gsn {

std::vector<double> SamplerDiagnostics::swapRates() const
{
    std::vector<double> rates(swapAttempts.size(), 0.0);
    for (std::size_t r = 0; r < rates.size() && r < swapAccepts.size(); ++r) {
        if (swapAttempts[r] > 0)
            rates[r] = static_cast<double>(swapAccepts[r]) / static_cast<double>(swapAttempts[r]);
    }
    return rates;
}

void EnergySampler::stepTempered(const Model*, SamplerState&, std::uint64_t, const ChainClamp*,
                                 const std::vector<float>&) const
{
    fail("tempering", "base sampler", "expected a sampler that can run on tempered targets p^beta");
}

SamplerDiagnostics Sampler::diagnostics(const SamplerState& state) const
{
    SamplerDiagnostics d;
    d.steps = state.step;
    d.chains = static_cast<std::uint64_t>(state.x.rows());
    return d;
}

int ModelChainsSampler::dimension(const Model* model) const
{
    checkModel(model);
    return model->visibleSize();
}

void ModelChainsSampler::checkModel(const Model* model) const
{
    if (!model)
        fail("chains", "model", "expected a model, got none");
}

std::unique_ptr<SamplerState> ModelChainsSampler::start(const Model* model, const Matrix& x0) const
{
    checkModel(model);
    return std::make_unique<ChainState>(model->startChains(x0));
}

void ModelChainsSampler::step(const Model* model, SamplerState& state, std::uint64_t seed, const ChainClamp*) const
{
    checkModel(model);
    auto* chains = dynamic_cast<ChainState*>(&state);
    if (!chains)
        fail("chains", "model chain state", "expected a state made by ModelChainsSampler::start");
    model->stepChains(*chains, seed);
}

std::unique_ptr<Sampler> createModelChainsSampler(const nlohmann::json& config, const SamplerInputs&)
{
    if (!config.is_object() || (config.contains("kind") && config["kind"] != ModelChainsSampler::kKind))
        fail("sampler config", "kind", std::string("expected \"") + ModelChainsSampler::kKind + "\"");
    return std::make_unique<ModelChainsSampler>();
}

std::shared_ptr<const Sampler> modelChainsSampler()
{
    static const auto instance = std::make_shared<const ModelChainsSampler>();
    return instance;
}

} // namespace gsn
