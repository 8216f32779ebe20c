#pragma once
// The Class mixing window (issue 15 items 1 and 2; docs/mixing.md "The Class mixing window"): do the
// models' MNIST chains mix between digit classes? Five panels side by side, every one from the same seed
// and the same start (test digits N, N+1, ... or noise): the default GSN-2, the DAE without and with
// walkback, the RBM with block Gibbs and with parallel tempering (the embedded resources), stepped
// together by one controller (Run / Pause / Step / Reset, steps per second, chains per panel, seed,
// start). Each panel's Model button runs another checkpoint file in the panel's place (same sampler kind;
// the tempering panel takes an RBM). Each panel shows its chains' digits, their class timelines and the
// live metrics; File exports
// the metrics as JSON (the schema of `gsn mixing --out`) or CSV. A second tab, Interpolation
// (classinterpolationview.h), interpolates between two test digits in x, h1 and h2 (issue 15 item 3).
//
// Threads: the chains live in a ClassMixingRun (classmixingrun.h) that exactly one BackgroundJob at a
// time advances; each job steps every panel for at most 80 ms (or the steps asked for) and returns an
// immutable snapshot that the panels draw. A change of chains, seed or start builds a new run
// (superseding any job of the old one). The GUI thread never waits for a job.

#include "backgroundjob.h"
#include "classmixingrun.h"

#include <QMainWindow>

#include <vector>

class QComboBox;
class QLabel;
class QPushButton;
class QSpinBox;
class QTabWidget;
class QTimer;

namespace gsn {

class ClassInterpolationView;
class ClassMixingPanel;

class ClassMixingWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit ClassMixingWindow(QWidget* parent = nullptr);
    ~ClassMixingWindow() override;

    // Controls (each builds new chains, as the widgets do).
    void setChains(int chains);
    void setSeed(std::uint64_t seed);
    // Chain c starts at test digit index + c, or (noise) every chain at uniform noise.
    void setStart(bool noise, int testIndex = 0);
    // Steps per second while running (<= 0: as fast as possible); picks the nearest speed offered.
    void setSpeed(double stepsPerSecond);
    // Panel `panel` (0..4) runs the checkpoint at `file` instead of its embedded model (empty: the
    // embedded one again); builds new chains. A file that does not load (or a non-RBM for the tempering
    // panel) is refused when the chains are built: the error is shown and the panel keeps the model it
    // had.
    void setPanelFile(int panel, const QString& file);
    QStringList panelFiles() const { return m_panelFiles; }

    void run();
    void pause();
    // `steps` more steps of every panel (queued behind the current job).
    void step(int steps = 1);
    // Every panel back to the same start and seed (a new run).
    void reset();
    bool isRunning() const { return m_running; }
    // A build or steps are under way or queued.
    bool isBusy() const { return m_busy || m_pendingSteps > 0 || m_rebuildPending; }

    ClassMixingConfig config() const;
    ClassMixingSnapshotPtr snapshot() const { return m_snapshot; }
    int panelCount() const { return static_cast<int>(m_panels.size()); }
    ClassMixingPanel* panel(int i) const;
    QString lastError() const { return m_lastError; }
    QString statusText() const;
    // The Interpolation tab (issue 15 item 3: x, h1 and h2 between two test digits), and showing it.
    ClassInterpolationView* interpolationView() const { return m_interpolation; }
    void showInterpolation();

    // The metrics of the current snapshot, written atomically (QSaveFile): JSON as `gsn mixing --out`,
    // CSV one row per panel. gsn::Error naming the file on failure (the menu versions ask for a path).
    void exportJson(const QString& path) const;
    void exportCsv(const QString& path) const;

signals:
    void snapshotChanged();
    void errorShown(const QString& message);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void buildUi();
    void buildMenus();
    void scheduleRebuild();
    void rebuild();
    void schedule();
    void tick();
    void applySnapshot(ClassMixingSnapshotPtr snapshot);
    void showError(const QString& message);
    void exportWithDialog(bool json);
    void fitPca(const ClassMixingSnapshotPtr& built);
    void openPanelModel(int panel);

    QPushButton* m_runButton = nullptr;
    QPushButton* m_pauseButton = nullptr;
    QPushButton* m_stepButton = nullptr;
    QPushButton* m_resetButton = nullptr;
    QComboBox* m_speed = nullptr;
    QSpinBox* m_chains = nullptr;
    QSpinBox* m_seed = nullptr;
    QComboBox* m_start = nullptr;
    QSpinBox* m_testIndex = nullptr;
    QLabel* m_status = nullptr;
    std::vector<ClassMixingPanel*> m_panels;
    QStringList m_panelFiles;     // per panel, the checkpoint file run instead of the embedded model
    QStringList m_goodPanelFiles; // the files of the last run that built
    QTabWidget* m_tabs = nullptr;
    ClassInterpolationView* m_interpolation = nullptr;
    QTimer* m_tickTimer = nullptr;

    std::shared_ptr<ClassMixingRun> m_run; // touched only by the job that holds it
    ClassMixingSnapshotPtr m_snapshot;
    BackgroundJob m_job{this};
    BackgroundJob m_pcaJob{this};                  // fits the PCA views after a build (never touches the run)
    std::vector<ClassPanelPcaPtr> m_pendingPca;    // fitted, for the next job to install
    std::uint64_t m_generation = 0;
    bool m_busy = false;
    bool m_rebuildPending = false;
    bool m_running = false;
    bool m_updatingControls = false;
    int m_pendingSteps = 0;
    double m_credit = 0;
    qint64 m_lastTick = 0;
    QString m_lastError;
    QString m_buildText;
    std::int64_t m_rateSteps = -1;
    qint64 m_rateTime = 0;
    double m_measuredRate = 0;
};

} // namespace gsn
