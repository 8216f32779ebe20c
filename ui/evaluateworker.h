#pragma once
// One Parzen evaluation (SPEC 4) as a BackgroundJob, reported to the GUI thread through signals.
//
// The job: (load the checkpoint, and the MNIST validation and test sets, unless given) ->
// gsn::runParzenProtocol (engine/eval/evalprotocol.h, the procedure `gsn eval` runs) on ONE chain of the model
// (`samples` means after `burnin` steps, one every `thin` steps) or on the first `samples` MNIST training
// images for the baseline. cancel() sets the job's cancel flag (checked every chain step and every
// Parzen block) and returns at once; nothing here waits for the worker.

#include "backgroundjob.h"
#include "model.h"
#include "parzen.h"
#include "tensor.h"

#include <QObject>
#include <QString>

#include <atomic>
#include <cstdint>
#include <memory>

namespace gsn {

// The evaluation sets, loaded once and shared by later jobs.
struct EvaluationSets {
    std::shared_ptr<const Matrix> validation;  // shape = [V, 784]: the first V rows of mnist-valid, V =
                                               // ParzenProtocolOptions::validationRows
    std::shared_ptr<const Matrix> test;        // shape = [10000, 784]: mnist-test
};

// Where the model's chain starts. The default is the authors' (test_X[:1], the first test digit).
enum class EvaluationStart { TestImage, Noise, Zeros };

// What to evaluate: a model, a checkpoint file, or (neither) the MNIST-train baseline.
struct EvaluationRequest {
    std::shared_ptr<const Model> model;        // the model; null with an empty checkpointPath: the MNIST-train baseline
    QString checkpointPath;                    // used when model is null: the job loads this checkpoint first
    QString modelName;                         // shown in the history ("mnist-train" for the baseline)
    int epoch = -1;                            // epochs the model was trained for, -1 when unknown
    long long samples = 10000;                 // M, the number of kernel centres
    long long burnin = 100;                    // chain steps discarded before the first kept mean
    long long thin = 1;                        // keep one displayed mean every `thin` steps
    std::uint64_t seed = 1;                    // chain noise: Philox(seed, 0, step); start noise as gsn eval
    EvaluationStart start = EvaluationStart::TestImage;
    int startImage = 0;                        // the test image of EvaluationStart::TestImage
    EvaluationSets sets;                       // empty pointers: loaded by the job
};

// What a finished job hands back.
struct EvaluationOutcome {
    EvaluationRequest request;                 // as given, with `sets` (and `model`, `epoch` from a checkpoint) filled in
    ParzenResult result;
    std::shared_ptr<const Matrix> samples;     // shape = [M, 784]: the kernel centres used
    QString modelHash;                         // 16 hex digits, FNV-1a of the parameters ("" for the baseline)
    double totalSeconds = 0.0;                 // loading + sampling + Parzen
};

// The start as `gsn eval --init` spells it: "test:INDEX", "noise" or "zeros".
QString evaluationStartWord(const EvaluationRequest& request);

// FNV-1a (64 bit) of every parameter's name, shape and float bytes, as 16 hex digits.
QString modelParameterHash(const Model& model);

class EvaluateWorker : public QObject {
    Q_OBJECT
public:
    explicit EvaluateWorker(QObject* parent = nullptr);
    // Cancels a running job (it stops at its next check; never waited for) and drops what it would say.
    ~EvaluateWorker() override = default;

    // Starts an evaluation on a worker thread and returns at once; false (nothing started) while one runs.
    bool start(EvaluationRequest request);
    // Asks the job to stop at its next check; returns at once. The job then emits cancelled().
    void cancel();
    // True from start() until the job has emitted its last signal.
    bool isRunning() const { return m_job.isRunning(); }

signals:
    // start() began a job (whoever asked: the dock or the session).
    void started();
    // Overall progress in 1/1000 (sampling 0-500 then Parzen 500-1000 for a model; Parzen 0-1000 for the
    // baseline) and what is being done. Emitted on the GUI thread at most once per permille.
    void progress(int permille, const QString& phase);
    void finished(std::shared_ptr<const gsn::EvaluationOutcome> outcome);
    void failed(const QString& message);
    void cancelled();

private:
    // The job's body (worker thread); null when it was cancelled. `self` is used only in what it posts.
    static std::shared_ptr<const EvaluationOutcome> run(EvaluationRequest request, const JobControl& job,
                                                        EvaluateWorker* self);

    BackgroundJob m_job{this};
};

} // namespace gsn
