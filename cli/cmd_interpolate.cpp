// gsn interpolate: linear interpolation between two test digits in x-space and in every hidden layer's
// space, decoded back to images (issue 15 item 3, "Better mixing via deep representations";
// engine/eval/interpolation.h). Writes the strip (one row per space) as an image and, with --json, the
// figures of every row (docs/mixing.md "Interpolation in x, h1 and h2").

#include "checkpoint.h"
#include "classifier.h"
#include "cliargs.h"
#include "commands.h"
#include "commandsupport.h"
#include "error.h"
#include "imagestrip.h"
#include "interpolation.h"
#include "sheetwriter.h"

#include <QFileInfo>
#include <QString>

#include <cstdio>
#include <string>

namespace gsn::commands {
namespace {

constexpr const char* kWhere = "command line";
constexpr const char* kUsage =
    "gsn interpolate --model FILE --out STRIP.png|pdf|svg [--from test:A (default test:0)] [--to test:B (default test:1)]\n"
    "                [--steps 10] [--json FIGURES.json] [--scale 2] [--graph-updates 0] [--data mnist-test] [--classifier FILE]\n"
    "  linear interpolation between test digits A and B in x-space and in each hidden layer's space (h1, h2 of\n"
    "  a GSN-2; h1 of a DAE or an RBM), each point decoded deterministically (noise off) back to pixels, one row\n"
    "  per space; the figures per row: mean and largest pixel distance between consecutive images, path ratio,\n"
    "  and the fraction of interior images the classifier names neither endpoint's class or is unsure of (< 0.5)\n"
    "  --graph-updates U  decode h2 (and above) with U noise-free updates of the graph with that layer clamped,\n"
    "                     h1 hearing x too, instead of the top-down pass (default 0: top-down)";

} // namespace

int interpolate(const Args& args)
{
    const CliArgs cli(args, {"model", "from", "to", "steps", "out", "json", "scale", "data", "classifier", "graph-updates"}, {"help"});
    if (cli.has("help")) {
        std::printf("%s\n", kUsage);
        return 0;
    }
    const std::string modelPath = cli.require("model", "a checkpoint FILE.safetensors (GSN-K, DAE or RBM)");
    const std::string outPath = cli.require("out", "a strip image STRIP.png, .pdf or .svg");
    sheetFormatFor(QString::fromStdString(outPath)); // a bad suffix fails before any work
    const std::string jsonPath = cli.get("json");
    if (!jsonPath.empty() && QFileInfo(QString::fromStdString(jsonPath)).suffix().toLower() != "json")
        fail(kWhere, "--json", "expected a file name ending in .json, got '" + jsonPath + "'");
    const int steps = static_cast<int>(cli.getInt("steps", 10, mixing::kMinInterpolationSteps, mixing::kMaxInterpolationSteps));
    const int scale = static_cast<int>(cli.getInt("scale", 2, 1, 16));
    const int graphUpdates = static_cast<int>(cli.getInt("graph-updates", 0, 0, mixing::kMaxGraphUpdates));
    const std::string from = cli.get("from", "test:0"), to = cli.get("to", "test:1");

    auto app = ensureGuiApp();
    Checkpoint ck = loadCheckpoint(modelPath);
    mixing::interpolationSpaces(*ck.model, modelPath); // a model without a deterministic encoder fails here
    const Classifier classifier = cli.has("classifier") ? loadClassifier(cli.get("classifier")) : embeddedClassifier();
    const Dataset test = loadTestImages(cli.get("data", "mnist-test"), ck.model->visibleSize(), "--data");
    const long long a = testImageIndex(from, test.count(), "--from");
    const long long b = testImageIndex(to, test.count(), "--to");
    const auto label = [&](long long i) { return test.labels.empty() ? -1 : test.labels[static_cast<std::size_t>(i)]; };
    const mixing::Interpolation result =
        mixing::interpolate(*ck.model, classifier.inputs() == ck.model->visibleSize() ? &classifier : nullptr,
                            test.pixels.row(a), test.pixels.row(b), steps, label(a), label(b), {}, kWhere, graphUpdates);

    std::vector<ImageStripRow> rows;
    for (const mixing::InterpolationRow& row : result.rows) {
        rows.push_back({QString::fromStdString(row.space), row.images, QString::fromStdString(mixing::interpolationSummary(row))});
        std::fprintf(stderr, "%-3s %s\n", row.space.c_str(), mixing::interpolationSummary(row).c_str());
    }
    const QString title = QStringLiteral("%1: test:%2 (class %3) to test:%4 (class %5), %6 steps%7")
                              .arg(QFileInfo(QString::fromStdString(modelPath)).fileName())
                              .arg(a)
                              .arg(result.classA)
                              .arg(b)
                              .arg(result.classB)
                              .arg(steps)
                              .arg(graphUpdates > 0 ? QStringLiteral(", decoded by %1 clamped graph updates").arg(graphUpdates) : QString());
    SheetProvenance p;
    p.modelFile = QFileInfo(QString::fromStdString(modelPath)).fileName();
    p.modelKind = QString::fromStdString(ck.model->kind());
    p.source = QString::fromStdString(from + " to " + to);
    p.steps = QString::number(steps);
    p.extra.push_back({QStringLiteral("Interpolation"),
                       graphUpdates > 0 ? QStringLiteral("linear in each space, decoded by %1 clamped graph updates with noise off").arg(graphUpdates)
                                        : QStringLiteral("linear in each space, decoded top-down with noise off")});
    saveSheet(renderImageStrip(rows, test.width, test.height, scale, title), p, QString::fromStdString(outPath));
    if (!jsonPath.empty()) {
        nlohmann::json j = mixing::interpolationJson(result);
        j["model"] = modelPath;
        j["from"] = from;
        j["to"] = to;
        j["data"] = test.name;
        writeTextAtomically(jsonPath, j.dump(1) + "\n", "--json");
    }
    std::printf("wrote %s\n", outPath.c_str());
    return 0;
}

std::string interpolateUsage()
{
    return kUsage;
}

} // namespace gsn::commands
