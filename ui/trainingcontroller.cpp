#include "trainingcontroller.h"

#include "chains.h"
#include "colormap.h"
#include "error.h"
#include "parallel.h"

#include <QMetaObject>

#include <chrono>
#include <cmath>

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

struct TrainingController::Session {
    std::atomic<bool> cancel{false};         // handed to Trainer::run: set to pause or to stop
    std::atomic<bool> stop{false};
    std::atomic<bool> pause{false};
    std::atomic<bool> abandoned{false};
    std::mutex mutex;                        // guards trainer and the wait for resume
    std::condition_variable wake;
    Trainer* trainer = nullptr;
    std::atomic<double> learningRate{NAN};
    std::atomic<double> momentum{NAN};
};

TrainingController::TrainingController(QObject* parent) : QObject(parent) {}

TrainingController::~TrainingController()
{
    abandon();
    if (m_thread.joinable())
        m_thread.join(); // shutdown: stops within one batch
    m_reaper.joinAll();
}

int TrainingController::liveWorkers()
{
    return g_liveWorkers.load();
}

bool TrainingController::start(const TrainingRequest& request)
{
    if (m_running) {
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
    joinWorker();
    m_session = std::make_shared<Session>();
    m_paused = false;
    m_running = true;
    g_liveWorkers.fetch_add(1);
    m_thread = std::thread([this, session = m_session, request] {
        // The chains the user watches come first; training takes the cores they leave.
        markBackgroundThread();
        run(session, request);
        g_liveWorkers.fetch_sub(1);
    });
    return true;
}

void TrainingController::joinWorker()
{
    if (m_thread.joinable())
        m_thread.join(); // only called once the worker reported its end (returns at once)
}

void TrainingController::setLearningRate(double lr)
{
    if (!m_session)
        return;
    m_session->learningRate.store(lr);
    std::lock_guard lock(m_session->mutex);
    if (m_session->trainer)
        m_session->trainer->setLearningRate(lr);
}

void TrainingController::setMomentum(double mu)
{
    if (!m_session)
        return;
    m_session->momentum.store(mu);
    std::lock_guard lock(m_session->mutex);
    if (m_session->trainer)
        m_session->trainer->setMomentum(mu);
}

void TrainingController::pause()
{
    if (!m_running || m_paused)
        return;
    {
        std::lock_guard lock(m_session->mutex);
        m_session->pause = true;
        m_session->cancel = true;
    }
    m_paused = true;
    emit pausedChanged(true);
}

void TrainingController::resume()
{
    if (!m_running || !m_paused)
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
    if (!m_running)
        return;
    {
        std::lock_guard lock(m_session->mutex);
        m_session->stop = true;
        m_session->cancel = true;
    }
    m_session->wake.notify_all();
}

void TrainingController::abandon()
{
    if (!m_session)
        return;
    m_session->abandoned = true;
    cancel();
    if (m_thread.joinable())
        m_reaper.retire([thread = std::make_shared<std::thread>(std::move(m_thread))] { thread->join(); });
    m_running = false;
    m_paused = false;
}

void TrainingController::run(std::shared_ptr<Session> session, TrainingRequest request)
{
    // Everything the GUI learns goes through here: dropped once the session is abandoned.
    auto post = [this, session](auto fn) {
        QMetaObject::invokeMethod(this, [session, fn = std::move(fn)] {
            if (!session->abandoned.load())
                fn();
        }, Qt::QueuedConnection);
    };
    Status status = Status::Finished;
    QString message;
    try {
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
            post([this, p, step, total] {
                emit batchDone(p.epoch, p.batch, p.batches, p.loss, p.examplesPerSecond, step, total);
            });
            const auto now = std::chrono::steady_clock::now();
            if (std::chrono::duration<double>(now - lastSnapshot).count() >= request.snapshotSeconds) {
                lastSnapshot = now;
                std::shared_ptr<const Model> snapshot(trainer.model().clone());
                post([this, snapshot] { emit parametersUpdated(snapshot); });
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
                for (int s = 0; s < kStripSteps && !session->stop.load(); ++s)
                    chains.step();
                strip = stripImage(*chains.frame());
            } catch (const std::exception&) {
                strip = QImage(); // a strip is a bonus; training goes on
            }
            post([this, entry, e, strip] {
                emit parametersUpdated(entry->model);
                emit modelTrained(entry);
                emit epochDone(e.epoch, e.meanLoss, e.seconds, strip);
            });
        });
        {
            std::lock_guard lock(session->mutex);
            session->trainer = &trainer;
        }
        TrainResult result;
        for (;;) {
            result = trainer.run(target, &session->cancel);
            if (result.status != TrainStatus::Cancelled || session->stop.load())
                break;
            // Paused: wait for resume or stop, then continue where the trainer stopped.
            std::unique_lock lock(session->mutex);
            session->wake.wait(lock, [&] { return !session->pause.load() || session->stop.load(); });
            if (session->stop.load())
                break;
            session->cancel = false;
        }
        {
            std::lock_guard lock(session->mutex);
            session->trainer = nullptr;
        }
        if (result.status == TrainStatus::Cancelled)
            status = Status::Cancelled;
        else if (result.status == TrainStatus::Diverged) {
            status = Status::Diverged;
            message = QString::fromStdString(result.message);
        }
        if (trainer.state().step > 0) {
            StudioModelPtr entry = snapshotModel();
            post([this, entry] {
                emit parametersUpdated(entry->model);
                emit modelTrained(entry);
            });
        }
    } catch (const std::exception& e) {
        status = Status::Failed;
        message = QString::fromStdString(e.what());
    }
    QMetaObject::invokeMethod(this, [this, session, status, message] {
        if (session->abandoned.load())
            return;
        joinWorker(); // the worker posted this as its last act: the join returns at once
        m_running = false;
        m_paused = false;
        if (status == Status::Failed)
            emit failed(message);
        emit finished(status, message);
    }, Qt::QueuedConnection);
}

} // namespace gsn
