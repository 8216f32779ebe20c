// The live studio (under Xvfb): the embedded default model's chains reach the view; start, pause, single
// step and reset; switching models while chains and a training run go on (no crash, every worker
// joined); training from the GUI lowers the loss and the running chains pick up the new parameters;
// a corrupt or wrong-size checkpoint gives a message and the chains keep running.
// With GSN_SCREENSHOT_DIR set, `screenshots` saves the window and each dock there.

#include "chaincontroller.h"
#include "chainsdock.h"
#include "chainview.h"
#include "checkpoint.h"
#include "colormap.h"
#include "datadock.h"
#include "defaultmodel.h"
#include "evaluatedock.h"
#include "glformat.h"
#include "inpaintwindow.h"
#include "losscurve.h"
#include "mainwindow.h"
#include "modeldock.h"
#include "sheetwriter.h"
#include "studiosettings.h"
#include "guisupport.h"
#include "testsupport.h"
#include "trainer.h"
#include "trainingcontroller.h"
#include "trainingdock.h"

#include <QAction>
#include <QApplication>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QMimeData>
#include <QWindow>
#include <QComboBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QSpinBox>
#include <QSignalSpy>
#include <QTest>

#include <sys/stat.h>

using namespace gsn;

namespace {

QString scratchDir()
{
    return test::scratchDir("gui_studio");
}

// A fresh model of `config` as the studio's current model.
StudioModelPtr freshModel(const nlohmann::json& config, const QString& name, std::uint64_t seed = 1)
{
    auto entry = std::make_shared<StudioModel>();
    entry->model = std::shared_ptr<const Model>(createModel(config, seed));
    entry->name = name;
    return entry;
}

nlohmann::json smallGsn2() { return {{"kind", "gsn2"}, {"sizes", {784, 64, 64}}}; }
nlohmann::json smallDae() { return {{"kind", "dae"}, {"sizes", {784, 100}}}; }

// Chains keep stepping: the step count grows within a few seconds.
bool chainsAdvance(ChainController* chains)
{
    const std::uint64_t before = chains->steps();
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < 10000) {
        QTest::qWait(20);
        if (chains->steps() > before + 2)
            return true;
    }
    return false;
}

} // namespace

class TestStudio : public QObject {
    Q_OBJECT
public:
    static void initMain()
    {
        test::isolateSettings(scratchDir());
        test::keepGlDriverForLeakCheck();
        setDefaultSurfaceFormat();
    }

private slots:
    void initTestCase()
    {
        test::clearSettings("tst_gui_studio");
    }

    void defaultModelRunsAtOnce()
    {
        QVERIFY(hasDefaultModel());
        MainWindow window;
        window.resize(1200, 800);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY2(window.loadDataset("mnist-test"), qPrintable(window.lastError()));
        QVERIFY2(window.loadDefaultModel(), qPrintable(window.lastError()));
        QCOMPARE(window.currentModel()->model->kind(), std::string("gsn2"));
        // A model-only export still says how long it was trained (Model dock, sheets' provenance).
        const Checkpoint shipped = gsn::loadDefaultModel();
        QCOMPARE(window.currentModel()->epoch, shipped.metadata["trained"]["epochs_completed"].get<int>());
        QVERIFY(window.currentModel()->epoch >= 10);
        // The shipped file predates stored image shapes: it loads, as a square.
        QVERIFY(!shipped.image.stored);
        QCOMPARE(shipped.image.width, 28);
        QCOMPARE(shipped.image.height, 28);
        // Its provenance hash is the embedded file's, and switching back to it reuses the parsed model.
        QCOMPARE(window.currentModel()->fileHash, fileSha256(defaultModelResource()));
        const StudioModelPtr first = window.currentModel();
        QVERIFY(window.setModel(freshModel(smallDae(), "another")));
        QVERIFY2(window.loadDefaultModel(), qPrintable(window.lastError()));
        QCOMPARE(window.currentModel()->model, first->model);
        // The Evaluate dock follows the current model.
        auto* evaluate = window.findChild<EvaluateDock*>();
        QVERIFY(evaluate);
        QCOMPARE(evaluate->model(), window.currentModel()->model);
        window.chains()->startChains();
        // 100 chains from random test digits; moving frames reach the view.
        QTRY_VERIFY_WITH_TIMEOUT(window.chainView()->currentFrame() && window.chainView()->currentFrame()->step > 3,
                                 20000);
        QCOMPARE(window.chainView()->currentFrame()->chainCount(), 100);
        QCOMPARE(window.chainView()->currentFrame()->layout.width, 28);
        QTRY_VERIFY(window.chainView()->framesDrawn() > 0);
        QVERIFY(window.lastError().isEmpty());
    }

