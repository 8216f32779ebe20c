// gsn mixing: how MNIST chains mix between classes (issue 15, SPEC 5; engine/eval/classmixing.h). Every
// model of --model runs C chains from one seed and one start for T steps; the embedded digit classifier
// names the class of every frame; the metrics of mixingmetrics.h are computed on those classes. Also
// the travel per step in pixel space and in the top hidden layer's space, each relative to the test
// digits' spread there (classmixing.h "Travel"). Progress on stderr, the metrics as JSON (atomic), the
// class timelines as an image (--timeline).

#include "chainoptions.h"
#include "checkpoint.h"
#include "classcolours.h"
#include "classifier.h"
#include "classmixingchains.h"
#include "cliargs.h"
#include "commands.h"
#include "commandsupport.h"
#include "error.h"
#include "sheetwriter.h"

#include <nlohmann/json.hpp>

#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QPainter>
#include <QTemporaryFile>

#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <vector>

static void initCliResources()
{
    Q_INIT_RESOURCE(gsn_cli_resources);
}

namespace gsn::commands {
namespace {

constexpr const char* kWhere = "command line";
constexpr const char* kUsage =
    "gsn mixing --model A.safetensors[,B.safetensors[@pt]...] [--chains 100] [--steps 1000] [--seed 1]\n"
    "           [--init test:INDEX|noise] --out MIXING.json [--timeline TIMELINE.png|svg|pdf] [--classifier FILE]\n"
    "           [--data mnist-test] [--quiet]\n"
    "  --model       checkpoints, compared from one seed and one start; MODEL@pt runs an RBM with parallel\n"
    "                tempering (the rbm-pt sampler's defaults) instead of its plain Gibbs chain; MODEL@pt:R:BETA_MIN\n"
    "                on a geometric ladder of R replicas from beta 1 down to BETA_MIN (e.g. @pt:12:0.6)\n"
    "  --init        chain c starts at test digit INDEX + c (default test:0, as the authors' code), or uniform noise\n"
    "  --classifier  the digit classifier that names each frame's class (default: the embedded MNIST classifier)\n"
    "  --timeline    one row per chain, one column per step, coloured by class, darker where the classifier is\n"
    "                unsure; one block per model\n"
    "  A frame whose class probability is below 0.5 is 'unsure' (between modes): it is no visit and no switch.";

QImage renderTimelines(const std::vector<std::string>& names, const std::vector<mixing::ClassTimeline>& timelines)
{
    constexpr int kRow = 6, kGap = 4, kLabel = 18, kMaxWidth = 2000, kLegend = 22;
    std::int64_t steps = 0;
    int height = kLegend;
    for (const auto& t : timelines) {
        steps = std::max(steps, t.steps());
        height += kLabel + t.chains() * kRow + kGap;
    }
    // One column per step, or one per block of steps (the block's last frame) when there are more than 2000.
    const std::int64_t stride = std::max<std::int64_t>(1, (steps + kMaxWidth - 1) / kMaxWidth);
    const int width = std::max(400, static_cast<int>((steps + stride - 1) / stride));
    QImage image(width, height, QImage::Format_RGB32);
    image.fill(Qt::white);
    QPainter painter(&image);
    QFont font = painter.font();
    font.setPixelSize(12);
    painter.setFont(font);
    int y = 0;
    for (std::size_t m = 0; m < timelines.size(); ++m) {
        const auto& t = timelines[m];
        painter.setPen(Qt::black);
        painter.drawText(QRect(2, y, width - 4, kLabel), Qt::AlignLeft | Qt::AlignVCenter,
                         QString::fromStdString(names[m]) + QString("  (%1 chains x %2 steps)").arg(t.chains()).arg(t.steps()));
        y += kLabel;
        for (int c = 0; c < t.chains(); ++c)
            for (std::int64_t col = 0; col * stride < t.steps(); ++col) {
                const std::int64_t s = std::min(t.steps() - 1, col * stride + stride - 1);
                // Brightness = confidence: full colour when sure, towards black when unsure.
                painter.fillRect(static_cast<int>(col), y + c * kRow, 1, kRow - 1, classShade(t.classAt(c, s), t.confidenceAt(c, s)));
            }
        y += t.chains() * kRow + kGap;
    }
    // Legend: the ten classes.
    int x = 2;
    for (int k = 0; k < 10; ++k) {
        painter.fillRect(x, y + 5, 12, 12, classColour(k));
        painter.setPen(Qt::black);
        painter.drawText(QRect(x + 14, y, 20, kLegend), Qt::AlignLeft | Qt::AlignVCenter, QString::number(k));
        x += 34;
    }
    painter.drawText(QRect(x + 6, y, width - x - 8, kLegend), Qt::AlignLeft | Qt::AlignVCenter,
                     stride > 1 ? QString("darker = less sure; one column per %1 steps").arg(stride) : QString("darker = less sure"));
    return image;
}

} // namespace

Classifier embeddedClassifier()
{
    initCliResources();
    QFile resource(QStringLiteral(":/cli/mnist-classifier.safetensors"));
    QTemporaryFile temp;
    if (!resource.open(QIODevice::ReadOnly) || !temp.open() || temp.write(resource.readAll()) != resource.size() || !temp.flush())
        fail("embedded classifier", "resource", "expected the MNIST classifier compiled into gsn (pass --classifier FILE)");
    return loadClassifier(temp.fileName().toStdString());
}

int mixing(const Args& args)
{
    const CliArgs cli(args, {"model", "chains", "steps", "seed", "init", "out", "timeline", "classifier", "data"}, {"quiet", "help"});
    if (cli.has("help")) {
        std::printf("%s\n", kUsage);
        return 0;
    }
    const std::vector<mixing::ClassMixingEntry> runs =
        mixing::parseClassMixingEntries(cli.require("model", "checkpoints A.safetensors[,B.safetensors...]"), kWhere, "--model");
    const int chains = static_cast<int>(cli.getInt("chains", 100, 1, 10000));
    const long long steps = cli.getInt("steps", 1000, 1, 10000000);
    const std::uint64_t seed = seedOption(cli);
    const ChainStart init = chainStartOption(cli, "init", "test:0", {.testImage = true});
    const std::string outPath = cli.require("out", "a metrics file MIXING.json");
    if (QFileInfo(QString::fromStdString(outPath)).suffix().toLower() != "json")
        fail(kWhere, "--out", "expected a file name ending in .json, got '" + outPath + "'");
    const std::string timelinePath = cli.get("timeline");
    if (!timelinePath.empty()) { // a bad suffix fails before any work
        const QString suffix = QFileInfo(QString::fromStdString(timelinePath)).suffix().toLower();
        if (suffix != "png" && suffix != "pdf" && suffix != "svg")
            fail(kWhere, "--timeline", "expected a file name ending in .png, .pdf or .svg, got '" + timelinePath + "'");
    }
    const bool quiet = cli.has("quiet");
    if (static_cast<long long>(chains) * steps * runs.size() > 200'000'000LL)
        fail(kWhere, "--steps", "expected at most 2e8 labelled frames (chains x steps x models); use fewer --chains or --steps");

    auto app = ensureGuiApp();
    const Classifier classifier = cli.has("classifier") ? loadClassifier(cli.get("classifier")) : embeddedClassifier();
    const Dataset test = loadTestImages(cli.get("data", "mnist-test"), classifier.inputs(), "--data");
    if (test.labels.empty())
        fail(test.name, "labels", "expected a labelled test set (the visited classes are compared with its class frequencies)");
    const std::vector<double> weights = mixing::labelFrequencies(test.labels, classifier.classes());
    const Matrix spreadDigits = test.pixels.topRows(std::min(mixing::kTravelDigits, test.count()));
    const double pixelSpread = mixing::dataSpread(spreadDigits);

    std::vector<ChainInit> inits;
    if (init.kind == ChainStart::Kind::TestImage) {
        inits = mixing::testDigitStarts(test.pixels, chains, testImageIndex(init.word, test.count(), "--init"));
    } else {
        inits.assign(static_cast<std::size_t>(chains), init.kind == ChainStart::Kind::Noise ? ChainInit::noise() : ChainInit::zeros());
    }

    nlohmann::json out = mixing::classMixingHeader(chains, steps, seed, init.word,
                                                   cli.has("classifier") ? cli.get("classifier") : "embedded MNIST classifier",
                                                   test.name, weights, pixelSpread);
    std::vector<std::string> names;
    std::vector<mixing::ClassTimeline> timelines;

    for (const mixing::ClassMixingEntry& run : runs) {
        Checkpoint ck = loadCheckpoint(run.path);
        mixing::ClassMixingChains::Options options;
        options.replicas = run.replicas;
        options.betaMin = run.betaMin;
        mixing::ClassMixingChains set(std::shared_ptr<const Model>(std::move(ck.model)), run.tempering, classifier, inits, seed,
                                      spreadDigits, weights, run.tempering ? run.spec : run.path, options);
        StepProgress progress("mixing " + run.spec, steps, quiet);
        for (long long s = 1; s <= steps; ++s) {
            set.step(classifier); // the start state is not a sample of the chain: steps 1..T are labelled
            progress.update(s);
        }
        const mixing::ClassMixingReport r = set.report();
        const nlohmann::json j = set.json(run.path, r);
        const double pixelTravel = set.pixelTravel().meanStep() / set.pixelSpread();
        const double hiddenTravel = set.hiddenTravel().meanStep() / set.hiddenSpread();
        std::fprintf(stderr,
                     "%s: %.2f class switches per 100 steps, all ten classes seen by %d of %d chains (median %s steps), "
                     "TV %.3f, unsure %.1f %%, travel per step %.3f (pixels) %.3f (top layer) of the data's spread\n",
                     run.spec.c_str(), r.mixing.meanSwitchRatePer100, r.mixing.firstVisit.completed, chains,
                     r.mixing.firstVisit.reached() ? std::to_string(static_cast<long long>(r.mixing.firstVisit.median)).c_str() : "not reached",
                     r.mixing.totalVariation, 100.0 * r.unsureFraction, pixelTravel, hiddenTravel);
        std::string name = run.spec;
        for (int k = 2; out.contains("models") && out["models"].contains(name); ++k)
            name = run.spec + " (" + std::to_string(k) + ")";
        out["models"][name] = j;
        out["order"].push_back(name);
        names.push_back(name + (run.tempering ? "  parallel tempering" : "") +
                        QString("  %1 switches/100 steps").arg(r.mixing.meanSwitchRatePer100, 0, 'f', 2).toStdString());
        timelines.push_back(*set.timeline());
    }

    writeTextAtomically(outPath, out.dump(1) + "\n", "--out");
    if (!timelinePath.empty()) {
        SheetProvenance p;
        p.seed = QString::number(seed);
        p.steps = QString("1-%1").arg(steps);
        p.chains = QString::number(chains);
        p.source = QString::fromStdString(init.word);
        p.extra = {{"Models", QString::fromStdString(cli.get("model"))}};
        saveSheet(renderTimelines(names, timelines), p, QString::fromStdString(timelinePath));
    }
    std::printf("%s\n", outPath.c_str());
    return 0;
}

std::string mixingUsage()
{
    return kUsage;
}

} // namespace gsn::commands
