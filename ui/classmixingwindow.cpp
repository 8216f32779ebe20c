#include "classmixingwindow.h"

#include "classcolours.h"
#include "classinterpolationview.h"
#include "classmixingpanel.h"
#include "error.h"

#include <QAbstractSpinBox>
#include <QCloseEvent>
#include <QComboBox>
#include <QDateTime>
#include <QFileDialog>
#include <QFileInfo>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPointer>
#include <QPushButton>
#include <QSaveFile>
#include <QScreen>
#include <QSettings>
#include <QSpinBox>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace gsn {

namespace {

constexpr double kBatchSeconds = 0.08; // a job's stepping before it reports (the panels' refresh rate)
constexpr int kTickMs = 33;

const std::vector<std::pair<QString, double>>& speeds()
{
    static const std::vector<std::pair<QString, double>> s = {
        {QStringLiteral("1 step/s"), 1},      {QStringLiteral("3 steps/s"), 3},     {QStringLiteral("10 steps/s"), 10},
        {QStringLiteral("30 steps/s"), 30},   {QStringLiteral("100 steps/s"), 100}, {QStringLiteral("300 steps/s"), 300},
        {QStringLiteral("as fast as possible"), 0}};
    return s;
}

void writeAtomically(const QString& path, const std::string& text)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(text.data(), static_cast<qint64>(text.size())) != static_cast<qint64>(text.size()) ||
        !file.commit())
        fail(path.toStdString(), "file", "expected a writable file (" + file.errorString().toStdString() + ")");
}

} // namespace

ClassMixingWindow::ClassMixingWindow(QWidget* parent) : QMainWindow(parent)
{
    setObjectName(QStringLiteral("ClassMixing"));
    setWindowTitle(tr("Class mixing"));
    buildUi();
    buildMenus();
    m_tickTimer = new QTimer(this);
    m_tickTimer->setInterval(kTickMs);
    connect(m_tickTimer, &QTimer::timeout, this, &ClassMixingWindow::tick);
    // Most of the screen, centred: five panels side by side want the width.
    const QScreen* screen = QGuiApplication::primaryScreen();
    const QRect available = screen ? screen->availableGeometry() : QRect(0, 0, 1366, 768);
    resize(std::min(available.width(), 1860), std::min(available.height(), 1020));
    move(available.center() - rect().center());
    scheduleRebuild();
}

ClassMixingWindow::~ClassMixingWindow() = default;

