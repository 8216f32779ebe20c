#pragma once
// The Training dock's engine side: a thin QObject owning one worker std::thread that runs gsn::Trainer
// on a private clone of the current model. The trainer's plain callbacks become queued signals: a loss
// per batch, a summary and a strip of samples per epoch, and immutable parameter snapshots (about once
// a second and after every epoch) that the chains pick up between steps. Pause and cancel are
// std::atomic flags checked before every batch; nothing on the GUI thread waits for the worker
// (a finished worker is joined when its last signal arrives; an abandoned one through a WorkerReaper).

#include "dataset.h"
#include "modeldock.h"
#include "trainer.h"
#include "workerreaper.h"

#include <QImage>
#include <QObject>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace gsn {

struct TrainingRequest {
    StudioModelPtr start;                   // model to continue from (its state, when present and fitting)
    std::shared_ptr<const Dataset> data;    // training images
    int examples = 0;                       // use the first N examples (0 = all)
    int epochs = 1;                         // epochs to run in this session
    double learningRate = 0.25;
    double momentum = 0.5;
    int batchSize = 100;
    std::uint64_t seed = 1;
    double snapshotSeconds = 1.0;           // parameter snapshots for the chains at most this often
    int stripSamples = 10;                  // samples per epoch strip
};

class TrainingController : public QObject {
    Q_OBJECT
public:
    // How a session ended: Failed = an exception (failed(message) was emitted too); Diverged = a
    // parameter became NaN or Inf (the last good parameters are kept).
    enum class Status { Finished, Cancelled, Diverged, Failed };
    Q_ENUM(Status)

    explicit TrainingController(QObject* parent = nullptr);
    // Cancels and joins the worker (shutdown).
    ~TrainingController() override;

    // Starts a session; returns false (and emits failed) when one runs or the request is invalid.
    bool start(const TrainingRequest& request);
    bool isRunning() const { return m_running; }
    bool isPaused() const { return m_paused.load(); }
    // Live hyper-parameters: applied by the trainer from its next batch.
    void setLearningRate(double lr);
    void setMomentum(double mu);
    // Training workers alive in the whole program (0 once all are joined).
    static int liveWorkers();

public slots:
    void pause();
    void resume();
    // Stops after the current batch; the parameters reached so far are reported (finished follows).
    void cancel();
    // Stops and forgets the session: no further signals (another model was loaded).
    void abandon();

signals:
    // After every batch. step = global batch index within this session (0-based), of totalBatches.
    void batchDone(int epoch, int batch, int batchesPerEpoch, double loss, double examplesPerSecond, qint64 step,
                   qint64 totalBatches);
    void epochDone(int epoch, double meanLoss, double seconds, const QImage& samples);
    // New parameters (immutable). withState: a full StudioModel at an epoch end or at the finish.
    void parametersUpdated(std::shared_ptr<const gsn::Model> model);
    void modelTrained(gsn::StudioModelPtr model);
    void pausedChanged(bool paused);
    // The session ended; message says why for Diverged and Failed.
    void finished(gsn::TrainingController::Status status, const QString& message);
    void failed(const QString& message);

private:
    struct Session;
    void run(std::shared_ptr<Session> session, TrainingRequest request);
    void joinWorker();

    std::shared_ptr<Session> m_session;
    std::thread m_thread;
    bool m_running = false;
    std::atomic<bool> m_paused{false};
    WorkerReaper m_reaper;
};

} // namespace gsn
