// The conformance table (in the manner of ggml's test-backend-ops): ONE table of cases generated from
// the registries — every model kind through its own chains ("model-chain/<kind>") and every sampler
// kind — run in several modes by a ChainSet:
//   registry     the row builds from its default config, round-trips config(), its capabilities agree
//   threads      the same frames on 1 and 2 threads (and the chains move; another seed differs)
//   steps        step counting, frame layouts, diagnostics (accepts <= proposals), restart()
//   clamping     clamped values unchanged at every step (kinds that clamp; the others refuse a clamp)
//   direct       the ChainSet reproduces the sampler's own engine code (or a scalar reference); optional
//   stationary   the chains' histogram against an exact stationary distribution, where one is known:
//                an enumerable RBM (model-chain/rbm, rbm-pt), the discrete non-parametric DAE's
//                transition matrix, a Gaussian mixture's exact cell probabilities (rwmh)
//   benchmark    chain-steps/s per case; only with GSN_CONFORMANCE_BENCH=1 (skipped under CTest)
// Model kinds and samplers on a target density get their case from the registry alone; any other
// sampler kind without a setup in samplerSetups() fails (everyKindHasACase, and every mode's row for
// it). Below the table: focused tests of targets and random-walk Metropolis, point frames, bad input, factories.

#include "chains.h"
#include "clampmask.h"
#include "daelab.h"
#include "enumerablerbm.h"
#include "error.h"
#include "modelregistry.h"
#include "npdaesampler.h"
#include "parallel.h"
#include "random.h"
#include "rbm.h"
#include "rwmhsampler.h"
#include "sampler.h"
#include "samplerregistry.h"
#include "target.h"
#include "temperingsampler.h"

#include <QtTest>

#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace gsn;