    // Without a dataset the chains take the image shape from the model: stored (any shape) or a square;
    // a non-square model that does not store its shape is refused with a message saying so.
    // Window > Inpainting... opens the inpaint window on the session's model and dataset.
    void inpaintWindowTakesTheSessionsModel()
    {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY2(window.loadDataset("mnist-test"), qPrintable(window.lastError()));
        QVERIFY2(window.loadDefaultModel(), qPrintable(window.lastError()));
        auto* action = window.findChild<QAction*>("actionInpainting");
        QVERIFY(action);
        action->trigger();
        InpaintWindow* inpaint = nullptr;
        for (QWidget* widget : QApplication::topLevelWidgets())
            if (auto* w = qobject_cast<InpaintWindow*>(widget))
                inpaint = w;
        QVERIFY(inpaint);
        QCOMPARE(inpaint->lastMessage(), QString("Model default GSN-2 (gsn2, 28x28)"));
        QVERIFY(inpaint->stepBlocking(1)); // its chains run the session's model
        inpaint->close(); // deletes itself
    }

    void imageShapeComesFromModel()
    {
        MainWindow window;
        window.show();
        QVERIFY(!window.dataDock()->dataset());
        const nlohmann::json config = {{"kind", "dae"}, {"sizes", {300, 16}}};
        QVERIFY(!window.setModel(freshModel(config, "unshaped")));
        QVERIFY2(window.lastError().contains("unshaped: load a dataset first: the model does not store its image "
                                             "shape and 300 pixels is not a square image"),
                 qPrintable(window.lastError()));
        QVERIFY(!window.currentModel());

        // The same model with its shape stored in the file: opened through the Model dock.
        const QString path = scratchDir() + "/shaped-20x15.safetensors";
        CheckpointInfo info;
        info.imageWidth = 20;
        info.imageHeight = 15;
        saveCheckpoint(path.toStdString(), *createModel(config, 1), nullptr, info);
        QSignalSpy opened(&window, &MainWindow::modelLoadFinished);
        window.openModel(path);
        QVERIFY(opened.wait(10000));
        QVERIFY2(opened.front().at(1).toBool(), qPrintable(window.lastError()));
        QCOMPARE(window.currentModel()->info.imageWidth, 20);
        QCOMPARE(window.currentModel()->info.imageHeight, 15);
        window.chains()->startChains();
        QTRY_VERIFY(window.chainView()->currentFrame());
        QCOMPARE(window.chainView()->currentFrame()->layout.width, 20);
        QCOMPARE(window.chainView()->currentFrame()->layout.height, 15);
        StudioModelPtr shaped = window.currentModel();

        // With MNIST loaded the mismatch names the model's stored shape.
        QVERIFY(window.loadDataset("mnist-test"));
        QVERIFY(window.setModel(freshModel(smallDae(), "small dae")));
        QVERIFY(!window.setModel(shaped));
        QVERIFY2(window.lastError().contains("the model is for 20x15 images, but the dataset mnist-test "
                                             "has 28x28 images"),
                 qPrintable(window.lastError()));
    }

