// gsn classify: trains a classifier (the studio names a chain's class with it) or scores one.
//   gsn classify --train mnist-train --test mnist-test --out FILE.safetensors [--hidden 256] [--epochs 10]
//                [--batch 100] [--lr 0.1] [--momentum 0.9] [--seed 1]
//   gsn classify --classifier FILE.safetensors [--test mnist-test]
// Prints one JSON line (test accuracy and, when training, the final loss and wall time).

#include "classifier.h"
#include "cliargs.h"
#include "commands.h"
#include "datasets.h"
#include "error.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>

namespace gsn::commands {

int classify(const Args& args)
{
    const CliArgs cli(args, {"train", "test", "out", "classifier", "hidden", "epochs", "batch", "lr", "momentum", "seed"},
                      {"quiet"});
    const bool quiet = cli.has("quiet");
    const Dataset test = loadDataset(cli.get("test", "mnist-test"));
    nlohmann::json result;
    if (cli.has("classifier")) {
        if (cli.has("train") || cli.has("out"))
            fail("gsn classify", "arguments", "expected either --classifier FILE (score) or --train/--out (train)");
        const std::string path = cli.get("classifier");
        const Classifier classifier = loadClassifier(path);
        result = {{"classifier", path}, {"test", test.name}, {"test_accuracy", classifierAccuracy(classifier, test)}};
    } else {
        const std::string out = cli.require("out", "FILE.safetensors to write the classifier to");
        const Dataset train = loadDataset(cli.get("train", "mnist-train"));
        if (train.labelCount < 2)
            fail(train.name, "labels", "expected a labelled dataset with at least 2 classes");
        ClassifierTraining options;
        options.hidden = int(cli.getInt("hidden", options.hidden, 1, 1 << 16));
        options.epochs = int(cli.getInt("epochs", options.epochs, 1, 100000));
        options.batchSize = int(cli.getInt("batch", options.batchSize, 1, 1 << 20));
        options.learningRate = cli.getDouble("lr", options.learningRate);
        options.momentum = cli.getDouble("momentum", options.momentum);
        options.seed = std::uint64_t(cli.getInt("seed", 1, 0, (1ll << 62)));
        Classifier classifier(train.width, train.height, options.hidden, train.labelCount, options.seed);
        const auto started = std::chrono::steady_clock::now();
        const double loss = trainClassifier(classifier, train, options, [&](int epoch, double meanLoss) {
            if (!quiet)
                progressLine("training classifier", epoch, options.epochs, "loss " + std::to_string(meanLoss));
        });
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        const double accuracy = classifierAccuracy(classifier, test);
        classifier.info = {{"dataset", {{"name", train.name}, {"hash", train.hash}}},
                           {"test", {{"name", test.name}, {"hash", test.hash}}},
                           {"test_accuracy", accuracy},
                           {"training", {{"hidden", options.hidden}, {"epochs", options.epochs},
                                         {"batch_size", options.batchSize}, {"learning_rate", options.learningRate},
                                         {"momentum", options.momentum}, {"seed", options.seed},
                                         {"final_loss", loss}, {"seconds", seconds}}}};
        saveClassifier(out, classifier);
        result = {{"out", out}, {"train", train.name}, {"test", test.name}, {"final_loss", loss},
                  {"test_accuracy", accuracy}, {"seconds", seconds}};
    }
    std::printf("%s\n", result.dump().c_str());
    return 0;
}

} // namespace gsn::commands
