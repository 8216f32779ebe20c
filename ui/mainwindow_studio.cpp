// MainWindow's studio part: the Model, Chains and Training docks, switching models while chains and a
// training run go on, sheets from the recorded frames, drag-and-drop of checkpoints and images. Split from
// mainwindow.cpp (the window frame, view and Data dock) so each file keeps one job.

#include "mainwindow.h"

#include "chaincontroller.h"
#include "chainsdock.h"
#include "chainview.h"
#include "datadock.h"
#include "defaultmodel.h"
#include "evaluatedock.h"
#include "sheetdialog.h"
#include "sheetwriter.h"
#include "studiosettings.h"
#include "trainingcontroller.h"
#include "trainingdock.h"

#include <QAction>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QImageReader>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMimeData>
#include <QSettings>
#include <QStatusBar>
#include <QTimer>


namespace gsn {

namespace {

bool isCheckpointUrl(const QUrl& url)
{
    return url.isLocalFile() && url.toLocalFile().endsWith(QStringLiteral(".safetensors"), Qt::CaseInsensitive);
}

// A local file whose suffix names an image format Qt reads (png, jpg, bmp, ...).
bool isImageUrl(const QUrl& url)
{
    if (!url.isLocalFile())
        return false;
    const QByteArray suffix = QFileInfo(url.toLocalFile()).suffix().toLower().toLatin1();
    return !suffix.isEmpty() && QImageReader::supportedImageFormats().contains(suffix);
}

} // namespace

void MainWindow::createStudio()
{
    setAcceptDrops(true);

    m_modelDock = new ModelDock(this);
    m_modelDock->setSession(m_session);
    m_chainsDock = new ChainsDock(m_chains, this);
    m_trainingDock = new TrainingDock(m_training, [session = m_session] {
        TrainingRequest request;
        request.start = session->currentModel();
        request.data = session->dataset();
        return request;
    }, this);
    addDockWidget(Qt::LeftDockWidgetArea, m_modelDock);
    addDockWidget(Qt::LeftDockWidgetArea, m_chainsDock);
    tabifyDockWidget(m_modelDock, m_chainsDock);
    m_chainsDock->raise();
    addDockWidget(Qt::RightDockWidgetArea, m_trainingDock);
    // Training and Evaluate share the right column as tabs (Window menu and the tabs switch them).
    tabifyDockWidget(m_trainingDock, m_evaluateDock);
    m_trainingDock->raise();

    connect(m_modelDock, &ModelDock::modelProposed, this, &MainWindow::setModel);
    connect(m_session, &StudioSession::modelChanged, m_trainingDock, &TrainingDock::updateButtons);
    connect(m_session, &StudioSession::datasetChanged, m_trainingDock, &TrainingDock::updateButtons);
    m_trainingDock->updateButtons();
    connect(m_modelDock, &ModelDock::failed, this, &MainWindow::showError);
    connect(m_session, &StudioSession::error, this, &MainWindow::showError);
    connect(m_session, &StudioSession::modelChanged, this, &MainWindow::sessionModelChanged);
    connect(m_session, &StudioSession::modelLoadFinished, this, [this](const QString& path, bool installed) {
        if (installed) {
            statusBar()->showMessage(tr("Opened %1").arg(QFileInfo(path).fileName()), 3000);
            rememberModel(path);
        }
        emit modelLoadFinished(path, installed);
    });
    connect(m_session, &StudioSession::modelSaveFinished, this, [this](const QString& path, bool ok) {
        if (ok) // a failure's message came through StudioSession::error
            statusBar()->showMessage(tr("Saved %1").arg(QFileInfo(path).fileName()), 3000);
    });
    connect(m_session, &StudioSession::imageStartFinished, this,
            [this](const QString& path, bool ok, const QString& origin) {
        if (ok)
            statusBar()->showMessage(tr("Chains start from %1").arg(origin), 5000);
        emit imageStartFinished(path, ok);
    });
    connect(m_training, &TrainingController::finished, this,
            [this](TrainingController::Status status, const QString& message) {
        if (status == TrainingController::Status::Diverged)
            showError(tr("Training diverged; the last good parameters are kept: %1").arg(message));
        else
            statusBar()->showMessage(status == TrainingController::Status::Finished    ? tr("Training finished")
                                     : status == TrainingController::Status::Cancelled ? tr("Training cancelled")
                                                                                       : tr("Training failed"),
                                     5000);
    });
    connect(m_dataDock, &DataDock::exampleActivated, this, [this](int index) {
        m_chains->setStart(ChainStart::TestImage, index);
        m_chains->reset();
    });

    m_chainRate = new QLabel(this);
    m_chainRate->setObjectName(QStringLiteral("chainRateLabel"));
    statusBar()->insertPermanentWidget(0, m_chainRate);
    m_dataFit = new QLabel(this); // the model-data mismatch, where the user looks (the Chains dock says more)
    m_dataFit->setObjectName(QStringLiteral("dataFitLabel"));
    m_dataFit->setStyleSheet(QStringLiteral("color: #b03000; font-weight: bold;"));
    m_dataFit->hide();
    statusBar()->insertPermanentWidget(0, m_dataFit);
    connect(m_chainsDock, &ChainsDock::newModelForDataRequested, m_modelDock, &ModelDock::createNew);
    auto* timer = new QTimer(this);
    connect(timer, &QTimer::timeout, this, &MainWindow::updateChainRate);
    timer->start(500);
    updateChainRate();
}

void MainWindow::addStudioFileActions(QMenu* file)
{
    QAction* create = file->addAction(tr("&New model"), m_modelDock, &ModelDock::createNew);
    create->setShortcut(QKeySequence::New);
    QAction* open = file->addAction(tr("&Open model..."), m_modelDock, &ModelDock::openDialog);
    open->setShortcut(QKeySequence::Open);
    QAction* save = file->addAction(tr("&Save model..."), m_modelDock, &ModelDock::saveDialog);
    save->setShortcut(QKeySequence::Save);
    m_recentMenu = file->addMenu(tr("Open &recent"));
    m_recentMenu->setObjectName(QStringLiteral("menuRecent"));
    rebuildRecentMenu();
    file->addAction(tr("Open &default model"), this, &MainWindow::loadDefaultModel);
    QAction* image = file->addAction(tr("Start chains from &image..."), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Start chains from image"), QString(),
                                                          tr("Images (*.png *.jpg *.jpeg *.bmp *.pgm *.gif)"));
        if (!path.isEmpty())
            startChainsFromImage(path);
    });
    image->setObjectName(QStringLiteral("actionStartFromImage"));
    image->setShortcut(QKeySequence(tr("Ctrl+I")));
    file->addSeparator();
    QAction* sheet = file->addAction(tr("&Export sheet..."), this, &MainWindow::exportSheet);
    sheet->setObjectName(QStringLiteral("actionExportSheet"));
    sheet->setShortcut(QKeySequence(tr("Ctrl+E")));
    file->addSeparator();
}

