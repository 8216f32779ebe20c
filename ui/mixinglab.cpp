#include "mixinglab.h"

#include "error.h"
#include "mixinglabmetrics.h"
#include "mixinglabpanel.h"
#include "daetoyswindow.h"
#include "painttargetdialog.h"

#include <QAbstractSpinBox>
#include <QApplication>
#include <QCheckBox>
#include <QCloseEvent>
#include <QComboBox>
#include <QDateTime>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPointer>
#include <QPushButton>
#include <QScreen>
#include <QSpinBox>
#include <QSplitter>
#include <QStatusBar>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace gsn {

namespace {

constexpr int kMaxPanels = 4;
// A running job steps for at most this long before it hands a snapshot to the panels: about the display's
// frame time, so running chains are drawn at up to ~60 frames/s. Its report (ranks, R-hat, ESS: a few ms
// with 10000 chains) is recomputed at most every kReportSeconds; requested steps always end with a fresh one.
constexpr double kBatchSeconds = 0.012;
constexpr double kReportSeconds = 0.25;
constexpr int kTickMs = 16;

const std::vector<std::pair<QString, double>>& speeds()
{
    static const std::vector<std::pair<QString, double>> s = {
        {QStringLiteral("10 steps/s"), 10},     {QStringLiteral("30 steps/s"), 30},
        {QStringLiteral("100 steps/s"), 100},   {QStringLiteral("300 steps/s"), 300},
        {QStringLiteral("1000 steps/s"), 1000}, {QStringLiteral("10000 steps/s"), 10000},
        {QStringLiteral("as fast as possible"), 0}};
    return s;
}

const char* const kDefaultSamplers[kMaxPanels] = {"rwmh", "pt", "npdae", "mala"};
const QString kOwnTarget = QStringLiteral("__own__"); // the chooser's entry for a file or a painting in use

} // namespace

MixingLab::MixingLab(QWidget* parent) : QMainWindow(parent)
{
    setObjectName(QStringLiteral("MixingLab"));
    setWindowTitle(tr("Mixing lab"));
    buildUi();
    buildMenus();
    m_tickTimer = new QTimer(this);
    m_tickTimer->setInterval(kTickMs);
    connect(m_tickTimer, &QTimer::timeout, this, &MixingLab::tick);

    const QScreen* screen = QGuiApplication::primaryScreen();
    const QSize available = screen ? screen->availableGeometry().size() : QSize(1366, 768);
    resize(std::min(available.width(), 1360), std::min(available.height(), 740));
    scheduleRebuild();
}

MixingLab::~MixingLab() = default;