namespace {

constexpr int kChains = 40; // more than two blocks of 16 (the samplers' parallel block) and of the models'

// 2D toy data: two Gaussian clusters at (-2, 0) and (2, 0), sd 0.3.
Matrix twoClusters(int n, std::uint64_t seed)
{
    Matrix x(n, 2);
    for (int i = 0; i < n; ++i) {
        Philox rng(seed, static_cast<std::uint64_t>(i), 0);
        const float centre = rng.uniform() < 0.7 ? -2.0f : 2.0f;
        x(i, 0) = centre + 0.3f * rng.normal();
        x(i, 1) = 0.3f * rng.normal();
    }
    return x;
}

Eigen::VectorXd trueDistribution()
{
    Eigen::VectorXd p(10);
    p << 0.02, 0.05, 0.20, 0.25, 0.10, 0.03, 0.05, 0.15, 0.10, 0.05;
    return p;
}

std::shared_ptr<const DiscreteNpDae> fittedDiscrete(int pairs, std::uint64_t seed)
{
    auto dae = std::make_shared<DiscreteNpDae>(DiscreteNpDae::ringCorruption(10, 0.5, 1));
    dae->fit(DiscreteNpDae::sampleCategorical(trueDistribution(), pairs, seed), seed + 1);
    return dae;
}

// The values of `fittedDiscrete(pairs, seed)`'s training set as a factory takes them (shape = [pairs, 1]).
Matrix discreteData(int pairs, std::uint64_t seed)
{
    const std::vector<int> v = DiscreteNpDae::sampleCategorical(trueDistribution(), pairs, seed);
    Matrix m(pairs, 1);
    for (int i = 0; i < pairs; ++i)
        m(i, 0) = static_cast<float>(v[static_cast<std::size_t>(i)]);
    return m;
}

// What a case runs: a (model, sampler, layout) triple, a start state and a clamp to try.
struct Setup {
    std::shared_ptr<const Model> model; // null for samplers with a target of their own
    std::shared_ptr<const Sampler> sampler;
    FrameLayout layout;
    Matrix x0;                          // shape = [C, layout.values()]
    ClampMask clampMask;                // what the clamping mode clamps (samplers that can clamp)
    std::vector<float> clampValues;     // shape = [layout.values()]
    Matrix data;                        // what the sampler's factory was given (samplers with needsData)
    std::uint64_t dataSeed = 0;
};

// An exact stationary distribution over bins of the chain state, and a wrong one the same histogram
// must be far from (the mode's power).
struct Exact {
    Setup setup;                                     // the chains to run (x0.rows() chains)
    std::function<std::size_t(const float*)> bin;    // bin of one chain's state (a row of state.x)
    std::vector<double> p;                           // exact probability of every bin
    std::vector<double> wrong;                       // what a wrong sampler would give
    int burnIn = 0, steps = 0;
    std::uint64_t seed = 1;
    double bound = 0.0;                              // KL(histogram || p) < bound; KL(histogram || wrong) > powerFactor * bound
    double powerFactor = 1.0;
};

// One row of the table.
struct Case {
    std::string name;
    std::string modelKind;   // the model registry row it covers ("" for none)
    std::string samplerKind; // the sampler registry row it covers
    std::function<Setup(int chains)> make; // empty: the kind has no case (every mode fails)
    std::function<Exact()> exact;          // empty: no exact stationary distribution known
};

// Image start and clamp shared by the image cases: 6x6 noise starts, the left half clamped.
void imageStart(Setup& s, int chains)
{
    s.layout = FrameLayout::image(6, 6);
    s.x0 = initialState(std::vector<ChainInit>(static_cast<std::size_t>(chains), ChainInit::noise()), 36, 5);
    s.clampMask = ClampMask(6, 6);
    for (int y = 0; y < 6; ++y)
        for (int x = 0; x < 3; ++x)
            s.clampMask.clamped[static_cast<std::size_t>(y * 6 + x)] = 1;
    s.clampValues.resize(36);
    for (int i = 0; i < 36; ++i)
        s.clampValues[static_cast<std::size_t>(i)] = (i % 3) * 0.5f;
}

// Point start and clamp: `start` as given, the second coordinate held at 0.4.
void pointStart(Setup& s, Matrix start)
{
    s.layout = FrameLayout::points(static_cast<int>(start.cols()));
    s.x0 = std::move(start);
    s.clampMask = ClampMask(static_cast<int>(s.x0.cols()), 1);
    s.clampMask.clamped[1] = 1;
    s.clampValues.assign(static_cast<std::size_t>(s.x0.cols()), 0.0f);
    s.clampValues[1] = 0.4f;
}

// A small model of a registered kind: 6x6 images or 2D points, 12 then 10 units per hidden layer.
std::shared_ptr<const Model> smallModel(const ModelKind& kind)
{
    const int visible = kind.capabilities.data == DataKind::Points ? 2 : 36;
    std::vector<int> hidden;
    for (std::size_t l = 0; l < kind.defaultHidden.size(); ++l)
        hidden.push_back(l == 0 ? 12 : 10);
    return createModel(kind.defaultConfig(visible, hidden), 3);
}

std::shared_ptr<const Model> smallModel(const char* name) { return smallModel(modelKind(name)); }

std::shared_ptr<const Sampler> registrySampler(const char* kind, const Setup& s, nlohmann::json overrides = {})
{
    nlohmann::json config = samplerKind(kind).defaultConfig();
    if (overrides.is_object())
        config.update(overrides);
    const SamplerInputs inputs{s.data.size() ? &s.data : nullptr, s.dataSeed};
    return std::shared_ptr<const Sampler>(createSampler(config, inputs));
}

// --- Exact stationary distributions ---------------------------------------------------------------

// An enumerable RBM (8 visible, 4 hidden, weights N(0, 1)) under `sampler`: P(v) over the 256 visible
// states. 256 chains from noise, 50 burn-in steps, 300 counted: N = 76800 draws; for independent
// draws E[KL(empirical || p)] ~ (K - 1) / (2N) = 0.0017 with K = 256; Gibbs draws are correlated
// (integrated autocorrelation time of a few steps), so the bound is 0.01 (tst_rbm's gibbsMatchesExact).
// Power: the same histogram against P(v) of the RBM with 30% larger weights must exceed the bound.
Exact enumerableRbm(std::shared_ptr<const Sampler> sampler)
{
    Exact e;
    auto rbm = std::shared_ptr<const Rbm>(test::randomRbm(8, 4, 1.0f, 2024));
    auto wrong = std::make_unique<Rbm>(*rbm);
    wrong->weights() *= 1.3f;
    e.setup.model = rbm;
    e.setup.sampler = std::move(sampler);
    e.setup.layout = FrameLayout::image(4, 2);
    e.setup.x0 = test::noiseStart(256, 8, 3);
    e.bin = [](const float* v) { return static_cast<std::size_t>(Rbm::indexOf(v, 8)); };
    e.p = test::exactProbabilities(*rbm);
    e.wrong = test::exactProbabilities(*wrong);
    e.burnIn = 50;
    e.steps = 350;
    e.seed = 77;
    e.bound = 0.01;
    return e;
}

// The discrete non-parametric DAE's chain against the exact stationary distribution of its transition
// matrix T = C P (power iteration): 200 chains x 550 steps, 50 burn-in, N = 100000 correlated draws
// over K = 10 values with N_eff ~ 3000, E[KL] ~ 0.0015; bound 0.01 (tst_npdae's direct test). Power:
// the same histogram is > 10x the bound from uniform.
Exact discreteNpDae()
{
    Exact e;
    const Matrix data = discreteData(5000, 20);
    auto dae = std::dynamic_pointer_cast<const DiscreteNpDaeSampler>(
        std::shared_ptr<const Sampler>(createSampler(samplerKind(DiscreteNpDaeSampler::kKind).defaultConfig(), {&data, 21})));
    const Eigen::VectorXd pi = dae->dae().stationaryDistribution();
    e.setup.sampler = dae;
    e.setup.layout = FrameLayout::points(1);
    e.setup.x0.resize(200, 1);
    for (int c = 0; c < 200; ++c)
        e.setup.x0(c, 0) = static_cast<float>(c % 10);
    e.bin = [](const float* v) { return static_cast<std::size_t>(v[0]); };
    e.p.assign(pi.data(), pi.data() + pi.size());
    e.wrong.assign(10, 0.1);
    e.burnIn = 50;
    e.steps = 550;
    e.seed = 5;
    e.bound = 0.01;
    e.powerFactor = 10.0;
    return e;
}

// The grid of the mixture histograms: 16 x 16 cells on [-3.5, 3.5)^2 plus one bin for everything
// outside; cell probabilities exact (GaussianMixtureTarget::boxProbability).
constexpr int kGrid = 16;
constexpr float kGridLo = -3.5f, kGridHi = 3.5f;

std::size_t gridBin(const float* x)
{
    const float w = (kGridHi - kGridLo) / kGrid;
    const int i = static_cast<int>(std::floor((x[0] - kGridLo) / w));
    const int j = static_cast<int>(std::floor((x[1] - kGridLo) / w));
    if (i < 0 || j < 0 || i >= kGrid || j >= kGrid)
        return kGrid * kGrid;
    return static_cast<std::size_t>(i * kGrid + j);
}

std::vector<double> gridProbabilities(const GaussianMixtureTarget& t)
{
    const float w = (kGridHi - kGridLo) / kGrid;
    std::vector<double> p(kGrid * kGrid + 1, 0.0);
    double inside = 0.0;
    for (int i = 0; i < kGrid; ++i)
        for (int j = 0; j < kGrid; ++j) {
            Vector lo(2), hi(2);
            lo << kGridLo + i * w, kGridLo + j * w;
            hi << kGridLo + (i + 1) * w, kGridLo + (j + 1) * w;
            p[static_cast<std::size_t>(i * kGrid + j)] = t.boxProbability(lo, hi);
            inside += p[static_cast<std::size_t>(i * kGrid + j)];
        }
    p.back() = std::max(1.0 - inside, 1e-12);
    return p;
}

// Four isotropic modes at (+-1.5, 0), (0, +-1.5) with weights 0.1 .. 0.4 and sd `sd`: overlapping
// enough for random-walk Metropolis to move between them, unequal so that mode weights are tested.
nlohmann::json fourModes(double sd)
{
    return {{"kind", "gaussian-mixture"},
            {"means", {{1.5, 0.0}, {0.0, 1.5}, {-1.5, 0.0}, {0.0, -1.5}}},
            {"weights", {0.1, 0.2, 0.3, 0.4}},
            {"sds", {sd, sd, sd, sd}}};
}

// Random-walk Metropolis (step 1) on fourModes(0.5), 1000 chains all started at the origin, 200 burn-in
// steps, 800 counted: N = 8e5 draws over K = 257 bins. With the modes 3 sd apart and a step of 2 sd
// the integrated autocorrelation time of a cell indicator is at most ~20 steps, so N_eff >= 4e4 and
// E[KL] ~ (K - 1) / (2 N_eff) <= 0.003 (measured: 0.0004); bound 0.01. Power: the mixture with sd 0.6
// (20% wider modes) is > 3x the bound away from the same histogram (measured: 0.044).
Exact rwmhMixture()
{
    Exact e;
    e.setup.sampler = std::shared_ptr<const Sampler>(
        createSampler({{"kind", RwmhSampler::kKind}, {"step_size", 1.0}, {"target", fourModes(0.5)}}));
    e.setup.layout = FrameLayout::points(2);
    e.setup.x0 = Matrix::Zero(1000, 2);
    e.bin = gridBin;
    e.p = gridProbabilities(dynamic_cast<const GaussianMixtureTarget&>(
        dynamic_cast<const RwmhSampler&>(*e.setup.sampler).target()));
    e.wrong = gridProbabilities(dynamic_cast<const GaussianMixtureTarget&>(*createTarget(fourModes(0.6))));
    e.burnIn = 200;
    e.steps = 1000;
    e.seed = 13;
    e.bound = 0.01;
    e.powerFactor = 3.0;
    return e;
}

// --- The table ------------------------------------------------------------------------------------

// How to build the case of each sampler kind other than the model's own chains (which are the
// model rows) and the samplers on a target density (targetSetup). A registered sampler kind that is
// none of these and missing here fails the table.
std::map<std::string, std::function<Setup(int)>> samplerSetups()
{
    std::map<std::string, std::function<Setup(int)>> m;
    m[TemperingSampler::kKind] = [](int chains) {
        Setup s;
        const auto energyKinds = modelKindsWhere([](const ModelKind& k) { return k.capabilities.hasEnergy; });
        s.model = smallModel(*energyKinds.at(0));
        s.sampler = registrySampler(TemperingSampler::kKind, s);
        imageStart(s, chains);
        return s;
    };
    m[ParzenNpDaeSampler::kKind] = [](int chains) {
        Setup s;
        s.data = twoClusters(300, 1);
        s.dataSeed = 2;
        s.sampler = registrySampler(ParzenNpDaeSampler::kKind, s, {{"input_bandwidth", 0.2}});
        pointStart(s, twoClusters(chains, 9));
        return s;
    };
    m[DaeScoreSampler::kKind] = [](int chains) {
        Setup s;
        s.model = createModel({{"kind", "dae-gauss"}, {"sizes", {2, 12}}, {"corruption", {{"type", "gaussian"}, {"level", 0.3}}}}, 3);
        s.sampler = registrySampler(DaeScoreSampler::kKind, s);
        pointStart(s, twoClusters(chains, 9));
        return s;
    };
    m[DiscreteNpDaeSampler::kKind] = [](int chains) {
        Setup s;
        s.data = discreteData(5000, 20);
        s.dataSeed = 21;
        s.sampler = registrySampler(DiscreteNpDaeSampler::kKind, s);
        s.layout = FrameLayout::points(1);
        s.x0.resize(chains, 1);
        for (int c = 0; c < chains; ++c)
            s.x0(c, 0) = static_cast<float>(c % 10);
        return s;
    };
    return m;
}

// The case of a sampler kind on a target density (needsTarget: its config names a "target"), built
// from the registry alone, so a new sampler of this sort needs no test code to join the table: the
// default config, chains started from exact draws of the target.
std::function<Setup(int)> targetSetup(const SamplerKind& kind)
{
    return [&kind](int chains) {
        Setup s;
        const nlohmann::json config = kind.defaultConfig();
        s.sampler = std::shared_ptr<const Sampler>(createSampler(config));
        pointStart(s, createTarget(config.at("target"))->sample(chains, 9));
        return s;
    };
}

std::map<std::string, std::function<Exact()>> exactCases()
{
    return {
        {"model-chain/rbm", [] { return enumerableRbm(modelChainsSampler()); }},
        {TemperingSampler::kKind,
         [] { return enumerableRbm(registrySampler(TemperingSampler::kKind, Setup{})); }},
        {DiscreteNpDaeSampler::kKind, discreteNpDae},
        {RwmhSampler::kKind, rwmhMixture},
    };
}

const std::vector<Case>& table()
{
    static const std::vector<Case> cases = [] {
        std::vector<Case> t;
        const auto exact = exactCases();
        const auto exactOf = [&](const std::string& name) {
            const auto it = exact.find(name);
            return it == exact.end() ? std::function<Exact()>{} : it->second;
        };
        for (const ModelKind& kind : modelKinds()) {
            const std::string name = std::string(ModelChainsSampler::kKind) + "/" + kind.name;
            t.push_back({name, kind.name, ModelChainsSampler::kKind,
                         [&kind](int chains) {
                             Setup s;
                             s.model = smallModel(kind);
                             s.sampler = modelChainsSampler();
                             if (kind.capabilities.data == DataKind::Points)
                                 pointStart(s, twoClusters(chains, 9).leftCols(s.model->visibleSize()));
                             else
                                 imageStart(s, chains);
                             return s;
                         },
                         exactOf(name)});
        }
        const auto setups = samplerSetups();
        for (const SamplerKind& kind : samplerKinds()) {
            if (kind.name == ModelChainsSampler::kKind)
                continue; // covered by the model rows above
            const auto it = setups.find(kind.name);
            std::function<Setup(int)> make;
            if (it != setups.end())
                make = it->second;
            else if (kind.capabilities.needsTarget)
                make = targetSetup(kind);
            t.push_back({kind.name, "", kind.name, make, exactOf(kind.name)});
        }
        return t;
    }();
    return cases;
}

const Case& caseNamed(const std::string& name)
{
    for (const Case& c : table())
        if (c.name == name)
            return c;
    qFatal("no conformance case %s", name.c_str());
}

void addCases()
{
    QTest::addColumn<QString>("name");
    for (const Case& c : table())
        QTest::newRow(c.name.c_str()) << QString::fromStdString(c.name);
}

// The fetched row's setup; fails the test for a registered kind without a case.
#define FETCH_SETUP(var)                                                                                   \
    QFETCH(QString, name);                                                                                 \
    const Case& fetched = caseNamed(name.toStdString());                                                   \
    if (!fetched.make)                                                                                     \
        QFAIL(qPrintable("registered kind '" + name + "' has no conformance case: add one in samplerSetups()")); \
    const Setup var = fetched.make(kChains)

ChainSet chainSetOf(const Setup& s, std::uint64_t seed)
{
    ChainSet set(s.model, s.sampler, s.layout);
    set.resetAt(s.x0, seed);
    set.setRecordSamples(true);
    return set;
}

// Every frame (cells and samples) of `steps` steps, the start frame first.
std::vector<FramePtr> runFrames(const Setup& s, int steps, std::uint64_t seed)
{
    ChainSet set = chainSetOf(s, seed);
    std::vector<FramePtr> frames{set.frame()};
    for (int t = 0; t < steps; ++t) {
        set.step();
        frames.push_back(set.frame());
    }
    return frames;
}

double kl(const std::vector<double>& q, const std::vector<double>& p) { return test::klDivergence(q, p); }

// Random-walk Metropolis written out per chain and per coordinate (the reference the vectorised
// sampler must reproduce): same Philox keys, scalar float arithmetic.
void referenceRwmhStep(const GaussianMixtureTarget& target, float stepSize, Matrix& x, std::uint64_t seed,
                       std::uint64_t step, std::uint64_t& accepts)
{
    const int d = static_cast<int>(x.cols());
    for (Eigen::Index c = 0; c < x.rows(); ++c) {
        Philox rng(seed, streams::rwmhStream(static_cast<std::uint64_t>(c)), step);
        std::vector<float> z(static_cast<std::size_t>(d));
        rng.normal(z.data(), z.size());
        const float logU = std::log(rng.uniform());
        Matrix cur = x.row(c);
        Matrix prop = cur;
        for (int i = 0; i < d; ++i)
            prop(0, i) = cur(0, i) + stepSize * z[static_cast<std::size_t>(i)];
        if (logU < target.logDensity(prop)(0) - target.logDensity(cur)(0)) {
            x.row(c) = prop;
            ++accepts;
        }
    }
}

} // namespace

