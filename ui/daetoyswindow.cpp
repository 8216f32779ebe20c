#include "daetoyswindow.h"

#include "error.h"
#include "mixinglabmetrics.h"
#include "plotaxes.h"

#include <QCloseEvent>
#include <QComboBox>
#include <QDateTime>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFormLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPainter>
#include <QPushButton>
#include <QSaveFile>
#include <QSpinBox>
#include <QStatusBar>
#include <QSvgGenerator>
#include <QTabWidget>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

namespace gsn {

namespace {

constexpr double kBatchSeconds = 0.08; // a job's stepping before it reports
constexpr int kTickMs = 33;
const QColor kTruthColor(40, 40, 40);
const QColor kEmpiricalColor(170, 170, 170);
const QColor kChainColor(31, 119, 180);
const QColor kStationaryColor(214, 39, 40);
const QColor kDataColor(60, 60, 60); // the continuous toy's training points
// The scatter plots' coordinate pairs (0-based): the circle of the first harmonic, and Lissajous figures.
const int kPairs[4][2] = {{0, 1}, {0, 2}, {2, 5}, {8, 9}};

std::vector<QPointF> seriesPoints(const std::vector<std::pair<std::int64_t, double>>& series)
{
    std::vector<QPointF> out;
    for (const auto& [step, value] : series)
        out.emplace_back(static_cast<double>(step), value);
    return out;
}

std::vector<QPointF> constantLine(double value, std::int64_t steps)
{
    return {QPointF(0, value), QPointF(static_cast<double>(std::max<std::int64_t>(steps, 1)), value)};
}

template <class Run>
int advanceFor(Run& run, int steps, const JobControl& job)
{
    // Steps in small slices until `steps` are done, the batch time is up or the job is cancelled.
    const auto t0 = std::chrono::steady_clock::now();
    int done = 0;
    while (done < steps && !job.cancelled()) {
        const int slice = std::min(steps - done, 10);
        run.advance(slice);
        done += slice;
        if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > kBatchSeconds)
            break;
    }
    return done;
}

std::shared_ptr<const DiscreteToyView> makeDiscreteView(const DiscreteToyRun& run)
{
    auto v = std::make_shared<DiscreteToyView>();
    v->steps = run.steps();
    v->truth = run.truth();
    v->empirical = run.empirical();
    v->stationary = run.stationary();
    v->chains = run.chainHistogram();
    v->tvChain = run.tvChain();
    v->tvEmpirical = run.tvEmpirical();
    v->tvStationary = run.tvStationary();
    v->series = run.series();
    return v;
}

std::shared_ptr<const ContinuousToyView> makeContinuousView(const ContinuousToyRun& run, std::shared_ptr<const Matrix> data)
{
    auto v = std::make_shared<ContinuousToyView>();
    v->steps = run.steps();
    v->data = std::move(data);
    v->states = run.states();
    v->distance = run.distance();
    v->floor = run.noiseFloor();
    v->series = run.series();
    return v;
}

QString figure(double v, int decimals = 4)
{
    return std::isfinite(v) ? QString::number(v, 'f', decimals) : QStringLiteral("-");
}

// A tab's left column: what it shows in a sentence, its settings, and the figures' label (rich text).
QWidget* sidePanel(const QString& help, QFormLayout* form, QLabel* figures)
{
    auto* text = new QLabel(help);
    text->setWordWrap(true);
    figures->setWordWrap(true);
    figures->setTextFormat(Qt::RichText);
    auto* side = new QWidget;
    auto* layout = new QVBoxLayout(side);
    layout->addWidget(text);
    layout->addLayout(form);
    layout->addWidget(figures);
    layout->addStretch(1);
    side->setMaximumWidth(300);
    return side;
}

} // namespace

ToyHistogramPlot::ToyHistogramPlot(QWidget* parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("toyHistogram"));
    setMinimumSize(320, 200);
}

void ToyHistogramPlot::setView(std::shared_ptr<const DiscreteToyView> view)
{
    m_view = std::move(view);
    update();
}