void MixingLab::buildUi()
{
    QToolBar* bar = addToolBar(tr("Controller"));
    bar->setObjectName(QStringLiteral("labController"));
    bar->setMovable(false);
    bar->addWidget(new QLabel(tr("Target ")));
    m_target = new QComboBox;
    m_target->setObjectName(QStringLiteral("labTarget"));
    for (const TargetChoice& c : targetChoices())
        m_target->addItem(c.label, c.key);
    m_target->setToolTip(tr("The target density every panel samples"));
    bar->addWidget(m_target);
    bar->addWidget(new QLabel(tr("  \u03b2 ")));
    m_beta = new QDoubleSpinBox;
    m_beta->setObjectName(QStringLiteral("labBeta"));
    m_beta->setRange(0.05, 20.0);
    m_beta->setDecimals(2);
    m_beta->setSingleStep(0.25);
    m_beta->setValue(1.0);
    m_beta->setToolTip(tr("Sharpness: the target is p(x)^\u03b2, renormalised. \u03b2 > 1 sharpens the modes"));
    bar->addWidget(m_beta);
    bar->addWidget(new QLabel(tr("  Chains ")));
    m_chains = new QSpinBox;
    m_chains->setObjectName(QStringLiteral("labChains"));
    m_chains->setRange(1, 10000);
    m_chains->setValue(100);
    m_chains->setToolTip(tr("Chains per panel, started at the same exact draws of the target in every panel"));
    bar->addWidget(m_chains);
    bar->addWidget(new QLabel(tr("  Seed ")));
    m_seed = new QSpinBox;
    m_seed->setObjectName(QStringLiteral("labSeed"));
    m_seed->setRange(0, 1000000000);
    m_seed->setValue(1);
    m_seed->setToolTip(tr("One seed for every panel: the start states and each sampler's noise"));
    bar->addWidget(m_seed);
    bar->addWidget(new QLabel(tr("  Panels ")));
    m_panelCount = new QSpinBox;
    m_panelCount->setObjectName(QStringLiteral("labPanelCount"));
    m_panelCount->setRange(2, kMaxPanels);
    m_panelCount->setValue(kMaxPanels);
    bar->addWidget(m_panelCount);
    bar->addSeparator();
    m_runButton = new QPushButton(tr("Run"));
    m_runButton->setObjectName(QStringLiteral("labRun"));
    m_pauseButton = new QPushButton(tr("Pause"));
    m_pauseButton->setObjectName(QStringLiteral("labPause"));
    m_stepButton = new QPushButton(tr("Step"));
    m_stepButton->setObjectName(QStringLiteral("labStep"));
    m_stepButton->setToolTip(tr("One step of every panel"));
    m_resetButton = new QPushButton(tr("Reset"));
    m_resetButton->setObjectName(QStringLiteral("labReset"));
    m_resetButton->setToolTip(tr("Every panel back to the same start states and seed"));
    for (QPushButton* b : {m_runButton, m_pauseButton, m_stepButton, m_resetButton})
        bar->addWidget(b);
    m_speed = new QComboBox;
    m_speed->setObjectName(QStringLiteral("labSpeed"));
    for (const auto& [label, rate] : speeds())
        m_speed->addItem(label, rate);
    m_speed->setCurrentIndex(3);
    m_speed->setToolTip(tr("Steps per second of every panel while running"));
    bar->addWidget(m_speed);

    addToolBarBreak();
    QToolBar* startBar = addToolBar(tr("Start"));
    startBar->setObjectName(QStringLiteral("labStartBar"));
    startBar->setMovable(false);
    startBar->addWidget(new QLabel(tr("Start ")));
    m_start = new QComboBox;
    m_start->setObjectName(QStringLiteral("labStart"));
    m_start->addItem(tr("exact draws of the target"), QStringLiteral("draws"));
    m_start->addItem(tr("every chain at one point"), QStringLiteral("point"));
    m_start->setToolTip(tr("Where every panel's chains start (the same in every panel). Draws start the chains "
                           "spread over the modes by their weights; one point shows how long the chains take to find "
                           "the other modes (the visit, TV and KL figures then tell)"));
    startBar->addWidget(m_start);
    m_startX = new QDoubleSpinBox;
    m_startY = new QDoubleSpinBox;
    for (QDoubleSpinBox* b : {m_startX, m_startY}) {
        b->setRange(-1000, 1000);
        b->setDecimals(2);
        b->setSingleStep(0.5);
        b->setEnabled(false);
    }
    m_startX->setObjectName(QStringLiteral("labStartX"));
    m_startY->setObjectName(QStringLiteral("labStartY"));
    m_startX->setValue(-4.0);
    startBar->addWidget(new QLabel(tr("  x\u2081 ")));
    startBar->addWidget(m_startX);
    startBar->addWidget(new QLabel(tr("  x\u2082 ")));
    startBar->addWidget(m_startY);
    connect(m_start, &QComboBox::currentIndexChanged, this, [this] {
        const bool point = m_start->currentData().toString() == QLatin1String("point");
        m_startX->setEnabled(point);
        m_startY->setEnabled(point);
        if (!m_updatingControls)
            scheduleRebuild();
    });
    startBar->addSeparator();
    startBar->addWidget(new QLabel(tr("Heatmap ")));
    m_heatmap = new QComboBox;
    m_heatmap->setObjectName(QStringLiteral("labHeatmap"));
    m_heatmap->addItem(tr("true density"));
    m_heatmap->addItem(tr("chains' histogram"));
    m_heatmap->addItem(tr("DAE's implied density"));
    m_heatmap->setToolTip(tr("What the panels' heatmap shows: the target's density, the histogram of every chain's "
                             "states so far on the 64 x 64 KL grid, or on DAE panels the density the DAE implies (its "
                             "learned score integrated: exp(F(x) / s\u00b2), the true density elsewhere). The true "
                             "density's contours stay on top"));
    startBar->addWidget(m_heatmap);
    m_field = new QCheckBox(tr("DAE field"));
    m_field->setObjectName(QStringLiteral("labField"));
    m_field->setChecked(true);
    m_field->setToolTip(tr("On DAE panels: arrows from x\u0303 to the DAE's reconstruction r(x\u0303) (DAE paper, Figure 2)"));
    startBar->addWidget(m_field);
    m_marginals = new QCheckBox(tr("Marginals"));
    m_marginals->setObjectName(QStringLiteral("labMarginals"));
    m_marginals->setChecked(true);
    m_marginals->setToolTip(tr("Histograms of x\u2081 (top) and x\u2082 (right) of every chain's states so far, with the "
                               "target's true marginals drawn over them"));
    startBar->addWidget(m_marginals);
    connect(m_marginals, &QCheckBox::toggled, this, [this](bool on) {
        for (PanelControls& c : m_panels)
            c.view->setShowMarginals(on);
    });
    connect(m_heatmap, &QComboBox::currentIndexChanged, this, [this](int i) {
        for (PanelControls& c : m_panels)
            c.view->setHeatmap(i == 1   ? MixingLabPanel::Heatmap::Histogram
                               : i == 2 ? MixingLabPanel::Heatmap::Implied
                                        : MixingLabPanel::Heatmap::Density);
    });
    connect(m_field, &QCheckBox::toggled, this, [this](bool on) {
        for (PanelControls& c : m_panels)
            c.view->setShowField(on);
    });
    for (QDoubleSpinBox* b : {m_startX, m_startY})
        connect(b, &QDoubleSpinBox::valueChanged, this, [this] {
            if (!m_updatingControls && m_start->currentData().toString() == QLatin1String("point"))
                scheduleRebuild();
        });

    auto* central = new QWidget;
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(4, 2, 4, 2);
    layout->setSpacing(2);
    m_watch = new QLabel;
    m_watch->setObjectName(QStringLiteral("labWatch"));
    m_watch->setWordWrap(true);
    m_watch->hide();
    layout->addWidget(m_watch);
    auto* row = new QHBoxLayout;
    row->setSpacing(4);
    for (int i = 0; i < kMaxPanels; ++i) {
        m_panels.push_back(makePanel(i));
        row->addWidget(m_panels.back().box, 1);
    }
    layout->addLayout(row, 1);
    auto* splitter = new QSplitter(Qt::Vertical);
    splitter->setObjectName(QStringLiteral("labSplitter"));
    splitter->setChildrenCollapsible(false);
    splitter->addWidget(central);
    m_metrics = new MixingLabMetrics;
    m_metrics->setObjectName(QStringLiteral("labMetrics"));
    splitter->addWidget(m_metrics);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    setCentralWidget(splitter);

    m_status = new QLabel;
    m_status->setObjectName(QStringLiteral("labStatus"));
    statusBar()->addWidget(m_status, 1);

    connect(m_target, &QComboBox::currentIndexChanged, this, [this] {
        if (!m_updatingControls && m_target->currentData().toString() != kOwnTarget) {
            m_targetFile.clear();
            m_paintedTarget = nullptr;
            showOwnTarget({});
            scheduleRebuild();
        }
    });
    for (QObject* w : {static_cast<QObject*>(m_beta), static_cast<QObject*>(m_chains), static_cast<QObject*>(m_seed)}) {
        if (auto* d = qobject_cast<QDoubleSpinBox*>(w))
            connect(d, &QDoubleSpinBox::valueChanged, this, [this] { if (!m_updatingControls) scheduleRebuild(); });
        if (auto* s = qobject_cast<QSpinBox*>(w))
            connect(s, &QSpinBox::valueChanged, this, [this] { if (!m_updatingControls) scheduleRebuild(); });
    }
    connect(m_panelCount, &QSpinBox::valueChanged, this, [this](int n) {
        for (int i = 0; i < kMaxPanels; ++i)
            m_panels[static_cast<std::size_t>(i)].box->setVisible(i < n);
        if (!m_updatingControls)
            scheduleRebuild();
    });
    // Typing a number builds new chains once, when it is entered, not at every keystroke.
    for (QAbstractSpinBox* box : findChildren<QAbstractSpinBox*>())
        box->setKeyboardTracking(false);
    connect(m_runButton, &QPushButton::clicked, this, &MixingLab::run);
    connect(m_pauseButton, &QPushButton::clicked, this, &MixingLab::pause);
    connect(m_stepButton, &QPushButton::clicked, this, [this] { step(1); });
    connect(m_resetButton, &QPushButton::clicked, this, &MixingLab::reset);
    m_pauseButton->setEnabled(false);
}

