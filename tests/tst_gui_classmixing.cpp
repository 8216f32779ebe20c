// The Class mixing window (issue 15 items 1 and 2): it opens from the studio (Window > Class mixing,
// Ctrl+Shift+M, next to the Mixing lab), its five panels (the shipped GSN-2, DAE, DAE with walkback, RBM
// Gibbs, RBM tempering) step together off the GUI thread from one seed and one start, the timelines grow
// and then scroll with hover text naming step, class and confidence, the metrics and timelines are the
// engine's (ClassMixingChains with a full ClassTimeline and classMixingReport on the same chains), and
// the PCA views project the chains with the engine's PCA and draw them, and the JSON and CSV exports
// parse and carry the schema of `gsn mixing --out`; a panel runs a checkpoint file chosen for it, and a
// file that does not fit is refused naming it. The Interpolation tab (issue 15 item 3) draws one
// strip row per space of the chosen model (x, h1, h2 for the GSN-2), fits a 1366x768 screen, and
// exports the strip as a PNG that decodes to the strip drawn.

#include "classcolours.h"
#include "classinterpolationview.h"
#include "classmixingpanel.h"
#include "classmixingrun.h"
#include "classmixingwindow.h"
#include "classpcaview.h"
#include "classtimelineview.h"
#include "defaultmodel.h"
#include "error.h"
#include "mainwindow.h"
#include "testsupport.h"

#include <QAction>
#include <QImageReader>
#include <QLabel>
#include <QScrollArea>
#include <QSignalSpy>
#include <QTabWidget>
#include <QToolBar>
#include <QMenu>
#include <QMenuBar>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <set>
#include <tuple>
#include <sstream>
#include <QtTest>

using namespace gsn;

namespace {

QString scratchDir()
{
    return test::scratchDir(QStringLiteral("classmixing"));
}

// Waits until the window has no job under way or queued and has a snapshot (false at once on an error).
bool waitIdle(ClassMixingWindow& w, int ms = 120000)
{
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < ms) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        if (!w.lastError().isEmpty())
            return false; // the window shows an error (e.g. no MNIST test set: run ./setup.sh)
        if (!w.isBusy() && w.snapshot())
            return true;
        QTest::qWait(5);
    }
    return false;
}

std::string readText(const QString& path)
{
    std::ifstream in(path.toStdString(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// CSV text -> rows of fields (quoted fields with commas and doubled quotes).
std::vector<std::vector<std::string>> parseCsv(const std::string& text)
{
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> row;
    std::string field;
    bool quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            row.push_back(field);
            field.clear();
        } else if (c == '\n') {
            row.push_back(field);
            field.clear();
            rows.push_back(row);
            row.clear();
        } else {
            field += c;
        }
    }
    return rows;
}

// Equal within `tolerance`, or both NaN, or the same infinity (an R-hat of chains that never change mode).
bool sameOrBothNaN(double a, double b, double tolerance)
{
    return (std::isnan(a) && std::isnan(b)) || a == b || std::abs(a - b) <= tolerance;
}

} // namespace

class TestClassMixing : public QObject {
    Q_OBJECT
public:
    static void initMain()
    {
        test::keepGlDriverForLeakCheck();
        test::isolateSettings(scratchDir());
    }

private slots:
    void initTestCase() { test::clearSettings("tst_gui_classmixing"); }

    void opensFromTheWindowMenu()
    {
        MainWindow window;
        window.show();
        QAction* action = window.findChild<QAction*>(QStringLiteral("actionClassMixing"));
        QVERIFY(action);
        QCOMPARE(action->shortcut(), QKeySequence(QStringLiteral("Ctrl+Shift+M")));
        // No other action of the studio has that shortcut.
        for (QAction* other : window.findChildren<QAction*>())
            if (other != action)
                QVERIFY2(other->shortcut() != action->shortcut(), qPrintable(other->text()));
        // In the Window menu, right after the Mixing lab.
        QMenu* windows = nullptr;
        for (QAction* top : window.menuBar()->actions())
            if (top->menu() && top->menu()->actions().contains(action))
                windows = top->menu();
        QVERIFY(windows);
        QCOMPARE(windows->title().remove(QLatin1Char('&')), QStringLiteral("Window"));
        const QList<QAction*> entries = windows->actions();
        const int lab = static_cast<int>(entries.indexOf(window.findChild<QAction*>(QStringLiteral("actionMixingLab"))));
        QVERIFY(lab >= 0);
        QCOMPARE(entries.indexOf(action), lab + 1);

        action->trigger();
        ClassMixingWindow* classes = nullptr;
        for (QWidget* w : QApplication::topLevelWidgets())
            if (auto* c = qobject_cast<ClassMixingWindow*>(w); c && c->isVisible())
                classes = c;
        QVERIFY(classes);
        QCOMPARE(classes->windowTitle(), QStringLiteral("Class mixing"));
        QCOMPARE(classes->panelCount(), 5);
        action->trigger(); // the same window again, not a second one
        int open = 0;
        for (QWidget* w : QApplication::topLevelWidgets())
            open += qobject_cast<ClassMixingWindow*>(w) && w->isVisible() ? 1 : 0;
        QCOMPARE(open, 1);
        // On first start it builds the five shipped models' chains with no file of the user's.
        QVERIFY2(waitIdle(*classes), qPrintable(classes->lastError()));
        QVERIFY2(classes->lastError().isEmpty(), qPrintable(classes->lastError()));
        QCOMPARE(classes->snapshot()->panels.size(), std::size_t(5));
        QCOMPARE(classes->snapshot()->config.chains, 10);
        classes->close();
        QCoreApplication::processEvents();
    }

