#pragma once
// The DAE paper's Figure 3, live (issue 13 item 5; docs/mixing.md "Figure 3"): the non-parametric DAE
// chains of engine/sampling/daetoyrun.h in a window of its own (Mixing lab > Figures). Two tabs:
//   Discrete: the 10-valued toy's true, empirical (training set) and chain histograms, the estimated
//     chain's exact stationary distribution, and TV(chains, truth) against the step;
//   Continuous: the 10-D toy's chain states against the training data in four pairwise scatter plots,
//     and the sliced W1 distance to fresh exact draws against the step, with its noise floor.
// Each tab has its own run, advanced by one BackgroundJob at a time (at most 80 ms per batch); the GUI
// thread never waits for it. Settings changes build a new run; File > Export writes the current tab's
// figures as PNG or SVG (atomic).

#include "backgroundjob.h"
#include "daetoyrun.h"

#include <QMainWindow>
#include <QWidget>

#include <memory>
#include <vector>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QSpinBox;
class QTabWidget;
class QTimer;

namespace gsn {

class MixingLabMetricPlot;

// What a tab draws, copied out of its run by the job that advanced it.
struct DiscreteToyView {
    std::int64_t steps = 0;
    Eigen::VectorXd truth, empirical, stationary, chains;
    double tvChain = 0, tvEmpirical = 0, tvStationary = 0;
    std::vector<std::pair<std::int64_t, double>> series;
};
struct ContinuousToyView {
    std::int64_t steps = 0;
    std::shared_ptr<const Matrix> data; // the training draws (the same for the whole run)
    Matrix states;
    double distance = 0, floor = 0;
    std::vector<std::pair<std::int64_t, double>> series;
};

// Grouped bars over the 10 values: truth, empirical, chains; the stationary distribution as ticks.
class ToyHistogramPlot : public QWidget {
    Q_OBJECT
public:
    explicit ToyHistogramPlot(QWidget* parent = nullptr);
    void setView(std::shared_ptr<const DiscreteToyView> view);
    QSize sizeHint() const override { return {520, 300}; }

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    std::shared_ptr<const DiscreteToyView> m_view;
};

// One pair of coordinates (i, j): training data in grey, the chains' states in colour.
class ToyScatterPlot : public QWidget {
    Q_OBJECT
public:
    ToyScatterPlot(int i, int j, QWidget* parent = nullptr);
    void setView(std::shared_ptr<const ContinuousToyView> view);
    QSize sizeHint() const override { return {260, 260}; }

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    int m_i, m_j;
    std::shared_ptr<const ContinuousToyView> m_view;
};

class DaeToysWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit DaeToysWindow(QWidget* parent = nullptr);
    ~DaeToysWindow() override;

    enum Tab { Discrete = 0, Continuous = 1 };
    void setCurrentTab(Tab tab);
    Tab currentTab() const;

    void run();
    void pause();
    void step(int steps); // `steps` more steps of the current tab's run
    void reset();         // a new run of the current tab with its settings
    bool isRunning() const;
    bool isBusy() const;  // the current tab's job is under way, or a build or steps are queued

    std::shared_ptr<const DiscreteToyView> discreteView() const { return m_discrete.view; }
    std::shared_ptr<const ContinuousToyView> continuousView() const { return m_continuous.view; }
    // The current tab's figures (every plot of the tab), atomically; gsn::Error naming the file.
    void exportFigure(const QString& path) const;
    QString lastError() const { return m_lastError; }

signals:
    void viewChanged();

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    // The job-side state of a tab: exactly one BackgroundJob at a time holds the run.
    template <class Run, class View>
    struct TabState {
        std::shared_ptr<Run> run;
        std::shared_ptr<const View> view;
        std::unique_ptr<BackgroundJob> job;
        bool busy = false;
        bool rebuild = true;
        bool running = false;
        int pending = 0;
        double credit = 0;
    };
    QWidget* buildDiscreteTab();
    QWidget* buildContinuousTab();
    void schedule(Tab tab);
    void tick();
    void showView(Tab tab);
    void showError(const QString& message);
    void syncButtons();

    QTabWidget* m_tabs = nullptr;
    QPushButton* m_runButton = nullptr;
    QPushButton* m_pauseButton = nullptr;
    QPushButton* m_stepButton = nullptr;
    QPushButton* m_resetButton = nullptr;
    QComboBox* m_speed = nullptr;
    QSpinBox* m_seed = nullptr;
    QLabel* m_status = nullptr;
    QTimer* m_timer = nullptr;
    qint64 m_lastTick = 0;
    QString m_lastError;

    // discrete tab
    QSpinBox* m_dSamples = nullptr;
    QDoubleSpinBox* m_dKeep = nullptr;
    QSpinBox* m_dWidth = nullptr;
    QSpinBox* m_dChains = nullptr;
    ToyHistogramPlot* m_histogram = nullptr;
    MixingLabMetricPlot* m_tvPlot = nullptr;
    QLabel* m_dFigures = nullptr;
    QWidget* m_dFigure = nullptr;
    TabState<DiscreteToyRun, DiscreteToyView> m_discrete;

    // continuous tab
    QSpinBox* m_cSamples = nullptr;
    QDoubleSpinBox* m_cCorruption = nullptr;
    QDoubleSpinBox* m_cBandwidth = nullptr;
    QDoubleSpinBox* m_cOutput = nullptr;
    QSpinBox* m_cChains = nullptr;
    QComboBox* m_cStart = nullptr;
    std::vector<ToyScatterPlot*> m_scatters;
    MixingLabMetricPlot* m_w1Plot = nullptr;
    QLabel* m_cFigures = nullptr;
    QWidget* m_cFigure = nullptr;
    TabState<ContinuousToyRun, ContinuousToyView> m_continuous;
};

} // namespace gsn