MixingLab::PanelControls MixingLab::makePanel(int index)
{
    PanelControls c;
    c.box = new QWidget;
    c.box->setObjectName(QStringLiteral("labPanel%1").arg(index + 1));
    auto* v = new QVBoxLayout(c.box);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(1);
    auto* header = new QHBoxLayout;
    header->setSpacing(3);
    c.sampler = new QComboBox;
    c.sampler->setObjectName(QStringLiteral("labSampler%1").arg(index + 1));
    for (const LabSamplerKind& k : labSamplerKinds())
        c.sampler->addItem(QString::fromStdString(k.name), QString::fromStdString(k.name));
    for (int i = 0; i < c.sampler->count(); ++i)
        c.sampler->setItemData(i, QString::fromStdString(labSamplerKinds()[static_cast<std::size_t>(i)].label), Qt::ToolTipRole);
    c.sampler->setCurrentIndex(std::max(0, c.sampler->findData(QString::fromLatin1(kDefaultSamplers[index]))));
    c.sampler->setToolTip(tr("The sampler of panel %1").arg(index + 1));
    header->addWidget(c.sampler);
    c.stepLabel = new QLabel(tr("step"));
    header->addWidget(c.stepLabel);
    c.step = new QDoubleSpinBox;
    c.step->setObjectName(QStringLiteral("labStepSize%1").arg(index + 1));
    c.step->setRange(0.001, 20.0);
    c.step->setDecimals(3);
    c.step->setSingleStep(0.05);
    c.step->setToolTip(tr("Changing it while the chains run keeps the chains"));
    header->addWidget(c.step);
    header->addStretch(1);
    auto* exportButton = new QToolButton;
    exportButton->setText(tr("Export"));
    exportButton->setObjectName(QStringLiteral("labExport%1").arg(index + 1));
    exportButton->setPopupMode(QToolButton::InstantPopup);
    auto* menu = new QMenu(exportButton);
    menu->addAction(tr("Panel as PNG..."), this, [this, index] { exportPanel(index, QStringLiteral("png")); });
    menu->addAction(tr("Panel as SVG..."), this, [this, index] { exportPanel(index, QStringLiteral("svg")); });
    exportButton->setMenu(menu);
    header->addWidget(exportButton);
    v->addLayout(header);
    // The tempering ladder (pt panels only): R replicas on a geometric ladder from beta 1 to the lowest beta.
    c.ladder = new QWidget;
    c.ladder->setObjectName(QStringLiteral("labLadder%1").arg(index + 1));
    auto* ladder = new QHBoxLayout(c.ladder);
    ladder->setContentsMargins(0, 0, 0, 0);
    ladder->setSpacing(3);
    ladder->addWidget(new QLabel(tr("ladder")));
    c.replicas = new QSpinBox;
    c.replicas->setObjectName(QStringLiteral("labReplicas%1").arg(index + 1));
    c.replicas->setRange(2, 32);
    c.replicas->setValue(LabPanelConfig{}.replicas);
    c.replicas->setSuffix(tr(" replicas"));
    c.replicas->setToolTip(tr("Replicas of the tempering ladder; another number starts new chains"));
    ladder->addWidget(c.replicas);
    ladder->addWidget(new QLabel(tr("to \u03b2")));
    c.betaMin = new QDoubleSpinBox;
    c.betaMin->setObjectName(QStringLiteral("labBetaMin%1").arg(index + 1));
    c.betaMin->setRange(0.001, 0.99);
    c.betaMin->setDecimals(3);
    c.betaMin->setSingleStep(0.05);
    c.betaMin->setValue(LabPanelConfig{}.betaMin);
    c.betaMin->setToolTip(tr("The hottest replica's inverse temperature (the ladder is geometric from 1 down to it). "
                             "Changing it while the chains run keeps the chains; the table's swap-rate cell lists "
                             "each neighbouring pair's rate"));
    ladder->addWidget(c.betaMin);
    ladder->addStretch(1);
    // Hidden on other panels but keeping its height, so the plots of all panels stay aligned.
    QSizePolicy keep = c.ladder->sizePolicy();
    keep.setRetainSizeWhenHidden(true);
    c.ladder->setSizePolicy(keep);
    v->addWidget(c.ladder);
    c.view = new MixingLabPanel;
    c.view->setObjectName(QStringLiteral("labView%1").arg(index + 1));
    v->addWidget(c.view, 1);

    connect(c.sampler, &QComboBox::currentIndexChanged, this, [this, index] {
        syncPanelStepControl(index);
        if (!m_updatingControls)
            scheduleRebuild();
    });
    connect(c.step, &QDoubleSpinBox::valueChanged, this, [this, index](double value) {
        if (m_updatingControls)
            return;
        const LabSamplerKind* kind =
            findLabSamplerKind(m_panels[static_cast<std::size_t>(index)].sampler->currentData().toString().toStdString());
        if (kind && kind->daeCorruption) {
            scheduleRebuild(); // another corruption level is another DAE, trained for the new run
            return;
        }
        m_pendingStepChanges[index] = value;
        schedule();
    });
    connect(c.replicas, &QSpinBox::valueChanged, this, [this] {
        if (!m_updatingControls)
            scheduleRebuild(); // PtSampler continues a state only with the same number of replicas
    });
    connect(c.betaMin, &QDoubleSpinBox::valueChanged, this, [this, index](double value) {
        if (m_updatingControls)
            return;
        m_pendingLadderChanges[index] = value;
        schedule();
    });
    syncStepControl(c, index);
    return c;
}

