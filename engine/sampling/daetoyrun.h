#pragma once
// The DAE paper's Figure 3, run live (issue 13 item 5; SPEC 2.4; the Mixing lab's "DAE paper Figure 3"
// window): the non-parametric DAE chains of npdae.h on the toys of daetoys.h, advanced in batches, with
// what the figure compares and how far the chain is from the truth as it runs.
//
// Discrete toy: p = daeToyDiscrete() over 10 values; `samples` training draws (seed), the counting
// estimator P(X | X~) fitted on them with the ring corruption (keep, width), `chains` chains started at
// the first training draws; the chains' histogram is over every state after every step so far. Distance:
// the total variation TV(histogram, p), next to TV(empirical, p) (what the training set alone gives) and
// TV(pi, p), pi the estimated chain's exact stationary distribution (what an infinitely long run gives).
//
// Continuous toy: the 10-D curve of daeToyContinuous(); `samples` exact training draws (seed), the Parzen
// conditional estimator (corruption sigma, input bandwidth h, output kernel s), `chains` independent chains
// started at the first training draw (or at the training draws). Distance: the sliced 1-Wasserstein distance between the chains' current
// states (one sample of `chains` points, independent across chains) and as many fresh exact draws
// (seed + 1), over 64 fixed random directions; its noise floor is the same distance between two
// independent exact sample sets of that size (seeds + 2 and + 3). (A pool of consecutive states of fewer
// chains would be autocorrelated and sit far above that floor for no fault of the sampler.)
//
// Plain C++ (no Qt); one thread advances a run at a time (the window's BackgroundJob).

#include "npdae.h"
#include "target.h"
#include "tensor.h"

#include <Eigen/Core>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace gsn {

// The sliced 1-Wasserstein distance between two point sets (rows; the same column count, >= 1 row each):
// the mean over `directions` unit directions (Philox(seed, direction, 0) normals) of the 1-D W1 between the
// projections, computed from both sorted projections at the quantiles (k + 0.5) / max(n_a, n_b).
double slicedWasserstein1(const Matrix& a, const Matrix& b, int directions, std::uint64_t seed);

struct DiscreteToyOptions {
    int samples = 5000;   // training draws (SPEC 2.4: 5000 pairs)
    double keep = 0.5;    // ring corruption: x~ = x with this probability
    int width = 1;        // else a neighbour up to `width` away
    int chains = 100;
    std::uint64_t seed = 1;
};

class DiscreteToyRun {
public:
    // gsn::Error naming the field for samples < 1, chains < 1, or a corruption ringCorruption refuses.
    explicit DiscreteToyRun(const DiscreteToyOptions& options);

    void advance(int steps);
    std::int64_t steps() const { return m_steps; }
    const DiscreteToyOptions& options() const { return m_options; }

    const Eigen::VectorXd& truth() const { return m_truth; }
    const Eigen::VectorXd& empirical() const { return m_dae.empirical(); }
    const Eigen::VectorXd& stationary() const { return m_stationary; }
    // Every chain's states after every step so far, normalised (zeros before the first step).
    Eigen::VectorXd chainHistogram() const;
    double tvChain() const;      // TV(chainHistogram, truth); NaN before the first step
    double tvEmpirical() const;  // TV(empirical, truth)
    double tvStationary() const; // TV(stationary, truth)
    // (step, tvChain) after each advance, thinned to at most 400 points.
    const std::vector<std::pair<std::int64_t, double>>& series() const { return m_series; }

private:
    DiscreteToyOptions m_options;
    Eigen::VectorXd m_truth;
    DiscreteNpDae m_dae;
    Eigen::VectorXd m_stationary;
    std::vector<int> m_x;
    std::vector<std::int64_t> m_counts;
    std::int64_t m_steps = 0;
    std::vector<std::pair<std::int64_t, double>> m_series;
};

struct ContinuousToyOptions {
    int samples = 2000;        // exact training draws
    double corruption = 0.5;   // Parzen conditional: corruption sigma (0.1: the chains creep along the curve)
    double bandwidth = 0.1;    // input kernel h
    double outputSigma = 0.05; // output kernel s
    int chains = 2000;         // the sample the scatter plots and the distance show
    bool startAtOnePoint = true; // every chain at the first training draw (shows the chains spreading over
                                 // the curve), else chain c at training draw c mod samples
    std::uint64_t seed = 1;
};

class ContinuousToyRun {
public:
    static constexpr int kDirections = 64;
    // gsn::Error naming the field for samples or chains < 1 or bad kernel widths.
    explicit ContinuousToyRun(const ContinuousToyOptions& options);

    void advance(int steps);
    std::int64_t steps() const { return m_steps; }
    const ContinuousToyOptions& options() const { return m_options; }

    const Matrix& data() const { return m_dae.clean(); } // the training draws, shape = [samples, 10]
    const Matrix& states() const { return m_x; } // the chains' current states, shape = [chains, 10]
    double distance() const;   // sliced W1(states, reference); that of the start (the training draws) at step 0
    double noiseFloor() const { return m_floor; }
    const std::vector<std::pair<std::int64_t, double>>& series() const { return m_series; }

private:
    ContinuousToyOptions m_options;
    std::shared_ptr<const Target> m_target;
    ParzenNpDae m_dae;
    Matrix m_x;
    Matrix m_reference;
    double m_floor = 0;
    std::int64_t m_steps = 0;
    std::vector<std::pair<std::int64_t, double>> m_series;
};

} // namespace gsn