class TestConformance : public QObject {
    Q_OBJECT

private slots:
    void cleanup() { setEngineThreads(0); }

    // Every registered model kind has a model-chain row and every sampler kind a row with a setup.
    void everyKindHasACase()
    {
        for (const ModelKind& kind : modelKinds()) {
            bool found = false;
            for (const Case& c : table())
                found |= c.modelKind == kind.name && c.samplerKind == ModelChainsSampler::kKind && c.make;
            QVERIFY2(found, qPrintable(QString("model kind %1 has no case").arg(kind.name.c_str())));
        }
        for (const SamplerKind& kind : samplerKinds()) {
            bool found = false;
            for (const Case& c : table())
                found |= c.samplerKind == kind.name && c.make;
            QVERIFY2(found, qPrintable(QString("sampler kind %1 has no case").arg(kind.name.c_str())));
        }
        // Rows with an exact stationary distribution (the enumerable ones today).
        int exact = 0;
        for (const Case& c : table())
            exact += c.exact ? 1 : 0;
        QCOMPARE(exact, 4);
    }

    // Registry mode: the row's sampler is the kind it says, its config round-trips through the factory,
    // and what the table claims agrees with what the built sampler reports.
    void registryRowAgrees_data() { addCases(); }
    void registryRowAgrees()
    {
        FETCH_SETUP(s);
        const SamplerKind* row = findSamplerKind(fetched.samplerKind);
        QVERIFY(row);
        QCOMPARE(QString::fromStdString(s.sampler->kind()), QString::fromStdString(row->name));
        QVERIFY(!row->label.empty() && !row->description.empty() && row->create);
        QCOMPARE(QString::fromStdString(row->defaultConfig().at("kind").get<std::string>()),
                 QString::fromStdString(row->name));
        const SamplerKindCapabilities& claimed = row->capabilities;
        const SamplerCapabilities built = s.sampler->capabilities();
        QCOMPARE(built.needsModel, claimed.needsModel);
        QCOMPARE(built.clamping, claimed.clamping);
        QCOMPARE(built.hasEnergy, claimed.hasEnergy);
        QCOMPARE(s.sampler->energy() != nullptr, claimed.hasEnergy);
        QVERIFY(claimed.runsOn(s.layout.isImage() ? DataKind::Images : DataKind::Points));
        if (claimed.needsEnergy)
            QVERIFY(findModelKind(s.model->kind())->capabilities.hasEnergy);
        if (!fetched.modelKind.empty())
            QCOMPARE(QString::fromStdString(s.model->kind()), QString::fromStdString(fetched.modelKind));
        // Without its data, a sampler that needs data is refused by name.
        if (claimed.needsData)
            QVERIFY_THROWS_EXCEPTION(Error, createSampler(row->defaultConfig()));
        // config() -> factory -> the same config and the same chains.
        const SamplerInputs inputs{s.data.size() ? &s.data : nullptr, s.dataSeed};
        auto rebuilt = std::shared_ptr<const Sampler>(createSampler(s.sampler->config(), inputs));
        QVERIFY(rebuilt->config() == s.sampler->config());
        Setup r = s;
        r.sampler = rebuilt;
        QVERIFY(runFrames(r, 5, 2).back()->samples == runFrames(s, 5, 2).back()->samples);
    }

