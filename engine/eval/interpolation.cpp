#include "interpolation.h"

#include "classmixing.h"
#include "dae.h"
#include "error.h"
#include "gsnk.h"
#include "jsonnumber.h"
#include "modelmath.h"
#include "rbm.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace gsn::mixing {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Mean-field hidden probabilities of an RBM: P(h = 1 | x) = sigmoid(x W0 + b1).
Matrix rbmHidden(const Rbm& rbm, const Matrix& x)
{
    Matrix h;
    h.noalias() = x * rbm.weights();
    h.rowwise() += rbm.hiddenBias().row(0);
    modelmath::sigmoidInPlace(h);
    return h;
}

// P(v = 1 | h) = sigmoid(h W0^T + b0).
Matrix rbmVisible(const Rbm& rbm, const Matrix& h)
{
    Matrix v;
    v.noalias() = h * rbm.weights().transpose();
    v.rowwise() += rbm.visibleBias().row(0);
    modelmath::sigmoidInPlace(v);
    return v;
}

void checkLayer(const Model& model, int layer)
{
    const int spaces = interpolationSpaces(model);
    if (layer < 0 || layer >= spaces)
        fail("interpolation", "layer", "expected a layer in [0, " + std::to_string(spaces - 1) + "] of " + model.kind() +
                                           ", got " + std::to_string(layer));
}

std::string figure(double v, int decimals)
{
    if (!std::isfinite(v))
        return "-";
    char text[32];
    std::snprintf(text, sizeof text, "%.*f", decimals, v);
    return text;
}

} // namespace

int interpolationSpaces(const Model& model, const std::string& where)
{
    if (const auto* g = dynamic_cast<const GsnK*>(&model))
        return g->depth() + 1;
    if (dynamic_cast<const Dae*>(&model) || dynamic_cast<const Rbm*>(&model))
        return 2;
    fail(where, "model", "expected a GSN-K, a DAE or an RBM (a model with a deterministic encoder), got " + model.kind());
}

std::string spaceName(int layer)
{
    return layer == 0 ? std::string("x") : "h" + std::to_string(layer);
}

Matrix encodeDeterministic(const Model& model, const Matrix& x, int layer)
{
    checkLayer(model, layer);
    if (x.cols() != model.visibleSize())
        fail("interpolation", "images", "expected " + std::to_string(model.visibleSize()) + " columns, got " +
                                            std::to_string(x.cols()));
    if (layer == 0)
        return x;
    if (const auto* g = dynamic_cast<const GsnK*>(&model))
        return g->encodeDeterministic(x, layer);
    if (const auto* d = dynamic_cast<const Dae*>(&model))
        return d->hiddenCode(x);
    return rbmHidden(dynamic_cast<const Rbm&>(model), x);
}

Matrix decodeDeterministic(const Model& model, const Matrix& codes, int layer, int graphUpdates)
{
    if (graphUpdates < 0 || graphUpdates > kMaxGraphUpdates)
        fail("interpolation", "graph updates", "expected 0 to " + std::to_string(kMaxGraphUpdates) + ", got " +
                                                   std::to_string(graphUpdates));
    checkLayer(model, layer);
    const int size = model.layerSizes()[static_cast<std::size_t>(layer)];
    if (codes.cols() != size)
        fail("interpolation", "codes", "expected " + std::to_string(size) + " columns (" + spaceName(layer) + "), got " +
                                           std::to_string(codes.cols()));
    if (layer == 0)
        return codes;
    if (const auto* g = dynamic_cast<const GsnK*>(&model))
        return graphUpdates > 0 ? g->decodeClamped(codes, layer, graphUpdates) : g->decodeDeterministic(codes, layer);
    if (const auto* d = dynamic_cast<const Dae*>(&model))
        return d->decodeMean(codes);
    return rbmVisible(dynamic_cast<const Rbm&>(model), codes);
}

