#pragma once
// Markov chains of a (model snapshot, sampler) pair, with clamping (SPEC 1 and 3), and a worker
// thread that runs them.
//
// ChainSet: C chains of one gsn::Sampler (sampler.h) under one gsn::Model snapshot (or none, for
// samplers with a target of their own); by default the model's own chains (ModelChainsSampler).
// Chain c draws its noise from Philox(seed, c, step) (the sampler documents its streams), so a seed
// gives the same frames on any thread count. Each chain may carry a clamp (samplers with the
// clamping capability): after EVERY step the clamped values are written back into both the fed-back
// state (state.x) and the displayed mean (state.mean), whatever the sampler; the clamp is also passed
// to the sampler's step (tempering clamps every replica). The chain then samples
// P(X_free | X_clamped = values).
//
// ChainRunner: owns a ChainSet and one std::thread that steps it at a target rate, hands every frame
// to a plain callback (on the worker thread) and is stopped and joined by its destructor.
//
// Parameters can change while chains run: setModel() (any thread) installs a newer snapshot of the
// same architecture, used from the next step on; the chain state is kept.

#include "chainframe.h"
#include "clampmask.h"
#include "model.h"
#include "sampler.h"
#include "tensor.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace gsn {

// How one chain starts.
struct ChainInit {
    enum class Kind { Noise, Zeros, Image };
    Kind kind = Kind::Noise;
    std::vector<float> image;          // Kind::Image only: shape = [n_visible], values in [0, 1]

    static ChainInit noise() { return {}; }
    static ChainInit zeros() { return {Kind::Zeros, {}}; }
    static ChainInit fromImage(std::vector<float> pixels) { return {Kind::Image, std::move(pixels)}; }
    // Row `r` of an image matrix (a dataset's pixels: one image per row).
    static ChainInit fromRow(const Matrix& images, Eigen::Index r)
    {
        const float* row = images.row(r).data();
        return fromImage(std::vector<float>(row, row + images.cols()));
    }
};

// The start matrix for `inits` (one row per chain; shape = [C, nVisible]): uniform noise in (0, 1)
// from Philox(seed, c, streams::kChainStartStep) (randomstreams.h), zeros, or the given image. Throws
// gsn::Error for an image of the wrong size or values outside [0, 1].
Matrix initialState(const std::vector<ChainInit>& inits, int nVisible, std::uint64_t seed);

// Samples for a Parzen evaluation (SPEC 4): the displayed means of ONE chain started at `init`
// (start noise from initialState, step noise from the model's stepChains with `seed`), kept after
// `burnin` steps, one every `thin` steps. progress(step, total) after every step (may be empty);
// returns an empty matrix as soon as *cancel is true. shape = [n, n_visible]
Matrix chainMeans(const Model& model, const ChainInit& init, long long n, long long burnin, long long thin,
                  std::uint64_t seed, const std::function<void(long long, long long)>& progress = {},
                  const std::atomic<bool>* cancel = nullptr);

class ChainSet {
public:
    // The model's own chains (ModelChainsSampler) of `model` (not null) on width x height images
    // (width * height == the model's n_visible). No chains exist until reset().
    ChainSet(std::shared_ptr<const Model> model, int width, int height);
    // Chains of `sampler` (not null) under the snapshot `model` (null for samplers that need none),
    // frames laid out as `layout` (layout.values() == sampler->dimension(model), else gsn::Error).
    ChainSet(std::shared_ptr<const Model> model, std::shared_ptr<const Sampler> sampler, FrameLayout layout);
    ChainSet(ChainSet&& other) noexcept;
    ChainSet& operator=(ChainSet&&) = delete;
    ChainSet(const ChainSet&) = delete;

