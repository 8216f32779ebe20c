// The DAE paper's Figure 3 window (issue 13 item 5): it opens from the Mixing lab (Figures > Figure 3,
// Ctrl+3), the discrete toy's chains go to their stationary distribution and close to the truth, the
// continuous toy's chains spread from one point over the training curve (the sliced W1 to exact draws
// falls toward its noise floor), a settings change builds a new run, and the figures export as PNG and
// SVG files that load.

#include "daetoyswindow.h"
#include "error.h"
#include "mixinglab.h"
#include "mixinglabmetrics.h"
#include "testsupport.h"

#include <QAction>
#include <QDoubleSpinBox>
#include <QImage>
#include <QSvgRenderer>
#include <QtTest>

#include <cmath>

using namespace gsn;

namespace {

QString scratchDir()
{
    return test::scratchDir(QStringLiteral("daetoys"));
}

bool waitIdle(DaeToysWindow& w, int ms = 30000)
{
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < ms) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        if (!w.isBusy())
            return true;
        QTest::qWait(5);
    }
    return false;
}

} // namespace

class TestDaeToys : public QObject {
    Q_OBJECT
public:
    static void initMain()
    {
        test::keepGlDriverForLeakCheck();
        test::isolateSettings(scratchDir());
    }

private slots:
    void initTestCase() { test::clearSettings("tst_gui_daetoys"); }

    void opensFromTheLab()
    {
        MixingLab lab;
        lab.show();
        QAction* action = lab.findChild<QAction*>(QStringLiteral("labFigure3"));
        QVERIFY(action);
        QCOMPARE(action->shortcut(), QKeySequence(QStringLiteral("Ctrl+3")));
        action->trigger();
        QPointer<DaeToysWindow> w = lab.openFigure3();
        QVERIFY(w && w->isVisible());
        int windows = 0;
        for (QWidget* top : QApplication::topLevelWidgets())
            windows += qobject_cast<DaeToysWindow*>(top) && top->isVisible() ? 1 : 0;
        QCOMPARE(windows, 1); // the same window again, not a second one
        w->close();
        QTRY_VERIFY(!w); // deleted on close
    }

    void discreteChainsReachTheirStationaryDistribution()
    {
        DaeToysWindow w;
        w.show();
        QVERIFY(waitIdle(w));
        QVERIFY(w.discreteView());
        QCOMPARE(w.discreteView()->steps, std::int64_t(0));
        w.step(2000);
        QVERIFY(waitIdle(w));
        const auto v = w.discreteView();
        QCOMPARE(v->steps, std::int64_t(2000));
        QVERIFY(std::abs(v->chains.sum() - 1.0) < 1e-9);
        const double toStationary = 0.5 * (v->chains - v->stationary).cwiseAbs().sum();
        qInfo("discrete: TV(chains, p) %.4f, TV(chains, pi) %.4f, TV(training, p) %.4f, TV(pi, p) %.4f", v->tvChain,
              toStationary, v->tvEmpirical, v->tvStationary);
        QVERIFY(toStationary < 0.02);
        QVERIFY(v->tvChain < 0.06);
        QVERIFY(!w.findChild<MixingLabMetricPlot*>(QStringLiteral("toysTvPlot"))->series().front().points.empty());
        // Another corruption is another estimator: a new run from step 0.
        w.findChild<QDoubleSpinBox*>(QStringLiteral("toysDiscreteKeep"))->setValue(0.8);
        QVERIFY(waitIdle(w));
        QCOMPARE(w.discreteView()->steps, std::int64_t(0));
    }

    void continuousChainsSpreadOverTheCurve()
    {
        DaeToysWindow w;
        w.show();
        w.setCurrentTab(DaeToysWindow::Continuous);
        QVERIFY(waitIdle(w));
        const auto start = w.continuousView();
        QVERIFY(start && start->data);
        QCOMPARE(start->states.rows(), Eigen::Index(2000));
        QVERIFY(start->distance > 10 * start->floor);
        w.step(60);
        QVERIFY(waitIdle(w, 60000));
        const auto later = w.continuousView();
        QCOMPARE(later->steps, std::int64_t(60));
        QVERIFY(later->data); // the run's training data stays with every view
        qInfo("continuous: sliced W1 %.3f at the start, %.3f after 60 steps, floor %.4f", start->distance, later->distance, later->floor);
        QVERIFY(later->distance < 0.25 * start->distance);

        const QString png = scratchDir() + "/figure3.png", svg = scratchDir() + "/figure3.svg";
        w.exportFigure(png);
        w.exportFigure(svg);
        QImage image(png);
        QVERIFY(!image.isNull() && image.width() > 300);
        QSvgRenderer renderer(svg);
        QVERIFY(renderer.isValid());
        QVERIFY_THROWS_EXCEPTION(Error, w.exportFigure(scratchDir() + "/figure3.bmp"));
    }

    void runsAndPauses()
    {
        DaeToysWindow w;
        w.show();
        QVERIFY(waitIdle(w));
        w.run();
        QVERIFY(w.isRunning());
        QTRY_VERIFY_WITH_TIMEOUT(w.discreteView()->steps >= 5, 10000);
        w.pause();
        QVERIFY(waitIdle(w));
        const std::int64_t steps = w.discreteView()->steps;
        QTest::qWait(300);
        QCOMPARE(w.discreteView()->steps, steps);
    }
};

QTEST_MAIN(TestDaeToys)
#include "tst_gui_daetoys.moc"