void MixingLab::syncPanelStepControl(int index)
{
    if (index < static_cast<int>(m_panels.size()))
        syncStepControl(m_panels[static_cast<std::size_t>(index)], index);
}

void MixingLab::syncStepControl(PanelControls& c, int index)
{
    const LabSamplerKind* kind = findLabSamplerKind(c.sampler->currentData().toString().toStdString());
    const bool has = kind && !kind->stepField.empty();
    const bool was = m_updatingControls;
    m_updatingControls = true;
    c.step->setEnabled(has);
    c.ladder->setVisible(kind && kind->name == "pt");
    m_pendingLadderChanges.erase(index);
    c.stepLabel->setText(has ? QString::fromStdString(kind->stepLabel) : tr("(no step)"));
    if (has)
        c.step->setValue(kind->defaultStep);
    m_updatingControls = was;
    m_pendingStepChanges.erase(index);
}

void MixingLab::buildMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* open = file->addAction(tr("Open &target file..."), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open a target file"), QString(), tr("Targets (*.json)"));
        if (!path.isEmpty())
            setTargetFile(path);
    });
    open->setObjectName(QStringLiteral("labOpenTarget"));
    QAction* paint = file->addAction(tr("&Paint a target..."), this, [this] { openPainter(); });
    paint->setObjectName(QStringLiteral("labPaintTarget"));
    paint->setShortcut(QKeySequence(tr("Ctrl+P")));
    QMenu* exports = file->addMenu(tr("&Export panel"));
    for (int i = 0; i < kMaxPanels; ++i) {
        exports->addAction(tr("Panel %1 as PNG...").arg(i + 1), this, [this, i] { exportPanel(i, QStringLiteral("png")); });
        exports->addAction(tr("Panel %1 as SVG...").arg(i + 1), this, [this, i] { exportPanel(i, QStringLiteral("svg")); });
    }
    QAction* csv = file->addAction(tr("Export metrics as &CSV..."), this, [this] { exportMetrics(QStringLiteral("csv")); });
    csv->setObjectName(QStringLiteral("labExportCsv"));
    QAction* seriesCsv = file->addAction(tr("Export metric &series as CSV..."), this, [this] { exportMetrics(QStringLiteral("series")); });
    seriesCsv->setObjectName(QStringLiteral("labExportSeriesCsv"));
    QAction* json = file->addAction(tr("Export metrics as &JSON..."), this, [this] { exportMetrics(QStringLiteral("json")); });
    json->setObjectName(QStringLiteral("labExportJson"));
    file->addSeparator();
    QAction* close = file->addAction(tr("&Close"), this, &QWidget::close);
    close->setShortcut(QKeySequence::Close);

    QMenu* chains = menuBar()->addMenu(tr("&Chains"));
    QAction* runAction = chains->addAction(tr("&Run / pause"), this, [this] { m_running ? pause() : run(); });
    runAction->setShortcut(QKeySequence(Qt::Key_Space));
    QAction* stepAction = chains->addAction(tr("&Step"), this, [this] { step(1); });
    stepAction->setShortcut(QKeySequence(Qt::Key_Period));
    QAction* step100 = chains->addAction(tr("Step &100"), this, [this] { step(100); });
    step100->setShortcut(QKeySequence(tr("Ctrl+.")));
    QAction* resetAction = chains->addAction(tr("R&eset"), this, &MixingLab::reset);
    resetAction->setShortcut(QKeySequence(tr("Ctrl+R")));
    QAction* fit = chains->addAction(tr("&Fit panels to the target"), this, [this] {
        for (PanelControls& c : m_panels)
            c.view->fitToTarget();
    });
    fit->setShortcut(QKeySequence(tr("Ctrl+0")));

    QMenu* presetMenu = menuBar()->addMenu(tr("&Presets"));
    for (int i = 0; i < static_cast<int>(presets().size()); ++i) {
        QAction* a = presetMenu->addAction(presets()[static_cast<std::size_t>(i)].name, this, [this, i] { applyPreset(i); });
        a->setObjectName(QStringLiteral("labPreset%1").arg(i + 1));
        a->setToolTip(presets()[static_cast<std::size_t>(i)].watch);
        a->setStatusTip(presets()[static_cast<std::size_t>(i)].watch);
    }
    presetMenu->setToolTipsVisible(true);

    QMenu* figures = menuBar()->addMenu(tr("F&igures"));
    QAction* figure3 = figures->addAction(tr("DAE paper &Figure 3: non-parametric DAE chains..."), this, [this] { openFigure3(); });
    figure3->setObjectName(QStringLiteral("labFigure3"));
    figure3->setShortcut(QKeySequence(tr("Ctrl+3")));
    figure3->setStatusTip(tr("The discrete 10-valued and the 10-D continuous toys of the DAE paper, their chains live"));
}