void ToyHistogramPlot::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    p.fillRect(rect(), palette().color(QPalette::Base));
    const QFontMetrics fm = p.fontMetrics();
    const PlotMargins m = plotMargins(fm, QStringLiteral("0.00"), true);
    const QRectF area(m.left, m.top, std::max(10.0, width() - m.left - m.right), std::max(10.0, height() - m.top - m.bottom));
    double top = 0.05;
    const int k = m_view ? static_cast<int>(m_view->truth.size()) : 10;
    if (m_view)
        for (const Eigen::VectorXd* v : {&m_view->truth, &m_view->empirical, &m_view->chains, &m_view->stationary})
            if (v->size() > 0)
                top = std::max(top, v->maxCoeff());
    top *= 1.12;
    std::vector<double> xticks;
    for (int i = 0; i < k; ++i)
        xticks.push_back(i);
    drawAxes(p, area, {-0.6, k - 0.4, tr("value of X"), xticks}, {0, top, tr("probability")}, palette());
    const auto sx = [&](double x) { return area.left() + (x + 0.6) / (k + 0.2) * area.width(); };
    const auto sy = [&](double y) { return area.bottom() - y / top * area.height(); };
    const double group = area.width() / (k + 0.2) * 0.8, bar = group / 3;
    if (m_view) {
        const Eigen::VectorXd* bars[3] = {&m_view->truth, &m_view->empirical, &m_view->chains};
        const QColor colors[3] = {kTruthColor, kEmpiricalColor, kChainColor};
        for (int i = 0; i < k; ++i) {
            for (int b = 0; b < 3; ++b) {
                if (bars[b]->size() != k)
                    continue;
                const double x0 = sx(i) - group / 2 + b * bar;
                p.fillRect(QRectF(QPointF(x0, sy((*bars[b])(i))), QPointF(x0 + bar - 1, sy(0))), colors[b]);
            }
            if (m_view->stationary.size() == k) {
                p.setPen(QPen(kStationaryColor, 2));
                p.drawLine(QPointF(sx(i) - group / 2 - 2, sy(m_view->stationary(i))), QPointF(sx(i) + group / 2 + 2, sy(m_view->stationary(i))));
            }
        }
    }
    // Legend along the top.
    double x = area.left();
    const double y = area.top() - fm.height() - 2;
    const std::pair<QColor, QString> items[4] = {{kTruthColor, tr("true p")},
                                                 {kEmpiricalColor, tr("training set")},
                                                 {kChainColor, tr("chains")},
                                                 {kStationaryColor, tr("the chain's stationary \u03c0")}};
    for (const auto& [color, text] : items) {
        p.fillRect(QRectF(x, y + fm.height() / 2.0 - 4, 12, 8), color);
        p.setPen(palette().color(QPalette::Text));
        p.drawText(QPointF(x + 16, y + fm.ascent()), text);
        x += 16 + fm.horizontalAdvance(text) + 14;
    }
}

ToyScatterPlot::ToyScatterPlot(int i, int j, QWidget* parent) : QWidget(parent), m_i(i), m_j(j)
{
    setObjectName(QStringLiteral("toyScatter%1_%2").arg(i + 1).arg(j + 1));
    setMinimumSize(180, 180);
}

void ToyScatterPlot::setView(std::shared_ptr<const ContinuousToyView> view)
{
    m_view = std::move(view);
    update();
}

