#include "mixinglabrun.h"

#include "dae.h"
#include "daelab.h"
#include "error.h"
#include "samplerregistry.h"
#include "targets2d.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <iomanip>
#include <sstream>

namespace gsn {

namespace {

constexpr int kMaxLabReplicas = 32; // a pt panel's replicas at most
constexpr int kDataDraws = 5000;  // training points of estimators (npdae), as gsn mix
constexpr std::size_t kMaxSeries = 400;
constexpr int kFieldPoints = 21; // the DAE field's grid per axis
constexpr std::size_t kTraceSteps = 400;

// Arrows from x~ to r(x~) on an n x n grid over `box` (r(x~) - x~ = s^2 * the learned score).
std::vector<std::array<float, 4>> reconstructionField(const Dae& dae, const std::array<double, 4>& box, int n)
{
    Matrix x(static_cast<Eigen::Index>(n) * n, 2);
    for (int r = 0; r < n; ++r)
        for (int c = 0; c < n; ++c) {
            x(r * n + c, 0) = static_cast<float>(box[0] + (c + 0.5) * (box[1] - box[0]) / n);
            x(r * n + c, 1) = static_cast<float>(box[2] + (r + 0.5) * (box[3] - box[2]) / n);
        }
    const Matrix score = learnedScore(dae, x);
    const double s2 = dae.corruption().level * dae.corruption().level;
    std::vector<std::array<float, 4>> out;
    for (Eigen::Index i = 0; i < x.rows(); ++i)
        out.push_back({x(i, 0), x(i, 1), static_cast<float>(x(i, 0) + s2 * score(i, 0)),
                       static_cast<float>(x(i, 1) + s2 * score(i, 1))});
    return out;
}

// learnedLogDensity at the centres of the grid's cells (row-major from the bottom, as the histogram).
std::vector<float> impliedOnGrid(const Dae& dae, const mixing::Grid& grid)
{
    const int g = grid.cells;
    Matrix x(static_cast<Eigen::Index>(g) * g, 2);
    for (int iy = 0; iy < g; ++iy)
        for (int ix = 0; ix < g; ++ix) {
            x(iy * g + ix, 0) = static_cast<float>(grid.xlo + (ix + 0.5) * (grid.xhi - grid.xlo) / g);
            x(iy * g + ix, 1) = static_cast<float>(grid.ylo + (iy + 0.5) * (grid.yhi - grid.ylo) / g);
        }
    const Eigen::VectorXd l = learnedLogDensity(dae, x);
    std::vector<float> out(static_cast<std::size_t>(l.size()));
    for (Eigen::Index i = 0; i < l.size(); ++i)
        out[static_cast<std::size_t>(i)] = static_cast<float>(l(i));
    return out;
}

// The registry kind behind a lab sampler name (the aliases of gsn mix: npdae, dae).
std::string registryKind(const std::string& name)
{
    if (name == "npdae")
        return "npdae-parzen";
    if (name == "dae")
        return "model-chain";
    return name;
}

std::string formatValue(double v)
{
    std::ostringstream out;
    out << std::setprecision(3) << v;
    return out.str();
}

} // namespace

const std::vector<LabSamplerKind>& labSamplerKinds()
{
    static const std::vector<LabSamplerKind> kinds = [] {
        // name, step field and default; labels from the registry (a kind missing there is not offered)
        const std::vector<LabSamplerKind> wanted = {
            {"rwmh", "", "step_size", "step", 0.5, false},
            {"mala", "", "step_size", "step", 0.25, false},
            {"ula", "", "step_size", "step", 0.1, false},
            {"pt", "", "step_size", "base step", 0.5, false},
            {"npdae", "", "corruption_sigma", "corruption", 0.3, false},
            {"dae-score", "", "step_size", "step", 0.1, true},
            {"dae", "", "corruption", "corruption", 0.3, true, true},
        };
        std::vector<LabSamplerKind> out;
        for (LabSamplerKind k : wanted) {
            const SamplerKind* row = findSamplerKind(registryKind(k.name));
            if (!row)
                continue;
            k.label = k.name == "dae" ? "DAE chain (dae-gauss trained on the target)" : row->label;
            out.push_back(k);
        }
        return out;
    }();
    return kinds;
}

const LabSamplerKind* findLabSamplerKind(const std::string& name)
{
    for (const LabSamplerKind& k : labSamplerKinds())
        if (k.name == name)
            return &k;
    return nullptr;
}

std::vector<double> gridTruth(const Target& target, const mixing::Grid& grid)
{
    const int g = grid.cells;
    std::vector<double> truth(static_cast<std::size_t>(grid.cellCount()), 0.0);
    double inside = 0.0;
    const double cw = (grid.xhi - grid.xlo) / g, ch = (grid.yhi - grid.ylo) / g;
    for (int iy = 0; iy < g; ++iy)
        for (int ix = 0; ix < g; ++ix) {
            const double p = std::max(0.0, target.cellProbability(grid.xlo + ix * cw, grid.xlo + (ix + 1) * cw,
                                                                  grid.ylo + iy * ch, grid.ylo + (iy + 1) * ch));
            truth[static_cast<std::size_t>(iy * g + ix)] = p;
            inside += p;
        }
    truth.back() = std::max(0.0, 1.0 - inside);
    return truth;
}

struct MixingLabRun::Panel {
    LabPanelConfig config;
    const LabSamplerKind* kind = nullptr;
    std::shared_ptr<const Sampler> sampler;
    std::unique_ptr<SamplerState> state;
    std::unique_ptr<mixing::MixingMonitor> monitor;
    std::vector<std::uint8_t> moved;
    std::vector<std::deque<std::array<float, 2>>> trails;
    std::vector<LabSeriesPoint> series;
    std::int64_t seriesStride = 1; // a series point every seriesStride steps (doubles when full)
    std::vector<std::array<float, 4>> arrows; // the DAE's reconstruction field (DAE panels)
    std::vector<float> implied;               // the log-density the DAE implies on the KL grid (DAE panels)
    std::deque<std::array<float, 3>> trace;   // chain 1: {step, x1, x2}, the last kTraceSteps
    Matrix previous;
    double seconds = 0;
    mixing::MixingReport report; // the last computed (snapshot's reportAge)
};

MixingLabRun::MixingLabRun(const LabConfig& config, std::uint64_t generation, const std::atomic<bool>* cancel,
                           const Progress& progress)
    : m_config(config), m_generation(generation)
{
    if (config.panels.empty() || config.panels.size() > 4)
        fail("mixing lab", "panels", "expected 1 to 4 panels, got " + std::to_string(config.panels.size()));
    if (config.chains < 1 || config.chains > 10000)
        fail("mixing lab", "chains", "expected 1 to 10000 chains, got " + std::to_string(config.chains));
    if (!(config.beta >= 0.05 && config.beta <= 20.0))
        fail("mixing lab", "beta", "expected a sharpness in [0.05, 20], got " + std::to_string(config.beta));
    if (progress)
        progress("building the target");
    nlohmann::json tconfig = config.targetFile.empty() ? config.target : loadTargetFile(config.targetFile)->config();
    if (config.beta != 1.0)
        tconfig["beta"] = config.beta;
    m_target = createTarget(tconfig, config.targetFile.empty() ? "mixing lab target" : config.targetFile);
    if (m_target->dimension() != 2)
        fail("mixing lab target", "dimension", "expected a 2D target, got " + std::to_string(m_target->dimension()));
    m_targetConfig = m_target->config();
    const std::array<double, 4> box = m_target->viewBox();
    m_grid = mixing::Grid{box[0], box[1], box[2], box[3], config.gridCells};
    m_truth = std::make_shared<const std::vector<double>>(gridTruth(*m_target, m_grid));
    m_weights = m_target->modeWeights();
    const std::uint64_t seed = config.seed;

    // The DAEs: one dae-gauss per corruption level the panels ask for (the DAE chain's step control; Langevin
    // on the learned score uses the default level), trained on exact draws as gsn mix trains it.
    const double defaultCorruption = DaeLabOptions{}.corruption;
    for (const LabPanelConfig& p : config.panels) {
        const LabSamplerKind* kind = findLabSamplerKind(p.sampler);
        if (!kind)
            fail("mixing lab", "sampler", "unknown sampler '" + p.sampler + "'");
        if (!kind->needsDae)
            continue;
        const double corruption = kind->daeCorruption ? p.step : defaultCorruption;
        if (!(corruption > 0.0) || !std::isfinite(corruption))
            fail("mixing lab", "corruption", "expected a DAE corruption level > 0, got " + std::to_string(corruption));
        if (m_daes.count(corruption))
            continue;
        DaeLabOptions options;
        options.train.seed = seed + 3;
        options.corruption = corruption;
        if (config.daeEpochs < 1)
            fail("mixing lab", "dae epochs", "expected >= 1, got " + std::to_string(config.daeEpochs));
        options.epochs = config.daeEpochs;
        std::unique_ptr<Dae> model = newLabDae(2, options, seed + 3);
        const std::string what = "training the DAE (corruption " + formatValue(corruption) + ") on the target: epoch ";
        const TrainResult trained = trainDaeOnTarget(*model, *m_target, options, [&](const EpochSummary& e) {
            if (progress && (e.epoch + 1) % 20 == 0)
                progress(what + std::to_string(e.epoch + 1) + " of " + std::to_string(options.epochs));
        }, cancel);
        if (cancel && cancel->load()) {
            m_cancelled = true;
            return;
        }
        if (trained.status != TrainStatus::Finished)
            fail("mixing lab", "dae", "the DAE's training on the target did not finish: " + trained.message);
        m_daes[corruption] = std::shared_ptr<const Model>(std::move(model));
    }

    // The same start for every panel: exact draws of the target (as gsn mix), or one point.
    Matrix x0;
    if (config.startAtPoint) {
        if (!std::isfinite(config.start[0]) || !std::isfinite(config.start[1]))
            fail("mixing lab", "start", "expected a finite point");
        x0.resize(config.chains, 2);
        x0.col(0).setConstant(static_cast<float>(config.start[0]));
        x0.col(1).setConstant(static_cast<float>(config.start[1]));
    } else {
        x0 = m_target->sample(config.chains, seed);
    }
    for (std::size_t i = 0; i < config.panels.size(); ++i) {
        auto panel = std::make_unique<Panel>();
        panel->config = config.panels[i];
        panel->kind = findLabSamplerKind(panel->config.sampler);
        panel->sampler = buildSampler(panel->config, static_cast<int>(i));
        const Model* model = modelOf(*panel);
        if (model)
            panel->sampler->checkModel(model);
        panel->state = panel->sampler->start(model, x0);
        if (const auto* dae = dynamic_cast<const Dae*>(model)) {
            panel->arrows = reconstructionField(*dae, box, kFieldPoints);
            panel->implied = impliedOnGrid(*dae, m_grid);
        }
        panel->monitor = std::make_unique<mixing::MixingMonitor>(config.chains, 2, m_weights, m_grid, *m_truth);
        panel->moved.assign(static_cast<std::size_t>(config.chains), 0);
        panel->trails.resize(static_cast<std::size_t>(std::min(config.trailChains, config.chains)));
        for (std::size_t c = 0; c < panel->trails.size(); ++c)
            panel->trails[c].push_back({x0(static_cast<Eigen::Index>(c), 0), x0(static_cast<Eigen::Index>(c), 1)});
        m_panels.push_back(std::move(panel));
        if (cancel && cancel->load()) {
            m_cancelled = true;
            return;
        }
    }
}

MixingLabRun::~MixingLabRun() = default;

const Model* MixingLabRun::modelOf(const Panel& panel) const
{
    if (!panel.kind->needsDae)
        return nullptr;
    const double corruption = panel.kind->daeCorruption ? panel.config.step : DaeLabOptions{}.corruption;
    const auto it = m_daes.find(corruption);
    if (it == m_daes.end())
        fail("mixing lab", panel.config.sampler, "no DAE trained at corruption " + formatValue(corruption));
    return it->second.get();
}

std::shared_ptr<const Sampler> MixingLabRun::buildSampler(const LabPanelConfig& panel, int index) const
{
    const LabSamplerKind* kind = findLabSamplerKind(panel.sampler);
    const std::string where = "mixing lab panel " + std::to_string(index + 1);
    if (!kind)
        fail(where, "sampler", "unknown sampler '" + panel.sampler + "'");
    const SamplerKind& row = samplerKind(registryKind(kind->name), where, "sampler");
    nlohmann::json config = row.defaultConfig();
    if (!kind->stepField.empty() && !(panel.step > 0.0 && std::isfinite(panel.step)))
        fail(where, kind->stepLabel, "expected a value > 0, got " + std::to_string(panel.step));
    if (kind->daeCorruption) {
        // the corruption belongs to the DAE the chain runs under, not to the sampler's config
    } else if (kind->name == "pt") {
        config["base"][kind->stepField] = panel.step;
        if (panel.replicas < 2 || panel.replicas > kMaxLabReplicas)
            fail(where, "replicas", "expected 2 to " + std::to_string(kMaxLabReplicas) + " replicas, got " +
                                        std::to_string(panel.replicas));
        if (!(panel.betaMin > 0.0 && panel.betaMin < 1.0))
            fail(where, "lowest beta", "expected a value in (0, 1), got " + formatValue(panel.betaMin));
        config["replicas"] = panel.replicas;
        config["beta_min"] = panel.betaMin;
    } else if (!kind->stepField.empty()) {
        config[kind->stepField] = panel.step;
    }
    if (row.capabilities.needsTarget)
        config["target"] = m_targetConfig;
    SamplerInputs inputs;
    Matrix data;
    if (row.capabilities.needsData) {
        data = m_target->sample(kDataDraws, m_config.seed + 1);
        inputs.data = &data;
        inputs.seed = m_config.seed + 1;
    }
    std::shared_ptr<const Sampler> sampler = createSampler(config, inputs);
    if (!row.capabilities.needsModel && sampler->dimension(nullptr) != 2)
        fail(where, "dimension", "expected a sampler of 2D points");
    return sampler;
}

void MixingLabRun::setStep(int panel, double step)
{
    if (panel < 0 || panel >= static_cast<int>(m_panels.size()))
        fail("mixing lab", "panel", "no panel " + std::to_string(panel + 1));
    Panel& p = *m_panels[static_cast<std::size_t>(panel)];
    if (p.kind->stepField.empty() || p.config.step == step)
        return;
    if (p.kind->daeCorruption)
        fail("mixing lab panel " + std::to_string(panel + 1), "corruption",
             "a new corruption level needs a newly trained DAE: build a new run");
    LabPanelConfig next = p.config;
    next.step = step;
    p.sampler = buildSampler(next, panel); // the state is kept: the samplers of one kind continue each other's states
    p.config = next;
}

void MixingLabRun::setLadder(int panel, double betaMin)
{
    if (panel < 0 || panel >= static_cast<int>(m_panels.size()))
        fail("mixing lab", "panel", "no panel " + std::to_string(panel + 1));
    Panel& p = *m_panels[static_cast<std::size_t>(panel)];
    if (p.kind->name != "pt")
        fail("mixing lab panel " + std::to_string(panel + 1), "lowest beta", "only a pt panel has a ladder");
    if (p.config.betaMin == betaMin)
        return;
    LabPanelConfig next = p.config;
    next.betaMin = betaMin;
    p.sampler = buildSampler(next, panel); // the same R: PtSampler continues the state (ptsampler.h)
    p.config = next;
}

void MixingLabRun::stepPanel(Panel& p)
{
    const Model* model = modelOf(p);
    p.previous = p.state->x;
    const auto t0 = std::chrono::steady_clock::now();
    p.sampler->step(model, *p.state, m_config.seed, nullptr);
    p.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const Matrix& x = p.state->x;
    if (x.rows() != p.previous.rows() || x.cols() != 2)
        fail("mixing lab", p.config.sampler, "expected [chains, 2] after a step");
    const std::vector<int> modes = m_target->modeOf(x);
    p.monitor->add(modes.data(), x.data());
    for (Eigen::Index c = 0; c < x.rows(); ++c)
        p.moved[static_cast<std::size_t>(c)] = (x(c, 0) != p.previous(c, 0) || x(c, 1) != p.previous(c, 1)) ? 1 : 0;
    p.trace.push_back({static_cast<float>(p.state->step), x(0, 0), x(0, 1)});
    if (p.trace.size() > kTraceSteps)
        p.trace.pop_front();
    for (std::size_t c = 0; c < p.trails.size(); ++c) {
        auto& trail = p.trails[c];
        trail.push_back({x(static_cast<Eigen::Index>(c), 0), x(static_cast<Eigen::Index>(c), 1)});
        while (static_cast<int>(trail.size()) > m_config.trailLength)
            trail.pop_front();
    }
}

int MixingLabRun::advance(int steps, const std::atomic<bool>* cancel, double maxSeconds)
{
    const auto start = std::chrono::steady_clock::now();
    int done = 0;
    for (; done < steps; ++done) {
        if (cancel && cancel->load())
            break;
        if (maxSeconds > 0.0 && done > 0 &&
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > maxSeconds)
            break;
        for (auto& p : m_panels)
            stepPanel(*p);
    }
    m_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return done;
}

MixingLabSnapshotPtr MixingLabRun::snapshot(double reportAge)
{
    const auto now = std::chrono::steady_clock::now();
    const bool fresh = m_reportSerial == 0 || !(reportAge > 0.0) ||
                       std::chrono::duration<double>(now - m_reportTime).count() >= reportAge;
    if (fresh) {
        ++m_reportSerial;
        m_reportTime = now;
    }
    auto snap = std::make_shared<MixingLabSnapshot>();
    snap->generation = m_generation;
    snap->target = m_target;
    snap->targetConfig = m_targetConfig;
    snap->beta = m_config.beta;
    snap->chains = m_config.chains;
    snap->seed = m_config.seed;
    snap->box = m_target->viewBox();
    snap->weights = m_weights;
    snap->gridCells = m_grid.cells;
    snap->cellTruth = m_truth;
    snap->seconds = m_seconds;
    snap->reportSerial = m_reportSerial;
    for (auto& pp : m_panels) {
        Panel& p = *pp;
        LabPanelSnapshot s;
        s.sampler = p.config.sampler;
        s.step = p.config.step;
        s.label = p.kind->stepField.empty() ? p.config.sampler
                                            : p.config.sampler + " (" + p.kind->stepLabel + " " +
                                                  formatValue(p.config.step) + ")";
        if (p.kind->name == "pt")
            s.label.insert(s.label.size() - 1, ", " + std::to_string(p.config.replicas) + " replicas to \u03b2 " +
                                                   formatValue(p.config.betaMin));
        s.steps = static_cast<std::int64_t>(p.state->step);
        const Matrix& x = p.state->x;
        s.points.assign(x.data(), x.data() + x.size()); // Matrix is row-major: [C, 2]
        s.moved = p.moved;
        for (const auto& trail : p.trails)
            s.trails.emplace_back(trail.begin(), trail.end());
        if (fresh) {
            const SamplerDiagnostics diag = p.sampler->diagnostics(*p.state);
            const mixing::AcceptanceCounts counts{diag.proposals, diag.accepts, diag.swapAttempts, diag.swapAccepts};
            p.report = p.monitor->report(counts, p.seconds);
        }
        s.report = p.report;
        s.kl = p.monitor->klDivergence();
        if (fresh && s.steps > 0 && (p.series.empty() || s.steps - p.series.back().step >= p.seriesStride)) {
            double rhat = std::numeric_limits<double>::quiet_NaN();
            for (const mixing::CoordinateDiagnostics& cd : s.report.coordinates)
                if (!std::isnan(cd.rhat.rank))
                    rhat = std::isnan(rhat) ? cd.rhat.rank : std::max(rhat, cd.rhat.rank);
            p.series.push_back({s.steps, s.report.meanSwitchRatePer100, s.kl, s.report.acceptanceRate, rhat});
            if (p.series.size() > kMaxSeries) {
                // keep every other point: the series spans the run evenly at twice the stride
                std::vector<LabSeriesPoint> thinned;
                for (std::size_t i = 0; i < p.series.size(); i += 2)
                    thinned.push_back(p.series[i]);
                if (thinned.back().step != p.series.back().step)
                    thinned.push_back(p.series.back());
                p.series = std::move(thinned);
                p.seriesStride *= 2;
            }
        }
        s.series = p.series;
        s.histogram = p.monitor->histogram();
        s.arrows = p.arrows;
        s.implied = p.implied;
        s.trace.assign(p.trace.begin(), p.trace.end());
        snap->panels.push_back(std::move(s));
    }
    return snap;
}

} // namespace gsn
