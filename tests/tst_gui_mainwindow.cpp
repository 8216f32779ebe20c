// Main window tests (under Xvfb): opens with a real dataset shown in the chain view and the Data
// dock; load failures become a message box with the one-line error, never a crash.

#include "chainview.h"
#include "datadock.h"
#include "datasets.h"
#include "framestatslabel.h"
#include "glformat.h"
#include "mainwindow.h"
#include "testsupport.h"

#include <QAction>
#include <QActionGroup>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QListView>
#include <QMessageBox>
#include <QDockWidget>
#include <QLabel>
#include <QSignalSpy>
#include <QSettings>
#include <QTest>

using namespace gsn;

namespace {

QString scratchDir()
{
    return test::scratchDir("gui_mainwindow");
}

// Restores GSN_DATA_DIR when a test that changed it ends (also when it fails).
class DataDirOverride {
public:
    explicit DataDirOverride(const QString& dir) : m_had(qEnvironmentVariableIsSet("GSN_DATA_DIR")),
                                                   m_old(qgetenv("GSN_DATA_DIR"))
    {
        qputenv("GSN_DATA_DIR", dir.toLocal8Bit());
    }
    ~DataDirOverride()
    {
        if (m_had)
            qputenv("GSN_DATA_DIR", m_old);
        else
            qunsetenv("GSN_DATA_DIR");
    }

private:
    bool m_had;
    QByteArray m_old;
};

QMessageBox* errorBox(MainWindow& window)
{
    return window.findChild<QMessageBox*>(QStringLiteral("errorBox"));
}

} // namespace

