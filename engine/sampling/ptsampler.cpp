#include "ptsampler.h"

#include "error.h"
#include "random.h"
#include "randomstreams.h"
#include "samplerregistry.h"

#include <cmath>
#include <string>
#include <utility>

namespace gsn {

namespace {

PtState& ptStateOf(SamplerState& state)
{
    auto* s = dynamic_cast<PtState*>(&state);
    if (!s || !s->replicas)
        fail("pt", "chain state", "expected a state made by PtSampler::start");
    return *s;
}

const PtState& ptStateOf(const SamplerState& state)
{
    const auto* s = dynamic_cast<const PtState*>(&state);
    if (!s || !s->replicas)
        fail("pt", "chain state", "expected a state made by PtSampler::start");
    return *s;
}

} // namespace

PtSampler::PtSampler(std::shared_ptr<const Sampler> base, std::vector<double> betas)
    : m_base(std::move(base))
    , m_betas(std::move(betas))
{
    if (!m_base)
        fail("pt", "base", "expected a base sampler");
    m_energy = m_base->energy();
    if (!m_energy || !m_energy->tempers())
        fail("pt", "base", "expected a sampler with an energy that runs on tempered targets (rwmh, mala, ula), got '" +
                               m_base->kind() + "'");
    if (m_betas.empty() || static_cast<std::uint64_t>(m_betas.size()) >= streams::kMaxReplicas)
        fail("pt", "betas", "expected at least one inverse temperature");
    if (m_betas[0] != 1.0)
        fail("pt", "betas", "expected betas[0] = 1 (the replica that samples the target)");
    for (std::size_t r = 1; r < m_betas.size(); ++r)
        if (!(m_betas[r] > 0.0) || !(m_betas[r] < m_betas[r - 1]))
            fail("pt", "betas", "expected strictly decreasing inverse temperatures > 0, got betas[" + std::to_string(r) +
                                    "] = " + std::to_string(m_betas[r]));
}

nlohmann::json PtSampler::config() const
{
    nlohmann::json base = m_base->config();
    nlohmann::json out = {{"kind", kKind}, {"betas", m_betas}};
    if (base.contains("target")) {
        out["target"] = base["target"];
        base.erase("target");
    }
    out["base"] = base;
    return out;
}

SamplerCapabilities PtSampler::capabilities() const
{
    const SamplerCapabilities b = m_base->capabilities();
    return {b.needsModel, b.clamping, false, false};
}

std::unique_ptr<SamplerState> PtSampler::start(const Model* model, const Matrix& x0) const
{
    const auto R = static_cast<Eigen::Index>(m_betas.size()), C = x0.rows();
    if (C < 1)
        fail("pt", "chain start", "expected at least one chain");
    if (static_cast<std::uint64_t>(R) * static_cast<std::uint64_t>(C) >= streams::kMaxChains)
        fail("pt", "chain start", "expected replicas x chains below 2^32");
    Matrix all(R * C, x0.cols());
    for (Eigen::Index r = 0; r < R; ++r)
        all.middleRows(r * C, C) = x0;
    auto s = std::make_unique<PtState>();
    s->replicas = m_base->start(model, all);
    s->x = x0;
    s->mean = s->replicas->mean.topRows(C);
    s->replicaCount = static_cast<int>(R);
    s->swapAttempts.assign(m_betas.size() - 1, 0);
    s->swapAccepts.assign(m_betas.size() - 1, 0);
    return s;
}

void PtSampler::step(const Model* model, SamplerState& state, std::uint64_t seed, const ChainClamp* clamp) const
{
    PtState& s = ptStateOf(state);
    const int R = static_cast<int>(m_betas.size());
    const Eigen::Index C = s.x.rows();
    if (s.replicaCount != R || s.replicas->x.rows() != R * C)
        fail("pt", "betas", "expected " + std::to_string(s.replicaCount) +
                                " inverse temperatures: a ladder with another number of replicas needs new chains");
    // What was written into state.x (edits, clamps) is the beta = 1 replica's state.
    if (s.replicas->x.topRows(C) != s.x)
        s.replicas->x.topRows(C) = s.x;
    ChainClamp all;
    if (clamp) {
        all.mask.resize(R * C, s.x.cols());
        all.values.resize(R * C, s.x.cols());
        for (int r = 0; r < R; ++r) {
            all.mask.middleRows(r * C, C) = clamp->mask;
            all.values.middleRows(r * C, C) = clamp->values;
        }
    }
    std::vector<float> rowBeta(static_cast<std::size_t>(R * C));
    for (int r = 0; r < R; ++r)
        std::fill(rowBeta.begin() + r * C, rowBeta.begin() + (r + 1) * C, static_cast<float>(m_betas[static_cast<std::size_t>(r)]));
    m_energy->stepTempered(model, *s.replicas, seed, clamp ? &all : nullptr, rowBeta);
    // Neighbour swaps, pair (0, 1) first.
    if (R > 1) {
        std::vector<double> e = m_energy->energies(model, *s.replicas);
        Matrix& x = s.replicas->x;
        Matrix& shown = s.replicas->mean;
        const bool swapMean = shown.rows() == x.rows();
        const std::uint64_t t = s.step;
        for (Eigen::Index c = 0; c < C; ++c) {
            Philox rng(seed, streams::pointSwapStream(static_cast<std::uint64_t>(c)), t);
            for (int r = 0; r + 1 < R; ++r) {
                const auto i = static_cast<std::size_t>(r * C + c), j = static_cast<std::size_t>((r + 1) * C + c);
                const double logA = (m_betas[static_cast<std::size_t>(r)] - m_betas[static_cast<std::size_t>(r + 1)]) * (e[i] - e[j]);
                const double u = rng.uniform();
                ++s.swapAttempts[static_cast<std::size_t>(r)];
                if (std::log(u) < logA) { // false for NaN: no swap
                    x.row(static_cast<Eigen::Index>(i)).swap(x.row(static_cast<Eigen::Index>(j)));
                    if (swapMean)
                        shown.row(static_cast<Eigen::Index>(i)).swap(shown.row(static_cast<Eigen::Index>(j)));
                    std::swap(e[i], e[j]);
                    ++s.swapAccepts[static_cast<std::size_t>(r)];
                }
            }
        }
    }
    s.x = s.replicas->x.topRows(C);
    s.mean = s.replicas->mean.topRows(C);
    ++s.step;
}

SamplerDiagnostics PtSampler::diagnostics(const SamplerState& state) const
{
    SamplerDiagnostics d = Sampler::diagnostics(state);
    const PtState& s = ptStateOf(state);
    d.swapAttempts = s.swapAttempts;
    d.swapAccepts = s.swapAccepts;
    return d;
}

const Matrix& PtSampler::replicaPoints(const SamplerState& state) { return ptStateOf(state).replicas->x; }

std::unique_ptr<Sampler> createPtSampler(const nlohmann::json& config, const SamplerInputs& inputs)
{
    if (!config.is_object())
        fail("sampler config", PtSampler::kKind, "expected a json object");
    if (config.contains("kind") && config["kind"] != PtSampler::kKind)
        fail("sampler config", "kind", "expected \"pt\"");
    const auto baseIt = config.find("base");
    if (baseIt == config.end() || !baseIt->is_object() || !baseIt->contains("kind"))
        fail("sampler config", "base", "expected the base sampler's config (e.g. {\"kind\": \"rwmh\", \"step_size\": 0.5})");
    nlohmann::json base = *baseIt;
    if (base["kind"] == PtSampler::kKind)
        fail("sampler config", "base", "expected a sampler other than pt");
    if (config.contains("target") && !base.contains("target"))
        base["target"] = config["target"];
    std::vector<double> betas;
    if (const auto b = config.find("betas"); b != config.end()) {
        if (!b->is_array() || b->empty())
            fail("sampler config", "betas", "expected an array of inverse temperatures starting at 1");
        for (const auto& v : *b) {
            if (!v.is_number())
                fail("sampler config", "betas", "expected numbers");
            betas.push_back(v.get<double>());
        }
    } else {
        const auto r = config.find("replicas");
        const auto m = config.find("beta_min");
        if (r == config.end() || !r->is_number_integer() || r->get<long long>() < 1 || r->get<long long>() > 1000)
            fail("sampler config", "replicas", "expected an integer in [1, 1000] (or \"betas\")");
        if (m == config.end() || !m->is_number() || !(m->get<double>() > 0.0) || !(m->get<double>() <= 1.0))
            fail("sampler config", "beta_min", "expected a number in (0, 1]");
        const int R = r->get<int>();
        for (int i = 0; i < R; ++i)
            betas.push_back(R == 1 ? 1.0 : std::pow(m->get<double>(), static_cast<double>(i) / (R - 1)));
        betas[0] = 1.0;
    }
    return std::make_unique<PtSampler>(std::shared_ptr<const Sampler>(createSampler(base, inputs)), std::move(betas));
}

} // namespace gsn