DaeToysWindow* MixingLab::openFigure3()
{
    if (!m_figure3) {
        m_figure3 = new DaeToysWindow; // a top-level window of its own, deleted when closed
        m_figure3->setAttribute(Qt::WA_DeleteOnClose);
    }
    m_figure3->show();
    m_figure3->raise();
    m_figure3->activateWindow();
    return m_figure3;
}

bool MixingLab::applyPreset(int index)
{
    if (index < 0 || index >= static_cast<int>(presets().size()))
        return false;
    const Preset& preset = presets()[static_cast<std::size_t>(index)];
    m_updatingControls = true;
    m_targetFile.clear();
    m_paintedTarget = nullptr;
    showOwnTarget({});
    m_target->setCurrentIndex(std::max(0, m_target->findData(preset.target)));
    m_beta->setValue(preset.beta);
    m_start->setCurrentIndex(preset.startAtPoint ? 1 : 0);
    m_startX->setValue(preset.start[0]);
    m_startY->setValue(preset.start[1]);
    m_panelCount->setValue(static_cast<int>(preset.panels.size()));
    for (int i = 0; i < static_cast<int>(preset.panels.size()); ++i) {
        PanelControls& c = m_panels[static_cast<std::size_t>(i)];
        c.sampler->setCurrentIndex(std::max(0, c.sampler->findData(QString::fromStdString(preset.panels[static_cast<std::size_t>(i)].sampler))));
        syncStepControl(c, i);
        if (c.step->isEnabled())
            c.step->setValue(preset.panels[static_cast<std::size_t>(i)].step);
        c.replicas->setValue(preset.panels[static_cast<std::size_t>(i)].replicas);
        c.betaMin->setValue(preset.panels[static_cast<std::size_t>(i)].betaMin);
    }
    m_updatingControls = false;
    m_watch->setText(tr("<b>%1.</b> What to watch: %2").arg(preset.name.toHtmlEscaped(), preset.watch.toHtmlEscaped()));
    m_watch->show();
    scheduleRebuild();
    return true;
}

QString MixingLab::watchText() const
{
    return m_watch->isVisible() ? m_watch->text() : QString();
}

int MixingLab::panelCount() const
{
    return m_panelCount->value();
}

MixingLabPanel* MixingLab::panel(int i) const
{
    return i >= 0 && i < static_cast<int>(m_panels.size()) ? m_panels[static_cast<std::size_t>(i)].view : nullptr;
}

bool MixingLab::setTarget(const QString& key)
{
    const int index = m_target->findData(key);
    if (index < 0)
        return false;
    m_targetFile.clear();
    m_paintedTarget = nullptr;
    if (index == m_target->currentIndex())
        scheduleRebuild();
    m_target->setCurrentIndex(index);
    return true;
}

void MixingLab::setTargetFile(const QString& path)
{
    m_targetFile = path;
    m_paintedTarget = nullptr;
    showOwnTarget(tr("file: %1").arg(QFileInfo(path).fileName()));
    scheduleRebuild();
}

