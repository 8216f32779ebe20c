#pragma once
// The Training dock: start/pause/cancel, epochs, examples, batch size, learning rate and momentum
// (both editable while training), a progress bar with ETA, the live loss curve (per batch and per
// epoch) and a strip of samples after each epoch, newest on top (the GSN paper's early-training figure).
// A view onto a TrainingController; the main window supplies the model and the dataset.

#include "trainingcontroller.h"

#include <QDockWidget>
#include <QImage>
#include <QPointer>

#include <functional>
#include <vector>

class QDoubleSpinBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace gsn {

class LossCurve;
class MixingTrainingDialog;

class TrainingDock : public QDockWidget {
    Q_OBJECT
public:
    // `request` supplies the model and dataset to train when the user presses Start.
    TrainingDock(TrainingController* training, std::function<TrainingRequest()> request, QWidget* parent = nullptr);

    // Fills the form's model and data fields of `request` with the dock's settings.
    void applySettings(TrainingRequest& request) const;
    void setEpochs(int epochs);
    void setExamples(int examples);
    void setLearningRate(double lr);
    LossCurve* lossCurve() const { return m_curve; }
    QProgressBar* progressBar() const { return m_progress; }
    // Sample strips received so far (oldest first).
    const std::vector<std::pair<int, QImage>>& strips() const { return m_strips; }
    // "Snapshot every E epochs" (0 = off): the model after epochs E, 2E, ... of the runs since the model was
    // installed, kept in memory (immutable, shared with nothing that changes them) for Mixing vs training.
    void setSnapshotEvery(int epochs);
    const std::vector<StudioModelPtr>& snapshots() const { return m_snapshots; }
    static constexpr int kMaxSnapshots = 100;
    // "Mixing vs training...": the dialog on the snapshots (one; raised when open).
    MixingTrainingDialog* openMixingDialog();

public slots:
    void startOrResume();
    // Clears the curve and strips (a different model was loaded).
    void clearHistory();
    // Enables Train when there is a model and a dataset to train it on, else disables it with a tooltip
    // saying what is missing (the main window calls it when either changes).
    void updateButtons();

private:
    void onBatch(int epoch, int batch, int batches, double loss, double examplesPerSecond, qint64 step, qint64 total);
    void onEpoch(int epoch, double meanLoss, double seconds, const QImage& samples);
    void onFinished(TrainingController::Status status, const QString& message);
    void redrawStrips();

    TrainingController* m_training;
    std::function<TrainingRequest()> m_request;
    QSpinBox* m_epochs = nullptr;
    QSpinBox* m_examples = nullptr;
    QSpinBox* m_batch = nullptr;
    QDoubleSpinBox* m_lr = nullptr;
    QDoubleSpinBox* m_momentum = nullptr;
    QSpinBox* m_seed = nullptr;
    QSpinBox* m_snapshotEvery = nullptr;
    std::vector<StudioModelPtr> m_snapshots;
    QPointer<MixingTrainingDialog> m_mixingDialog;
    QPushButton* m_start = nullptr;
    QPushButton* m_pause = nullptr;
    QPushButton* m_cancel = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_eta = nullptr;
    QLabel* m_note = nullptr;
    LossCurve* m_curve = nullptr;
    QLabel* m_stripLabel = nullptr;
    std::vector<std::pair<int, QImage>> m_strips;
    double m_epochOffset = 0;   // epochs completed before this session (x axis continues)
    int m_batchSize = 100;
};

} // namespace gsn