void ClassMixingWindow::buildUi()
{
    QToolBar* bar = addToolBar(tr("Controller"));
    bar->setObjectName(QStringLiteral("classController"));
    bar->setMovable(false);
    m_runButton = new QPushButton(tr("Run"));
    m_runButton->setObjectName(QStringLiteral("classRun"));
    m_pauseButton = new QPushButton(tr("Pause"));
    m_pauseButton->setObjectName(QStringLiteral("classPause"));
    m_stepButton = new QPushButton(tr("Step"));
    m_stepButton->setObjectName(QStringLiteral("classStep"));
    m_stepButton->setToolTip(tr("One step of every panel (.)"));
    m_resetButton = new QPushButton(tr("Reset"));
    m_resetButton->setObjectName(QStringLiteral("classReset"));
    m_resetButton->setToolTip(tr("Every panel back to the same start and seed (Ctrl+R)"));
    for (QPushButton* b : {m_runButton, m_pauseButton, m_stepButton, m_resetButton})
        bar->addWidget(b);
    m_speed = new QComboBox;
    m_speed->setObjectName(QStringLiteral("classSpeed"));
    for (const auto& [label, rate] : speeds())
        m_speed->addItem(label, rate);
    m_speed->setCurrentIndex(3);
    m_speed->setToolTip(tr("Steps per second of every panel while running; the status bar shows the rate reached "
                           "(the GSN-2 and the tempering RBM are the slow ones)"));
    bar->addWidget(m_speed);
    bar->addSeparator();
    bar->addWidget(new QLabel(tr(" Chains per panel ")));
    m_chains = new QSpinBox;
    m_chains->setObjectName(QStringLiteral("classChains"));
    m_chains->setRange(1, 100);
    m_chains->setValue(10);
    m_chains->setToolTip(tr("Chains of every model, each started at the same image in every panel"));
    bar->addWidget(m_chains);
    bar->addWidget(new QLabel(tr("  Seed ")));
    m_seed = new QSpinBox;
    m_seed->setObjectName(QStringLiteral("classSeed"));
    m_seed->setRange(0, 1000000000);
    m_seed->setValue(1);
    m_seed->setToolTip(tr("One seed for every panel (as gsn mixing --seed)"));
    bar->addWidget(m_seed);
    bar->addWidget(new QLabel(tr("  Start ")));
    m_start = new QComboBox;
    m_start->setObjectName(QStringLiteral("classStart"));
    m_start->addItem(tr("test digits from"), QStringLiteral("test"));
    m_start->addItem(tr("noise"), QStringLiteral("noise"));
    m_start->setToolTip(tr("Chain c starts at MNIST test digit N + c (as gsn mixing --init test:N), or at uniform noise; "
                           "the same in every panel"));
    bar->addWidget(m_start);
    m_testIndex = new QSpinBox;
    m_testIndex->setObjectName(QStringLiteral("classTestIndex"));
    m_testIndex->setRange(0, 9999);
    m_testIndex->setPrefix(QStringLiteral("N = "));
    m_testIndex->setToolTip(tr("The first test digit: chain c starts at test digit N + c"));
    bar->addWidget(m_testIndex);

    auto* central = new QWidget;
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(4, 2, 4, 2);
    layout->setSpacing(3);
    auto* watch = new QLabel(tr("All five panels start from the same digits with the same seed. In the timelines (one strip "
                                "per chain, newest step at the right) a chain that mixes between classes changes colour often, "
                                "a stuck one keeps its colour; dark cells are frames the classifier is unsure of (between digits). "
                                "Hover a cell or a digit for its class."));
    watch->setObjectName(QStringLiteral("classWatch"));
    watch->setWordWrap(true);
    layout->addWidget(watch);
    auto* row = new QHBoxLayout;
    row->setSpacing(4);
    for (int i = 0; i < static_cast<int>(classMixingModels().size()); ++i) {
        auto* panel = new ClassMixingPanel(i);
        m_panels.push_back(panel);
        row->addWidget(panel, 1);
        connect(panel, &ClassMixingPanel::openModelRequested, this, &ClassMixingWindow::openPanelModel);
        connect(panel, &ClassMixingPanel::embeddedModelRequested, this, [this](int index) { setPanelFile(index, QString()); });
        m_panelFiles << QString();
    }
    m_goodPanelFiles = m_panelFiles;
    layout->addLayout(row, 1);
    m_tabs = new QTabWidget;
    m_tabs->setObjectName(QStringLiteral("classTabs"));
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(central, tr("Chains"));
    m_interpolation = new ClassInterpolationView;
    m_tabs->addTab(m_interpolation, tr("Interpolation"));
    m_tabs->setTabToolTip(1, tr("Linear interpolation between two test digits in x, h1 and h2, decoded back to images"));
    setCentralWidget(m_tabs);
    // The controller steps the chains: it belongs to the Chains tab (the chains keep running behind the other).
    connect(m_tabs, &QTabWidget::currentChanged, bar, [this, bar](int index) { bar->setVisible(m_tabs->widget(index) != m_interpolation); });

    m_status = new QLabel;
    m_status->setObjectName(QStringLiteral("classStatus"));
    statusBar()->addWidget(m_status, 1);

    connect(m_chains, &QSpinBox::valueChanged, this, [this] { if (!m_updatingControls) scheduleRebuild(); });
    connect(m_seed, &QSpinBox::valueChanged, this, [this] { if (!m_updatingControls) scheduleRebuild(); });
    connect(m_testIndex, &QSpinBox::valueChanged, this, [this] { if (!m_updatingControls) scheduleRebuild(); });
    connect(m_start, &QComboBox::currentIndexChanged, this, [this] {
        m_testIndex->setEnabled(m_start->currentData().toString() == QLatin1String("test"));
        if (!m_updatingControls)
            scheduleRebuild();
    });
    for (QAbstractSpinBox* box : findChildren<QAbstractSpinBox*>())
        box->setKeyboardTracking(false); // a typed number builds new chains once, when it is entered
    connect(m_runButton, &QPushButton::clicked, this, &ClassMixingWindow::run);
    connect(m_pauseButton, &QPushButton::clicked, this, &ClassMixingWindow::pause);
    connect(m_stepButton, &QPushButton::clicked, this, [this] { step(1); });
    connect(m_resetButton, &QPushButton::clicked, this, &ClassMixingWindow::reset);
    m_pauseButton->setEnabled(false);
}

