// Benchmark (not run by CTest): the Mixing lab drawing many chains while they run (issue 13's performance
// goal: 10000 chains drawn at >= 60 frames/s, llvmpipe under Xvfb). Two panels (rwmh, mala) on the ring
// of 8 at "as fast as possible"; reports snapshots per second (new frames the panels get), frames painted
// per second, chain steps per second, the GUI thread's CPU per painted frame, and how long one panel
// takes to render 10000 chains (median of 30 offscreen renders). Run under Xvfb:
//   xvfb-run -a -s "-screen 0 1366x768x24" bench_gui_mixinglab [--chains 10000] [--seconds 10]

#include "mixinglab.h"
#include "mixinglabpanel.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QComboBox>
#include <QElapsedTimer>
#include <QImage>
#include <QPainter>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <vector>

using namespace gsn;

namespace {

double threadCpuMs()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// Counts the paint events of a widget.
class PaintCounter : public QObject {
public:
    int paints = 0;
    bool eventFilter(QObject*, QEvent* e) override
    {
        if (e->type() == QEvent::Paint)
            ++paints;
        return false;
    }
};

} // namespace

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    QCommandLineOption chainsOption("chains", "Chains per panel.", "C", "10000");
    QCommandLineOption secondsOption("seconds", "Measured duration.", "s", "10");
    parser.addOptions({chainsOption, secondsOption});
    parser.process(app);
    const int chains = std::clamp(parser.value(chainsOption).toInt(), 1, 10000);
    const double seconds = std::max(1.0, parser.value(secondsOption).toDouble());

    MixingLab lab;
    lab.resize(1366, 740);
    lab.show();
    lab.setTarget(QStringLiteral("ring8"));
    lab.setPanelCount(2);
    lab.setPanelSampler(0, QStringLiteral("rwmh"));
    lab.setPanelSampler(1, QStringLiteral("mala"));
    lab.setChains(chains);
    lab.findChild<QComboBox*>(QStringLiteral("labSpeed"))->setCurrentIndex(6); // as fast as possible
    QElapsedTimer wait;
    wait.start();
    while ((lab.isBusy() || !lab.snapshot() || lab.snapshot()->chains != chains) && wait.elapsed() < 60000)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);

    // One panel's render of `chains` points, offscreen (the painting cost alone).
    lab.step(5);
    while (lab.isBusy() && wait.elapsed() < 60000)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    std::vector<double> renders;
    QImage image(lab.panel(0)->size(), QImage::Format_ARGB32_Premultiplied);
    for (int i = 0; i < 30; ++i) {
        QPainter p(&image);
        QElapsedTimer t;
        t.start();
        lab.panel(0)->render(p, image.size());
        p.end();
        renders.push_back(double(t.nsecsElapsed()) / 1e6);
    }
    std::sort(renders.begin(), renders.end());

    PaintCounter counter;
    lab.panel(0)->installEventFilter(&counter);
    int snapshots = 0;
    QObject::connect(&lab, &MixingLab::snapshotChanged, [&] { ++snapshots; });
    const std::int64_t steps0 = lab.snapshot()->panels[0].steps;
    lab.run();
    // warm-up 1 s, then measure; the event loop runs as in the application (no polling loop of ours,
    // which would add its own CPU to the GUI thread's)
    const auto runFor = [](int ms) {
        QEventLoop loop;
        QTimer::singleShot(ms, &loop, &QEventLoop::quit);
        loop.exec();
    };
    runFor(1000);
    snapshots = 0;
    counter.paints = 0;
    const std::int64_t stepsStart = lab.snapshot()->panels[0].steps;
    const double cpu0 = threadCpuMs();
    QElapsedTimer timer;
    timer.start();
    runFor(static_cast<int>(seconds * 1000));
    const double elapsed = double(timer.elapsed()) / 1000.0;
    const double cpu = threadCpuMs() - cpu0;
    const std::int64_t stepsEnd = lab.snapshot()->panels[0].steps;
    lab.pause();
    (void)steps0;
    std::printf("{\"bench\": \"gui-mixinglab\", \"chains\": %d, \"panels\": 2, \"seconds\": %.1f, \"snapshots_per_s\": %.1f, "
                "\"frames_painted_per_s\": %.1f, \"chain_steps_per_s\": %.1f, \"gui_cpu_ms_per_frame\": %.2f, "
                "\"panel_render_ms_median\": %.2f, \"panel_render_ms_max\": %.2f}\n",
                chains, elapsed, snapshots / elapsed, counter.paints / elapsed, double(stepsEnd - stepsStart) / elapsed,
                counter.paints > 0 ? cpu / counter.paints : 0.0, renders[renders.size() / 2], renders.back());
    return 0;
}