    void panelsStepTogether()
    {
        ClassMixingWindow w;
        w.show();
        w.setChains(4);
        QVERIFY2(waitIdle(w), qPrintable(w.lastError()));
        ClassMixingSnapshotPtr start = w.snapshot();
        QCOMPARE(start->panels.size(), std::size_t(5));
        QStringList names;
        for (const ClassPanelSnapshot& p : start->panels) {
            names << QString::fromStdString(p.name);
            QCOMPARE(p.steps, std::int64_t(0));
            QCOMPARE(p.frame->chainCount(), 4);
        }
        QCOMPARE(names, (QStringList{"GSN-2 (default)", "DAE", "DAE, walkback", "RBM, Gibbs", "RBM, tempering"}));
        // One start: chain c of every panel shows test digit c.
        const Dataset& test = test::cachedDataset("mnist-test");
        for (const ClassPanelSnapshot& p : start->panels)
            for (int c = 0; c < 4; ++c)
                QVERIFY2(p.frame->cells.row(c).isApprox(test.pixels.row(c)), p.name.c_str());

        w.step(7);
        QVERIFY2(waitIdle(w), qPrintable(w.lastError()));
        for (const ClassPanelSnapshot& p : w.snapshot()->panels) {
            QCOMPARE(p.steps, std::int64_t(7));
            QCOMPARE(p.frame->step, std::int64_t(7));
            QCOMPARE(p.recentSteps, 7);
        }
        // Running as fast as possible: every panel advances by the same steps, and the GUI thread keeps
        // turning (it never waits for the engine: the largest gap between 10 ms timer ticks is printed;
        // a join or a wait on the stepping would show as a gap of seconds).
        w.setSpeed(0);
        QElapsedTimer clock;
        clock.start();
        qint64 last = 0, gap = 0;
        QTimer ticks;
        connect(&ticks, &QTimer::timeout, [&] {
            gap = std::max(gap, clock.elapsed() - last);
            last = clock.elapsed();
        });
        ticks.start(10);
        w.run();
        QTest::qWait(2000);
        w.pause();
        ticks.stop();
        qInfo("largest gap between 10 ms ticks while running as fast as possible: %lld ms", static_cast<long long>(gap));
        QVERIFY2(gap < 1000, qPrintable(QString::number(gap)));
        QVERIFY2(waitIdle(w), qPrintable(w.lastError()));
        const std::int64_t steps = w.snapshot()->panels.front().steps;
        qInfo("steps of every panel (4 chains each) in 2 s as fast as possible: %lld", static_cast<long long>(steps - 7));
        QVERIFY2(steps > 7, qPrintable(QString::number(steps)));
        for (const ClassPanelSnapshot& p : w.snapshot()->panels)
            QCOMPARE(p.steps, steps);
        QVERIFY(w.statusText().contains(QStringLiteral("step %1").arg(steps)));
        // The chains moved away from their start in every panel.
        for (const ClassPanelSnapshot& p : w.snapshot()->panels)
            QVERIFY2(!p.frame->cells.isApprox(start->panels.front().frame->cells), p.name.c_str());
        // Reset: the same start and seed again.
        w.reset();
        QVERIFY2(waitIdle(w), qPrintable(w.lastError()));
        for (const ClassPanelSnapshot& p : w.snapshot()->panels)
            QCOMPARE(p.steps, std::int64_t(0));
    }