Interpolation interpolate(const Model& model, const Classifier* classifier, const Matrix& a, const Matrix& b, int steps,
                          int classA, int classB, const std::vector<int>& layers, const std::string& where, int graphUpdates)
{
    if (graphUpdates < 0 || graphUpdates > kMaxGraphUpdates)
        fail(where, "graph updates", "expected 0 to " + std::to_string(kMaxGraphUpdates) + ", got " + std::to_string(graphUpdates));
    const int spaces = interpolationSpaces(model, where);
    const int n = model.visibleSize();
    if (a.rows() != 1 || a.cols() != n)
        fail(where, "from", "expected one image of " + std::to_string(n) + " pixels");
    if (b.rows() != 1 || b.cols() != n)
        fail(where, "to", "expected one image of " + std::to_string(n) + " pixels");
    if (steps < kMinInterpolationSteps || steps > kMaxInterpolationSteps)
        fail(where, "steps", "expected " + std::to_string(kMinInterpolationSteps) + " to " +
                                 std::to_string(kMaxInterpolationSteps) + " images per row, got " + std::to_string(steps));
    if (classifier && classifier->inputs() != n)
        fail(where, "classifier", "expected a classifier of " + std::to_string(n) + " inputs, got " +
                                      std::to_string(classifier->inputs()));
    std::vector<int> chosen = layers;
    if (chosen.empty())
        for (int l = 0; l < spaces; ++l)
            chosen.push_back(l);
    for (int l : chosen)
        if (l < 0 || l >= spaces)
            fail(where, "layer", "expected layers in [0, " + std::to_string(spaces - 1) + "] of " + model.kind() + ", got " +
                                     std::to_string(l));

    Interpolation out;
    out.steps = steps;
    out.graphUpdates = graphUpdates;
    Matrix ends(2, n);
    ends.row(0) = a.row(0);
    ends.row(1) = b.row(0);
    if (classifier && (classA < 0 || classB < 0)) {
        const std::vector<int> predicted = classifier->predict(ends);
        classA = classA < 0 ? predicted[0] : classA;
        classB = classB < 0 ? predicted[1] : classB;
    }
    out.classA = classA;
    out.classB = classB;

    for (int layer : chosen) {
        InterpolationRow row;
        row.layer = layer;
        row.space = spaceName(layer);
        // Both endpoints in one pass, then every point of the row decoded in one pass.
        const Matrix codes = encodeDeterministic(model, ends, layer);
        row.codes.resize(steps, codes.cols());
        for (int t = 0; t < steps; ++t) {
            const float w = static_cast<float>(t) / static_cast<float>(steps - 1);
            row.codes.row(t) = (1.0f - w) * codes.row(0) + w * codes.row(1);
        }
        // Exact endpoints (no rounding of (1 - 0) a + 0 b is possible, but say so: the tests rely on it).
        row.codes.row(0) = codes.row(0);
        row.codes.row(steps - 1) = codes.row(1);
        row.images = decodeDeterministic(model, row.codes, layer, graphUpdates);
        out.rows.push_back(std::move(row));
    }

    // The classifier over every row at once.
    Matrix probabilities;
    if (classifier) {
        Matrix all(static_cast<Eigen::Index>(out.rows.size()) * steps, n);
        for (std::size_t r = 0; r < out.rows.size(); ++r)
            all.middleRows(static_cast<Eigen::Index>(r) * steps, steps) = out.rows[r].images;
        probabilities = classifier->probabilities(all);
    }
    for (std::size_t r = 0; r < out.rows.size(); ++r) {
        InterpolationRow& row = out.rows[r];
        double sum = 0, largest = 0;
        for (int t = 1; t < steps; ++t) {
            const double d = static_cast<double>((row.images.row(t) - row.images.row(t - 1)).norm());
            sum += d;
            largest = std::max(largest, d);
        }
        row.meanStep = sum / (steps - 1);
        row.maxStep = largest;
        const double span = static_cast<double>((row.images.row(steps - 1) - row.images.row(0)).norm());
        row.pathRatio = span > 0 ? sum / span : kNaN;
        const int interior = steps - 2;
        long long grey = 0;
        for (int t = 1; t < steps - 1; ++t)
            for (Eigen::Index k = 0; k < n; ++k) {
                const float v = row.images(t, k);
                grey += v >= 0.2f && v <= 0.8f ? 1 : 0;
            }
        row.greyFraction = interior > 0 ? static_cast<double>(grey) / (static_cast<double>(interior) * n) : kNaN;
        row.classes.assign(static_cast<std::size_t>(steps), -1);
        row.confidence.assign(static_cast<std::size_t>(steps), 0.0f);
        row.offFraction = row.unsureFraction = kNaN;
        if (!classifier)
            continue;
        int off = 0, unsure = 0;
        for (int t = 0; t < steps; ++t) {
            Eigen::Index best = 0;
            const float p = probabilities.row(static_cast<Eigen::Index>(r) * steps + t).maxCoeff(&best);
            row.classes[static_cast<std::size_t>(t)] = static_cast<int>(best);
            row.confidence[static_cast<std::size_t>(t)] = p;
            if (t == 0 || t == steps - 1)
                continue;
            const bool isUnsure = p < kUnsureBelow;
            unsure += isUnsure ? 1 : 0;
            off += isUnsure || (best != classA && best != classB) ? 1 : 0;
        }
        if (interior > 0) {
            row.offFraction = static_cast<double>(off) / interior;
            row.unsureFraction = static_cast<double>(unsure) / interior;
        }
    }
    return out;
}

std::string interpolationSummary(const InterpolationRow& row)
{
    return "step " + figure(row.meanStep, 2) + " (max " + figure(row.maxStep, 2) + "), path ratio " + figure(row.pathRatio, 2) +
           ", off-class " + figure(100.0 * row.offFraction, 0) + " %, unsure " + figure(100.0 * row.unsureFraction, 0) +
           " %, grey pixels " + figure(100.0 * row.greyFraction, 1) + " %";
}

nlohmann::json interpolationJson(const Interpolation& result)
{
    nlohmann::json spaces = nlohmann::json::array();
    for (const InterpolationRow& row : result.rows) {
        nlohmann::json confidence = nlohmann::json::array();
        for (float c : row.confidence)
            confidence.push_back(jsonNumber(c));
        spaces.push_back({{"space", row.space},
                          {"layer", row.layer},
                          {"mean_step", jsonNumber(row.meanStep)},
                          {"max_step", jsonNumber(row.maxStep)},
                          {"path_ratio", jsonNumber(row.pathRatio)},
                          {"off_fraction", jsonNumber(row.offFraction)},
                          {"unsure_fraction", jsonNumber(row.unsureFraction)},
                          {"grey_fraction", jsonNumber(row.greyFraction)},
                          {"classes", row.classes},
                          {"confidence", confidence}});
    }
    return {{"steps", result.steps},
            {"decode", result.graphUpdates > 0 ? "graph, " + std::to_string(result.graphUpdates) + " updates" : std::string("top-down")},
            {"class_a", result.classA},
            {"class_b", result.classB},
            {"spaces", spaces}};
}

} // namespace gsn::mixing
