#include "mainwindow.h"

#include "chaincontroller.h"
#include "chainsdock.h"
#include "chainview.h"
#include "classmixingwindow.h"
#include "datadock.h"
#include "evaluatedock.h"
#include "framestatslabel.h"
#include "trainingcontroller.h"
#include "trainingdock.h"
#include "inpaintwindow.h"
#include "mixinglab.h"
#include "parallel.h"
#include "workerreaper.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDockWidget>
#include <QFileDialog>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QScreen>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QStatusBar>

#include <algorithm>

namespace gsn {

namespace {

constexpr int kExampleChains = 100; // dataset examples shown in the chain view before chains run

// A dock's contents scroll instead of growing the window: the window's minimum size no longer depends
// on what a dock shows (a long message, a strip of samples, a history), so nothing a user does inside
// the window resizes it, and docks compress rather than overlap when the window is small.
void makeScrollable(QDockWidget* dock)
{
    QWidget* body = dock->widget();
    if (!body || qobject_cast<QScrollArea*>(body))
        return;
    auto* scroll = new QScrollArea(dock);
    scroll->setObjectName(dock->objectName() + QStringLiteral("Scroll"));
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidgetResizable(true);
    // Heights scroll; widths do not: a dock is never narrower than its contents' minimum, so nothing
    // is cut off at the side (that minimum is small and does not change with what the dock shows).
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    // Lists may be narrower than their longest entry (the popup still shows it whole): an explicit
    // minimum width overrides the combo box's content-based minimum in the layout.
    for (QComboBox* combo : body->findChildren<QComboBox*>())
        combo->setMinimumWidth(std::min(combo->minimumSizeHint().width(), 12 * combo->fontMetrics().averageCharWidth() + 40));
    scroll->setWidget(body); // re-parents body; its children keep their names
    scroll->setMinimumWidth(body->minimumSizeHint().width() + scroll->verticalScrollBar()->sizeHint().width());
    dock->setWidget(scroll);
}

} // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent)
{
    setObjectName(QStringLiteral("MainWindow"));
    setWindowTitle(tr("GSN Studio"));
    // Chains, evaluations and jobs at nice +5 (training +10): the event loop, the OpenGL driver's threads
    // and the X server get a core at once. Under Xvfb + llvmpipe the soak's blocked stalls were the GUI
    // thread waiting for the rasterizer threads and the X server (docs/robustness.md "Soak").
    setWorkerNice(5);
    configureAllocatorForLongRuns(); // glibc's mmap/trim thresholds fixed, not adaptive (workerreaper.h)

    m_view = new ChainView(this);
    m_view->setObjectName(QStringLiteral("chainView"));
    setCentralWidget(m_view);
    m_session = new StudioSession(m_view->staging(), this);
    m_chains = m_session->chains();
    m_training = m_session->training();

    m_dataDock = new DataDock(this);
    addDockWidget(Qt::LeftDockWidgetArea, m_dataDock);
    // Parzen evaluation (issue 6) of the current model, run by the session's evaluation
    auto* evaluate = new EvaluateDock(m_session->evaluation(), this);
    m_evaluateDock = evaluate;
    addDockWidget(Qt::RightDockWidgetArea, evaluate);
    connect(this, &MainWindow::currentModelChanged, evaluate, &EvaluateDock::setModel);
    connect(m_dataDock, &DataDock::datasetLoaded, m_session, &StudioSession::setDataset);
    connect(m_session, &StudioSession::datasetChanged, this, &MainWindow::showDatasetExamples);
    connect(m_dataDock, &DataDock::loadFailed, this, &MainWindow::showError);

    m_frameStats = new FrameStatsLabel(m_view, this);
    statusBar()->addPermanentWidget(m_frameStats);
    createStudio(); // Model, Chains and Training docks (mainwindow_studio.cpp)

    for (QDockWidget* dock : findChildren<QDockWidget*>(QString(), Qt::FindDirectChildrenOnly))
        makeScrollable(dock);
    m_session->setReplaceGuard([this] { return confirmDiscardUnsaved(tr("replace it")); });

    createActions();
    m_defaultState = saveState();
    restoreSettings();
}

MainWindow::~MainWindow()
{
    // Workers first (training abandoned, chains joined), while everything their last signals could reach
    // still exists.
    delete m_session;
}

void MainWindow::createActions()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* openData = file->addAction(tr("Open &dataset file..."), m_dataDock, &DataDock::openFile);
    openData->setShortcut(QKeySequence(tr("Ctrl+Shift+O")));
    file->addSeparator();
    addStudioFileActions(file); // new/open/save model, export sheet (mainwindow_studio.cpp)
    // Quit ends the program: closing the main window closes every other window of the studio too.
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setObjectName(QStringLiteral("actionQuit"));
    quit->setShortcut(QKeySequence::Quit);

