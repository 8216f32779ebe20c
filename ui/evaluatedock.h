#pragma once
// The Evaluate dock: Parzen log-likelihood (SPEC 4) of the current model or of the MNIST-train
// baseline, computed by an EvaluateWorker (a background job; progress bar, Cancel), with the
// validation curve, the result and a persistent history of evaluations per model.
//
// History: a JSON array in <app data dir>/evaluations.json (setHistoryFile overrides it), one object
// per finished evaluation: model, hash, epoch, kind, samples, burnin, thin, seed, sigma, mean, stderr,
// seconds, when. Written atomically (QSaveFile) after every evaluation.

#include "evaluateworker.h"
#include "filewritequeue.h"
#include "model.h"

#include <QDockWidget>
#include <QJsonArray>
#include <QJsonObject>

#include <memory>

class QLabel;
class QProgressBar;
class QPushButton;
class QComboBox;
class QSpinBox;
class QTableWidget;

namespace gsn {

class ParzenCurvePlot;

class EvaluateDock : public QDockWidget {
    Q_OBJECT
public:
    // A dock with an evaluation of its own (cancelled, never waited for, when the dock goes).
    explicit EvaluateDock(QWidget* parent = nullptr);
    // A dock observing and driving `evaluation` (the studio session's); it must outlive the dock.
    explicit EvaluateDock(EvaluateWorker* evaluation, QWidget* parent = nullptr);
    ~EvaluateDock() override;

    // Evaluation settings (also editable in the dock). samples = M kernel centres (10000 by the protocol).
    void setSampleCount(int samples);
    void setBurnin(int steps);
    void setThinning(int every);
    void setSeed(int seed);
    // Where the evaluated chain starts: -1 uniform noise (the protocol), else that test image.
    // The chain starts at test image `index` (the default: index 0, as the authors' code).
    void setStartImage(int index);
    // The chain starts at uniform noise, zeros, or the test image of the spin box.
    void setStart(EvaluationStart start);
    int sampleCount() const;

    // Where the history is kept (loaded at once, rewritten after every evaluation).
    void setHistoryFile(const QString& path);
    QString historyFile() const { return m_historyFile; }
    const QJsonArray& history() const { return m_history; }
    // Writes the history file on a worker after every evaluation; tests wait on it (waitForIdle).
    FileWriteQueue* historyWrites() const { return m_writes; }

    bool isRunning() const;
    QProgressBar* progressBar() const { return m_progress; }
    ParzenCurvePlot* curvePlot() const { return m_plot; }
    // The last finished evaluation (null before the first).
    std::shared_ptr<const EvaluationOutcome> lastOutcome() const { return m_last; }
    // The model evaluations use (null when none is set or only a checkpoint path is pending).
    std::shared_ptr<const Model> model() const { return m_model; }

public slots:
    // The model to evaluate from now on. Pass an immutable snapshot (never a model being trained).
    // `name` identifies it in the history (e.g. the checkpoint file name); epoch -1 = unknown.
    void setModel(std::shared_ptr<const gsn::Model> model, const QString& name, int epoch = -1);
    // A checkpoint to evaluate; it is loaded on the worker thread by the next evaluation.
    void setCheckpoint(const QString& path);
    // The loaded dataset: the MNIST-train baseline and a start at a test digit are offered only for
    // MNIST (the protocol's sets); other data gets uniform noise or zeros.
    void setDatasetName(const QString& name);
    // Asks for a checkpoint file.
    void openCheckpoint();
    // Starts an evaluation of the model (does nothing while one runs or without a model).
    void evaluateModel();
    // Starts an evaluation of the first N MNIST training images as samples.
    void evaluateBaseline();
    // Asks the running evaluation to stop; returns at once (evaluationCancelled follows).
    void cancel();

signals:
    void evaluationFinished(std::shared_ptr<const gsn::EvaluationOutcome> outcome);
    void evaluationCancelled();
    void evaluationFailed(const QString& message);

private:
    void clearShownResult(); // the plot and the figure, when the model changes
    void start(EvaluationRequest request);
    void onProgress(int permille, const QString& phase);
    void onFinished(std::shared_ptr<const EvaluationOutcome> outcome);
    void onStopped(const QString& message);
    void setRunning(bool running);
    void appendHistory(const EvaluationOutcome& outcome);
    void loadHistory();
    void saveHistory();
    void refreshHistoryTable();
    void fillHistoryRow(int tableRow, const QJsonObject& row); // the 9 cells of one history entry
    void updateModelLabel();

    QLabel* m_modelLabel = nullptr;
    QSpinBox* m_samples = nullptr;
    QSpinBox* m_burnin = nullptr;
    QSpinBox* m_thin = nullptr;
    QSpinBox* m_seed = nullptr;
    bool m_mnistLoaded = true;
    QComboBox* m_startKind = nullptr;  // test digit / uniform noise / zeros
    QSpinBox* m_start = nullptr;       // the test digit's index
    QPushButton* m_evaluate = nullptr;
    QPushButton* m_baseline = nullptr;
    QPushButton* m_cancel = nullptr;
    QPushButton* m_open = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_phase = nullptr;
    QLabel* m_result = nullptr;
    ParzenCurvePlot* m_plot = nullptr;
    QTableWidget* m_table = nullptr;

    std::shared_ptr<const Model> m_model;
    QString m_modelName;
    QString m_checkpointPath;
    int m_epoch = -1;
    EvaluationSets m_sets;                       // loaded by the first job, reused by later ones
    std::shared_ptr<const EvaluationOutcome> m_last;
    QString m_historyFile;
    QJsonArray m_history;
    FileWriteQueue* m_writes = nullptr;          // the history file's writes, off the GUI thread
    EvaluateWorker* m_worker = nullptr;          // the session's, or a child of this dock
};

} // namespace gsn
