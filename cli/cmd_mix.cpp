// gsn mix: several samplers side by side on one 2D target from one seed, and their mixing metrics
// (issue 13 item 7; the metrics are engine/eval/mixingmetrics.h, docs/mixing.md "Command line").
//
// Every sampler of --samplers is built through the sampler registry by kind name (samplerKinds()), so
// kinds added to the table appear here without code: kinds on points that need a target get the target
// in their config, kinds that need data get exact draws of the target. Chains start at exact draws of
// the target (Target::sample(C, seed)) or all at one point; the data of estimators are draws with
// seed + 1, the KL reference draws seed + 2. Progress on stderr, the metrics as JSON (atomic write), a
// panel image per sampler (--plot) and the traces (--trace, float32 .npy [samplers, chains, steps, 2]).

#include "cliargs.h"
#include "commands.h"
#include "commandsupport.h"
#include "daelab.h"
#include "error.h"
#include "jsonlimits.h"
#include "mixingmetrics.h"
#include "mixpanel.h"
#include "npy.h"
#include "samplerregistry.h"
#include "sheetwriter.h"
#include "target.h"

#include <nlohmann/json.hpp>

#include <QDir>
#include <QFileInfo>
#include <QSaveFile>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace gsn::commands {
namespace {

constexpr const char* kUsage =
    "gsn mix --target NAME|FILE.json --samplers KIND,KIND,... [--chains 100] [--steps 10000] [--seed 1] [--beta 1]\n"
    "        --out METRICS.json [--plot PANELS.png|svg|pdf] [--trace TRACE.npy] [--init draws|point:X,Y] [--grid 64] [--quiet]\n"
    "  --target    ring8 (ringK: K modes on radius 4, sd 0.25), gridK, any target kind createTarget knows, or a JSON file\n"
    "  --samplers  sampler kinds on points from the registry (gsn help lists them); dae = the DAE's own chain and\n"
    "              dae-score = Langevin on its learned score, under a dae-gauss trained on the target first\n"
    "              ([--dae-epochs 200]); npdae = npdae-parzen\n"
    "  --init      chain starts: exact draws of the target (default) or every chain at the point X,Y\n"
    "  --grid      G: the KL histogram has G x G cells over the target's view box (plus one outside it)\n"
    "  --trace     float32 .npy, shape [samplers, chains, steps, 2]: every chain's state after each step\n"
    "              (tempering: the beta = 1 replica)";

constexpr int kDataDraws = 5000;        // training points of samplers estimated from data (npdae)
constexpr long long kMaxReferenceDraws = 1000000;
// Names a user may type for a kind the registry calls otherwise (the spelling).
// "dae" is the DAE's own chain (the model-chain sampler under the lab's trained dae-gauss).
const std::vector<std::pair<std::string, std::string>> kAliases = {{"npdae", "npdae-parzen"}, {"dae", "model-chain"}};

bool endsWith(const std::string& s, const std::string& tail)
{
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// The target config a --target value names: ringK / gridK presets, a JSON file, or a kind name.
nlohmann::json targetConfig(const std::string& value)
{
    if (endsWith(value, ".json")) {
        std::ifstream in(value, std::ios::binary);
        if (!in)
            fail(value, "", "cannot read the target file (--target)");
        std::stringstream text;
        text << in.rdbuf();
        return parseJsonLimited(text.str(), value, "");
    }
    std::size_t digits = value.size();
    while (digits > 0 && std::isdigit(static_cast<unsigned char>(value[digits - 1])))
        --digits;
    const std::string stem = value.substr(0, digits);
    const std::string count = value.substr(digits);
    if (!count.empty() && count.size() <= 3 && (stem == "ring" || stem == "grid")) {
        const int k = std::stoi(count);
        if (stem == "ring")  // SPEC 7: radius 4, sd 0.25
            return {{"kind", "ring"}, {"modes", k}, {"radius", 4.0}, {"sd", 0.25}};
        return {{"kind", "grid"}, {"k", k}};
    }
    return {{"kind", value}};
}

std::vector<std::string> splitList(const std::string& text)
{
    std::vector<std::string> out;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ','))
        out.push_back(item);
    if (!text.empty() && text.back() == ',')
        out.push_back({});
    return out;
}

// The kinds gsn mix can build: on points; those that need a model run under a dae-gauss trained on the
// target first (daelab.h: the DAE's own chain, Langevin on its learned score).
std::vector<const SamplerKind*> mixableKinds()
{
    return samplerKindsWhere([](const SamplerKind& k) { return k.capabilities.points && !k.capabilities.needsEnergy; });
}

