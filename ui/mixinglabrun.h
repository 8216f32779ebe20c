#pragma once
// The worker side of the Mixing lab window (issue 13 item 3): one 2D target, 2 to 4 samplers on it
// from the same start states and the same seed, their mixing metrics (engine/eval/mixingmetrics.h) and
// what the panels draw, advanced step by step. Plain C++ (no Qt): the window owns one MixingLabRun at a
// time and hands it to exactly one BackgroundJob at a time (MixingLab), which returns an immutable
// MixingLabSnapshot for the GUI thread to draw; the GUI thread never touches the run itself.
//
// The engine calls are those of `gsn mix` (cli/cmd_mix.cpp): samplers built through the registry with the
// target in their config, estimators (npdae) fitted on 5000 exact draws with seed + 1, the DAE samplers
// under a dae-gauss trained on the target with seed + 3, chains started at exact draws of the target
// (seed), the KL histogram on a 64 x 64 grid over the target's view box (plus one outside cell), and a
// MixingMonitor per sampler fed the target's mode map after every step.

#include "mixingmetrics.h"
#include "model.h"
#include "sampler.h"
#include "target.h"

#include <nlohmann/json.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace gsn {

// One sampler the lab offers: a registry kind and what its "step" control sets.
struct LabSamplerKind {
    std::string name;      // as the lab and `gsn mix` spell it: rwmh, mala, ula, pt, npdae, dae-score, dae
    std::string label;     // the registry's label
    std::string stepField; // the config field the panel's step control sets ("" = none)
    std::string stepLabel; // "step", "corruption"
    double defaultStep = 0.5;
    bool needsDae = false; // runs under the lab's dae-gauss trained on the target
    // The step control is the corruption level of the DAE the chain runs under (one DAE trained per
    // level; a change needs a new run).
    bool daeCorruption = false;
};
// The samplers of the lab, in menu order (those the registry has; registry labels).
const std::vector<LabSamplerKind>& labSamplerKinds();
// The kind named `name`, or nullptr.
const LabSamplerKind* findLabSamplerKind(const std::string& name);

struct LabPanelConfig {
    std::string sampler = "rwmh"; // a LabSamplerKind name
    double step = 0.5;            // its step control (step size, or the npdae's corruption)
    // pt only: the ladder, R replicas on a geometric ladder from beta 1 down to betaMin (the registry's
    // "replicas" and "beta_min"). Another betaMin keeps the chains (setLadder); another R needs a new run.
    int replicas = 5;
    double betaMin = 0.05;
};

struct LabConfig {
    nlohmann::json target = {{"kind", "isolated-modes"}}; // a createTarget config without "beta"
    std::string targetFile;                               // set: the target is read from this file instead
    double beta = 1.0;                                    // sharpness p^beta / Z_beta, in [0.05, 20]
    int chains = 100;
    std::uint64_t seed = 1;
    bool startAtPoint = false;              // false: chains start at exact draws (seed); true: all at `start`
    std::array<double, 2> start{0.0, 0.0};
    std::vector<LabPanelConfig> panels;
    int trailChains = 4;   // chains whose trajectories are drawn (the first ones)
    int trailLength = 80;  // steps a trajectory keeps
    int gridCells = 64;    // G of the KL grid
    int daeEpochs = 200;   // training epochs of the lab's DAE (DaeLabOptions::epochs)
};

// One point of a panel's live series (the running metrics after `step`).
struct LabSeriesPoint {
    std::int64_t step = 0;
    double switchRate = 0;   // mean switches per 100 steps per chain, whole run
    double kl = 0;           // KL(chain histogram || truth) on the grid, nats (NaN before any step)
    double acceptance = 0;   // acceptance rate so far (NaN without proposals)
    double rhat = 0;         // max over the coordinates of the rank R-hat (NaN undefined, inf never mixes)
};

struct LabPanelSnapshot {
    std::string sampler;                // LabSamplerKind name
    std::string label;                  // e.g. "rwmh (step 0.5)"
    double step = 0;
    std::int64_t steps = 0;             // steps taken
    std::vector<float> points;          // shape = [C, 2] row-major: the chains' current states
    std::vector<std::uint8_t> moved;    // shape = [C]: 1 = the last step changed the state (accepted), 0 = stayed
    std::vector<std::vector<std::array<float, 2>>> trails; // trailChains trajectories, oldest first
    mixing::MixingReport report;        // MixingMonitor::report of the run so far
    double kl = 0;                      // as in the series
    std::vector<LabSeriesPoint> series; // thinned evenly to at most 400 points
    // The chains' histogram on the KL grid, all chains and steps so far: shape = [G * G + 1], cell
    // iy * G + ix (iy from the bottom of the box), the cell outside the box last.
    std::vector<std::int64_t> histogram;
    // DAE samplers: the reconstruction field of the panel's DAE on a grid over the target's box, arrows
    // from x~ to r(x~) = x~ + s^2 * learned score (DAE paper Figure 2): each {x, y, rx, ry}. Else empty.
    std::vector<std::array<float, 4>> arrows;
    // DAE samplers: the log-density the panel's DAE implies (learnedLogDensity, daelab.h; up to a constant)
    // at the centres of the KL grid's G x G cells, cell iy * G + ix (iy from the bottom). Else empty.
    std::vector<float> implied;
    // Chain 1's last 400 states, oldest first: each {step, x1, x2} (a trace plot).
    std::vector<std::array<float, 3>> trace;
};

