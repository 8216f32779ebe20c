// The Mixing lab window (issue 13 item 3): it opens from the studio (Window > Mixing lab, Ctrl+L), its
// panels step off the GUI thread from one seed and one start, random-walk Metropolis stays in its
// mode on "isolated modes" while parallel tempering crosses (read off the engine's metrics), a
// step-size change keeps the chains, and panels export as PNG and SVG files that load.

#include "mainwindow.h"
#include "mixinglab.h"
#include "mixinglabpanel.h"
#include "mixinglabrun.h"
#include "testsupport.h"

#include <QAction>
#include <QImage>
#include <QSvgRenderer>
#include <QtTest>

using namespace gsn;

namespace {

QString scratchDir()
{
    return test::scratchDir(QStringLiteral("mixinglab"));
}

// Waits until the lab has no job under way or queued and its snapshot is of the newest build.
bool waitIdle(MixingLab& lab, int ms = 20000)
{
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < ms) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        if (!lab.isBusy() && lab.snapshot())
            return true;
        QTest::qWait(5);
    }
    return false;
}

int modeOfPoint(const MixingLabSnapshot& s, const LabPanelSnapshot& p, int chain)
{
    Matrix x(1, 2);
    x(0, 0) = p.points[2 * static_cast<std::size_t>(chain)];
    x(0, 1) = p.points[2 * static_cast<std::size_t>(chain) + 1];
    return s.target->modeOf(x)[0];
}

} // namespace

class TestMixingLab : public QObject {
    Q_OBJECT
public:
    static void initMain()
    {
        test::keepGlDriverForLeakCheck();
        test::isolateSettings(scratchDir());
    }

private slots:
    void initTestCase() { test::clearSettings("tst_gui_mixinglab"); }

    void opensFromTheStudio()
    {
        MainWindow window;
        window.show();
        QAction* action = window.findChild<QAction*>(QStringLiteral("actionMixingLab"));
        QVERIFY(action);
        QCOMPARE(action->shortcut(), QKeySequence(QStringLiteral("Ctrl+L")));
        action->trigger();
        MixingLab* lab = nullptr;
        for (QWidget* w : QApplication::topLevelWidgets())
            if (auto* l = qobject_cast<MixingLab*>(w); l && l->isVisible())
                lab = l;
        QVERIFY(lab);
        QCOMPARE(lab->windowTitle(), QStringLiteral("Mixing lab"));
        action->trigger(); // the same window again, not a second one
        int labs = 0;
        for (QWidget* w : QApplication::topLevelWidgets())
            labs += qobject_cast<MixingLab*>(w) && w->isVisible() ? 1 : 0;
        QCOMPARE(labs, 1);
        lab->close();
        QCoreApplication::processEvents();
    }

