// gsn: the command-line tool. Dispatches to gsn::commands; nothing else lives here.

#include "commands.h"
#include "error.h"
#include "modelmath.h"
#include "inpaintcommand.h"
#include "modelregistry.h"
#include "samplecommand.h"
#include "samplerregistry.h"

#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace {

struct Command {
    std::function<int(const gsn::commands::Args&)> run;
    std::string usage;
};

// "gsn train --model dae|gsn2|gsn3|rbm ...": the kinds come from the registry.
std::string trainUsage()
{
    return "gsn train --model " + gsn::kindList(gsn::kindNames(gsn::trainableImageKinds()), "|", "|") +
           " --data mnist|fashion|faces|PATH --out FILE.safetensors [...]";
}

const std::map<std::string, Command>& table()
{
    static const std::map<std::string, Command> commands = {
        {"inpaint", {gsn::commands::inpaint, "gsn inpaint --model FILE --image test:INDEX|IMAGE.png --mask left|right|top|bottom|MASK.png --chains N --steps S [--seed S] [--init noise|zeros|source] --out SHEET.png|pdf|svg"}},
        {"sample", {gsn::commands::sample, "gsn sample --model FILE --chains C --steps S [--every K] [--seed S] [--init noise|zeros|test:INDEX] [--show mean|sample] [--clamp left|right|top|bottom|centre|border|MASK.png] --out FILE.png|pdf|svg|npy"}},
        {"bench", {gsn::commands::bench, "gsn bench [--seconds S] [--threads N]  training and chain throughput of GSN-2 784-1500-1500 (JSON lines)"}},
        {"classify", {gsn::commands::classify, "gsn classify --out FILE.safetensors [--train mnist-train] [--test mnist-test] [--hidden 256] [--epochs 10] [--lr 0.1] [--momentum 0.9] [--seed 1] | --classifier FILE [--test DATASET]  digit classifier (names a chain's class in the studio)"}},
        {"eval", {gsn::commands::eval, "gsn eval --model FILE|--samples FILE.npy|--baseline mnist-train [--n 10000] [--burnin B] [--thin T] [--seed S] [--binarize]  Parzen log-likelihood (SPEC 4)"}},
        {"export", {gsn::commands::exportModel, "gsn export FILE --out MODEL.safetensors   model-only copy (no momentum, not resumable)"}},
        {"mix", {gsn::commands::mix, "gsn mix --target ring8 --samplers rwmh,... [--chains 100] [--steps 10000] [--seed 1] [--beta 1] --out METRICS.json [--plot PANELS.png|svg] [--trace TRACE.npy]  mode-mixing metrics (docs/mixing.md)"}},
        {"info", {gsn::commands::info, "gsn info FILE            what a dataset file or checkpoint holds"}},
        {"train", {gsn::commands::train, trainUsage()}},
    };
    return commands;
}

int usage(FILE* out)
{
    std::fprintf(out, "usage: gsn COMMAND [options]\n\ncommands:\n");
    for (const auto& [name, cmd] : table())
        std::fprintf(out, "  %s\n", cmd.usage.c_str());
    std::fprintf(out, "\nmodel kinds (gsn train takes those for images):\n");
    for (const gsn::ModelKind& kind : gsn::modelKinds())
        std::fprintf(out, "  %-10s %-7s %s: %s\n", kind.name.c_str(), gsn::dataKindName(kind.capabilities.data),
                     kind.label.c_str(), kind.description.c_str());
    std::fprintf(out, "\nsampler kinds:\n");
    for (const gsn::SamplerKind& kind : gsn::samplerKinds()) {
        const gsn::SamplerKindCapabilities& c = kind.capabilities;
        const char* data = c.images && c.points ? "any" : c.images ? "images" : "points";
        std::fprintf(out, "  %-14s %-7s %s: %s\n", kind.name.c_str(), data, kind.label.c_str(), kind.description.c_str());
    }
    return out == stderr ? 2 : 0;
}

} // namespace

int main(int argc, char** argv)
{
    // Choose the BLAS kernel before any thread can be inside BLAS.
    gsn::modelmath::ensureFastBlas();
    if (argc < 2)
        return usage(stderr);
    const std::string name = argv[1];
    if (name == "-h" || name == "--help" || name == "help")
        return usage(stdout);
    auto it = table().find(name);
    if (it == table().end()) {
        std::fprintf(stderr, "gsn: unknown command '%s'\n", name.c_str());
        return usage(stderr);
    }
    try {
        return it->second.run(gsn::commands::Args(argv + 2, argv + argc));
    } catch (const gsn::Error& e) {
        std::fprintf(stderr, "gsn %s: error: %s\n", name.c_str(), e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "gsn %s: internal error: %s\n", name.c_str(), e.what());
        return 3;
    }
}