    void timelinesGrowAndScroll()
    {
        ClassMixingWindow w;
        w.resize(1366, 768);
        w.show();
        w.setChains(3);
        QVERIFY2(waitIdle(w), qPrintable(w.lastError()));
        ClassTimelineView* timeline = w.panel(0)->timeline();
        QVERIFY(timeline->isVisible());
        QCOMPARE(timeline->shownSteps(), 0);
        w.step(20);
        QVERIFY2(waitIdle(w), qPrintable(w.lastError()));
        QCoreApplication::processEvents();
        QCOMPARE(timeline->shownSteps(), 20);
        QCOMPARE(timeline->firstShownStep(), std::int64_t(1));
        QCOMPARE(timeline->lastShownStep(), std::int64_t(20));
        const int capacity = timeline->width() / ClassTimelineView::kCellWidth;
        QVERIFY2(capacity > 20 && capacity < 400, qPrintable(QString::number(capacity)));
        const int total = capacity + 37;
        w.step(total - 20);
        QVERIFY2(waitIdle(w), qPrintable(w.lastError()));
        QCoreApplication::processEvents();
        // Full: the newest step at the right edge, the oldest scrolled off to the left.
        QCOMPARE(timeline->lastShownStep(), std::int64_t(total));
        QCOMPARE(timeline->shownSteps(), capacity);
        QCOMPARE(timeline->firstShownStep(), std::int64_t(total - capacity + 1));
        // Every panel's timeline shows the same steps.
        for (int i = 1; i < w.panelCount(); ++i)
            QCOMPARE(w.panel(i)->timeline()->lastShownStep(), std::int64_t(total));

        // Hover and colour of cells: the label the engine gave that chain at that step.
        const ClassPanelSnapshot& p = w.snapshot()->panels[0];
        const QImage drawn = timeline->grab().toImage();
        const qreal dpr = drawn.devicePixelRatio();
        for (const auto& [chain, step] : std::vector<std::pair<int, std::int64_t>>{{0, total}, {2, total - 5}, {1, total - capacity + 1}}) {
            const QPoint at = timeline->pointOf(chain, step);
            QVERIFY(!at.isNull());
            const std::size_t i = static_cast<std::size_t>(step - p.firstRecentStep) * 3 + static_cast<std::size_t>(chain);
            const int cls = p.recentClass[i];
            const QString text = timeline->describeAt(at);
            QVERIFY2(text.startsWith(QStringLiteral("chain %1, step %2: class %3, confidence %4")
                                         .arg(chain + 1)
                                         .arg(step)
                                         .arg(cls)
                                         .arg(static_cast<double>(p.recentConfidence[i]), 0, 'f', 2)),
                     qPrintable(text));
            const QColor want = classShade(cls, p.recentConfidence[i]);
            const QColor got = drawn.pixelColor(QPoint(static_cast<int>(at.x() * dpr), static_cast<int>(at.y() * dpr)));
            QVERIFY2(std::abs(got.red() - want.red()) <= 2 && std::abs(got.green() - want.green()) <= 2 &&
                         std::abs(got.blue() - want.blue()) <= 2,
                     qPrintable(QString("%1 vs %2").arg(got.name(), want.name())));
        }
        QVERIFY(timeline->describeAt(QPoint(timeline->stripArea().right() + 5, 1)).isEmpty());
    }

    // 100 chains per panel on a 1366 x 768 screen: nothing is pushed off it, every view keeps room.
    void hundredChainsFitTheScreen()
    {
        ClassMixingWindow w;
        w.show();
        w.setChains(100);
        QVERIFY2(waitIdle(w), qPrintable(w.lastError()));
        w.step(3);
        QVERIFY2(waitIdle(w), qPrintable(w.lastError()));
        QCoreApplication::processEvents();
        const QRect screen = w.screen()->availableGeometry();
        QVERIFY2(w.frameGeometry().height() <= screen.height() && w.frameGeometry().width() <= screen.width(),
                 qPrintable(QString("%1x%2 on %3x%4").arg(w.frameGeometry().width()).arg(w.frameGeometry().height())
                                .arg(screen.width()).arg(screen.height())));
        for (int i = 0; i < w.panelCount(); ++i) {
            ClassMixingPanel* p = w.panel(i);
            QCOMPARE(w.snapshot()->panels[static_cast<std::size_t>(i)].frame->chainCount(), 100);
            QVERIFY2(p->digits()->height() >= 60 && p->digits()->height() <= 180, qPrintable(QString::number(p->digits()->height())));
            QVERIFY2(p->timeline()->stripArea().height() >= 200, qPrintable(QString::number(p->timeline()->stripArea().height())));
            QVERIFY2(p->pca()->height() >= 60, qPrintable(QString::number(p->pca()->height())));
            QVERIFY(p->pca()->geometry().bottom() <= p->height());
        }
    }