void MixingLab::setPaintedTarget(const nlohmann::json& config)
{
    m_targetFile.clear();
    m_paintedTarget = config;
    showOwnTarget(tr("your painting"));
    scheduleRebuild();
}

void MixingLab::showOwnTarget(const QString& label)
{
    const bool was = m_updatingControls;
    m_updatingControls = true;
    const int own = m_target->findData(kOwnTarget);
    if (label.isEmpty()) {
        if (own >= 0)
            m_target->removeItem(own);
    } else if (own >= 0) {
        m_target->setItemText(own, label);
        m_target->setCurrentIndex(own);
    } else {
        m_target->addItem(label, kOwnTarget);
        m_target->setCurrentIndex(m_target->count() - 1);
    }
    m_updatingControls = was;
}

PaintTargetDialog* MixingLab::openPainter()
{
    // The current target's view box (a square around it), and the current painting to edit.
    std::array<double, 4> box{-4, 4, -4, 4};
    std::shared_ptr<const Target> start;
    if (m_snapshot && m_snapshot->target) {
        const auto [x0, x1, y0, y1] = m_snapshot->target->viewBox();
        const double half = std::max(x1 - x0, y1 - y0) / 2, cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
        if (std::isfinite(half) && half > 0)
            box = {cx - half, cx + half, cy - half, cy + half};
        if (m_paintedTarget.is_null())
            start = m_snapshot->target; // the painter starts from the current target, rasterised
    }
    if (!m_paintedTarget.is_null() && m_paintedTarget.contains("box") && m_paintedTarget["box"].size() == 4) {
        const nlohmann::json& b = m_paintedTarget["box"];
        box = {b[0].get<double>(), b[1].get<double>(), b[2].get<double>(), b[3].get<double>()};
    }
    auto* dialog = new PaintTargetDialog(box, start, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    if (!m_paintedTarget.is_null()) {
        // Edit the painting in use exactly (its own cells), not a rasterisation of it.
        std::vector<double> values;
        for (const nlohmann::json& row : m_paintedTarget["values"])
            for (const nlohmann::json& v : row)
                values.push_back(v.get<double>());
        if (values.size() == dialog->canvas()->values().size())
            dialog->canvas()->setValues(std::move(values));
        if (m_paintedTarget.contains("blur"))
            dialog->setBlur(m_paintedTarget["blur"].get<double>());
    }
    connect(dialog, &QDialog::accepted, this, [this, dialog] { setPaintedTarget(dialog->targetConfig()); });
    dialog->show();
    dialog->raise();
    return dialog;
}

void MixingLab::setBeta(double beta)
{
    m_beta->setValue(beta);
}

void MixingLab::setChains(int chains)
{
    m_chains->setValue(chains);
}

void MixingLab::setSeed(std::uint64_t seed)
{
    m_seed->setValue(static_cast<int>(seed));
}

void MixingLab::setPanelCount(int panels)
{
    m_panelCount->setValue(panels);
}

bool MixingLab::setPanelSampler(int panel, const QString& sampler)
{
    if (panel < 0 || panel >= kMaxPanels)
        return false;
    QComboBox* combo = m_panels[static_cast<std::size_t>(panel)].sampler;
    const int index = combo->findData(sampler);
    if (index < 0)
        return false;
    combo->setCurrentIndex(index);
    return true;
}

void MixingLab::setPanelStep(int panel, double step)
{
    if (panel >= 0 && panel < kMaxPanels)
        m_panels[static_cast<std::size_t>(panel)].step->setValue(step);
}

void MixingLab::setPanelReplicas(int panel, int replicas)
{
    if (panel >= 0 && panel < kMaxPanels)
        m_panels[static_cast<std::size_t>(panel)].replicas->setValue(replicas);
}

void MixingLab::setPanelBetaMin(int panel, double betaMin)
{
    if (panel >= 0 && panel < kMaxPanels)
        m_panels[static_cast<std::size_t>(panel)].betaMin->setValue(betaMin);
}

void MixingLab::setDaeEpochs(int epochs)
{
    m_daeEpochs = epochs;
    scheduleRebuild();
}

LabConfig MixingLab::config() const
{
    LabConfig c;
    c.daeEpochs = m_daeEpochs;
    const int index = std::max(0, m_target->currentIndex());
    c.target = !m_paintedTarget.is_null() ? m_paintedTarget
               : targetChoices()[std::min(static_cast<std::size_t>(index), targetChoices().size() - 1)].config;
    c.targetFile = m_targetFile.toStdString();
    c.beta = m_beta->value();
    c.startAtPoint = m_start->currentData().toString() == QLatin1String("point");
    c.start = {m_startX->value(), m_startY->value()};
    c.chains = m_chains->value();
    c.seed = static_cast<std::uint64_t>(m_seed->value());
    for (int i = 0; i < m_panelCount->value(); ++i) {
        const PanelControls& p = m_panels[static_cast<std::size_t>(i)];
        LabPanelConfig panel;
        panel.sampler = p.sampler->currentData().toString().toStdString();
        panel.step = p.step->value();
        panel.replicas = p.replicas->value();
        panel.betaMin = p.betaMin->value();
        c.panels.push_back(panel);
    }
    return c;
}

void MixingLab::run()
{
    m_running = true;
    m_credit = 0;
    m_lastTick = QDateTime::currentMSecsSinceEpoch();
    m_tickTimer->start();
    m_runButton->setEnabled(false);
    m_pauseButton->setEnabled(true);
    schedule();
}

void MixingLab::pause()
{
    if (m_running)
        m_wantFreshReport = true; // the last running snapshot's report may be up to kReportSeconds old
    m_running = false;
    m_tickTimer->stop();
    m_runButton->setEnabled(true);
    m_pauseButton->setEnabled(false);
    schedule();
}

void MixingLab::step(int steps)
{
    if (steps <= 0)
        return;
    m_pendingSteps += steps;
    schedule();
}

void MixingLab::reset()
{
    scheduleRebuild();
}

void MixingLab::scheduleRebuild()
{
    // Several control changes in one event-loop turn (a preset) build one run.
    if (m_rebuildPending)
        return;
    m_rebuildPending = true;
    QTimer::singleShot(0, this, &MixingLab::rebuild);
}

void MixingLab::rebuild()
{
    m_rebuildPending = false;
    const LabConfig cfg = config();
    const std::uint64_t generation = ++m_generation;
    m_run.reset();
    m_pendingStepChanges.clear();
    m_pendingLadderChanges.clear();
    m_busy = true;
    for (int i = 0; i < static_cast<int>(cfg.panels.size()); ++i)
        m_panels[static_cast<std::size_t>(i)].view->setPlaceholder(tr("Building the chains..."));
    m_status->setText(tr("Building the chains..."));
    struct Built {
        std::shared_ptr<MixingLabRun> run;
        MixingLabSnapshotPtr snapshot;
    };
    QPointer<QLabel> status = m_status;
    m_job.start(
        [cfg, generation, status](const JobControl& job) {
            auto run = std::make_shared<MixingLabRun>(cfg, generation, job.cancelFlag(), [job, status](const std::string& text) {
                job.post([status, text] {
                    if (status)
                        status->setText(QString::fromStdString(text));
                });
            });
            Built built;
            if (run->cancelled())
                return built;
            built.snapshot = run->snapshot();
            built.run = std::move(run);
            return built;
        },
        [this, generation](Built built) {
            m_busy = false;
            if (generation != m_generation || !built.run)
                return;
            m_run = std::move(built.run);
            applySnapshot(std::move(built.snapshot));
            schedule();
        },
        [this, generation](const QString& error) {
            if (generation != m_generation)
                return;
            m_busy = false;
            m_pendingSteps = 0;
            pause();
            for (PanelControls& c : m_panels)
                c.view->setPlaceholder(error);
            showError(error);
        });
}

void MixingLab::tick()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const double rate = m_speed->currentData().toDouble();
    if (rate > 0)
        m_credit = std::min(m_credit + rate * static_cast<double>(now - m_lastTick) / 1000.0, std::max(1.0, rate * 0.25));
    m_lastTick = now;
    schedule();
}

