#pragma once
// The Mixing lab window (issue 13 items 3, 4 and 6; SPEC 7; docs/mixing.md "The lab window"): one 2D
// target (with its sharpness beta), 2 to 4 panels each running its own sampler from the same start
// states and the same seed, stepped together by one controller (Run / Pause / Step / Reset, chains,
// seed, speed), the live mixing metrics under the panels, exports of every panel (PNG, SVG) and of the
// metrics (CSV, JSON), and presets that say what to watch.
//
// Threads: the chains live in a MixingLabRun (mixinglabrun.h) that exactly one BackgroundJob at a time
// advances; each job returns an immutable snapshot that the panels and plots draw. A config change
// (target, beta, chains, seed, a panel's sampler) builds a new run (superseding any job of the old one);
// a step-size change is applied by the next job between two steps and keeps the chains. The GUI thread
// never waits for a job.

#include "backgroundjob.h"
#include "mixinglabrun.h"

#include <QMainWindow>
#include <QPointer>

#include <array>
#include <map>
#include <memory>
#include <vector>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QSpinBox;
class QTimer;
class QToolButton;

namespace gsn {

class MixingLabPanel;
class MixingLabMetrics;
class PaintTargetDialog;
class DaeToysWindow;

class MixingLab : public QMainWindow {
    Q_OBJECT
public:
    explicit MixingLab(QWidget* parent = nullptr);
    ~MixingLab() override;

    // The targets the chooser offers: key (also what tests pick), label, createTarget config.
    struct TargetChoice {
        QString key;
        QString label;
        nlohmann::json config;
    };
    static const std::vector<TargetChoice>& targetChoices();

    // The presets of issue 13 item 6: a target, beta and the panels' samplers, and what to watch.
    struct Preset {
        QString name;  // "isolated modes: the random walk stays"
        QString watch; // one sentence of what to watch
        QString target;
        double beta = 1.0;
        std::vector<LabPanelConfig> panels;
        bool startAtPoint = false;            // else exact draws of the target
        std::array<double, 2> start{0.0, 0.0};
    };
    static const std::vector<Preset>& presets();
    // Sets every control of preset `index` (one rebuild) and shows its sentence; false for a bad index.
    bool applyPreset(int index);
    QString watchText() const;

    // Controls (each schedules a rebuild of the chains, as the widgets do; setStep keeps the chains).
    bool setTarget(const QString& key);   // false for an unknown key
    // Reads a target file (targets2d.h: loadTargetFile) when the chains are next built; errors are shown.
    void setTargetFile(const QString& path);
    // A target config built elsewhere (the painter's {"kind": "painted", ...}); the target chooser then shows
    // "your painting". Errors of the config are shown when the chains are built.
    void setPaintedTarget(const nlohmann::json& config);
    // File > Paint a target: opens the painter (non-modal, deleted on close) on the current target's view
    // box, started from the current painting or empty; "Use in the lab" calls setPaintedTarget.
    PaintTargetDialog* openPainter();
    // Figures > DAE paper Figure 3: the non-parametric DAE toys' window (one, raised when open).
    DaeToysWindow* openFigure3();
    void setBeta(double beta);
    void setChains(int chains);
    void setSeed(std::uint64_t seed);
    void setPanelCount(int panels);       // 2..4
    bool setPanelSampler(int panel, const QString& sampler); // a labSamplerKinds() name
    void setPanelStep(int panel, double step);
    // A pt panel's ladder: R replicas (a new run) and the lowest beta (kept chains, as a step change).
    void setPanelReplicas(int panel, int replicas);
    void setPanelBetaMin(int panel, double betaMin);
    // Epochs the DAE samplers' dae-gauss trains for at the next build (default 200, as gsn mix).
    void setDaeEpochs(int epochs);
    int panelCount() const;

    void run();
    void pause();
    // `steps` more steps of every panel (queued behind the current job; snapshots arrive as they go).
    void step(int steps = 1);
    // Restarts every panel from the same start states and seed (a new run).
    void reset();
    bool isRunning() const { return m_running; }
    // A job (build or steps) is under way or queued.
    bool isBusy() const { return m_busy || m_pendingSteps > 0 || m_rebuildPending || m_wantFreshReport; }