    // Starts C = inits.size() chains (C >= 1) from initialState(inits, dimension, seed), step 0.
    // Clamps are kept when C is unchanged, else cleared. Clamped values are applied at once.
    void reset(const std::vector<ChainInit>& inits, std::uint64_t seed);
    // Starts C = x0.rows() chains at x0 (shape = [C, dimension]; image layouts: values in [0, 1],
    // points: finite values the sampler accepts).
    void resetAt(const Matrix& x0, std::uint64_t seed);
    // Restarts from the last reset's start state and seed (step 0).
    void restart();
    // Replaces the model by one of any architecture with the same n_visible (e.g. another checkpoint),
    // keeping the sampler; hidden layers restart. Not thread-safe against step(): ChainRunner serialises it.
    void replaceModel(std::shared_ptr<const Model> model, int width, int height);

    // Clamps chain `chain` (only when sampler()->capabilities().clamping, else gsn::Error): values set
    // in `mask` (image layouts: width x height as this set; points: d x 1) are held at values[i]
    // (shape = [dimension]; images: values in [0, 1]) after every step. Applied at once.
    void setClamp(int chain, const ClampMask& mask, const std::vector<float>& values);
    // The same mask and values for every chain.
    void setClampAll(const ClampMask& mask, const std::vector<float>& values);
    void clearClamp(int chain);
    void clearClamps();
    bool isClamped(int chain) const;
    // Clamped indices and their values of one chain (empty when free).
    const std::vector<int>& clampIndices(int chain) const;
    const std::vector<float>& clampValues(int chain) const;

    // Installs a newer parameter snapshot, used from the next step on; the chain state is kept.
    // Thread-safe (callable while another thread steps). The model must have the same kind and
    // layer sizes as the current one, else gsn::Error (also for samplers without a model). Never pass
    // a model that is still being trained: pass an immutable clone.
    void setModel(std::shared_ptr<const Model> model);
    // The newest parameter snapshot (null for samplers without a model) and its generation (frames
    // carry the generation that made them). Thread-safe.
    std::shared_ptr<const Model> model() const;
    std::uint64_t modelGeneration() const;
    const std::shared_ptr<const Sampler>& sampler() const { return m_sampler; }

    // What frames carry besides the means.
    void setRecordSamples(bool on) { m_recordSamples = on; }
    void setRecordTop(bool on) { m_recordTop = on; }

    // One step of every chain, then clamping. Throws gsn::Error if no chains exist or the sampler
    // produced a state of the wrong shape.
    void step();
    // The current frame (the start state right after reset()).
    FramePtr frame() const;
    // The sampler's diagnostics of the current chains (acceptance and swap counts).
    SamplerDiagnostics diagnostics() const { return m_sampler->diagnostics(*m_state); }

    // The chains' state (x, mean, step; an empty state before reset()).
    const SamplerState& state() const { return *m_state; }
    // The state as the sampler's own type (e.g. ChainState for the model's chains, with hidden
    // layers); gsn::Error when it is another type.
    template <class State>
    const State& stateAs() const
    {
        const auto* s = dynamic_cast<const State*>(m_state.get());
        if (!s)
            throwWrongStateType();
        return *s;
    }
    int chains() const { return static_cast<int>(m_state->x.rows()); }
    // Values per chain (columns of x and mean).
    int visibleSize() const { return m_dimension; }
    int dimension() const { return m_dimension; }
    const FrameLayout& layout() const { return m_layout; }
    int width() const { return m_layout.width; }   // image layouts (0 for points)
    int height() const { return m_layout.height; } // image layouts (0 for points)
    std::uint64_t seed() const { return m_seed; }
    std::uint64_t steps() const { return m_state->step; }

private:
    struct Clamp {
        std::vector<int> indices;
        std::vector<float> values;
    };
    void install(std::shared_ptr<const Model> model, std::shared_ptr<const Sampler> sampler, FrameLayout layout);
    void applyClamps();
    void applyClamp(std::size_t chain); // one chain's clamp into x and mean
    const ChainClamp* denseClamp();
    void checkChain(int chain, const char* what) const;
    [[noreturn]] void throwWrongStateType() const;

