// The table of sampler kinds and createSampler.

#include "samplerregistry.h"

#include "error.h"
#include "daelab.h"
#include "langevinsampler.h"
#include "npdaesampler.h"
#include "ptsampler.h"
#include "rwmhsampler.h"
#include "temperingsampler.h"

namespace gsn {

nlohmann::json SamplerKind::defaultConfig() const
{
    nlohmann::json config = defaults.is_object() ? defaults : nlohmann::json::object();
    config["kind"] = name;
    return config;
}

const std::vector<SamplerKind>& samplerKinds()
{
    // Defaults: tempering with the 4-replica geometric ladder the tests use; the non-parametric DAEs
    // with ParzenNpDae::Options' and the ring corruption's defaults; random-walk Metropolis with the
    // ring of 8 and the step size of the mode-mixing lab's benchmark peer (bench-peers/numpy_rwmh.py).
    static const std::vector<SamplerKind> table = [] {
        using C = SamplerKindCapabilities;
        std::vector<SamplerKind> t;
        t.push_back({ModelChainsSampler::kKind, "Model chain",
                     "the model's own transition operator (GSN/DAE walkback chain, RBM block Gibbs)",
                     C{.images = true, .points = true, .needsModel = true, .clamping = true}, nlohmann::json::object(),
                     createModelChainsSampler});
        t.push_back({TemperingSampler::kKind, "Parallel tempering (RBM)",
                     "R replicas of an RBM's Gibbs chain at inverse temperatures beta, neighbour swaps (SPEC 3)",
                     C{.images = true, .needsModel = true, .needsEnergy = true, .clamping = true, .hasEnergy = true},
                     {{"replicas", 4}, {"beta_min", 0.2}}, createTemperingSampler});
        t.push_back({ParzenNpDaeSampler::kKind, "Non-parametric DAE (Parzen)",
                     "DAE chain with a Parzen estimate of P(x | x~) over training pairs (SPEC 2.4)",
                     C{.points = true, .needsData = true, .clamping = true},
                     {{"corruption_sigma", 0.3}, {"input_bandwidth", 0.1}, {"output_sigma", 0.05}},
                     createParzenNpDaeSampler});
        t.push_back({DiscreteNpDaeSampler::kKind, "Non-parametric DAE (discrete)",
                     "DAE chain on K values with ring corruption and counted reconstructions (SPEC 2.4)",
                     C{.points = true, .needsData = true}, {{"values", 10}, {"keep", 0.5}, {"width", 1}},
                     createDiscreteNpDaeSampler});
        t.push_back({RwmhSampler::kKind, "Random-walk Metropolis",
                     "Gaussian proposals accepted with min(1, p(y)/p(x)) under a target density",
                     C{.points = true, .needsTarget = true, .clamping = true, .hasEnergy = true},
                     {{"step_size", 0.5}, {"target", {{"kind", "ring"}, {"modes", 8}, {"radius", 4.0}, {"sd", 0.25}}}},
                     createRwmhSampler});
        // Langevin and tempering on the same ring; step sizes where MALA accepts about 60% within a mode.
        const nlohmann::json ring8 = {{"kind", "ring"}, {"modes", 8}, {"radius", 4.0}, {"sd", 0.25}};
        t.push_back({LangevinSampler::kMalaKind, "MALA (exact score)",
                     "Langevin proposals x + (eps^2/2) grad log p + eps N(0, I) with the Metropolis-Hastings accept step",
                     C{.points = true, .needsTarget = true, .clamping = true, .hasEnergy = true},
                     {{"step_size", 0.25}, {"target", ring8}}, createMalaSampler});
        t.push_back({LangevinSampler::kUlaKind, "Unadjusted Langevin (exact score)",
                     "Langevin moves x + (eps^2/2) grad log p + eps N(0, I) without accept step (biased)",
                     C{.points = true, .needsTarget = true, .clamping = true, .hasEnergy = true},
                     {{"step_size", 0.1}, {"target", ring8}}, createUlaSampler});
        t.push_back({PtSampler::kKind, "Parallel tempering",
                     "R replicas of a sampler with an energy (rwmh, mala, ula) on p^beta, neighbour swaps (SPEC 7)",
                     C{.points = true, .needsTarget = true, .clamping = true},
                     {{"target", ring8}, {"base", {{"kind", "rwmh"}, {"step_size", 0.5}}}, {"replicas", 5}, {"beta_min", 0.05}},
                     createPtSampler});
        t.push_back({DaeScoreSampler::kKind, "Langevin on a DAE's learned score",
                     "x + (eps^2/2) (r(x) - x) / s^2 + eps N(0, I) under a dae-gauss snapshot (DAE paper 2.4)",
                     C{.points = true, .needsModel = true}, {{"step_size", 0.1}}, createDaeScoreSampler});
        return t;
    }();
    return table;
}

const SamplerKind* findSamplerKind(std::string_view name)
{
    for (const SamplerKind& kind : samplerKinds())
        if (kind.name == name)
            return &kind;
    return nullptr;
}

const SamplerKind& samplerKind(std::string_view name, const std::string& where, const std::string& field)
{
    if (const SamplerKind* kind = findSamplerKind(name))
        return *kind;
    fail(where, field, "expected " + kindList(kindNames(samplerKindsWhere([](const SamplerKind&) { return true; }))) +
                           ", got '" + std::string(name) + "'");
}

std::unique_ptr<Sampler> createSampler(const nlohmann::json& config, const SamplerInputs& inputs)
{
    if (!config.is_object() || !config.contains("kind") || !config["kind"].is_string())
        fail("sampler config", "kind",
             "expected a string (" +
                 kindList(kindNames(samplerKindsWhere([](const SamplerKind&) { return true; })), ", ", ", ") + ")");
    return samplerKind(config["kind"].get<std::string>()).create(config, inputs);
}

} // namespace gsn