    void metricsAreTheEngines()
    {
        constexpr int kChains = 5;
        constexpr int kSteps = 40;
        ClassMixingWindow w;
        w.show();
        w.setChains(kChains);
        w.setSeed(3);
        w.setStart(false, 17);
        QVERIFY2(waitIdle(w), qPrintable(w.lastError()));
        QCOMPARE(w.snapshot()->config.initWord(), std::string("test:17"));
        w.step(kSteps);
        QVERIFY2(waitIdle(w), qPrintable(w.lastError()));
        const ClassMixingSnapshotPtr s = w.snapshot();

        // The same chains run directly on the engine, with every frame kept.
        const std::shared_ptr<const Classifier> classifier = loadDefaultClassifier();
        QVERIFY(classifier);
        const Dataset& test = test::cachedDataset("mnist-test");
        const std::vector<double> weights = mixing::labelFrequencies(test.labels, classifier->classes());
        const Matrix travel = test.pixels.topRows(mixing::kTravelDigits);
        const std::vector<ChainInit> inits = mixing::testDigitStarts(test.pixels, kChains, 17);
        for (std::size_t m = 0; m < classMixingModels().size(); ++m) {
            const ClassMixingModelChoice& choice = classMixingModels()[m];
            mixing::ClassMixingChains::Options options;
            options.keepTimeline = true;
            options.recordTop = false;
            const mixing::ClassMixingEntry entry = mixing::parseClassMixingEntries(choice.key, "test", "key").front();
            options.replicas = entry.replicas; // the tempering panel's ladder, as gsn mixing --model KEY runs it
            options.betaMin = entry.betaMin;
            mixing::ClassMixingChains chains(std::shared_ptr<const Model>(loadCheckpointResource(QString::fromStdString(choice.resource)).model),
                                             choice.tempering, *classifier, inits, 3, travel, weights, choice.key, options);
            for (int t = 0; t < kSteps; ++t)
                chains.step(*classifier);
            const mixing::ClassMixingReport want = chains.report(); // classMixingReport of the full timeline
            const ClassPanelSnapshot& p = s->panels[m];
            const mixing::MixingReport& got = p.report.mixing;
            QCOMPARE(p.steps, std::int64_t(kSteps));
            QCOMPARE(got.switchRatePer100, want.mixing.switchRatePer100);
            QCOMPARE(got.meanSwitchRatePer100, want.mixing.meanSwitchRatePer100);
            QCOMPARE(got.firstFullVisit, want.mixing.firstFullVisit);
            QCOMPARE(got.firstVisit.completed, want.mixing.firstVisit.completed);
            QVERIFY(sameOrBothNaN(got.firstVisit.median, want.mixing.firstVisit.median, 0.0));
            QCOMPARE(got.visits, want.mixing.visits);
            QVERIFY(sameOrBothNaN(got.totalVariation, want.mixing.totalVariation, 1e-12));
            QVERIFY(sameOrBothNaN(p.report.unsureFraction, want.unsureFraction, 1e-12));
            QVERIFY2(sameOrBothNaN(got.modeRhatMax, want.mixing.modeRhatMax, 1e-9),
                     qPrintable(QString("%1 vs %2").arg(got.modeRhatMax).arg(want.mixing.modeRhatMax)));
            QCOMPARE(got.swapRates.size(), want.mixing.swapRates.size());
            QCOMPARE(got.swapRates.empty(), !choice.tempering);
            // The timeline the window draws holds the engine's labels of every chain at every step.
            const mixing::ClassTimeline& timeline = *chains.timeline();
            QCOMPARE(p.recentSteps, kSteps);
            for (int t = 0; t < kSteps; ++t)
                for (int c = 0; c < kChains; ++c) {
                    const std::size_t i = static_cast<std::size_t>(t) * kChains + static_cast<std::size_t>(c);
                    QCOMPARE(static_cast<int>(p.recentClass[i]), timeline.classAt(c, t));
                    QCOMPARE(p.recentConfidence[i], timeline.confidenceAt(c, t));
                }
            // And the panel shows those figures.
            const QString shown = w.panel(static_cast<int>(m))->metricsText();
            QVERIFY2(shown.contains(QStringLiteral("switches: %1 per 100 steps").arg(want.mixing.meanSwitchRatePer100, 0, 'f', 2)),
                     qPrintable(shown));
            QVERIFY2(shown.contains(QStringLiteral("unsure frames: %1 %").arg(100.0 * want.unsureFraction, 0, 'f', 1)), qPrintable(shown));
            if (std::isfinite(want.mixing.totalVariation))
                QVERIFY2(shown.contains(QStringLiteral("TV vs test classes: %1").arg(want.mixing.totalVariation, 0, 'f', 3)),
                         qPrintable(shown));
        }
    }