struct MixingLabSnapshot {
    std::uint64_t generation = 0;            // the run's number (a Reset makes a new run)
    std::shared_ptr<const Target> target;    // immutable, shared with the run
    nlohmann::json targetConfig;             // target->config()
    double beta = 1.0;
    int chains = 0;
    std::uint64_t seed = 0;
    std::array<double, 4> box{};             // the target's view box (and the KL grid's)
    int gridCells = 64;                      // G of the KL grid (and of the histograms)
    // The truth's probability of every grid cell, shape = [G * G + 1] (as LabPanelSnapshot::histogram).
    std::shared_ptr<const std::vector<double>> cellTruth;
    std::vector<double> weights;             // true mode weights
    double seconds = 0;                      // wall time of the steps so far (all panels)
    std::uint64_t reportSerial = 0;          // changes when the panels' reports were recomputed
    std::vector<LabPanelSnapshot> panels;
};
using MixingLabSnapshotPtr = std::shared_ptr<const MixingLabSnapshot>;

class MixingLabRun {
public:
    using Progress = std::function<void(const std::string&)>;
    // Builds the target, the samplers (training the DAE when a panel needs it; `progress` hears about
    // it) and starts every panel's chains at the same exact draws. Throws gsn::Error (naming the panel
    // and field) for a bad config; returns early with cancelled() when *cancel turns true.
    MixingLabRun(const LabConfig& config, std::uint64_t generation, const std::atomic<bool>* cancel = nullptr,
                 const Progress& progress = {});
    ~MixingLabRun();
    MixingLabRun(const MixingLabRun&) = delete;
    MixingLabRun& operator=(const MixingLabRun&) = delete;

    bool cancelled() const { return m_cancelled; }
    // Changes panel `panel`'s step control; its chains are kept (the sampler is rebuilt around the state).
    void setStep(int panel, double step);
    // Changes a pt panel's lowest inverse temperature (the same number of replicas); its chains are kept.
    void setLadder(int panel, double betaMin);
    // `steps` steps of every panel, stopping early when *cancel is true or (maxSeconds > 0) the wall
    // time passes maxSeconds. Returns the steps taken.
    int advance(int steps, const std::atomic<bool>* cancel = nullptr, double maxSeconds = 0.0);
    // The points now, with every panel's report (a few ms per panel with 10000 chains: ranks, FFTs).
    // reportAge > 0: a report younger than reportAge seconds is reused (the points, trails, histogram and
    // KL are new; the report, series and R-hats are those of that time), so running chains can be drawn
    // at the display's rate while the metrics follow a few times a second. reportSerial tells them apart.
    MixingLabSnapshotPtr snapshot(double reportAge = 0.0);

    const LabConfig& config() const { return m_config; }
    const Target& target() const { return *m_target; }

private:
    struct Panel;
    std::shared_ptr<const Sampler> buildSampler(const LabPanelConfig& panel, int index) const;
    void stepPanel(Panel& panel);
    const Model* modelOf(const Panel& panel) const; // the DAE a panel runs under, or null

    LabConfig m_config;
    std::uint64_t m_generation = 0;
    bool m_cancelled = false;
    std::shared_ptr<const Target> m_target;
    nlohmann::json m_targetConfig;
    Matrix m_data;                          // exact draws (seed + 1) for estimators
    std::map<double, std::shared_ptr<const Model>> m_daes; // trained dae-gauss per corruption level (panels that need one)
    mixing::Grid m_grid;
    std::shared_ptr<const std::vector<double>> m_truth; // cell probabilities of the grid, outside cell last
    std::vector<double> m_weights;
    double m_seconds = 0;
    std::uint64_t m_reportSerial = 0;
    std::chrono::steady_clock::time_point m_reportTime{};
    std::vector<std::unique_ptr<Panel>> m_panels;
};

// The true probability of every cell of `grid` (row-major, the outside cell last), as gsn mix computes it.
std::vector<double> gridTruth(const Target& target, const mixing::Grid& grid);

} // namespace gsn
