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

const std::map<std::string, Command>& table()
{
    static const std::map<std::string, Command> commands = {
        {"inpaint", {gsn::commands::inpaint,
                     "gsn inpaint --model FILE --image test:INDEX|IMAGE.png --mask left|right|top|bottom|centre|border|MASK.png --out SHEET.png|pdf|svg\n"
                     "            [--chains 10 (at most 100)] [--steps 20] [--every 1] [--seed 1] [--init noise|zeros|source (default noise)]\n"
                     "            [--data TEST SET (default: the model's)] [--scale 1] [--padding 2] [--save-mask MASK.png]\n"
                     "  clamps the masked pixels of the image and samples the rest (docs/inpainting.md)"}},
        {"sample", {gsn::commands::sample,
                    "gsn sample --model FILE --out FILE.png|pdf|svg|npy [--chains 10] [--steps 100] [--every 1] [--first EVERY]\n"
                    "           [--seed 1] [--init noise|zeros|test:INDEX (default noise)] [--show mean|sample (default mean)]\n"
                    "           [--clamp left|right|top|bottom|centre|border|MASK.png] [--data TEST SET] [--scale 1] [--padding 2]\n"
                    "           [--colormap grey|grey-inverted|viridis|inferno] [--quiet]\n"
                    "  --init test:INDEX starts chain c at test image INDEX + c (and --clamp clamps each chain to its image)"}},
        {"bench", {gsn::commands::bench, "gsn bench [--seconds 5] [--threads N] [--only all|sgemm|train|chains|mix] [--out RUN.json] [--compare RUN.json]\n"
                   "          [--model GSN.safetensors (default: an initialised gsn2)] [--chain-input auto|sparse|dense (default auto)] [--chains 1,100] [--half-weights]\n"
                   "          [--chain-products auto|blas (default auto: packed weights from 4 chains, AVX-512 or AVX2)]\n"
                   "  training and chain throughput of GSN-2 784-1500-1500 (JSON lines); --out saves the run's figures,\n"
                   "  --compare prints each figure's ratio (now / saved) to a run saved with --out"}},
        {"classify", {gsn::commands::classify, "gsn classify --out FILE.safetensors [--train mnist-train] [--test mnist-test] [--hidden 256] [--epochs 10] [--lr 0.1] [--momentum 0.9] [--seed 1] | --classifier FILE [--test DATASET]  digit classifier (names a chain's class in the studio)"}},
        {"eval", {gsn::commands::eval, gsn::commands::evalUsage()}},
        {"export", {gsn::commands::exportModel, "gsn export FILE --out MODEL.safetensors   model-only copy (no momentum, not resumable)"}},
        {"mix", {gsn::commands::mix, gsn::commands::mixUsage()}},
        {"mixing", {gsn::commands::mixing, gsn::commands::mixingUsage()}},
        {"grad", {gsn::commands::grad, gsn::commands::gradUsage()}},
        {"interpolate", {gsn::commands::interpolate, gsn::commands::interpolateUsage()}},
        {"info", {gsn::commands::info, "gsn info FILE            what a dataset, checkpoint, classifier, recording, sheet or mask file holds"}},
        {"train", {gsn::commands::train, gsn::commands::trainUsage()}},
    };
    return commands;
}

// The first line of a command's usage (the overview lists those).
std::string firstLine(const std::string& text)
{
    return text.substr(0, text.find('\n'));
}

int usage(FILE* out)
{
    std::fprintf(out, "usage: gsn COMMAND [options]      gsn COMMAND --help (or gsn help COMMAND): its options and defaults\n\ncommands:\n");
    for (const auto& [name, cmd] : table())
        std::fprintf(out, "  %s\n", firstLine(cmd.usage).c_str());
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
    std::fprintf(out, "\nexit codes: 0 success; 1 the work failed (an unreadable file, bad data, a diverged run);\n"
                      "  2 usage error (unknown command, unknown, missing or malformed option); 130 interrupted\n"
                      "  by Ctrl-C (gsn train: after saving its checkpoint)\n");
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
    if (name == "-h" || name == "--help")
        return usage(stdout);
    if (name == "help") {
        if (argc < 3)
            return usage(stdout);
        auto it = table().find(argv[2]);
        if (it == table().end()) {
            std::fprintf(stderr, "gsn help: unknown command '%s'\n", argv[2]);
            return usage(stderr);
        }
        std::printf("%s\n", it->second.usage.c_str());
        return 0;
    }
    auto it = table().find(name);
    if (it == table().end()) {
        std::fprintf(stderr, "gsn: unknown command '%s'\n", name.c_str());
        return usage(stderr);
    }
    const gsn::commands::Args args(argv + 2, argv + argc);
    for (const std::string& a : args)
        if (a == "--help" || a == "-h") {
            std::printf("%s\n", it->second.usage.c_str());
            return 0;
        }
    try {
        return it->second.run(args);
    } catch (const gsn::UsageError& e) {
        std::fprintf(stderr, "gsn %s: error: %s\n(gsn %s --help lists the options)\n", name.c_str(), e.what(), name.c_str());
        return 2;
    } catch (const gsn::Error& e) {
        std::fprintf(stderr, "gsn %s: error: %s\n", name.c_str(), e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "gsn %s: internal error: %s\n", name.c_str(), e.what());
        return 3;
    }
}