    // Item 3: once the PCA is fitted (on a worker), the chains' states are projected with the engine's
    // PCA of the test digits (pixels) and of their codes (top layer), and the view draws them.
    void pcaViewsDraw()
    {
        ClassMixingWindow w;
        w.resize(1366, 768);
        w.show();
        w.setChains(3);
        QVERIFY2(waitIdle(w), qPrintable(w.lastError()));
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < 120000 && !(w.snapshot() && w.snapshot()->panels[0].pca && w.snapshot()->panels[4].pca)) {
            w.step(1);
            QVERIFY2(waitIdle(w), qPrintable(w.lastError()));
            QTest::qWait(50);
        }
        w.step(5);
        QVERIFY2(waitIdle(w), qPrintable(w.lastError()));
        const ClassMixingSnapshotPtr s = w.snapshot();
        const Dataset& test = test::cachedDataset("mnist-test");
        const Pca pixels = fitPca(test.pixels.topRows(mixing::kTravelDigits), 2);
        for (int i = 0; i < 5; ++i) {
            const ClassPanelSnapshot& p = s->panels[static_cast<std::size_t>(i)];
            QVERIFY2(p.pca, p.name.c_str());
            QVERIFY(p.trailSteps >= 6 && p.trailSteps <= ClassMixingRun::kTrailSteps);
            QCOMPARE(p.pixelTrail.size(), std::size_t(p.trailSteps) * 3);
            // The newest trail point is the engine's projection of the current frame.
            const Eigen::MatrixXd now = pixels.project(p.frame->cells);
            for (int c = 0; c < 3; ++c) {
                const auto& got = p.pixelTrail[static_cast<std::size_t>(p.trailSteps - 1) * 3 + c];
                QVERIFY2(std::abs(got[0] - now(c, 0)) < 1e-3 && std::abs(got[1] - now(c, 1)) < 1e-3,
                         qPrintable(QString("%1: %2 vs %3").arg(p.name.c_str()).arg(got[0]).arg(now(c, 0))));
            }
            // A hidden view exactly where the chain carries a hidden state (GSN-2, RBM Gibbs).
            const bool hidden = i == 0 || i == 3;
            QCOMPARE(static_cast<bool>(p.pca->hidden), hidden);
            QCOMPARE(p.hiddenTrail.size(), hidden ? p.pixelTrail.size() : std::size_t(0));
            if (hidden) {
                const Eigen::MatrixXd top = p.pca->hidden->project(p.frame->top);
                const auto& got = p.hiddenTrail.back();
                QVERIFY(std::abs(got[0] - top(2, 0)) < 1e-3 && std::abs(got[1] - top(2, 1)) < 1e-3);
                QCOMPARE(p.pca->hidden->dimension(), p.frame->top.cols());
                QCOMPARE(p.pca->hiddenCloud.rows(), Eigen::Index(mixing::kTravelDigits));
            }
            // The view draws each chain's dot in its class colour where the point maps.
            ClassPcaView* view = w.panel(i)->pca();
            QVERIFY(view->hasPca());
            const QImage drawn = view->grab().toImage();
            const qreal dpr = drawn.devicePixelRatio();
            for (int c = 0; c < 3; ++c) {
                const auto& pt = p.pixelTrail[static_cast<std::size_t>(p.trailSteps - 1) * 3 + c];
                const QPointF at = view->mapPoint(0, pt[0], pt[1]);
                if (!view->plotArea(0).adjusted(3, 3, -3, -3).contains(at))
                    continue; // outside the cloud's box: clipped
                bool found = false; // the dot (radius 3) or a later chain's dot over it: some class colour near the point
                for (int dx = -1; dx <= 1 && !found; ++dx)
                    for (int dy = -1; dy <= 1 && !found; ++dy) {
                        const QColor got = drawn.pixelColor(QPoint(static_cast<int>((at.x() + dx) * dpr), static_cast<int>((at.y() + dy) * dpr)));
                        for (int k = 0; k < 10 && !found; ++k) {
                            const QColor want = classColour(k);
                            found = std::abs(got.red() - want.red()) <= 8 && std::abs(got.green() - want.green()) <= 8 &&
                                    std::abs(got.blue() - want.blue()) <= 8;
                        }
                    }
                QVERIFY2(found, qPrintable(QString("%1 chain %2").arg(p.name.c_str()).arg(c)));
            }
        }
    }

    void interpolationStrip()
    {
        ClassMixingWindow w;
        w.resize(1366, 740); // a 1366x768 screen less the window frame
        w.show();
        ClassInterpolationView* view = w.interpolationView();
        QVERIFY(view);
        auto* tabs = w.findChild<QTabWidget*>(QStringLiteral("classTabs"));
        QVERIFY(tabs);
        QCOMPARE(tabs->currentIndex(), 0); // the chains first
        QCOMPARE(tabs->tabText(1), QStringLiteral("Interpolation"));
        QVERIFY(!view->result()); // nothing computed while the tab is hidden
        // View > Interpolation (Ctrl+2) shows the tab; no other action of the window has its shortcut.
        auto* show = w.findChild<QAction*>(QStringLiteral("classShowInterpolation"));
        QVERIFY(show);
        QCOMPARE(show->shortcut(), QKeySequence(QStringLiteral("Ctrl+2")));
        for (QAction* other : w.findChildren<QAction*>())
            if (other != show)
                QVERIFY2(other->shortcut() != show->shortcut(), qPrintable(other->text()));
        auto* controller = w.findChild<QToolBar*>(QStringLiteral("classController"));
        QVERIFY(controller && controller->isVisible());
        show->trigger();
        QCOMPARE(tabs->currentWidget(), view);
        QVERIFY(!controller->isVisible()); // the chains' controller belongs to the Chains tab
        tabs->setCurrentIndex(0);
        QVERIFY(controller->isVisible());
        w.showInterpolation();
        QCOMPARE(tabs->currentWidget(), view);
        QTRY_VERIFY_WITH_TIMEOUT((view->result() && !view->isBusy()) || !view->lastError().isEmpty(), 60000);
        QVERIFY2(view->lastError().isEmpty(), qPrintable(view->lastError()));
        // The default GSN-2 between test digits 0 (a 7) and 1 (a 2), 10 steps: rows x, h1, h2.
        auto result = view->result();
        QCOMPARE(result->rows.size(), std::size_t(3));
        QCOMPARE(result->rows[0].space, std::string("x"));
        QCOMPARE(result->rows[1].space, std::string("h1"));
        QCOMPARE(result->rows[2].space, std::string("h2"));
        QCOMPARE(result->steps, 10);
        QCOMPARE(result->classA, 7);
        QCOMPARE(result->classB, 2);
        const Dataset& test = test::cachedDataset("mnist-test");
        QVERIFY(result->rows[0].images.row(0) == test.pixels.row(0));
        QVERIFY(result->rows[0].images.row(9) == test.pixels.row(1));
        // The strip is drawn in the tab, and the default one fits the tab without scrolling.
        auto* label = view->findChild<QLabel*>(QStringLiteral("interpStrip"));
        QVERIFY(label);
        QVERIFY(!label->pixmap().isNull());
        QCOMPARE(label->pixmap().size(), view->strip().size());
        QVERIFY(view->strip().height() >= 3 * 28);
        auto* scroll = view->findChild<QScrollArea*>(QStringLiteral("interpScroll"));
        QVERIFY(scroll);
        QVERIFY2(scroll->viewport()->width() >= view->strip().width() && scroll->viewport()->height() >= view->strip().height(),
                 qPrintable(QString("strip %1x%2 in %3x%4").arg(view->strip().width()).arg(view->strip().height())
                                .arg(scroll->viewport()->width()).arg(scroll->viewport()->height())));
        QVERIFY(w.minimumSizeHint().width() <= 1366 && w.minimumSizeHint().height() <= 740);
        // Each row's figures are written under it.
        QVERIFY2(view->statusText().contains(QStringLiteral("test digit 0 (class 7)")), qPrintable(view->statusText()));

        // Export: a PNG that decodes to the strip, with its provenance.
        const QString path = scratchDir() + "/interpolation.png";
        QFile::remove(path);
        view->exportStrip(path);
        QImageReader reader(path);
        QCOMPARE(reader.format(), QByteArray("png"));
        const QImage png = reader.read();
        QVERIFY2(!png.isNull(), qPrintable(reader.errorString()));
        QCOMPARE(png.size(), view->strip().size());
        QCOMPARE(png.convertToFormat(QImage::Format_RGB32), view->strip().convertToFormat(QImage::Format_RGB32));
        QVERIFY(png.text(QStringLiteral("Interpolation")).contains(QStringLiteral("noise off")));
        QCOMPARE(png.text(QStringLiteral("Source")), QStringLiteral("test:0 to test:1"));
        QCOMPARE(png.text(QStringLiteral("Model-File")), QStringLiteral("default-gsn2.safetensors"));
        try {
            view->exportStrip(QStringLiteral("/nonexistent-folder/strip.png"));
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains(QStringLiteral("/nonexistent-folder/strip.png")), e.what());
        }

        // Another model: the DAE has x and h1; other digits and steps.
        view->setModel(1);
        view->setDigits(2, 3);
        view->setSteps(5);
        QTRY_VERIFY_WITH_TIMEOUT((view->result() && view->result()->rows.size() == 2 && !view->isBusy()) || !view->lastError().isEmpty(),
                                 60000);
        QVERIFY2(view->lastError().isEmpty(), qPrintable(view->lastError()));
        QCOMPARE(view->result()->steps, 5);
        QVERIFY(view->result()->rows[0].images.row(0) == test.pixels.row(2));
        QVERIFY(view->result()->rows[0].images.row(4) == test.pixels.row(3));
        w.close();
    }

    // Another checkpoint in a panel (the Model button's "Open a checkpoint..."): the panel runs the file
    // with its own sampler from the same start and seed (a copy of the embedded DAE in the GSN-2's place
    // runs exactly the embedded DAE panel's chains), the export names it by its path (the --model entry
    // of gsn mixing), and a file that does not load or a non-RBM in the tempering panel is refused with a
    // message naming the file while every panel keeps the model it had.
    void panelRunsAChosenCheckpoint()
    {
        const QString dae = scratchDir() + "/dae-copy.safetensors";
        const QString broken = scratchDir() + "/broken.safetensors";
        QFile::remove(dae);
        QVERIFY(QFile::copy(QStringLiteral(":/resources/baseline-dae.safetensors"), dae));
        QFile::setPermissions(dae, QFile::ReadOwner | QFile::WriteOwner);
        {
            QFile f(broken);
            QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
            f.write("\x10\x00\x00\x00\x00\x00\x00\x00{\"not\": \"a model\"}");
        }
        ClassMixingWindow w;
        w.show();
        w.setChains(3);
        QVERIFY2(waitIdle(w), qPrintable(w.lastError()));
        w.setPanelFile(0, dae);
        QVERIFY2(waitIdle(w), qPrintable(w.lastError()));
        w.step(6);
        QVERIFY2(waitIdle(w), qPrintable(w.lastError()));
        const ClassMixingSnapshotPtr s = w.snapshot();
        QCOMPARE(s->panels[0].name, std::string("dae-copy.safetensors"));
        QCOMPARE(s->panels[0].key, dae.toStdString());
        QCOMPARE(s->panels[0].sampler, std::string("the model's own chain"));
        QCOMPARE(s->panels[1].name, std::string("DAE"));
        QCOMPARE(s->panels[0].steps, std::int64_t(6));
        QVERIFY(s->panels[0].frame->cells == s->panels[1].frame->cells); // the same model, start and seed
        QVERIFY(s->panels[0].recentClass == s->panels[1].recentClass);
        QVERIFY(!(s->panels[0].frame->cells == s->panels[2].frame->cells)); // and not what the walkback DAE does
        QVERIFY(w.panel(0)->findChild<QLabel*>(QStringLiteral("classPanelTitle1"))->text().contains(QStringLiteral("dae-copy.safetensors")));
        const nlohmann::json j = classMixingJson(*s);
        QCOMPARE(j["order"][0].get<std::string>(), dae.toStdString());
        QCOMPARE(j["models"][dae.toStdString()]["kind"].get<std::string>(), std::string("dae"));

        // The same file in two panels: both are exported (the second key names its panel).
        w.setPanelFile(3, dae);
        QVERIFY2(waitIdle(w), qPrintable(w.lastError()));
        QCOMPARE(w.snapshot()->panels[3].key, dae.toStdString() + " (panel 4)");
        QCOMPARE(classMixingJson(*w.snapshot())["models"].size(), std::size_t(5));

        // Refused: a DAE for the tempering panel, and a file that is not a checkpoint.
        QSignalSpy errors(&w, &ClassMixingWindow::errorShown);
        for (const auto& [panel, file, expected] : {std::tuple{4, dae, QStringLiteral("expected an RBM")},
                                                    std::tuple{2, broken, QStringLiteral("broken.safetensors")}}) {
            const int before = errors.count();
            w.setPanelFile(panel, file);
            QTRY_VERIFY_WITH_TIMEOUT(errors.count() == before + 1, 120000);
            const QString message = errors.last().at(0).toString();
            QVERIFY2(message.contains(expected) && message.contains(QFileInfo(file).fileName()), qPrintable(message));
            QVERIFY2(waitIdle(w), qPrintable(w.lastError()));
            QCOMPARE(w.panelFiles(), (QStringList{dae, QString(), QString(), dae, QString()}));
            QCOMPARE(w.snapshot()->panels[static_cast<std::size_t>(panel)].name, classMixingModels()[static_cast<std::size_t>(panel)].name);
        }
        for (QWidget* box : w.findChildren<QWidget*>(QStringLiteral("classErrorBox")))
            box->close();

        // The menu's "Embedded" puts the shipped models back.
        for (int panel : {0, 3}) {
            auto* embedded = w.panel(panel)->findChild<QAction*>(QStringLiteral("classPanelEmbeddedModel%1").arg(panel + 1));
            QVERIFY(embedded && !embedded->isChecked());
            embedded->trigger();
            QVERIFY(embedded->isChecked());
        }
        QVERIFY2(waitIdle(w), qPrintable(w.lastError()));
        QCOMPARE(w.panelFiles(), QStringList(5, QString()));
        for (std::size_t m = 0; m < 5; ++m)
            QCOMPARE(w.snapshot()->panels[m].key, classMixingModels()[m].key);
    }

    void exportsParse()
    {
        ClassMixingWindow w;
        w.show();
        w.setChains(3);
        QVERIFY2(waitIdle(w), qPrintable(w.lastError()));
        w.step(12);
        QVERIFY2(waitIdle(w), qPrintable(w.lastError()));
        const ClassMixingSnapshotPtr s = w.snapshot();
        const QString jsonPath = scratchDir() + "/mixing.json";
        const QString csvPath = scratchDir() + "/mixing.csv";
        QFile::remove(jsonPath);
        QFile::remove(csvPath);
        w.exportJson(jsonPath);
        w.exportCsv(csvPath);

        const nlohmann::json j = nlohmann::json::parse(readText(jsonPath), nullptr, false);
        QVERIFY(!j.is_discarded());
        // The top level of gsn mixing --out.
        std::set<std::string> keys;
        for (auto it = j.begin(); it != j.end(); ++it)
            keys.insert(it.key());
        QCOMPARE(keys, (std::set<std::string>{"chains", "steps", "seed", "init", "classifier", "data", "true_weights", "unsure_below",
                                              "pixel_spread", "order", "models"}));
        QCOMPARE(j["chains"].get<int>(), 3);
        QCOMPARE(j["steps"].get<int>(), 12);
        QCOMPARE(j["seed"].get<int>(), 1);
        QCOMPARE(j["init"].get<std::string>(), std::string("test:0"));
        QCOMPARE(j["data"].get<std::string>(), std::string("mnist-test"));
        QCOMPARE(j["true_weights"].size(), std::size_t(10));
        QCOMPARE(j["order"].size(), std::size_t(5));
        QCOMPARE(j["models"].size(), std::size_t(5));
        for (std::size_t m = 0; m < 5; ++m) {
            const std::string key = j["order"][m].get<std::string>();
            QCOMPARE(key, classMixingModels()[m].key);
            const nlohmann::json& model = j["models"][key];
            std::set<std::string> fields;
            for (auto it = model.begin(); it != model.end(); ++it)
                fields.insert(it.key());
            QCOMPARE(fields, (std::set<std::string>{"model", "kind", "sizes", "sampler", "seconds", "switch_rate_per_100",
                                                    "switch_rate_per_100_per_chain", "all_classes_visited", "visits",
                                                    "unsure_fraction", "class_rhat_max", "swap_rates", "travel"}));
            QCOMPARE(model["switch_rate_per_100"].get<double>(), s->panels[m].report.mixing.meanSwitchRatePer100);
            QCOMPARE(model["switch_rate_per_100_per_chain"].size(), std::size_t(3));
            QCOMPARE(model["visits"]["counts"].size(), std::size_t(10));
            QCOMPARE(model["sampler"]["kind"].get<std::string>(), std::string(m == 4 ? "rbm-pt" : "model-chain"));
        }
        QCOMPARE(j["models"]["resources/default-gsn2.safetensors"]["kind"].get<std::string>(), std::string("gsn2"));
        // Travel in the top layer is measured for the GSN-2 and the Gibbs RBM, not for tempering.
        QVERIFY(j["models"]["resources/default-gsn2.safetensors"]["travel"]["hidden"]["relative"].is_number());
        QVERIFY(j["models"]["resources/baseline-rbm.safetensors@pt:12:0.7"]["travel"]["hidden"]["relative"].is_null());

        const auto rows = parseCsv(readText(csvPath));
        QCOMPARE(rows.size(), std::size_t(6));
        const std::vector<std::string>& header = rows[0];
        QCOMPARE(header[0], std::string("model"));
        const auto column = std::find(header.begin(), header.end(), "switch_rate_per_100") - header.begin();
        QVERIFY(column < static_cast<long>(header.size()));
        for (std::size_t r = 1; r < rows.size(); ++r) {
            QCOMPARE(rows[r].size(), header.size());
            QCOMPARE(rows[r][0], classMixingModels()[r - 1].key);
            QVERIFY(std::abs(std::stod(rows[r][static_cast<std::size_t>(column)]) -
                             s->panels[r - 1].report.mixing.meanSwitchRatePer100) < 1e-9);
        }
        // A path that cannot be written is refused, naming it.
        try {
            w.exportJson(QStringLiteral("/nonexistent-folder/mixing.json"));
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains(QStringLiteral("/nonexistent-folder/mixing.json")), e.what());
        }
    }
};

QTEST_MAIN(TestClassMixing)
#include "tst_gui_classmixing.moc"