    void sameFramesOnOneAndTwoThreads_data() { addCases(); }
    void sameFramesOnOneAndTwoThreads()
    {
        FETCH_SETUP(s);
        setEngineThreads(1);
        const std::vector<FramePtr> one = runFrames(s, 15, 11);
        setEngineThreads(2);
        const std::vector<FramePtr> two = runFrames(s, 15, 11);
        QCOMPARE(one.size(), two.size());
        for (std::size_t t = 0; t < one.size(); ++t) {
            QVERIFY2(one[t]->cells == two[t]->cells, qPrintable(QString("step %1").arg(t)));
            QVERIFY(one[t]->samples == two[t]->samples);
        }
        // The chains move (a test of a frozen chain would pass trivially).
        QVERIFY(one.back()->samples != one.front()->samples);
        // Another seed gives other chains.
        QVERIFY(runFrames(s, 15, 12).back()->samples != one.back()->samples);
    }

    void stepsAndLayoutAreCounted_data() { addCases(); }
    void stepsAndLayoutAreCounted()
    {
        FETCH_SETUP(s);
        ChainSet set = chainSetOf(s, 3);
        QCOMPARE(set.steps(), std::uint64_t{0});
        QVERIFY(set.frame()->cells == s.x0); // the start frame shows the start state
        for (int t = 1; t <= 7; ++t) {
            set.step();
            const FramePtr f = set.frame();
            QCOMPARE(set.steps(), std::uint64_t(t));
            QCOMPARE(f->step, std::int64_t(t));
            QVERIFY(f->layout == s.layout);
            QVERIFY(f->valid());
            QCOMPARE(f->chainCount(), kChains);
            const SamplerDiagnostics d = set.diagnostics();
            QCOMPARE(d.steps, std::uint64_t(t));
            QCOMPARE(d.chains, std::uint64_t(kChains));
            // Metropolis samplers propose once per chain and step; accepts never exceed proposals.
            QVERIFY(d.accepts <= d.proposals);
            if (d.proposals > 0)
                QCOMPARE(d.proposals, std::uint64_t(t) * kChains);
            for (std::size_t r = 0; r < d.swapAttempts.size(); ++r) {
                QCOMPARE(d.swapAttempts[r], std::uint64_t(t) * kChains);
                QVERIFY(d.swapAccepts[r] <= d.swapAttempts[r]);
            }
        }
        QCOMPARE(set.dimension(), static_cast<int>(s.layout.values()));
        QCOMPARE(QString::fromStdString(set.sampler()->config().at("kind").get<std::string>()),
                 QString::fromStdString(set.sampler()->kind()));
        // restart() goes back to step 0 and reproduces the same chain.
        const FramePtr seventh = set.frame();
        set.restart();
        QCOMPARE(set.steps(), std::uint64_t{0});
        QCOMPARE(set.diagnostics().proposals, std::uint64_t{0});
        for (int t = 0; t < 7; ++t)
            set.step();
        QVERIFY(set.frame()->samples == seventh->samples);
    }

    void clampedValuesHoldAtEveryStep_data() { addCases(); }
    void clampedValuesHoldAtEveryStep()
    {
        FETCH_SETUP(s);
        ChainSet set = chainSetOf(s, 8);
        if (!s.sampler->capabilities().clamping) {
            QVERIFY_THROWS_EXCEPTION(Error, set.setClamp(0, ClampMask(static_cast<int>(s.layout.values()), 1),
                                                         std::vector<float>(static_cast<std::size_t>(s.layout.values()), 0.0f)));
            return;
        }
        // Chain 1 stays free; every other chain holds the clamp.
        for (int c = 0; c < kChains; ++c)
            if (c != 1)
                set.setClamp(c, s.clampMask, s.clampValues);
        const std::vector<int> idx = s.clampMask.clampedIndices();
        QVERIFY(!idx.empty());
        bool freeMoved = false, clampedChainsMoved = false;
        for (int t = 0; t <= 25; ++t) {
            if (t > 0)
                set.step();
            const FramePtr f = set.frame();
            for (int c = 0; c < kChains; ++c) {
                if (c == 1)
                    continue;
                for (int i : idx) {
                    const float v = s.clampValues[static_cast<std::size_t>(i)];
                    if (f->cells(c, i) != v || f->samples(c, i) != v || set.state().x(c, i) != v)
                        QFAIL(qPrintable(QString("chain %1 value %2 moved at step %3").arg(c).arg(i).arg(t)));
                }
            }
            for (int i : idx)
                freeMoved |= f->samples(1, i) != s.x0(1, i);
            if (t == 25)
                for (Eigen::Index i = 0; i < s.x0.cols(); ++i)
                    if (!s.clampMask.clamped[static_cast<std::size_t>(i)])
                        clampedChainsMoved |= f->samples(0, i) != s.x0(0, i);
        }
        QVERIFY(freeMoved);          // the same coordinates of the free chain do move
        QVERIFY(clampedChainsMoved); // and the free coordinates of a clamped chain
        if (const auto* pt = dynamic_cast<const TemperingChainState*>(&set.state())) {
            // Tempering clamps every replica, not only the shown one.
            for (Eigen::Index r = 0; r < pt->replicaV.rows(); ++r) {
                if (r % kChains == 1)
                    continue;
                for (int i : idx)
                    QCOMPARE(pt->replicaV(r, i), s.clampValues[static_cast<std::size_t>(i)]);
            }
        }
    }

