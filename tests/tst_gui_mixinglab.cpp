// The Mixing lab window (issue 13 item 3): it opens from the studio (Window > Mixing lab, Ctrl+L), its
// panels step off the GUI thread from one seed and one start, random-walk Metropolis stays in its
// mode on "isolated modes" while parallel tempering crosses (read off the engine's metrics), a
// step-size change keeps the chains, and panels export as PNG and SVG files that load.

#include "mainwindow.h"
#include "mixinglab.h"
#include "mixinglabmetrics.h"
#include "mixinglabpanel.h"
#include "mixinglabrun.h"
#include "painttargetdialog.h"
#include "targets2d.h"
#include "testsupport.h"

#include <QAction>
#include <QComboBox>
#include <QPointer>
#include <QPushButton>
#include <QImage>
#include <QPainter>
#include <QSvgRenderer>
#include <QTableWidget>

#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <sstream>
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

std::string readText(const QString& path)
{
    std::ifstream in(path.toStdString(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// Splits CSV text into rows of fields (quoted fields with commas and doubled quotes).
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
        // the chains' histogram on the grid holds every chain's every step, and the heatmap option draws it
        std::int64_t total = 0;
        for (std::int64_t v : pt.histogram)
            total += v;
        QCOMPARE(pt.histogram.size(), std::size_t(s->gridCells * s->gridCells + 1));
        QCOMPARE(total, std::int64_t(40 * 300));
        QVERIFY(pt.histogram.back() < total / 100); // almost nothing outside the box
        MixingLabPanel* view = lab.panel(1);
        QTRY_VERIFY_WITH_TIMEOUT(view->hasDensity(), 5000);
        const auto draw = [view] {
            QImage shown(view->size(), QImage::Format_ARGB32_Premultiplied);
            QPainter painter(&shown);
            view->render(painter, view->size());
            return shown;
        };
        const QImage density = draw();
        view->setHeatmap(MixingLabPanel::Heatmap::Histogram);
        const QImage histogram = draw();
        QVERIFY(density != histogram);
        view->setHeatmap(MixingLabPanel::Heatmap::Density);
        QCOMPARE(draw(), density);
        // the marginals are drawn (on by default): without them the picture differs
        QVERIFY(view->showMarginals());
        QVERIFY(s->cellTruth && s->cellTruth->size() == pt.histogram.size());
        view->setShowMarginals(false);
        QVERIFY(draw() != density);
        view->setShowMarginals(true);
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

    void metricsMoveAndExport()
    {
        MixingLab lab;
        lab.resize(1300, 720);
        lab.show();
        QVERIFY(lab.setTarget(QStringLiteral("isolated-modes")));
        lab.setPanelCount(3);
        QVERIFY(lab.setPanelSampler(0, QStringLiteral("rwmh")));
        QVERIFY(lab.setPanelSampler(1, QStringLiteral("pt")));
        QVERIFY(lab.setPanelSampler(2, QStringLiteral("mala")));
        lab.setChains(30);
        lab.setSeed(3);
        QVERIFY(waitIdle(lab));
        MixingLabMetrics* metrics = lab.metrics();
        QVERIFY(metrics);
        QCOMPARE(metrics->table()->rowCount(), 3);
        QCOMPARE(metrics->plot(0)->series().size(), std::size_t(3));
        QVERIFY(metrics->plot(0)->series()[0].points.empty()); // no step yet
        lab.step(40);
        QVERIFY(waitIdle(lab));
        const std::size_t early = metrics->plot(1)->series()[1].points.size();
        QVERIFY(early >= 1);
        const QString steps40 = metrics->table()->item(1, 2)->text();
        QCOMPARE(steps40, QStringLiteral("40"));
        lab.step(160);
        QVERIFY(waitIdle(lab));
        // the plots grew, the table follows the run
        QVERIFY(metrics->plot(1)->series()[1].points.size() > early);
        QCOMPARE(metrics->table()->item(1, 2)->text(), QStringLiteral("200"));
        QCOMPARE(metrics->plot(1)->series()[1].points.back().x(), 200.0);
        // pt switched modes: its switch-rate series rose above 0; rwmh's is 0 throughout
        double ptRate = 0, rwmhRate = 0;
        for (const QPointF& p : metrics->plot(0)->series()[1].points)
            ptRate = std::max(ptRate, p.y());
        for (const QPointF& p : metrics->plot(0)->series()[0].points)
            rwmhRate = std::max(rwmhRate, p.y());
        QVERIFY(ptRate > 0.5);
        QCOMPARE(rwmhRate, 0.0);
        // the trace plot: chain 1's x1 over its last steps; rwmh's stays on one side, pt's visits both
        const auto& rwmhTrace = metrics->plot(4)->series()[0].points;
        const auto& ptTrace = metrics->plot(4)->series()[1].points;
        QCOMPARE(rwmhTrace.size(), std::size_t(200));
        QCOMPARE(rwmhTrace.back().x(), 200.0);
        for (const QPointF& p : rwmhTrace)
            QVERIFY((p.y() > 0) == (rwmhTrace.front().y() > 0));
        double lo = 0, hi = 0;
        for (const QPointF& p : ptTrace) {
            lo = std::min(lo, p.y());
            hi = std::max(hi, p.y());
        }
        QVERIFY2(lo < -2 && hi > 2, qPrintable(QString("%1 %2").arg(lo).arg(hi)));
        // the KL series is finite and positive
        for (const QPointF& p : metrics->plot(1)->series()[0].points)
            QVERIFY(std::isfinite(p.y()) && p.y() > 0);
        // rwmh's chains never leave their modes: the mode R-hat is infinite (table says so)
        QCOMPARE(metrics->table()->item(0, 15)->text(), QStringLiteral("infinite"));
        QCOMPARE(metrics->table()->item(0, 5)->text(), QStringLiteral("not reached"));
        QVERIFY(metrics->table()->item(1, 8)->text().toDouble() > 0.0); // pt's swap rate

        const QString csv = scratchDir() + "/metrics.csv";
        const QString series = scratchDir() + "/series.csv";
        const QString json = scratchDir() + "/metrics.json";
        for (const QString& f : {csv, series, json})
            QFile::remove(f);
        lab.exportMetricsCsv(csv);
        lab.exportSeriesCsv(series);
        lab.exportMetricsJson(json);
        const auto table = parseCsv(readText(csv));
        QCOMPARE(table.size(), std::size_t(4)); // header + 3 panels
        QCOMPARE(table[0], MixingLabMetrics::tableColumns());
        for (std::size_t i = 1; i < 4; ++i) {
            QCOMPARE(table[i].size(), MixingLabMetrics::tableColumns().size());
            QCOMPARE(table[i][0], std::to_string(i));
            QCOMPARE(table[i][2], std::string("200"));
        }
        QVERIFY(table[1][1].rfind("rwmh", 0) == 0);
        QVERIFY(table[2][1].rfind("pt", 0) == 0);
        QCOMPARE(table[1][9], std::string("0.000")); // rwmh's switch rate
        const auto rows = parseCsv(readText(series));
        QVERIFY(rows.size() > 3);
        std::set<std::string> panelsInSeries;
        for (std::size_t i = 1; i < rows.size(); ++i) {
            QCOMPARE(rows[i].size(), std::size_t(7));
            panelsInSeries.insert(rows[i][0]);
        }
        QCOMPARE(panelsInSeries, (std::set<std::string>{"1", "2", "3"}));
        const nlohmann::json j = nlohmann::json::parse(readText(json));
        QCOMPARE(j["chains"].get<int>(), 30);
        QCOMPARE(j["seed"].get<int>(), 3);
        QCOMPARE(j["modes"].get<int>(), 2);
        QCOMPARE(j["panels"].size(), std::size_t(3));
        const std::vector<std::string> names = {"rwmh", "pt", "mala"};
        for (std::size_t i = 0; i < 3; ++i) {
            const nlohmann::json& p = j["panels"][i];
            QCOMPARE(p["sampler"].get<std::string>(), names[i]);
            QCOMPARE(p["steps"].get<int>(), 200);
            QCOMPARE(p["rhat"].size(), std::size_t(2));
            QCOMPARE(p["visits"]["counts"].size(), std::size_t(2));
            QVERIFY(!p["series"]["step"].empty());
            QCOMPARE(p["series"]["step"].size(), p["series"]["kl"].size());
        }
        QCOMPARE(j["panels"][0]["switch_rate_per_100"].get<double>(), 0.0);
        QVERIFY(j["panels"][1]["switch_rate_per_100"].get<double>() > 0.5);
        QVERIFY(j["panels"][0]["acceptance_rate"].is_number());
        QVERIFY(j["panels"][1]["acceptance_rate"].is_null()); // pt reports swaps, not proposals
        QVERIFY(!j["panels"][1]["swap_rates"].empty());
        // an unwritable path names the file
        const QString bad = scratchDir() + "/no/such/folder/metrics.json";
        try {
            lab.exportMetricsJson(bad);
            QFAIL("expected an error");
        } catch (const std::exception& e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(bad), e.what());
        }
    }

    void presetsSetTheLab()
    {
        MixingLab lab;
        lab.show();
        QCOMPARE(MixingLab::presets().size(), std::size_t(5));
        QVERIFY(!lab.applyPreset(5));
        // "tempering escapes": rwmh and pt from one point in the heavier mode
        QVERIFY(lab.applyPreset(1));
        QVERIFY(lab.watchText().contains(QStringLiteral("What to watch")));
        QVERIFY(lab.watchText().contains(QStringLiteral("tempering"), Qt::CaseInsensitive));
        const LabConfig c = lab.config();
        QCOMPARE(c.panels.size(), std::size_t(2));
        QCOMPARE(c.panels[0].sampler, std::string("rwmh"));
        QCOMPARE(c.panels[1].sampler, std::string("pt"));
        QVERIFY(c.startAtPoint);
        lab.setChains(20);
        QVERIFY(waitIdle(lab));
        lab.step(150);
        QVERIFY(waitIdle(lab));
        const MixingLabSnapshotPtr s = lab.snapshot();
        // from one point in mode 0: rwmh saw one mode only, pt found the other
        QCOMPARE(std::count_if(s->panels[0].report.visits.begin(), s->panels[0].report.visits.end(),
                               [](std::int64_t v) { return v > 0; }), std::ptrdiff_t(1));
        QVERIFY(s->panels[1].report.visits[1] > 0);
        QVERIFY(s->panels[1].kl < s->panels[0].kl);
        QVERIFY(s->panels[0].report.totalVariation > 0.25); // all visits in the 0.7 mode
        // every preset builds (the DAEs of the last two trained briefly: the lab trains 200 epochs)
        lab.setDaeEpochs(5);
        for (int i = 0; i < 5; ++i) {
            QVERIFY(lab.applyPreset(i));
            lab.setChains(10);
            QVERIFY(waitIdle(lab));
            QCOMPARE(lab.snapshot()->panels.size(), MixingLab::presets()[static_cast<std::size_t>(i)].panels.size());
            QVERIFY2(lab.lastError().isEmpty(), qPrintable(lab.lastError()));
        }
    }

    void daeSamplersRun()
    {
        MixingLab lab;
        lab.show();
        QVERIFY(lab.applyPreset(3));
        lab.setChains(20);
        lab.setDaeEpochs(30); // the lab trains 200 (seconds); the samplers run the same way on a shorter training
        QVERIFY(waitIdle(lab, 60000));
        QVERIFY2(lab.lastError().isEmpty(), qPrintable(lab.lastError()));
        lab.step(30);
        QVERIFY(waitIdle(lab));
        const MixingLabSnapshotPtr s = lab.snapshot();
        QCOMPARE(s->panels.size(), std::size_t(3));
        QCOMPARE(s->panels[1].sampler, std::string("dae-score"));
        QCOMPARE(s->panels[2].sampler, std::string("dae"));
        QCOMPARE(s->panels[2].step, 0.3); // the DAE's corruption
        for (const LabPanelSnapshot& p : s->panels) {
            QCOMPARE(p.steps, std::int64_t(30));
            for (float v : p.points)
                QVERIFY(std::isfinite(v) && std::abs(v) < 20);
        }
        // the DAE's reconstruction field (DAE paper Figure 2): on the DAE panels only, 21 x 21 arrows that
        // point toward the ring of modes (radius 4) from points well off it
        QVERIFY(s->panels[0].arrows.empty());
        QCOMPARE(s->panels[1].arrows.size(), std::size_t(21 * 21));
        QCOMPARE(s->panels[2].arrows.size(), std::size_t(21 * 21));
        int closer = 0, far = 0;
        for (const auto& a : s->panels[1].arrows) {
            const double before = std::abs(std::hypot(a[0], a[1]) - 4.0), after = std::abs(std::hypot(a[2], a[3]) - 4.0);
            if (before < 1.0 || before > 3.0)
                continue;
            ++far;
            closer += after < before;
        }
        QVERIFY2(far > 50 && closer > 0.8 * far, qPrintable(QString("%1 of %2").arg(closer).arg(far)));
        lab.panel(1)->setShowField(true);
        lab.panel(1)->repaint();

        // The density the DAE implies, on the DAE panels' 64 x 64 grid: higher on the ring of modes (radius 4)
        // than at its centre; the heatmap choice draws it there and the true density on the other panels.
        QVERIFY(s->panels[0].implied.empty());
        const int g = s->gridCells;
        QCOMPARE(s->panels[1].implied.size(), std::size_t(g * g));
        double ring = 0, centre = 0;
        int onRing = 0, inCentre = 0;
        for (int iy = 0; iy < g; ++iy)
            for (int ix = 0; ix < g; ++ix) {
                const double x = s->box[0] + (ix + 0.5) * (s->box[1] - s->box[0]) / g;
                const double y = s->box[2] + (iy + 0.5) * (s->box[3] - s->box[2]) / g;
                const double r = std::hypot(x, y), l = s->panels[1].implied[static_cast<std::size_t>(iy * g + ix)];
                QVERIFY(std::isfinite(l));
                if (std::abs(r - 4.0) < 0.3) {
                    ring += l;
                    ++onRing;
                } else if (r < 1.0) {
                    centre += l;
                    ++inCentre;
                }
            }
        QVERIFY(onRing > 0 && inCentre > 0);
        qInfo("DAE implied log-density: mean %.2f on the ring, %.2f inside radius 1", ring / onRing, centre / inCentre);
        QVERIFY(ring / onRing > centre / inCentre + 1.0);
        auto render = [&](int panel) {
            QImage image(QSize(400, 400), QImage::Format_RGB32);
            image.fill(Qt::white);
            QPainter painter(&image);
            lab.panel(panel)->render(painter, image.size());
            painter.end();
            return image;
        };
        const QImage densityDae = render(1), densityRwmh = render(0);
        lab.findChild<QComboBox*>(QStringLiteral("labHeatmap"))->setCurrentIndex(2);
        QCOMPARE(lab.panel(1)->heatmap(), MixingLabPanel::Heatmap::Implied);
        QVERIFY(render(1) != densityDae);
        QCOMPARE(render(0), densityRwmh);
    }

    void daeCorruptionIsItsOwnDae()
    {
        // two DAE chains at different corruption levels: two DAEs, and a level change is a new run
        MixingLab lab;
        lab.show();
        lab.setTarget(QStringLiteral("ring8"));
        lab.setPanelCount(2);
        QVERIFY(lab.setPanelSampler(0, QStringLiteral("dae")));
        QVERIFY(lab.setPanelSampler(1, QStringLiteral("dae")));
        lab.setPanelStep(1, 1.0);
        lab.setChains(20);
        lab.setDaeEpochs(20);
        QVERIFY(waitIdle(lab, 60000));
        QVERIFY2(lab.lastError().isEmpty(), qPrintable(lab.lastError()));
        lab.step(100);
        QVERIFY(waitIdle(lab));
        MixingLabSnapshotPtr s = lab.snapshot();
        QCOMPARE(s->panels[0].step, 0.3);
        QCOMPARE(s->panels[1].step, 1.0);
        QVERIFY(s->panels[0].points != s->panels[1].points);
        const std::uint64_t generation = s->generation;
        lab.setPanelStep(0, 0.5);
        QVERIFY(waitIdle(lab, 60000));
        QVERIFY(lab.snapshot()->generation > generation);
        QCOMPARE(lab.snapshot()->panels[0].step, 0.5);
        QCOMPARE(lab.snapshot()->panels[0].steps, std::int64_t(0));
    }

    void everyTargetBuildsAndSteps()
    {
        MixingLab lab;
        lab.show();
        lab.setPanelCount(2);
        QVERIFY(lab.setPanelSampler(0, QStringLiteral("rwmh")));
        QVERIFY(lab.setPanelSampler(1, QStringLiteral("mala")));
        lab.setChains(10);
        for (const MixingLab::TargetChoice& choice : MixingLab::targetChoices()) {
            // beta = 2 on two of them: a tempered target's normaliser and cell masses take a quadrature
            const bool tempered = choice.key == QLatin1String("isolated-modes") || choice.key == QLatin1String("checkerboard");
            for (double beta : tempered ? std::vector<double>{1.0, 2.0} : std::vector<double>{1.0}) {
                QVERIFY(lab.setTarget(choice.key));
                lab.setBeta(beta);
                QVERIFY(waitIdle(lab));
                lab.step(5);
                QVERIFY(waitIdle(lab));
                const MixingLabSnapshotPtr s = lab.snapshot();
                QVERIFY2(lab.lastError().isEmpty(), qPrintable(choice.key + ": " + lab.lastError()));
                QCOMPARE(s->beta, beta);
                QCOMPARE(s->panels[0].steps, std::int64_t(5));
                QCOMPARE(s->targetConfig.value("beta", 1.0), beta);
                QVERIFY2(s->targetConfig["kind"] == choice.config["kind"] ||
                             (choice.key == QLatin1String("ring8") || choice.key.startsWith(QLatin1String("grid")) ||
                              choice.key == QLatin1String("isolated-modes") || choice.key == QLatin1String("two-moons") ||
                              choice.key == QLatin1String("spiral")), // presets that are Gaussian mixtures
                         qPrintable(choice.key));
            }
        }
    }

    void targetFileErrorsNameTheFile()
    {
        MixingLab lab;
        lab.show();
        lab.setPanelCount(2);
        lab.setChains(10);
        QVERIFY(waitIdle(lab));
        const QString bad = scratchDir() + "/negative-weight.json";
        test::writeBytes(bad.toStdString(),
                         R"({"kind": "gaussian-mixture", "means": [[0, 0], [3, 0]], "weights": [1, -1], "sds": [0.5, 0.5]})");
        QSignalSpy errors(&lab, &MixingLab::errorShown);
        lab.setTargetFile(bad);
        QVERIFY(errors.wait(10000));
        QVERIFY2(lab.lastError().contains(bad) && lab.lastError().contains(QStringLiteral("weights")),
                 qPrintable(lab.lastError()));
        QVERIFY(!lab.isRunning());
        // a good file is read and sampled
        const QString good = scratchDir() + "/two.json";
        test::writeBytes(good.toStdString(),
                         R"({"kind": "gaussian-mixture", "means": [[-2, 0], [2, 0]], "weights": [3, 1], "sds": [0.5, 0.5]})");
        lab.setTargetFile(good);
        QVERIFY(waitIdle(lab));
        QTRY_VERIFY_WITH_TIMEOUT(lab.snapshot()->weights.size() == 2 && std::abs(lab.snapshot()->weights[0] - 0.75) < 1e-9, 10000);
        lab.step(10);
        QVERIFY(waitIdle(lab));
        QCOMPARE(lab.snapshot()->panels[0].steps, std::int64_t(10));
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

    // A pt panel's ladder (issue 13 item 2, "ladder editable"): only pt panels show it; another lowest beta
    // while the chains run keeps them (the same run, the steps go on) and the label says the new ladder;
    // another number of replicas builds a new run; the swap-rate cell lists every neighbouring pair.
    void ladderEditKeepsChains()
    {
        MixingLab lab;
        lab.resize(1000, 650);
        lab.show();
        QVERIFY(lab.setTarget(QStringLiteral("isolated-modes")));
        lab.setPanelCount(2);
        QVERIFY(lab.setPanelSampler(0, QStringLiteral("pt")));
        QVERIFY(lab.setPanelSampler(1, QStringLiteral("rwmh")));
        lab.setChains(20);
        QVERIFY(waitIdle(lab));
        QVERIFY(lab.findChild<QWidget*>(QStringLiteral("labLadder1"))->isVisible());
        QVERIFY(!lab.findChild<QWidget*>(QStringLiteral("labLadder2"))->isVisible());
        lab.step(40);
        QVERIFY(waitIdle(lab));
        const MixingLabSnapshotPtr before = lab.snapshot();
        QVERIFY2(QString::fromStdString(before->panels[0].label).contains(QStringLiteral("5 replicas to \u03b2 0.05")),
                 before->panels[0].label.c_str());
        QCOMPARE(before->panels[0].report.swapRates.size(), std::size_t(4));
        lab.setPanelBetaMin(0, 0.3);
        lab.step(5);
        QVERIFY(waitIdle(lab));
        const MixingLabSnapshotPtr after = lab.snapshot();
        QCOMPARE(after->generation, before->generation);
        QCOMPARE(after->panels[0].steps, std::int64_t(45));
        QVERIFY2(QString::fromStdString(after->panels[0].label).contains(QStringLiteral("to \u03b2 0.3")), after->panels[0].label.c_str());
        auto* table = lab.metrics()->findChild<QTableWidget*>();
        QVERIFY(table);
        QTRY_VERIFY(table->item(0, 8) && table->item(0, 8)->toolTip().contains(QStringLiteral("pair 4-5")));
        QVERIFY(table->item(1, 8)->toolTip().isEmpty());

        lab.setPanelReplicas(0, 8);
        QVERIFY(waitIdle(lab));
        QTRY_VERIFY_WITH_TIMEOUT(lab.snapshot()->generation > after->generation, 10000);
        QCOMPARE(lab.snapshot()->panels[0].steps, std::int64_t(0));
        lab.step(3);
        QVERIFY(waitIdle(lab));
        QCOMPARE(lab.snapshot()->panels[0].report.swapRates.size(), std::size_t(7));
        QVERIFY2(QString::fromStdString(lab.snapshot()->panels[0].label).contains(QStringLiteral("8 replicas to \u03b2 0.3")),
                 lab.snapshot()->panels[0].label.c_str());
    }

    // The trace plot shows x1 or x2 of chain 1 of every panel, as its chooser says.
    void traceCoordinateChoice()
    {
        MixingLab lab;
        lab.show();
        QVERIFY(lab.setTarget(QStringLiteral("ring8")));
        lab.setPanelCount(2);
        lab.setChains(10);
        QVERIFY(waitIdle(lab));
        lab.step(25);
        QVERIFY(waitIdle(lab));
        MixingLabMetricPlot* trace = lab.metrics()->plot(4);
        const auto& t = lab.snapshot()->panels[1].trace;
        QCOMPARE(t.size(), std::size_t(25));
        QCOMPARE(trace->series()[1].points.back().y(), double(t.back()[1]));
        lab.metrics()->findChild<QComboBox*>(QStringLiteral("labTraceCoordinate"))->setCurrentIndex(1);
        QCOMPARE(lab.metrics()->traceCoordinate(), 1);
        QCOMPARE(trace->series()[1].points.back().y(), double(t.back()[2]));
        QVERIFY(trace->title().contains(QStringLiteral("x\u2082")));
    }

    // File > Paint a target (issue 13 item 1): the painter starts from the current target, Clear empties it,
    // nothing painted is refused in the dialog, two brushed blobs of different levels become a painted
    // target of two modes weighted by their mass that every panel samples, erasing removes a blob, the
    // painting reopens as it was (undo included) and saves as a target file that loads to the same target.
    void paintedTarget()
    {
        MixingLab lab;
        lab.resize(1200, 700);
        lab.show();
        lab.setPanelCount(2);
        lab.setChains(50);
        QVERIFY(waitIdle(lab));
        QAction* action = lab.findChild<QAction*>(QStringLiteral("labPaintTarget"));
        QVERIFY(action);
        QCOMPARE(action->shortcut(), QKeySequence(QStringLiteral("Ctrl+P")));
        action->trigger();
        QPointer<PaintTargetDialog> dialog = lab.findChild<PaintTargetDialog*>();
        QVERIFY(dialog);
        QVERIFY(QTest::qWaitForWindowExposed(dialog));
        TargetCanvas* canvas = dialog->canvas();
        QVERIFY2(canvas->paintedCells() > 0, "the painter starts from the current target");
        dialog->findChild<QPushButton*>(QStringLiteral("paintClear"))->click();
        QCOMPARE(canvas->paintedCells(), 0);
        dialog->findChild<QPushButton*>(QStringLiteral("paintUse"))->click();
        QVERIFY(dialog->isVisible());
        QVERIFY2(dialog->lastError().contains(QStringLiteral("values")), qPrintable(dialog->lastError()));

        // Two strokes: a full-level one low on the left, a half-level one high on the right; a third blob erased.
        canvas->setBrush(2.0, 1.0);
        QTest::mousePress(canvas, Qt::LeftButton, {}, canvas->cellCentre(8, 10).toPoint());
        QTest::mouseMove(canvas, canvas->cellCentre(14, 10).toPoint());
        QTest::mouseRelease(canvas, Qt::LeftButton, {}, canvas->cellCentre(14, 10).toPoint());
        canvas->setBrush(2.0, 0.5);
        QTest::mousePress(canvas, Qt::LeftButton, {}, canvas->cellCentre(36, 36).toPoint());
        QTest::mouseRelease(canvas, Qt::LeftButton, {}, canvas->cellCentre(36, 36).toPoint());
        QTest::mousePress(canvas, Qt::LeftButton, {}, canvas->cellCentre(10, 38).toPoint());
        QTest::mouseRelease(canvas, Qt::LeftButton, {}, canvas->cellCentre(10, 38).toPoint());
        const int threeBlobs = canvas->paintedCells();
        canvas->setBrush(4.0, 1.0);
        QTest::mousePress(canvas, Qt::RightButton, {}, canvas->cellCentre(10, 38).toPoint());
        QTest::mouseRelease(canvas, Qt::RightButton, {}, canvas->cellCentre(10, 38).toPoint());
        const int twoBlobs = canvas->paintedCells();
        QVERIFY2(twoBlobs < threeBlobs && twoBlobs > 20, qPrintable(QStringLiteral("%1 -> %2 cells").arg(threeBlobs).arg(twoBlobs)));
        QCOMPARE(canvas->values()[static_cast<std::size_t>(38 * canvas->columns() + 10)], 0.0);
        QVERIFY(canvas->values()[static_cast<std::size_t>(10 * canvas->columns() + 11)] > 0.9); // under the stroke
        dialog->findChild<QPushButton*>(QStringLiteral("paintUse"))->click();
        QTRY_VERIFY(!dialog);

        QVERIFY(waitIdle(lab));
        QTRY_VERIFY_WITH_TIMEOUT(lab.snapshot()->targetConfig.value("kind", "") == "painted", 10000);
        const MixingLabSnapshot& s = *lab.snapshot();
        QCOMPARE(s.target->modeCount(), 2);
        QCOMPARE(s.weights.size(), std::size_t(2));
        QVERIFY2(s.weights[0] > 1.5 * s.weights[1], qPrintable(QStringLiteral("%1 vs %2").arg(s.weights[0]).arg(s.weights[1])));
        QCOMPARE(lab.findChild<QComboBox*>(QStringLiteral("labTarget"))->currentText(), QStringLiteral("your painting"));
        lab.step(30);
        QVERIFY(waitIdle(lab));
        QCOMPARE(lab.snapshot()->panels[0].steps, std::int64_t(30));
        for (const LabPanelSnapshot& p : lab.snapshot()->panels)
            for (float v : p.points)
                QVERIFY(std::isfinite(v));

        // Reopened: the same cells; Clear and Undo; saved as a file that loads as the same target.
        const std::string config = lab.snapshot()->targetConfig.dump();
        dialog = lab.openPainter();
        QVERIFY(QTest::qWaitForWindowExposed(dialog));
        QCOMPARE(dialog->canvas()->paintedCells(), twoBlobs);
        dialog->canvas()->clear();
        QVERIFY(dialog->canvas()->undo());
        QCOMPARE(dialog->canvas()->paintedCells(), twoBlobs);
        const QString path = scratchDir() + "/painted.json";
        dialog->saveTo(path);
        QCOMPARE(loadTargetFile(path.toStdString())->config().dump(), config);
        dialog->close();
        // Choosing a built-in target again leaves the painting.
        QVERIFY(lab.setTarget(QStringLiteral("ring8")));
        QVERIFY(waitIdle(lab));
        QTRY_VERIFY_WITH_TIMEOUT(lab.snapshot()->targetConfig.value("kind", "") != "painted", 10000);
        QCOMPARE(lab.findChild<QComboBox*>(QStringLiteral("labTarget"))->findText(QStringLiteral("your painting")), -1);
    }
};

QTEST_MAIN(TestMixingLab)
#include "tst_gui_mixinglab.moc"
