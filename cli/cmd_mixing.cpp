// gsn mixing: how MNIST chains mix between classes (issue 15, SPEC 5; engine/eval/classmixing.h). Every
// model of --model runs C chains from one seed and one start for T steps; the embedded digit classifier
// names the class of every frame; the metrics of mixingmetrics.h are computed on those classes. Also
// the travel per step in pixel space and in the top hidden layer's space, each relative to the test
// digits' spread there (classmixing.h "Travel"). Progress on stderr, the metrics as JSON (atomic), the
// class timelines as an image (--timeline).

#include "chains.h"
#include "checkpoint.h"
#include "chainoptions.h"
#include "classifier.h"
#include "classmixing.h"
#include "cliargs.h"
#include "clampmask.h"
#include "commands.h"
#include "commandsupport.h"
#include "error.h"
#include "samplerregistry.h"
#include "sheetwriter.h"

#include <nlohmann/json.hpp>

#include <QColor>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QPainter>
#include <QTemporaryFile>

#include <chrono>
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
    "                tempering (the rbm-pt sampler's defaults) instead of its plain Gibbs chain\n"
    "  --init        chain c starts at test digit INDEX + c (default test:0, as the authors' code), or uniform noise\n"
    "  --classifier  the digit classifier that names each frame's class (default: the embedded MNIST classifier)\n"
    "  --timeline    one row per chain, one column per step, coloured by class, darker where the classifier is\n"
    "                unsure; one block per model\n"
    "  A frame whose class probability is below 0.5 is 'unsure' (between modes): it is no visit and no switch.";

constexpr int kSpreadDigits = 1000; // test digits whose spread (and codes) normalise the travel

// The ten class colours (matplotlib's tab10), as the studio's hover labels use.
const QColor kClassColours[10] = {QColor(31, 119, 180), QColor(255, 127, 14), QColor(44, 160, 44), QColor(214, 39, 40),
                                  QColor(148, 103, 189), QColor(140, 86, 75),  QColor(227, 119, 194), QColor(127, 127, 127),
                                  QColor(188, 189, 34),  QColor(23, 190, 207)};

Classifier embeddedClassifier()
{
    initCliResources();
    QFile resource(QStringLiteral(":/cli/mnist-classifier.safetensors"));
    QTemporaryFile temp;
    if (!resource.open(QIODevice::ReadOnly) || !temp.open() || temp.write(resource.readAll()) != resource.size() || !temp.flush())
        fail("embedded classifier", "resource", "expected the MNIST classifier compiled into gsn (pass --classifier FILE)");
    return loadClassifier(temp.fileName().toStdString());
}

struct Run {
    std::string spec;  // as given
    std::string path;  // the checkpoint
    bool tempering = false;
};

std::vector<Run> parseModels(const std::string& list)
{
    std::vector<Run> runs;
    std::size_t start = 0;
    while (start <= list.size()) {
        const std::size_t comma = list.find(',', start);
        std::string item = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (item.empty())
            fail(kWhere, "--model", "expected a comma-separated list of checkpoints, got an empty entry in '" + list + "'");
        Run r{item, item, false};
        if (item.size() > 3 && item.compare(item.size() - 3, 3, "@pt") == 0) {
            r.path = item.substr(0, item.size() - 3);
            r.tempering = true;
        }
        runs.push_back(r);
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    return runs;
}

// The top hidden layer's codes of the first kSpreadDigits test digits under the model's own chain:
// every pixel clamped to the digit for (layers + 1) steps, so every layer has heard from the data.
Matrix dataCodes(const std::shared_ptr<const Model>& model, const Dataset& test, int width, int height, std::uint64_t seed)
{
    const int count = std::min(kSpreadDigits, test.count());
    ChainSet set(model, width, height);
    std::vector<ChainInit> inits;
    for (int i = 0; i < count; ++i)
        inits.push_back(ChainInit::fromRow(test.pixels, i));
    set.reset(inits, seed);
    ClampMask all(width, height);
    all.clamped.assign(all.clamped.size(), 1);
    for (int i = 0; i < count; ++i) {
        const auto row = test.pixels.row(i);
        set.setClamp(i, all, std::vector<float>(row.data(), row.data() + test.pixels.cols()));
    }
    set.setRecordTop(true);
    const int layers = static_cast<int>(model->layerSizes().size()) - 1;
    for (int s = 0; s <= layers; ++s)
        set.step();
    return set.frame()->top;
}

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
                const QColor base = kClassColours[t.classAt(c, s) % 10];
                // Brightness = confidence: full colour when sure, towards black when unsure.
                const double v = std::clamp(static_cast<double>(t.confidenceAt(c, s)), 0.0, 1.0);
                const QColor shade = QColor::fromRgbF(float(base.redF() * v), float(base.greenF() * v), float(base.blueF() * v));
                painter.fillRect(static_cast<int>(col), y + c * kRow, 1, kRow - 1, shade);
            }
        y += t.chains() * kRow + kGap;
    }
    // Legend: the ten classes.
    int x = 2;
    for (int k = 0; k < 10; ++k) {
        painter.fillRect(x, y + 5, 12, 12, kClassColours[k]);
        painter.setPen(Qt::black);
        painter.drawText(QRect(x + 14, y, 20, kLegend), Qt::AlignLeft | Qt::AlignVCenter, QString::number(k));
        x += 34;
    }
    painter.drawText(QRect(x + 6, y, width - x - 8, kLegend), Qt::AlignLeft | Qt::AlignVCenter,
                     stride > 1 ? QString("darker = less sure; one column per %1 steps").arg(stride) : QString("darker = less sure"));
    return image;
}

} // namespace