// Refuses an output path whose folder does not exist or cannot be written, before any work is done.
void checkWritable(const std::string& path, const char* option, const std::string& suffixes)
{
    const QFileInfo info(QString::fromStdString(path));
    bool suffixOk = false;
    for (const std::string& s : splitList(suffixes))
        suffixOk = suffixOk || info.suffix().toLower().toStdString() == s;
    if (!suffixOk)
        fail("command line", option, "expected a file ending in ." + suffixes + ", got '" + path + "'");
    const QFileInfo dir(info.absolutePath());
    if (!dir.isDir() || !dir.isWritable())
        fail("command line", option, "expected a path in a writable folder, got '" + path + "' (folder " +
                                         dir.absoluteFilePath().toStdString() + " missing or not writable)");
}

struct SamplerRun {
    std::string name;
    std::shared_ptr<const Sampler> sampler;
    bool needsModel = false; // runs under the lab's trained DAE
};

} // namespace

int mix(const Args& args)
{
    const CliArgs cli(args, {"target", "samplers", "chains", "steps", "seed", "beta", "out", "plot", "trace", "init", "grid", "dae-epochs"},
                      {"quiet", "help"});
    if (cli.has("help")) {
        std::printf("%s\n", kUsage);
        return 0;
    }
    const std::string targetName = cli.require("target", "a target name (ring8, ...) or a JSON file");
    const std::string samplerList = cli.require("samplers", "comma-separated sampler kinds, e.g. rwmh");
    const std::string outPath = cli.require("out", "the metrics file METRICS.json");
    const long long chains = cli.getInt("chains", 100, 1, 100000);
    const long long steps = cli.getInt("steps", 10000, 4, 10'000'000);
    const auto seed = static_cast<std::uint64_t>(cli.getInt("seed", 1, 0, (1LL << 62)));
    const int gridCells = static_cast<int>(cli.getInt("grid", 64, 4, 1024));
    const bool quiet = cli.has("quiet");
    const double beta = cli.getDouble("beta", 1.0);
    if (!(beta > 0.0) || !std::isfinite(beta))
        fail("command line", "--beta", "expected a number > 0, got " + cli.get("beta"));
    checkWritable(outPath, "--out", "json");
    if (cli.has("plot"))
        checkWritable(cli.get("plot"), "--plot", "png,svg,pdf");
    if (cli.has("trace"))
        checkWritable(cli.get("trace"), "--trace", "npy");

    // The target (named by --target in its errors).
    nlohmann::json tconfig = targetConfig(targetName);
    if (beta != 1.0)
        tconfig["beta"] = beta;
    const std::shared_ptr<const Target> target = createTarget(tconfig, "--target " + targetName);
    if (beta != 1.0 && !target->config().contains("beta"))
        fail("command line", "--beta", "expected 1: the targets of this build take no sharpness beta");
    if (target->dimension() != 2)
        fail("--target " + targetName, "dimension", "expected a 2D target, got " + std::to_string(target->dimension()));
    tconfig = target->config();

    // The samplers, by registry kind.
    const std::string available = kindList(kindNames(mixableKinds()), ", ", ", ");
    std::vector<SamplerRun> runs;
    Matrix data;
    for (std::string name : splitList(samplerList)) {
        std::string kindName = name;
        const SamplerKind* kind = findSamplerKind(kindName);
        for (const auto& [alias, real] : kAliases)
            if (!kind && name == alias && (kind = findSamplerKind(real)))
                kindName = real;
        if (!kind || !kind->capabilities.points || kind->capabilities.needsEnergy)
            fail("command line", "--samplers", "unknown sampler '" + name + "': expected kinds on points from " + available +
                                                   " (or dae, npdae)");
        for (const SamplerRun& r : runs)
            if (r.name == name)
                fail("command line", "--samplers", "expected each sampler once, got '" + name + "' twice");
        nlohmann::json config = kind->defaultConfig();
        if (kind->capabilities.needsTarget)
            config["target"] = tconfig;
        SamplerInputs inputs;
        if (kind->capabilities.needsData) {
            if (data.size() == 0)
                data = target->sample(kDataDraws, seed + 1);
            inputs.data = &data;
            inputs.seed = seed + 1;
        }
        std::shared_ptr<const Sampler> sampler;
        try {
            sampler = createSampler(config, inputs);
        } catch (const Error& e) {
            fail("--samplers " + name, "", e.what());
        }
        if (!kind->capabilities.needsModel && sampler->dimension(nullptr) != 2)
            fail("--samplers " + name, "dimension", "expected a sampler of 2D points, got dimension " +
                                                          std::to_string(sampler->dimension(nullptr)));
        runs.push_back({name, std::move(sampler), kind->capabilities.needsModel});
    }
    const long long samplers = static_cast<long long>(runs.size());
    // The trace is 8 bytes per chain step, the metrics take 16 more per chain step of one sampler: 400 MB + at most 800 MB here.
    if (chains * steps * samplers > 50'000'000LL)
        fail("command line", "--chains/--steps", "expected chains x steps x samplers <= 50000000, got " +
                                                     std::to_string(chains * steps * samplers));

    // Chain starts.
    const std::string init = cli.get("init", "draws");
    Matrix x0;
    if (init == "draws") {
        x0 = target->sample(static_cast<int>(chains), seed);
    } else if (init.rfind("point:", 0) == 0) {
        const std::vector<std::string> xy = splitList(init.substr(6));
        double px = 0, py = 0;
        try {
            if (xy.size() != 2)
                throw std::invalid_argument(init);
            px = std::stod(xy[0]);
            py = std::stod(xy[1]);
        } catch (const std::exception&) {
            fail("command line", "--init", "expected draws or point:X,Y, got '" + init + "'");
        }
        x0.resize(chains, 2);
        x0.col(0).setConstant(static_cast<float>(px));
        x0.col(1).setConstant(static_cast<float>(py));
    } else {
        fail("command line", "--init", "expected draws or point:X,Y, got '" + init + "'");
    }

    // The grid of the KL and the truth's cell probabilities (the last cell: the mass outside the box).
    const std::array<double, 4> box = target->viewBox();
    const mixing::Grid grid{box[0], box[1], box[2], box[3], gridCells};
    std::vector<double> truth(static_cast<std::size_t>(grid.cellCount()), 0.0);
    double inside = 0.0;
    const double cw = (box[1] - box[0]) / gridCells, ch = (box[3] - box[2]) / gridCells;
    for (int iy = 0; iy < gridCells; ++iy)
        for (int ix = 0; ix < gridCells; ++ix) {
            const double p = target->cellProbability(box[0] + ix * cw, box[0] + (ix + 1) * cw, box[2] + iy * ch,
                                                     box[2] + (iy + 1) * ch);
            truth[static_cast<std::size_t>(iy * gridCells + ix)] = std::max(p, 0.0);
            inside += std::max(p, 0.0);
        }
    truth.back() = std::max(0.0, 1.0 - inside);
    const std::vector<double> weights = target->modeWeights();
    const int modeCount = target->modeCount();

    // KL of as many exact draws as the chains made (up to 1e6): the sampling-noise floor of the KL.
    const long long referenceDraws = std::min(chains * steps, kMaxReferenceDraws);
    double referenceKl = 0.0;
    {
        const Matrix ref = target->sample(static_cast<int>(referenceDraws), seed + 2);
        std::vector<std::int64_t> counts(truth.size(), 0);
        for (Eigen::Index i = 0; i < ref.rows(); ++i)
            ++counts[static_cast<std::size_t>(grid.cellOf(ref(i, 0), ref(i, 1)))];
        referenceKl = mixing::klDivergence(counts, truth);
    }

    // KL over time at 50 evenly spaced steps (and the last).
    std::vector<long long> klSteps;
    for (int i = 1; i <= 50; ++i)
        klSteps.push_back(std::max(1LL, steps * i / 50));
    klSteps.erase(std::unique(klSteps.begin(), klSteps.end()), klSteps.end());

    const auto C = static_cast<std::size_t>(chains), T = static_cast<std::size_t>(steps);
    std::vector<float> trace(static_cast<std::size_t>(samplers) * C * T * 2);
    nlohmann::json out;
    out["target"] = tconfig;
    out["target_name"] = targetName;
    out["modes"] = modeCount;
    out["true_weights"] = weights;
    out["chains"] = chains;
    out["steps"] = steps;
    out["seed"] = seed;
    out["beta"] = beta;
    out["init"] = init;
    out["order"] = nlohmann::json::array();
    out["kl_grid"] = {{"cells", gridCells}, {"box", box}, {"epsilon", mixing::kDefaultKlEpsilon},
                      {"outside_mass", truth.back()},
                      {"exact_draws_reference", {{"draws", referenceDraws}, {"kl", number(referenceKl)}}}};
    std::vector<QImage> panels;
    std::vector<std::pair<std::string, mixing::MixingReport>> reports;

    // Samplers that need a model run under a dae-gauss trained on exact draws of the target (the same
    // seed gives the same model), with a progress line per epoch.
    std::shared_ptr<const Model> dae;
    if (std::any_of(runs.begin(), runs.end(), [](const SamplerRun& r) { return r.needsModel; })) {
        DaeLabOptions options;
        options.epochs = static_cast<int>(cli.getInt("dae-epochs", options.epochs, 1, 100000));
        options.train.seed = seed + 3;
        std::unique_ptr<Dae> model = newLabDae(2, options, seed + 3);
        StepProgress progress("mix: training the DAE on the target", options.epochs, quiet);
        const TrainResult trained = trainDaeOnTarget(*model, *target, options, [&](const EpochSummary& e) {
            progress.update(e.epoch + 1);
        });
        if (trained.status != TrainStatus::Finished)
            fail("--samplers", "dae", "the DAE's training on the target did not finish: " + trained.message);
        out["dae"] = {{"hidden", options.hidden}, {"corruption", options.corruption}, {"samples", options.samples},
                      {"epochs", options.epochs}, {"seed", seed + 3}};
        dae = std::shared_ptr<const Model>(std::move(model));
        for (const SamplerRun& r : runs)
            if (r.needsModel)
                r.sampler->checkModel(dae.get());
    }

    for (std::size_t s = 0; s < runs.size(); ++s) {
        const SamplerRun& run = runs[s];
        const Model* model = run.needsModel ? dae.get() : nullptr;
        std::unique_ptr<SamplerState> state = run.sampler->start(model, x0);
        mixing::MixingMonitor monitor(static_cast<int>(chains), 2, weights, grid, truth,
                                      {1, 8});  // running counts and the histogram; R-hat/ESS from the full trace below
        mixing::ModeTrace modes(chains, steps);
        nlohmann::json klOverTime = nlohmann::json::array();
        std::size_t nextKl = 0;
        double seconds = 0.0;
        StepProgress progress("mix " + run.name, steps, quiet);
        float* base = trace.data() + s * C * T * 2;
        for (std::size_t t = 0; t < T; ++t) {
            const auto t0 = std::chrono::steady_clock::now();
            run.sampler->step(model, *state, seed, nullptr);
            seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            const Matrix& x = state->x;
            if (x.rows() != static_cast<Eigen::Index>(chains) || x.cols() != 2)
                fail("--samplers " + run.name, "state", "expected [chains, 2] after a step");
            const std::vector<int> m = target->modeOf(x);
            for (std::size_t c = 0; c < C; ++c) {
                modes(static_cast<Eigen::Index>(c), static_cast<Eigen::Index>(t)) = m[c];
                base[(c * T + t) * 2] = x(static_cast<Eigen::Index>(c), 0);
                base[(c * T + t) * 2 + 1] = x(static_cast<Eigen::Index>(c), 1);
            }
            monitor.add(m.data(), x.data());
            if (nextKl < klSteps.size() && static_cast<long long>(t + 1) == klSteps[nextKl]) {
                klOverTime.push_back({t + 1, number(monitor.klDivergence())});
                ++nextKl;
            }
            progress.update(static_cast<long long>(t + 1));
        }
        const SamplerDiagnostics diag = run.sampler->diagnostics(*state);
        const mixing::AcceptanceCounts counts{diag.proposals, diag.accepts, diag.swapAttempts, diag.swapAccepts};
        std::vector<mixing::Draws> coords(2, mixing::Draws(chains, steps));
        for (std::size_t c = 0; c < C; ++c)
            for (std::size_t t = 0; t < T; ++t)
                for (int i = 0; i < 2; ++i)
                    coords[static_cast<std::size_t>(i)](static_cast<Eigen::Index>(c), static_cast<Eigen::Index>(t)) =
                        base[(c * T + t) * 2 + static_cast<std::size_t>(i)];
        const mixing::MixingReport r = mixing::mixingReport(modes, coords, weights, counts, seconds);

        nlohmann::json j;
        nlohmann::json config = run.sampler->config();
        config.erase("target");
        j["kind"] = run.sampler->kind();
        j["config"] = config;
        j["seconds"] = seconds;
        j["chain_steps_per_second"] = number(static_cast<double>(chains * steps) / seconds);
        j["acceptance_rate"] = number(r.acceptanceRate);
        j["swap_rates"] = numbers(r.swapRates);
        j["switch_rate_per_100"] = r.meanSwitchRatePer100;
        j["switch_rate_per_100_per_chain"] = r.switchRatePer100;
        j["current_modes"] = r.currentModes;
        j["first_visit"] = {{"median", number(r.firstVisit.median)},
                            {"completed", r.firstVisit.completed},
                            {"chains", r.firstVisit.chains},
                            {"per_chain", r.firstFullVisit}};
        j["visits"] = {{"counts", r.visits},
                       {"frequencies", r.visitFrequencies},
                       {"total_variation", number(r.totalVariation)}};
        j["kl"] = {{"final", number(monitor.klDivergence())}, {"over_time", klOverTime}};
        nlohmann::json rhat = nlohmann::json::array(), state_ = nlohmann::json::array(), bulk = nlohmann::json::array(),
                       folded = nlohmann::json::array(), ess = nlohmann::json::array(), essps = nlohmann::json::array();
        for (const mixing::CoordinateDiagnostics& cd : r.coordinates) {
            rhat.push_back(number(cd.rhat.rank));
            state_.push_back(cd.rhat.state());
            bulk.push_back(number(cd.rhat.bulk));
            folded.push_back(number(cd.rhat.folded));
            ess.push_back(number(cd.essBulk));
            essps.push_back(number(cd.essPerSecond));
        }
        j["rhat"] = rhat;
        j["rhat_state"] = state_;
        j["rhat_bulk"] = bulk;
        j["rhat_folded"] = folded;
        j["ess_bulk"] = ess;
        j["ess_per_second"] = essps;
        nlohmann::json modeRhat = nlohmann::json::array(), modeState = nlohmann::json::array();
        for (const mixing::RhatValue& v : r.modeRhat) {
            modeRhat.push_back(number(v.rank));
            modeState.push_back(v.state());
        }
        const bool anyInfinite = std::isinf(r.modeRhatMax);
        j["mode_rhat"] = {{"max", number(r.modeRhatMax)},
                          {"max_state", std::isnan(r.modeRhatMax) ? "undefined" : anyInfinite ? "infinite" : "ok"},
                          {"per_mode", modeRhat},
                          {"per_mode_state", modeState}};
        out["samplers"][run.name] = j;
        out["order"].push_back(run.name);

        std::fprintf(stderr, "%s: acceptance %.3f, switches %.2f per 100 steps, rank R-hat %.3f / %.3f, bulk ESS %.0f / %.0f, KL %.4f, %.2f s\n",
                     run.name.c_str(), r.acceptanceRate, r.meanSwitchRatePer100, r.coordinates[0].rhat.rank,
                     r.coordinates[1].rhat.rank, r.coordinates[0].essBulk, r.coordinates[1].essBulk,
                     monitor.klDivergence(), seconds);
        reports.emplace_back(run.name, r);
    }

    writeTextAtomically(outPath, out.dump(1) + "\n", "--out");
    if (cli.has("trace"))
        writeNpy(cli.get("trace"), trace.data(), {samplers, chains, steps, 2});
    if (cli.has("plot")) {
        auto app = ensureGuiApp();
        for (std::size_t s = 0; s < runs.size(); ++s) {
            // The last 5000 states (all chains' latest first) over the density.
            const float* base = trace.data() + s * C * T * 2;
            std::vector<float> points;
            const std::size_t keep = std::min<std::size_t>(5000, C * T);
            for (std::size_t k = 0; k < keep; ++k) {
                const std::size_t c = k % C, t = T - 1 - (k / C);
                points.push_back(base[(c * T + t) * 2]);
                points.push_back(base[(c * T + t) * 2 + 1]);
            }
            const mixing::MixingReport& r = reports[s].second;
            const QStringList title = {
                QString::fromStdString(runs[s].name) +
                    (std::isnan(r.acceptanceRate) ? QString() : QString("  acceptance %1").arg(r.acceptanceRate, 0, 'f', 2)),
                QString("switches/100 %1  R-hat %2, %3").arg(r.meanSwitchRatePer100, 0, 'f', 2)
                    .arg(r.coordinates[0].rhat.rank, 0, 'f', 3).arg(r.coordinates[1].rhat.rank, 0, 'f', 3)};
            panels.push_back(renderMixPanel(*target, box, points, title));
        }
        SheetProvenance p;
        p.seed = QString::number(seed);
        p.steps = QString::number(steps);
        p.chains = QString::number(chains);
        p.extra = {{"Target", QString::fromStdString(targetName)}, {"Samplers", QString::fromStdString(samplerList)}};
        saveSheet(joinPanels(panels), p, QString::fromStdString(cli.get("plot")));
    }
    std::printf("%s\n", outPath.c_str());
    return 0;
}

std::string mixUsage()
{
    return kUsage;
}

} // namespace gsn::commands