    // A diverging run ends with Status::Diverged and the main window says the last good parameters are kept.
    void divergedTrainingIsReported()
    {
        MainWindow window;
        window.show();
        QVERIFY(window.loadDataset("mnist-test"));
        QVERIFY(window.setModel(freshModel(smallGsn2(), "small gsn2")));
        TrainingRequest request; // as tst_trainer's diverging gsn train run
        request.start = window.currentModel();
        request.data = window.dataDock()->dataset();
        request.examples = 1000;
        request.batchSize = 20;
        request.learningRate = 1e38;
        QSignalSpy finished(window.training(), &TrainingController::finished);
        QVERIFY(window.training()->start(request));
        QVERIFY(finished.wait(120000));
        QCOMPARE(finished.front().at(0).value<TrainingController::Status>(), TrainingController::Status::Diverged);
        QVERIFY2(finished.front().at(1).toString().contains("diverged at epoch 1"),
                 qPrintable(finished.front().at(1).toString()));
        QVERIFY2(window.lastError().startsWith("Training diverged; the last good parameters are kept: "),
                 qPrintable(window.lastError()));
        auto* eta = window.trainingDock()->findChild<QLabel*>("trainEta");
        QVERIFY(eta);
        QVERIFY2(eta->text().startsWith("Diverged: "), qPrintable(eta->text())); // the Training dock's reading

        // The message names the batch and the layer (issue 12), in the dock and in the window's error.
        const QString message = finished.front().at(1).toString();
        QVERIFY2(QRegularExpression("^diverged at epoch 1, batch \\d+ of 50: ").match(message).hasMatch(),
                 qPrintable(message));
        const StudioModelPtr start = request.start;
        bool named = false;
        for (const ParamRef& p : start->model->clone()->parameters())
            named = named || message.contains(" " + QString::fromStdString(p.name) + " ");
        QVERIFY2(named, qPrintable(message));
        QCOMPARE(eta->text(), "Diverged: " + message);
        QCOMPARE(window.lastError(), "Training diverged; the last good parameters are kept: " + message);

        // The studio's model is now the one after the last good batch: the same run replayed in the engine
        // stops with the same message, and its parameters equal the studio's bit for bit (all finite).
        const Dataset data = request.data->slice(0, request.examples, "-first1000");
        std::unique_ptr<Model> replay = start->model->clone();
        TrainOptions options;
        options.seed = request.seed;
        options.batchSize = request.batchSize;
        options.learningRate = request.learningRate;
        options.momentum = request.momentum;
        Trainer trainer(*replay, data, TrainState::start(*replay, options));
        const TrainResult result = trainer.run(1);
        QCOMPARE(int(result.status), int(TrainStatus::Diverged));
        QCOMPARE(QString::fromStdString(result.message), message);
        QTRY_VERIFY(window.currentModel() != start);
        const std::vector<ParamRef> want = replay->parameters();
        std::unique_ptr<Model> current = window.currentModel()->model->clone();
        const std::vector<ParamRef> got = current->parameters();
        QCOMPARE(got.size(), want.size());
        for (std::size_t i = 0; i < got.size(); ++i) {
            QVERIFY2(got[i].value->allFinite(), got[i].name.c_str());
            QVERIFY2(*got[i].value == *want[i].value, got[i].name.c_str());
        }
        QVERIFY(*got[0].value != *start->model->clone()->parameters()[0].value); // the good batch changed it
    }

