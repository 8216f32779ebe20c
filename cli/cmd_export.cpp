// gsn export: a model-only copy of a checkpoint (no momentum buffers, no resumable state) for
// shipping weights, e.g. the studio's embedded default model. How the weights were trained is kept
// in __metadata__.trained.

#include "checkpoint.h"
#include "cliargs.h"
#include "commands.h"
#include "error.h"

#include <cstdio>

namespace gsn::commands {

void writeModelOnly(const Checkpoint& ck, const std::string& out)
{
    const nlohmann::json& m = ck.metadata;
    CheckpointInfo info;
    if (m.contains("dataset") && m["dataset"].is_object()) {
        const nlohmann::json& d = m["dataset"];
        info.datasetName = d.value("name", std::string());
        info.datasetHash = d.value("hash", std::string());
        info.datasetSpec = d.value("spec", std::string());
        info.trainSet = d.value("trainset", std::string());
        info.examples = d.value("examples", 0LL);
    }
    nlohmann::json trained = m.contains("trained") ? m["trained"] : nlohmann::json::object();
    if (ck.hasState) {
        trained["epochs_completed"] = ck.state.epoch;
        trained["batch_in_epoch"] = ck.state.batch;
        trained["seed"] = ck.state.seed;
        trained["batch_size"] = ck.state.batchSize;
        trained["initial_learning_rate"] = ck.state.initialLearningRate;
        trained["learning_rate"] = ck.state.learningRate;
        trained["momentum"] = ck.state.momentum;
        trained["lr_decay"] = ck.state.decay;
    }
    info.trained = trained;
    if (ck.image.stored) { // an assumed shape stays unstated, as in the source file
        info.imageWidth = ck.image.width;
        info.imageHeight = ck.image.height;
    }
    saveCheckpoint(out, *ck.model, nullptr, info);
}

int exportModel(const Args& args)
{
    const CliArgs cli(args, {"out"});
    if (cli.positionals().size() != 1)
        fail("command line", "FILE", "expected exactly one checkpoint to export");
    const std::string in = cli.positionals().front();
    const std::string out = cli.require("out", "the model-only .safetensors file to write");
    if (out == in)
        fail("command line", "--out", "expected a file other than the input");

    const Checkpoint ck = loadCheckpoint(in);
    writeModelOnly(ck, out);
    std::printf("%s: model-only copy of %s (%s)\n", out.c_str(), in.c_str(), ck.model->kind().c_str());
    return 0;
}

} // namespace gsn::commands
