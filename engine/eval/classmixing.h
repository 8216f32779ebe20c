#pragma once
// Mixing on MNIST (SPEC 5, issue 15): the classifier names the class of every frame of every chain, and
// the mode-mixing metrics of mixingmetrics.h are computed on those classes, as on the 2D toys' modes.
//
// Definitions (docs/mixing.md "MNIST"):
// - A frame's class is the classifier's most probable class of the chain's displayed mean; its
//   confidence is that class's probability. A frame whose confidence is below kUnsureBelow (0.5) is
//   "unsure" (a frame between modes): it counts as kNoMode, so it is neither a visit nor a switch, and a
//   switch is counted between the confident classes on either side of it (3, unsure, 3 is no switch).
// - Weights (for the total variation of visited classes) are the test set's class frequencies.
// - Travel: how far consecutive chain states move in a space, relative to the data's spread there:
//   mean over chains and steps of ||s_{t+1} - s_t|| divided by sqrt(2 tr Cov(data)), the root mean
//   square distance between two independent data points. 1 = each step moves as far as from one random
//   test digit to another; near 0 = the chain creeps.

#include "classifier.h"
#include "mixingmetrics.h"
#include "tensor.h"

#include <cstdint>
#include <vector>

namespace gsn::mixing {

inline constexpr double kUnsureBelow = 0.5;

// The classes and confidences of C chains over T steps, filled step by step.
class ClassTimeline {
public:
    ClassTimeline(int chains, int classes);
    // Labels one step of every chain: means shape = [C, n] (the classifier's input size).
    void add(const Classifier& classifier, const Matrix& means);
    // Appends one step already labelled: probabilities shape = [C, classes] (each row sums to 1).
    void addProbabilities(const Matrix& probabilities);

    int chains() const { return m_chains; }
    int classes() const { return m_classes; }
    std::int64_t steps() const { return static_cast<std::int64_t>(m_class.size()) / m_chains; }
    // Most probable class of chain c at step t, and its probability.
    int classAt(int chain, std::int64_t step) const { return m_class[index(chain, step)]; }
    float confidenceAt(int chain, std::int64_t step) const { return m_confidence[index(chain, step)]; }
    // shape = [C, T]: the class, or kNoMode where the classifier is unsure (confidence < kUnsureBelow).
    ModeTrace confidentClasses() const;
    // Fraction of all frames with confidence < kUnsureBelow (NaN before the first step).
    double unsureFraction() const;

private:
    std::size_t index(int chain, std::int64_t step) const
    {
        return static_cast<std::size_t>(step) * static_cast<std::size_t>(m_chains) + static_cast<std::size_t>(chain);
    }
    int m_chains, m_classes;
    std::vector<int> m_class;          // [T, C]
    std::vector<float> m_confidence;   // [T, C]
};

struct ClassMixingReport {
    MixingReport mixing;         // on confidentClasses(), weights = the test set's class frequencies
    double unsureFraction = 0.0; // frames between modes
};

// The same metrics streamed (the studio's Class mixing window): one step of C chains at a time, O(C)
// per step, nothing kept per frame. Switches, visits, first visits, TV and the unsure fraction are
// exact over the whole run; the class R-hat comes from MixingMonitor's thinned history (all chains,
// up to 1024 draws), so it equals classMixingReport's exactly while the run is at most 1024 steps.
class ClassMixingMonitor {
public:
    // C chains, weights shape = [classes] (the test set's class frequencies).
    ClassMixingMonitor(int chains, std::vector<double> weights);
    // One step: probabilities shape = [C, classes] (each row sums to 1).
    void addProbabilities(const Matrix& probabilities);

    int chains() const { return m_chains; }
    int classes() const { return m_classes; }
    std::int64_t steps() const { return m_monitor.steps(); }
    // The last step's most probable class and its probability, per chain (empty before the first step).
    const std::vector<int>& lastClasses() const { return m_lastClass; }
    const std::vector<float>& lastConfidences() const { return m_lastConfidence; }
    double unsureFraction() const; // NaN before the first step
    ClassMixingReport report(const AcceptanceCounts& counts, double seconds) const;

private:
    int m_chains, m_classes;
    MixingMonitor m_monitor;
    std::vector<int> m_lastClass, m_modes;
    std::vector<float> m_lastConfidence;
    std::int64_t m_frames = 0, m_unsure = 0;
};

// Class frequencies of a labelled dataset's labels (shape = [classes], summing to 1).
std::vector<double> labelFrequencies(const std::vector<int>& labels, int classes);

ClassMixingReport classMixingReport(const ClassTimeline& timeline, const std::vector<double>& weights,
                                    const AcceptanceCounts& counts, double seconds);

// Root mean square distance between two independent rows of data: sqrt(2 * sum of the column
// variances). data shape = [N >= 2, d].
double dataSpread(const Matrix& data);

// Accumulates ||s_{t+1} - s_t|| over the steps of C chains in one space.
class TravelMeter {
public:
    // states shape = [C, d]; the first call only remembers them.
    void add(const Matrix& states);
    std::int64_t moves() const { return m_moves; }
    // Mean distance per chain step (NaN before two steps).
    double meanStep() const;

private:
    Matrix m_last;
    double m_sum = 0.0;
    std::int64_t m_moves = 0;
};

} // namespace gsn::mixing
