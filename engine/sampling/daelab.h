#pragma once
// The parametric DAE of the mode-mixing lab (issue 13 item 2, SPEC 7 "DAE chains"): a dae-gauss model
// (Gaussian corruption x~ = x + N(0, s^2 I), Gaussian reconstruction, dae.h) trained live on exact
// draws of a Target, and the samplers that run under it:
//   - its own chain X~ ~ C(. | X), X ~ P(. | X~): the "model-chain" sampler on the model (sampler.h);
//   - Langevin on its learned score (r(x) - x) / s^2 (r = the reconstruction): DaeScoreSampler,
//     kind "dae-score", x <- x + (eps^2 / 2) score(x) + eps N(0, I), no accept step (the learned score
//     has no energy to accept with). Noise: Philox(seed, streams::daeScoreStream(c), t), d normals.
// "Live": the sampler holds no model; it runs under the ChainSet's Model snapshot (needsModel), so a
// trainer can keep training the DAE and install newer snapshots (ChainSet::setModel) while it runs.

#include "dae.h"
#include "sampler.h"
#include "target.h"
#include "trainer.h"

#include <atomic>
#include <functional>
#include <memory>

namespace gsn {

struct DaeLabOptions {
    int hidden = 64;            // hidden units of the dae-gauss
    double corruption = 0.3;    // s: gaussian corruption level (and the output sigma)
    int samples = 5000;         // exact target draws to train on
    int epochs = 200;           // 60 gave a mean cosine with the exact score of 0.83, 200 gives 0.94 (tst_mixsamplers)
    TrainOptions train{.seed = 1, .batchSize = 100, .learningRate = 0.05, .momentum = 0.9, .decay = 0.99};
};

// A new dae-gauss on the target's dimension ({"kind": "dae-gauss", "sizes": [d, hidden],
// "corruption": gaussian(s), "output_sigma": s}), initialised from `seed`. Throws gsn::Error for bad options.
std::unique_ptr<Dae> newLabDae(int dimension, const DaeLabOptions& options, std::uint64_t seed);
// The training set: options.samples exact draws of `target` (Target::sample with seed options.train.seed)
// as a points Dataset (width = d, height = 1).
Dataset targetDataset(const Target& target, const DaeLabOptions& options);
// Trains `dae` for options.epochs on targetDataset(target, options); `onEpoch` (may be empty) is called
// after every epoch (e.g. to install a snapshot in a running ChainSet). Returns the trainer's result.
TrainResult trainDaeOnTarget(Dae& dae, const Target& target, const DaeLabOptions& options,
                             const std::function<void(const EpochSummary&)>& onEpoch = {},
                             const std::atomic<bool>* cancel = nullptr);
// The learned score (r(x) - x) / s^2 of every row of x (shape = [n, d]); s = the dae's corruption level
// (gaussian corruption required, else gsn::Error).
Matrix learnedScore(const Dae& dae, const Matrix& x);
// The log-density the DAE implies, up to a constant: Dae::potential(x, s) with s its corruption level, whose
// gradient is learnedScore exactly (the lab's "DAE implied density" heatmap). Same errors as learnedScore.
Eigen::VectorXd learnedLogDensity(const Dae& dae, const Matrix& x);

class DaeScoreSampler : public Sampler {
public:
    static constexpr const char* kKind = "dae-score";
    // stepSize > 0 and finite.
    explicit DaeScoreSampler(double stepSize);
    std::string kind() const override { return kKind; }
    nlohmann::json config() const override { return {{"kind", kKind}, {"step_size", m_stepSize}}; }
    SamplerCapabilities capabilities() const override { return {true, false, false, false}; }
    int dimension(const Model* model) const override;
    // A dae-gauss with gaussian corruption.
    void checkModel(const Model* model) const override;
    std::unique_ptr<SamplerState> start(const Model* model, const Matrix& x0) const override;
    void step(const Model* model, SamplerState& state, std::uint64_t seed, const ChainClamp* clamp) const override;
    double stepSize() const { return m_stepSize; }

private:
    double m_stepSize;
};

// Factory: {"kind": "dae-score", "step_size": eps}.
std::unique_ptr<Sampler> createDaeScoreSampler(const nlohmann::json& config, const SamplerInputs& inputs);

} // namespace gsn