    // A ChainSet reproduces the sampler's engine code exactly: the model's own stepChains, tempering,
    // the non-parametric DAEs' run(), and a per-chain scalar random-walk Metropolis.
    void chainSetMatchesDirectCode_data() { addCases(); }
    void chainSetMatchesDirectCode()
    {
        FETCH_SETUP(s);
        const int steps = 12;
        const std::uint64_t seed = 4;
        ChainSet set = chainSetOf(s, seed);
        std::vector<Matrix> got;
        for (int t = 0; t < steps; ++t) {
            set.step();
            got.push_back(set.state().x);
        }
        const std::string kind = fetched.samplerKind;
        if (kind == ModelChainsSampler::kKind) {
            ChainState direct = s.model->startChains(s.x0);
            for (int t = 0; t < steps; ++t) {
                s.model->stepChains(direct, seed);
                QVERIFY(direct.x == got[static_cast<std::size_t>(t)]);
            }
        } else if (kind == TemperingSampler::kKind) {
            const auto& rbm = dynamic_cast<const Rbm&>(*s.model);
            const auto& sampler = dynamic_cast<const TemperingSampler&>(*s.sampler);
            TemperingState direct = sampler.tempering().start(rbm, s.x0);
            for (int t = 0; t < steps; ++t) {
                sampler.tempering().step(rbm, direct, seed);
                QVERIFY(direct.chains.x == got[static_cast<std::size_t>(t)]);
            }
            QCOMPARE(set.diagnostics().swapAccepts, direct.swapAccepts);
        } else if (kind == ParzenNpDaeSampler::kKind) {
            const auto& dae = dynamic_cast<const ParzenNpDaeSampler&>(*s.sampler).dae();
            const Matrix all = dae.run(s.x0, steps, seed);
            for (int t = 0; t < steps; ++t)
                for (int c = 0; c < kChains; ++c)
                    QVERIFY(all.row(c * steps + t) == got[static_cast<std::size_t>(t)].row(c));
        } else if (kind == DiscreteNpDaeSampler::kKind) {
            const auto& dae = dynamic_cast<const DiscreteNpDaeSampler&>(*s.sampler).dae();
            std::vector<int> start(kChains);
            for (int c = 0; c < kChains; ++c)
                start[static_cast<std::size_t>(c)] = static_cast<int>(s.x0(c, 0));
            const std::vector<int> all = dae.run(start, steps, seed);
            for (int t = 0; t < steps; ++t)
                for (int c = 0; c < kChains; ++c)
                    QCOMPARE(got[static_cast<std::size_t>(t)](c, 0), static_cast<float>(all[c * steps + t]));
        } else if (kind == RwmhSampler::kKind) {
            const auto& rwmh = dynamic_cast<const RwmhSampler&>(*s.sampler);
            const auto& target = dynamic_cast<const GaussianMixtureTarget&>(rwmh.target());
            Matrix x = s.x0;
            std::uint64_t accepts = 0;
            for (int t = 0; t < steps; ++t) {
                referenceRwmhStep(target, static_cast<float>(rwmh.stepSize()), x, seed, static_cast<std::uint64_t>(t), accepts);
                // The sampler's SIMD exp / log / sin / cos differ from the scalar ones by a few ulps: the
                // same accept decisions (the counts below) and the same points to 1e-5.
                const float diff = (x - got[static_cast<std::size_t>(t)]).cwiseAbs().maxCoeff();
                QVERIFY2(diff < 1e-5f, qPrintable(QString("step %1: max difference %2").arg(t).arg(diff)));
            }
            QCOMPARE(set.diagnostics().accepts, accepts);
        } else {
            // Optional per kind (like the stationary mode): the other modes hold every kind to the table.
            QSKIP(qPrintable("no direct reference implementation for sampler kind " + name));
        }
    }

    // Stationary mode: the chains' histogram against the exact stationary distribution (each case
    // states its bound and why), and far from a wrong one (the test's power).
    void stationaryDistribution_data()
    {
        QTest::addColumn<QString>("name");
        for (const Case& c : table())
            if (c.exact)
                QTest::newRow(c.name.c_str()) << QString::fromStdString(c.name);
    }
    void stationaryDistribution()
    {
        QFETCH(QString, name);
        const Exact e = caseNamed(name.toStdString()).exact();
        ChainSet set(e.setup.model, e.setup.sampler, e.setup.layout);
        set.resetAt(e.setup.x0, e.seed);
        std::vector<double> hist(e.p.size(), 0.0);
        for (int t = 0; t < e.steps; ++t) {
            set.step();
            if (t < e.burnIn)
                continue;
            const Matrix& x = set.state().x;
            for (Eigen::Index c = 0; c < x.rows(); ++c) {
                const std::size_t b = e.bin(x.row(c).data());
                QVERIFY(b < hist.size());
                hist[b] += 1.0;
            }
        }
        double total = 0.0;
        for (double h : hist)
            total += h;
        for (double& h : hist)
            h /= total;
        const double toExact = kl(hist, e.p), toWrong = kl(hist, e.wrong);
        qInfo("%s: KL(chains || exact) = %.5f (bound %.3f), KL(chains || wrong) = %.5f (must exceed %.3f)",
              qPrintable(name), toExact, e.bound, toWrong, e.powerFactor * e.bound);
        QVERIFY(toExact < e.bound);
        QVERIFY(toWrong > e.powerFactor * e.bound);
    }

    // Benchmark mode (GSN_CONFORMANCE_BENCH=1; skipped otherwise, so CTest does not time anything):
    // chain-steps per second of every case (its small test model, 6x6 images or 2D points) with
    // GSN_CONFORMANCE_BENCH_CHAINS chains (default 1000); `gsn bench` measures the full-size models.
    void benchmark_data() { addCases(); }
    void benchmark()
    {
        if (qEnvironmentVariableIntValue("GSN_CONFORMANCE_BENCH") != 1)
            QSKIP("benchmark mode: set GSN_CONFORMANCE_BENCH=1");
        FETCH_SETUP(small);
        Q_UNUSED(small);
        const int chains = qEnvironmentVariableIsSet("GSN_CONFORMANCE_BENCH_CHAINS")
                               ? qEnvironmentVariableIntValue("GSN_CONFORMANCE_BENCH_CHAINS")
                               : 1000;
        const Setup s = fetched.make(chains);
        ChainSet set(s.model, s.sampler, s.layout);
        set.resetAt(s.x0, 1);
        set.step(); // warm-up
        const auto t0 = std::chrono::steady_clock::now();
        int steps = 0;
        double seconds = 0.0;
        while (seconds < 1.0) {
            set.step();
            ++steps;
            seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        }
        std::printf("bench %-22s chains %6d threads %d  %12.0f chain-steps/s  (%d steps in %.2f s)\n",
                    fetched.name.c_str(), chains, engineThreads(), chains * steps / seconds, steps, seconds);
    }

    // --- Targets and random-walk Metropolis (focused) --------------------------------------------

