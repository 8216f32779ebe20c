// gsn info FILE|NAME: what a dataset (registry name, .npy, IDX, .mat) or a checkpoint holds.

#include "checkpoint.h"
#include "classifier.h"
#include "cliargs.h"
#include "commands.h"
#include "datasets.h"
#include "error.h"
#include "idx.h"

#include <cstdio>
#include <filesystem>
#include <string>

namespace gsn::commands {

namespace {

bool endsWith(const std::string& s, const std::string& suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string kindOf(const std::string& spec)
{
    if (isDatasetName(spec))
        return "dataset (registry name)";
    if (endsWith(spec, ".npy"))
        return "dataset (.npy)";
    if (endsWith(spec, ".mat") || spec.find(".mat:") != std::string::npos)
        return "dataset (.mat)";
    return "dataset (IDX)";
}

// A 1-D IDX file holds labels only: report those rather than refusing it.
int labelsInfo(const std::string& path, const IdxArray& labels)
{
    int maxLabel = -1;
    int minLabel = 256;
    for (const uint8_t l : labels.values) {
        maxLabel = std::max(maxLabel, int(l));
        minLabel = std::min(minLabel, int(l));
    }
    std::printf("file: %s\n", path.c_str());
    std::printf("kind: labels (IDX)\n");
    std::printf("count: %lld\n", static_cast<long long>(labels.shape[0]));
    std::printf("labels: %d classes\n", maxLabel + 1);
    std::printf("range: [%d, %d]\n", minLabel, maxLabel);
    return 0;
}

} // namespace

int info(const Args& args)
{
    const CliArgs cli(args, {}, {});
    if (cli.positionals().size() != 1)
        fail("gsn info", "arguments", "expected one FILE or dataset name (" + [] {
            std::string names;
            for (const auto& n : datasetNames())
                names += (names.empty() ? "" : ", ") + n;
            return names;
        }() + ")");
    const std::string spec = cli.positionals().front();

    if (endsWith(spec, ".safetensors")) {
        // The project writes two kinds of safetensors file; __metadata__.format says which.
        std::fputs((isClassifierFile(spec) ? classifierInfo(spec) : checkpointInfo(spec)).c_str(), stdout);
        return 0;
    }

    // Labels-only IDX files are real dataset files too (MNIST's *-labels-idx1-ubyte): a 1-D IDX
    // file is reported as labels. (Images are then read twice; a few tens of ms for MNIST.)
    std::error_code ec;
    if (kindOf(spec) == "dataset (IDX)" && std::filesystem::is_regular_file(spec, ec)) {
        IdxArray array = readIdx(spec);
        if (array.shape.size() == 1)
            return labelsInfo(spec, array);
    }

    const Dataset data = loadDataset(spec);
    const auto [lo, hi] = pixelRange(data);
    std::printf("file: %s\n", data.source.c_str());
    std::printf("kind: %s\n", kindOf(spec).c_str());
    std::printf("name: %s\n", data.name.c_str());
    std::printf("count: %d\n", data.count());
    std::printf("size: %d x %d (width x height)\n", data.width, data.height);
    if (data.labelCount > 0)
        std::printf("labels: %d classes\n", data.labelCount);
    else
        std::printf("labels: none\n");
    std::printf("range: [%g, %g]\n", double(lo), double(hi));
    std::printf("hash: %s\n", data.hash.c_str());
    return 0;
}

} // namespace gsn::commands
