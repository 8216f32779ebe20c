#include "trainer.h"

#include "error.h"
#include "parallel.h"
#include "random.h"
#include "randomstreams.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>
#include <utility>

namespace gsn {
namespace {

constexpr double kNoRequest = std::numeric_limits<double>::quiet_NaN();

void checkHyperParameters(const char* where, double lr, double mu, double decay, int batchSize)
{
    if (!std::isfinite(lr) || lr < 0)
        fail(where, "learning rate", "expected a finite value >= 0, got " + std::to_string(lr));
    if (!std::isfinite(mu) || mu < 0 || mu >= 1)
        fail(where, "momentum", "expected a value in [0, 1), got " + std::to_string(mu));
    if (!std::isfinite(decay) || decay <= 0)
        fail(where, "decay", "expected a finite value > 0, got " + std::to_string(decay));
    if (batchSize < 1)
        fail(where, "batch size", "expected >= 1, got " + std::to_string(batchSize));
}

// Uniform integer in [0, bound) without modulo bias (Lemire's multiply-and-reject).
std::uint32_t boundedRandom(Philox& rng, std::uint32_t bound)
{
    std::uint64_t m = std::uint64_t(rng.next32()) * bound;
    auto low = static_cast<std::uint32_t>(m);
    if (low < bound) {
        const std::uint32_t threshold = static_cast<std::uint32_t>(-bound) % bound;
        while (low < threshold) {
            m = std::uint64_t(rng.next32()) * bound;
            low = static_cast<std::uint32_t>(m);
        }
    }
    return static_cast<std::uint32_t>(m >> 32);
}

// The first element of `m` (in storage order) that is not finite.
struct NonFinite {
    bool found = false;
    float value = 0;
    Eigen::Index row = 0;
    Eigen::Index col = 0;
    std::string text() const // "NaN at [r, c]"
    {
        return std::string(std::isnan(value) ? "NaN" : value > 0 ? "+inf" : "-inf") + " at [" + std::to_string(row) +
               ", " + std::to_string(col) + "]";
    }
};

template <typename M>
NonFinite firstNonFinite(const M& m)
{
    for (Eigen::Index c = 0; c < m.cols(); ++c)
        for (Eigen::Index r = 0; r < m.rows(); ++r)
            if (const float v = m(r, c); !std::isfinite(v))
                return {true, v, r, c};
    return {};
}

} // namespace

TrainState TrainState::start(Model& model, const TrainOptions& options)
{
    checkHyperParameters("training options", options.learningRate, options.momentum, options.decay,
                         options.batchSize);
    TrainState s;
    s.seed = options.seed;
    s.batchSize = options.batchSize;
    s.learningRate = options.learningRate;
    s.initialLearningRate = options.learningRate;
    s.momentum = options.momentum;
    s.decay = options.decay;
    for (const ParamRef& p : model.parameters())
        s.velocity.push_back(Matrix::Zero(p.value->rows(), p.value->cols()));
    return s;
}

Trainer::Trainer(Model& model, const Dataset& data, TrainState state)
    : m_model(model), m_data(data), m_state(std::move(state)), m_requestedLr(kNoRequest),
      m_requestedMomentum(kNoRequest)
{
    // Creates the engine's arena now, which pins OpenBLAS to one thread (parallel.cpp). Otherwise a model
    // whose batches fit in one parallelFor block would run its first products on a multi-threaded BLAS and
    // later ones single-threaded, and a resumed run would not be bit-identical to an uninterrupted one.
    engineThreads();
    if (data.count() == 0)
        fail(data.name, "examples", "expected at least one training example");
    if (data.dimension() != model.visibleSize() || data.pixels.cols() != model.visibleSize())
        fail(data.name, "image size",
             "expected " + std::to_string(model.visibleSize()) + " pixels per example for the " + model.kind() +
                 " model, got " + std::to_string(data.pixels.cols()));
    checkHyperParameters("training state", m_state.learningRate, m_state.momentum, m_state.decay,
                         m_state.batchSize);
    const std::vector<ParamRef> params = m_model.parameters();
    if (m_state.velocity.size() != params.size())
        fail("training state", "momentum buffers",
             "expected " + std::to_string(params.size()) + ", got " + std::to_string(m_state.velocity.size()));
    for (std::size_t i = 0; i < params.size(); ++i) {
        const Matrix& v = m_state.velocity[i];
        if (v.rows() != params[i].value->rows() || v.cols() != params[i].value->cols())
            fail("training state", "momentum." + params[i].name,
                 "expected shape [" + std::to_string(params[i].value->rows()) + ", " +
                     std::to_string(params[i].value->cols()) + "], got [" + std::to_string(v.rows()) + ", " +
                     std::to_string(v.cols()) + "]");
    }
    if (m_state.epoch < 0 || m_state.batch < 0 || m_state.batch >= batchesPerEpoch())
        fail("training state", "batch",
             "expected a batch index in [0, " + std::to_string(batchesPerEpoch()) + "), got " +
                 std::to_string(m_state.batch));
    m_grads.resize(params.size());
    m_newValue.resize(params.size());
    m_newVelocity.resize(params.size());
}

void Trainer::setBatchCallback(std::function<void(const BatchProgress&)> callback)
{
    m_onBatch = std::move(callback);
}

void Trainer::setEpochCallback(std::function<void(const EpochSummary&)> callback)
{
    m_onEpoch = std::move(callback);
}

void Trainer::setLearningRate(double lr)
{
    if (!std::isfinite(lr) || lr < 0)
        fail("trainer", "learning rate", "expected a finite value >= 0, got " + std::to_string(lr));
    m_requestedLr.store(lr);
}

void Trainer::setMomentum(double mu)
{
    if (!std::isfinite(mu) || mu < 0 || mu >= 1)
        fail("trainer", "momentum", "expected a value in [0, 1), got " + std::to_string(mu));
    m_requestedMomentum.store(mu);
}

int Trainer::batchesPerEpoch(long long examples, int batchSize)
{
    return static_cast<int>((examples + batchSize - 1) / batchSize);
}

int Trainer::batchesPerEpoch() const
{
    return batchesPerEpoch(m_data.count(), m_state.batchSize);
}

std::vector<int> Trainer::epochOrder(std::uint64_t seed, int epoch, int n)
{
    std::vector<int> order(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i)
        order[i] = i;
    Philox rng(seed, streams::kShuffleStream, static_cast<std::uint64_t>(epoch));
    for (int i = n - 1; i > 0; --i)
        std::swap(order[i], order[boundedRandom(rng, static_cast<std::uint32_t>(i + 1))]);
    return order;
}

std::string Trainer::applyUpdate(float lr, float mu)
{
    // The new values go to scratch buffers first and are swapped in only when every one is finite,
    // so a diverging step leaves the model and the momentum exactly at the last good batch.
    std::vector<ParamRef> params = m_model.parameters();
    for (std::size_t i = 0; i < params.size(); ++i) {
        const Matrix& g = m_grads[i];
        const Matrix& theta = *params[i].value;
        if (g.rows() != theta.rows() || g.cols() != theta.cols())
            fail(m_model.kind(), "gradient of " + params[i].name, "expected the parameter's shape");
        m_newVelocity[i] = mu * m_state.velocity[i] + (1.0f - mu) * g;
        m_newValue[i] = theta - lr * m_newVelocity[i];
        if (!m_newVelocity[i].allFinite())
            return "momentum of " + params[i].name + " is not finite (gradient overflow)";
        if (!m_newValue[i].allFinite())
            return "parameter " + params[i].name + " is not finite after the update";
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
        params[i].value->swap(m_newValue[i]);
        m_state.velocity[i].swap(m_newVelocity[i]);
    }
    return {};
}

TrainResult Trainer::run(int epochs, const std::atomic<bool>* cancel)
{
    using Clock = std::chrono::steady_clock;
    const int n = m_data.count();
    const int dim = static_cast<int>(m_data.pixels.cols());
    const int batches = batchesPerEpoch();
    const auto runStart = Clock::now();
    long long runExamples = 0;
    Matrix batch;
    NoiseKey key;
    key.seed = m_state.seed;

    while (m_state.epoch < epochs) {
        const auto epochStart = Clock::now();
        const std::vector<int> order = epochOrder(m_state.seed, m_state.epoch, n);
        while (m_state.batch < batches) {
            if (cancel && cancel->load())
                return {TrainStatus::Cancelled, "cancelled"};
            if (double lr = m_requestedLr.exchange(kNoRequest); !std::isnan(lr))
                m_state.learningRate = lr;
            if (double mu = m_requestedMomentum.exchange(kNoRequest); !std::isnan(mu))
                m_state.momentum = mu;

            const int begin = m_state.batch * m_state.batchSize;
            const int rows = std::min(m_state.batchSize, n - begin);
            batch.resize(rows, dim);
            key.step = m_state.step;
            key.rowStream.resize(static_cast<std::size_t>(rows));
            for (int r = 0; r < rows; ++r) {
                const int example = order[static_cast<std::size_t>(begin + r)];
                batch.row(r) = m_data.pixels.row(example);
                key.rowStream[static_cast<std::size_t>(r)]
                    = streams::trainingRowStream(static_cast<std::uint64_t>(example));
            }

            // Loaders refuse non-finite pixels; a Dataset built in code could still hold one. Caught here it is
            // named as the input it is rather than as a loss that overflowed.
            if (!batch.allFinite()) {
                for (int r = 0; r < rows; ++r) {
                    const NonFinite bad = firstNonFinite(batch.row(r));
                    if (!bad.found)
                        continue;
                    std::ostringstream msg;
                    msg << "stopped at epoch " << m_state.epoch + 1 << ", batch " << m_state.batch + 1 << " of "
                        << batches << ": input example " << order[static_cast<std::size_t>(begin + r)] << " of "
                        << m_data.name << " has " << (std::isnan(bad.value) ? "NaN" : "an infinite value")
                        << " at pixel " << bad.col << "; parameters kept at the last good batch";
                    return {TrainStatus::Diverged, msg.str()};
                }
            }
            const double loss = m_model.lossAndGradient(batch, key, m_grads);
            std::string problem;
            if (!std::isfinite(loss)) {
                problem = "loss is " + std::to_string(loss);
                // Name the layer: the first parameter whose gradient is not finite.
                const std::vector<ParamRef> params = m_model.parameters();
                std::string layer;
                for (std::size_t i = 0; i < params.size() && i < m_grads.size() && layer.empty(); ++i)
                    if (const NonFinite bad = firstNonFinite(m_grads[i]); bad.found)
                        layer = "; gradient of " + params[i].name + " is " + bad.text();
                if (layer.empty() && !params.empty()) {
                    // Every gradient finite: the loss overflowed in the forward pass. Name the layer whose
                    // weights are largest, where the overflow comes from.
                    std::size_t largest = 0;
                    float largestValue = -1;
                    for (std::size_t i = 0; i < params.size(); ++i)
                        if (const float m = params[i].value->cwiseAbs().maxCoeff(); m > largestValue) {
                            largest = i;
                            largestValue = m;
                        }
                    std::ostringstream text;
                    text.precision(3);
                    text << "; every gradient is finite, the largest parameter is " << params[largest].name
                         << " (|value| up to " << largestValue << ")";
                    layer = text.str();
                }
                problem += layer;
            }
            else if (m_grads.size() != m_state.velocity.size())
                fail(m_model.kind(), "gradients", "expected one per parameter");
            else
                problem = applyUpdate(static_cast<float>(m_state.learningRate), static_cast<float>(m_state.momentum));
            if (!problem.empty()) {
                std::ostringstream msg;
                msg << "diverged at epoch " << m_state.epoch + 1 << ", batch " << m_state.batch + 1 << " of "
                    << batches << ": " << problem << " (learning rate " << m_state.learningRate
                    << "); parameters kept at the last good batch";
                return {TrainStatus::Diverged, msg.str()};
            }

            BatchProgress progress;
            progress.epoch = m_state.epoch;
            progress.batch = m_state.batch;
            progress.batches = batches;
            progress.loss = loss;
            progress.learningRate = m_state.learningRate;
            progress.momentum = m_state.momentum;
            m_state.epochLossSum += loss * rows;
            m_state.epochExamples += rows;
            ++m_state.batch;
            ++m_state.step;
            runExamples += rows;
            const double elapsed = std::chrono::duration<double>(Clock::now() - runStart).count();
            progress.examplesPerSecond = elapsed > 0 ? runExamples / elapsed : 0;
            if (m_onBatch)
                m_onBatch(progress);
        }

        EpochSummary summary;
        summary.epoch = m_state.epoch;
        summary.meanLoss = m_state.epochExamples > 0 ? m_state.epochLossSum / m_state.epochExamples : 0;
        summary.seconds = std::chrono::duration<double>(Clock::now() - epochStart).count();
        ++m_state.epoch;
        m_state.batch = 0;
        m_state.epochLossSum = 0;
        m_state.epochExamples = 0;
        m_state.learningRate *= m_state.decay;
        if (m_onEpoch)
            m_onEpoch(summary);
    }
    return {TrainStatus::Finished, {}};
}

} // namespace gsn