void ClassMixingWindow::buildMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* json = file->addAction(tr("Export metrics as &JSON..."), this, [this] { exportWithDialog(true); });
    json->setObjectName(QStringLiteral("classExportJson"));
    QAction* csv = file->addAction(tr("Export metrics as &CSV..."), this, [this] { exportWithDialog(false); });
    csv->setObjectName(QStringLiteral("classExportCsv"));
    QAction* strip = file->addAction(tr("Export interpolation &strip..."), this, [this] {
        showInterpolation();
        m_interpolation->exportWithDialog();
    });
    strip->setObjectName(QStringLiteral("classExportStrip"));
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
    QAction* resetAction = chains->addAction(tr("R&eset"), this, &ClassMixingWindow::reset);
    resetAction->setShortcut(QKeySequence(tr("Ctrl+R")));

    QMenu* view = menuBar()->addMenu(tr("&View"));
    QAction* chainsTab = view->addAction(tr("&Chains"), this, [this] { m_tabs->setCurrentIndex(0); });
    chainsTab->setShortcut(QKeySequence(tr("Ctrl+1")));
    QAction* interpTab = view->addAction(tr("&Interpolation"), this, &ClassMixingWindow::showInterpolation);
    interpTab->setObjectName(QStringLiteral("classShowInterpolation"));
    interpTab->setShortcut(QKeySequence(tr("Ctrl+2")));
}

void ClassMixingWindow::showInterpolation()
{
    m_tabs->setCurrentWidget(m_interpolation);
}

ClassMixingPanel* ClassMixingWindow::panel(int i) const
{
    return i >= 0 && i < panelCount() ? m_panels[static_cast<std::size_t>(i)] : nullptr;
}

void ClassMixingWindow::setChains(int chains)
{
    m_chains->setValue(chains);
}

void ClassMixingWindow::setSeed(std::uint64_t seed)
{
    m_seed->setValue(static_cast<int>(seed));
}

void ClassMixingWindow::setStart(bool noise, int testIndex)
{
    m_updatingControls = true;
    m_start->setCurrentIndex(noise ? 1 : 0);
    m_testIndex->setValue(testIndex);
    m_updatingControls = false;
    scheduleRebuild();
}

void ClassMixingWindow::setSpeed(double stepsPerSecond)
{
    int best = static_cast<int>(speeds().size()) - 1;
    if (stepsPerSecond > 0) {
        double bestGap = 1e300;
        for (int i = 0; i < static_cast<int>(speeds().size()); ++i) {
            const double r = speeds()[static_cast<std::size_t>(i)].second;
            if (r > 0 && std::abs(std::log(r / stepsPerSecond)) < bestGap) {
                bestGap = std::abs(std::log(r / stepsPerSecond));
                best = i;
            }
        }
    }
    m_speed->setCurrentIndex(best);
}

void ClassMixingWindow::setPanelFile(int panel, const QString& file)
{
    if (panel < 0 || panel >= m_panelFiles.size() || m_panelFiles[panel] == file)
        return;
    m_panelFiles[panel] = file;
    m_panels[static_cast<std::size_t>(panel)]->setModelFile(file);
    scheduleRebuild();
}

void ClassMixingWindow::openPanelModel(int panel)
{
    const ClassMixingModelChoice embedded = classMixingChoice(panel, "");
    QSettings settings;
    const QString folder = settings.value(QStringLiteral("files/lastModelFolder")).toString();
    const QString file = QFileDialog::getOpenFileName(
        this, embedded.tempering ? tr("An RBM checkpoint for panel %1 (parallel tempering)").arg(panel + 1) : tr("A checkpoint for panel %1").arg(panel + 1),
        folder, tr("Checkpoints (*.safetensors);;All files (*)"));
    if (file.isEmpty())
        return;
    settings.setValue(QStringLiteral("files/lastModelFolder"), QFileInfo(file).absolutePath());
    setPanelFile(panel, file);
}