    void isolatedModesRwmhStaysPtCrosses()
    {
        MixingLab lab;
        lab.resize(1200, 700);
        lab.show();
        QVERIFY(lab.setTarget(QStringLiteral("isolated-modes")));
        lab.setPanelCount(2);
        QVERIFY(lab.setPanelSampler(0, QStringLiteral("rwmh")));
        QVERIFY(lab.setPanelSampler(1, QStringLiteral("pt")));
        lab.setChains(40);
        lab.setSeed(7);
        QVERIFY(waitIdle(lab));
        MixingLabSnapshotPtr start = lab.snapshot();
        QCOMPARE(start->panels.size(), std::size_t(2));
        QCOMPARE(start->chains, 40);
        QCOMPARE(start->seed, std::uint64_t(7));
        QCOMPARE(start->panels[0].steps, std::int64_t(0));
        // the same start for every panel
        QCOMPARE(start->panels[0].points, start->panels[1].points);
        // chains start at exact draws, so both modes hold chains
        std::vector<int> startModes;
        for (int c = 0; c < 40; ++c)
            startModes.push_back(modeOfPoint(*start, start->panels[0], c));
        QVERIFY(std::count(startModes.begin(), startModes.end(), 0) > 0);
        QVERIFY(std::count(startModes.begin(), startModes.end(), 1) > 0);

        lab.step(300);
        QVERIFY(waitIdle(lab));
        const MixingLabSnapshotPtr s = lab.snapshot();
        QCOMPARE(s->panels[0].steps, std::int64_t(300));
        QCOMPARE(s->panels[1].steps, std::int64_t(300));
        const LabPanelSnapshot& rwmh = s->panels[0];
        const LabPanelSnapshot& pt = s->panels[1];
        // both moved
        int movedRwmh = 0, movedPt = 0;
        for (std::size_t i = 0; i < rwmh.points.size(); ++i) {
            movedRwmh += rwmh.points[i] != start->panels[0].points[i];
            movedPt += pt.points[i] != start->panels[1].points[i];
        }
        QVERIFY2(movedRwmh > 60 && movedPt > 60, qPrintable(QString("%1 %2").arg(movedRwmh).arg(movedPt)));
        // rwmh: no chain ever switched mode; every chain is in the mode it started in
        QCOMPARE(rwmh.report.meanSwitchRatePer100, 0.0);
        QCOMPARE(rwmh.report.firstVisit.completed, 0);
        QCOMPARE(rwmh.report.currentModes, startModes);
        QVERIFY(rwmh.report.acceptanceRate > 0.1 && rwmh.report.acceptanceRate < 0.95);
        // pt: chains cross, most see both modes, and the swaps are counted
        QVERIFY2(pt.report.meanSwitchRatePer100 > 0.5, qPrintable(QString::number(pt.report.meanSwitchRatePer100)));
        QVERIFY2(pt.report.firstVisit.completed > 8, qPrintable(QString::number(pt.report.firstVisit.completed)));
        QVERIFY(!pt.report.swapRates.empty());
        for (double r : pt.report.swapRates)
            QVERIFY(r > 0.0 && r <= 1.0);
        // visits of pt are near the true weights, rwmh's are the start's split
        QVERIFY2(pt.report.totalVariation < 0.15, qPrintable(QString::number(pt.report.totalVariation)));
        // accept / reject marks: rwmh has both kinds at its last step
        const int moved = static_cast<int>(std::count(rwmh.moved.begin(), rwmh.moved.end(), 1));
        QVERIFY(moved > 0 && moved < 40);
        QCOMPARE(rwmh.trails.size(), std::size_t(4));
        QVERIFY(rwmh.trails[0].size() > 50);
    }

    void stepSizeChangeKeepsChains()
    {
        MixingLab lab;
        lab.resize(900, 600);
        lab.show();
        QVERIFY(lab.setTarget(QStringLiteral("ring8")));
        lab.setPanelCount(2);
        QVERIFY(lab.setPanelSampler(0, QStringLiteral("rwmh")));
        QVERIFY(lab.setPanelSampler(1, QStringLiteral("mala")));
        lab.setChains(20);
        QVERIFY(waitIdle(lab));
        lab.step(50);
        QVERIFY(waitIdle(lab));
        const MixingLabSnapshotPtr before = lab.snapshot();
        QCOMPARE(before->panels[0].steps, std::int64_t(50));
        lab.setPanelStep(0, 0.2);
        lab.step(1);
        QVERIFY(waitIdle(lab));
        const MixingLabSnapshotPtr after = lab.snapshot();
        QCOMPARE(after->generation, before->generation); // the same run: chains kept
        QCOMPARE(after->panels[0].steps, std::int64_t(51));
        QCOMPARE(after->panels[0].step, 0.2);
        // a step of 0.2 moves each chain by little: the chains continue from where they were
        double far = 0;
        for (std::size_t i = 0; i < after->panels[0].points.size(); ++i)
            far = std::max(far, double(std::abs(after->panels[0].points[i] - before->panels[0].points[i])));
        QVERIFY2(far < 1.5, qPrintable(QString::number(far)));
        // a sampler change builds a new run from the same start
        QVERIFY(lab.setPanelSampler(1, QStringLiteral("ula")));
        QVERIFY(waitIdle(lab));
        QVERIFY(lab.snapshot()->generation > before->generation);
        QCOMPARE(lab.snapshot()->panels[1].steps, std::int64_t(0));
    }

