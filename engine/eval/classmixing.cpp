#include "classmixing.h"

#include "error.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gsn::mixing {

ClassTimeline::ClassTimeline(int chains, int classes) : m_chains(chains), m_classes(classes)
{
    if (chains < 1 || classes < 1)
        fail("class timeline", "size", "expected at least one chain and one class, got " + std::to_string(chains) +
                                           " chains and " + std::to_string(classes) + " classes");
}

void ClassTimeline::add(const Classifier& classifier, const Matrix& means)
{
    if (means.rows() != m_chains || means.cols() != classifier.inputs())
        fail("class timeline", "frame", "expected " + std::to_string(m_chains) + " x " + std::to_string(classifier.inputs()) +
                                            " means, got " + std::to_string(means.rows()) + " x " + std::to_string(means.cols()));
    addProbabilities(classifier.probabilities(means));
}

void ClassTimeline::addProbabilities(const Matrix& p)
{
    if (p.rows() != m_chains || p.cols() != m_classes)
        fail("class timeline", "probabilities", "expected " + std::to_string(m_chains) + " x " + std::to_string(m_classes) +
                                                    ", got " + std::to_string(p.rows()) + " x " + std::to_string(p.cols()));
    for (int c = 0; c < m_chains; ++c) {
        Eigen::Index best = 0;
        const float confidence = p.row(c).maxCoeff(&best);
        m_class.push_back(static_cast<int>(best));
        m_confidence.push_back(confidence);
    }
}

ModeTrace ClassTimeline::confidentClasses() const
{
    const std::int64_t t = steps();
    ModeTrace trace(m_chains, t);
    for (int c = 0; c < m_chains; ++c)
        for (std::int64_t s = 0; s < t; ++s)
            trace(c, s) = confidenceAt(c, s) < kUnsureBelow ? kNoMode : classAt(c, s);
    return trace;
}

double ClassTimeline::unsureFraction() const
{
    if (m_confidence.empty())
        return std::numeric_limits<double>::quiet_NaN();
    std::int64_t unsure = 0;
    for (float v : m_confidence)
        unsure += v < kUnsureBelow;
    return static_cast<double>(unsure) / static_cast<double>(m_confidence.size());
}

ClassMixingMonitor::ClassMixingMonitor(int chains, std::vector<double> weights)
    : m_chains(chains)
    , m_classes(static_cast<int>(weights.size()))
    , m_monitor(chains, 0, std::move(weights), Grid{}, {}, MixingMonitor::Options{std::max(1, chains), 1024})
{
}

void ClassMixingMonitor::addProbabilities(const Matrix& p)
{
    if (p.rows() != m_chains || p.cols() != m_classes)
        fail("class mixing monitor", "probabilities", "expected " + std::to_string(m_chains) + " x " + std::to_string(m_classes) +
                                                          ", got " + std::to_string(p.rows()) + " x " + std::to_string(p.cols()));
    m_lastClass.resize(static_cast<std::size_t>(m_chains));
    m_lastConfidence.resize(static_cast<std::size_t>(m_chains));
    m_modes.resize(static_cast<std::size_t>(m_chains));
    for (int c = 0; c < m_chains; ++c) {
        Eigen::Index best = 0;
        const float confidence = p.row(c).maxCoeff(&best);
        const auto cc = static_cast<std::size_t>(c);
        m_lastClass[cc] = static_cast<int>(best);
        m_lastConfidence[cc] = confidence;
        const bool unsure = confidence < kUnsureBelow;
        m_modes[cc] = unsure ? kNoMode : static_cast<int>(best);
        m_unsure += unsure;
    }
    m_frames += m_chains;
    m_monitor.add(m_modes.data(), nullptr);
}

double ClassMixingMonitor::unsureFraction() const
{
    return m_frames == 0 ? std::numeric_limits<double>::quiet_NaN()
                         : static_cast<double>(m_unsure) / static_cast<double>(m_frames);
}

ClassMixingReport ClassMixingMonitor::report(const AcceptanceCounts& counts, double seconds) const
{
    ClassMixingReport r;
    r.mixing = m_monitor.report(counts, seconds);
    r.unsureFraction = unsureFraction();
    return r;
}

std::vector<double> labelFrequencies(const std::vector<int>& labels, int classes)
{
    std::vector<std::int64_t> counts(static_cast<std::size_t>(classes), 0);
    for (int label : labels) {
        if (label < 0 || label >= classes)
            fail("labels", "class", "expected a class in [0, " + std::to_string(classes) + "), got " + std::to_string(label));
        ++counts[static_cast<std::size_t>(label)];
    }
    return frequencies(counts);
}

ClassMixingReport classMixingReport(const ClassTimeline& timeline, const std::vector<double>& weights,
                                    const AcceptanceCounts& counts, double seconds)
{
    if (static_cast<int>(weights.size()) != timeline.classes())
        fail("class mixing", "weights", "expected " + std::to_string(timeline.classes()) + " class weights, got " +
                                            std::to_string(weights.size()));
    ClassMixingReport r;
    r.mixing = mixingReport(timeline.confidentClasses(), {}, weights, counts, seconds);
    r.unsureFraction = timeline.unsureFraction();
    return r;
}

double dataSpread(const Matrix& data)
{
    if (data.rows() < 2 || data.cols() < 1)
        fail("data spread", "data", "expected at least 2 rows, got " + std::to_string(data.rows()));
    const Eigen::MatrixXd x = data.cast<double>();
    const Eigen::RowVectorXd mean = x.colwise().mean();
    const double totalVariance = (x.rowwise() - mean).squaredNorm() / static_cast<double>(x.rows() - 1);
    return std::sqrt(2.0 * totalVariance);
}

void TravelMeter::add(const Matrix& states)
{
    if (m_last.size() > 0) {
        if (states.rows() != m_last.rows() || states.cols() != m_last.cols())
            fail("travel", "states", "expected " + std::to_string(m_last.rows()) + " x " + std::to_string(m_last.cols()) +
                                         " states, got " + std::to_string(states.rows()) + " x " + std::to_string(states.cols()));
        for (Eigen::Index c = 0; c < states.rows(); ++c)
            m_sum += static_cast<double>((states.row(c) - m_last.row(c)).norm());
        m_moves += states.rows();
    }
    m_last = states;
}

double TravelMeter::meanStep() const
{
    return m_moves == 0 ? std::numeric_limits<double>::quiet_NaN() : m_sum / static_cast<double>(m_moves);
}

} // namespace gsn::mixing