void ToyScatterPlot::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.fillRect(rect(), palette().color(QPalette::Base));
    const QFontMetrics fm = p.fontMetrics();
    const PlotMargins m = plotMargins(fm, QStringLiteral("-1.5"), false);
    const double side = std::max(10.0, std::min(width() - m.left - m.right, height() - m.top - m.bottom));
    const QRectF area(m.left, m.top, side, side);
    constexpr double lim = 1.6;
    drawAxes(p, area, {-lim, lim, QStringLiteral("x%1").arg(m_i + 1)}, {-lim, lim, QStringLiteral("x%1").arg(m_j + 1)}, palette());
    if (!m_view)
        return;
    const auto sx = [&](double x) { return area.left() + (x + lim) / (2 * lim) * area.width(); };
    const auto sy = [&](double y) { return area.bottom() - (y + lim) / (2 * lim) * area.height(); };
    p.setClipRect(area);
    p.setRenderHint(QPainter::Antialiasing, false);
    p.setPen(Qt::NoPen);
    // The chains first, the training data on top in small dark dots: both stay visible where they overlap.
    QColor chain = kChainColor;
    chain.setAlpha(110);
    p.setBrush(chain);
    for (Eigen::Index r = 0; r < m_view->states.rows(); ++r)
        p.drawEllipse(QPointF(sx(m_view->states(r, m_i)), sy(m_view->states(r, m_j))), 1.8, 1.8);
    if (m_view->data) {
        p.setBrush(kDataColor);
        for (Eigen::Index r = 0; r < m_view->data->rows(); ++r)
            p.drawRect(QRectF(sx((*m_view->data)(r, m_i)) - 0.75, sy((*m_view->data)(r, m_j)) - 0.75, 1.5, 1.5));
    }
}

DaeToysWindow::DaeToysWindow(QWidget* parent) : QMainWindow(parent)
{
    setObjectName(QStringLiteral("DaeToysWindow"));
    setWindowTitle(tr("DAE paper, Figure 3: non-parametric DAE chains"));
    m_discrete.job = std::make_unique<BackgroundJob>(this);
    m_continuous.job = std::make_unique<BackgroundJob>(this);

    QToolBar* bar = addToolBar(tr("Controller"));
    bar->setObjectName(QStringLiteral("toysController"));
    bar->setMovable(false);
    m_runButton = new QPushButton(tr("Run"));
    m_runButton->setObjectName(QStringLiteral("toysRun"));
    m_pauseButton = new QPushButton(tr("Pause"));
    m_pauseButton->setObjectName(QStringLiteral("toysPause"));
    m_stepButton = new QPushButton(tr("Step 10"));
    m_stepButton->setObjectName(QStringLiteral("toysStep"));
    m_resetButton = new QPushButton(tr("Reset"));
    m_resetButton->setObjectName(QStringLiteral("toysReset"));
    m_resetButton->setToolTip(tr("A new run of this tab: new training draws from the seed, the chains at their start"));
    for (QPushButton* b : {m_runButton, m_pauseButton, m_stepButton, m_resetButton})
        bar->addWidget(b);
    m_speed = new QComboBox;
    m_speed->setObjectName(QStringLiteral("toysSpeed"));
    for (const auto& [label, rate] : std::vector<std::pair<QString, double>>{
             {tr("5 steps/s"), 5}, {tr("20 steps/s"), 20}, {tr("100 steps/s"), 100}, {tr("as fast as possible"), 0}})
        m_speed->addItem(label, rate);
    m_speed->setCurrentIndex(1);
    bar->addWidget(m_speed);
    bar->addWidget(new QLabel(tr("  Seed ")));
    m_seed = new QSpinBox;
    m_seed->setObjectName(QStringLiteral("toysSeed"));
    m_seed->setRange(0, 1000000000);
    m_seed->setValue(1);
    m_seed->setToolTip(tr("The training draws, the corruption of the training pairs and the chains' noise"));
    bar->addWidget(m_seed);

    m_tabs = new QTabWidget;
    m_tabs->setObjectName(QStringLiteral("toysTabs"));
    m_tabs->addTab(buildDiscreteTab(), tr("Discrete toy (10 values)"));
    m_tabs->addTab(buildContinuousTab(), tr("Continuous toy (10-D)"));
    setCentralWidget(m_tabs);
    m_status = new QLabel;
    m_status->setObjectName(QStringLiteral("toysStatus"));
    statusBar()->addWidget(m_status, 1);

    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* exportAction = file->addAction(tr("&Export figure (PNG or SVG)..."), this, [this] {
        QString path = QFileDialog::getSaveFileName(this, tr("Export the figure"),
                                                    currentTab() == Discrete ? QStringLiteral("figure3-discrete.png")
                                                                             : QStringLiteral("figure3-continuous.png"),
                                                    tr("PNG images (*.png);;SVG drawings (*.svg)"));
        if (path.isEmpty())
            return;
        try {
            exportFigure(path);
            m_status->setText(tr("Wrote %1").arg(path));
        } catch (const std::exception& e) {
            showError(QString::fromStdString(e.what()));
        }
    });
    exportAction->setObjectName(QStringLiteral("toysExport"));
    exportAction->setShortcut(QKeySequence(tr("Ctrl+E")));
    file->addSeparator();
    file->addAction(tr("&Close"), this, &QWidget::close)->setShortcut(QKeySequence::Close);

    connect(m_runButton, &QPushButton::clicked, this, &DaeToysWindow::run);
    connect(m_pauseButton, &QPushButton::clicked, this, &DaeToysWindow::pause);
    connect(m_stepButton, &QPushButton::clicked, this, [this] { step(10); });
    connect(m_resetButton, &QPushButton::clicked, this, &DaeToysWindow::reset);
    connect(m_seed, &QSpinBox::valueChanged, this, [this] {
        m_discrete.rebuild = m_continuous.rebuild = true;
        schedule(Discrete);
        schedule(Continuous);
    });
    connect(m_tabs, &QTabWidget::currentChanged, this, [this] { syncButtons(); });
    for (QAbstractSpinBox* box : findChildren<QAbstractSpinBox*>())
        box->setKeyboardTracking(false);

    m_timer = new QTimer(this);
    m_timer->setInterval(kTickMs);
    connect(m_timer, &QTimer::timeout, this, &DaeToysWindow::tick);
    m_timer->start();
    m_lastTick = QDateTime::currentMSecsSinceEpoch();
    resize(1280, 720);
    syncButtons();
    schedule(Discrete);
    schedule(Continuous);
}