    void runAndPause()
    {
        MixingLab lab;
        lab.show();
        lab.setPanelCount(2);
        lab.setChains(10);
        QVERIFY(waitIdle(lab));
        lab.run();
        QTRY_VERIFY_WITH_TIMEOUT(lab.snapshot()->panels[0].steps > 20, 5000);
        lab.pause();
        QVERIFY(waitIdle(lab));
        const std::int64_t paused = lab.snapshot()->panels[0].steps;
        QTest::qWait(200);
        QCOMPARE(lab.snapshot()->panels[0].steps, paused);
    }

    void exportsPngAndSvg()
    {
        MixingLab lab;
        lab.resize(1000, 650);
        lab.show();
        QVERIFY(lab.setTarget(QStringLiteral("isolated-modes")));
        lab.setPanelCount(2);
        lab.setChains(30);
        QVERIFY(waitIdle(lab));
        lab.step(20);
        QVERIFY(waitIdle(lab));
        MixingLabPanel* panel = lab.panel(0);
        QTRY_VERIFY_WITH_TIMEOUT(panel->hasDensity(), 5000);
        const QString png = scratchDir() + "/panel.png";
        const QString svg = scratchDir() + "/panel.svg";
        QFile::remove(png);
        QFile::remove(svg);
        panel->exportPng(png);
        panel->exportSvg(svg);
        QImage image(png);
        QVERIFY(!image.isNull());
        QCOMPARE(image.size(), panel->size());
        // the density heatmap is drawn: the plot is not one colour
        QSet<QRgb> colours;
        for (int y = 0; y < image.height(); y += 7)
            for (int x = 0; x < image.width(); x += 7)
                colours.insert(image.pixel(x, y));
        QVERIFY(colours.size() > 20);
        QSvgRenderer renderer(svg);
        QVERIFY(renderer.isValid());
        QCOMPARE(renderer.viewBox(), QRect(QPoint(0, 0), panel->size()));
        QFile file(svg);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray text = file.readAll();
        QVERIFY(text.contains("<svg"));
        QVERIFY(text.contains("<image")); // the heatmap
        // an unwritable path is refused with the file named
        const QString bad = scratchDir() + "/no/such/folder/panel.png";
        try {
            panel->exportPng(bad);
            QFAIL("expected an error");
        } catch (const std::exception& e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(bad), e.what());
        }
    }

    void zoomAndPan()
    {
        MixingLab lab;
        lab.resize(1000, 650);
        lab.show();
        lab.setPanelCount(2);
        QVERIFY(waitIdle(lab));
        MixingLabPanel* panel = lab.panel(0);
        const auto box = panel->viewBox();
        panel->zoomAt(QPointF(panel->width() / 2.0, panel->height() / 2.0), 2.0);
        const auto zoomed = panel->viewBox();
        QVERIFY((zoomed[1] - zoomed[0]) < (box[1] - box[0]) * 0.75);
        QTest::mousePress(panel, Qt::LeftButton, {}, QPoint(100, 100));
        QTest::mouseMove(panel, QPoint(150, 100));
        QTest::mouseRelease(panel, Qt::LeftButton, {}, QPoint(150, 100));
        const auto panned = panel->viewBox();
        QVERIFY(panned[0] < zoomed[0]); // dragged right: the view moves left
        QTest::mouseDClick(panel, Qt::LeftButton, {}, QPoint(100, 100));
        QCOMPARE(panel->viewBox(), lab.snapshot()->target->viewBox());
    }
};

QTEST_MAIN(TestMixingLab)
#include "tst_gui_mixinglab.moc"