void MainWindow::addStudioMenus()
{
    QMenu* chains = menuBar()->addMenu(tr("&Chains"));
    QAction* run = chains->addAction(tr("&Start / pause"), m_chains, &ChainController::toggleRunning);
    run->setObjectName(QStringLiteral("actionChainsRun"));
    run->setShortcut(QKeySequence(Qt::Key_Space));
    QAction* step = chains->addAction(tr("Single s&tep"), m_chains, &ChainController::stepOnce);
    step->setObjectName(QStringLiteral("actionChainsStep"));
    step->setShortcut(QKeySequence(Qt::Key_S));
    QAction* reset = chains->addAction(tr("&Reset"), m_chains, &ChainController::reset);
    reset->setObjectName(QStringLiteral("actionChainsReset"));
    reset->setShortcut(QKeySequence(Qt::Key_R));

    QMenu* training = menuBar()->addMenu(tr("&Training"));
    QAction* train = training->addAction(tr("&Train / resume"), m_trainingDock, &TrainingDock::startOrResume);
    train->setShortcut(QKeySequence(tr("Ctrl+T")));
    training->addAction(tr("&Pause"), m_training, &TrainingController::pause);
    training->addAction(tr("&Cancel"), m_training, &TrainingController::cancel);
}

StudioModelPtr MainWindow::currentModel() const
{
    return m_session->currentModel();
}

bool MainWindow::setModel(StudioModelPtr model)
{
    return m_session->setModel(std::move(model)); // a refusal's message arrives through StudioSession::error
}

void MainWindow::sessionModelChanged(StudioModelPtr model, StudioSession::ModelChange change)
{
    if (change == StudioSession::ModelChange::Saved)
        return; // the Model dock shows the new file name; the title and the evaluated model stay
    if (change == StudioSession::ModelChange::Installed) {
        m_chainsDock->modelChanged();
        m_trainingDock->clearHistory();
    }
    setWindowTitle(tr("GSN Studio - %1").arg(model->name));
    updateModelDataNote();
    emit currentModelChanged(model->model, model->name, model->epoch);
}

void MainWindow::openModel(const QString& path)
{
    statusBar()->showMessage(tr("Loading %1...").arg(QFileInfo(path).fileName()));
    m_session->openModel(path);
}

void MainWindow::startChainsFromImage(const QString& path)
{
    if (m_chains->model() && m_chains->width() > 0 && m_chains->height() > 0)
        statusBar()->showMessage(tr("Reading %1...").arg(QFileInfo(path).fileName()));
    m_session->startChainsFromImage(path);
}

QStringList MainWindow::recentModels() const
{
    return QSettings().value(QStringLiteral("files/recentModels")).toStringList();
}

