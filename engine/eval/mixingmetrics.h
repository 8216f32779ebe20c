#pragma once
// Mode-mixing metrics (SPEC 5 and 7, issue 13 item 4): how often chains change mode, how long they
// take to see every mode, how the visited modes and the chains' histogram compare with the truth, and
// the convergence diagnostics of Vehtari, Gelman, Simpson, Carpenter and Bürkner (2021, "Rank-
// normalization, folding, and localization: an improved R-hat for assessing convergence of MCMC"),
// computed as ArviZ (arviz.stats.diagnostics: _rhat_rank, _ess_bulk) computes them.
//
// Inputs are plain: integer mode (or class) sequences and real-valued coordinate traces, never a
// target, so the same functions measure the 2D toys (mode = mixture component) and MNIST chains
// (mode = the digit a classifier assigns, issue 15). docs/mixing.md "Metrics" has every definition.
//
// Shapes: a ModeTrace is shape = [chains, steps] (row c = chain c's modes at steps 0..T-1, values in
// [0, K) or kNoMode); a Draws matrix is shape = [chains, draws] in double precision (row c = chain c's
// values of one coordinate, oldest first).
//
// Undefined values are NaN, never made up: see RhatValue and essBulk for what a chain that never
// leaves one mode (a constant indicator, a constant coordinate) reports.

#include <Eigen/Core>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace gsn::mixing {

using ModeTrace = Eigen::Matrix<int, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Draws = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// A step whose point lies in no mode (a classifier's "unsure", a point outside every region): it never
// counts as a switch or a visit, and a switch is counted between the modes on either side of it.
inline constexpr int kNoMode = -1;

// ---- Mode sequences ------------------------------------------------------------------------------

// Per chain, the number of steps t >= 1 whose mode differs from the last mode seen before t (kNoMode
// steps skipped). shape = [chains]
std::vector<std::int64_t> switchCounts(const ModeTrace& modes);

// Mode-switch rate per 100 steps: 100 * switches / (T - 1) per chain (T - 1 transitions in T steps);
// 0 when T < 2. shape = [chains]
std::vector<double> switchRatePer100(const ModeTrace& modes);

// Per chain, the first step index t at which every one of the K modes has been seen in steps 0..t,
// or -1 when some mode is never visited. shape = [chains]
std::vector<std::int64_t> firstFullVisit(const ModeTrace& modes, int modeCount);

// Steps until every mode has been visited, summarised over chains.
struct FirstVisitSummary {
    int chains = 0;        // C
    int completed = 0;     // chains that saw every mode
    // Median over ALL chains, a chain that never saw every mode counting as +infinity (a censored
    // median): defined as soon as more than half the chains completed (for even C: the mean of the two
    // middle values, so both must be finite); NaN otherwise ("not reached").
    double median = std::numeric_limits<double>::quiet_NaN();
    bool reached() const { return median == median; }
};
FirstVisitSummary summarizeFirstVisits(const std::vector<std::int64_t>& firstVisit);

// Visits of every mode pooled over chains and steps (kNoMode steps not counted). shape = [K]
// Throws gsn::Error for a mode outside [0, K) other than kNoMode.
std::vector<std::int64_t> visitCounts(const ModeTrace& modes, int modeCount);

// counts / sum(counts) (all 0 when nothing was counted). shape = [K]
std::vector<double> frequencies(const std::vector<std::int64_t>& counts);

// Total variation 0.5 * sum_k |f_k - w_k| between visited-mode frequencies f and the true weights w
// (both shape = [K], each summing to 1; w is normalised here). In [0, 1]. NaN when nothing was visited.
double totalVariation(const std::vector<double>& frequencies, const std::vector<double>& weights);

// ---- Histogram on a grid and KL ------------------------------------------------------------------

// A G x G grid over the box [lo, hi) (2D), plus one "outside" cell for points beyond it.
struct Grid {
    double xlo = -1.0, xhi = 1.0, ylo = -1.0, yhi = 1.0;
    int cells = 64; // G per axis
    // Cell index of a point: row-major iy * G + ix in [0, G^2), or G^2 (the outside cell). NaN goes outside.
    int cellOf(double x, double y) const;
    int cellCount() const { return cells * cells + 1; } // G^2 + the outside cell
};

// The smoothing of KL(chain || truth): both distributions are mixed with the uniform distribution u
// over the cellCount() cells, q' = (1 - eps) q + eps u and p' = (1 - eps) p + eps u, so every cell has
// positive mass and the KL is finite (at most log(cells / eps)). By the joint convexity of KL,
// KL(q' || p') <= (1 - eps) KL(q || p): smoothing never exaggerates a difference.
inline constexpr double kDefaultKlEpsilon = 1e-3;

