#include "classmixingchains.h"

#include "clampmask.h"
#include "error.h"
#include "jsonnumber.h"
#include "samplerregistry.h"

#include <algorithm>
#include <chrono>
#include <limits>

namespace gsn::mixing {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

ChainSet makeChainSet(const std::shared_ptr<const Model>& model, bool tempering, const Classifier& classifier,
                      const std::string& where, int replicas, double betaMin)
{
    if (!model)
        fail(where, "model", "expected a model");
    if (model->visibleSize() != classifier.inputs())
        fail(where, "sizes", "expected a model of " + std::to_string(classifier.inputs()) + " visible units (the classifier's " +
                                 std::to_string(classifier.width()) + "x" + std::to_string(classifier.height()) +
                                 " images), got " + std::to_string(model->visibleSize()));
    return ChainSet(model, classMixingSampler(*model, tempering, where, replicas, betaMin), FrameLayout::image(classifier.width(), classifier.height()));
}

} // namespace

std::vector<ClassMixingEntry> parseClassMixingEntries(const std::string& list, const std::string& where, const std::string& field)
{
    std::vector<ClassMixingEntry> entries;
    std::size_t start = 0;
    while (start <= list.size()) {
        const std::size_t comma = list.find(',', start);
        std::string item = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (item.empty())
            fail(where, field, "expected a comma-separated list of checkpoints, got an empty entry in '" + list + "'");
        ClassMixingEntry e{item, item, false};
        const std::size_t at = item.rfind("@pt");
        if (at != std::string::npos && at > 0 && (at + 3 == item.size() || item[at + 3] == ':')) {
            e.path = item.substr(0, at);
            e.tempering = true;
            if (at + 3 < item.size()) {
                const std::string ladder = item.substr(at + 4);
                const std::size_t colon = ladder.find(':');
                const auto bad = [&] {
                    fail(where, field, "expected MODEL@pt:R:BETA_MIN with R in [2, 64] replicas and BETA_MIN in (0, 1), got " +
                                           quoteValue(item.substr(at)) + " after " + quoteValue(e.path));
                };
                if (colon == std::string::npos)
                    bad();
                try {
                    std::size_t used = 0;
                    const std::string r = ladder.substr(0, colon), b = ladder.substr(colon + 1);
                    e.replicas = std::stoi(r, &used);
                    if (used != r.size())
                        bad();
                    e.betaMin = std::stod(b, &used);
                    if (used != b.size())
                        bad();
                } catch (const std::logic_error&) {
                    bad();
                }
                if (e.replicas < 2 || e.replicas > 64 || !(e.betaMin > 0.0 && e.betaMin < 1.0))
                    bad();
            }
        }
        entries.push_back(e);
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    return entries;
}

std::vector<ChainInit> testDigitStarts(const Matrix& testPixels, int chains, long long index)
{
    if (testPixels.rows() < 1)
        fail("test digits", "count", "expected at least one test digit");
    if (index < 0 || index >= testPixels.rows())
        fail("test digits", "index", "expected a test digit in [0, " + std::to_string(testPixels.rows()) + "), got " +
                                         std::to_string(index));
    std::vector<ChainInit> inits;
    for (int c = 0; c < chains; ++c)
        inits.push_back(ChainInit::fromRow(testPixels, static_cast<Eigen::Index>((index + c) % testPixels.rows())));
    return inits;
}

std::shared_ptr<const Sampler> classMixingSampler(const Model& model, bool tempering, const std::string& where,
                                                  int replicas, double betaMin)
{
    if (tempering) {
        if (model.kind() != "rbm")
            fail(where, "@pt", "expected an RBM checkpoint for parallel tempering, got a " + model.kind());
        nlohmann::json config = samplerKind("rbm-pt").defaultConfig();
        if (replicas > 0)
            config["replicas"] = replicas;
        if (betaMin > 0.0)
            config["beta_min"] = betaMin;
        return createSampler(config);
    }
    return createSampler(samplerKind(ModelChainsSampler::kKind).defaultConfig());
}

Matrix topLayerCodes(const std::shared_ptr<const Model>& model, const Matrix& digits, int width, int height, std::uint64_t seed)
{
    const int count = static_cast<int>(digits.rows());
    ChainSet set(model, width, height);
    std::vector<ChainInit> inits;
    for (int i = 0; i < count; ++i)
        inits.push_back(ChainInit::fromRow(digits, i));
    set.reset(inits, seed);
    ClampMask all(width, height);
    all.clamped.assign(all.clamped.size(), 1);
    for (int i = 0; i < count; ++i) {
        const auto row = digits.row(i);
        set.setClamp(i, all, std::vector<float>(row.data(), row.data() + digits.cols()));
    }
    set.setRecordTop(true);
    const int layers = static_cast<int>(model->layerSizes().size()) - 1;
    for (int s = 0; s <= layers; ++s)
        set.step();
    return set.frame()->top;
}

ClassMixingChains::ClassMixingChains(std::shared_ptr<const Model> model, bool tempering, const Classifier& classifier,
                                     const std::vector<ChainInit>& inits, std::uint64_t seed, const Matrix& travelDigits,
                                     std::vector<double> weights, const std::string& where, Options options)
    : m_model(model)
    , m_tempering(tempering)
    , m_set(makeChainSet(model, tempering, classifier, where, options.replicas, options.betaMin))
    , m_options(options)
    , m_monitor(static_cast<int>(std::max<std::size_t>(1, inits.size())), weights)
    , m_weights(std::move(weights))
{
    if (inits.empty())
        fail(where, "chains", "expected at least one chain");
    if (static_cast<int>(m_weights.size()) != classifier.classes())
        fail(where, "weights", "expected " + std::to_string(classifier.classes()) + " class weights, got " +
                                   std::to_string(m_weights.size()));
    if (travelDigits.rows() < 2 || travelDigits.cols() != classifier.inputs())
        fail(where, "travel digits", "expected at least 2 test digits of " + std::to_string(classifier.inputs()) + " pixels");
    if (options.keepTimeline)
        m_timeline = std::make_unique<ClassTimeline>(static_cast<int>(inits.size()), classifier.classes());
    m_set.setRecordTop(options.recordTop);
    m_set.reset(inits, seed);
    m_pixelSpread = dataSpread(travelDigits);
    // Codes of the test digits in the top hidden layer (models whose chains carry one).
    if (options.recordTop && !tempering && m_model->layerSizes().size() > 1)
        m_codes = topLayerCodes(m_model, travelDigits, classifier.width(), classifier.height(), seed);
    m_codeSpread = m_codes.rows() >= 2 ? dataSpread(m_codes) : kNaN;
}

void ClassMixingChains::step(const Classifier& classifier)
{
    const auto t0 = std::chrono::steady_clock::now();
    m_set.step();
    m_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const FramePtr f = m_set.frame();
    m_lastProbabilities = classifier.probabilities(f->cells);
    m_monitor.addProbabilities(m_lastProbabilities);
    if (m_timeline)
        m_timeline->addProbabilities(m_lastProbabilities);
    m_pixels.add(f->cells);
    if (m_codes.rows() >= 2 && f->top.rows() == f->cells.rows() && f->top.cols() == m_codes.cols())
        m_hidden.add(f->top);
}

ClassMixingReport ClassMixingChains::report() const
{
    const SamplerDiagnostics diag = m_set.diagnostics();
    const AcceptanceCounts counts{diag.proposals, diag.accepts, diag.swapAttempts, diag.swapAccepts};
    if (m_timeline)
        return classMixingReport(*m_timeline, m_weights, counts, m_seconds);
    return m_monitor.report(counts, m_seconds);
}

int ClassMixingChains::topLayer() const
{
    return static_cast<int>(m_model->layerSizes().size()) - 1;
}

nlohmann::json ClassMixingChains::json(const std::string& path, const ClassMixingReport& r) const
{
    nlohmann::json j;
    j["model"] = path;
    j["kind"] = m_model->kind();
    j["sizes"] = m_model->layerSizes();
    j["sampler"] = m_set.sampler()->config();
    j["seconds"] = m_seconds;
    j["switch_rate_per_100"] = r.mixing.meanSwitchRatePer100;
    j["switch_rate_per_100_per_chain"] = r.mixing.switchRatePer100;
    j["all_classes_visited"] = {{"median_steps", jsonNumber(r.mixing.firstVisit.median)},
                                {"completed", r.mixing.firstVisit.completed},
                                {"chains", r.mixing.firstVisit.chains},
                                {"per_chain", r.mixing.firstFullVisit}};
    j["visits"] = {{"counts", r.mixing.visits},
                   {"frequencies", r.mixing.visitFrequencies},
                   {"total_variation", jsonNumber(r.mixing.totalVariation)}};
    j["unsure_fraction"] = jsonNumber(r.unsureFraction);
    j["class_rhat_max"] = jsonNumber(r.mixing.modeRhatMax);
    j["swap_rates"] = r.mixing.swapRates;
    j["travel"] = {{"pixel", {{"mean_step", jsonNumber(m_pixels.meanStep())}, {"spread", m_pixelSpread},
                              {"relative", jsonNumber(m_pixels.meanStep() / m_pixelSpread)}}},
                   {"hidden", {{"layer", topLayer()},
                               {"mean_step", jsonNumber(m_hidden.meanStep())}, {"spread", jsonNumber(m_codeSpread)},
                               {"relative", jsonNumber(m_hidden.meanStep() / m_codeSpread)}}}};
    return j;
}

nlohmann::json classMixingHeader(int chains, long long steps, std::uint64_t seed, const std::string& init,
                                 const std::string& classifier, const std::string& data, const std::vector<double>& weights,
                                 double pixelSpread)
{
    nlohmann::json out;
    out["chains"] = chains;
    out["steps"] = steps;
    out["seed"] = seed;
    out["init"] = init;
    out["classifier"] = classifier;
    out["data"] = data;
    out["true_weights"] = weights;
    out["unsure_below"] = kUnsureBelow;
    out["pixel_spread"] = pixelSpread;
    out["order"] = nlohmann::json::array();
    return out;
}

} // namespace gsn::mixing
