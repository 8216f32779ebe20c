#pragma once
// The worker side of the Class mixing window (issue 15 items 1 and 2; docs/mixing.md "The Class mixing
// window"): the five models the studio ships (the default GSN-2, the DAE without and with walkback, the
// RBM with block Gibbs and with parallel tempering) run C chains each from one seed and one start, every
// frame labelled by the embedded MNIST classifier, measured by the engine's ClassMixingChains
// (engine/eval/classmixingchains.h: the code `gsn mixing` runs, so the numbers are the command's).
//
// Plain C++ apart from reading the embedded resources: the window owns one ClassMixingRun at a time and
// hands it to exactly one BackgroundJob at a time, which returns an immutable ClassMixingSnapshot for
// the GUI thread to draw; the GUI thread never touches the run itself.

#include "classmixingchains.h"
#include "pca.h"

#include <nlohmann/json.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace gsn {

// One panel of the window: an embedded checkpoint and how its chains run.
struct ClassMixingModelChoice {
    std::string name;     // as the panel's title says it ("GSN-2 (default)")
    std::string key;      // the key under "models" in the exported JSON (as gsn mixing names a --model entry)
    std::string resource; // the Qt resource of the checkpoint (empty: `file`)
    bool tempering = false;
    std::string sampler;  // what the chain is, for the panel ("block Gibbs", "parallel tempering, 4 replicas")
    std::string file;     // a checkpoint on disk chosen for the panel instead of the embedded one (empty: none)
};
// The five panels, in order.
const std::vector<ClassMixingModelChoice>& classMixingModels();
// What panel `panel` (0..4) runs: the embedded checkpoint of classMixingModels() when `file` is empty,
// else the checkpoint at `file` with the panel's sampler (the tempering panel keeps its ladder, so its
// file must hold an RBM; the others run the model's own chain). The key is the --model entry of
// `gsn mixing` that runs the same chains: the path, with the tempering panel's "@pt:R:BETA_MIN".
ClassMixingModelChoice classMixingChoice(int panel, const std::string& file);

struct ClassMixingConfig {
    int chains = 10;        // per panel, 1..100
    std::uint64_t seed = 1;
    bool noiseStart = false; // false: chain c starts at test digit testIndex + c
    int testIndex = 0;
    std::string data = "mnist-test"; // the labelled test set (start digits, class frequencies, travel)
    // Per panel, a checkpoint file run instead of the embedded model (missing or empty: the embedded one).
    std::vector<std::string> panelFiles;
    // The init word gsn mixing takes for the same start ("test:N" or "noise").
    std::string initWord() const;
};

// The 2D PCA views of one panel (issue 15 item 3): pixel space fitted on the travel test digits, the top
// hidden layer fitted on their codes under the panel's model (null where the chain has no hidden state),
// with the digits (or codes) projected as the background cloud. Immutable once fitted.
struct ClassPanelPca {
    std::shared_ptr<const Pca> pixels, hidden;
    Eigen::MatrixXd pixelCloud, hiddenCloud; // shape = [N, 2]
    std::vector<int> cloudLabels;            // shape = [N]: the test digits' classes
};
using ClassPanelPcaPtr = std::shared_ptr<const ClassPanelPca>;

struct ClassPanelSnapshot {
    std::string name, key, sampler;
    std::int64_t steps = 0;
    FramePtr frame;                   // the chains' current displayed means (shape = [C, 784])
    // The last `recentSteps` steps' labels, oldest first: index (t * C + c); step of t = firstRecentStep + t.
    std::int64_t firstRecentStep = 1;
    int recentSteps = 0;
    std::vector<std::uint8_t> recentClass;
    std::vector<float> recentConfidence;
    mixing::ClassMixingReport report; // the engine's metrics of the whole run (ClassMixingMonitor)
    double pixelTravel = 0;           // mean step / the data's spread in pixel space (NaN before 2 steps)
    double hiddenTravel = 0;          // the same in the top hidden layer's space (NaN where not defined)
    nlohmann::json json;              // models.<key> of mixing.json
    // What the PCA of issue 15 item 3 needs: the codes of the travel digits in the top layer (null: none),
    // once fitted the PCA, and the chains' projected states of the last kTrailSteps steps since then,
    // oldest first: index (t * C + c), {pc1, pc2} (hidden: empty without a hidden PCA).
    std::shared_ptr<const Matrix> codes;
    ClassPanelPcaPtr pca;
    int trailSteps = 0;
    std::vector<std::array<float, 2>> pixelTrail, hiddenTrail;
};

