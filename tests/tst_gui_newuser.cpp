// The studio as a new user meets it (issue 14): the first window fits the screen with the chain view
// dominant, nothing done inside the window resizes it, docks never overlap, every dock is in the Window
// menu, View > Reset layout, Quit ends the program (every window), and work is never lost without a
// question (Save / Discard / Cancel before New model, Open and Quit).

#include "chainsdock.h"
#include "chainview.h"
#include "evaluatedock.h"
#include "glformat.h"
#include "guisupport.h"
#include "inpaintwindow.h"
#include "mainwindow.h"
#include "modelregistry.h"
#include "testsupport.h"
#include "trainingcontroller.h"
#include "trainingdock.h"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDockWidget>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QPointer>
#include <QPushButton>
#include <QScreen>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTest>

using namespace gsn;

namespace {

QString scratchDir()
{
    return test::scratchDir("gui_newuser");
}

StudioModelPtr freshModel(const nlohmann::json& config, const QString& name)
{
    auto entry = std::make_shared<StudioModel>();
    entry->model = std::shared_ptr<const Model>(createModel(config, 1));
    entry->name = name;
    return entry;
}

StudioModelPtr smallDae(const QString& name = QStringLiteral("small dae"))
{
    return freshModel({{"kind", "dae"}, {"sizes", {784, 32}}}, name);
}

// Trains the window's current model for one short epoch, to the end.
bool trainOneEpoch(MainWindow& window)
{
    QSignalSpy finished(window.training(), &TrainingController::finished);
    window.trainingDock()->setEpochs(1);
    window.trainingDock()->setExamples(200);
    window.trainingDock()->startOrResume();
    if (!window.training()->isRunning() || !finished.wait(60000))
        return false;
    return finished.front().at(0).value<TrainingController::Status>() == TrainingController::Status::Finished;
}

// The docks the user sees side by side (tabbed docks share one place: only the raised one counts).
QList<QDockWidget*> visibleDocks(MainWindow& window)
{
    QList<QDockWidget*> docks;
    for (QDockWidget* dock : window.findChildren<QDockWidget*>(QString(), Qt::FindDirectChildrenOnly))
        if (dock->isVisible() && !dock->visibleRegion().isEmpty())
            docks << dock;
    return docks;
}

QString rectText(const QRect& r)
{
    return QStringLiteral("%1x%2+%3+%4").arg(r.width()).arg(r.height()).arg(r.x()).arg(r.y());
}

} // namespace

class TestNewUser : public QObject {
    Q_OBJECT
public:
    static void initMain()
    {
        test::isolateSettings(scratchDir());
        test::keepGlDriverForLeakCheck();
        setDefaultSurfaceFormat();
    }

private slots:
    void init()
    {
        test::clearSettings("tst_gui_newuser"); // every test is a first start unless it says otherwise
    }

    // First start: most of the screen, never more; the minimum size fits a 1366x768 laptop screen; the
    // chain view is the widest thing in the window.
    void firstStartFitsTheScreen()
    {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY2(window.loadDataset("mnist-test"), qPrintable(window.lastError()));
        QVERIFY2(window.loadDefaultModel(), qPrintable(window.lastError()));
        QTest::qWait(50);
        const QRect available = window.screen()->availableGeometry();
        QVERIFY2(available.contains(window.frameGeometry()),
                 qPrintable(rectText(window.frameGeometry()) + " outside " + rectText(available)));
        QCOMPARE(window.size(), MainWindow::defaultSize(available.size()).boundedTo(available.size()));
        const QSize minimum = window.minimumSizeHint().expandedTo(window.minimumSize());
        QVERIFY2(minimum.width() <= 1366 && minimum.height() <= 768 - 40,
                 qPrintable(QStringLiteral("minimum %1x%2").arg(minimum.width()).arg(minimum.height())));
        // The chain view is the widest part of the window (more than half of it on a 1366-pixel screen, 47 % on
        // 1280, where the two dock columns keep their contents' minimum widths).
        for (QDockWidget* dock : window.findChildren<QDockWidget*>(QString(), Qt::FindDirectChildrenOnly))
            if (dock->isVisible())
                QVERIFY2(window.chainView()->width() > dock->width(), qPrintable(dock->objectName()));
        QVERIFY2(window.chainView()->width() * 100 >= 45 * window.width(),
                 qPrintable(QStringLiteral("chain view %1 of %2").arg(window.chainView()->width()).arg(window.width())));
        // The status bar is on the screen.
        const QRect status(window.statusBar()->mapToGlobal(QPoint(0, 0)), window.statusBar()->size());
        QVERIFY2(available.contains(status), qPrintable(rectText(status)));
    }

