#include "trainingcontroller.h"

#include "chains.h"
#include "colormap.h"
#include "error.h"
#include "parallel.h"

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <mutex>

namespace gsn {

namespace {

std::atomic<int> g_liveWorkers{0};

// Steps each epoch-strip chain runs from noise before its picture is taken.
constexpr int kStripSteps = 30;

// C images side by side (1 px gaps), grey level = round(255 * value) as everywhere else.
QImage stripImage(const Frame& frame)
{
    const int c = frame.chainCount();
    const int width = frame.layout.width, height = frame.layout.height;
    QImage image(c * (width + 1) - 1, height, QImage::Format_Grayscale8);
    image.fill(128);
    for (int k = 0; k < c; ++k)
        for (int y = 0; y < height; ++y) {
            uchar* line = image.scanLine(y) + k * (width + 1);
            for (int x = 0; x < width; ++x)
                line[x] = uchar(std::lround(255.0f * std::clamp(frame.cells(k, y * width + x), 0.0f, 1.0f)));
        }
    return image;
}

} // namespace

// What the GUI thread and the job share besides the job's own cancel flag.
struct TrainingController::Session {
    std::atomic<bool> interrupt{false};      // handed to Trainer::run: set to pause or to stop
    std::atomic<bool> pause{false};
    std::mutex mutex;                        // guards trainer and the wait for resume
    std::condition_variable wake;
    Trainer* trainer = nullptr;
};

// How a session ended (delivered to the GUI thread).
struct TrainingController::Outcome {
    Status status = Status::Finished;
    QString message;
};

TrainingController::TrainingController(QObject* parent) : QObject(parent) {}

TrainingController::~TrainingController()
{
    abandon(); // the worker stops within a batch; the process-wide job reaper joins it
}

int TrainingController::liveWorkers()
{
    return g_liveWorkers.load();
}

bool TrainingController::start(const TrainingRequest& request)
{
    if (isRunning()) {
        emit failed(tr("Training: a run is already going"));
        return false;
    }
    if (!request.start || !request.start->model || !request.data) {
        emit failed(tr("Training: there is no model or no dataset"));
        return false;
    }
    if (request.data->dimension() != request.start->model->visibleSize()) {
        emit failed(tr("Training: the dataset has %1x%2 images, the model expects %3 pixels")
                        .arg(request.data->width)
                        .arg(request.data->height)
                        .arg(request.start->model->visibleSize()));
        return false;
    }
    m_session = std::make_shared<Session>();
    m_paused = false;
    g_liveWorkers.fetch_add(1);
    m_job.start(
        [this, session = m_session, request](const JobControl& job) {
            // The chains the user watches come first; training takes the cores they leave.
            markBackgroundThread();
            struct Live { ~Live() { g_liveWorkers.fetch_sub(1); } } live; // also when run throws
            return run(job, this, session, request);
        },
        [this](const Outcome& outcome) {
            m_paused = false;
            emit finished(outcome.status, outcome.message);
        },
        [this](const QString& message) {
            m_paused = false;
            emit failed(message);
            emit finished(Status::Failed, message);
        });
    return true;
}

void TrainingController::setLearningRate(double lr)
{
    if (!m_session)
        return;
    std::lock_guard lock(m_session->mutex);
    if (m_session->trainer)
        m_session->trainer->setLearningRate(lr);
}

void TrainingController::setMomentum(double mu)
{
    if (!m_session)
        return;
    std::lock_guard lock(m_session->mutex);
    if (m_session->trainer)
        m_session->trainer->setMomentum(mu);
}

void TrainingController::pause()
{
    if (!isRunning() || m_paused)
        return;
    {
        std::lock_guard lock(m_session->mutex);
        m_session->pause = true;
        m_session->interrupt = true;
    }
    m_paused = true;
    emit pausedChanged(true);
}

void TrainingController::resume()
{
    if (!isRunning() || !m_paused)
        return;
    {
        std::lock_guard lock(m_session->mutex);
        m_session->pause = false;
    }
    m_session->wake.notify_all();
    m_paused = false;
    emit pausedChanged(false);
}

void TrainingController::cancel()
{
    if (!isRunning())
        return;
    m_job.requestStop(); // the parameters reached so far are still reported, then finished(Cancelled)
    {
        std::lock_guard lock(m_session->mutex);
        m_session->interrupt = true;
    }
    m_session->wake.notify_all();
}

void TrainingController::abandon()
{
    if (!m_session)
        return;
    const bool running = isRunning();
    m_job.cancel(); // nothing more is delivered
    if (running) {
        {
            std::lock_guard lock(m_session->mutex);
            m_session->interrupt = true;
        }
        m_session->wake.notify_all();
    }
    m_paused = false;
}

TrainingController::Outcome TrainingController::run(const JobControl& job, TrainingController* self,
                                                    std::shared_ptr<Session> session, const TrainingRequest& request)
{
    // Everything the GUI learns goes through the job: dropped once the session is abandoned.
    auto post = [&job](std::function<void()> fn) { job.post(std::move(fn)); };
    Outcome outcome;
    // A std::exception thrown from here on reaches the GUI as the job's error (failed + finished(Failed)).
    {
        Dataset data = request.examples > 0 && request.examples < request.data->count()
                           ? request.data->slice(0, request.examples, "-first" + std::to_string(request.examples))
                           : *request.data;
        std::unique_ptr<Model> model = request.start->model->clone();
        TrainOptions options;
        options.seed = request.seed;
        options.batchSize = request.batchSize;
        options.learningRate = request.learningRate;
        options.momentum = request.momentum;
        TrainState state = TrainState::start(*model, options);
        const StudioModel& from = *request.start;
        // Continue the stored run (momentum, counters) when it was made for this model.
        if (from.state && from.state->velocity.size() == state.velocity.size()) {
            bool fits = true;
            for (std::size_t i = 0; i < state.velocity.size(); ++i)
                fits = fits && from.state->velocity[i].rows() == state.velocity[i].rows() &&
                       from.state->velocity[i].cols() == state.velocity[i].cols();
            if (fits && from.state->batchSize == request.batchSize) {
                state = *from.state;
                state.learningRate = request.learningRate;
                state.momentum = request.momentum;
            }
        }
        const int firstEpoch = state.epoch;
        const int target = firstEpoch + std::max(1, request.epochs);
        Trainer trainer(*model, data, state);
        const int batches = trainer.batchesPerEpoch();
        const qint64 total = qint64(target - firstEpoch) * batches - state.batch;
        qint64 done = 0;
        CheckpointInfo info = from.info;
        info.datasetName = data.name;
        info.datasetHash = data.hash;
        info.examples = data.count();
        info.targetEpochs = target;
        info.imageWidth = data.width;
        info.imageHeight = data.height;
        auto snapshotModel = [&]() {
            auto entry = std::make_shared<StudioModel>();
            entry->model = std::shared_ptr<const Model>(trainer.model().clone());
            entry->state = std::make_shared<const TrainState>(trainer.state());
            entry->info = info;
            entry->name = from.name.endsWith(QStringLiteral(" (trained)")) ? from.name
                                                                             : from.name + QStringLiteral(" (trained)");
            entry->path = from.path.startsWith(QLatin1Char(':')) ? QString() : from.path;
            entry->epoch = trainer.state().epoch;
            return StudioModelPtr(entry);
        };
        auto lastSnapshot = std::chrono::steady_clock::now();
        trainer.setBatchCallback([&](const BatchProgress& p) {
            const qint64 step = done++;
            post([self, p, step, total] {
                emit self->batchDone(p.epoch, p.batch, p.batches, p.loss, p.examplesPerSecond, step, total);
            });
            const auto now = std::chrono::steady_clock::now();
            if (std::chrono::duration<double>(now - lastSnapshot).count() >= request.snapshotSeconds) {
                lastSnapshot = now;
                std::shared_ptr<const Model> snapshot(trainer.model().clone());
                post([self, snapshot] { emit self->parametersUpdated(snapshot); });
            }
        });
        trainer.setEpochCallback([&](const EpochSummary& e) {
            StudioModelPtr entry = snapshotModel();
            lastSnapshot = std::chrono::steady_clock::now();
            QImage strip;
            try {
                // The GSN paper's early-training figure: samples of the model as it is after this epoch.
                ChainSet chains(entry->model, data.width, data.height);
                chains.reset(std::vector<ChainInit>(std::size_t(std::max(1, request.stripSamples)), ChainInit::noise()),
                             request.seed + std::uint64_t(e.epoch));
                for (int s = 0; s < kStripSteps && !job.cancelled(); ++s)
                    chains.step();
                strip = stripImage(*chains.frame());
            } catch (const std::exception&) {
                strip = QImage(); // a strip is a bonus; training goes on
            }
            post([self, entry, e, strip] {
                emit self->parametersUpdated(entry->model);
                emit self->modelTrained(entry);
                emit self->epochDone(e.epoch, e.meanLoss, e.seconds, strip);
            });
        });
        // Live hyper-parameter changes reach the trainer while it exists (cleared also when run throws).
        struct Attach {
            Session& s;
            Attach(Session& session, Trainer* t) : s(session) { std::lock_guard lock(s.mutex); s.trainer = t; }
            ~Attach() { std::lock_guard lock(s.mutex); s.trainer = nullptr; }
        } attach(*session, &trainer);
        TrainResult result;
        for (;;) {
            result = trainer.run(target, &session->interrupt);
            if (result.status != TrainStatus::Cancelled || job.cancelled())
                break;
            // Paused: wait for resume or stop (cancel and abandon notify), then continue where the trainer
            // stopped.
            std::unique_lock lock(session->mutex);
            session->wake.wait(lock, [&] { return !session->pause.load() || job.cancelled(); });
            if (job.cancelled())
                break;
            session->interrupt = false;
        }
        if (result.status == TrainStatus::Cancelled)
            outcome.status = Status::Cancelled;
        else if (result.status == TrainStatus::Diverged) {
            outcome.status = Status::Diverged;
            outcome.message = QString::fromStdString(result.message);
        }
        if (trainer.state().step > 0) {
            StudioModelPtr entry = snapshotModel();
            post([self, entry] {
                emit self->parametersUpdated(entry->model);
                emit self->modelTrained(entry);
            });
        }
    }
    return outcome;
}

} // namespace gsn