    void startPauseStepReset()
    {
        MainWindow window;
        window.show();
        QVERIFY(window.loadDataset("mnist-test"));
        QVERIFY(window.setModel(freshModel(smallDae(), "small dae")));
        ChainController* chains = window.chains();
        chains->setRate(0);
        QCOMPARE(chains->steps(), std::uint64_t(0));
        QVERIFY(!chains->isRunning());

        chains->startChains();
        QVERIFY(chainsAdvance(chains));
        chains->pause();
        QTRY_VERIFY(!chains->isRunning());
        QTest::qWait(50);
        const std::uint64_t paused = chains->steps();
        QTest::qWait(300);
        QCOMPARE(chains->steps(), paused);

        chains->stepOnce();
        QTRY_COMPARE(chains->steps(), paused + 1);
        QTRY_VERIFY(window.chainView()->currentFrame() &&
                    window.chainView()->currentFrame()->step == std::int64_t(paused + 1));

        // The shortcuts do the same as the buttons.
        window.findChild<QAction*>("actionChainsStep")->trigger();
        QTRY_COMPARE(chains->steps(), paused + 2);
        window.findChild<QAction*>("actionChainsReset")->trigger();
        QCOMPARE(chains->steps(), std::uint64_t(0));
        QTRY_VERIFY(window.chainView()->currentFrame() && window.chainView()->currentFrame()->step == 0);
        window.findChild<QAction*>("actionChainsRun")->trigger();
        QVERIFY(chains->isRunning());
        QVERIFY(chainsAdvance(chains));
        // Keys pressed while the chains have the focus (the window system sends them to the view's
        // native window) reach the window's shortcuts: S steps the paused chains.
        window.findChild<QAction*>("actionChainsRun")->trigger();
        QTRY_VERIFY(!chains->isRunning());
        QWindow* native = window.chainView()->nativeWindow();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        native->requestActivate();
        QTRY_COMPARE(QGuiApplication::focusWindow(), native);
        QTest::qWait(50);
        const std::uint64_t before = chains->steps();
        QTest::keyClick(native, Qt::Key_S);
        QTRY_COMPARE(chains->steps(), before + 1);
        window.findChild<QAction*>("actionChainsRun")->trigger();
        QVERIFY(chains->isRunning());

        // Number of chains: a new set of that size.
        window.chainsDock()->chainCountBox()->setValue(7);
        QTRY_VERIFY(window.chainView()->currentFrame() && window.chainView()->currentFrame()->chainCount() == 7);
        QVERIFY(chainsAdvance(chains));
    }

