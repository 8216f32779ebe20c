#pragma once
// Mixing against training and against sampling noise (issue 15 item 4; docs/mixing.md "Mixing against
// training"): for a model snapshot, the class-switch rate of its chains (the definitions of `gsn mixing`,
// classmixingchains.h) and a small Parzen log-likelihood of one chain's means, so the studio can plot both
// against the epoch over a training run's snapshots ("the trade-off as the model sharpens"); and the
// switch rate of the same model with its sampling noise scaled, since that noise acts as a temperature.
//
// What is measured, fixed so that snapshots compare:
//   switch rate: `chains` chains started at test digits startIndex, startIndex + 1, ... with `seed`, run
//     for `steps` steps, each frame labelled by the classifier: the mean class switches per 100 steps
//     (ClassMixingMonitor), with the median steps to all ten classes, the TV of the visited classes
//     against the test set's class frequencies, and the fraction of unsure frames;
//   Parzen: one chain from test digit startIndex, its first `parzenSamples` displayed means (SPEC 4's
//     "consecutive means from one chain", fewer of them), sigma chosen on `validation` from SPEC 4's grid,
//     the mean log-likelihood (nats) of the first `parzenTest` test digits and its standard error.

#include "classifier.h"
#include "dataset.h"
#include "model.h"
#include "tensor.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace gsn::mixing {

struct TrainingMixingOptions {
    int chains = 10;
    int steps = 300;
    std::uint64_t seed = 1;
    long long startIndex = 0;
    int parzenSamples = 1000; // 0: no Parzen figure
    int parzenTest = 1000;
};

struct SnapshotMixing {
    int epoch = 0;
    double switchRatePer100 = 0;
    double medianStepsToAll = 0; // NaN when fewer than half the chains saw all ten classes
    double totalVariation = 0;
    double unsureFraction = 0;
    double parzenMean = 0;  // NaN without a Parzen figure
    double parzenStandardError = 0;
    double parzenSigma = 0;
};

// The figures of one snapshot. `test` is a labelled digit set (the classifier's size); `validation`
// (shape = [V, d], V >= 1) chooses the Parzen sigma. nullopt when *cancel turned true; gsn::Error for a
// model, classifier or data of the wrong size.
std::optional<SnapshotMixing> measureSnapshot(const std::shared_ptr<const Model>& model, int epoch, const Classifier& classifier,
                                              const Dataset& test, const Matrix& validation, const TrainingMixingOptions& options,
                                              const std::atomic<bool>* cancel = nullptr);

// A copy of `model` (same parameters) whose sampling noise is scaled by `scale` >= 0: the corruption level
// (clamped to at most 1 for salt-and-pepper and masking) and, for GSN-k, the hidden noise sigma. The
// trained parameters are unchanged; only how its chains are noised. gsn::Error for a negative scale or a
// model kind without such noise (an RBM).
std::shared_ptr<const Model> withNoiseScaled(const Model& model, double scale);

// The switch rate (per 100 steps) of withNoiseScaled(model, s) for every s of `scales`, measured as in
// measureSnapshot (no Parzen). nullopt when cancelled.
std::optional<std::vector<double>> switchRateAgainstNoise(const Model& model, const std::vector<double>& scales,
                                                          const Classifier& classifier, const Dataset& test,
                                                          const TrainingMixingOptions& options,
                                                          const std::atomic<bool>* cancel = nullptr);

} // namespace gsn::mixing