DaeToysWindow::~DaeToysWindow() = default;

QWidget* DaeToysWindow::buildDiscreteTab()
{
    auto* tab = new QWidget;
    auto* layout = new QHBoxLayout(tab);
    auto* form = new QFormLayout;
    m_dSamples = new QSpinBox;
    m_dSamples->setObjectName(QStringLiteral("toysDiscreteSamples"));
    m_dSamples->setRange(10, 1000000);
    m_dSamples->setValue(DiscreteToyOptions{}.samples);
    m_dSamples->setToolTip(tr("Training draws of p: the counting estimator of P(X | X\u0303) sees these pairs (SPEC: 5000)"));
    form->addRow(tr("Training pairs"), m_dSamples);
    m_dKeep = new QDoubleSpinBox;
    m_dKeep->setObjectName(QStringLiteral("toysDiscreteKeep"));
    m_dKeep->setRange(0, 1);
    m_dKeep->setSingleStep(0.05);
    m_dKeep->setValue(DiscreteToyOptions{}.keep);
    m_dKeep->setToolTip(tr("The corruption C(X\u0303 | X): X kept with this probability, else moved to a neighbour on the ring of values"));
    form->addRow(tr("Corruption: keep"), m_dKeep);
    m_dWidth = new QSpinBox;
    m_dWidth->setObjectName(QStringLiteral("toysDiscreteWidth"));
    m_dWidth->setRange(1, 4);
    m_dWidth->setValue(DiscreteToyOptions{}.width);
    m_dWidth->setToolTip(tr("How far a corrupted value moves at most (uniform among 1..width either way)"));
    form->addRow(tr("Corruption: width"), m_dWidth);
    m_dChains = new QSpinBox;
    m_dChains->setObjectName(QStringLiteral("toysDiscreteChains"));
    m_dChains->setRange(1, 100000);
    m_dChains->setValue(DiscreteToyOptions{}.chains);
    form->addRow(tr("Chains"), m_dChains);
    m_dFigures = new QLabel;
    m_dFigures->setObjectName(QStringLiteral("toysDiscreteFigures"));
    layout->addWidget(sidePanel(tr("The DAE paper's Figure 3 (top): X takes 10 values; P(X | X\u0303) is estimated by counting "
                                   "the training pairs, and the chain X\u0303 ~ C(\u00b7 | X), X ~ P(\u00b7 | X\u0303) is run. Its "
                                   "histogram goes to its stationary \u03c0, which estimates p: the consistency the paper proves."),
                                form, m_dFigures));

    m_dFigure = new QWidget;
    m_dFigure->setObjectName(QStringLiteral("toysDiscreteFigure"));
    auto* plots = new QVBoxLayout(m_dFigure);
    m_histogram = new ToyHistogramPlot;
    plots->addWidget(m_histogram, 3);
    m_tvPlot = new MixingLabMetricPlot(tr("TV to the true p"), false, 0.0, std::numeric_limits<double>::quiet_NaN());
    m_tvPlot->setObjectName(QStringLiteral("toysTvPlot"));
    plots->addWidget(m_tvPlot, 2);
    layout->addWidget(m_dFigure, 1);

    for (QSpinBox* s : {m_dSamples, m_dWidth, m_dChains})
        connect(s, &QSpinBox::valueChanged, this, [this] {
            m_discrete.rebuild = true;
            schedule(Discrete);
        });
    connect(m_dKeep, &QDoubleSpinBox::valueChanged, this, [this] {
        m_discrete.rebuild = true;
        schedule(Discrete);
    });
    return tab;
}