void MainWindow::rememberModel(const QString& path)
{
    constexpr int kMaxRecent = 8;
    QStringList list = recentModels();
    const QString absolute = QFileInfo(path).absoluteFilePath();
    list.removeAll(absolute);
    list.prepend(absolute);
    while (list.size() > kMaxRecent)
        list.removeLast();
    storeSetting(QStringLiteral("files/recentModels"), list);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu()
{
    m_recentMenu->clear();
    const QStringList list = recentModels();
    for (int i = 0; i < list.size(); ++i) {
        const QString path = list[i];
        QAction* action = m_recentMenu->addAction(QStringLiteral("&%1 %2").arg(i + 1).arg(QFileInfo(path).fileName()),
                                                  this, [this, path] { openModel(path); });
        action->setToolTip(path);
        action->setStatusTip(path);
    }
    if (list.isEmpty()) {
        m_recentMenu->addAction(tr("(none yet)"))->setEnabled(false);
        return;
    }
    m_recentMenu->addSeparator();
    m_recentMenu->addAction(tr("&Clear list"), this, [this] {
        QSettings().remove(QStringLiteral("files/recentModels"));
        rebuildRecentMenu();
    });
}

bool MainWindow::loadDefaultModel()
{
    if (!hasDefaultModel()) {
        showError(tr("This build carries no default model (resources/default-gsn2.safetensors)"));
        return false;
    }
    if (!m_defaultModel) {
        // Parsed and hashed once per window: the embedded file never changes and the model is immutable, so
        // switching back to it later costs the GUI thread no parse (50-110 ms for 784-1500-1500 in the soak).
        try {
            Checkpoint checkpoint = gsn::loadDefaultModel();
            m_defaultModel = studioModelFromCheckpoint(std::move(checkpoint), tr("default GSN-2"),
                                                       defaultModelResource(), fileSha256(defaultModelResource()));
        } catch (const std::exception& e) {
            showError(QString::fromStdString(e.what()));
            return false;
        }
    }
    return setModel(m_defaultModel);
}

void MainWindow::updateModelDataNote()
{
    const ModelDataNote note = modelDataNote(m_session->currentModel().get(), m_session->dataset().get());
    m_chainsDock->setModelDataNote(note.text, note.mismatch);
    m_dataFit->setText(note.mismatch ? tr("Model and data do not match") : QString());
    m_dataFit->setToolTip(note.text);
    m_dataFit->setVisible(note.mismatch);
}

void MainWindow::datasetChangedForStudio(std::shared_ptr<const Dataset> dataset)
{
    m_view->setClassifier(classifierFor(*dataset)); // hovering names MNIST chains' classes
    m_modelDock->setImageSize(dataset->width, dataset->height);
    m_evaluateDock->setDatasetName(QString::fromStdString(dataset->name));
    updateModelDataNote();
}

void MainWindow::exportSheet()
{
    auto frames = std::make_shared<std::vector<FramePtr>>(m_chains->recorder().frames());
    if (frames->empty()) {
        showError(tr("Export sheet: no chain frames recorded yet (start or step the chains)"));
        return;
    }
    const StudioModelPtr model = currentModel();
    SheetProvenance provenance;
    if (model && model->model) {
        provenance.modelKind = QString::fromStdString(model->model->kind());
        provenance.epoch = QString::number(model->epoch);
        provenance.modelFile = model->name;
        provenance.modelHash = model->fileHash; // hashed where the file was read or written (empty when trained since)
    }
    provenance.seed = QString::number(frames->back()->seed);
    provenance.clamp = QStringLiteral("none");
    switch (m_chains->start()) {
    case ChainStart::Noise: provenance.source = QStringLiteral("noise"); break;
    case ChainStart::TestImage: provenance.source = QStringLiteral("one test image"); break;
    case ChainStart::RandomImages: provenance.source = QStringLiteral("random test images"); break;
    case ChainStart::Image: provenance.source = tr("image %1").arg(m_chains->startImageOrigin()); break;
    }
    if (m_chains->showSamples())
        provenance.extra.emplace_back(QStringLiteral("Shown"), QStringLiteral("sampled state"));
    auto* dialog = new SheetDialog(sheetFramesOf(*frames), frames, provenance, this);
    dialog->setObjectName(QStringLiteral("sheetDialog"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->open();
}

void MainWindow::updateChainRate()
{
    if (!m_chains->hasChains()) {
        m_chainRate->setText(tr("Chains: none"));
        return;
    }
    m_chainRate->setText(m_chains->isRunning() ? tr("Chains: %1 steps/s").arg(m_chains->measuredRate(), 0, 'f', 1)
                                               : tr("Chains: paused at step %1").arg(m_chains->steps()));
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    const QList<QUrl> urls = event->mimeData()->urls();
    if (urls.size() == 1 && (isCheckpointUrl(urls.front()) || isImageUrl(urls.front())))
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event)
{
    const QList<QUrl> urls = event->mimeData()->urls();
    if (urls.size() != 1)
        return;
    // Both are read on a worker: the drag source is not kept waiting.
    if (isCheckpointUrl(urls.front())) {
        event->acceptProposedAction();
        openModel(urls.front().toLocalFile());
    } else if (isImageUrl(urls.front())) {
        event->acceptProposedAction();
        startChainsFromImage(urls.front().toLocalFile());
    }
}

} // namespace gsn