    mutable std::mutex m_modelMutex;        // held only to read or swap the model pointer (and sampler) below
    std::shared_ptr<const Model> m_model;
    std::uint64_t m_generation = 0;
    std::uint64_t m_stateGeneration = 0;    // generation of the snapshot that made the current state
    std::string m_kind;
    std::vector<int> m_layerSizes;

    std::shared_ptr<const Sampler> m_sampler; // written under m_modelMutex (setModel reads it from any thread)
    SamplerCapabilities m_capabilities;       // of m_sampler; written under m_modelMutex
    FrameLayout m_layout;
    int m_dimension = 0;
    std::uint64_t m_seed = 0;
    Matrix m_start;                          // shape = [C, dimension]: the last reset's start state
    std::unique_ptr<SamplerState> m_state;   // never null (an empty SamplerState before reset)
    std::vector<Clamp> m_clamps;             // one per chain (empty = free)
    ChainClamp m_dense;                      // m_clamps as dense [C, dimension] matrices, for step()
    bool m_denseDirty = true;
    bool m_anyClamped = false;
    bool m_recordSamples = false;
    bool m_recordTop = false;
};

// Runs a ChainSet on its own worker thread.
//
// Commands (start, pause, stepOnce, reset, withChains) may come from any thread. The ChainSet is
// only touched by the worker; reset() and withChains() run there between steps and return when done.
// The frame callback runs on the worker thread: keep it short (publish into a staging buffer).
class ChainRunner {
public:
    using FrameCallback = std::function<void(FramePtr)>;
    using ErrorCallback = std::function<void(const std::string&)>;

    // Takes the chains (reset them first) and starts the worker, paused. onFrame gets every frame
    // (also the start frame after reset()); onError gets a step's gsn::Error / exception text,
    // after which the runner pauses.
    ChainRunner(ChainSet chains, FrameCallback onFrame, ErrorCallback onError = {});
    // Stops and joins the worker.
    ~ChainRunner();
    ChainRunner(const ChainRunner&) = delete;
    ChainRunner& operator=(const ChainRunner&) = delete;

    void start();                            // run continuously at the target rate
    void pause();                            // stop after the current step
    void stepOnce();                         // one step (also while paused)
    bool isRunning() const { return m_running.load(); }

    // Target rate in steps per second; <= 0 means as fast as possible.
    void setRate(double stepsPerSecond);
    double rate() const { return m_rate.load(); }
    // Measured steps per second over the last second or so (0 while paused).
    double measuredRate() const { return m_measured.load(); }
    // Steps taken since the last reset.
    std::uint64_t steps() const { return m_steps.load(); }

    // Restarts the chains (same start and seed, or new ones) and emits the start frame. Blocks until done.
    void reset();
    void reset(const std::vector<ChainInit>& inits, std::uint64_t seed);
    // Runs fn(chains) on the worker between steps (clamps, record flags, replaceModel...), then
    // emits the current frame. Blocks until done; rethrows fn's exception in the caller.
    void withChains(const std::function<void(ChainSet&)>& fn);
    // Thread-safe, does not wait: newer parameters for the next step (see ChainSet::setModel).
    void setModel(std::shared_ptr<const Model> model);

    // Stops the worker and joins it (idempotent; the destructor calls it).
    void stop();

private:
    void run();
    void doStep();
    void emitFrame();

    ChainSet m_chains;
    FrameCallback m_onFrame;
    ErrorCallback m_onError;

    std::mutex m_mutex;                      // guards the command queue and m_pendingSteps
    std::condition_variable m_wake;
    std::deque<std::packaged_task<void()>> m_commands;
    int m_pendingSteps = 0;
    std::atomic<bool> m_running{false};
    std::atomic<bool> m_stop{false};
    std::atomic<double> m_rate{0.0};
    std::atomic<double> m_measured{0.0};
    std::atomic<std::uint64_t> m_steps{0};
    std::thread m_thread;                    // last member: started after everything above exists
};

} // namespace gsn