QWidget* DaeToysWindow::buildContinuousTab()
{
    auto* tab = new QWidget;
    auto* layout = new QHBoxLayout(tab);
    const ContinuousToyOptions defaults;
    auto* form = new QFormLayout;
    m_cSamples = new QSpinBox;
    m_cSamples->setObjectName(QStringLiteral("toysContinuousSamples"));
    m_cSamples->setRange(10, 100000);
    m_cSamples->setValue(defaults.samples);
    form->addRow(tr("Training pairs"), m_cSamples);
    m_cCorruption = new QDoubleSpinBox;
    m_cCorruption->setObjectName(QStringLiteral("toysContinuousCorruption"));
    m_cCorruption->setRange(0.01, 3);
    m_cCorruption->setSingleStep(0.05);
    m_cCorruption->setValue(defaults.corruption);
    m_cCorruption->setToolTip(tr("\u03c3 of the Gaussian corruption C(X\u0303 | X) = N(X, \u03c3\u00b2 I): more corruption, faster mixing "
                                 "along the curve"));
    form->addRow(tr("Corruption \u03c3"), m_cCorruption);
    m_cBandwidth = new QDoubleSpinBox;
    m_cBandwidth->setObjectName(QStringLiteral("toysContinuousBandwidth"));
    m_cBandwidth->setRange(0.01, 3);
    m_cBandwidth->setSingleStep(0.05);
    m_cBandwidth->setValue(defaults.bandwidth);
    m_cBandwidth->setToolTip(tr("h: the Parzen kernel's width on X\u0303 (which training pairs a corrupted point resembles)"));
    form->addRow(tr("Input kernel h"), m_cBandwidth);
    m_cOutput = new QDoubleSpinBox;
    m_cOutput->setObjectName(QStringLiteral("toysContinuousOutput"));
    m_cOutput->setRange(0, 1);
    m_cOutput->setDecimals(3);
    m_cOutput->setSingleStep(0.01);
    m_cOutput->setValue(defaults.outputSigma);
    m_cOutput->setToolTip(tr("s: the kernel on X around the chosen pair's clean point (0 = the training point itself)"));
    form->addRow(tr("Output kernel s"), m_cOutput);
    m_cChains = new QSpinBox;
    m_cChains->setObjectName(QStringLiteral("toysContinuousChains"));
    m_cChains->setRange(10, 20000);
    m_cChains->setValue(defaults.chains);
    form->addRow(tr("Chains"), m_cChains);
    m_cStart = new QComboBox;
    m_cStart->setObjectName(QStringLiteral("toysContinuousStart"));
    m_cStart->addItem(tr("all at one training point"), true);
    m_cStart->addItem(tr("at the training points"), false);
    form->addRow(tr("Start"), m_cStart);
    m_cFigures = new QLabel;
    m_cFigures->setObjectName(QStringLiteral("toysContinuousFigures"));
    layout->addWidget(sidePanel(tr("The DAE paper's Figure 3 (bottom): X in R\u00b9\u2070 near a closed curve; P(X | X\u0303) is a "
                                   "Parzen conditional over the training pairs. Dark dots: training data; blue: the chains' "
                                   "current states, in four pairs of coordinates."),
                                form, m_cFigures));

    m_cFigure = new QWidget;
    m_cFigure->setObjectName(QStringLiteral("toysContinuousFigure"));
    auto* plots = new QVBoxLayout(m_cFigure);
    auto* grid = new QHBoxLayout;
    for (const auto& pair : kPairs) {
        auto* scatter = new ToyScatterPlot(pair[0], pair[1]);
        m_scatters.push_back(scatter);
        grid->addWidget(scatter, 1);
    }
    plots->addLayout(grid, 3);
    m_w1Plot = new MixingLabMetricPlot(tr("sliced W1 to exact draws"), false, 0.0, std::numeric_limits<double>::quiet_NaN());
    m_w1Plot->setObjectName(QStringLiteral("toysW1Plot"));
    plots->addWidget(m_w1Plot, 2);
    layout->addWidget(m_cFigure, 1);

    for (QSpinBox* s : {m_cSamples, m_cChains})
        connect(s, &QSpinBox::valueChanged, this, [this] {
            m_continuous.rebuild = true;
            schedule(Continuous);
        });
    for (QDoubleSpinBox* s : {m_cCorruption, m_cBandwidth, m_cOutput})
        connect(s, &QDoubleSpinBox::valueChanged, this, [this] {
            m_continuous.rebuild = true;
            schedule(Continuous);
        });
    connect(m_cStart, &QComboBox::currentIndexChanged, this, [this] {
        m_continuous.rebuild = true;
        schedule(Continuous);
    });
    return tab;
}

