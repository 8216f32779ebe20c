// Benchmark (not run by CTest): chains of a GSN-2 drawn live by the chain view while a training run
// goes on, as in the GUI. Reports frames drawn per second, frames dropped, chain steps per second,
// training examples per second, and how late the GUI event loop gets (a 5 ms timer records its
// worst and 99th-percentile lateness). Run under Xvfb:
//   xvfb-run -a -s "-screen 0 1280x1024x24" bench_gui_chainview [--chains 100] [--seconds 10]
//       [--hidden 1500] [--no-training] [--rate 0]

#include "chainframe.h"
#include "chains.h"
#include "chainview.h"
#include "datasets.h"
#include "error.h"
#include "glformat.h"
#include "model.h"
#include "parallel.h"
#include "trainer.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QTimer>

#include <algorithm>
#include <ctime>
#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

using namespace gsn;

namespace {

// CPU time of the calling thread in ms: the GUI thread's own cost per frame, which (unlike wall
// time) other processes on a loaded machine do not inflate.
double threadCpuMs()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

} // namespace

int main(int argc, char** argv)
{
    setDefaultSurfaceFormat();
    QApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    QCommandLineOption chainsOption("chains", "Number of chains.", "C", "100");
    QCommandLineOption secondsOption("seconds", "Measured duration.", "s", "10");
    QCommandLineOption hiddenOption("hidden", "Hidden layer size of the GSN-2.", "n", "1500");
    QCommandLineOption rateOption("rate", "Chain steps per second (0 = as fast as possible).", "r", "0");
    QCommandLineOption noTrainOption("no-training", "Do not train while drawing.");
    parser.addOptions({chainsOption, secondsOption, hiddenOption, rateOption, noTrainOption});
    parser.process(app);
    const int chains = std::clamp(parser.value(chainsOption).toInt(), 1, 1000);
    const double seconds = std::max(1.0, parser.value(secondsOption).toDouble());
    const int hidden = std::max(10, parser.value(hiddenOption).toInt());
    const bool training = !parser.isSet(noTrainOption);

    try {
        const Dataset train = loadDataset("mnist-train");
        const Dataset test = loadDataset("mnist-test");
        const nlohmann::json config = {{"kind", "gsn2"},
                                       {"sizes", {784, hidden, hidden}},
                                       {"corruption", {{"type", "salt-and-pepper"}, {"level", 0.4}}}};
        std::unique_ptr<Model> trained = createModel(config, 1);
        std::shared_ptr<const Model> snapshot = trained->clone();

        ChainView view;
        view.resize(1000, 800);
        view.show();

        ChainSet set(snapshot, 28, 28);
        set.resetAt(test.pixels.topRows(chains), 7);
        ChainRunner runner(std::move(set), [&view](FramePtr frame) { view.setFrame(std::move(frame)); },
                           [](const std::string& error) { std::fprintf(stderr, "chains: %s\n", error.c_str()); });
        runner.setRate(parser.value(rateOption).toDouble());

        // Training on its own thread, handing a parameter snapshot to the chains every 20 batches.
        std::atomic<bool> cancel{false};
        std::atomic<long long> examples{0};
        std::thread trainer;
        if (training) {
            trainer = std::thread([&] {
                markBackgroundThread(); // as the studio's training controller does
                Trainer t(*trained, train, TrainState::start(*trained, TrainOptions{}));
                t.setBatchCallback([&](const BatchProgress& p) {
                    examples += 100;
                    if (p.batch % 20 == 0)
                        runner.setModel(std::shared_ptr<const Model>(trained->clone()));
                });
                t.run(1000, &cancel);
            });
        }

        // Event-loop lateness: a 5 ms timer compares when it fires with when it was due.
        std::vector<double> lateness;
        QElapsedTimer clock;
        QTimer probe;
        probe.setTimerType(Qt::PreciseTimer);
        probe.setInterval(5);
        double due = 0.0;
        QObject::connect(&probe, &QTimer::timeout, [&] {
            const double now = clock.nsecsElapsed() / 1e6;
            if (due > 0.0)
                lateness.push_back(std::max(0.0, now - due));
            due = now + 5.0;
        });

        // Warm up for a second, then measure.
        runner.start();
        std::int64_t drawn0 = 0, skipped0 = 0;
        std::uint64_t steps0 = 0;
        long long examples0 = 0;
        double cpu0 = 0.0;
        QTimer::singleShot(1000, [&] {
            drawn0 = view.framesDrawn();
            skipped0 = view.framesSkipped();
            steps0 = runner.steps();
            examples0 = examples.load();
            cpu0 = threadCpuMs();
            lateness.clear();
            clock.start();
            probe.start();
        });
        QTimer::singleShot(int(1000 + seconds * 1000), [&] { app.quit(); });
        app.exec();
        const double elapsed = clock.nsecsElapsed() / 1e9;
        const double guiCpuMs = threadCpuMs() - cpu0;
        probe.stop();
        const double fps = (view.framesDrawn() - drawn0) / elapsed;
        const double dropped = double(view.framesSkipped() - skipped0);
        const double stepsPerSecond = (runner.steps() - steps0) / elapsed;
        const double examplesPerSecond = (examples.load() - examples0) / elapsed;
        cancel = true;
        runner.stop();
        if (trainer.joinable())
            trainer.join();

        std::sort(lateness.begin(), lateness.end());
        const double worst = lateness.empty() ? 0.0 : lateness.back();
        const double p99 = lateness.empty() ? 0.0 : lateness[std::size_t(0.99 * (lateness.size() - 1))];
        const double drawnFrames = double(view.framesDrawn() - drawn0);
        const double cpuPerFrame = drawnFrames > 0 ? guiCpuMs / drawnFrames : 0.0;
        std::printf("| %d chains, GSN-2 784-%d-%d, %s | %.1f | %.0f | %.0f | %.0f | %.1f | %.1f | %.2f | %s |\n", chains,
                    hidden, hidden, training ? "training" : "no training", fps, dropped, stepsPerSecond,
                    examplesPerSecond, p99, worst, cpuPerFrame, view.glError().isEmpty() ? "ok" : "GL error");
        std::printf("frames drawn/s %.1f, dropped %.0f in %.1f s, chain steps/s %.0f, training examples/s %.0f, "
                    "event loop lateness p99 %.1f ms, worst %.1f ms (%zu probes), GUI thread CPU %.2f ms per drawn frame\n",
                    fps, dropped, elapsed, stepsPerSecond, examplesPerSecond, p99, worst, lateness.size(), cpuPerFrame);
    } catch (const Error& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    return 0;
}