ClassMixingConfig ClassMixingWindow::config() const
{
    ClassMixingConfig c;
    for (const QString& f : m_panelFiles)
        c.panelFiles.push_back(f.toStdString());
    c.chains = m_chains->value();
    c.seed = static_cast<std::uint64_t>(m_seed->value());
    c.noiseStart = m_start->currentData().toString() == QLatin1String("noise");
    c.testIndex = m_testIndex->value();
    return c;
}

void ClassMixingWindow::run()
{
    m_running = true;
    m_credit = 0;
    m_lastTick = QDateTime::currentMSecsSinceEpoch();
    m_tickTimer->start();
    m_runButton->setEnabled(false);
    m_pauseButton->setEnabled(true);
    schedule();
}

void ClassMixingWindow::pause()
{
    m_running = false;
    m_tickTimer->stop();
    m_runButton->setEnabled(true);
    m_pauseButton->setEnabled(false);
}

void ClassMixingWindow::step(int steps)
{
    if (steps <= 0)
        return;
    m_pendingSteps += steps;
    schedule();
}

void ClassMixingWindow::reset()
{
    scheduleRebuild();
}

void ClassMixingWindow::scheduleRebuild()
{
    if (m_rebuildPending)
        return;
    m_rebuildPending = true;
    QTimer::singleShot(0, this, &ClassMixingWindow::rebuild);
}