void DaeToysWindow::setCurrentTab(Tab tab)
{
    m_tabs->setCurrentIndex(tab);
}

DaeToysWindow::Tab DaeToysWindow::currentTab() const
{
    return m_tabs->currentIndex() == 1 ? Continuous : Discrete;
}

bool DaeToysWindow::isRunning() const
{
    return currentTab() == Discrete ? m_discrete.running : m_continuous.running;
}

bool DaeToysWindow::isBusy() const
{
    const auto busy = [](const auto& s) { return s.busy || s.rebuild || s.pending > 0; };
    return currentTab() == Discrete ? busy(m_discrete) : busy(m_continuous);
}

void DaeToysWindow::run()
{
    auto start = [this](auto& s) {
        s.running = true;
        s.credit = 0;
    };
    currentTab() == Discrete ? start(m_discrete) : start(m_continuous);
    syncButtons();
    schedule(currentTab());
}

void DaeToysWindow::pause()
{
    (currentTab() == Discrete ? m_discrete.running : m_continuous.running) = false;
    syncButtons();
}

void DaeToysWindow::step(int steps)
{
    if (steps <= 0)
        return;
    (currentTab() == Discrete ? m_discrete.pending : m_continuous.pending) += steps;
    schedule(currentTab());
}

void DaeToysWindow::reset()
{
    auto again = [](auto& s) {
        s.rebuild = true;
        s.pending = 0;
    };
    currentTab() == Discrete ? again(m_discrete) : again(m_continuous);
    schedule(currentTab());
}

