// gsn grad: the loss and every parameter's gradient of a checkpoint's model on one given batch, the
// engine's hand-written backward pass exposed for an independent check (tests/python/test_gradients.py
// compares it with PyTorch autograd; docs/beyond-one-machine.md).
//
// The noise key is fixed by the command line: row r of the batch draws from Philox(seed, r, step)
// (--seed, --step), the persistent chains of a PCD RBM from Philox(seed, pcdStream(j), step), exactly as
// one training batch of `gsn train` would with those stream ids. A model whose config switches every
// noise off (corruption none, hidden_noise 0, input_sampling false) draws nothing: its loss and gradient
// are a deterministic function of the weights and the batch.

#include "checkpoint.h"
#include "cliargs.h"
#include "commands.h"
#include "error.h"
#include "npy.h"
#include "safetensors.h"

#include <cmath>
#include <cstdio>

namespace gsn::commands {

std::string gradUsage()
{
    return "gsn grad --model M.safetensors --batch B.npy --out G.safetensors [--seed 0] [--step 0]\n"
           "  loss and gradient of the model's training loss on one batch (for checking the backward pass)\n"
           "  --model   a checkpoint (model-only or with a training state; the state is ignored)\n"
           "  --batch   float32/float64/uint8 .npy of shape [B, n_visible] (or [B, H, W]), values in [0, 1]\n"
           "  --out     safetensors file: one tensor per parameter under its name (the gradient of the mean\n"
           "            loss per example, as training uses it); for a PCD RBM also \"state.pcd_v\", the\n"
           "            persistent chains after the call (its negative samples); __metadata__.loss = the mean\n"
           "            loss (%.17g), plus kind, rows, seed, step\n"
           "  --seed, --step   the noise key: row r draws from Philox(seed, r, step)";
}

int grad(const Args& args)
{
    const CliArgs cli(args, {"model", "batch", "out", "seed", "step"});
    if (!cli.positionals().empty())
        fail("command line", cli.positionals().front(), "expected no positional arguments (see gsn grad --help)");
    const std::string modelPath = cli.require("model", "a checkpoint .safetensors");
    const std::string batchPath = cli.require("batch", "a .npy batch [B, n_visible]");
    const std::string out = cli.require("out", "the .safetensors file to write");
    if (out.size() < 12 || out.compare(out.size() - 12, 12, ".safetensors") != 0)
        fail("command line", "--out", "expected a file name ending in .safetensors, got '" + out + "'");
    const auto seed = static_cast<std::uint64_t>(cli.getInt("seed", 0, 0, (1LL << 62)));
    const auto step = static_cast<std::uint64_t>(cli.getInt("step", 0, 0, (1LL << 62)));

    Checkpoint ck = loadCheckpoint(modelPath);
    Model& model = *ck.model;
    const NpyArray array = readNpy(batchPath);
    const long long visible = model.visibleSize();
    if (array.shape.empty() || array.shape[0] < 1)
        fail(batchPath, "shape", "expected [B >= 1, " + std::to_string(visible) + "]");
    long long perRow = 1;
    for (std::size_t i = 1; i < array.shape.size(); ++i)
        perRow *= array.shape[i];
    if (perRow != visible)
        fail(batchPath, "shape", "expected " + std::to_string(visible) + " values per row (the model's n_visible), got " +
                                     std::to_string(perRow));
    const auto rows = static_cast<Eigen::Index>(array.shape[0]);
    Matrix batch(rows, static_cast<Eigen::Index>(visible));
    std::copy(array.values.begin(), array.values.end(), batch.data());

    NoiseKey key;
    key.seed = seed;
    key.step = step;
    for (Eigen::Index r = 0; r < rows; ++r)
        key.rowStream.push_back(static_cast<std::uint64_t>(r));
    std::vector<Matrix> grads;
    const double loss = model.lossAndGradient(batch, key, grads);
    if (!std::isfinite(loss))
        fail(modelPath, "loss", "expected a finite loss on " + batchPath + ", got " + std::to_string(loss));

    const std::vector<ParamRef> params = model.parameters();
    std::vector<NamedTensor> tensors;
    for (std::size_t i = 0; i < params.size(); ++i)
        tensors.push_back({params[i].name, &grads[i]});
    for (const ParamRef& p : params)
        if (p.name == "pcd_v")
            tensors.push_back({"state.pcd_v", p.value});
    char lossText[40];
    std::snprintf(lossText, sizeof lossText, "%.17g", loss);
    const nlohmann::json meta = {{"format", "gsn-studio gradient"},
                                 {"kind", model.kind()},
                                 {"loss", lossText},
                                 {"rows", std::to_string(rows)},
                                 {"seed", std::to_string(seed)},
                                 {"step", std::to_string(step)},
                                 {"model", modelPath}};
    writeSafetensors(out, tensors, meta);
    std::printf("%s: loss %.9g over %lld rows, %zu gradients (%s)\n", out.c_str(), loss, static_cast<long long>(rows),
                params.size(), model.kind().c_str());
    return 0;
}

} // namespace gsn::commands