    void trainingLowersLossAndChainsFollow()
    {
        MainWindow window;
        window.show();
        QVERIFY(window.loadDataset("mnist-test"));
        QVERIFY(window.setModel(freshModel(smallDae(), "small dae")));
        window.chains()->setChainCount(10);
        window.chains()->startChains();
        QTRY_VERIFY(window.chainView()->currentFrame());
        QCOMPARE(window.chainView()->currentFrame()->modelGeneration, std::uint64_t(0));

        TrainingDock* dock = window.trainingDock();
        dock->setEpochs(6);
        dock->setExamples(500);
        dock->setLearningRate(2.0);
        QSignalSpy finished(window.training(), &TrainingController::finished);
        dock->startOrResume();
        QVERIFY(window.training()->isRunning());
        QVERIFY(finished.wait(120000));
        QCOMPARE(finished.front().at(0).value<TrainingController::Status>(), TrainingController::Status::Finished);
        QVERIFY(!window.training()->isRunning());

        const auto& batches = dock->lossCurve()->batches();
        const auto& epochs = dock->lossCurve()->epochs();
        QCOMPARE(int(epochs.size()), 6);
        QVERIFY(batches.size() >= 30);
        // Measured: first batch 0.70, sixth epoch 0.60 (30 batches of 100).
        QVERIFY(epochs.back().y() < epochs.front().y());
        QVERIFY2(epochs.back().y() < 0.9 * batches.front().y(),
                 qPrintable(QString("first batch %1, last epoch %2").arg(batches.front().y()).arg(epochs.back().y())));
        QCOMPARE(int(dock->strips().size()), 6);
        QCOMPARE(dock->progressBar()->value(), 1000);
        // The current model is the trained one, and the chains run on its parameters.
        QCOMPARE(window.currentModel()->epoch, 6);
        QVERIFY(window.currentModel()->state);
        QTRY_VERIFY(window.chainView()->currentFrame()->modelGeneration > 0);
        QVERIFY(window.lastError().isEmpty());

        // Saving writes a checkpoint that loads back with the epoch count.
        const QString path = scratchDir() + "/trained.safetensors";
        QSignalSpy saved(window.session(), &StudioSession::modelSaveFinished);
        QVERIFY(window.modelDock()->saveFile(path));
        QVERIFY(saved.wait(10000));
        QVERIFY(saved.front().at(1).toBool());
        const Checkpoint back = loadCheckpoint(path.toStdString());
        QVERIFY(back.hasState);
        QCOMPARE(back.state.epoch, 6);
        QVERIFY(back.image.stored); // the training data's shape
        QCOMPARE(back.image.width, 28);
        QCOMPARE(back.image.height, 28);

        // Opening it (read on a worker) makes it the current model; the chains keep running meanwhile.
        QVERIFY(window.setModel(freshModel(smallDae(), "another")));
        window.chains()->startChains();
        QSignalSpy opened(&window, &MainWindow::modelLoadFinished);
        window.openModel(path);
        QVERIFY(window.modelDock()->isLoading());
        QVERIFY(opened.wait(10000));
        QCOMPARE(opened.front().at(0).toString(), path);
        QCOMPARE(opened.front().at(1).toBool(), true);
        QVERIFY(!window.modelDock()->isLoading());
        QCOMPARE(window.currentModel()->path, path);
        QCOMPARE(window.currentModel()->epoch, 6);
        QVERIFY(chainsAdvance(window.chains()));

        // It is remembered: a new window lists it first under File > Open recent, and the entry opens it.
        QCOMPARE(window.recentModels().value(0), QFileInfo(path).absoluteFilePath());
        // Remembering what is already remembered writes nothing (every settings write fdatasyncs on the GUI
        // thread): the settings file is the same file (QSaveFile would have replaced it) until a change.
        {
            storeSetting(QStringLiteral("files/lastModelFolder"), QFileInfo(path).absolutePath());
            const QString conf = QSettings().fileName();
            const auto inode = [&] { struct stat st{}; return ::stat(conf.toLocal8Bit().constData(), &st) == 0 ? st.st_ino : 0; };
            const auto before = inode();
            QVERIFY(before != 0);
            QVERIFY(!storeSetting(QStringLiteral("files/recentModels"), window.recentModels()));
            QVERIFY(!storeSetting(QStringLiteral("files/lastModelFolder"), QFileInfo(path).absolutePath()));
            QCOMPARE(inode(), before);
            QVERIFY(storeSetting(QStringLiteral("files/lastModelFolder"), QDir::tempPath()));
            QVERIFY(inode() != before);
            QCOMPARE(QSettings().value(QStringLiteral("files/lastModelFolder")).toString(), QDir::tempPath());
        }
        MainWindow next;
        QVERIFY(next.loadDataset("mnist-test"));
        auto* recent = next.findChild<QMenu*>("menuRecent");
        QVERIFY(recent);
        QVERIFY(!recent->actions().isEmpty());
        QAction* first = recent->actions().front();
        QVERIFY2(first->text().contains("trained.safetensors"), qPrintable(first->text()));
        QSignalSpy reopened(&next, &MainWindow::modelLoadFinished);
        first->trigger();
        QVERIFY(reopened.wait(10000));
        QCOMPARE(reopened.front().at(1).toBool(), true);
        QCOMPARE(next.currentModel()->path, QFileInfo(path).absoluteFilePath());
    }