void DaeToysWindow::syncButtons()
{
    const bool running = isRunning();
    m_runButton->setEnabled(!running);
    m_pauseButton->setEnabled(running);
}

void DaeToysWindow::tick()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const double rate = m_speed->currentData().toDouble();
    const double dt = static_cast<double>(now - m_lastTick) / 1000.0;
    m_lastTick = now;
    auto add = [&](auto& s) {
        if (s.running && rate > 0)
            s.credit = std::min(s.credit + rate * dt, std::max(1.0, rate * 0.25));
    };
    add(m_discrete);
    add(m_continuous);
    schedule(Discrete);
    schedule(Continuous);
}

void DaeToysWindow::schedule(Tab tab)
{
    // One generic body for both tabs: a rebuild when asked, else the queued or the running steps.
    auto go = [this, tab](auto& s, auto build, auto view) {
        if (s.busy)
            return;
        if (s.rebuild) {
            s.rebuild = false;
            s.busy = true;
            s.pending = 0;
            m_status->setText(tr("Fitting the estimator..."));
            s.job->start([build](const JobControl&) { return build(); },
                         [this, tab, &s](auto built) {
                             s.busy = false;
                             s.run = std::move(built.first);
                             s.view = std::move(built.second);
                             showView(tab);
                             schedule(tab);
                         },
                         [this, &s](const QString& error) {
                             s.busy = false;
                             s.running = false;
                             syncButtons();
                             showError(error);
                         });
            return;
        }
        if (!s.run)
            return;
        const double rate = m_speed->currentData().toDouble();
        int steps = 0;
        const bool fromPending = s.pending > 0;
        if (fromPending) {
            steps = s.pending;
            s.pending = 0;
        } else if (s.running) {
            steps = rate > 0 ? static_cast<int>(std::floor(s.credit)) : 1000000;
            if (rate > 0)
                s.credit -= steps;
        }
        if (steps <= 0)
            return;
        s.busy = true;
        auto run = s.run;
        s.job->start(
            [run, steps, view](const JobControl& job) {
                const int done = advanceFor(*run, steps, job);
                return std::make_pair(done, view(*run));
            },
            [this, tab, &s, steps, fromPending](auto result) {
                s.busy = false;
                if (fromPending && result.first < steps)
                    s.pending += steps - result.first;
                s.view = std::move(result.second);
                showView(tab);
                schedule(tab);
            },
            [this, &s](const QString& error) {
                s.busy = false;
                s.running = false;
                syncButtons();
                showError(error);
            });
    };
    const std::uint64_t seed = static_cast<std::uint64_t>(m_seed->value());
    if (tab == Discrete) {
        DiscreteToyOptions o;
        o.samples = m_dSamples->value();
        o.keep = m_dKeep->value();
        o.width = m_dWidth->value();
        o.chains = m_dChains->value();
        o.seed = seed;
        go(
            m_discrete,
            [o] {
                auto run = std::make_shared<DiscreteToyRun>(o);
                std::shared_ptr<const DiscreteToyView> v = makeDiscreteView(*run);
                return std::make_pair(std::move(run), std::move(v));
            },
            [](const DiscreteToyRun& r) { return makeDiscreteView(r); });
    } else {
        ContinuousToyOptions o;
        o.samples = m_cSamples->value();
        o.corruption = m_cCorruption->value();
        o.bandwidth = m_cBandwidth->value();
        o.outputSigma = m_cOutput->value();
        o.chains = m_cChains->value();
        o.startAtOnePoint = m_cStart->currentData().toBool();
        o.seed = seed;
        // The training data is copied once per run (by the build) and shared by every view of that run.
        go(
            m_continuous,
            [o] {
                auto run = std::make_shared<ContinuousToyRun>(o);
                std::shared_ptr<const ContinuousToyView> v =
                    makeContinuousView(*run, std::make_shared<const Matrix>(run->data()));
                return std::make_pair(std::move(run), std::move(v));
            },
            [data = m_continuous.view ? m_continuous.view->data : nullptr](const ContinuousToyRun& r) {
                return makeContinuousView(r, data);
            });
    }
}

