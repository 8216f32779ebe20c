#pragma once
// Mixing against training (issue 15 item 4; docs/mixing.md "Mixing against training"), opened from the
// Training dock: the snapshots the dock kept (every E epochs of the run) measured one by one on a
// BackgroundJob (engine/eval/mixingtraining.h: class-switch rate of 10 chains x 300 steps from test digits,
// a Parzen log-likelihood of 1000 consecutive means of one chain against 1000 test digits), plotted against
// the epoch; and the current model's switch rate with its sampling noise scaled (0 to 2 x the trained
// noise), the noise acting as a temperature. Progress bar and Cancel; CSV export; the snapshots can be
// saved as model-only checkpoints named as `gsn train --snapshot-every` names them (FILE.epoch-NNN).

#include "backgroundjob.h"
#include "mixingtraining.h"
#include "modeldock.h"

#include <QDialog>

#include <functional>
#include <vector>

class QLabel;
class QProgressBar;
class QPushButton;

namespace gsn {

class MixingLabMetricPlot;

class MixingTrainingDialog : public QDialog {
    Q_OBJECT
public:
    using Snapshots = std::function<std::vector<StudioModelPtr>()>;
    // `snapshots` gives the dock's snapshots (oldest first); `current` the studio's current model.
    MixingTrainingDialog(Snapshots snapshots, std::function<StudioModelPtr()> current, QWidget* parent = nullptr);

    // What the measurements use (tests make them small).
    void setOptions(const mixing::TrainingMixingOptions& options) { m_options = options; }
    void setValidationDigits(int n) { m_validation = n; }
    static const std::vector<double>& noiseScales();

    void measureSnapshots();   // one job: every snapshot in turn
    void measureNoise();       // one job: the current model at every noise scale
    void cancel();
    bool isBusy() const { return m_busy; }

    const std::vector<mixing::SnapshotMixing>& snapshotFigures() const { return m_figures; }
    const std::vector<double>& noiseRates() const { return m_noiseRates; } // per noiseScales(), once measured
    QString csv() const;
    void exportCsv(const QString& path) const;      // atomic; gsn::Error naming the file
    // Writes every snapshot as BASE.epoch-NNN.safetensors next to BASE (model-only; atomic); returns the
    // files written. gsn::Error naming the file that could not be written.
    QStringList saveSnapshots(const QString& base) const;
    static QStringList writeSnapshots(const std::vector<StudioModelPtr>& snapshots, const QString& base);
    QString lastError() const { return m_lastError; }

signals:
    void measured(); // a job delivered its figures (or part of them)

private:
    void refreshList();
    void showFigures();
    void setBusy(bool busy, const QString& what);
    void showError(const QString& message);

    Snapshots m_snapshots;
    std::function<StudioModelPtr()> m_current;
    mixing::TrainingMixingOptions m_options;
    int m_validation = 500;
    std::vector<mixing::SnapshotMixing> m_figures;
    std::vector<double> m_noiseRates;
    QString m_noiseModel;
    bool m_busy = false;
    QString m_lastError;
    QLabel* m_list = nullptr;
    QLabel* m_status = nullptr;
    QProgressBar* m_progress = nullptr;
    QPushButton* m_measure = nullptr;
    QPushButton* m_noise = nullptr;
    QPushButton* m_cancel = nullptr;
    MixingLabMetricPlot* m_switchPlot = nullptr;
    MixingLabMetricPlot* m_parzenPlot = nullptr;
    MixingLabMetricPlot* m_noisePlot = nullptr;
    BackgroundJob m_job{this};
};

} // namespace gsn
