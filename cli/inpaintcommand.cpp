#include "inpaintcommand.h"

#include "chains.h"
#include "checkpoint.h"
#include "chainoptions.h"
#include "cliargs.h"
#include "commandsupport.h"
#include "datasets.h"
#include "error.h"
#include "greyimage.h"
#include "inpaintstats.h"
#include "maskio.h"
#include "pngtext.h"
#include "sheet.h"
#include "sheetwriter.h"
#include "sourceimage.h"

#include <QFileInfo>
#include <QGuiApplication>
#include <QSaveFile>

#include <optional>

namespace gsn::commands {

namespace {

constexpr const char* kWhere = "command line";

void saveGreyPng(const std::vector<float>& pixels, int width, int height, const std::string& path)
{
    QSaveFile file(QString::fromStdString(path));
    if (!file.open(QIODevice::WriteOnly) || !greyImage(pixels.data(), width, height).save(&file, "PNG") ||
        !file.commit())
        fail(path, "output", "cannot write: " + file.errorString().toStdString());
}

} // namespace

int inpaint(const Args& argv)
{
    const CliArgs args(argv,
                       {"model", "image", "mask", "chains", "steps", "seed", "init", "every", "data", "scale", "padding",
                        "mean", "spread", "save-mask", "out"},
                       {"same", "fit", "invert", "scale-mask", "quiet"});
    const std::string modelPath = args.require("model", "a checkpoint FILE.safetensors");
    const std::string imageSpec = args.require("image", "test:INDEX or IMAGE.png");
    const std::string maskSpec = args.require("mask", "left|right|top|bottom|centre|border or MASK.png");
    const std::string out = sheetOutOption(args, false, "SHEET.png, SHEET.pdf or SHEET.svg");
    const int chains = static_cast<int>(args.getInt("chains", 10, 1, 100));
    const long long steps = args.getInt("steps", 20, 1, 100000000);
    const long long every = args.getInt("every", 1, 1, 100000000);
    const std::uint64_t seed = seedOption(args);
    const ChainStart init = chainStartOption(args, "init", "noise", {.source = true});
    const bool quiet = args.has("quiet");
    const QString outPath = QString::fromStdString(out);
    if ((steps / every + 1) * static_cast<long long>(chains) > 200000)
        fail(kWhere, "--steps", "expected at most 200000 sheet cells (chains x shown steps): use a larger --every");

    auto app = ensureGuiApp();
    Checkpoint ck = loadCheckpoint(modelPath);
    std::shared_ptr<const Model> model(std::move(ck.model));
    const int n = model->visibleSize();

    // Sources: one per chain.
    std::vector<SourceImage> sources;
    std::string dataName;
    if (imageSpec.rfind("test:", 0) == 0) {
        const std::string dataSpec = args.get("data", testSetFor(ck.metadata));
        const Dataset data = loadTestImages(dataSpec, n, "--image");
        const long long index = testImageIndex(imageSpec, data.count(), "--image");
        for (int c = 0; c < chains; ++c)
            sources.push_back(sourceFromDataset(data, static_cast<int>(args.has("same") ? index : (index + c) % data.count())));
        dataName = data.name;
    } else {
        // The image's own size decides the shape when it matches the model; --fit needs a shape.
        const QString path = QString::fromStdString(imageSpec);
        // The checkpoint's stored shape, or a square for older files (faces: 625 = 25x25).
        if (!ck.image.known())
            fail(modelPath, "image size", "cannot tell the image shape of " + std::to_string(n) +
                                           " visible units (" + modelPath + " does not store it and it is not a square)");
        const int width = ck.image.width, height = ck.image.height;
        SourceImage s = args.has("fit") ? readConvertedSource(path, width, height, {args.has("invert")})
                                        : readExactSource(path, width, height);
        if (args.has("invert") && !args.has("fit"))
            for (float& v : s.pixels)
                v = 1.0f - v;
        sources.assign(static_cast<std::size_t>(chains), s);
    }
    const int width = sources.front().width, height = sources.front().height;
    const bool shared = args.has("same") || imageSpec.rfind("test:", 0) != 0 || chains == 1;

    // The mask.
    MaskOption maskChoice = maskOption(maskSpec, width, height, args.has("scale-mask"));
    const ClampMask mask = std::move(maskChoice.mask);
    QString clampText = maskChoice.text;
    if (const QString problem = maskProblem(mask); !problem.isEmpty())
        fail(maskSpec, "mask", "expected some clamped and some free pixels: " + problem.toStdString());
    clampText += QString(", %1 of %2 pixels clamped").arg(mask.clampedCount()).arg(n);
    if (args.has("save-mask"))
        saveMask(mask, QString::fromStdString(args.get("save-mask")));

    // Chains: free pixels from noise, zeros or the source; clamped pixels set at once by setClamp.
    std::vector<ChainInit> inits;
    for (int c = 0; c < chains; ++c)
        inits.push_back(init.kind == ChainStart::Kind::Noise   ? ChainInit::noise()
                        : init.kind == ChainStart::Kind::Zeros ? ChainInit::zeros()
                                                               : ChainInit::fromImage(sources[static_cast<std::size_t>(c)].pixels));
    ChainSet set(model, width, height);
    set.reset(inits, seed);
    for (int c = 0; c < chains; ++c)
        set.setClamp(c, mask, sources[static_cast<std::size_t>(c)].pixels);

    InpaintStats stats(n);
    std::vector<FramePtr> frames{set.frame()};
    StepProgress progress("inpaint", steps, quiet);
    for (long long s = 1; s <= steps; ++s) {
        set.step();
        FramePtr f = set.frame();
        if (shared)
            stats.add(f->cells);
        if (s % every == 0)
            frames.push_back(std::move(f));
        progress.update(s);
    }

    SheetOptions options;
    options.scale = static_cast<int>(args.getInt("scale", 1, 1, 64));
    options.padding = static_cast<int>(args.getInt("padding", 2, 0, 256));
    const Sheet sheet = renderSheet(sheetFramesOf(frames), options);
    SheetProvenance p;
    p.modelHash = fileSha256(QString::fromStdString(modelPath));
    p.modelFile = QFileInfo(QString::fromStdString(modelPath)).fileName();
    p.modelKind = QString::fromStdString(model->kind());
    p.epoch = ck.hasState ? QString::number(ck.state.epoch) : QString();
    p.seed = QString::number(seed);
    p.steps = QString("0-%1 every %2").arg(frames.back()->step).arg(every);
    p.chains = QString::number(chains);
    p.clamp = clampText;
    p.source = shared ? sources.front().origin
                      : sources.front().origin + " .. " + sources.back().origin + " (chain c: " +
                            QString::fromStdString(imageSpec) + " + c)";
    p.extra.push_back({"Free-Start", QString::fromStdString(init.word)});
    p.extra.push_back({"Mask", imageToBase64Png(maskToImage(mask, MaskBits::One))});
    if (shared)
        p.extra.push_back({"Source-Image", imageToBase64Png(greyImage(sources.front().pixels.data(), width, height))});
    saveSheet(sheet.image, p, outPath);

    for (const char* key : {"mean", "spread"}) {
        if (!args.has(key))
            continue;
        if (!shared)
            fail(kWhere, std::string("--") + key, "expected one source image for every chain (test:INDEX --same, or IMAGE.png)");
        saveGreyPng(std::string(key) == "mean" ? stats.mean() : stats.spreadImage(), width, height, args.get(key));
    }
    std::printf("%s: %d clamped chains x %zu steps (%d of %d pixels clamped; rows = chains, columns = steps)\n",
                out.c_str(), chains, frames.size(), mask.clampedCount(), n);
    return 0;
}

} // namespace gsn::commands