void MixingLab::schedule()
{
    if (m_busy || m_rebuildPending || !m_run)
        return;
    int steps = 0;
    bool fromPending = false;
    const double rate = m_speed->currentData().toDouble();
    if (m_pendingSteps > 0) {
        steps = m_pendingSteps;
        m_pendingSteps = 0;
        fromPending = true;
    } else if (m_running) {
        steps = rate > 0 ? static_cast<int>(std::floor(m_credit)) : 1000000000;
        m_credit -= rate > 0 ? steps : 0;
    }
    if (steps == 0 && m_pendingStepChanges.empty() && m_pendingLadderChanges.empty() && !m_wantFreshReport)
        return;
    const bool fresh = m_wantFreshReport || fromPending;
    m_wantFreshReport = false;
    m_busy = true;
    std::shared_ptr<MixingLabRun> run = m_run;
    const std::map<int, double> changes = std::move(m_pendingStepChanges);
    m_pendingStepChanges.clear();
    const std::map<int, double> ladders = std::move(m_pendingLadderChanges);
    m_pendingLadderChanges.clear();
    struct Advanced {
        MixingLabSnapshotPtr snapshot;
        int done = 0;
    };
    const std::uint64_t generation = m_generation;
    m_job.start(
        [run, steps, changes, ladders, fresh](const JobControl& job) {
            for (const auto& [panel, value] : changes)
                if (panel < static_cast<int>(run->config().panels.size()))
                    run->setStep(panel, value);
            for (const auto& [panel, value] : ladders)
                if (panel < static_cast<int>(run->config().panels.size()) && run->config().panels[static_cast<std::size_t>(panel)].sampler == "pt")
                    run->setLadder(panel, value);
            Advanced out;
            out.done = run->advance(steps, job.cancelFlag(), kBatchSeconds);
            // a Step request's last batch gets a fresh report, so what it shows is of its last step
            out.snapshot = run->snapshot(fresh && out.done == steps ? 0.0 : kReportSeconds);
            return out;
        },
        [this, generation, steps, fromPending](Advanced result) {
            m_busy = false;
            if (generation != m_generation)
                return;
            if (fromPending && result.done < steps)
                m_pendingSteps += steps - result.done; // the rest in the next batch
            applySnapshot(std::move(result.snapshot));
            schedule();
        },
        [this, generation](const QString& error) {
            m_busy = false;
            if (generation != m_generation)
                return;
            m_pendingSteps = 0;
            pause();
            showError(error);
        });
}

