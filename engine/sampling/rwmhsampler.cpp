#include "rwmhsampler.h"

#include "error.h"
#include "parallel.h"
#include "random.h"
#include "randomstreams.h"

#include <cmath>
#include <string>
#include <utility>

namespace gsn {

namespace {

// Chains per parallel block: fixed, so results do not depend on the thread count.
constexpr std::size_t kChainBlock = 64;

RwmhState& stateOf(SamplerState& state)
{
    auto* s = dynamic_cast<RwmhState*>(&state);
    if (!s)
        fail("rwmh", "chain state", "expected a state made by RwmhSampler::start");
    return *s;
}

} // namespace

RwmhSampler::RwmhSampler(std::shared_ptr<const Target> target, double stepSize)
    : m_target(std::move(target))
    , m_stepSize(stepSize)
{
    if (!m_target)
        fail("rwmh", "target", "expected a target density");
    if (!(stepSize > 0.0) || !std::isfinite(stepSize))
        fail("rwmh", "step_size", "expected a finite number > 0");
}

nlohmann::json RwmhSampler::config() const
{
    return {{"kind", kKind}, {"step_size", m_stepSize}, {"target", m_target->config()}};
}

void RwmhSampler::checkModel(const Model* model) const
{
    if (model)
        fail("rwmh", "model", "expected no model: random-walk Metropolis samples its target density");
}

std::unique_ptr<SamplerState> RwmhSampler::start(const Model* model, const Matrix& x0) const
{
    checkModel(model);
    const int d = m_target->dimension();
    if (x0.rows() < 1 || x0.cols() != d || !x0.allFinite())
        fail("rwmh", "chain start", "expected finite points of shape [C >= 1, " + std::to_string(d) + "]");
    auto s = std::make_unique<RwmhState>();
    s->x = x0;
    s->mean = x0;
    return s;
}

void RwmhSampler::step(const Model* model, SamplerState& state, std::uint64_t seed, const ChainClamp* clamp) const
{
    checkModel(model);
    RwmhState& s = stateOf(state);
    const Eigen::Index chains = s.x.rows(), d = s.x.cols();
    if (d != m_target->dimension())
        fail("rwmh", "chain state", "expected " + std::to_string(m_target->dimension()) + " columns");
    const std::size_t blocks = (static_cast<std::size_t>(chains) + kChainBlock - 1) / kChainBlock;
    std::vector<std::uint64_t> accepted(blocks, 0);
    const float stepSize = static_cast<float>(m_stepSize);
    parallelFor(static_cast<std::size_t>(chains), kChainBlock, [&](std::size_t begin, std::size_t end) {
        const auto b = static_cast<Eigen::Index>(begin), n = static_cast<Eigen::Index>(end - begin);
        Matrix noise(n, d);
        Vector logU(n);
        for (Eigen::Index r = 0; r < n; ++r) {
            Philox rng(seed, streams::rwmhStream(static_cast<std::uint64_t>(b + r)), s.step);
            rng.normal(noise.row(r).data(), static_cast<std::size_t>(d));
            logU(r) = std::log(rng.uniform());
        }
        if (clamp)
            noise.array() *= (1.0f - clamp->mask.middleRows(b, n).array());
        auto x = s.x.middleRows(b, n);
        const Matrix proposal = x + stepSize * noise;
        // log p(x) is recomputed rather than cached: the ChainSet (clamps) and the user (edits) may
        // write into state.x between steps.
        const Vector ratio = m_target->logDensity(proposal) - m_target->logDensity(x);
        std::uint64_t count = 0;
        for (Eigen::Index r = 0; r < n; ++r) {
            if (logU(r) < ratio(r)) { // false for NaN (e.g. both densities 0): reject
                x.row(r) = proposal.row(r);
                ++count;
            }
        }
        accepted[begin / kChainBlock] = count;
    });
    for (std::uint64_t a : accepted)
        s.accepts += a;
    s.proposals += static_cast<std::uint64_t>(chains);
    s.mean = s.x;
    ++s.step;
}

SamplerDiagnostics RwmhSampler::diagnostics(const SamplerState& state) const
{
    SamplerDiagnostics d = Sampler::diagnostics(state);
    const auto* s = dynamic_cast<const RwmhState*>(&state);
    if (!s)
        fail("rwmh", "chain state", "expected a state made by RwmhSampler::start");
    d.proposals = s->proposals;
    d.accepts = s->accepts;
    return d;
}

std::vector<double> RwmhSampler::energies(const Model* model, const SamplerState& state) const
{
    checkModel(model);
    const Vector logp = m_target->logDensity(state.x);
    std::vector<double> e(static_cast<std::size_t>(logp.size()));
    for (Eigen::Index c = 0; c < logp.size(); ++c)
        e[static_cast<std::size_t>(c)] = -static_cast<double>(logp(c));
    return e;
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