void DaeToysWindow::showView(Tab tab)
{
    if (tab == Discrete && m_discrete.view) {
        const DiscreteToyView& v = *m_discrete.view;
        m_histogram->setView(m_discrete.view);
        m_tvPlot->setSeries({{tr("chains"), kChainColor, seriesPoints(v.series)},
                             {tr("training set"), kEmpiricalColor, constantLine(v.tvEmpirical, v.steps)},
                             {tr("stationary \u03c0"), kStationaryColor, constantLine(v.tvStationary, v.steps)}});
        m_dFigures->setText(tr("Step %1<br>TV(chains, p) = <b>%2</b><br>TV(training set, p) = %3<br>TV(\u03c0, p) = %4")
                                .arg(v.steps)
                                .arg(figure(v.tvChain))
                                .arg(figure(v.tvEmpirical))
                                .arg(figure(v.tvStationary)));
    }
    if (tab == Continuous && m_continuous.view) {
        const std::shared_ptr<const ContinuousToyView>& v = m_continuous.view;
        for (ToyScatterPlot* s : m_scatters)
            s->setView(v);
        m_w1Plot->setSeries({{tr("chains"), kChainColor, seriesPoints(v->series)},
                             {tr("two exact samples (noise floor)"), kEmpiricalColor, constantLine(v->floor, v->steps)}});
        m_cFigures->setText(tr("Step %1<br>sliced W1(chains, exact draws) = <b>%2</b><br>noise floor (two exact samples of %3) = %4")
                                .arg(v->steps)
                                .arg(figure(v->distance))
                                .arg(v->states.rows())
                                .arg(figure(v->floor)));
    }
    if (tab == currentTab()) {
        const std::int64_t steps = tab == Discrete ? (m_discrete.view ? m_discrete.view->steps : 0)
                                                   : (m_continuous.view ? m_continuous.view->steps : 0);
        m_status->setText(tr("Step %1").arg(steps));
    }
    emit viewChanged();
}

void DaeToysWindow::exportFigure(const QString& path) const
{
    QWidget* figureWidget = currentTab() == Discrete ? m_dFigure : m_cFigure;
    if (path.endsWith(QLatin1String(".svg"), Qt::CaseInsensitive)) {
        QSaveFile file(path);
        if (!file.open(QIODevice::WriteOnly))
            fail(path.toStdString(), "", "cannot write the figure as SVG: " + file.errorString().toStdString());
        QSvgGenerator svg;
        svg.setOutputDevice(&file);
        svg.setSize(figureWidget->size());
        svg.setViewBox(QRect(QPoint(0, 0), figureWidget->size()));
        svg.setTitle(windowTitle());
        {
            QPainter p;
            if (!p.begin(&svg))
                fail(path.toStdString(), "", "cannot start the SVG painter");
            figureWidget->render(&p);
            p.end();
        }
        if (!file.commit())
            fail(path.toStdString(), "", "cannot write the figure as SVG: " + file.errorString().toStdString());
        return;
    }
    if (!path.endsWith(QLatin1String(".png"), Qt::CaseInsensitive))
        fail(path.toStdString(), "", "expected a .png or .svg file name");
    const QImage image = figureWidget->grab().toImage();
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || !image.save(&file, "PNG") || !file.commit())
        fail(path.toStdString(), "", "cannot write the figure as PNG: " + file.errorString().toStdString());
}

void DaeToysWindow::showError(const QString& message)
{
    m_lastError = message;
    m_status->setText(message);
}

void DaeToysWindow::closeEvent(QCloseEvent* event)
{
    m_timer->stop();
    m_discrete.job->cancel();
    m_continuous.job->cancel();
    m_discrete.running = m_continuous.running = false;
    QMainWindow::closeEvent(event);
}

} // namespace gsn