    // A laptop-sized window stays that size through loading, training (loss curve, epoch strips) and
    // evaluation history; the docks do not overlap one another or the status bar.
    void nothingInsideResizesTheWindow()
    {
        MainWindow window;
        window.resize(1366, 700);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY2(window.loadDataset("mnist-test"), qPrintable(window.lastError()));
        QVERIFY(window.setModel(smallDae()));
        const QSize before = window.size();
        QVERIFY(trainOneEpoch(window));
        QTest::qWait(100);
        QCOMPARE(window.size(), before);
        window.chainView()->fitToView();
        QCOMPARE(window.size(), before);

        window.resize(1000, 640); // smaller than the first-start size: docks compress, never overlap
        QTest::qWait(100);
        QCOMPARE(window.size(), QSize(1000, 640));
        const QList<QDockWidget*> docks = visibleDocks(window);
        QVERIFY(docks.size() >= 3);
        const QRect status = window.statusBar()->geometry();
        for (int i = 0; i < docks.size(); ++i) {
            QVERIFY2(!docks[i]->geometry().intersects(status), qPrintable(docks[i]->objectName()));
            QVERIFY2(window.rect().contains(docks[i]->geometry()), qPrintable(docks[i]->objectName()));
            for (int j = i + 1; j < docks.size(); ++j)
                QVERIFY2(!docks[i]->geometry().intersects(docks[j]->geometry()),
                         qPrintable(docks[i]->objectName() + " overlaps " + docks[j]->objectName()));
        }
    }

    void everyDockIsInTheWindowMenu()
    {
        MainWindow window;
        QMenu* menu = nullptr;
        for (QAction* action : window.menuBar()->actions())
            if (action->text().remove('&') == "Window")
                menu = action->menu();
        QVERIFY(menu);
        const QList<QDockWidget*> docks = window.findChildren<QDockWidget*>(QString(), Qt::FindDirectChildrenOnly);
        QVERIFY(docks.size() >= 5);
        for (QDockWidget* dock : docks)
            QVERIFY2(menu->actions().contains(dock->toggleViewAction()), qPrintable(dock->windowTitle()));
        // Closed, the Evaluate dock comes back from the menu.
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.evaluateDock()->close();
        QVERIFY(!window.evaluateDock()->isVisible());
        window.evaluateDock()->toggleViewAction()->trigger();
        QVERIFY(window.evaluateDock()->isVisible());
    }

    void resetLayoutBringsEveryDockBack()
    {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        const QSize first = window.size();
        window.evaluateDock()->close();
        window.trainingDock()->setFloating(true);
        window.resize(700, 500);
        auto* reset = window.findChild<QAction*>("actionResetLayout");
        QVERIFY(reset);
        reset->trigger();
        QTest::qWait(50);
        QVERIFY(window.evaluateDock()->isVisible());
        QVERIFY(!window.trainingDock()->isFloating());
        QCOMPARE(window.size(), first);
    }

    // The next start restores the size and the docks the user left.
    void layoutIsRestoredOnTheNextStart()
    {
        {
            MainWindow window;
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            window.resize(1100, 650);
            window.evaluateDock()->close();
            QTest::qWait(50);
            QVERIFY(window.close());
        }
        MainWindow next;
        next.show();
        QVERIFY(QTest::qWaitForWindowExposed(&next));
        QCOMPARE(next.size(), QSize(1100, 650));
        QVERIFY(!next.evaluateDock()->isVisible());
    }

