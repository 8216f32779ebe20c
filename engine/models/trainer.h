#pragma once
// Minibatch SGD with momentum for any gsn::Model (SPEC 2.2):
//   m <- mu * m + (1 - mu) * g;   theta <- theta - lr * m;   lr <- lr * decay after every epoch.
//
// Everything random is keyed, nothing is carried in a generator: the example order of epoch e is a
// Fisher-Yates shuffle drawn from Philox(seed, streams::kShuffleStream, e) (randomstreams.h), and the
// noise of a batch is NoiseKey{seed, step = global batch counter, rowStream = the examples' dataset
// indices}. The training
// state is therefore a handful of counters plus the momentum buffers, and a run resumed from a saved
// TrainState (mid-epoch or at an epoch end) is bit-identical to an uninterrupted one.

#include "dataset.h"
#include "model.h"
#include "tensor.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace gsn {

// Hyper-parameters of a fresh run.
struct TrainOptions {
    std::uint64_t seed = 0;
    int batchSize = 100;
    double learningRate = 0.25;
    double momentum = 0.5;     // mu in [0, 1)
    double decay = 0.995;      // learning-rate factor applied after each epoch, > 0
};

// Everything needed to continue a run exactly where it stopped. Saved in checkpoints.
struct TrainState {
    std::uint64_t seed = 0;
    int epoch = 0;                  // epoch in progress, 0-based (= number of completed epochs)
    int batch = 0;                  // batches completed within `epoch`
    std::uint64_t step = 0;         // global batch counter: NoiseKey::step of the next batch
    int batchSize = 100;
    double learningRate = 0.25;     // current value (decay of completed epochs applied, user changes kept)
    double initialLearningRate = 0.25;
    double momentum = 0.5;
    double decay = 0.995;
    double epochLossSum = 0;        // sum of loss * rows over the completed batches of `epoch`
    long long epochExamples = 0;    // rows of the completed batches of `epoch`
    std::vector<Matrix> velocity;   // momentum buffers, one per parameter in Model::parameters() order

    // A fresh state (epoch 0, zero momentum buffers shaped like `model`'s parameters).
    static TrainState start(Model& model, const TrainOptions& options);
};

// Reported after every batch (on the training thread).
struct BatchProgress {
    int epoch = 0;                  // 0-based epoch of this batch
    int batch = 0;                  // 0-based batch index within the epoch
    int batches = 0;                // batches per epoch
    double loss = 0;                // mean loss per example of this batch
    double examplesPerSecond = 0;   // over this run() call so far
    double learningRate = 0;        // value used for this batch
    double momentum = 0;            // value used for this batch
};

// Reported after every completed epoch, once the state already points at the next epoch
// (so a checkpoint written from the callback resumes correctly).
struct EpochSummary {
    int epoch = 0;                  // 0-based index of the epoch just completed
    double meanLoss = 0;            // mean loss per example over the epoch
    double seconds = 0;             // wall time of the part of the epoch run in this call
};

enum class TrainStatus { Finished, Cancelled, Diverged };

struct TrainResult {
    TrainStatus status = TrainStatus::Finished;
    std::string message;            // for Diverged: what was not finite, where; parameters are the last good ones
};

class Trainer {
public:
    // `model` and `data` must outlive the trainer. `state` comes from TrainState::start or a checkpoint.
    // Throws gsn::Error when the data's dimension differs from the model's visible size, the state's
    // momentum buffers do not match the parameters, or a hyper-parameter is out of range.
    Trainer(Model& model, const Dataset& data, TrainState state);

    // Called after every batch with the batch's loss.
    void setBatchCallback(std::function<void(const BatchProgress&)> callback);
    // Called after every completed epoch (e.g. to save a checkpoint and draw a sample strip).
    void setEpochCallback(std::function<void(const EpochSummary&)> callback);

    // Thread-safe; take effect at the start of the next batch and persist in the state
    // (the epoch decay then keeps multiplying the new learning rate).
    void setLearningRate(double lr);
    void setMomentum(double mu);

    // Trains until state().epoch == epochs, `cancel` becomes true (checked before every batch), or a
    // non-finite input pixel, loss, parameter or momentum value appears. On divergence the offending batch's
    // update is not applied: parameters and state stay at the last good batch (state a model changes inside
    // lossAndGradient itself, such as the RBM's persistent chains "pcd_v", has already advanced). The
    // Diverged message names the batch (epoch and batch, 1-based) and what was not finite: the input
    // example and pixel, or the parameter (layer) whose gradient, momentum or value was, or for a loss that
    // overflowed with finite gradients the parameter with the largest values.
    TrainResult run(int epochs, const std::atomic<bool>* cancel = nullptr);

    const TrainState& state() const { return m_state; }
    Model& model() { return m_model; }
    int batchesPerEpoch() const;

    // Batches per epoch: ceil(examples / batchSize) (the last batch may be smaller).
    static int batchesPerEpoch(long long examples, int batchSize);
    // The example order of `epoch`: a permutation of [0, n) from Philox(seed, streams::kShuffleStream, epoch).
    static std::vector<int> epochOrder(std::uint64_t seed, int epoch, int n);

private:
    // Applies one momentum step from m_grads; returns an empty string, or what was not finite.
    std::string applyUpdate(float lr, float mu);

    Model& m_model;
    const Dataset& m_data;
    TrainState m_state;
    std::vector<Matrix> m_grads;
    std::vector<Matrix> m_newValue;
    std::vector<Matrix> m_newVelocity;
    std::function<void(const BatchProgress&)> m_onBatch;
    std::function<void(const EpochSummary&)> m_onEpoch;
    // NaN means "no change requested"; the training thread exchanges them at each batch start.
    std::atomic<double> m_requestedLr;
    std::atomic<double> m_requestedMomentum;
};

} // namespace gsn
