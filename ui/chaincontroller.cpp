#include "chaincontroller.h"

#include "error.h"
#include "random.h"
#include "randomstreams.h"

#include <QMetaObject>

#include <algorithm>

namespace gsn {

namespace {

std::atomic<int> g_liveRunners{0};

} // namespace

FrameRecorder::FrameRecorder(int maxFrames, std::size_t maxBytes) : m_maxFrames(maxFrames), m_maxBytes(maxBytes) {}

void FrameRecorder::add(FramePtr frame)
{
    if (!frame)
        return;
    const std::size_t bytes = std::size_t(std::max<std::int64_t>(1, frame->cells.size())) * sizeof(float);
    const std::size_t limit = std::max<std::size_t>(2, std::min<std::size_t>(m_maxFrames, m_maxBytes / bytes));
    std::lock_guard lock(m_mutex);
    // A new run (the step went back) starts a new recording: a sheet shows one run.
    if (!m_frames.empty() && (m_frames.back()->step >= frame->step || m_frames.back()->layout != frame->layout ||
                              m_frames.back()->chainCount() != frame->chainCount()))
        m_frames.clear();
    m_frames.push_back(std::move(frame));
    while (m_frames.size() > limit)
        m_frames.pop_front();
}

void FrameRecorder::clear()
{
    std::lock_guard lock(m_mutex);
    m_frames.clear();
}

std::vector<FramePtr> FrameRecorder::frames() const
{
    std::lock_guard lock(m_mutex);
    return {m_frames.begin(), m_frames.end()};
}

ChainController::ChainController(std::shared_ptr<FrameStaging> staging, QObject* parent)
    : QObject(parent), m_staging(std::move(staging))
{
}

ChainController::~ChainController()
{
    if (m_alive)
        m_alive->store(false);
    if (m_runner) {
        m_runner.reset(); // stops and joins the worker (shutdown: the one place the GUI thread may wait)
        g_liveRunners.fetch_sub(1);
    }
    m_reaper.joinAll();
}

int ChainController::liveRunners()
{
    return g_liveRunners.load();
}

void ChainController::setModel(std::shared_ptr<const Model> model, int width, int height)
{
    if (!model)
        fail("chains", "model", "expected a model");
    if (width * height != model->visibleSize())
        fail("chains", "image size", "expected " + std::to_string(model->visibleSize()) + " pixels, got " +
                                         std::to_string(width) + "x" + std::to_string(height));
    m_model = std::move(model);
    m_width = width;
    m_height = height;
    rebuild(m_wantRunning);
}

bool ChainController::updateParameters(std::shared_ptr<const Model> model)
{
    if (!model || !m_model || model->kind() != m_model->kind() || model->layerSizes() != m_model->layerSizes())
        return false;
    m_model = std::move(model);
    if (m_runner)
        m_runner->setModel(samplingModel(m_model));
    return true;
}

void ChainController::setDataset(std::shared_ptr<const Dataset> data)
{
    m_data = std::move(data);
}

void ChainController::setChainCount(int chains)
{
    chains = std::clamp(chains, 1, 1000);
    if (chains == m_chainCount)
        return;
    m_chainCount = chains;
    if (m_runner)
        rebuild(m_wantRunning);
}

void ChainController::setSeed(std::uint64_t seed)
{
    m_seed = seed;
}

void ChainController::setStart(ChainStart start, int imageIndex)
{
    m_start = start;
    m_imageIndex = std::max(0, imageIndex);
}

void ChainController::setStartImage(std::vector<float> pixels, const QString& origin)
{
    m_startImage = std::move(pixels);
    m_startImageOrigin = origin;
    emit startImageChanged(origin);
}

void ChainController::setRate(double stepsPerSecond)
{
    m_rate = stepsPerSecond;
    if (m_runner)
        m_runner->setRate(stepsPerSecond);
}

void ChainController::setShowSamples(bool samples)
{
    m_showSamples->store(samples);
}

void ChainController::setSamplingNoise(double hiddenNoise, double corruptionLevel)
{
    m_hiddenNoise = hiddenNoise;
    m_corruptionLevel = corruptionLevel;
    if (m_runner && m_model) {
        try {
            m_runner->setModel(samplingModel(m_model));
        } catch (const std::exception& e) {
            emit error(QString::fromStdString(e.what()));
        }
    }
}

std::shared_ptr<const Model> ChainController::samplingModel(std::shared_ptr<const Model> trained) const
{
    nlohmann::json config = trained->config();
    bool changed = false;
    if (m_hiddenNoise >= 0 && config.contains("hidden_noise") && config["hidden_noise"].get<double>() != m_hiddenNoise) {
        config["hidden_noise"] = m_hiddenNoise;
        changed = true;
    }
    if (m_corruptionLevel >= 0 && config.contains("corruption") && config["corruption"].is_object() &&
        config["corruption"].value("level", -1.0) != m_corruptionLevel) {
        config["corruption"]["level"] = m_corruptionLevel;
        changed = true;
    }
    if (!changed)
        return trained;
    // Same architecture with other noise settings: a fresh model of that config, the trained parameters copied in.
    std::unique_ptr<Model> copy = createModel(config, 0);
    std::unique_ptr<Model> source = trained->clone(); // parameters() is non-const
    std::vector<ParamRef> to = copy->parameters();
    std::vector<ParamRef> from = source->parameters();
    if (to.size() != from.size())
        fail("sampling noise", "parameters", "expected the same parameters as the trained model");
    for (std::size_t i = 0; i < to.size(); ++i)
        *to[i].value = *from[i].value;
    return std::shared_ptr<const Model>(std::move(copy));
}

std::vector<ChainInit> ChainController::makeInits() const
{
    std::vector<ChainInit> inits(std::size_t(m_chainCount), ChainInit::noise());
    if (m_start == ChainStart::Image) {
        if (m_startImage.size() == std::size_t(m_width) * std::size_t(m_height))
            std::fill(inits.begin(), inits.end(), ChainInit::fromImage(m_startImage));
        return inits;
    }
    const bool imagesFit = m_data && m_data->count() > 0 && m_data->dimension() == m_width * m_height;
    if (m_start == ChainStart::Noise || !imagesFit)
        return inits;
    const int n = m_data->count();
    Philox pick(m_seed, streams::kPickStream, m_resets);
    for (int c = 0; c < m_chainCount; ++c) {
        const int index = m_start == ChainStart::TestImage ? std::min(m_imageIndex, n - 1)
                                                           : std::min(n - 1, int(pick.uniform() * float(n)));
        inits[std::size_t(c)] = ChainInit::fromRow(m_data->pixels, index);
    }
    return inits;
}

void ChainController::rebuild(bool keepRunning)
{
    if (!m_model)
        return;
    // Retire the old runner first: its frames stop counting at once, its join happens off this thread.
    if (m_runner) {
        m_alive->store(false);
        m_reaper.retire([runner = std::shared_ptr<ChainRunner>(std::move(m_runner))]() mutable {
            runner.reset();
            g_liveRunners.fetch_sub(1);
        });
    }
    m_alive = std::make_shared<std::atomic<bool>>(true);
    try {
        ChainSet set(samplingModel(m_model), m_width, m_height);
        set.reset(makeInits(), m_seed);
        set.setRecordSamples(true);
        FramePtr first = set.frame();
        auto alive = m_alive;
        auto staging = m_staging;
        auto recorder = m_recorder;
        auto showSamples = m_showSamples;
        auto onFrame = [alive, staging, recorder, showSamples](FramePtr frame) {
            if (!alive->load() || !frame)
                return;
            if (showSamples->load() && frame->samples.rows() == frame->cells.rows()) {
                auto sampled = std::make_shared<Frame>(*frame);
                sampled->cells = frame->samples;
                frame = std::move(sampled);
            }
            recorder->add(frame);
            staging->publish(std::move(frame));
        };
        auto onError = [this, alive](const std::string& message) {
            if (!alive->load())
                return;
            const QString text = QString::fromStdString(message);
            QMetaObject::invokeMethod(this, [this, text] {
                m_wantRunning = false;
                emit runningChanged(false);
                emit error(text);
            }, Qt::QueuedConnection);
        };
        onFrame(first);
        m_runner = std::make_unique<ChainRunner>(std::move(set), onFrame, onError);
        g_liveRunners.fetch_add(1);
        m_runner->setRate(m_rate);
        ++m_resets;
        if (keepRunning)
            m_runner->start();
        m_wantRunning = keepRunning;
        emit chainsReset();
        emit runningChanged(keepRunning);
    } catch (const std::exception& e) {
        m_wantRunning = false;
        emit runningChanged(false);
        emit error(QString::fromStdString(e.what()));
    }
}

bool ChainController::isRunning() const
{
    return m_runner && m_runner->isRunning();
}

double ChainController::measuredRate() const
{
    return m_runner ? m_runner->measuredRate() : 0.0;
}

std::uint64_t ChainController::steps() const
{
    return m_runner ? m_runner->steps() : 0;
}

void ChainController::startChains()
{
    if (!m_runner)
        return;
    m_runner->start();
    m_wantRunning = true;
    emit runningChanged(true);
}

void ChainController::pause()
{
    if (!m_runner)
        return;
    m_runner->pause();
    m_wantRunning = false;
    emit runningChanged(false);
}

void ChainController::toggleRunning()
{
    if (m_wantRunning)
        pause();
    else
        startChains();
}

void ChainController::stepOnce()
{
    if (m_runner)
        m_runner->stepOnce();
}

void ChainController::reset()
{
    rebuild(m_wantRunning);
}

} // namespace gsn
