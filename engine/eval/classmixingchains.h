#pragma once
// One model's chains in a class-mixing comparison (issue 15, SPEC 5; docs/mixing.md "MNIST"): what
// `gsn mixing` (cli/cmd_mixing.cpp) and the studio's Class mixing window both run, so the two give the
// same numbers for the same models, seed and start.
//
// A comparison runs every model's C chains from one seed and one start (test digits or noise). After
// every step the classifier labels each chain's displayed mean (ClassTimeline / ClassMixingMonitor in
// classmixing.h), and the travel per step is measured in pixel space and, for models whose chains carry
// a hidden state, in the top hidden layer's space, each against the spread of the first
// kTravelDigits test digits there (their codes: topLayerCodes). The start state is not a sample: steps
// 1..T are labelled.

#include "chains.h"
#include "classifier.h"
#include "classmixing.h"
#include "model.h"
#include "sampler.h"
#include "tensor.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gsn::mixing {

// Test digits whose spread (and codes) normalise the travel.
inline constexpr int kTravelDigits = 1000;

// One entry of `gsn mixing --model A[,B@pt[:R:BETA_MIN]...]`: a checkpoint, and whether an RBM runs with
// parallel tempering instead of its plain Gibbs chain, on the rbm-pt defaults or on a geometric ladder of
// R replicas from beta 1 down to BETA_MIN.
struct ClassMixingEntry {
    std::string spec; // as given ("rbm.safetensors@pt:8:0.5")
    std::string path; // the checkpoint ("rbm.safetensors")
    bool tempering = false;
    int replicas = 0;     // 0: the rbm-pt sampler's default
    double betaMin = 0.0; // 0: the rbm-pt sampler's default
};
// Parses a comma-separated list; gsn::Error(where, field, ...) for an empty entry or a ladder that is not
// "@pt:R:BETA_MIN" with R in [2, 64] and BETA_MIN in (0, 1).
std::vector<ClassMixingEntry> parseClassMixingEntries(const std::string& list, const std::string& where,
                                                      const std::string& field);

// Chain c starts at test digit (index + c) mod N (testPixels shape = [N, n], index in [0, N)).
std::vector<ChainInit> testDigitStarts(const Matrix& testPixels, int chains, long long index);

// The sampler a comparison runs `model` with: the model's own chain (model-chain), or with `tempering`
// the rbm-pt sampler with its defaults (4 replicas, geometric ladder down to beta 0.2) or with `replicas`
// and `betaMin` where they are not 0. gsn::Error naming `where` when tempering is asked of a model that is
// not an RBM.
std::shared_ptr<const Sampler> classMixingSampler(const Model& model, bool tempering, const std::string& where,
                                                  int replicas = 0, double betaMin = 0.0);

// The top hidden layer's codes of `digits` (shape = [N, n_visible]) under the model's own chain: every
// pixel clamped to the digit for (layers + 1) steps, so every layer has heard from the data.
// shape = [N, n_top]
Matrix topLayerCodes(const std::shared_ptr<const Model>& model, const Matrix& digits, int width, int height,
                     std::uint64_t seed);

class ClassMixingChains {
public:
    struct Options {
        // Keep every frame's class and confidence (ClassTimeline: the CLI's timeline image, and a report
        // whose class R-hat uses every step). Off: only the streaming monitor (O(C) memory; the studio).
        bool keepTimeline = true;
        // Record the chains' top hidden layer in the frames (needed for the hidden-space travel).
        bool recordTop = true;
        // The tempering ladder (0: the rbm-pt defaults); see ClassMixingEntry.
        int replicas = 0;
        double betaMin = 0.0;
    };

    // C = inits.size() chains of `model` (visible size = the classifier's inputs, else gsn::Error naming
    // `where`) with classMixingSampler(model, tempering), started at `inits` with `seed`.
    // travelDigits shape = [N >= 2, n]: the test digits the travel is measured against; weights shape =
    // [classes]: the test set's class frequencies.
    ClassMixingChains(std::shared_ptr<const Model> model, bool tempering, const Classifier& classifier,
                      const std::vector<ChainInit>& inits, std::uint64_t seed, const Matrix& travelDigits,
                      std::vector<double> weights, const std::string& where, Options options);
    ClassMixingChains(std::shared_ptr<const Model> model, bool tempering, const Classifier& classifier,
                      const std::vector<ChainInit>& inits, std::uint64_t seed, const Matrix& travelDigits,
                      std::vector<double> weights, const std::string& where)
        : ClassMixingChains(std::move(model), tempering, classifier, inits, seed, travelDigits, std::move(weights), where,
                            Options{})
    {
    }

    // One step of every chain, then its labels (the classifier's probabilities of the displayed means)
    // and the travel. Only this call's sampler step counts in seconds().
    void step(const Classifier& classifier);

    int chains() const { return m_monitor.chains(); }
    std::int64_t steps() const { return m_monitor.steps(); }
    double seconds() const { return m_seconds; }
    bool tempering() const { return m_tempering; }
    const std::shared_ptr<const Model>& model() const { return m_model; }
    const ChainSet& chainSet() const { return m_set; }
    // The current frame (displayed means, and the top layer when recorded).
    FramePtr frame() const { return m_set.frame(); }
    // The last step's probabilities, shape = [C, classes] (empty before the first step).
    const Matrix& lastProbabilities() const { return m_lastProbabilities; }
    const ClassMixingMonitor& monitor() const { return m_monitor; }
    // Every frame's class and confidence (null unless Options::keepTimeline).
    const ClassTimeline* timeline() const { return m_timeline.get(); }

    // The metrics so far: classMixingReport of the whole timeline when kept, else the monitor's.
    ClassMixingReport report() const;

    // The travel per step (mean distance between consecutive states) and the data's spread, in pixel
    // space and in the top hidden layer's space (NaN where not defined: tempering chains carry replicas,
    // a DAE's chain carries no hidden state).
    const TravelMeter& pixelTravel() const { return m_pixels; }
    const TravelMeter& hiddenTravel() const { return m_hidden; }
    double pixelSpread() const { return m_pixelSpread; }
    double hiddenSpread() const { return m_codeSpread; }
    int topLayer() const; // index of the top layer (0 = pixels)
    // The codes of the travel digits in the top layer (shape = [N, n_top]; empty when not computed).
    const Matrix& travelCodes() const { return m_codes; }

    // The object `gsn mixing` writes under models.<name> of mixing.json (docs/mixing.md), for `report`.
    nlohmann::json json(const std::string& path, const ClassMixingReport& report) const;

private:
    std::shared_ptr<const Model> m_model;
    bool m_tempering = false;
    ChainSet m_set;
    Options m_options;
    ClassMixingMonitor m_monitor;
    std::unique_ptr<ClassTimeline> m_timeline;
    std::vector<double> m_weights;
    Matrix m_lastProbabilities;
    Matrix m_codes;
    double m_pixelSpread = 0.0;
    double m_codeSpread = 0.0;
    TravelMeter m_pixels, m_hidden;
    double m_seconds = 0.0;
};

// The top-level fields of mixing.json besides "order" and "models".
nlohmann::json classMixingHeader(int chains, long long steps, std::uint64_t seed, const std::string& init,
                                 const std::string& classifier, const std::string& data, const std::vector<double>& weights,
                                 double pixelSpread);

} // namespace gsn::mixing