// KL(q' || p') in nats between the histogram `counts` (shape = [cellCount], normalised here) and the
// truth's cell probabilities `truth` (shape = [cellCount]: G^2 cells then the mass outside the box;
// normalised here). NaN when counts are all 0. Throws gsn::Error for sizes that differ, negative or
// non-finite truth values, or eps outside (0, 1].
// Reference: N exact draws give KL ~ (cells - 1) / (2 N) from sampling noise alone (chi-square / 2N).
double klDivergence(const std::vector<std::int64_t>& counts, const std::vector<double>& truth,
                    double epsilon = kDefaultKlEpsilon);

// ---- R-hat and ESS (Vehtari et al. 2021, as ArviZ) -----------------------------------------------

// The split: each chain's first floor(n/2) draws and its last floor(n/2) draws become two chains
// (odd n: the middle draw is dropped). shape = [2 * chains, floor(draws / 2)]: first halves, then second halves.
Draws splitChains(const Draws& draws);

// Rank normalisation of the pooled draws: z = Phi^-1((r - 3/8) / (S + 1/4)), r = the 1-based rank
// among all S values, ties given the average of their ranks. Same shape as draws.
Draws rankNormalize(const Draws& draws);

// The classical R-hat of (already split) chains: sqrt(((n - 1)/n W + B/n) / W), W = the mean of the
// chains' variances (ddof 1), B = n * the variance of the chain means (ddof 1). W = 0: +inf when B > 0,
// NaN when B = 0. NaN for fewer than 2 chains or draws.
double rhatClassic(const Draws& chains);

// Rank-normalised split R-hat: bulk = rhatClassic(rankNormalize(splitChains(x))); folded (tail) = the
// same of |s - median(s)| over the split draws s; rank = max(bulk, folded), the value reported
// ("rhat"). A NaN part is ignored unless both are NaN.
struct RhatValue {
    double bulk = std::numeric_limits<double>::quiet_NaN();
    double folded = std::numeric_limits<double>::quiet_NaN();
    double rank = std::numeric_limits<double>::quiet_NaN();

    // What rank says, for display and JSON: "ok" (finite), "infinite" (+inf: every split chain is
    // constant but not all at one value: the chains never mix), "undefined" (NaN: every draw is the same
    // value, or fewer than 4 draws).
    std::string state() const;
};
// Draws shape = [chains >= 1, draws]; fewer than 4 draws -> all NaN. (ArviZ also wants 2 chains; one
// chain is split into two halves here, as Stan's posterior package does.)
RhatValue rankRhat(const Draws& draws);

// ESS of (already prepared) chains by Geyer's initial positive then initial monotone sequence on the
// multi-chain autocorrelation rho_t = 1 - (W - mean_c acov_c(t)) / var_plus, var_plus = (n-1)/n W + B/n,
// acov from an FFT (biased: divided by n); tau = -1 + 2 sum rho (+ the last positive even term),
// floored at 1 / log10(m n); ESS = m n / tau. NaN when every value is the same (ArviZ returns m n
// there; a chain that never moves has no effective draws to speak of) or for fewer than 4 draws.
double essClassic(const Draws& chains);

// Bulk ESS: essClassic(rankNormalize(splitChains(draws))). NaN as essClassic.
double essBulk(const Draws& draws);

// The autocovariances acov(t), t = 0..n-1, of one series (its mean removed), divided by n, by FFT.
std::vector<double> autocovariance(const double* values, int n);

// Phi^-1(p) for p in (0, 1) to double precision (Acklam's rational approximation and one Halley step).
double normalQuantile(double p);

// ---- Everything for one sampler's chains ---------------------------------------------------------

// What a sampler reports besides its states: from SamplerDiagnostics (sampler.h), copied so that this
// layer needs no sampler.
struct AcceptanceCounts {
    std::uint64_t proposals = 0, accepts = 0;
    std::vector<std::uint64_t> swapAttempts, swapAccepts; // per neighbouring replica pair
};

struct CoordinateDiagnostics {
    RhatValue rhat;
    double essBulk = std::numeric_limits<double>::quiet_NaN();
    double essPerSecond = std::numeric_limits<double>::quiet_NaN();
};