struct ClassMixingSnapshot {
    std::uint64_t generation = 0;
    ClassMixingConfig config;
    nlohmann::json header;            // mixing.json's top-level fields (classMixingHeader) without steps
    std::vector<ClassPanelSnapshot> panels;
    double seconds = 0;               // wall time of the steps (all panels, sampler steps only)
    std::shared_ptr<const Matrix> travelDigits; // shape = [N, 784]: the test digits of the travel (and PCA)
    std::vector<int> travelLabels;              // shape = [N]
};
using ClassMixingSnapshotPtr = std::shared_ptr<const ClassMixingSnapshot>;

// Fits the PCA views of a panel from a snapshot's travel digits and the panel's codes (null: no hidden
// view); `pixels` (may be null) is a fit of the same digits to reuse. Seconds for a 1500-unit layer: run
// it on a worker.
ClassPanelPcaPtr fitClassPanelPca(const Matrix& digits, const std::vector<int>& labels, const Matrix* codes,
                                  const ClassPanelPca* pixels = nullptr);

// What the window exports: exactly the schema of `gsn mixing --out` (docs/mixing.md).
nlohmann::json classMixingJson(const ClassMixingSnapshot& snapshot);
// One row per panel of the same figures, columns named by their JSON path (header first).
std::string classMixingCsv(const ClassMixingSnapshot& snapshot);

class ClassMixingRun {
public:
    using Progress = std::function<void(const std::string&)>;
    // Loads the classifier, the test set and the five checkpoints (classMixingChoice of each panel's
    // file), and starts every panel's chains at the same start with the same seed. gsn::Error for a bad
    // config, a missing test set (its message says how to get it), a checkpoint that does not load (its
    // message names the file) or a tempering panel's file that is not an RBM; returns early with
    // cancelled() when *cancel turns true.
    ClassMixingRun(const ClassMixingConfig& config, std::uint64_t generation, const std::atomic<bool>* cancel = nullptr,
                   const Progress& progress = {});
    ~ClassMixingRun();
    ClassMixingRun(const ClassMixingRun&) = delete;
    ClassMixingRun& operator=(const ClassMixingRun&) = delete;

    bool cancelled() const { return m_cancelled; }
    // `steps` steps of every panel (one step of each in turn, so they stay together), stopping early when
    // *cancel is true or (maxSeconds > 0) the wall time passes maxSeconds. Returns the steps taken.
    int advance(int steps, const std::atomic<bool>* cancel = nullptr, double maxSeconds = 0.0);
    ClassMixingSnapshotPtr snapshot() const;
    // Installs panel `panel`'s fitted PCA: from now on every step's states are projected (and the current
    // one at once) for the trajectories.
    void setPca(int panel, ClassPanelPcaPtr pca);
    // Steps of projected states each panel keeps.
    static constexpr int kTrailSteps = 60;

    const ClassMixingConfig& config() const { return m_config; }
    int panelCount() const { return static_cast<int>(m_panels.size()); }
    const mixing::ClassMixingChains& chains(int panel) const;
    // Steps of labels each panel keeps for the timelines.
    static constexpr int kRecentSteps = 1000;

private:
    struct Panel;
    ClassMixingConfig m_config;
    std::uint64_t m_generation = 0;
    bool m_cancelled = false;
    std::shared_ptr<const Classifier> m_classifier;
    nlohmann::json m_header;
    std::shared_ptr<const Matrix> m_travelDigits;
    std::vector<int> m_travelLabels;
    std::vector<std::unique_ptr<Panel>> m_panels;
};

} // namespace gsn