void MixingLab::applySnapshot(MixingLabSnapshotPtr snapshot)
{
    m_snapshot = std::move(snapshot);
    for (int i = 0; i < static_cast<int>(m_snapshot->panels.size()) && i < kMaxPanels; ++i)
        m_panels[static_cast<std::size_t>(i)].view->setSnapshot(m_snapshot, i);
    // The metrics (plots, table) follow the reports, a few times a second while running.
    if (m_snapshot->reportSerial != m_metricsSerial || m_snapshot->generation != m_metricsGeneration) {
        m_metricsSerial = m_snapshot->reportSerial;
        m_metricsGeneration = m_snapshot->generation;
        m_metrics->setSnapshot(m_snapshot);
    }
    const std::int64_t steps = m_snapshot->panels.empty() ? 0 : m_snapshot->panels.front().steps;
    // The measured rate over the last second or so (the samplers' cost bounds the speed setting).
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (steps < m_rateSteps || m_rateSteps < 0) {
        m_rateSteps = steps;
        m_rateTime = now;
        m_measuredRate = 0;
    } else if (now - m_rateTime >= 1000) {
        m_measuredRate = static_cast<double>(steps - m_rateSteps) * 1000.0 / static_cast<double>(now - m_rateTime);
        m_rateSteps = steps;
        m_rateTime = now;
    }
    m_status->setText(tr("%1 chains per panel, seed %2, step %3%4")
                          .arg(m_snapshot->chains)
                          .arg(m_snapshot->seed)
                          .arg(steps)
                          .arg(m_running ? tr(", running at %1 steps/s").arg(m_measuredRate, 0, 'f', 0) : QString()));
    emit snapshotChanged();
}

void MixingLab::showError(const QString& message)
{
    m_lastError = message;
    m_status->setText(message);
    emit errorShown(message);
    auto* box = new QMessageBox(QMessageBox::Warning, tr("Mixing lab"), message, QMessageBox::Ok, this);
    box->setObjectName(QStringLiteral("labErrorBox"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void MixingLab::exportPanel(int index, const QString& format)
{
    if (index >= panelCount())
        return showError(tr("Panel %1 is not shown (Panels: %2)").arg(index + 1).arg(panelCount()));
    const QString filter = format == QLatin1String("png") ? tr("PNG images (*.png)") : tr("SVG drawings (*.svg)");
    QString path = QFileDialog::getSaveFileName(this, tr("Export panel %1").arg(index + 1),
                                                QStringLiteral("mixing-panel-%1.%2").arg(index + 1).arg(format), filter);
    if (path.isEmpty())
        return;
    if (!path.endsWith(QLatin1Char('.') + format, Qt::CaseInsensitive))
        path += QLatin1Char('.') + format;
    try {
        if (format == QLatin1String("png"))
            panel(index)->exportPng(path);
        else
            panel(index)->exportSvg(path);
        m_status->setText(tr("Wrote %1").arg(path));
    } catch (const std::exception& e) {
        showError(QString::fromStdString(e.what()));
    }
}

void MixingLab::exportMetricsCsv(const QString& path) const
{
    if (!m_snapshot)
        fail(path.toStdString(), "", "no metrics yet: the chains are still being built");
    MixingLabMetrics::writeAtomically(path, MixingLabMetrics::tableCsv(*m_snapshot));
}

void MixingLab::exportSeriesCsv(const QString& path) const
{
    if (!m_snapshot)
        fail(path.toStdString(), "", "no metrics yet: the chains are still being built");
    MixingLabMetrics::writeAtomically(path, MixingLabMetrics::seriesCsv(*m_snapshot));
}

void MixingLab::exportMetricsJson(const QString& path) const
{
    if (!m_snapshot)
        fail(path.toStdString(), "", "no metrics yet: the chains are still being built");
    MixingLabMetrics::writeAtomically(path, MixingLabMetrics::toJson(*m_snapshot).dump(1) + "\n");
}

void MixingLab::exportMetrics(const QString& what)
{
    const bool json = what == QLatin1String("json");
    const QString suggested = json ? QStringLiteral("mixing-metrics.json")
                                   : what == QLatin1String("series") ? QStringLiteral("mixing-series.csv")
                                                                     : QStringLiteral("mixing-metrics.csv");
    QString path = QFileDialog::getSaveFileName(this, tr("Export metrics"), suggested,
                                                json ? tr("JSON (*.json)") : tr("CSV (*.csv)"));
    if (path.isEmpty())
        return;
    const QString suffix = json ? QStringLiteral(".json") : QStringLiteral(".csv");
    if (!path.endsWith(suffix, Qt::CaseInsensitive))
        path += suffix;
    try {
        if (json)
            exportMetricsJson(path);
        else if (what == QLatin1String("series"))
            exportSeriesCsv(path);
        else
            exportMetricsCsv(path);
        m_status->setText(tr("Wrote %1").arg(path));
    } catch (const std::exception& e) {
        showError(QString::fromStdString(e.what()));
    }
}

void MixingLab::closeEvent(QCloseEvent* event)
{
    pause();
    m_job.cancel();
    event->accept();
}

} // namespace gsn
