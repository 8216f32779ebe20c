#include "samplecommand.h"

#include "chains.h"
#include "checkpoint.h"
#include "chainoptions.h"
#include "clampmask.h"
#include "commandsupport.h"
#include "cliargs.h"
#include "colormap.h"
#include "datasets.h"
#include "error.h"
#include "npy.h"
#include "sheet.h"
#include "sheetwriter.h"

#include <QDir>
#include <QFileInfo>
#include <QGuiApplication>
#include <QImage>

#include <memory>
#include <optional>

namespace gsn::commands {

namespace {

constexpr const char* kWhere = "command line";
// Refuse recordings larger than this (bytes of float32 means) with a hint, instead of running out of memory.
constexpr long long kMaxRecordingBytes = 2LL << 30;

std::string metadataText(const nlohmann::json& metadata, const char* key)
{
    if (!metadata.contains(key))
        return {};
    const auto& v = metadata[key];
    return v.is_string() ? v.get<std::string>() : v.dump();
}

} // namespace

int sample(const Args& argv)
{
    const CliArgs args(argv,
                       {"model", "show", "chains", "steps", "every", "first", "seed", "init", "clamp", "free", "data", "scale",
                        "padding", "colormap", "out"},
                       {"quiet"});
    const std::string modelPath = args.require("model", "a checkpoint FILE.safetensors");
    const std::string out = sheetOutOption(args, true, "FILE.png, FILE.pdf, FILE.svg or FILE.npy");
    const int chains = static_cast<int>(args.getInt("chains", 10, 1, 100000));
    const long long steps = args.getInt("steps", 100, 1, 100000000);
    const long long every = args.getInt("every", 1, 1, 100000000);
    const long long first = args.getInt("first", every, 0, steps);
    const std::uint64_t seed = seedOption(args);
    const ChainStart init = chainStartOption(args, "init", "noise", {.testImage = true});
    const std::string clamp = args.get("clamp");
    const ChainStart freeStart = chainStartOption(args, "free", "noise", {.source = true});
    const bool quiet = args.has("quiet");
    const std::string show = args.get("show", "mean");
    if (show != "mean" && show != "sample")
        fail(kWhere, "--show", "expected mean (the displayed means) or sample (the fed-back states), got '" + show + "'");
    const bool showSamples = show == "sample";
    const QString outPath = QString::fromStdString(out);
    const bool npy = QFileInfo(outPath).suffix().toLower() == "npy";

    auto app = ensureGuiApp();

    Checkpoint ck = loadCheckpoint(modelPath);
    std::shared_ptr<const Model> model(std::move(ck.model));
    const int n = model->visibleSize();

    // Image size and test images: from the model's dataset's test split (or --data).
    std::string dataSpec = args.get("data", testSetFor(ck.metadata));
    const bool wantsTest = init.kind == ChainStart::Kind::TestImage;
    if (!clamp.empty() && !wantsTest)
        fail(kWhere, "--clamp", "expected --init test:INDEX (the clamped values come from test images)");
    std::optional<Dataset> data;
    if (wantsTest)
        data = loadTestImages(dataSpec, n, "--init");
    int width = 0, height = 0;
    if (data) {
        width = data->width;
        height = data->height;
    } else {
        // The checkpoint's stored shape, or a square for older files (faces: 625 = 25x25).
        if (!ck.image.known())
            fail(modelPath, "image size", "cannot tell the image shape of " + std::to_string(n) + " visible units (" +
                                           modelPath + " does not store it and it is not a square): pass --data "
                                           "SPEC of the model's data");
        width = ck.image.width;
        height = ck.image.height;
    }

    // Start states and clamps.
    std::vector<ChainInit> inits;
    std::vector<std::vector<float>> images;
    if (!wantsTest) {
        inits.assign(static_cast<std::size_t>(chains),
                     init.kind == ChainStart::Kind::Noise ? ChainInit::noise() : ChainInit::zeros());
    } else {
        const long long index = testImageIndex(init.word, data->count(), "--init");
        for (int c = 0; c < chains; ++c) {
            const auto row = data->pixels.row(static_cast<Eigen::Index>((index + c) % data->count()));
            images.emplace_back(row.data(), row.data() + n);
            if (clamp.empty() || freeStart.kind == ChainStart::Kind::Source)
                inits.push_back(ChainInit::fromImage(images.back()));
            else
                inits.push_back(freeStart.kind == ChainStart::Kind::Noise ? ChainInit::noise() : ChainInit::zeros());
        }
    }

    ChainSet set(model, width, height);
    set.reset(inits, seed);
    std::string clampText = "none";
    if (!clamp.empty()) {
        const MaskOption option = maskOption(clamp, width, height, false);
        const ClampMask& mask = option.mask;
        clampText = option.text.toStdString();
        if (mask.clampedCount() == 0)
            fail(clamp, "mask", "expected some clamped pixels, got none (drop --clamp to sample freely)");
        if (mask.freeCount() == 0)
            fail(clamp, "mask", "expected some free pixels, got a fully clamped mask (nothing to sample)");
        for (int c = 0; c < chains; ++c)
            set.setClamp(c, mask, images[static_cast<std::size_t>(c)]);
        clampText += ", " + std::to_string(mask.clampedCount()) + " of " + std::to_string(n) + " pixels";
    }

    // Record the shown steps only: first, first + every, ... <= steps.
    const long long shownCount = first > steps ? 0 : (steps - first) / every + 1;
    if (static_cast<long long>(chains) * shownCount * n * 4 > kMaxRecordingBytes)
        fail(kWhere, "--steps", "expected at most 2 GiB of recorded frames (chains x shown steps x pixels); use a larger "
                                "--every or fewer --chains");
    std::vector<FramePtr> frames;
    frames.reserve(static_cast<std::size_t>(shownCount));
    auto shown = [&](long long s) { return s >= first && (s - first) % every == 0; };
    set.setRecordSamples(showSamples);
    // --show sample: the recorded frame carries the fed-back states in place of the means.
    auto record = [&] {
        FramePtr frame = set.frame();
        if (showSamples) {
            auto copy = std::make_shared<Frame>(*frame);
            copy->cells = frame->samples;
            copy->samples = Matrix();
            frame = std::move(copy);
        }
        frames.push_back(std::move(frame));
    };
    if (shown(0))
        record();
    StepProgress progress("sample", steps, quiet);
    for (long long s = 1; s <= steps; ++s) {
        set.step();
        if (shown(s))
            record();
        progress.update(s);
    }

    if (npy) {
        const long long t = static_cast<long long>(frames.size());
        std::vector<float> data(static_cast<std::size_t>(chains * t * n));
        for (long long k = 0; k < t; ++k)
            for (int c = 0; c < chains; ++c)
                std::copy_n(frames[static_cast<std::size_t>(k)]->cells.row(c).data(), n,
                            data.begin() + static_cast<std::ptrdiff_t>((c * t + k) * n));
        writeNpy(out, data.data(), {chains, t, height, width});
    } else {
        SheetOptions options;
        options.scale = static_cast<int>(args.getInt("scale", 1, 1, 64));
        options.padding = static_cast<int>(args.getInt("padding", 2, 0, 256));
        if (args.has("colormap") && !colorMapFromKey(args.get("colormap"), &options.colorMap))
            fail(kWhere, "--colormap", "expected grey, grey-inverted, viridis or inferno, got '" + args.get("colormap") + "'");
        const Sheet sheet = renderSheet(sheetFramesOf(frames), options);
        SheetProvenance p;
        p.modelHash = fileSha256(QString::fromStdString(modelPath));
        p.modelFile = QFileInfo(QString::fromStdString(modelPath)).fileName();
        p.modelKind = QString::fromStdString(model->kind());
        p.epoch = QString::fromStdString(ck.hasState ? std::to_string(ck.state.epoch) : metadataText(ck.metadata, "epoch"));
        p.seed = QString::number(seed);
        p.steps = QString("%1-%2 every %3").arg(first).arg(first + (shownCount - 1) * every).arg(every);
        p.chains = QString::number(chains);
        p.clamp = QString::fromStdString(clampText);
        p.source = QString::fromStdString(init.word + (data ? " (" + data->name + ")" : std::string()) +
                                          (clamp.empty() ? "" : ", free pixels from " + freeStart.word));
        saveSheet(sheet.image, p, outPath);
    }
    std::printf("%s: %d chains x %zu steps (%s)\n", out.c_str(), chains, frames.size(),
                npy ? "float32 [chains, steps, height, width]" : "rows = chains, columns = steps");
    return 0;
}

} // namespace gsn::commands