    void switchingModelsWhileEverythingRuns()
    {
        {
            MainWindow window;
            window.show();
            QVERIFY(window.loadDataset("mnist-test"));
            QVERIFY(window.setModel(freshModel(smallGsn2(), "gsn2 a")));
            window.chains()->setRate(0);
            window.chains()->startChains();
            window.trainingDock()->setEpochs(1000);
            window.trainingDock()->setExamples(300);
            window.trainingDock()->startOrResume();
            QVERIFY(window.training()->isRunning());
            QTRY_VERIFY(!window.trainingDock()->lossCurve()->batches().empty());
            // Each switch below replaces a model being trained: the studio asks, the test discards.
            test::BoxAnswerer discard(QStringLiteral("unsavedWorkBox"), QMessageBox::Discard);
            for (int round = 0; round < 4; ++round) {
                // Another model while chains run and training goes on; then train it too.
                QVERIFY(window.setModel(freshModel(round % 2 ? smallGsn2() : smallDae(), "switch", round + 2)));
                QVERIFY(!window.training()->isRunning());
                QVERIFY(chainsAdvance(window.chains()));
                window.trainingDock()->startOrResume();
                QVERIFY(window.training()->isRunning());
                QTest::qWait(100);
            }
            QVERIFY(window.loadDefaultModel());
            QVERIFY(chainsAdvance(window.chains()));
            // Pause and resume training, then close with everything still running.
            window.trainingDock()->startOrResume();
            QVERIFY(window.training()->isRunning());
            window.training()->pause();
            QVERIFY(window.training()->isPaused());
            window.training()->resume();
            QVERIFY(window.close());
            QCOMPARE(discard.answered(), 6); // 4 switches, the default model, closing
        }
        // The window is gone: every chain runner has been joined; the abandoned training job is never
        // waited for by the GUI thread, and it stops within a batch.
        QCOMPARE(ChainController::liveRunners(), 0);
        QTRY_COMPARE_WITH_TIMEOUT(TrainingController::liveWorkers(), 0, 10000);
    }