    QMenu* view = menuBar()->addMenu(tr("&View"));
    QAction* fit = view->addAction(tr("&Fit to window"), m_view, &ChainView::fitToView);
    fit->setShortcut(QKeySequence(tr("Ctrl+0")));
    QAction* zoomIn = view->addAction(tr("Zoom &in"), m_view, [this] { m_view->zoomBy(1.25); });
    zoomIn->setShortcut(QKeySequence::ZoomIn);
    QAction* zoomOut = view->addAction(tr("Zoom &out"), m_view, [this] { m_view->zoomBy(0.8); });
    zoomOut->setShortcut(QKeySequence::ZoomOut);
    view->addSeparator();

    QAction* smooth = view->addAction(tr("&Smooth filtering"));
    smooth->setObjectName(QStringLiteral("actionSmooth"));
    smooth->setCheckable(true);
    smooth->setShortcut(QKeySequence(tr("Ctrl+Shift+L")));
    connect(smooth, &QAction::toggled, m_view, &ChainView::setSmooth);
    QAction* film = view->addAction(tr("Film&strip (consecutive steps)"));
    film->setObjectName(QStringLiteral("actionFilmstrip"));
    film->setCheckable(true);
    film->setShortcut(QKeySequence(tr("Ctrl+Shift+F")));
    connect(film, &QAction::toggled, m_view, &ChainView::setFilmstrip);
    view->addSeparator();
    QAction* reset = view->addAction(tr("&Reset layout"), this, &MainWindow::resetLayout);
    reset->setObjectName(QStringLiteral("actionResetLayout"));

    QMenu* colours = view->addMenu(tr("&Colour map"));
    m_colorMapGroup = new QActionGroup(this);
    int number = 1;
    for (ColorMap map : allColorMaps()) {
        QAction* action = colours->addAction(QString::fromStdString(colorMapName(map)));
        action->setCheckable(true);
        action->setData(QString::fromStdString(colorMapKey(map)));
        action->setShortcut(QKeySequence(tr("Ctrl+%1").arg(number++)));
        action->setChecked(map == m_view->colorMap());
        m_colorMapGroup->addAction(action);
        connect(action, &QAction::triggered, m_view, [this, map] { m_view->setColorMap(map); });
    }

