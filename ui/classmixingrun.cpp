#include "classmixingrun.h"

#include "datasets.h"
#include "defaultmodel.h"
#include "error.h"
#include "jsonnumber.h"

#include <QString>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <set>
#include <sstream>

namespace gsn {

namespace {

// CSV columns: JSON paths of each models.<key> object (arrays spread over numbered columns).
const std::vector<std::string>& csvScalarPaths()
{
    static const std::vector<std::string> paths = {
        "/kind", "/seconds", "/switch_rate_per_100", "/all_classes_visited/median_steps", "/all_classes_visited/completed",
        "/all_classes_visited/chains", "/visits/total_variation", "/unsure_fraction", "/class_rhat_max",
        "/travel/pixel/relative", "/travel/hidden/relative"};
    return paths;
}

std::string csvField(const nlohmann::json& v)
{
    if (v.is_null())
        return "";
    if (v.is_string()) {
        std::string s = v.get<std::string>();
        if (s.find_first_of(",\"\n") == std::string::npos)
            return s;
        std::string q = "\"";
        for (char c : s)
            q += c == '"' ? std::string("\"\"") : std::string(1, c);
        return q + "\"";
    }
    return v.dump();
}

std::string columnName(const std::string& path)
{
    std::string name = path.substr(1);
    for (char& c : name)
        if (c == '/')
            c = '.';
    return name;
}

} // namespace

const std::vector<ClassMixingModelChoice>& classMixingModels()
{
    static const std::vector<ClassMixingModelChoice> models = {
        {"GSN-2 (default)", "resources/default-gsn2.safetensors", ":/resources/default-gsn2.safetensors", false,
         "GSN walk-back chain"},
        {"DAE", "resources/baseline-dae.safetensors", ":/resources/baseline-dae.safetensors", false, "DAE chain, no walkback"},
        {"DAE, walkback", "resources/baseline-dae-walkback.safetensors", ":/resources/baseline-dae-walkback.safetensors",
         false, "DAE chain, trained with walkback 5"},
        {"RBM, Gibbs", "resources/baseline-rbm.safetensors", ":/resources/baseline-rbm.safetensors", false, "block Gibbs"},
        // The rbm-pt default ladder (4 replicas down to beta 0.2) is far too wide for a 500-unit RBM: its
        // swaps are almost never accepted (docs/mixing.md, "Tempering ladders"); 12 replicas down to 0.7 swap
        // 57-75 % of the time.
        {"RBM, tempering", "resources/baseline-rbm.safetensors@pt:12:0.7", ":/resources/baseline-rbm.safetensors", true,
         "tempering, 12 replicas, beta 1 to 0.7"},
    };
    return models;
}

ClassMixingModelChoice classMixingChoice(int panel, const std::string& file)
{
    const auto& models = classMixingModels();
    if (panel < 0 || panel >= static_cast<int>(models.size()))
        fail("class mixing", "panel", "expected a panel from 1 to " + std::to_string(models.size()) + ", got " + std::to_string(panel + 1));
    ClassMixingModelChoice choice = models[static_cast<std::size_t>(panel)];
    if (file.empty())
        return choice;
    choice.file = file;
    choice.resource.clear();
    choice.name = std::filesystem::path(file).filename().string();
    if (choice.tempering) {
        const std::size_t at = choice.key.find('@'); // the embedded key's ladder ("@pt:12:0.7")
        choice.key = file + (at == std::string::npos ? std::string("@pt") : choice.key.substr(at));
    } else {
        choice.key = file;
        choice.sampler = "the model's own chain";
    }
    return choice;
}

std::string ClassMixingConfig::initWord() const
{
    return noiseStart ? std::string("noise") : "test:" + std::to_string(testIndex);
}

struct ClassMixingRun::Panel {
    ClassMixingModelChoice choice;
    std::unique_ptr<mixing::ClassMixingChains> chains;
    std::shared_ptr<const Matrix> codes;
    std::deque<std::vector<std::uint8_t>> recentClass;
    std::deque<std::vector<float>> recentConfidence;
    ClassPanelPcaPtr pca;
    std::deque<std::vector<std::array<float, 2>>> pixelTrail, hiddenTrail;