    void badCheckpointsKeepChainsRunning_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("expected");
        QTest::newRow("truncated") << "truncated" << "truncated.safetensors";
        QTest::newRow("garbage") << "garbage" << "garbage.safetensors";
        QTest::newRow("wrong image size") << "wrongsize" << "the model is for 25x25 images";
    }

    void badCheckpointsKeepChainsRunning()
    {
        QFETCH(QString, kind);
        QFETCH(QString, expected);
        const QString path = scratchDir() + "/" + kind + ".safetensors";
        QFile::remove(path);
        if (kind == "wrongsize") {
            // A model for 25x25 faces, offered while the MNIST dataset is loaded.
            auto model = createModel({{"kind", "dae"}, {"sizes", {625, 20}}}, 3);
            saveCheckpoint(path.toStdString(), *model, nullptr, {});
        } else {
            QFile source(defaultModelResource());
            QVERIFY(source.open(QIODevice::ReadOnly));
            QByteArray bytes = kind == "truncated" ? source.read(200000) : QByteArray(5000, '\x7f');
            QFile out(path);
            QVERIFY(out.open(QIODevice::WriteOnly));
            out.write(bytes);
        }

        MainWindow window;
        window.show();
        QVERIFY(window.loadDataset("mnist-test"));
        QVERIFY(window.setModel(freshModel(smallDae(), "running")));
        window.chains()->startChains();
        QVERIFY(chainsAdvance(window.chains()));
        const StudioModelPtr before = window.currentModel();

        QSignalSpy finished(&window, &MainWindow::modelLoadFinished);
        window.openModel(path);
        QVERIFY(window.chains()->isRunning()); // the file is read on a worker; nothing waited
        QVERIFY(finished.wait(10000));
        QCOMPARE(finished.front().at(1).toBool(), false);
        QVERIFY2(window.lastError().contains(expected), qPrintable(window.lastError()));
        QVERIFY(window.findChild<QMessageBox*>("errorBox"));
        QCOMPARE(window.currentModel(), before);
        QVERIFY(window.chains()->isRunning());
        QVERIFY(chainsAdvance(window.chains()));
    }

    // A checkpoint dropped on the chains (the view's native window gets the drop from the window
    // system) or elsewhere on the window opens; other files are refused.
    void droppedCheckpointOpens()
    {
        const QString path = scratchDir() + "/dropped.safetensors";
        QFile::remove(path);
        auto model = createModel({{"kind", "dae"}, {"sizes", {784, 20}}}, 5);
        saveCheckpoint(path.toStdString(), *model, nullptr, {});
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.loadDataset("mnist-test"));
        QWindow* chains = window.chainView()->nativeWindow();
        QVERIFY(chains);
        QTRY_VERIFY(chains->isExposed());

        QMimeData text;
        text.setUrls({QUrl::fromLocalFile(scratchDir() + "/notes.txt")});
        QDragEnterEvent refused(QPoint(50, 50), Qt::CopyAction, &text, Qt::LeftButton, Qt::NoModifier);
        refused.setAccepted(false);
        QCoreApplication::sendEvent(chains, &refused);
        QVERIFY(!refused.isAccepted());

        QMimeData mime;
        mime.setUrls({QUrl::fromLocalFile(path)});
        QDragEnterEvent enter(QPoint(50, 50), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        enter.setAccepted(false);
        QCoreApplication::sendEvent(chains, &enter);
        QVERIFY(enter.isAccepted());
        QSignalSpy finished(&window, &MainWindow::modelLoadFinished);
        QDropEvent drop(QPointF(50, 50), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(chains, &drop);
        QVERIFY(finished.wait(10000));
        QCOMPARE(finished.front().at(0).toString(), path);
        QVERIFY2(finished.front().at(1).toBool(), qPrintable(window.lastError()));
        QCOMPARE(window.currentModel()->model->kind(), std::string("dae"));
    }

    // An image dropped on the chains starts every chain at it: converted to the dataset's size, and
    // inverted when it is dark-on-light while the dataset is light-on-dark. An unreadable image gets
    // a message naming the file, and the running chains keep running.
    void droppedImageStartsChains()
    {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.loadDataset("mnist-test"));
        QVERIFY(window.setModel(freshModel(smallDae(), "small dae")));
        const Dataset& mnist = *window.dataDock()->dataset();
        QWindow* target = window.chainView()->nativeWindow();
        QTRY_VERIFY(target->isExposed());
        auto drop = [&](const QString& path) {
            QMimeData mime;
            mime.setUrls({QUrl::fromLocalFile(path)});
            QDragEnterEvent enter(QPoint(40, 40), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
            enter.setAccepted(false);
            QCoreApplication::sendEvent(target, &enter);
            if (!enter.isAccepted())
                return false;
            QDropEvent dropped(QPointF(40, 40), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
            QCoreApplication::sendEvent(target, &dropped);
            return true;
        };

        // Test digit 7, drawn like a scan: dark ink on white paper, three times the size, in colour format.
        const int index = 7;
        QImage scan(84, 84, QImage::Format_RGB32);
        for (int y = 0; y < 84; ++y)
            for (int x = 0; x < 84; ++x) {
                const int ink = greyLevel(mnist.pixels(index, (y / 3) * 28 + x / 3));
                scan.setPixel(x, y, qRgb(255 - ink, 255 - ink, 255 - ink));
            }
        const QString path = scratchDir() + "/scan.png";
        QVERIFY(scan.save(path));
        QSignalSpy finished(&window, &MainWindow::imageStartFinished);
        QVERIFY(drop(path));
        QVERIFY(finished.wait(10000));
        QVERIFY2(finished.front().at(1).toBool(), qPrintable(window.lastError()));
        QCOMPARE(window.chains()->start(), ChainStart::Image);
        QVERIFY(window.chains()->startImageOrigin().contains("inverted"));
        auto* init = window.chainsDock()->findChild<QComboBox*>("chainInit");
        QVERIFY(init->currentText().startsWith("Image: scan.png"));
        // The chains were reset (not running) to the image: every chain's step-0 frame is the digit.
        window.chainView()->refresh();
        const FramePtr frame = window.chainView()->currentFrame();
        QVERIFY(frame);
        QCOMPARE(frame->step, 0);
        QCOMPARE(frame->chainCount(), window.chains()->chainCount());
        float worst = 0.0f;
        for (int c = 0; c < frame->chainCount(); ++c)
            worst = std::max(worst, (frame->cells.row(c) - mnist.pixels.row(index)).cwiseAbs().maxCoeff());
        QVERIFY2(worst <= 1.0f / 255 + 1e-4f, qPrintable(QString::number(worst)));
        // Reset keeps starting from the image.
        window.chains()->reset();
        window.chainView()->refresh();
        QCOMPARE(window.chainView()->currentFrame()->cells.row(3), frame->cells.row(3));

        // Running chains and a broken image.
        window.chains()->startChains();
        QVERIFY(chainsAdvance(window.chains()));
        const QString broken = scratchDir() + "/broken.png";
        {
            QFile out(broken);
            QVERIFY(out.open(QIODevice::WriteOnly));
            out.write(QByteArray("\x89PNG\r\n\x1a\n") + QByteArray(300, 'x'));
        }
        finished.clear();
        QVERIFY(drop(broken));
        QVERIFY(finished.wait(10000));
        QCOMPARE(finished.front().at(1).toBool(), false);
        QVERIFY2(window.lastError().contains("broken.png") && window.lastError().contains("readable image"),
                 qPrintable(window.lastError()));
        QVERIFY(window.chains()->isRunning());
        QVERIFY(chainsAdvance(window.chains()));
        // Not an image or a checkpoint: the drop is refused.
        QVERIFY(!drop(scratchDir() + "/notes.txt"));
    }

    void screenshots()
    {
        const QString dir = qEnvironmentVariable("GSN_SCREENSHOT_DIR");
        if (dir.isEmpty())
            QSKIP("set GSN_SCREENSHOT_DIR to write screenshots");
        QDir().mkpath(dir);
        MainWindow window;
        window.resize(1400, 900);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.loadDataset("mnist-test"));
        QVERIFY(window.loadDefaultModel());
        window.chains()->startChains();
        // A short training run of a small model gives the Training dock something to show; then back
        // to the default model for the chains.
        {
            MainWindow trainer;
            trainer.resize(1400, 900);
            trainer.show();
            QVERIFY(trainer.loadDataset("mnist-test"));
            QVERIFY(trainer.setModel(freshModel(smallGsn2(), "small gsn2")));
            trainer.trainingDock()->setEpochs(5);
            trainer.trainingDock()->setExamples(2000);
            QSignalSpy finished(trainer.training(), &TrainingController::finished);
            trainer.trainingDock()->startOrResume();
            QVERIFY(finished.wait(300000));
            trainer.trainingDock()->resize(420, 800);
            QVERIFY(trainer.trainingDock()->grab().save(dir + "/training-dock.png"));
        }
        QTest::qWait(2500);
        QVERIFY(grabWithChainViews(&window).save(dir + "/main-window.png"));
        window.chainsDock()->raise();
        QTest::qWait(100);
        QVERIFY(window.chainsDock()->grab().save(dir + "/chains-dock.png"));
        window.modelDock()->raise();
        QTest::qWait(100);
        QVERIFY(window.modelDock()->grab().save(dir + "/model-dock.png"));
        // The Evaluate dock after evaluating the default model from a test digit.
        auto* evaluate = window.findChild<EvaluateDock*>();
        QVERIFY(evaluate);
        evaluate->setStartImage(0);
        QSignalSpy evaluated(evaluate, &EvaluateDock::evaluationFinished);
        evaluate->evaluateModel();
        QVERIFY(evaluated.wait(600000));
        QTest::qWait(200);
        QVERIFY(evaluate->grab().save(dir + "/evaluate.png"));
    }
};

QTEST_MAIN(TestStudio)
#include "tst_gui_studio.moc"