    LabConfig config() const;
    MixingLabSnapshotPtr snapshot() const { return m_snapshot; }
    MixingLabPanel* panel(int i) const;
    MixingLabMetrics* metrics() const { return m_metrics; }
    QString lastError() const { return m_lastError; }

    // The metrics of the current snapshot (mixinglabmetrics.h), written atomically; gsn::Error naming
    // the file on failure (the menu versions ask for a path and show errors).
    void exportMetricsCsv(const QString& path) const;
    void exportSeriesCsv(const QString& path) const;
    void exportMetricsJson(const QString& path) const;

signals:
    // A new snapshot is drawn (after a build or a batch of steps).
    void snapshotChanged();
    void errorShown(const QString& message);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    struct PanelControls {
        QWidget* box = nullptr;
        QComboBox* sampler = nullptr;
        QDoubleSpinBox* step = nullptr;
        QLabel* stepLabel = nullptr;
        QWidget* ladder = nullptr;          // pt panels: the tempering ladder
        QSpinBox* replicas = nullptr;
        QDoubleSpinBox* betaMin = nullptr;
        MixingLabPanel* view = nullptr;
    };
    void buildUi();
    void buildMenus();
    PanelControls makePanel(int index);
    void syncPanelStepControl(int index);
    void syncStepControl(PanelControls& controls, int index);
    void scheduleRebuild();
    void rebuild();
    void schedule();
    void tick();
    void applySnapshot(MixingLabSnapshotPtr snapshot);
    void showError(const QString& message);
    void exportPanel(int index, const QString& format);
    void exportMetrics(const QString& what);
    // Shows `label` as the chooser's last entry (a file or a painting in use) or removes it (empty label).
    void showOwnTarget(const QString& label);

    // controller widgets
    QComboBox* m_target = nullptr;
    QDoubleSpinBox* m_beta = nullptr;
    QSpinBox* m_chains = nullptr;
    QSpinBox* m_seed = nullptr;
    QSpinBox* m_panelCount = nullptr;
    QComboBox* m_speed = nullptr;
    QComboBox* m_start = nullptr;
    QDoubleSpinBox* m_startX = nullptr;
    QDoubleSpinBox* m_startY = nullptr;
    QComboBox* m_heatmap = nullptr;
    QCheckBox* m_field = nullptr;
    QCheckBox* m_marginals = nullptr;
    QPushButton* m_runButton = nullptr;
    QPushButton* m_pauseButton = nullptr;
    QPushButton* m_stepButton = nullptr;
    QPushButton* m_resetButton = nullptr;
    QLabel* m_status = nullptr;
    QLabel* m_watch = nullptr;
    std::vector<PanelControls> m_panels;
    MixingLabMetrics* m_metrics = nullptr;
    QTimer* m_tickTimer = nullptr;

    QString m_targetFile;
    nlohmann::json m_paintedTarget;         // set (not null): the target is this painting
    QPointer<DaeToysWindow> m_figure3;      // the Figure 3 window while it is open
    int m_daeEpochs = 200;                  // set: the target comes from this file
    std::shared_ptr<MixingLabRun> m_run;   // touched only by the job that holds it
    MixingLabSnapshotPtr m_snapshot;
    BackgroundJob m_job{this};
    std::uint64_t m_generation = 0;
    bool m_busy = false;
    bool m_rebuildPending = false;
    bool m_running = false;
    bool m_updatingControls = false;
    int m_pendingSteps = 0;
    bool m_wantFreshReport = false;        // paused: the next job (of no steps) recomputes the report
    std::uint64_t m_metricsSerial = 0;     // the report serial and run the metrics view shows
    std::uint64_t m_metricsGeneration = 0;
    double m_credit = 0;                   // steps owed to the speed setting while running
    qint64 m_lastTick = 0;
    std::map<int, double> m_pendingStepChanges; // panel -> new step, for the next job
    std::map<int, double> m_pendingLadderChanges; // pt panel -> new lowest beta, for the next job
    QString m_lastError;
    std::int64_t m_rateSteps = -1;         // the status bar's measured rate: steps and time at its last update
    qint64 m_rateTime = 0;
    double m_measuredRate = 0;
};

} // namespace gsn
