#include "mainwindow.h"

#include "chaincontroller.h"
#include "chainsdock.h"
#include "chainview.h"
#include "datadock.h"
#include "evaluatedock.h"
#include "framestatslabel.h"
#include "trainingcontroller.h"
#include "trainingdock.h"
#include "inpaintwindow.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStatusBar>

#include <algorithm>

namespace gsn {

namespace {

constexpr int kExampleChains = 100; // dataset examples shown in the chain view before chains run

} // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent)
{
    setObjectName(QStringLiteral("MainWindow"));
    setWindowTitle(tr("GSN Studio"));

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
    addDockWidget(Qt::RightDockWidgetArea, evaluate);
    connect(this, &MainWindow::currentModelChanged, evaluate, &EvaluateDock::setModel);
    connect(m_dataDock, &DataDock::datasetLoaded, m_session, &StudioSession::setDataset);
    connect(m_session, &StudioSession::datasetChanged, this, &MainWindow::showDatasetExamples);
    connect(m_dataDock, &DataDock::loadFailed, this, &MainWindow::showError);

    m_frameStats = new FrameStatsLabel(m_view, this);
    statusBar()->addPermanentWidget(m_frameStats);
    createStudio(); // Model, Chains and Training docks (mainwindow_studio.cpp)

    createActions();
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
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
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

void MainWindow::restoreSettings()
{
    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("mainwindow/geometry")).toByteArray());
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
    saveSettings();
    m_training->abandon(); // stops within a batch; joined off the GUI thread or by the destructor
    m_chains->pause();
    event->accept();
}

} // namespace gsn