    // File > Quit with the Inpainting window open ends the program: no window of the studio is left.
    void quitClosesEveryWindow()
    {
        auto* window = new MainWindow;
        window->setAttribute(Qt::WA_DeleteOnClose);
        window->show();
        QVERIFY(QTest::qWaitForWindowExposed(window));
        QVERIFY2(window->loadDataset("mnist-test"), qPrintable(window->lastError()));
        QVERIFY2(window->loadDefaultModel(), qPrintable(window->lastError()));
        window->findChild<QAction*>("actionInpainting")->trigger();
        QPointer<InpaintWindow> inpaint;
        for (QWidget* widget : QApplication::topLevelWidgets())
            if (auto* w = qobject_cast<InpaintWindow*>(widget))
                inpaint = w;
        QVERIFY(inpaint);
        QVERIFY(inpaint->isVisible());
        QPointer<MainWindow> main = window;
        window->findChild<QAction*>("actionQuit")->trigger();
        QTRY_VERIFY(main.isNull());
        QTRY_VERIFY(inpaint.isNull());
        for (QWidget* widget : QApplication::topLevelWidgets())
            QVERIFY2(!widget->isVisible(), qPrintable(widget->metaObject()->className()));
    }

    // The Inpainting window opens on the studio's model and closes with Esc or Ctrl+W.
    void inpaintWindowClosesWithEscAndCtrlW_data()
    {
        QTest::addColumn<QKeySequence>("keys");
        QTest::newRow("Esc") << QKeySequence(Qt::Key_Escape);
        QTest::newRow("Ctrl+W") << QKeySequence(QKeySequence::Close);
    }
    void inpaintWindowClosesWithEscAndCtrlW()
    {
        QFETCH(QKeySequence, keys);
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY2(window.loadDataset("mnist-test"), qPrintable(window.lastError()));
        QVERIFY2(window.loadDefaultModel(), qPrintable(window.lastError()));
        window.findChild<QAction*>("actionInpainting")->trigger();
        QPointer<InpaintWindow> inpaint;
        for (QWidget* widget : QApplication::topLevelWidgets())
            if (auto* w = qobject_cast<InpaintWindow*>(widget))
                inpaint = w;
        QVERIFY(inpaint);
        QCOMPARE(inpaint->lastMessage(), QString("Model default GSN-2 (gsn2, 28x28)"));
        inpaint->activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(inpaint));
        QTest::keySequence(inpaint.data(), keys);
        QTRY_VERIFY(inpaint.isNull()); // closed and deleted
        QVERIFY(window.isVisible());
    }

    // Without a model, Train is disabled and its tooltip says why; with one it is enabled.
    void trainNeedsAModel()
    {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY2(window.loadDataset("mnist-test"), qPrintable(window.lastError()));
        auto* train = window.trainingDock()->findChild<QPushButton*>("trainStart");
        QVERIFY(train);
        QVERIFY(!train->isEnabled());
        QVERIFY2(train->toolTip().startsWith("There is no model to train"), qPrintable(train->toolTip()));
        QVERIFY(window.setModel(smallDae()));
        QVERIFY(train->isEnabled());
    }

    // Asking for more examples than the dataset has trains on all of them, and the dock says so.
    void fewerExamplesThanAskedIsSaid()
    {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY2(window.loadDataset("faces"), qPrintable(window.lastError()));
        const auto data = window.session()->dataset();
        QVERIFY(data);
        QVERIFY(data->count() < 1000);
        QVERIFY(window.setModel(freshModel({{"kind", "dae"}, {"sizes", {data->dimension(), 16}}}, "faces dae")));
        QSignalSpy finished(window.training(), &TrainingController::finished);
        window.trainingDock()->setEpochs(1);
        window.trainingDock()->setExamples(1000);
        window.trainingDock()->startOrResume();
        auto* note = window.trainingDock()->findChild<QLabel*>("trainNote");
        QVERIFY(note);
        QVERIFY(note->isVisible());
        QVERIFY2(note->text().contains(QString("has only %1 images: training on all %1 (Examples asks for 1000)").arg(data->count())),
                 qPrintable(note->text()));
        QVERIFY(finished.wait(60000));
        window.session()->setReplaceGuard({}); // the test's model need not be saved
    }

    // Model and data that do not fit are said where the user looks, with a way out; the Evaluate dock
    // offers only what applies to the loaded data.
    void modelAndDataThatDoNotFitAreSaid()
    {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY2(window.loadDataset("mnist-test"), qPrintable(window.lastError()));
        QVERIFY2(window.loadDefaultModel(), qPrintable(window.lastError()));
        auto* note = window.chainsDock()->findChild<QLabel*>("chainsDataNote");
        auto* offer = window.chainsDock()->findChild<QPushButton*>("chainsNewModelForData");
        auto* status = window.findChild<QLabel*>("dataFitLabel");
        QVERIFY(note && offer && status);
        QVERIFY2(note->text().contains("trained on mnist-train") && note->text().contains("(28x28 images)") &&
                     note->text().contains("the loaded mnist-test fits it"),
                 qPrintable(note->text()));
        QVERIFY(!offer->isVisible());
        QVERIFY(!status->isVisible());

        QVERIFY2(window.loadDataset("fashion-test"), qPrintable(window.lastError()));
        QVERIFY2(note->text().contains("is other data (28x28 images too)"), qPrintable(note->text()));
        QVERIFY(offer->isVisible());
        QVERIFY(status->isVisible());
        auto* baseline = window.evaluateDock()->findChild<QPushButton*>("evaluateBaselineButton");
        auto* startKind = window.evaluateDock()->findChild<QComboBox*>("evaluateStartKind");
        QVERIFY(baseline && startKind);
        QVERIFY(!baseline->isEnabled());
        QCOMPARE(startKind->currentText(), QString("uniform noise"));

        QVERIFY2(window.loadDataset("faces"), qPrintable(window.lastError()));
        QVERIFY2(note->text().contains("has 25x25 images: its chains cannot start from these images"), qPrintable(note->text()));
        offer->click(); // a new model for the faces
        QVERIFY(window.currentModel());
        QCOMPARE(window.currentModel()->model->visibleSize(), 625);
        QVERIFY2(note->text().contains("The model (25x25 images) is not trained on any dataset yet; the loaded faces fits it"),
                 qPrintable(note->text()));
        QVERIFY(!status->isVisible());

        QVERIFY2(window.loadDataset("mnist-test"), qPrintable(window.lastError()));
        QCOMPARE(startKind->currentText(), QString("test digit")); // the default is back with MNIST
        QVERIFY(baseline->isEnabled());
    }

    // A model trained for a while is not replaced, and the studio does not quit, without asking.
    void unsavedTrainingIsNeverLostSilently()
    {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY2(window.loadDataset("mnist-test"), qPrintable(window.lastError()));
        QVERIFY(window.setModel(smallDae("my dae")));
        QVERIFY(trainOneEpoch(window));
        const StudioModelPtr trained = window.currentModel();
        QVERIFY(window.session()->hasUnsavedWork());
        QAction* newModel = nullptr;
        for (QAction* action : window.findChildren<QAction*>())
            if (action->shortcut() == QKeySequence(QKeySequence::New))
                newModel = action;
        QVERIFY(newModel);
        {
            test::BoxAnswerer cancel(QStringLiteral("unsavedWorkBox"), QMessageBox::Cancel);
            newModel->trigger(); // Ctrl+N
            QCOMPARE(cancel.answered(), 1);
            QVERIFY2(cancel.lastText().contains("has been trained since it was last saved"),
                     qPrintable(cancel.lastText()));
            QCOMPARE(window.currentModel(), trained);
            window.loadDefaultModel(); // File > Open default model
            QCOMPARE(cancel.answered(), 2);
            QCOMPARE(window.currentModel(), trained);
            QVERIFY(!window.close()); // Quit, cancelled
            QCOMPARE(cancel.answered(), 3);
            QVERIFY(window.isVisible());
        }
        {
            // A run going on: asked too; Discard stops it and replaces the model.
            window.trainingDock()->setEpochs(100);
            window.trainingDock()->startOrResume();
            QVERIFY(window.training()->isRunning());
            test::BoxAnswerer discard(QStringLiteral("unsavedWorkBox"), QMessageBox::Discard);
            QVERIFY(window.loadDefaultModel());
            QCOMPARE(discard.answered(), 1);
            QVERIFY2(discard.lastText().contains("is being trained"), qPrintable(discard.lastText()));
            QVERIFY(!window.training()->isRunning());
            QCOMPARE(window.currentModel()->name, QString("default GSN-2"));
            QVERIFY(window.close()); // nothing unsaved now: no question
            QCOMPARE(discard.answered(), 1);
        }
        QTRY_COMPARE_WITH_TIMEOUT(TrainingController::liveWorkers(), 0, 10000);
    }
};

QTEST_MAIN(TestNewUser)
#include "tst_gui_newuser.moc"
