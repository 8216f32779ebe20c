// The PyTorch bridge's "done when" (issue 17) under Xvfb: a GSN-2 trained with
// `torchrun --nproc_per_node 2 python/gsn_torch/train.py` (DDP, gloo) opens in the studio, becomes its
// current model with the epoch the file says, and its chains run on it and reach the view.
// Skipped with a message (never passed) when /usr/bin/python3 has no PyTorch (setup.sh installs
// python3-torch python3-numpy); a failure of the training run itself fails the test.

#include "chaincontroller.h"
#include "chainview.h"
#include "checkpoint.h"
#include "glformat.h"
#include "guisupport.h"
#include "mainwindow.h"
#include "modeldock.h"
#include "testsupport.h"

#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QTest>

#include <csignal>
#include <unistd.h>

using namespace gsn;

namespace {

QString scratchDir()
{
    return test::scratchDir("gui_bridge");
}

bool hasTorch()
{
    QProcess p;
    p.start(QStringLiteral("/usr/bin/python3"), {QStringLiteral("-c"), QStringLiteral("import torch, numpy")});
    return p.waitForFinished(60000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}


// A free TCP port on the loopback interface for torchrun's rendezvous (asked of the same python).
QString freePort()
{
    QProcess p;
    p.start(QStringLiteral("/usr/bin/python3"),
            {QStringLiteral("-c"), QStringLiteral("import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); "
                                                  "print(s.getsockname()[1])")});
    p.waitForFinished(60000);
    return QString::fromLatin1(p.readAllStandardOutput()).trimmed();
}

} // namespace

class TestBridge : public QObject {
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
        test::clearSettings("tst_gui_bridge");
    }

    void torchrunCheckpointOpensAndChainsRun()
    {
        if (!hasTorch())
            QSKIP("PyTorch is not installed for /usr/bin/python3 (setup.sh installs python3-torch python3-numpy)");
        const QString path = scratchDir() + "/ddp-gsn2.safetensors";
        QFile::remove(path);
        QProcess run;
        run.setProcessChannelMode(QProcess::MergedChannels);
        // Its own process group, so a timeout can stop torchrun and its workers together.
        run.setChildProcessModifier([] { setpgid(0, 0); });
        // --redirects/--tee: Debian's torchrun cannot parse its default (docs/beyond-one-machine.md).
        run.start(QStringLiteral("torchrun"),
                  {"--redirects", "9:1", "--tee", "9:1", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
                   "--master_port", freePort(),
                   QStringLiteral(GSN_SOURCE_DIR) + "/python/gsn_torch/train.py",
                   "--model", "gsn2", "--hidden", "64,32", "--data", "mnist", "--examples", "200", "--batch", "50",
                   "--epochs", "1", "--threads", "1", "--quiet", "--out", path});
        const bool finished = run.waitForFinished(180000);
        if (!finished) {
            ::kill(-static_cast<pid_t>(run.processId()), SIGKILL);
            run.waitForFinished(10000);
        }
        QVERIFY2(finished, qPrintable("torchrun did not finish within 3 minutes: " + QString::fromLocal8Bit(run.readAll()).right(3000)));
        const QString log = QString::fromLocal8Bit(run.readAll());
        QVERIFY2(run.exitStatus() == QProcess::NormalExit && run.exitCode() == 0, qPrintable(log.right(3000)));
        QVERIFY2(QFile::exists(path), qPrintable(log.right(3000)));

        MainWindow window;
        window.resize(1000, 700);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY2(window.loadDataset("mnist-test"), qPrintable(window.lastError()));
        QSignalSpy opened(&window, &MainWindow::modelLoadFinished);
        window.openModel(path);
        QVERIFY(opened.wait(20000));
        QCOMPARE(opened.front().at(1).toBool(), true);
        QVERIFY2(window.lastError().isEmpty(), qPrintable(window.lastError()));
        QCOMPARE(window.currentModel()->path, path);
        QCOMPARE(window.currentModel()->model->kind(), std::string("gsn2"));
        QCOMPARE(window.currentModel()->epoch, 1);
        QVERIFY(window.currentModel()->state); // with momentum: training can continue in the studio
        QCOMPARE(window.currentModel()->model->layerSizes(), (std::vector<int>{784, 64, 32}));

        // Its chains run and reach the view.
        window.chains()->startChains();
        const std::uint64_t before = window.chains()->steps();
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < 10000 && window.chains()->steps() <= before + 2)
            QTest::qWait(20);
        QVERIFY2(window.chains()->steps() > before + 2, "the chains did not advance on the bridge's model");
        QTRY_VERIFY_WITH_TIMEOUT(window.chainView()->currentFrame() && window.chainView()->currentFrame()->step > 0, 10000);
        const FramePtr frame = window.chainView()->currentFrame();
        QCOMPARE(frame->layout, FrameLayout::image(28, 28));
        QVERIFY(frame->chainCount() > 0);
        QVERIFY(frame->cells.allFinite());
        QVERIFY2(frame->cells.minCoeff() >= 0.0f && frame->cells.maxCoeff() <= 1.0f, "means outside [0, 1]");
        QVERIFY2(frame->cells.maxCoeff() - frame->cells.minCoeff() > 0.1f, "the chains show a constant image");
    }
};

QTEST_MAIN(TestBridge)
#include "tst_gui_bridge.moc"