struct MixingReport {
    int chains = 0;
    std::int64_t steps = 0;
    std::vector<int> currentModes;                 // shape = [chains]: the last step's mode
    std::vector<double> switchRatePer100;          // shape = [chains]
    double meanSwitchRatePer100 = 0.0;             // mean over chains
    std::vector<std::int64_t> firstFullVisit;      // shape = [chains], -1 = not every mode seen
    FirstVisitSummary firstVisit;
    std::vector<std::int64_t> visits;              // shape = [K]
    std::vector<double> visitFrequencies;          // shape = [K]
    double totalVariation = std::numeric_limits<double>::quiet_NaN();
    double acceptanceRate = std::numeric_limits<double>::quiet_NaN(); // NaN for samplers without proposals
    std::vector<double> swapRates;                 // per replica pair (tempering), else empty
    std::vector<CoordinateDiagnostics> coordinates; // shape = [d]
    // Rank R-hat of each mode's indicator 1[mode == k] (the R-hat of "which mode"): shape = [K]; max
    // over k in modeRhatMax (NaN ignored; NaN when all are NaN, i.e. every chain in one mode throughout).
    std::vector<RhatValue> modeRhat;
    double modeRhatMax = std::numeric_limits<double>::quiet_NaN();
};

// Every metric of one sampler's run: modes shape = [C, T]; coordinates: d traces, each shape = [C, T]
// (or any thinned [C, n]); weights shape = [K] (the true mode weights); seconds = the wall time the
// chains took (ESS per second; <= 0 gives NaN). R-hat and ESS of the coordinates and mode indicators
// run in parallel (parallel.h), one quantity per task: the same numbers on any thread count.
MixingReport mixingReport(const ModeTrace& modes, const std::vector<Draws>& coordinates,
                          const std::vector<double>& weights, const AcceptanceCounts& counts, double seconds);

// ---- Streaming form for live plots ---------------------------------------------------------------

// Keeps the running metrics of C chains as steps arrive, at O(C) per step (modes, switches, visits,
// first visits, the grid histogram), plus a bounded, thinned history for R-hat and ESS: at most
// historyDraws draws per chain of the first historyChains chains; when it is full, every other draw is
// dropped and the thinning stride doubles, so the history always spans the whole run evenly.
// report() then costs O(d * m * n log(m * n) + K * m * n) over m chains x n draws (a sort for the
// ranks of each coordinate, counting for the two-valued mode indicators, an FFT per chain): measured
// 12 ms of CPU for 64 chains x 300 draws, d = 2, K = 8 (about twice that with a full history), so a
// lab can call it several times a second.
class MixingMonitor {
public:
    struct Options {
        int historyChains = 64;
        int historyDraws = 512; // even, >= 8
    };
    // C chains in dimension d (the first 2 coordinates feed the grid; d = 0: modes only, no points, no
    // histogram, no coordinate diagnostics, as for MNIST classes), K modes with true weights
    // (shape = [K]), the grid and the truth's cell probabilities (shape = [grid.cellCount()]; may be
    // empty: no KL). Throws gsn::Error for inconsistent sizes.
    MixingMonitor(int chains, int dimension, std::vector<double> weights, Grid grid, std::vector<double> cellTruth,
                  Options options);
    MixingMonitor(int chains, int dimension, std::vector<double> weights, Grid grid = {}, std::vector<double> cellTruth = {})
        : MixingMonitor(chains, dimension, std::move(weights), grid, std::move(cellTruth), Options{})
    {
    }

    // One step of every chain: modes shape = [C], points shape = [C, d] row-major (may be null when d = 0).
    void add(const int* modes, const float* points);

    std::int64_t steps() const { return m_steps; }
    int thinning() const { return m_stride; } // history keeps one step in thinning()
    // KL(chain histogram so far || truth) (klDivergence); NaN without a truth.
    double klDivergence(double epsilon = kDefaultKlEpsilon) const;
    const std::vector<std::int64_t>& histogram() const { return m_histogram; }
    // The running metrics; R-hat and ESS over the thinned history (ESS counts history draws, so it is
    // an ESS of the thinned chains); acceptance and swap rates from counts; seconds for ESS/s.
    MixingReport report(const AcceptanceCounts& counts, double seconds) const;

private:
    int m_chains, m_dim, m_modes;
    std::vector<double> m_weights;
    Grid m_grid;
    std::vector<double> m_truth;
    Options m_options;
    std::int64_t m_steps = 0;
    std::vector<int> m_current, m_last;         // last step's mode; last mode seen (kNoMode skipped)
    std::vector<std::int64_t> m_switches, m_first, m_visits, m_histogram;
    std::vector<std::uint8_t> m_seen;           // [C, K]
    std::vector<int> m_seenCount;               // [C]
    int m_stride = 1;
    int m_kept = 0;                             // history columns in use
    std::vector<std::vector<double>> m_history; // per coordinate: [historyChains, historyDraws] row-major
    std::vector<int> m_modeHistory;             // [historyChains, historyDraws]
};

} // namespace gsn::mixing