    addStudioMenus(); // Chains and Training menus (mainwindow_studio.cpp)
    QMenu* windows = menuBar()->addMenu(tr("&Window"));
    windows->addAction(m_dataDock->toggleViewAction());
    windows->addAction(m_modelDock->toggleViewAction());
    windows->addAction(m_chainsDock->toggleViewAction());
    windows->addAction(m_trainingDock->toggleViewAction());
    windows->addAction(m_evaluateDock->toggleViewAction());
    windows->addSeparator();
    QAction* inpainting = windows->addAction(tr("&Inpainting..."), this, [this] {
        auto* inpaint = new InpaintWindow; // its own top-level window; Model... opens another checkpoint
        inpaint->setAttribute(Qt::WA_DeleteOnClose);
        inpaint->setDataset(m_session->dataset());
        // The session's current model, at the image size the session gave its chains.
        const StudioModelPtr model = m_session->currentModel();
        if (model && m_chains->model()) {
            try {
                inpaint->setModel(model->model, m_chains->width(), m_chains->height(), model->name);
            } catch (const std::exception& e) {
                showError(QString::fromStdString(e.what()));
            }
        }
        inpaint->show();
    });
    inpainting->setObjectName(QStringLiteral("actionInpainting"));
    // The mixing lab (issue 13): its own top-level window on 2D targets; needs nothing of the studio.
    QAction* lab = windows->addAction(tr("&Mixing lab"), this, [this] {
        if (!m_lab) { // one lab: the shortcut raises it when it is open
            m_lab = new MixingLab;
            m_lab->setAttribute(Qt::WA_DeleteOnClose);
        }
        MixingLab* window = m_lab;
        window->show();
        window->raise();
        window->activateWindow();
    });
    lab->setObjectName(QStringLiteral("actionMixingLab"));
    lab->setShortcut(QKeySequence(tr("Ctrl+L")));
    // Class mixing (issue 15): the shipped MNIST models side by side, each chain's class over time; its
    // own top-level window with its own models (the embedded ones), so it needs nothing of the studio.
    // Ctrl+Shift+M: Ctrl+M is the window manager's Minimize on macOS (Cmd+M).
    QAction* classMixing = windows->addAction(tr("&Class mixing"), this, [this] {
        if (!m_classMixing) { // one window: the shortcut raises it when it is open
            m_classMixing = new ClassMixingWindow;
            m_classMixing->setAttribute(Qt::WA_DeleteOnClose);
        }
        ClassMixingWindow* window = m_classMixing;
        window->show();
        window->raise();
        window->activateWindow();
    });
    classMixing->setObjectName(QStringLiteral("actionClassMixing"));
    classMixing->setShortcut(QKeySequence(tr("Ctrl+Shift+M")));
}

void MainWindow::setColorMap(ColorMap map)
{
    for (QAction* action : m_colorMapGroup->actions()) {
        if (action->data().toString().toStdString() == colorMapKey(map))
            action->trigger();
    }
}

bool MainWindow::loadDataset(const QString& spec)
{
    return m_dataDock->loadDataset(spec);
}

void MainWindow::showDatasetExamples(std::shared_ptr<const Dataset> dataset)
{
    datasetChangedForStudio(dataset);
    if (m_chains->hasChains())
        return; // running chains keep the view; the examples show before any model exists
    auto frame = std::make_shared<Frame>();
    const int count = std::min(kExampleChains, dataset->count());
    frame->cells = dataset->pixels.topRows(count);
    frame->layout = FrameLayout::image(dataset->width, dataset->height);
    frame->step = 0;
    m_view->setFrame(std::move(frame));
    statusBar()->showMessage(tr("Loaded %1 (%2 images)").arg(QString::fromStdString(dataset->name)).arg(dataset->count()),
                             5000);
}