void ClassMixingWindow::rebuild()
{
    m_rebuildPending = false;
    m_lastError.clear(); // a new build: an earlier error no longer describes the window
    const ClassMixingConfig cfg = config();
    const std::uint64_t generation = ++m_generation;
    m_run.reset();
    m_pendingSteps = 0;
    m_pendingPca.clear();
    m_pcaJob.cancel();
    m_busy = true;
    for (ClassMixingPanel* p : m_panels)
        p->setPlaceholder(tr("Building the chains..."));
    m_buildText = tr("Building the chains...");
    m_status->setText(m_buildText);
    struct Built {
        std::shared_ptr<ClassMixingRun> run;
        ClassMixingSnapshotPtr snapshot;
    };
    QPointer<QLabel> status = m_status;
    m_job.start(
        [cfg, generation, status](const JobControl& job) {
            auto run = std::make_shared<ClassMixingRun>(cfg, generation, job.cancelFlag(), [job, status](const std::string& text) {
                job.post([status, text] {
                    if (status)
                        status->setText(QString::fromStdString(text) + QStringLiteral("..."));
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
            m_goodPanelFiles = m_panelFiles;
            m_rateSteps = -1;
            fitPca(built.snapshot);
            applySnapshot(std::move(built.snapshot));
            schedule();
        },
        [this, generation](const QString& error) {
            if (generation != m_generation)
                return;
            m_busy = false;
            m_pendingSteps = 0;
            pause();
            if (m_panelFiles != m_goodPanelFiles) {
                // A chosen checkpoint was refused: say why, and the panels go back to the models that ran.
                m_panelFiles = m_goodPanelFiles;
                for (int i = 0; i < panelCount(); ++i)
                    m_panels[static_cast<std::size_t>(i)]->setModelFile(m_panelFiles[i]);
                showError(error + tr("\n\nThe panels keep the models they had."));
                scheduleRebuild();
                return;
            }
            for (ClassMixingPanel* p : m_panels)
                p->setPlaceholder(error);
            showError(error);
        });
}

void ClassMixingWindow::fitPca(const ClassMixingSnapshotPtr& built)
{
    if (!built || !built->travelDigits)
        return;
    const std::uint64_t generation = m_generation;
    std::vector<std::shared_ptr<const Matrix>> codes;
    for (const ClassPanelSnapshot& p : built->panels)
        codes.push_back(p.codes);
    const std::shared_ptr<const Matrix> digits = built->travelDigits;
    const std::vector<int> labels = built->travelLabels;
    m_pcaJob.start(
        [digits, labels, codes](const JobControl& job) {
            std::vector<ClassPanelPcaPtr> out;
            const ClassPanelPcaPtr pixels = fitClassPanelPca(*digits, labels, nullptr);
            for (const auto& c : codes) {
                if (job.cancelled())
                    return std::vector<ClassPanelPcaPtr>{};
                out.push_back(c ? fitClassPanelPca(*digits, labels, c.get(), pixels.get()) : pixels);
            }
            return out;
        },
        [this, generation](std::vector<ClassPanelPcaPtr> pcas) {
            if (generation != m_generation || pcas.empty())
                return;
            m_pendingPca = std::move(pcas);
            schedule();
        },
        [this, generation](const QString& error) {
            if (generation == m_generation)
                showError(tr("The PCA views could not be fitted: %1").arg(error));
        });
}

void ClassMixingWindow::tick()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const double rate = m_speed->currentData().toDouble();
    if (rate > 0)
        m_credit = std::min(m_credit + rate * static_cast<double>(now - m_lastTick) / 1000.0, std::max(1.0, rate * 0.25));
    m_lastTick = now;
    schedule();
}

void ClassMixingWindow::schedule()
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
    if (steps == 0 && m_pendingPca.empty())
        return;
    m_busy = true;
    std::shared_ptr<ClassMixingRun> run = m_run;
    const std::vector<ClassPanelPcaPtr> pcas = std::move(m_pendingPca);
    m_pendingPca.clear();
    struct Advanced {
        ClassMixingSnapshotPtr snapshot;
        int done = 0;
    };
    const std::uint64_t generation = m_generation;
    m_job.start(
        [run, steps, pcas](const JobControl& job) {
            for (int i = 0; i < static_cast<int>(pcas.size()) && i < run->panelCount(); ++i)
                if (pcas[static_cast<std::size_t>(i)])
                    run->setPca(i, pcas[static_cast<std::size_t>(i)]);
            Advanced out;
            out.done = run->advance(steps, job.cancelFlag(), kBatchSeconds);
            out.snapshot = run->snapshot();
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

void ClassMixingWindow::applySnapshot(ClassMixingSnapshotPtr snapshot)
{
    m_snapshot = std::move(snapshot);
    for (ClassMixingPanel* p : m_panels)
        p->setSnapshot(m_snapshot);
    const std::int64_t steps = m_snapshot->panels.empty() ? 0 : m_snapshot->panels.front().steps;
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
    m_status->setText(tr("%1 chains per panel, seed %2, start %3, step %4%5")
                          .arg(m_snapshot->config.chains)
                          .arg(m_snapshot->config.seed)
                          .arg(QString::fromStdString(m_snapshot->config.initWord()))
                          .arg(steps)
                          .arg(m_running ? tr(", running at %1 steps/s").arg(m_measuredRate, 0, 'f', 1) : QString()));
    emit snapshotChanged();
}

QString ClassMixingWindow::statusText() const
{
    return m_status->text();
}

void ClassMixingWindow::showError(const QString& message)
{
    m_lastError = message;
    m_status->setText(message);
    emit errorShown(message);
    auto* box = new QMessageBox(QMessageBox::Warning, tr("Class mixing"), message, QMessageBox::Ok, this);
    box->setObjectName(QStringLiteral("classErrorBox"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void ClassMixingWindow::exportJson(const QString& path) const
{
    if (!m_snapshot)
        fail(path.toStdString(), "", "no metrics yet: the chains are still being built");
    writeAtomically(path, classMixingJson(*m_snapshot).dump(1) + "\n");
}

void ClassMixingWindow::exportCsv(const QString& path) const
{
    if (!m_snapshot)
        fail(path.toStdString(), "", "no metrics yet: the chains are still being built");
    writeAtomically(path, classMixingCsv(*m_snapshot));
}

void ClassMixingWindow::exportWithDialog(bool json)
{
    QString path = QFileDialog::getSaveFileName(this, tr("Export class-mixing metrics"),
                                                json ? QStringLiteral("mixing.json") : QStringLiteral("mixing.csv"),
                                                json ? tr("JSON (*.json)") : tr("CSV (*.csv)"));
    if (path.isEmpty())
        return;
    const QString suffix = json ? QStringLiteral(".json") : QStringLiteral(".csv");
    if (!path.endsWith(suffix, Qt::CaseInsensitive))
        path += suffix;
    try {
        json ? exportJson(path) : exportCsv(path);
        m_status->setText(tr("Wrote %1").arg(path));
    } catch (const std::exception& e) {
        showError(QString::fromStdString(e.what()));
    }
}

void ClassMixingWindow::closeEvent(QCloseEvent* event)
{
    pause();
    m_job.cancel();
    m_pcaJob.cancel();
    m_interpolation->cancel();
    event->accept();
}

} // namespace gsn