class TestMainWindow : public QObject {
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
        test::clearSettings("tst_gui_mainwindow");
    }

    void opensWithDatasetShown()
    {
        MainWindow window;
        window.resize(1000, 700);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY2(window.loadDataset("mnist-test"), qPrintable(window.lastError()));
        QVERIFY(window.lastError().isEmpty());
        QVERIFY(!errorBox(window));

        // The Data dock holds the dataset and its strip lists every example.
        DataDock* dock = window.dataDock();
        QVERIFY(dock->dataset());
        QCOMPARE(dock->dataset()->count(), 10000);
        auto* strip = dock->findChild<QListView*>("exampleStrip");
        QVERIFY(strip);
        QCOMPARE(strip->model()->rowCount(), 10000);
        QCOMPARE(dock->findChild<QComboBox*>("datasetChooser")->currentData().toString(), QString("mnist-test"));

        // The chain view shows the first 100 test digits, drawn exactly.
        ChainView* view = window.chainView();
        // The studio's other docks take room: give the view enough for 10 columns at zoom 2.
        for (QDockWidget* other : window.findChildren<QDockWidget*>())
            if (other != dock)
                other->hide();
        window.resize(1260, 900);
        QTest::qWait(50);
        view->refresh();
        QVERIFY(view->currentFrame());
        QCOMPARE(view->currentFrame()->chainCount(), 100);
        QCOMPARE(view->currentFrame()->layout.width, 28);
        QVERIFY(view->currentFrame()->cells == dock->dataset()->pixels.topRows(100));
        view->setColumns(10);
        view->setZoom(2.0);
        view->setPan(QPointF(0, 0));
        const QImage image = view->grabFramebuffer();
        QVERIFY2(view->glError().isEmpty(), qPrintable(view->glError()));
        int worst = 0;
        for (int chain = 0; chain < 100; chain += 11) {
            const QRectF rect = view->cellRect(chain / 10, chain % 10);
            for (int y = 0; y < 28; ++y)
                for (int x = 0; x < 28; ++x) {
                    const int want = greyLevel(dock->dataset()->pixels(chain, y * 28 + x));
                    worst = std::max(worst, std::abs(qRed(image.pixel(int(rect.x() + 2 * x + 1), int(rect.y() + 2 * y + 1))) - want));
                }
        }
        QVERIFY2(worst <= 1, qPrintable(QString::number(worst)));

        // The status bar reports drawing.
        auto* stats = window.findChild<FrameStatsLabel*>("frameStats");
        QVERIFY(stats);
        stats->updateStats();
        QVERIFY(stats->text().contains("frames drawn/s"));
        QVERIFY(stats->text().contains("dropped: 0"));
    }

    void switchesDataset_data()
    {
        QTest::addColumn<QString>("spec");
        QTest::addColumn<int>("width");
        QTest::addColumn<int>("count");
        QTest::newRow("fashion") << "fashion-test" << 28 << 10000;
        QTest::newRow("faces") << "faces" << 25 << 100;
    }

    void switchesDataset()
    {
        QFETCH(QString, spec);
        QFETCH(int, width);
        QFETCH(int, count);
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.loadDataset("mnist-test"));
        QVERIFY(window.chainView()->classifier()); // MNIST: hovering names digits' classes
        QVERIFY2(window.loadDataset(spec), qPrintable(window.lastError()));
        QCOMPARE(window.dataDock()->dataset()->count(), count);
        QVERIFY(!window.chainView()->classifier()); // Fashion-MNIST and faces: the digit classifier does not apply
        window.chainView()->refresh();
        QCOMPARE(window.chainView()->currentFrame()->layout.width, width);
        window.chainView()->grabFramebuffer();
        QVERIFY(window.chainView()->glError().isEmpty());
    }

    // Choosing a dataset in the dock reads it on a worker: the choice returns at once, the dock says it is
    // loading, and the dataset arrives later on the GUI thread (then loadFinished).
    void datasetLoadsOffTheGuiThread()
    {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.loadDataset("mnist-test"));
        DataDock* dock = window.dataDock();
        QSignalSpy finished(dock, &DataDock::loadFinished);
        QSignalSpy loaded(dock, &DataDock::datasetLoaded);
        dock->requestDataset("mnist-train");
        QVERIFY(dock->isLoading());
        QVERIFY(loaded.isEmpty());
        QCOMPARE(QString::fromStdString(dock->dataset()->name), QString("mnist-test")); // still the old one
        QVERIFY2(dock->findChild<QLabel*>("datasetInfo")->text().startsWith("Loading"),
                 qPrintable(dock->findChild<QLabel*>("datasetInfo")->text()));
        QVERIFY(finished.wait(60000));
        QCOMPARE(finished.front().at(0).toBool(), true);
        QCOMPARE(loaded.size(), 1);
        QCOMPARE(dock->dataset()->count(), 50000);
        // A newer request supersedes one still loading: only the newest arrives.
        finished.clear();
        loaded.clear();
        dock->requestDataset("mnist-train");
        dock->requestDataset("faces");
        QVERIFY(finished.wait(60000));
        QTest::qWait(200);
        QCOMPARE(loaded.size(), 1);
        QCOMPARE(dock->currentSpec(), QString("faces"));
    }

    // A missing data folder: a message box with the loader's one-line error; the window keeps the
    // dataset it had.
    void missingDataDirShowsError()
    {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.loadDataset("mnist-test"));
        const QString missing = scratchDir() + "/no-such-data-dir";
        QDir(missing).removeRecursively();
        {
            DataDirOverride override(missing);
            QVERIFY(!window.loadDataset("fashion-test"));
        }
        const QString message = window.lastError();
        QVERIFY(!message.isEmpty());
        QVERIFY2(!message.contains('\n'), qPrintable(message));
        QVERIFY2(message.contains("no-such-data-dir"), qPrintable(message));
        QMessageBox* box = errorBox(window);
        QVERIFY(box);
        QVERIFY(box->isVisible());
        QCOMPARE(box->text(), message);
        box->accept();
        QTRY_VERIFY(!errorBox(window)); // deleted on close
        QCOMPARE(QString::fromStdString(window.dataDock()->dataset()->name), QString("mnist-test"));
        QCOMPARE(window.dataDock()->findChild<QComboBox*>("datasetChooser")->currentData().toString(),
                 QString("mnist-test"));
    }

    void missingDataDirAtStart()
    {
        const QString missing = scratchDir() + "/no-such-data-dir";
        DataDirOverride override(missing);
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(!window.loadDataset("mnist-test"));
        QVERIFY(errorBox(window));
        QVERIFY(!window.dataDock()->dataset());
        window.chainView()->refresh();
        QVERIFY(!window.chainView()->currentFrame());
        window.chainView()->grabFramebuffer(); // an empty view draws fine
    }

    // Broken files the test writes itself: each is a one-line message naming the file.
    void brokenFileShowsError_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QByteArray>("bytes");
        const QByteArray header = QByteArray::fromHex("00000803" "0000000a" "0000001c" "0000001c");
        QTest::newRow("truncated IDX") << "truncated-images-idx3-ubyte" << (header + QByteArray(100, '\x7f'));
        QTest::newRow("IDX header only") << "header-images-idx3-ubyte" << header.left(10);
        QTest::newRow("overflowing IDX dims")
            << "huge-images-idx3-ubyte" << QByteArray::fromHex("00000803" "7fffffff" "7fffffff" "7fffffff");
        QTest::newRow("npy with bad magic") << "bad.npy" << QByteArray("not a numpy file at all");
        QTest::newRow("mat that is not a mat") << "faces.mat" << QByteArray(300, 'x');
    }

    void brokenFileShowsError()
    {
        QFETCH(QString, name);
        QFETCH(QByteArray, bytes);
        const QString path = scratchDir() + "/" + name;
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        file.write(bytes);
        file.close();
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(!window.loadDataset(path));
        const QString message = window.lastError();
        QVERIFY2(message.contains(name), qPrintable(message));
        QVERIFY2(!message.contains('\n'), qPrintable(message));
        QMessageBox* box = errorBox(window);
        QVERIFY(box);
        QCOMPARE(box->text(), message);
    }

    // Geometry and view settings survive a restart.
    void settingsRoundTrip()
    {
        QRect geometry;
        {
            MainWindow window;
            window.resize(820, 610);
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            QVERIFY(window.loadDataset("faces"));
            auto* group = window.findChildren<QActionGroup*>().value(0);
            QVERIFY(group);
            for (QAction* action : group->actions())
                if (action->data().toString() == "viridis")
                    action->trigger();
            QCOMPARE(window.chainView()->colorMap(), ColorMap::Viridis);
            window.findChild<QAction*>("actionSmooth")->setChecked(true);
            geometry = window.geometry();
            window.close();
        }
        MainWindow again;
        again.show();
        QVERIFY(QTest::qWaitForWindowExposed(&again));
        QCOMPARE(again.chainView()->colorMap(), ColorMap::Viridis);
        QVERIFY(again.chainView()->smooth());
        QCOMPARE(again.size(), geometry.size());
        QCOMPARE(QSettings().value("data/spec").toString(), QString("faces"));
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_gui_mainwindow.moc"
