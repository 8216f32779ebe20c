// gsn train: trains a model on a dataset, saving a resumable safetensors checkpoint after every epoch
// (and every --checkpoint-every N batches) and on Ctrl-C. Saves are atomic (writeFileAtomically): a kill
// at any moment leaves the newest complete checkpoint, losing at most one checkpoint interval. A diverged
// run (NaN/Inf) or a failed save (full disk) stops with an error and leaves the last checkpoint untouched.

#include "checkpoint.h"
#include "cliargs.h"
#include "commands.h"
#include "datasets.h"
#include "error.h"
#include "modelregistry.h"
#include "trainer.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <sstream>

namespace gsn::commands {
namespace {

// The usage text; --model lists the kinds `gsn train` accepts (the registry's trainable image kinds).
std::string usage()
{
    return "gsn train --model " + kindList(kindNames(trainableImageKinds()), "|", "|") +
           " --data mnist|fashion|faces|PATH --out FILE.safetensors\n"
           "          [--hidden 1500,1500] [--epochs N] [--examples N] [--batch 100] [--lr 0.25] [--momentum 0.5]\n"
           "          [--decay 0.995] [--noise 0.4] [--walkback K] [--cd-k K] [--pcd] [--seed S]\n"
           "          [--trainset train|trainfull] [--checkpoint-every BATCHES] [--snapshot-every EPOCHS] [--resume FILE]\n"
           "  --snapshot-every E  also keep a model-only copy after every E-th epoch, FILE.epoch-NNN.safetensors\n"
           "                      next to FILE (what gsn export writes for that epoch), e.g. for gsn mixing over a run";
}

// Set by SIGINT; the trainer checks it before every batch. A lock-free atomic store is async-signal-safe.
std::atomic<bool> g_cancel{false};

extern "C" void onInterrupt(int)
{
    if (g_cancel.load()) {
        // Second Ctrl-C: the user does not want to wait for the checkpoint.
        std::signal(SIGINT, SIG_DFL);
        std::raise(SIGINT);
        return;
    }
    g_cancel.store(true);
}

// Installs the SIGINT handler for the lifetime of the object, restoring the previous one after.
class InterruptGuard {
public:
    InterruptGuard()
    {
        g_cancel.store(false);
        struct sigaction action {};
        action.sa_handler = onInterrupt;
        sigemptyset(&action.sa_mask);
        sigaction(SIGINT, &action, &m_previous);
    }
    ~InterruptGuard() { sigaction(SIGINT, &m_previous, nullptr); }
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;

private:
    struct sigaction m_previous {};
};

// Ignores SIGXFSZ while training: past a file-size limit (ulimit -f) write() then fails with EFBIG and the
// save reports it, leaving the previous checkpoint, instead of the signal killing the process mid-save.
class FileSizeSignalGuard {
public:
    FileSizeSignalGuard()
    {
        struct sigaction action {};
        action.sa_handler = SIG_IGN;
        sigemptyset(&action.sa_mask);
        sigaction(SIGXFSZ, &action, &m_previous);
    }
    ~FileSizeSignalGuard() { sigaction(SIGXFSZ, &m_previous, nullptr); }
    FileSizeSignalGuard(const FileSizeSignalGuard&) = delete;
    FileSizeSignalGuard& operator=(const FileSizeSignalGuard&) = delete;

private:
    struct sigaction m_previous {};
};

// "3 epochs and 5 of 10 batches": a training position for messages.
std::string positionText(int epoch, int batch, int batches)
{
    return std::to_string(epoch) + (epoch == 1 ? " epoch" : " epochs") + " and " + std::to_string(batch) + " of " +
           std::to_string(batches) + " batches";
}

bool endsWith(const std::string& s, const std::string& suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string duration(double seconds)
{
    if (!std::isfinite(seconds) || seconds < 0)
        return "?";
    const long long s = std::llround(seconds);
    char text[32];
    if (s >= 3600)
        std::snprintf(text, sizeof text, "%lldh%02lldm", s / 3600, s / 60 % 60);
    else if (s >= 60)
        std::snprintf(text, sizeof text, "%lldm%02llds", s / 60, s % 60);
    else
        std::snprintf(text, sizeof text, "%llds", s);
    return text;
}

// --data and --trainset -> the dataset registry name or file path.
std::string datasetSpec(const std::string& data, const std::string& trainset)
{
    if (data == "mnist")
        return trainset == "trainfull" ? "mnist-trainfull" : "mnist-train";
    if (trainset != "train")
        fail("command line", "--trainset", "expected only with --data mnist (train = rows 0-49999, trainfull = 0-59999)");
    if (data == "fashion")
        return "fashion-train";
    return data; // "faces" or a path
}

Dataset loadTrainingData(const std::string& data, const std::string& trainset, long long examples)
{
    Dataset all = loadDataset(datasetSpec(data, trainset));
    if (examples <= 0 || examples == all.count())
        return all;
    if (examples > all.count())
        fail("command line", "--examples",
             "expected at most " + std::to_string(all.count()) + " (the size of " + all.name + "), got " +
                 std::to_string(examples));
    return all.slice(0, static_cast<int>(examples), "[0:" + std::to_string(examples) + "]");
}

// "dae, gsn2, gsn3 or rbm": the kinds `gsn train` accepts, for messages.
std::string trainKinds()
{
    return kindList(kindNames(trainableImageKinds()));
}

// The model config from --model, --hidden and the options of the kind. An option applies to the kinds
// whose default config has its field (modelregistry.h); unset options keep the kind's defaults.
nlohmann::json modelConfig(const CliArgs& cli, int visible)
{
    const std::string name = cli.require("model", trainKinds());
    const std::vector<const ModelKind*> offered = trainableImageKinds();
    const auto found = std::find_if(offered.begin(), offered.end(), [&](const ModelKind* k) { return k->name == name; });
    if (found == offered.end())
        fail("command line", "--model", "expected " + trainKinds() + ", got '" + name + "'");
    const ModelKind& kind = **found;
    const auto layers = static_cast<std::size_t>(kind.capabilities.hiddenLayers);
    const std::vector<int> hidden = cli.getIntList("hidden", kind.defaultHidden);
    if (hidden.size() != layers)
        fail("command line", "--hidden",
             layers == 1 ? "expected one size for " + name
                         : "expected " + std::to_string(layers) + " comma-separated sizes for " + name);
    // Option -> the config field it sets. --pcd before --cd-k: with both on a kind that takes neither,
    // the message names --pcd.
    static const std::pair<const char*, const char*> kOptions[] = {
        {"noise", "corruption"}, {"walkback", "walkback"}, {"pcd", "persistent"}, {"cd-k", "cd_k"}};
    for (const auto& [flag, field] : kOptions) {
        if (!cli.has(flag) || kind.defaults.contains(field))
            continue;
        const auto takers = modelKindsWhere([&, field = field](const ModelKind& k) {
            return std::find(offered.begin(), offered.end(), &k) != offered.end() && k.defaults.contains(field);
        });
        fail("command line", std::string("--") + flag,
             "expected only with " + std::string(takers.size() == 1 ? "--model " : "") + kindList(kindNames(takers)));
    }
    nlohmann::json config = kind.defaultConfig(visible, hidden);
    if (config.contains("corruption"))
        config["corruption"]["level"] = cli.getDouble("noise", kind.defaults.at("corruption").at("level").get<double>());
    if (config.contains("walkback"))
        config["walkback"] = cli.getInt("walkback", kind.defaults.at("walkback").get<long long>(), 1, 1000);
    if (config.contains("cd_k"))
        config["cd_k"] = cli.getInt("cd-k", kind.defaults.at("cd_k").get<long long>(), 1, 1000);
    if (config.contains("persistent"))
        config["persistent"] = cli.has("pcd");
    return config;
}

// FILE.safetensors -> FILE.epoch-007.safetensors
std::string snapshotPath(const std::string& out, int epoch)
{
    char suffix[32];
    std::snprintf(suffix, sizeof suffix, ".epoch-%03d.safetensors", epoch);
    return out.substr(0, out.size() - std::string(".safetensors").size()) + suffix;
}

} // namespace

int train(const Args& args)
{
    const CliArgs cli(args,
                      {"model", "data", "hidden", "epochs", "examples", "batch", "lr", "momentum", "decay", "noise",
                       "walkback", "cd-k", "seed", "trainset", "resume", "out", "checkpoint-every", "snapshot-every"},
                      {"pcd"});
    if (!cli.positionals().empty())
        fail("command line", cli.positionals().front(), std::string("unexpected argument; usage:\n") + usage());

    std::unique_ptr<Model> model;
    TrainState state;
    CheckpointInfo info;
    Dataset data;
    const bool resume = cli.has("resume");
    std::string out = cli.get("out");

    if (resume) {
        const std::string from = cli.get("resume");
        for (const char* flag : {"model", "hidden", "noise", "walkback", "cd-k", "pcd", "batch", "seed"})
            if (cli.has(flag))
                fail("command line", std::string("--") + flag, "expected no value with --resume (it comes from " + from + ")");
        Checkpoint ck = loadCheckpoint(from);
        if (!ck.hasState)
            fail(from, "training state", "expected momentum buffers and training metadata (this file holds a model only)");
        const nlohmann::json& d = ck.metadata.value("dataset", nlohmann::json::object());
        info.datasetSpec = cli.get("data", d.value("spec", std::string()));
        info.trainSet = cli.get("trainset", d.value("trainset", std::string("train")));
        info.examples = cli.getInt("examples", d.value("examples", 0LL), 1, 1LL << 40);
        if (info.datasetSpec.empty())
            fail(from, "__metadata__.dataset.spec", "expected the dataset the run used; pass --data");
        data = loadTrainingData(info.datasetSpec, info.trainSet, info.examples);
        if (data.hash != d.value("hash", std::string()))
            fail(from, "__metadata__.dataset.hash",
                 "expected the run's data (" + d.value("name", std::string("?")) + ", hash " +
                     d.value("hash", std::string("?")) + "), got " + data.name + " with hash " + data.hash +
                     "; resume with the same --data, --trainset and --examples");
        model = std::move(ck.model);
        state = std::move(ck.state);
        info.targetEpochs = static_cast<int>(
            cli.getInt("epochs", ck.metadata.value("training", nlohmann::json::object()).value("target_epochs", 0), 1, 1000000));
        if (info.targetEpochs <= 0)
            fail("command line", "--epochs", "expected the total number of epochs (the checkpoint does not say)");
        if (out.empty())
            out = from;
        std::fprintf(stderr, "resuming %s after %d epochs and %d batches (step %llu)\n", from.c_str(), state.epoch,
                     state.batch, static_cast<unsigned long long>(state.step));
    } else {
        cli.require("model", trainKinds());
        info.datasetSpec = cli.require("data", "mnist, fashion, faces or a file path");
        info.trainSet = cli.get("trainset", "train");
        if (info.trainSet != "train" && info.trainSet != "trainfull")
            fail("command line", "--trainset", "expected train or trainfull, got '" + info.trainSet + "'");
        data = loadTrainingData(info.datasetSpec, info.trainSet, cli.getInt("examples", 0, 1, 1LL << 40));
        const auto seed = static_cast<std::uint64_t>(cli.getInt("seed", 1, 0, (1LL << 62)));
        model = createModel(modelConfig(cli, data.dimension()), seed);
        TrainOptions options;
        options.seed = seed;
        options.batchSize = static_cast<int>(cli.getInt("batch", 100, 1, 1 << 20));
        options.learningRate = cli.getDouble("lr", modelKind(model->kind()).defaultLearningRate);
        options.momentum = cli.getDouble("momentum", 0.5);
        options.decay = cli.getDouble("decay", 0.995);
        state = TrainState::start(*model, options);
        info.targetEpochs = static_cast<int>(cli.getInt("epochs", 10, 1, 1000000));
    }
    if (out.empty())
        fail("command line", "--out", "missing (expected FILE.safetensors)");
    if (!endsWith(out, ".safetensors"))
        fail("command line", "--out", "expected a file name ending in .safetensors, got '" + out + "'");
    info.datasetName = data.name;
    info.datasetHash = data.hash;
    info.examples = data.count();
    info.imageWidth = data.width;
    info.imageHeight = data.height;

    Trainer trainer(*model, data, std::move(state));
    if (resume) {
        // Explicit overrides change the run from here on (it is then no longer identical to an uninterrupted one).
        if (cli.has("lr"))
            trainer.setLearningRate(cli.getDouble("lr", 0));
        if (cli.has("momentum"))
            trainer.setMomentum(cli.getDouble("momentum", 0));
        if (cli.has("decay"))
            fail("command line", "--decay", "expected no value with --resume (it comes from the checkpoint)");
    }
    const int epochs = info.targetEpochs;
    const int batches = trainer.batchesPerEpoch();
    // 0 = only at epoch ends (the default). Counted in global batches, so a resumed run keeps the grid.
    const long long every = cli.getInt("checkpoint-every", 0, 1, 1LL << 40);
    // 0 = no snapshots. Counted in epochs completed, so a resumed run keeps the grid.
    const int snapshotEvery = static_cast<int>(cli.getInt("snapshot-every", 0, 1, 1000000));
    std::fprintf(stderr, "%s %s on %s (%d examples, hash %s), batch %d, %d batches/epoch, %d epochs -> %s\n",
                 model->kind().c_str(), model->config().dump().c_str(), data.name.c_str(), data.count(),
                 data.hash.c_str(), trainer.state().batchSize, batches, epochs, out.c_str());

    const long long totalBatches = static_cast<long long>(epochs) * batches;
    const long long doneAtStart = static_cast<long long>(trainer.state().epoch) * batches + trainer.state().batch;
    const auto start = std::chrono::steady_clock::now();
    // The newest checkpoint of this run in `out` (epoch, batch); none yet = -1. Resuming in place starts
    // from the resumed file's position.
    int savedEpoch = -1;
    int savedBatch = 0;
    if (resume && out == cli.get("resume")) {
        savedEpoch = trainer.state().epoch;
        savedBatch = trainer.state().batch;
    }
    const FileSizeSignalGuard fileSizeGuard;
    // Saves the trainer's state; a failed save (full disk, file-size limit) stops the run and says which
    // checkpoint is still there.
    auto save = [&]() {
        const int epoch = trainer.state().epoch;
        const int batch = trainer.state().batch;
        try {
            saveCheckpoint(out, *model, &trainer.state(), info);
        } catch (const Error& e) {
            std::fputc('\n', stderr);
            throw Error(std::string(e.what()) + "; training stopped after " + positionText(epoch, batch, batches) +
                        (savedEpoch >= 0 ? "; the previous checkpoint (after " +
                                               positionText(savedEpoch, savedBatch, batches) + ") is intact: " +
                                               "continue with gsn train --resume " + out
                                         : "; this run has no earlier checkpoint"));
        }
        savedEpoch = epoch;
        savedBatch = batch;
    };
    trainer.setBatchCallback([&](const BatchProgress& p) {
        const long long done = static_cast<long long>(p.epoch) * batches + p.batch + 1;
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const double perBatch = elapsed / double(done - doneAtStart);
        std::ostringstream detail;
        detail.precision(4);
        detail << "loss " << p.loss << "  " << static_cast<long long>(p.examplesPerSecond) << " ex/s  ETA "
               << duration(perBatch * double(totalBatches - done));
        progressLine("epoch " + std::to_string(p.epoch + 1) + "/" + std::to_string(epochs), p.batch + 1, p.batches,
                     detail.str());
        // Mid-epoch checkpoints; the last batch of an epoch is saved by the epoch callback (once the state
        // points at the next epoch).
        if (every > 0 && done % every == 0 && p.batch + 1 < p.batches)
            save();
    });
    trainer.setEpochCallback([&](const EpochSummary& s) {
        save();
        const int completed = trainer.state().epoch;
        if (snapshotEvery > 0 && completed % snapshotEvery == 0) {
            // From the checkpoint just written, as `gsn export` would: byte-identical to it by construction.
            const std::string snapshot = snapshotPath(out, completed);
            writeModelOnly(loadCheckpoint(out), snapshot);
            std::fprintf(stderr, "snapshot after epoch %d: %s\n", completed, snapshot.c_str());
        }
        std::fprintf(stderr, "epoch %d/%d: mean loss %.5g, %s, learning rate now %.5g, saved %s\n", s.epoch + 1,
                     epochs, s.meanLoss, duration(s.seconds).c_str(), trainer.state().learningRate, out.c_str());
    });

    TrainResult result;
    {
        InterruptGuard guard;
        result = trainer.run(epochs, &g_cancel);
    }
    switch (result.status) {
    case TrainStatus::Finished:
        std::printf("%s: %s trained for %d epochs on %s\n", out.c_str(), model->kind().c_str(), epochs, data.name.c_str());
        return 0;
    case TrainStatus::Cancelled:
        std::fputc('\n', stderr);
        save();
        std::printf("%s: interrupted after %d epochs and %d of %d batches; saved. Continue with: gsn train --resume %s\n",
                    out.c_str(), trainer.state().epoch, trainer.state().batch, batches, out.c_str());
        return 130;
    case TrainStatus::Diverged:
        std::fputc('\n', stderr);
        fail(out, "training",
             result.message + (savedEpoch >= 0 ? "; the last good checkpoint (after " +
                                                     positionText(savedEpoch, savedBatch, batches) + ") is untouched"
                                               : "; this run wrote no checkpoint"));
    }
    return 3;
}

std::string trainUsage()
{
    return usage();
}

} // namespace gsn::commands