    // The mixture's log-density is normalised (a fine grid sums to 1), its gradient matches central
    // finite differences, its exact draws fall into boxes with the exact box probabilities.
    void mixtureTargetIsExact()
    {
        const auto target = createTarget(fourModes(0.5));
        const auto& mix = dynamic_cast<const GaussianMixtureTarget&>(*target);
        QCOMPARE(mix.dimension(), 2);
        QCOMPARE(mix.weights().sum(), 1.0f);
        // Riemann sum of p over [-6, 6]^2 with h = 0.05 (the mass outside is < 1e-12).
        const int n = 240;
        const double h = 12.0 / n;
        Matrix grid(n * n, 2);
        for (int i = 0; i < n; ++i)
            for (int j = 0; j < n; ++j)
                grid.row(i * n + j) << static_cast<float>(-6.0 + (i + 0.5) * h), static_cast<float>(-6.0 + (j + 0.5) * h);
        const Vector logp = target->logDensity(grid);
        const double mass = logp.cast<double>().array().exp().sum() * h * h;
        QVERIFY2(std::abs(mass - 1.0) < 1e-4, qPrintable(QString::number(mass, 'g', 10)));
        // Gradient against central differences (double-checked in float: eps 1e-2, tolerance 2e-2 relative).
        Matrix pts(5, 2);
        pts << 0.3f, -0.2f, 1.4f, 0.1f, -2.0f, 1.0f, 0.0f, -1.7f, 3.0f, 3.0f;
        const Matrix g = target->gradLogDensity(pts);
        for (int k = 0; k < 2; ++k) {
            Matrix plus = pts, minus = pts;
            plus.col(k).array() += 1e-2f;
            minus.col(k).array() -= 1e-2f;
            const Vector fd = (target->logDensity(plus) - target->logDensity(minus)) / 2e-2f;
            for (int r = 0; r < 5; ++r)
                QVERIFY2(std::abs(fd(r) - g(r, k)) < 2e-2f * (1.0f + std::abs(g(r, k))),
                         qPrintable(QString("point %1 coordinate %2: %3 vs %4").arg(r).arg(k).arg(fd(r)).arg(g(r, k))));
        }
        // Far from every mode, log p stays finite (no underflow to -inf) and the score points home.
        Matrix far(1, 2);
        far << 40.0f, 0.0f;
        QVERIFY(std::isfinite(target->logDensity(far)(0)));
        QVERIFY(target->gradLogDensity(far)(0, 0) < 0.0f);
        // Exact draws against the exact cell probabilities: N = 2e5 independent draws over 257 bins,
        // E[KL] = 256 / (2N) = 6.4e-4; bound 0.003.
        const Matrix draws = target->sample(200000, 3);
        std::vector<double> hist(kGrid * kGrid + 1, 0.0);
        for (Eigen::Index i = 0; i < draws.rows(); ++i)
            hist[gridBin(draws.row(i).data())] += 1.0 / draws.rows();
        const double k = kl(hist, gridProbabilities(mix));
        qInfo("KL(exact draws || cell probabilities) = %.5f", k);
        QVERIFY(k < 0.003);
        // Draw i depends only on (seed, i).
        QVERIFY(target->sample(10, 3) == draws.topRows(10));
        QVERIFY(target->sample(10, 4) != draws.topRows(10));
        // The ring preset: k modes on the circle, equal weights; the config round-trips.
        const auto ring = createTarget({{"kind", "ring"}, {"modes", 8}, {"radius", 4.0}, {"sd", 0.25}});
        const auto& r = dynamic_cast<const GaussianMixtureTarget&>(*ring);
        QCOMPARE(r.components(), 8);
        QVERIFY(std::abs(r.means().row(2).norm() - 4.0f) < 1e-5f);
        QVERIFY(createTarget(ring->config())->config() == ring->config());
    }

