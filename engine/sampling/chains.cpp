#include "chains.h"

#include "error.h"
#include "parallel.h"
#include "random.h"
#include "randomstreams.h"

#include <chrono>
#include <cmath>
#include <sstream>

namespace gsn {

namespace {

std::string sizesText(const std::vector<int>& sizes)
{
    std::ostringstream out;
    for (std::size_t i = 0; i < sizes.size(); ++i)
        out << (i ? "-" : "") << sizes[i];
    return out.str();
}

} // namespace

Matrix initialState(const std::vector<ChainInit>& inits, int nVisible, std::uint64_t seed)
{
    if (inits.empty())
        fail("chains", "count", "expected at least 1 chain, got 0");
    if (nVisible <= 0)
        fail("chains", "visible size", "expected > 0, got " + std::to_string(nVisible));
    Matrix x(static_cast<Eigen::Index>(inits.size()), nVisible);
    for (std::size_t c = 0; c < inits.size(); ++c) {
        const ChainInit& init = inits[c];
        auto row = x.row(static_cast<Eigen::Index>(c));
        switch (init.kind) {
        case ChainInit::Kind::Noise: {
            // Each chain its own stream, so the start of chain c does not depend on C.
            Philox rng(seed, streams::chainStream(c), streams::kChainStartStep);
            rng.uniform(row.data(), static_cast<std::size_t>(nVisible));
            break;
        }
        case ChainInit::Kind::Zeros:
            row.setZero();
            break;
        case ChainInit::Kind::Image:
            if (static_cast<int>(init.image.size()) != nVisible)
                fail("chains", "start image of chain " + std::to_string(c),
                     "expected " + std::to_string(nVisible) + " pixels, got " + std::to_string(init.image.size()));
            for (int i = 0; i < nVisible; ++i) {
                const float v = init.image[static_cast<std::size_t>(i)];
                if (!(v >= 0.0f && v <= 1.0f))
                    fail("chains", "start image of chain " + std::to_string(c),
                         "expected values in [0, 1], got " + std::to_string(v) + " at pixel " + std::to_string(i));
                row[i] = v;
            }
            break;
        }
    }
    return x;
}

Matrix chainMeans(const Model& model, const ChainInit& init, long long n, long long burnin, long long thin,
                  std::uint64_t seed, const std::function<void(long long, long long)>& progress,
                  const std::atomic<bool>* cancel)
{
    if (n < 1 || burnin < 0 || thin < 1)
        fail("chain samples", "count", "expected n >= 1, burn-in >= 0 and thinning >= 1");
    ChainState state = model.startChains(initialState({init}, model.visibleSize(), seed));
    const long long total = burnin + n * thin;
    Matrix out(n, model.visibleSize());
    long long kept = 0;
    for (long long step = 1; step <= total; ++step) {
        if (cancel && cancel->load())
            return {};
        model.stepChains(state, seed);
        if (step > burnin && (step - burnin) % thin == 0)
            out.row(kept++) = state.mean.row(0);
        if (progress)
            progress(step, total);
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// ChainSet

ChainSet::ChainSet(std::shared_ptr<const Model> model, int width, int height)
    : m_state(std::make_unique<ChainState>())
{
    if (!model)
        fail("chains", "model", "expected a model, got none");
    if (width <= 0 || height <= 0 || static_cast<long long>(width) * height != model->visibleSize())
        fail("chains", "image size", "expected width x height = " + std::to_string(model->visibleSize()) +
                                         " visible units, got " + std::to_string(width) + "x" + std::to_string(height));
    install(std::move(model), modelChainsSampler(), FrameLayout::image(width, height));
    m_generation = 0;
}

ChainSet::ChainSet(std::shared_ptr<const Model> model, std::shared_ptr<const Sampler> sampler, FrameLayout layout)
    : m_state(std::make_unique<SamplerState>())
{
    install(std::move(model), std::move(sampler), layout);
    m_generation = 0;
}

ChainSet::ChainSet(ChainSet&& other) noexcept
{
    std::lock_guard lock(other.m_modelMutex);
    m_model = std::move(other.m_model);
    m_generation = other.m_generation;
    m_stateGeneration = other.m_stateGeneration;
    m_kind = std::move(other.m_kind);
    m_layerSizes = std::move(other.m_layerSizes);
    m_sampler = std::move(other.m_sampler);
    m_capabilities = other.m_capabilities;
    m_layout = other.m_layout;
    m_dimension = other.m_dimension;
    m_seed = other.m_seed;
    m_start = std::move(other.m_start);
    m_state = std::move(other.m_state);
    m_clamps = std::move(other.m_clamps);
    m_dense = std::move(other.m_dense);
    m_denseDirty = other.m_denseDirty;
    m_anyClamped = other.m_anyClamped;
    m_recordSamples = other.m_recordSamples;
    m_recordTop = other.m_recordTop;
}

void ChainSet::install(std::shared_ptr<const Model> model, std::shared_ptr<const Sampler> sampler, FrameLayout layout)
{
    if (!sampler)
        fail("chains", "sampler", "expected a sampler, got none");
    const SamplerCapabilities caps = sampler->capabilities();
    if (caps.needsModel && !model)
        fail("chains", "model", "expected a model, got none");
    if (!caps.needsModel && model)
        fail("chains", "model", "expected no model: a " + sampler->kind() + " sampler has a target of its own");
    sampler->checkModel(model.get());
    const int dimension = sampler->dimension(model.get());
    if (!layout.valid() || layout.values() != dimension) {
        if (layout.isImage())
            fail("chains", "image size", "expected width x height = " + std::to_string(dimension) +
                                             " visible units, got " + std::to_string(layout.width) + "x" +
                                             std::to_string(layout.height));
        fail("chains", "point dimension", "expected " + std::to_string(dimension) + ", got " +
                                              std::to_string(layout.dimension));
    }
    const bool sameLayout = m_sampler == sampler && m_dimension == dimension && m_layout == layout;
    {
        std::lock_guard lock(m_modelMutex);
        m_model = std::move(model);
        m_kind = m_model ? m_model->kind() : std::string();
        m_layerSizes = m_model ? m_model->layerSizes() : std::vector<int>{};
        ++m_generation;
        // Under the lock too: setModel (any thread) reads them.
        m_sampler = std::move(sampler);
        m_capabilities = caps;
    }
    m_layout = layout;
    m_dimension = dimension;
    if (sameLayout && m_start.rows() > 0) {
        restart();
    } else {
        m_start = Matrix();
        m_state = std::make_unique<SamplerState>();
        m_clamps.clear();
        m_denseDirty = true;
    }
}

void ChainSet::replaceModel(std::shared_ptr<const Model> model, int width, int height)
{
    if (!model)
        fail("chains", "model", "expected a model, got none");
    install(std::move(model), m_sampler, FrameLayout::image(width, height));
}

void ChainSet::reset(const std::vector<ChainInit>& inits, std::uint64_t seed)
{
    resetAt(initialState(inits, visibleSize(), seed), seed);
}

void ChainSet::resetAt(const Matrix& x0, std::uint64_t seed)
{
    if (x0.rows() < 1)
        fail("chains", "count", "expected at least 1 chain, got 0");
    if (x0.cols() != visibleSize())
        fail("chains", "start state", "expected " + std::to_string(visibleSize()) + " columns, got " +
                                          std::to_string(x0.cols()));
    if (m_layout.isImage() && (!x0.allFinite() || x0.minCoeff() < 0.0f || x0.maxCoeff() > 1.0f))
        fail("chains", "start state", "expected values in [0, 1]");
    if (!x0.allFinite())
        fail("chains", "start state", "expected finite values");
    // A start the sampler refuses (e.g. a discrete sampler's non-integer values) leaves the chains as they were.
    const bool newCount = x0.rows() != m_start.rows();
    std::vector<Clamp> oldClamps;
    if (newCount) {
        oldClamps = std::move(m_clamps);
        m_clamps.assign(static_cast<std::size_t>(x0.rows()), Clamp{});
        m_denseDirty = true;
    }
    Matrix oldStart = std::move(m_start);
    const std::uint64_t oldSeed = m_seed;
    m_start = x0;
    m_seed = seed;
    try {
        restart();
    } catch (...) {
        m_start = std::move(oldStart);
        m_seed = oldSeed;
        if (newCount)
            m_clamps = std::move(oldClamps);
        m_denseDirty = true;
        throw;
    }
}

void ChainSet::restart()
{
    if (m_start.rows() < 1)
        fail("chains", "restart", "expected chains started by reset(), got none");
    std::shared_ptr<const Model> current;
    {
        std::lock_guard lock(m_modelMutex);
        current = m_model;
        m_stateGeneration = m_generation;
    }
    std::unique_ptr<SamplerState> state = m_sampler->start(current.get(), m_start);
    if (!state || state->x.rows() != m_start.rows() || state->x.cols() != m_start.cols())
        fail("chains", (current ? current->kind() + " startChains" : m_sampler->kind() + " start"),
             "expected a state of shape [" + std::to_string(m_start.rows()) + ", " + std::to_string(m_start.cols()) +
                 "]");
    m_state = std::move(state);
    m_state->step = 0;
    // The start frame shows the start state, whatever the sampler left in mean.
    m_state->mean = m_start;
    applyClamps();
}

void ChainSet::checkChain(int chain, const char* what) const
{
    if (chain < 0 || chain >= chains())
        fail("chains", what, "expected a chain index in [0, " + std::to_string(chains()) + "), got " +
                                 std::to_string(chain));
}

void ChainSet::throwWrongStateType() const
{
    fail("chains", "state", "the " + m_sampler->kind() + " sampler's state has another type");
}

void ChainSet::setClamp(int chain, const ClampMask& mask, const std::vector<float>& values)
{
    if (!m_capabilities.clamping)
        fail("chains", "clamp", "the " + m_sampler->kind() + " sampler does not support clamping");
    checkChain(chain, "clamp chain");
    const int wantW = m_layout.isImage() ? m_layout.width : m_layout.dimension;
    const int wantH = m_layout.isImage() ? m_layout.height : 1;
    if (mask.width != wantW || mask.height != wantH)
        fail("chains", "clamp mask", "expected " + std::to_string(wantW) + "x" + std::to_string(wantH) +
                                         ", got " + std::to_string(mask.width) + "x" + std::to_string(mask.height));
    if (static_cast<int>(values.size()) != visibleSize())
        fail("chains", "clamp values", "expected " + std::to_string(visibleSize()) + " values, got " +
                                           std::to_string(values.size()));
    Clamp clamp;
    clamp.indices = mask.clampedIndices();
    clamp.values.reserve(clamp.indices.size());
    for (int i : clamp.indices) {
        const float v = values[static_cast<std::size_t>(i)];
        const bool ok = m_layout.isImage() ? (v >= 0.0f && v <= 1.0f) : std::isfinite(v);
        if (!ok)
            fail("chains", "clamp values", std::string(m_layout.isImage() ? "expected values in [0, 1]" : "expected finite values") +
                                               ", got " + std::to_string(v) + " at index " + std::to_string(i));
        clamp.values.push_back(v);
    }
    m_clamps[static_cast<std::size_t>(chain)] = std::move(clamp);
    m_denseDirty = true;
    // Only this chain: every other chain's clamp is in its state already (reset and step apply them
    // all), and clamping N chains one by one must not cost N^2 (topLayerCodes clamps 1000 of them).
    applyClamp(static_cast<std::size_t>(chain));
}

void ChainSet::setClampAll(const ClampMask& mask, const std::vector<float>& values)
{
    if (chains() < 1)
        fail("chains", "clamp", "expected chains started by reset(), got none");
    for (int c = 0; c < chains(); ++c)
        setClamp(c, mask, values);
}

void ChainSet::clearClamp(int chain)
{
    checkChain(chain, "clamp chain");
    m_clamps[static_cast<std::size_t>(chain)] = Clamp{};
    m_denseDirty = true;
}

void ChainSet::clearClamps()
{
    for (auto& c : m_clamps)
        c = Clamp{};
    m_denseDirty = true;
}

bool ChainSet::isClamped(int chain) const
{
    checkChain(chain, "clamp chain");
    return !m_clamps[static_cast<std::size_t>(chain)].indices.empty();
}

const std::vector<int>& ChainSet::clampIndices(int chain) const
{
    checkChain(chain, "clamp chain");
    return m_clamps[static_cast<std::size_t>(chain)].indices;
}

const std::vector<float>& ChainSet::clampValues(int chain) const
{
    checkChain(chain, "clamp chain");
    return m_clamps[static_cast<std::size_t>(chain)].values;
}

void ChainSet::applyClamps()
{
    // SPEC 3: after sampling, clamped values go back in both the state that is fed back and the mean
    // that is shown. Doing it here, outside the sampler, works for every sampler kind.
    for (std::size_t c = 0; c < m_clamps.size(); ++c)
        applyClamp(c);
}

void ChainSet::applyClamp(std::size_t c)
{
    Matrix& x = m_state->x;
    Matrix& mean = m_state->mean;
    if (c >= m_clamps.size() || c >= static_cast<std::size_t>(x.rows()))
        return;
    const Clamp& clamp = m_clamps[c];
    const auto r = static_cast<Eigen::Index>(c);
    for (std::size_t k = 0; k < clamp.indices.size(); ++k) {
        const auto i = static_cast<Eigen::Index>(clamp.indices[k]);
        x(r, i) = clamp.values[k];
        mean(r, i) = clamp.values[k];
    }
}

const ChainClamp* ChainSet::denseClamp()
{
    // Rebuilt only when a clamp changed: samplers with inner state (tempering replicas) need the
    // clamp of every chain as matrices at every step.
    if (m_denseDirty) {
        m_denseDirty = false;
        m_anyClamped = false;
        for (const Clamp& c : m_clamps)
            m_anyClamped |= !c.indices.empty();
        m_dense = ChainClamp{};
        if (m_anyClamped) {
            const auto rows = static_cast<Eigen::Index>(m_clamps.size());
            m_dense.mask = Matrix::Zero(rows, m_dimension);
            m_dense.values = Matrix::Zero(rows, m_dimension);
            for (Eigen::Index r = 0; r < rows; ++r) {
                const Clamp& clamp = m_clamps[static_cast<std::size_t>(r)];
                for (std::size_t k = 0; k < clamp.indices.size(); ++k) {
                    m_dense.mask(r, clamp.indices[k]) = 1.0f;
                    m_dense.values(r, clamp.indices[k]) = clamp.values[k];
                }
            }
        }
    }
    return m_anyClamped ? &m_dense : nullptr;
}

void ChainSet::setModel(std::shared_ptr<const Model> model)
{
    if (!model)
        fail("chains", "model", "expected a model, got none");
    const std::string kind = model->kind();
    const std::vector<int> sizes = model->layerSizes();
    std::lock_guard lock(m_modelMutex);
    if (!m_capabilities.needsModel)
        fail("chains", "model switch", "the " + m_sampler->kind() + " sampler runs without a model");
    if (kind != m_kind || sizes != m_layerSizes)
        fail("chains", "model switch", "expected a " + m_kind + " " + sizesText(m_layerSizes) + ", got a " + kind +
                                           " " + sizesText(sizes) + " (use replaceModel to change architecture)");
    m_model = std::move(model);
    ++m_generation;
}

std::shared_ptr<const Model> ChainSet::model() const
{
    std::lock_guard lock(m_modelMutex);
    return m_model;
}

std::uint64_t ChainSet::modelGeneration() const
{
    std::lock_guard lock(m_modelMutex);
    return m_generation;
}

void ChainSet::step()
{
    const int c = chains();
    if (c < 1)
        fail("chains", "step", "expected chains started by reset(), got none");
    // Copy the pointer under the lock; the snapshot stays alive for this step even if another
    // thread installs a newer one meanwhile.
    std::shared_ptr<const Model> current;
    {
        std::lock_guard lock(m_modelMutex);
        current = m_model;
        m_stateGeneration = m_generation; // frames name the snapshot that made them, not a later one
    }
    const ChainClamp* clamp = m_capabilities.clamping ? denseClamp() : nullptr;
    m_sampler->step(current.get(), *m_state, m_seed, clamp);
    const int n = visibleSize();
    const SamplerState& s = *m_state;
    if (s.x.rows() != c || s.x.cols() != n || s.mean.rows() != c || s.mean.cols() != n)
        fail("chains", (current ? current->kind() + " stepChains" : m_sampler->kind() + " step"),
             "expected x and mean of shape [" + std::to_string(c) + ", " + std::to_string(n) + "]");
    applyClamps();
}

FramePtr ChainSet::frame() const
{
    auto f = std::make_shared<Frame>();
    f->step = static_cast<std::int64_t>(m_state->step);
    f->modelGeneration = m_stateGeneration;
    f->seed = m_seed;
    f->layout = m_layout;
    f->cells = m_state->mean;
    if (m_recordSamples)
        f->samples = m_state->x;
    if (m_recordTop) {
        if (const Matrix* top = m_state->top(); top && top->rows() == m_state->x.rows())
            f->top = *top;
    }
    return f;
}

// ---------------------------------------------------------------------------------------------
// ChainRunner

ChainRunner::ChainRunner(ChainSet chains, FrameCallback onFrame, ErrorCallback onError)
    : m_chains(std::move(chains)), m_onFrame(std::move(onFrame)), m_onError(std::move(onError))
{
    m_steps = m_chains.steps();
    m_thread = std::thread([this] {
        applyWorkerNice(); // the studio's chains yield to its display threads (parallel.h)
        run();
    });
}

ChainRunner::~ChainRunner()
{
    stop();
}

void ChainRunner::stop()
{
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
        m_running = false;
        // Commands nobody will run: their callers get a broken promise (turned into gsn::Error).
        m_commands.clear();
    }
    m_wake.notify_all();
    if (m_thread.joinable() && std::this_thread::get_id() != m_thread.get_id())
        m_thread.join();
}

void ChainRunner::start()
{
    {
        std::lock_guard lock(m_mutex);
        m_running = true;
    }
    m_wake.notify_all();
}

void ChainRunner::pause()
{
    {
        std::lock_guard lock(m_mutex);
        m_running = false;
        m_pendingSteps = 0;
    }
    m_wake.notify_all();
}

void ChainRunner::stepOnce()
{
    {
        std::lock_guard lock(m_mutex);
        ++m_pendingSteps;
    }
    m_wake.notify_all();
}

void ChainRunner::setRate(double stepsPerSecond)
{
    {
        std::lock_guard lock(m_mutex);
        m_rate = std::isfinite(stepsPerSecond) && stepsPerSecond > 0 ? stepsPerSecond : 0.0;
    }
    m_wake.notify_all();
}

void ChainRunner::setModel(std::shared_ptr<const Model> model)
{
    m_chains.setModel(std::move(model));
}

void ChainRunner::reset()
{
    withChains([](ChainSet& chains) { chains.restart(); });
}

void ChainRunner::reset(const std::vector<ChainInit>& inits, std::uint64_t seed)
{
    withChains([&](ChainSet& chains) { chains.reset(inits, seed); });
}

void ChainRunner::withChains(const std::function<void(ChainSet&)>& fn)
{
    auto body = [this, &fn] {
        fn(m_chains);
        m_steps = m_chains.steps();
        emitFrame();
    };
    if (std::this_thread::get_id() == m_thread.get_id()) {
        body(); // called from the frame callback: we already are between steps
        return;
    }
    std::packaged_task<void()> task(body);
    std::future<void> done = task.get_future();
    {
        std::lock_guard lock(m_mutex);
        if (m_stop)
            fail("chains", "runner", "expected a running chain worker, got a stopped one");
        m_commands.push_back(std::move(task));
    }
    m_wake.notify_all();
    try {
        done.get();
    } catch (const std::future_error&) {
        fail("chains", "runner", "stopped before the command ran");
    }
}

void ChainRunner::emitFrame()
{
    if (m_onFrame)
        m_onFrame(m_chains.frame());
}

void ChainRunner::doStep()
{
    try {
        m_chains.step();
        m_steps = m_chains.steps();
        emitFrame();
    } catch (const std::exception& e) {
        {
            std::lock_guard lock(m_mutex);
            m_running = false;
            m_pendingSteps = 0;
        }
        if (m_onError)
            m_onError(e.what());
    }
}

void ChainRunner::run()
{
    using Clock = std::chrono::steady_clock;
    // Time slot of the last paced step; `fresh` makes the first step after a pause immediate.
    auto slot = Clock::now();
    bool fresh = true;
    auto windowStart = Clock::now();
    std::uint64_t windowSteps = 0;
    auto countStep = [&] {
        ++windowSteps;
        const auto now = Clock::now();
        const double elapsed = std::chrono::duration<double>(now - windowStart).count();
        if (elapsed >= 0.5) {
            m_measured = static_cast<double>(windowSteps) / elapsed;
            windowSteps = 0;
            windowStart = now;
        }
    };

    std::unique_lock lock(m_mutex);
    while (!m_stop) {
        if (!m_commands.empty()) {
            std::packaged_task<void()> task = std::move(m_commands.front());
            m_commands.pop_front();
            lock.unlock();
            task(); // exceptions land in the caller's future
            lock.lock();
            continue;
        }
        if (m_pendingSteps > 0) {
            --m_pendingSteps;
            lock.unlock();
            doStep();
            lock.lock();
            continue;
        }
        if (!m_running) {
            m_measured = 0.0;
            windowSteps = 0;
            m_wake.wait(lock);
            windowStart = Clock::now();
            fresh = true;
            continue;
        }
        const double rate = m_rate.load();
        const auto now = Clock::now();
        if (rate > 0.0 && !fresh) {
            // The period is taken from the current rate at every pass, so a rate change applies at once.
            const auto period = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / rate));
            const auto due = slot + period;
            if (now < due) {
                // Wakes early for commands, pause, stop or a rate change; the loop re-checks all.
                m_wake.wait_until(lock, due);
                continue;
            }
            // Fell behind by more than a period (slow model, rate raised): do not burst to catch up.
            slot = now - due > period ? now : due;
        } else {
            slot = now;
            fresh = false;
        }
        lock.unlock();
        doStep();
        countStep();
        lock.lock();
    }
}

} // namespace gsn
