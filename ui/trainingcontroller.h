#pragma once
// The Training dock's engine side: a thin QObject running gsn::Trainer on a private clone of the current
// model as a BackgroundJob. The trainer's plain callbacks become queued signals: a loss per batch, a
// summary and a strip of samples per epoch, and immutable parameter snapshots (about once a second and
// after every epoch) that the chains pick up between steps. Cancel is the job's cancel flag (the trainer
// checks it before every batch; the parameters reached are still reported); abandon cancels the job and
// drops everything it would still say. Nothing on the GUI thread waits for the worker.

#include "backgroundjob.h"
#include "dataset.h"
#include "modeldock.h"
#include "trainer.h"

#include <QImage>
#include <QObject>

#include <atomic>
#include <memory>

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
    // Abandons a running session (it stops within a batch; never waited for).
    ~TrainingController() override;

    // Starts a session; returns false (and emits failed) when one runs or the request is invalid.
    bool start(const TrainingRequest& request);
    bool isRunning() const { return m_job.isRunning(); }
    bool isPaused() const { return m_paused.load(); }
    // Live hyper-parameters: applied by the trainer from its next batch.
    void setLearningRate(double lr);
    void setMomentum(double mu);
    // Training workers alive in the whole program (0 once every session's work has returned).
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
    struct Outcome;
    // The job's body (worker thread): trains and reports through job.post (`self` is used only in what
    // it posts, which runs on the GUI thread while `self` exists).
    static Outcome run(const JobControl& job, TrainingController* self, std::shared_ptr<Session> session,
                       const TrainingRequest& request);

    std::shared_ptr<Session> m_session;
    std::atomic<bool> m_paused{false};
    BackgroundJob m_job{this};                // last: its destruction cancels the session
};

} // namespace gsn
