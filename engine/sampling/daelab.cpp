#include "daelab.h"

#include "error.h"
#include "parallel.h"
#include "random.h"
#include "randomstreams.h"

#include <cmath>
#include <string>

namespace gsn {

namespace {

const Dae& labDae(const Model* model)
{
    const auto* dae = dynamic_cast<const Dae*>(model);
    if (!dae || !dae->gaussian() || dae->corruption().kind != CorruptionKind::Gaussian || !(dae->corruption().level > 0.0f))
        fail(DaeScoreSampler::kKind, "model", "expected a dae-gauss model with gaussian corruption of level > 0");
    return *dae;
}

} // namespace

std::unique_ptr<Dae> newLabDae(int dimension, const DaeLabOptions& options, std::uint64_t seed)
{
    if (dimension < 1)
        fail("dae lab", "dimension", "expected >= 1");
    if (options.hidden < 1 || options.hidden > 4096)
        fail("dae lab", "hidden", "expected an integer in [1, 4096]");
    if (!(options.corruption > 0.0) || !std::isfinite(options.corruption))
        fail("dae lab", "corruption", "expected a finite level > 0");
    const nlohmann::json config = {{"kind", "dae-gauss"},
                                   {"sizes", {dimension, options.hidden}},
                                   {"corruption", {{"type", "gaussian"}, {"level", options.corruption}}},
                                   {"output_sigma", options.corruption}};
    return std::make_unique<Dae>(config, seed);
}

Dataset targetDataset(const Target& target, const DaeLabOptions& options)
{
    if (options.samples < 1)
        fail("dae lab", "samples", "expected at least one target draw");
    Dataset d;
    d.name = "target-" + target.kind();
    d.source = "exact draws of " + target.config().dump();
    d.width = target.dimension();
    d.height = 1;
    d.pixels = target.sample(options.samples, options.train.seed);
    d.hash = contentHash(d);
    return d;
}

TrainResult trainDaeOnTarget(Dae& dae, const Target& target, const DaeLabOptions& options,
                             const std::function<void(const EpochSummary&)>& onEpoch, const std::atomic<bool>* cancel)
{
    if (dae.visibleSize() != target.dimension())
        fail("dae lab", "model", "expected a dae on " + std::to_string(target.dimension()) + " coordinates");
    if (options.epochs < 0)
        fail("dae lab", "epochs", "expected >= 0");
    const Dataset data = targetDataset(target, options);
    Trainer trainer(dae, data, TrainState::start(dae, options.train));
    if (onEpoch)
        trainer.setEpochCallback(onEpoch);
    return trainer.run(options.epochs, cancel);
}

Matrix learnedScore(const Dae& dae, const Matrix& x)
{
    const float s = dae.corruption().level;
    if (dae.corruption().kind != CorruptionKind::Gaussian || !(s > 0.0f))
        fail("dae lab", "corruption", "expected gaussian corruption of level > 0 (the score needs s)");
    return (dae.reconstruction(x) - x) / (s * s);
}

Eigen::VectorXd learnedLogDensity(const Dae& dae, const Matrix& x)
{
    const float s = dae.corruption().level;
    if (dae.corruption().kind != CorruptionKind::Gaussian || !(s > 0.0f))
        fail("dae lab", "corruption", "expected gaussian corruption of level > 0 (the score needs s)");
    return dae.potential(x, s);
}

DaeScoreSampler::DaeScoreSampler(double stepSize)
    : m_stepSize(stepSize)
{
    if (!(stepSize > 0.0) || !std::isfinite(stepSize))
        fail(kKind, "step_size", "expected a finite number > 0");
}

int DaeScoreSampler::dimension(const Model* model) const { return labDae(model).visibleSize(); }

void DaeScoreSampler::checkModel(const Model* model) const { labDae(model); }

std::unique_ptr<SamplerState> DaeScoreSampler::start(const Model* model, const Matrix& x0) const
{
    const Dae& dae = labDae(model);
    if (x0.rows() < 1 || x0.cols() != dae.visibleSize() || !x0.allFinite())
        fail(kKind, "chain start", "expected finite points of shape [C >= 1, " + std::to_string(dae.visibleSize()) + "]");
    auto s = std::make_unique<SamplerState>();
    s->x = x0;
    s->mean = x0;
    return s;
}

void DaeScoreSampler::step(const Model* model, SamplerState& state, std::uint64_t seed, const ChainClamp*) const
{
    const Dae& dae = labDae(model);
    const Eigen::Index C = state.x.rows(), d = state.x.cols();
    if (d != dae.visibleSize())
        fail(kKind, "chain state", "expected " + std::to_string(dae.visibleSize()) + " columns");
    const float eps = static_cast<float>(m_stepSize), h = 0.5f * eps * eps;
    constexpr std::size_t kBlock = 256; // fixed: the same chains on any thread count
    parallelFor(static_cast<std::size_t>(C), kBlock, [&](std::size_t begin, std::size_t end) {
        const auto b = static_cast<Eigen::Index>(begin), n = static_cast<Eigen::Index>(end - begin);
        auto x = state.x.middleRows(b, n);
        const Matrix score = learnedScore(dae, Matrix(x));
        Matrix z(n, d);
        for (Eigen::Index r = 0; r < n; ++r) {
            Philox rng(seed, streams::daeScoreStream(static_cast<std::uint64_t>(b + r)), state.step);
            rng.normal(z.row(r).data(), static_cast<std::size_t>(d));
        }
        x += h * score + eps * z;
    });
    state.mean = state.x;
    ++state.step;
}

std::unique_ptr<Sampler> createDaeScoreSampler(const nlohmann::json& config, const SamplerInputs&)
{
    if (!config.is_object())
        fail("sampler config", DaeScoreSampler::kKind, "expected a json object");
    if (config.contains("kind") && config["kind"] != DaeScoreSampler::kKind)
        fail("sampler config", "kind", "expected \"dae-score\"");
    const auto step = config.find("step_size");
    if (step == config.end() || !step->is_number())
        fail("sampler config", "step_size", "expected a number > 0");
    return std::make_unique<DaeScoreSampler>(step->get<double>());
}

} // namespace gsn