void MainWindow::showError(const QString& message)
{
    m_lastError = message;
    statusBar()->showMessage(message, 10000);
    // Window-modal and non-blocking: the event loop (and running chains) keep going.
    auto* box = new QMessageBox(QMessageBox::Warning, tr("GSN Studio"), message, QMessageBox::Ok, this);
    box->setObjectName(QStringLiteral("errorBox"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

QSize MainWindow::defaultSize(const QSize& available)
{
    // Most of the screen (the chain view is the product), never more than it.
    return QSize(std::min(available.width(), std::max(available.width() * 9 / 10, 1000)),
                 std::min(available.height(), std::max(available.height() * 9 / 10, 700)));
}

void MainWindow::placeOnScreen()
{
    const QScreen* screen = this->screen() ? this->screen() : QGuiApplication::primaryScreen();
    if (!screen)
        return;
    const QRect available = screen->availableGeometry();
    const QSize size = defaultSize(available.size()).expandedTo(minimumSizeHint()).boundedTo(available.size());
    resize(size);
    move(available.center() - QPoint(size.width() / 2, size.height() / 2));
    // One column of docks on each side, each about a fifth of the window: the chain view (the product)
    // gets more than half of the width.
    const int side = std::clamp(size.width() / 5, 240, 420);
    resizeDocks({m_dataDock, m_trainingDock}, {side, side}, Qt::Horizontal);
}

void MainWindow::resetLayout()
{
    restoreState(m_defaultState);
    for (QDockWidget* dock : findChildren<QDockWidget*>(QString(), Qt::FindDirectChildrenOnly)) {
        dock->setFloating(false);
        dock->show();
    }
    m_chainsDock->raise();
    placeOnScreen();
    m_view->fitToView();
}

bool MainWindow::confirmDiscardUnsaved(const QString& action)
{
    if (!m_session->hasUnsavedWork())
        return true;
    const StudioModelPtr model = m_session->currentModel();
    const bool running = m_training->isRunning();
    QMessageBox box(QMessageBox::Warning, tr("GSN Studio"),
                    running ? tr("%1 is being trained.").arg(model->name)
                            : tr("%1 has been trained since it was last saved.").arg(model->name),
                    QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, this);
    box.setObjectName(QStringLiteral("unsavedWorkBox"));
    box.setInformativeText(running ? tr("Save the parameters reached so far before you %1? The training run "
                                        "will be stopped.").arg(action)
                                   : tr("Save it before you %1? Otherwise the training is lost.").arg(action));
    box.setDefaultButton(QMessageBox::Save);
    box.setWindowModality(Qt::WindowModal);
    const int answer = box.exec(); // the event loop (and the chains) keep running meanwhile
    if (answer == QMessageBox::Cancel)
        return false;
    if (answer == QMessageBox::Discard)
        return true;
    const QString path = m_modelDock->askSavePath();
    if (path.isEmpty())
        return false; // no file chosen: nothing is lost, nothing happens
    return m_session->saveModelAndWait(path); // a failed save says why (StudioSession::error) and keeps the model
}

void MainWindow::restoreSettings()
{
    QSettings settings;
    const QByteArray geometry = settings.value(QStringLiteral("mainwindow/geometry")).toByteArray();
    if (geometry.isEmpty() || !restoreGeometry(geometry))
        placeOnScreen(); // first start
    restoreState(settings.value(QStringLiteral("mainwindow/state")).toByteArray());
    ColorMap map = ColorMap::Grey;
    if (colorMapFromKey(settings.value(QStringLiteral("view/colormap"), QStringLiteral("grey")).toString().toStdString(),
                        &map))
        setColorMap(map);
    if (settings.value(QStringLiteral("view/smooth"), false).toBool())
        findChild<QAction*>(QStringLiteral("actionSmooth"))->setChecked(true);
}

void MainWindow::saveSettings() const
{
    QSettings settings;
    settings.setValue(QStringLiteral("mainwindow/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("mainwindow/state"), saveState());
    settings.setValue(QStringLiteral("view/colormap"), QString::fromStdString(colorMapKey(m_view->colorMap())));
    settings.setValue(QStringLiteral("view/smooth"), m_view->smooth());
    if (!m_dataDock->currentSpec().isEmpty())
        settings.setValue(QStringLiteral("data/spec"), m_dataDock->currentSpec());
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    if (m_session->isSaving()) { // the file being written is finished first (the event loop runs meanwhile)
        statusBar()->showMessage(tr("Finishing the save before quitting..."));
        m_session->finishSaves();
    }
    if (!confirmDiscardUnsaved(tr("quit"))) {
        event->ignore();
        return;
    }
    saveSettings();
    m_training->abandon(); // stops within a batch; joined off the GUI thread or by the destructor
    m_session->cancelEvaluation();
    m_chains->pause();
    event->accept();
    // Quit ends the program: the studio's other top-level windows (Inpainting) close with it.
    for (QWidget* window : QApplication::topLevelWidgets()) {
        if (window != this && window->isVisible() && !window->parentWidget())
            window->close();
    }
}

} // namespace gsn
