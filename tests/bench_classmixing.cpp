// Benchmark (not run by CTest; issue 15's performance section): does labelling every frame slow the
// chains? 100 chains of the default GSN-2 stepped as fast as possible, alternating 2-second rounds of the
// chains as a view shows them (ChainSet::step and its frame: the displayed means) and of the Class mixing
// window's chains (ClassMixingChains::step: the same
// step, then the embedded classifier labels every chain's displayed mean and the monitor and travel
// meters take them), in one process; prints the chain steps per second of each and their ratio (the
// issue asks >= 0.95). Run from the build directory:
//   tests/bench_classmixing [--chains 100] [--seconds 2] [--rounds 3]

#include "chains.h"
#include "checkpoint.h"
#include "classifier.h"
#include "classmixing.h"
#include "classmixingchains.h"
#include "datasets.h"

#include <QCommandLineParser>
#include <QCoreApplication>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>

using namespace gsn;

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    QCommandLineOption chainsOption("chains", "Chains.", "C", "100");
    QCommandLineOption secondsOption("seconds", "Seconds per round.", "s", "2");
    QCommandLineOption roundsOption("rounds", "Rounds of each.", "n", "3");
    parser.addOptions({chainsOption, secondsOption, roundsOption});
    parser.process(app);
    const int chains = std::clamp(parser.value(chainsOption).toInt(), 1, 1000);
    const double seconds = std::max(0.2, parser.value(secondsOption).toDouble());
    const int rounds = std::clamp(parser.value(roundsOption).toInt(), 1, 100);

    const std::string source = GSN_SOURCE_DIR;
    std::shared_ptr<const Model> model(loadCheckpoint(source + "/resources/default-gsn2.safetensors").model);
    const Classifier classifier = loadClassifier(source + "/resources/mnist-classifier.safetensors");
    const Dataset test = loadDataset("mnist-test");
    const std::vector<ChainInit> inits = mixing::testDigitStarts(test.pixels, chains, 0);

    ChainSet plain(model, test.width, test.height);
    plain.reset(inits, 1);
    mixing::ClassMixingChains::Options options;
    options.keepTimeline = false; // as the window runs them
    mixing::ClassMixingChains labelled(model, false, classifier, inits, 1, test.pixels.topRows(1000),
                                       mixing::labelFrequencies(test.labels, classifier.classes()), "bench", options);
    // Steps per wall second and per CPU second of the process (all threads: the second is the fair figure
    // on a shared machine).
    struct Rate {
        double wall = 0, cpu = 0;
    };
    const auto cpuNow = [] { return double(std::clock()) / CLOCKS_PER_SEC; };
    const auto rate = [seconds, &cpuNow](auto&& step) {
        const auto t0 = std::chrono::steady_clock::now();
        const double c0 = cpuNow();
        long long n = 0;
        while (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < seconds) {
            step();
            ++n;
        }
        const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        return Rate{double(n) / wall, double(n) / std::max(1e-9, cpuNow() - c0)};
    };
    Rate off, on;
    for (int r = 0; r < rounds; ++r) {
        const Rate a = rate([&] {
            plain.step();
            (void)plain.frame(); // what a view of the chains reads every step
        });
        const Rate b = rate([&] { labelled.step(classifier); });
        std::printf("{\"bench\": \"classmixing-round\", \"round\": %d, \"steps_per_s_labels_off\": %.1f, \"steps_per_s_labels_on\": %.1f, "
                    "\"steps_per_cpu_s_labels_off\": %.1f, \"steps_per_cpu_s_labels_on\": %.1f}\n",
                    r + 1, a.wall, b.wall, a.cpu, b.cpu);
        off.wall += a.wall;
        off.cpu += a.cpu;
        on.wall += b.wall;
        on.cpu += b.cpu;
    }
    std::printf("{\"bench\": \"classmixing\", \"chains\": %d, \"rounds\": %d, \"seconds_per_round\": %.1f, "
                "\"steps_per_s_labels_off\": %.1f, \"steps_per_s_labels_on\": %.1f, \"ratio_wall\": %.3f, "
                "\"ratio_per_cpu_s\": %.3f, \"goal\": 0.95}\n",
                chains, rounds, seconds, off.wall / rounds, on.wall / rounds, on.wall / off.wall, on.cpu / off.cpu);
    return 0;
}