int mixing(const Args& args)
{
    const CliArgs cli(args, {"model", "chains", "steps", "seed", "init", "out", "timeline", "classifier", "data"}, {"quiet", "help"});
    if (cli.has("help")) {
        std::printf("%s\n", kUsage);
        return 0;
    }
    const std::vector<Run> runs = parseModels(cli.require("model", "checkpoints A.safetensors[,B.safetensors...]"));
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
    const Matrix spreadDigits = test.pixels.topRows(std::min(kSpreadDigits, test.count()));
    const double pixelSpread = mixing::dataSpread(spreadDigits);

    std::vector<ChainInit> inits;
    if (init.kind == ChainStart::Kind::TestImage) {
        const long long index = testImageIndex(init.word, test.count(), "--init");
        for (int c = 0; c < chains; ++c)
            inits.push_back(ChainInit::fromRow(test.pixels, static_cast<Eigen::Index>((index + c) % test.count())));
    } else {
        inits.assign(static_cast<std::size_t>(chains), init.kind == ChainStart::Kind::Noise ? ChainInit::noise() : ChainInit::zeros());
    }

    nlohmann::json out;
    out["chains"] = chains;
    out["steps"] = steps;
    out["seed"] = seed;
    out["init"] = init.word;
    out["classifier"] = cli.has("classifier") ? cli.get("classifier") : "embedded MNIST classifier";
    out["data"] = test.name;
    out["true_weights"] = weights;
    out["unsure_below"] = mixing::kUnsureBelow;
    out["pixel_spread"] = pixelSpread;
    out["order"] = nlohmann::json::array();
    std::vector<std::string> names;
    std::vector<mixing::ClassTimeline> timelines;

    for (const Run& run : runs) {
        Checkpoint ck = loadCheckpoint(run.path);
        std::shared_ptr<const Model> model(std::move(ck.model));
        if (model->visibleSize() != classifier.inputs())
            fail(run.path, "sizes", "expected a model of " + std::to_string(classifier.inputs()) + " visible units (the classifier's " +
                                        std::to_string(classifier.width()) + "x" + std::to_string(classifier.height()) +
                                        " images), got " + std::to_string(model->visibleSize()));
        const int width = classifier.width(), height = classifier.height();
        std::shared_ptr<const Sampler> sampler;
        if (run.tempering) {
            if (model->kind() != "rbm")
                fail(run.spec, "@pt", "expected an RBM checkpoint for parallel tempering, got a " + model->kind());
            sampler = createSampler(samplerKind("rbm-pt").defaultConfig());
        } else {
            sampler = createSampler(samplerKind(ModelChainsSampler::kKind).defaultConfig());
        }
        ChainSet set(model, sampler, FrameLayout::image(width, height));
        set.setRecordTop(true);
        set.reset(inits, seed);

        // Codes of test digits in the top hidden layer (models whose chains carry one).
        Matrix codes;
        if (!run.tempering && model->layerSizes().size() > 1)
            codes = dataCodes(model, test, width, height, seed);
        const double codeSpread = codes.rows() >= 2 ? mixing::dataSpread(codes) : std::numeric_limits<double>::quiet_NaN();

        mixing::ClassTimeline timeline(chains, classifier.classes());
        mixing::TravelMeter pixels, hidden;
        auto observe = [&](const FramePtr& frame) {
            timeline.add(classifier, frame->cells);
            pixels.add(frame->cells);
            if (codes.rows() >= 2 && frame->top.rows() == chains && frame->top.cols() == codes.cols())
                hidden.add(frame->top);
        };
        double seconds = 0.0;
        StepProgress progress("mixing " + run.spec, steps, quiet);
        for (long long s = 1; s <= steps; ++s) {
            const auto t0 = std::chrono::steady_clock::now();
            set.step();
            seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            observe(set.frame()); // the start state is not a sample of the chain: steps 1..T are labelled
            progress.update(s);
        }
        const SamplerDiagnostics diag = set.diagnostics();
        const mixing::AcceptanceCounts counts{diag.proposals, diag.accepts, diag.swapAttempts, diag.swapAccepts};
        const mixing::ClassMixingReport r = mixing::classMixingReport(timeline, weights, counts, seconds);

        nlohmann::json j;
        j["model"] = run.path;
        j["kind"] = model->kind();
        j["sizes"] = model->layerSizes();
        j["sampler"] = set.sampler()->config();
        j["seconds"] = seconds;
        j["switch_rate_per_100"] = r.mixing.meanSwitchRatePer100;
        j["switch_rate_per_100_per_chain"] = r.mixing.switchRatePer100;
        j["all_classes_visited"] = {{"median_steps", number(r.mixing.firstVisit.median)},
                                    {"completed", r.mixing.firstVisit.completed},
                                    {"chains", r.mixing.firstVisit.chains},
                                    {"per_chain", r.mixing.firstFullVisit}};
        j["visits"] = {{"counts", r.mixing.visits},
                       {"frequencies", r.mixing.visitFrequencies},
                       {"total_variation", number(r.mixing.totalVariation)}};
        j["unsure_fraction"] = number(r.unsureFraction);
        j["class_rhat_max"] = number(r.mixing.modeRhatMax);
        j["swap_rates"] = r.mixing.swapRates;
        j["travel"] = {{"pixel", {{"mean_step", number(pixels.meanStep())}, {"spread", pixelSpread},
                                  {"relative", number(pixels.meanStep() / pixelSpread)}}},
                       {"hidden", {{"layer", static_cast<int>(model->layerSizes().size()) - 1},
                                   {"mean_step", number(hidden.meanStep())}, {"spread", number(codeSpread)},
                                   {"relative", number(hidden.meanStep() / codeSpread)}}}};
        std::fprintf(stderr,
                     "%s: %.2f class switches per 100 steps, all ten classes seen by %d of %d chains (median %s steps), "
                     "TV %.3f, unsure %.1f %%, travel per step %.3f (pixels) %.3f (top layer) of the data's spread\n",
                     run.spec.c_str(), r.mixing.meanSwitchRatePer100, r.mixing.firstVisit.completed, chains,
                     r.mixing.firstVisit.reached() ? std::to_string(static_cast<long long>(r.mixing.firstVisit.median)).c_str() : "not reached",
                     r.mixing.totalVariation, 100.0 * r.unsureFraction, pixels.meanStep() / pixelSpread, hidden.meanStep() / codeSpread);
        std::string name = run.spec;
        for (int k = 2; out.contains("models") && out["models"].contains(name); ++k)
            name = run.spec + " (" + std::to_string(k) + ")";
        out["models"][name] = j;
        out["order"].push_back(name);
        names.push_back(name + (run.tempering ? "  parallel tempering" : "") +
                        QString("  %1 switches/100 steps").arg(r.mixing.meanSwitchRatePer100, 0, 'f', 2).toStdString());
        timelines.push_back(std::move(timeline));
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
