#include "mixingtraining.h"

#include "chains.h"
#include "classmixing.h"
#include "classmixingchains.h"
#include "error.h"
#include "parzen.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace gsn::mixing {

namespace {

constexpr const char* kWhere = "mixing against training";

void checkData(const Classifier& classifier, const Dataset& test, const TrainingMixingOptions& o)
{
    if (test.labels.empty() || test.count() < 1)
        fail(test.name, "labels", "expected a labelled test set");
    if (test.width != classifier.width() || test.height != classifier.height())
        fail(test.name, "size", "expected " + std::to_string(classifier.width()) + "x" + std::to_string(classifier.height()) +
                                    " digits (the classifier's)");
    if (o.chains < 1 || o.steps < 1)
        fail(kWhere, "chains", "expected at least one chain and one step");
}

// The switch-rate figures of `model`'s chains (nullopt when cancelled).
std::optional<ClassMixingReport> switchFigures(const std::shared_ptr<const Model>& model, const Classifier& classifier,
                                               const Dataset& test, const TrainingMixingOptions& o,
                                               const std::atomic<bool>* cancel)
{
    const std::vector<double> weights = labelFrequencies(test.labels, classifier.classes());
    if (test.count() < 2)
        fail(test.name, "digits", "expected at least 2 test digits");
    const Matrix travel = test.pixels.topRows(std::min(kTravelDigits, test.count()));
    ClassMixingChains::Options options;
    options.keepTimeline = false;
    options.recordTop = false;
    ClassMixingChains chains(model, false, classifier, testDigitStarts(test.pixels, o.chains, o.startIndex), o.seed, travel,
                             weights, kWhere, options);
    for (int t = 0; t < o.steps; ++t) {
        if (cancel && cancel->load())
            return std::nullopt;
        chains.step(classifier);
    }
    return chains.report();
}

} // namespace

std::optional<SnapshotMixing> measureSnapshot(const std::shared_ptr<const Model>& model, int epoch, const Classifier& classifier,
                                              const Dataset& test, const Matrix& validation, const TrainingMixingOptions& o,
                                              const std::atomic<bool>* cancel)
{
    if (!model)
        fail(kWhere, "model", "expected a model");
    checkData(classifier, test, o);
    SnapshotMixing out;
    out.epoch = epoch;
    const std::optional<ClassMixingReport> report = switchFigures(model, classifier, test, o, cancel);
    if (!report)
        return std::nullopt;
    out.switchRatePer100 = report->mixing.meanSwitchRatePer100;
    out.medianStepsToAll = report->mixing.firstVisit.median;
    out.totalVariation = report->mixing.totalVariation;
    out.unsureFraction = report->unsureFraction;
    out.parzenMean = out.parzenStandardError = out.parzenSigma = std::numeric_limits<double>::quiet_NaN();
    if (o.parzenSamples > 0) {
        if (validation.rows() < 1 || validation.cols() != test.pixels.cols())
            fail(kWhere, "validation", "expected validation digits of the test set's size");
        // One chain from test digit startIndex; its consecutive displayed means are the kernel centres.
        ChainSet chain(model, test.width, test.height);
        chain.reset(testDigitStarts(test.pixels, 1, o.startIndex), o.seed + 1);
        Matrix samples(o.parzenSamples, test.pixels.cols());
        for (int i = 0; i < o.parzenSamples; ++i) {
            if (cancel && cancel->load())
                return std::nullopt;
            chain.step();
            samples.row(i) = chain.frame()->cells.row(0);
        }
        const Matrix points = test.pixels.topRows(std::min(o.parzenTest, test.count()));
        const std::optional<ParzenResult> parzen = parzenEvaluate(samples, validation, points, defaultSigmaGrid(), {}, cancel);
        if (!parzen)
            return std::nullopt;
        out.parzenMean = parzen->mean;
        out.parzenStandardError = parzen->standardError;
        out.parzenSigma = parzen->sigma;
    }
    return out;
}

std::shared_ptr<const Model> withNoiseScaled(const Model& model, double scale)
{
    if (!(scale >= 0.0) || !std::isfinite(scale))
        fail(kWhere, "noise scale", "expected a finite number >= 0");
    nlohmann::json config = model.config();
    bool any = false;
    if (config.contains("corruption") && config["corruption"].is_object() && config["corruption"].contains("level")) {
        const std::string type = config["corruption"].value("type", std::string());
        double level = config["corruption"]["level"].get<double>() * scale;
        if (type != "gaussian")
            level = std::min(level, 1.0);
        config["corruption"]["level"] = level;
        any = true;
    }
    if (config.contains("hidden_noise") && config["hidden_noise"].is_number()) {
        config["hidden_noise"] = config["hidden_noise"].get<double>() * scale;
        any = true;
    }
    if (!any)
        fail(kWhere, "noise scale", "a " + model.kind() + " has no sampling noise to scale");
    std::unique_ptr<Model> out = createModel(config, 0);
    std::unique_ptr<Model> source = model.clone();
    std::vector<ParamRef> from = source->parameters(), to = out->parameters();
    if (from.size() != to.size())
        fail(kWhere, "parameters", "the rebuilt model has other parameters");
    for (std::size_t i = 0; i < from.size(); ++i)
        *to[i].value = *from[i].value;
    return std::shared_ptr<const Model>(std::move(out));
}

std::optional<std::vector<double>> switchRateAgainstNoise(const Model& model, const std::vector<double>& scales,
                                                          const Classifier& classifier, const Dataset& test,
                                                          const TrainingMixingOptions& o, const std::atomic<bool>* cancel)
{
    checkData(classifier, test, o);
    std::vector<double> rates;
    for (double s : scales) {
        const std::optional<ClassMixingReport> report = switchFigures(withNoiseScaled(model, s), classifier, test, o, cancel);
        if (!report)
            return std::nullopt;
        rates.push_back(report->mixing.meanSwitchRatePer100);
    }
    return rates;
}

} // namespace gsn::mixing