    // Projects the current state onto the PCA (when fitted) and keeps the last kTrailSteps.
    void project()
    {
        if (!pca)
            return;
        const FramePtr f = chains->frame();
        auto rows = [](const Eigen::MatrixXd& y) {
            std::vector<std::array<float, 2>> out(static_cast<std::size_t>(y.rows()));
            for (Eigen::Index i = 0; i < y.rows(); ++i)
                out[static_cast<std::size_t>(i)] = {static_cast<float>(y(i, 0)), static_cast<float>(y(i, 1))};
            return out;
        };
        pixelTrail.push_back(rows(pca->pixels->project(f->cells)));
        if (pca->hidden && f->top.rows() == f->cells.rows() && f->top.cols() == pca->hidden->dimension())
            hiddenTrail.push_back(rows(pca->hidden->project(f->top)));
        while (static_cast<int>(pixelTrail.size()) > kTrailSteps)
            pixelTrail.pop_front();
        while (static_cast<int>(hiddenTrail.size()) > kTrailSteps)
            hiddenTrail.pop_front();
    }
};

ClassPanelPcaPtr fitClassPanelPca(const Matrix& digits, const std::vector<int>& labels, const Matrix* codes,
                                  const ClassPanelPca* pixels)
{
    auto pca = std::make_shared<ClassPanelPca>();
    if (pixels && pixels->pixels && pixels->pixelCloud.rows() == digits.rows()) {
        pca->pixels = pixels->pixels;
        pca->pixelCloud = pixels->pixelCloud;
    } else {
        pca->pixels = std::make_shared<const Pca>(fitPca(digits, 2));
        pca->pixelCloud = pca->pixels->project(digits);
    }
    if (codes && codes->rows() >= 2) {
        pca->hidden = std::make_shared<const Pca>(fitPca(*codes, 2));
        pca->hiddenCloud = pca->hidden->project(*codes);
    }
    pca->cloudLabels = labels;
    return pca;
}

ClassMixingRun::ClassMixingRun(const ClassMixingConfig& config, std::uint64_t generation, const std::atomic<bool>* cancel,
                               const Progress& progress)
    : m_config(config), m_generation(generation)
{
    if (config.chains < 1 || config.chains > 100)
        fail("class mixing", "chains", "expected 1 to 100 chains per panel, got " + std::to_string(config.chains));
    auto say = [&](const std::string& text) {
        if (progress)
            progress(text);
    };
    auto stopped = [&] { return cancel && cancel->load(); };
    say("loading the classifier and the test digits (" + config.data + ")");
    m_classifier = loadDefaultClassifier();
    if (!m_classifier)
        fail("class mixing", "classifier", "expected the MNIST classifier embedded in gsn-studio (resources/mnist-classifier.safetensors)");
    const Dataset test = loadDataset(config.data);
    if (test.labels.empty())
        fail(test.name, "labels", "expected a labelled test set (the visited classes are compared with its class frequencies)");
    if (test.width != m_classifier->width() || test.height != m_classifier->height())
        fail(test.name, "size", "expected " + std::to_string(m_classifier->width()) + "x" + std::to_string(m_classifier->height()) +
                                    " digits (the classifier's), got " + std::to_string(test.width) + "x" + std::to_string(test.height));
    const std::vector<double> weights = mixing::labelFrequencies(test.labels, m_classifier->classes());
    const Matrix travelDigits = test.pixels.topRows(std::min(mixing::kTravelDigits, test.count()));
    m_travelDigits = std::make_shared<const Matrix>(travelDigits);
    m_travelLabels.assign(test.labels.begin(), test.labels.begin() + travelDigits.rows());
    std::vector<ChainInit> inits;
    if (config.noiseStart)
        inits.assign(static_cast<std::size_t>(config.chains), ChainInit::noise());
    else
        inits = mixing::testDigitStarts(test.pixels, config.chains, config.testIndex);
    m_header = mixing::classMixingHeader(config.chains, 0, config.seed, config.initWord(), "embedded MNIST classifier", test.name,
                                         weights, mixing::dataSpread(travelDigits));
    std::set<std::string> keys;
    for (int i = 0; i < static_cast<int>(classMixingModels().size()); ++i) {
        if (stopped()) {
            m_cancelled = true;
            return;
        }
        const std::string file = i < static_cast<int>(config.panelFiles.size()) ? config.panelFiles[static_cast<std::size_t>(i)] : "";
        ClassMixingModelChoice choice = classMixingChoice(i, file);
        say("loading " + choice.name + " and the codes of " + std::to_string(travelDigits.rows()) + " test digits");
        Checkpoint ck = choice.file.empty() ? loadCheckpointResource(QString::fromStdString(choice.resource)) : loadCheckpoint(choice.file);
        if (choice.tempering && ck.model->kind() != "rbm")
            fail(choice.file, "kind", "expected an RBM for the tempering panel (parallel tempering runs RBMs only), got a " +
                                          ck.model->kind() + " checkpoint");
        // The same file in two panels: the exported JSON keeps both (the second key names its panel).
        if (!keys.insert(choice.key).second)
            choice.key += " (panel " + std::to_string(i + 1) + ")";
        keys.insert(choice.key);
        auto panel = std::make_unique<Panel>();
        panel->choice = choice;
        mixing::ClassMixingChains::Options options;
        options.keepTimeline = false; // the monitor streams; the window keeps only kRecentSteps of labels
        // The ladder, as `gsn mixing --model KEY` runs it (from the embedded panel's key: a file's path may
        // hold a comma).
        const mixing::ClassMixingEntry entry =
            mixing::parseClassMixingEntries(classMixingModels()[static_cast<std::size_t>(i)].key, "class mixing", "model").front();
        options.replicas = entry.replicas;
        options.betaMin = entry.betaMin;
        panel->chains = std::make_unique<mixing::ClassMixingChains>(std::shared_ptr<const Model>(std::move(ck.model)), choice.tempering,
                                                                    *m_classifier, inits, config.seed, travelDigits, weights,
                                                                    choice.key, options);
        if (panel->chains->travelCodes().rows() >= 2 && !choice.tempering &&
            panel->chains->frame()->top.cols() == panel->chains->travelCodes().cols())
            panel->codes = std::make_shared<const Matrix>(panel->chains->travelCodes());
        m_panels.push_back(std::move(panel));
    }
}

ClassMixingRun::~ClassMixingRun() = default;

const mixing::ClassMixingChains& ClassMixingRun::chains(int panel) const
{
    return *m_panels.at(static_cast<std::size_t>(panel))->chains;
}

int ClassMixingRun::advance(int steps, const std::atomic<bool>* cancel, double maxSeconds)
{
    const auto start = std::chrono::steady_clock::now();
    int done = 0;
    for (; done < steps; ++done) {
        if (cancel && cancel->load())
            break;
        if (maxSeconds > 0 && done > 0 &&
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >= maxSeconds)
            break;
        for (auto& panel : m_panels) {
            panel->chains->step(*m_classifier);
            const mixing::ClassMixingMonitor& m = panel->chains->monitor();
            panel->recentClass.emplace_back(m.lastClasses().begin(), m.lastClasses().end());
            panel->recentConfidence.push_back(m.lastConfidences());
            if (static_cast<int>(panel->recentClass.size()) > kRecentSteps) {
                panel->recentClass.pop_front();
                panel->recentConfidence.pop_front();
            }
            panel->project();
        }
    }
    return done;
}

void ClassMixingRun::setPca(int panel, ClassPanelPcaPtr pca)
{
    Panel& p = *m_panels.at(static_cast<std::size_t>(panel));
    p.pca = std::move(pca);
    p.pixelTrail.clear();
    p.hiddenTrail.clear();
    p.project();
}

ClassMixingSnapshotPtr ClassMixingRun::snapshot() const
{
    auto s = std::make_shared<ClassMixingSnapshot>();
    s->generation = m_generation;
    s->config = m_config;
    s->header = m_header;
    s->travelDigits = m_travelDigits;
    s->travelLabels = m_travelLabels;
    for (const auto& panel : m_panels) {
        const mixing::ClassMixingChains& chains = *panel->chains;
        ClassPanelSnapshot p;
        p.name = panel->choice.name;
        p.key = panel->choice.key;
        p.sampler = panel->choice.sampler;
        p.steps = chains.steps();
        p.frame = chains.frame();
        p.recentSteps = static_cast<int>(panel->recentClass.size());
        p.firstRecentStep = p.steps - p.recentSteps + 1;
        const auto c = static_cast<std::size_t>(chains.chains());
        p.recentClass.reserve(c * panel->recentClass.size());
        p.recentConfidence.reserve(c * panel->recentClass.size());
        for (std::size_t t = 0; t < panel->recentClass.size(); ++t) {
            p.recentClass.insert(p.recentClass.end(), panel->recentClass[t].begin(), panel->recentClass[t].end());
            p.recentConfidence.insert(p.recentConfidence.end(), panel->recentConfidence[t].begin(), panel->recentConfidence[t].end());
        }
        p.report = chains.report();
        p.pixelTravel = chains.pixelTravel().meanStep() / chains.pixelSpread();
        p.hiddenTravel = chains.hiddenTravel().meanStep() / chains.hiddenSpread();
        p.json = chains.json(panel->choice.key, p.report);
        p.codes = panel->codes;
        p.pca = panel->pca;
        p.trailSteps = static_cast<int>(panel->pixelTrail.size());
        for (const auto& step : panel->pixelTrail)
            p.pixelTrail.insert(p.pixelTrail.end(), step.begin(), step.end());
        for (const auto& step : panel->hiddenTrail)
            p.hiddenTrail.insert(p.hiddenTrail.end(), step.begin(), step.end());
        s->seconds += chains.seconds();
        s->panels.push_back(std::move(p));
    }
    return s;
}

nlohmann::json classMixingJson(const ClassMixingSnapshot& snapshot)
{
    nlohmann::json out = snapshot.header;
    out["steps"] = snapshot.panels.empty() ? 0 : snapshot.panels.front().steps;
    out["order"] = nlohmann::json::array();
    out["models"] = nlohmann::json::object();
    for (const ClassPanelSnapshot& p : snapshot.panels) {
        out["order"].push_back(p.key);
        out["models"][p.key] = p.json;
    }
    return out;
}

std::string classMixingCsv(const ClassMixingSnapshot& snapshot)
{
    const int classes = snapshot.header.contains("true_weights") ? static_cast<int>(snapshot.header["true_weights"].size()) : 10;
    std::ostringstream out;
    out << "model,name,steps,chains,seed,init";
    for (const std::string& path : csvScalarPaths())
        out << ',' << columnName(path);
    for (int k = 0; k < classes; ++k)
        out << ",visits.frequencies." << k;
    for (int k = 0; k < classes; ++k)
        out << ",true_weights." << k;
    out << '\n';
    for (const ClassPanelSnapshot& p : snapshot.panels) {
        out << csvField(p.key) << ',' << csvField(p.name) << ',' << p.steps << ',' << snapshot.config.chains << ','
            << snapshot.config.seed << ',' << csvField(snapshot.config.initWord());
        for (const std::string& path : csvScalarPaths()) {
            const nlohmann::json::json_pointer pointer(path);
            out << ',' << (p.json.contains(pointer) ? csvField(p.json.at(pointer)) : std::string());
        }
        const nlohmann::json& f = p.json["visits"]["frequencies"];
        for (int k = 0; k < classes; ++k)
            out << ',' << (k < static_cast<int>(f.size()) ? csvField(f[static_cast<std::size_t>(k)]) : std::string());
        for (int k = 0; k < classes; ++k)
            out << ',' << csvField(snapshot.header["true_weights"][static_cast<std::size_t>(k)]);
        out << '\n';
    }
    return out.str();
}

} // namespace gsn