    void badTargetsAreRefused()
    {
        auto bad = [](nlohmann::json change) {
            nlohmann::json c = fourModes(0.5);
            c.update(change);
            return c;
        };
        QVERIFY_THROWS_EXCEPTION(Error, createTarget(bad({{"weights", {0.1, -0.2, 0.3, 0.4}}})));
        QVERIFY_THROWS_EXCEPTION(Error, createTarget(bad({{"weights", {0.1, 0.2, 0.3}}})));
        QVERIFY_THROWS_EXCEPTION(Error, createTarget(bad({{"weights", {0.0, 0.0, 0.0, 0.0}}})));
        QVERIFY_THROWS_EXCEPTION(Error, createTarget(bad({{"sds", {0.5, 0.0, 0.5, 0.5}}})));
        QVERIFY_THROWS_EXCEPTION(Error, createTarget(bad({{"means", {{1.0, 0.0}, {1.0}, {0.0, 1.0}, {2.0, 2.0}}}})));
        QVERIFY_THROWS_EXCEPTION(Error, createTarget(bad({{"kind", "volcano"}}))); // ("banana" is a kind now: targets2d.h)
        QVERIFY_THROWS_EXCEPTION(Error, createTarget({{"kind", "ring"}, {"modes", 0}, {"radius", 1.0}, {"sd", 1.0}}));
        QVERIFY_THROWS_EXCEPTION(Error, createTarget({{"kind", "ring"}, {"modes", 4}, {"radius", 1.0}, {"sd", -1.0}}));
        try {
            createTarget(bad({{"sds", "wide"}}));
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("sds"), e.what());
        }
        QVERIFY_THROWS_EXCEPTION(Error, createSampler({{"kind", "rwmh"}, {"target", fourModes(0.5)}}));
        QVERIFY_THROWS_EXCEPTION(Error, createSampler({{"kind", "rwmh"}, {"step_size", 0.0}, {"target", fourModes(0.5)}}));
        QVERIFY_THROWS_EXCEPTION(Error, createSampler({{"kind", "rwmh"}, {"step_size", 0.5}}));
        QVERIFY_THROWS_EXCEPTION(Error, createSampler({{"kind", "metropolis"}}));
        QVERIFY_THROWS_EXCEPTION(Error, createSampler({{"step_size", 0.5}}));
        const auto rwmh = createSampler(samplerKind("rwmh").defaultConfig());
        QVERIFY_THROWS_EXCEPTION(Error, rwmh->start(nullptr, Matrix::Zero(3, 3)));
        QVERIFY_THROWS_EXCEPTION(Error, rwmh->start(nullptr, Matrix::Constant(3, 2, NAN)));
        const auto rbm = smallModel("rbm");
        QVERIFY_THROWS_EXCEPTION(Error, ChainSet(rbm, std::shared_ptr<const Sampler>(createSampler(samplerKind("rwmh").defaultConfig())),
                                                 FrameLayout::points(2)));
    }

    // Random-walk Metropolis on the registry's default target (a ring of 8, radius 4, sd 0.25; modes
    // too far apart for a random walk of step 0.5 to cross): 2000 chains started from exact draws stay
    // distributed as the target (the kernel leaves it invariant) over 300 steps. The counted draws
    // (250 steps after 50) are correlated within a chain but the mode of each chain is fixed by its start,
    // so the mode weights carry the noise of 2000 draws: E[KL] ~ (8 - 1) / (2 * 2000) = 0.002 from the
    // weights plus < 0.002 within the modes (N_eff > 5e4 over ~200 occupied cells); bound 0.01 (measured:
    // 0.002). Power: accepting with min(1, (p(y) / p(x))^0.7), a mis-scaled ratio, gave 0.026 here.
    // Acceptance: counted exactly as integers, strictly between 0 and 1 (about 0.3 here).
    void rwmhKeepsTheRingInvariant()
    {
        const auto sampler = std::shared_ptr<const Sampler>(createSampler(samplerKind("rwmh").defaultConfig()));
        const auto& mix = dynamic_cast<const GaussianMixtureTarget&>(dynamic_cast<const RwmhSampler&>(*sampler).target());
        QCOMPARE(mix.components(), 8);
        const int chains = 2000;
        ChainSet set(nullptr, sampler, FrameLayout::points(2));
        set.resetAt(mix.sample(chains, 21), 22);
        // The ring's modes lie at radius 4: widen the grid to [-7, 7)^2 (cells of 0.875) for this test.
        const float lo = -7.0f, w = 14.0f / kGrid;
        std::vector<double> p(kGrid * kGrid + 1, 0.0), hist(p.size(), 0.0);
        double inside = 0.0;
        for (int i = 0; i < kGrid; ++i)
            for (int j = 0; j < kGrid; ++j) {
                Vector a(2), b(2);
                a << lo + i * w, lo + j * w;
                b << lo + (i + 1) * w, lo + (j + 1) * w;
                inside += p[static_cast<std::size_t>(i * kGrid + j)] = mix.boxProbability(a, b);
            }
        p.back() = std::max(1.0 - inside, 1e-12);
        const auto bin = [&](const float* x) {
            const int i = static_cast<int>(std::floor((x[0] - lo) / w)), j = static_cast<int>(std::floor((x[1] - lo) / w));
            return i < 0 || j < 0 || i >= kGrid || j >= kGrid ? std::size_t(kGrid * kGrid) : std::size_t(i * kGrid + j);
        };
        for (int t = 0; t < 300; ++t) {
            set.step();
            if (t >= 50)
                for (int c = 0; c < chains; ++c)
                    hist[bin(set.state().x.row(c).data())] += 1.0 / (250.0 * chains);
        }
        const double k = kl(hist, p);
        const SamplerDiagnostics d = set.diagnostics();
        qInfo("ring8: KL(chains || exact) = %.5f (bound 0.01), acceptance %llu / %llu = %.3f", k,
              static_cast<unsigned long long>(d.accepts), static_cast<unsigned long long>(d.proposals), d.acceptanceRate());
        QVERIFY(k < 0.01);
        QCOMPARE(d.proposals, std::uint64_t{300} * chains);
        QVERIFY(d.accepts > 0 && d.accepts < d.proposals);
        QVERIFY(d.acceptanceRate() > 0.2 && d.acceptanceRate() < 0.9);
        // Energy = -log p of the current states (from the step's SIMD kernel: float ulps from logDensity).
        const std::vector<double> e = sampler->energy()->energies(nullptr, set.state());
        const Vector logp = mix.logDensity(set.state().x);
        QCOMPARE(e.size(), std::size_t(chains));
        for (int c = 0; c < chains; c += 97)
            QVERIFY(std::abs(e[static_cast<std::size_t>(c)] + static_cast<double>(logp(c))) < 1e-5 * (1.0 + std::abs(logp(c))));
        // 1 and 2 threads: identical chains and counts (1000 chains: 15 blocks of 64 and a partial one).
        const auto run = [&](int threads) {
            setEngineThreads(threads);
            ChainSet c(nullptr, sampler, FrameLayout::points(2));
            c.resetAt(mix.sample(1000, 5), 6);
            for (int t = 0; t < 20; ++t)
                c.step();
            return std::make_pair(Matrix(c.state().x), c.diagnostics().accepts);
        };
        const auto one = run(1), two = run(2);
        QVERIFY(one.first == two.first);
        QCOMPARE(one.second, two.second);
    }

    // Clamped random-walk Metropolis samples the exact conditional: on fourModes(0.5) with y held at 0,
    // p(x | y = 0) is a 1D mixture of the modes at (+-1.5, 0) (weights 0.1 and 0.3 times their density at
    // y = 0) and of (0, +-1.5) (weights 0.2, 0.4, damped by exp(-1.5^2 / (2 * 0.25)) = 0.011). Histogram
    // over 28 cells of [-3.5, 3.5) plus outside; 1000 chains, 100 burn-in, 900 counted, N_eff > 2e4,
    // E[KL] < 0.001; bound 0.005. Power: the unconditional x-marginal is > 4x the bound away.
    void clampedRwmhSamplesTheConditional()
    {
        const auto sampler = std::shared_ptr<const Sampler>(
            createSampler({{"kind", "rwmh"}, {"step_size", 1.0}, {"target", fourModes(0.5)}}));
        const auto& mix = dynamic_cast<const GaussianMixtureTarget&>(dynamic_cast<const RwmhSampler&>(*sampler).target());
        ChainSet set(nullptr, sampler, FrameLayout::points(2));
        set.resetAt(Matrix::Zero(1000, 2), 31);
        ClampMask mask(2, 1);
        mask.clamped[1] = 1;
        set.setClampAll(mask, {0.0f, 0.0f});
        const int cells = 28;
        const double lo = -3.5, w = 7.0 / cells;
        // Exact: component j's weight at y = 0 is w_j N(0; mu_jy, s), its x-part N(x; mu_jx, s).
        const auto cdf = [](double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); };
        std::vector<double> cond(cells + 1, 0.0), marginal(cells + 1, 0.0);
        double wsum = 0.0;
        std::vector<double> wy(4);
        for (int j = 0; j < 4; ++j) {
            const double s = mix.sds()(j), my = mix.means()(j, 1);
            wy[static_cast<std::size_t>(j)] = mix.weights()(j) * std::exp(-my * my / (2 * s * s)) / s;
            wsum += wy[static_cast<std::size_t>(j)];
        }
        for (int i = 0; i < cells; ++i)
            for (int j = 0; j < 4; ++j) {
                const double s = mix.sds()(j), mx = mix.means()(j, 0);
                const double mass = cdf((lo + (i + 1) * w - mx) / s) - cdf((lo + i * w - mx) / s);
                cond[static_cast<std::size_t>(i)] += wy[static_cast<std::size_t>(j)] / wsum * mass;
                marginal[static_cast<std::size_t>(i)] += mix.weights()(j) * mass;
            }
        double ci = 0.0, mi = 0.0;
        for (int i = 0; i < cells; ++i) {
            ci += cond[static_cast<std::size_t>(i)];
            mi += marginal[static_cast<std::size_t>(i)];
        }
        cond.back() = std::max(1.0 - ci, 1e-12);
        marginal.back() = std::max(1.0 - mi, 1e-12);
        std::vector<double> hist(cells + 1, 0.0);
        for (int t = 0; t < 1000; ++t) {
            set.step();
            QVERIFY(set.state().x.col(1).isZero());
            if (t < 100)
                continue;
            for (int c = 0; c < 1000; ++c) {
                const int i = static_cast<int>(std::floor((set.state().x(c, 0) - lo) / w));
                hist[i < 0 || i >= cells ? std::size_t(cells) : std::size_t(i)] += 1.0 / 900000.0;
            }
        }
        const double toCond = kl(hist, cond), toMarginal = kl(hist, marginal);
        qInfo("clamped rwmh: KL(chains || conditional) = %.5f (bound 0.005), KL(chains || marginal) = %.5f", toCond,
              toMarginal);
        QVERIFY(toCond < 0.005);
        QVERIFY(toMarginal > 4 * 0.005);
    }

    // --- Point frames, bad input, factories (from the first per-sampler table) ----------------------

    // Point layouts: no width x height = n_visible requirement, any finite start; frames say points.
    void pointFrames()
    {
        const Setup s = caseNamed("npdae-parzen").make(kChains);
        ChainSet set(nullptr, s.sampler, FrameLayout::points(2));
        Matrix x0 = Matrix::Constant(3, 2, -5.0f); // outside [0, 1]: fine for points
        set.resetAt(x0, 1);
        QVERIFY(set.frame()->layout.isPoints());
        QCOMPARE(set.frame()->layout.dimension, 2);
        QCOMPARE(set.width(), 0);
        set.step();
        QVERIFY(set.frame()->valid());
        Frame bad;
        bad.layout = FrameLayout::points(3);
        bad.cells.resize(2, 2);
        QVERIFY(!bad.valid());
        bad.layout = FrameLayout::points(2);
        QVERIFY(bad.valid());
        bad.layout = FrameLayout::image(1, 2);
        QVERIFY(bad.valid());
        bad.layout = FrameLayout::image(0, 2);
        QVERIFY(!bad.valid());
    }

    void badInputIsRefused()
    {
        const Setup parzen = caseNamed("npdae-parzen").make(kChains);
        const Setup discrete = caseNamed("npdae-discrete").make(kChains);
        const std::shared_ptr<const Model> rbm = createModel({{"kind", "rbm"}, {"sizes", {36, 14}}}, 3);
        // Layout that does not fit the sampler's dimension; a model where none is expected; none where one is.
        QVERIFY_THROWS_EXCEPTION(Error, ChainSet(nullptr, parzen.sampler, FrameLayout::points(3)));
        QVERIFY_THROWS_EXCEPTION(Error, ChainSet(nullptr, parzen.sampler, FrameLayout::image(1, 3)));
        QVERIFY_THROWS_EXCEPTION(Error, ChainSet(rbm, parzen.sampler, FrameLayout::points(2)));
        QVERIFY_THROWS_EXCEPTION(Error, ChainSet(nullptr, modelChainsSampler(), FrameLayout::image(6, 6)));
        QVERIFY_THROWS_EXCEPTION(Error, ChainSet(rbm, modelChainsSampler(), FrameLayout::image(6, 5)));
        QVERIFY_THROWS_EXCEPTION(Error, ChainSet(rbm, nullptr, FrameLayout::image(6, 6)));
        // setModel on a sampler without a model.
        ChainSet p(nullptr, parzen.sampler, FrameLayout::points(2));
        QVERIFY_THROWS_EXCEPTION(Error, p.setModel(rbm));
        QVERIFY(!p.model());
        QVERIFY_THROWS_EXCEPTION(Error, p.resetAt(Matrix::Constant(2, 2, NAN), 1));
        // Discrete starts must be values in [0, K).
        ChainSet d(nullptr, discrete.sampler, FrameLayout::points(1));
        QVERIFY_THROWS_EXCEPTION(Error, d.resetAt(Matrix::Constant(2, 1, 0.5f), 1));
        QVERIFY_THROWS_EXCEPTION(Error, d.resetAt(Matrix::Constant(2, 1, 10.0f), 1));
        d.resetAt(Matrix::Constant(2, 1, 9.0f), 1);
        QVERIFY_THROWS_EXCEPTION(Error, d.stateAs<ChainState>());
        QCOMPARE(d.stateAs<DiscreteChainState>().values, (std::vector<int>{9, 9}));
        // Clamp masks of the wrong shape for points.
        p.resetAt(parzen.x0, 1);
        QVERIFY_THROWS_EXCEPTION(Error, p.setClamp(0, ClampMask(1, 2), {0.0f, 0.0f}));
        QVERIFY_THROWS_EXCEPTION(Error, p.setClamp(0, parzen.clampMask, {0.0f, NAN}));
        // Unknown sampler kinds are refused with the registered ones named.
        try {
            createSampler({{"kind", "gibbs"}});
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("rwmh") && QString(e.what()).contains("model-chain"), e.what());
        }
    }

    // The factories build the same samplers from their configs as building by hand, and name bad fields.
    void factories()
    {
        const Matrix points = twoClusters(300, 1);
        const SamplerInputs inputs{&points, 2};
        auto parzen = createParzenNpDaeSampler({{"kind", "npdae-parzen"}, {"input_bandwidth", 0.2}}, inputs);
        QCOMPARE(QString::fromStdString(parzen->kind()), QString("npdae-parzen"));
        QCOMPARE(parzen->config().at("input_bandwidth").get<double>(), 0.2);
        // Same estimator as fitting by hand: same chains.
        ParzenNpDae::Options o;
        o.inputBandwidth = 0.2;
        auto byHand = std::make_shared<ParzenNpDae>(o);
        byHand->fit(points, 2);
        const Matrix x0 = twoClusters(kChains, 9);
        ChainSet a(nullptr, std::shared_ptr<const Sampler>(std::move(parzen)), FrameLayout::points(2));
        ChainSet b(nullptr, std::make_shared<ParzenNpDaeSampler>(byHand), FrameLayout::points(2));
        a.resetAt(x0, 3);
        b.resetAt(x0, 3);
        for (int t = 0; t < 5; ++t) {
            a.step();
            b.step();
        }
        QVERIFY(a.state().x == b.state().x);

        auto pt = createTemperingSampler({{"kind", "rbm-pt"}, {"replicas", 4}, {"beta_min", 0.2}}, {});
        QCOMPARE(pt->config().at("betas").size(), std::size_t{4});
        auto pt2 = createTemperingSampler(pt->config(), {});
        QVERIFY(pt2->config() == pt->config());
        QVERIFY(createModelChainsSampler({{"kind", "model-chain"}}, {})->capabilities().needsModel);

        // The registry's discrete sampler is the one fitted by hand (fittedDiscrete) on the same values.
        const Setup s = caseNamed("npdae-discrete").make(kChains);
        const auto& fromRegistry = dynamic_cast<const DiscreteNpDaeSampler&>(*s.sampler).dae();
        QVERIFY(fromRegistry.stationaryDistribution() == fittedDiscrete(5000, 20)->stationaryDistribution());

        Matrix values(1000, 1);
        for (int i = 0; i < 1000; ++i)
            values(i, 0) = static_cast<float>(i % 10);
        auto discrete = createDiscreteNpDaeSampler({{"kind", "npdae-discrete"}, {"values", 10}}, {&values, 1});
        QCOMPARE(discrete->dimension(nullptr), 1);

        QVERIFY_THROWS_EXCEPTION(Error, createParzenNpDaeSampler({{"kind", "npdae-parzen"}}, {}));
        QVERIFY_THROWS_EXCEPTION(Error, createParzenNpDaeSampler({{"input_bandwidth", "wide"}}, inputs));
        QVERIFY_THROWS_EXCEPTION(Error, createParzenNpDaeSampler({{"input_bandwidth", -1.0}}, inputs));
        QVERIFY_THROWS_EXCEPTION(Error, createTemperingSampler({{"kind", "rbm-pt"}}, {}));
        QVERIFY_THROWS_EXCEPTION(Error, createTemperingSampler({{"betas", {0.5, 0.2}}}, {}));
        QVERIFY_THROWS_EXCEPTION(Error, createTemperingSampler({{"kind", "gibbs"}, {"betas", {1.0}}}, {}));
        QVERIFY_THROWS_EXCEPTION(Error, createModelChainsSampler({{"kind", "rbm-pt"}}, {}));
        QVERIFY_THROWS_EXCEPTION(Error, createDiscreteNpDaeSampler({{"kind", "npdae-discrete"}}, {&values, 1}));
        QVERIFY_THROWS_EXCEPTION(Error, createDiscreteNpDaeSampler({{"values", 5}}, {&values, 1})); // 9 >= K
    }
};

QTEST_GUILESS_MAIN(TestConformance)
#include "tst_conformance.moc"
