// The mixing lab's targets (target.h, targets2d.h; issue 13 item 1): every target's density integrates to 1
// on its view box, its score matches finite differences, its exact sampler matches its cell probabilities
// and its mode weights, its config round-trips, and bad configs and files are refused naming the field.

#include "daetoys.h"
#include "error.h"
#include "npdae.h"
#include "parallel.h"
#include "target.h"
#include "targets2d.h"
#include "testsupport.h"

#include <QtTest>

#include <cmath>
#include <filesystem>
#include <functional>
#include <numbers>
#include <string>
#include <vector>

using namespace gsn;
using nlohmann::json;

namespace {

struct Named {
    std::string name;
    std::shared_ptr<const Target> target;
    bool smooth; // a score to check against finite differences
};

std::vector<double> paintedValues()
{
    // 10 x 8 cells: two blobs (a 3 x 2 block of 1s and 2s, a single cell of 5) and a hole.
    std::vector<double> v(80, 0.0);
    for (int r = 1; r < 3; ++r)
        for (int c = 1; c < 4; ++c)
            v[static_cast<std::size_t>(r * 10 + c)] = c;
    v[6 * 10 + 7] = 5.0;
    return v;
}

json fullCovariance()
{
    return {{"kind", "gaussian-mixture"},
            {"means", {{-1.5, 0.0}, {1.5, 0.5}}},
            {"weights", {0.4, 0.6}},
            {"covariances", {{{0.5, 0.3}, {0.3, 0.4}}, {{0.3, -0.1}, {-0.1, 0.2}}}}};
}

const std::vector<Named>& targets()
{
    static const std::vector<Named> all = [] {
        std::vector<Named> t;
        t.push_back({"ring8", createTarget({{"kind", "ring"}, {"modes", 8}, {"radius", 4.0}, {"sd", 0.25}}), true});
        t.push_back({"grid3", createTarget({{"kind", "grid"}, {"k", 3}}), true});
        t.push_back({"isolated", createTarget({{"kind", "isolated-modes"}}), true});
        t.push_back({"moons", createTarget({{"kind", "two-moons"}}), true});
        t.push_back({"spiral", createTarget({{"kind", "spiral"}, {"arms", 3}}), true});
        t.push_back({"fullcov", createTarget(fullCovariance()), true});
        t.push_back({"checkerboard", createTarget({{"kind", "checkerboard"}, {"squares", 4}, {"half_width", 4.0}}), false});
        t.push_back({"banana", createTarget({{"kind", "banana"}, {"a", 2.0}, {"b", 0.5}}), true});
        t.push_back({"painted", std::make_shared<PaintedTarget>(std::array<double, 4>{-5, 5, -4, 4}, 10, 8, paintedValues()), false});
        t.push_back({"painted-blur", std::make_shared<PaintedTarget>(std::array<double, 4>{-5, 5, -4, 4}, 10, 8, paintedValues(), 0.4), true});
        t.push_back({"ring8-beta2", createTarget({{"kind", "ring"}, {"modes", 8}, {"radius", 4.0}, {"sd", 0.25}, {"beta", 2.0}}), true});
        t.push_back({"isolated-beta0.5", createTarget({{"kind", "isolated-modes"}, {"beta", 0.5}}), true});
        t.push_back({"banana-beta3", createTarget({{"kind", "banana"}, {"beta", 3.0}}), true});
        t.push_back({"painted-beta2", std::make_shared<TemperedTarget>(t[8].target, 2.0), false});
        return t;
    }();
    return all;
}

// Composite 2 x 2-point Gauss-Legendre of exp(logDensity) on a cells x cells grid over the view box
// (independent of cellProbability; grid lines fall on the painted and checkerboard cells' edges).
double integral(const Target& t, int cells = 200)
{
    const auto b = t.viewBox();
    const double hx = (b[1] - b[0]) / cells, hy = (b[3] - b[2]) / cells, g = 0.5 / std::sqrt(3.0);
    double s = 0.0;
    Matrix pts(static_cast<Eigen::Index>(cells) * 4, 2); // one row of cells at a time
    for (int r = 0; r < cells; ++r) {
        Eigen::Index k = 0;
        for (int c = 0; c < cells; ++c)
            for (const double dx : {-g, g})
                for (const double dy : {-g, g}) {
                    pts(k, 0) = static_cast<float>(b[0] + hx * (c + 0.5 + dx));
                    pts(k++, 1) = static_cast<float>(b[2] + hy * (r + 0.5 + dy));
                }
        const Vector lp = t.logDensity(pts);
        for (Eigen::Index i = 0; i < lp.size(); ++i)
            if (std::isfinite(lp(i)))
                s += std::exp(static_cast<double>(lp(i)));
    }
    return s * hx * hy / 4.0;
}

// Pearson chi-square of n draws against the target's cell probabilities on a g x g grid over its view box
// (plus one bin for outside the box); bins expected below 5 draws are pooled. Returns {statistic, df}.
std::pair<double, int> chiSquare(const Target& truth, const Matrix& draws, int g = 16)
{
    const auto b = truth.viewBox();
    const double hx = (b[1] - b[0]) / g, hy = (b[3] - b[2]) / g;
    std::vector<double> observed(static_cast<std::size_t>(g * g + 1), 0.0), expected(observed.size(), 0.0);
    for (Eigen::Index i = 0; i < draws.rows(); ++i) {
        const double fx = std::floor((draws(i, 0) - b[0]) / hx), fy = std::floor((draws(i, 1) - b[2]) / hy);
        const bool inside = fx >= 0 && fx < g && fy >= 0 && fy < g;
        observed[inside ? static_cast<std::size_t>(fy * g + fx) : static_cast<std::size_t>(g * g)] += 1.0;
    }
    double inBox = 0.0;
    for (int r = 0; r < g; ++r)
        for (int c = 0; c < g; ++c) {
            const double p = truth.cellProbability(b[0] + c * hx, b[0] + (c + 1) * hx, b[2] + r * hy, b[2] + (r + 1) * hy);
            expected[static_cast<std::size_t>(r * g + c)] = p;
            inBox += p;
        }
    expected.back() = std::max(0.0, 1.0 - inBox);
    const double n = static_cast<double>(draws.rows());
    double stat = 0.0, pooledO = 0.0, pooledE = 0.0;
    int df = -1;
    for (std::size_t i = 0; i < observed.size(); ++i) {
        const double e = expected[i] * n;
        if (e < 5.0) {
            pooledO += observed[i];
            pooledE += e;
            continue;
        }
        stat += (observed[i] - e) * (observed[i] - e) / e;
        ++df;
    }
    if (pooledE >= 1.0) {
        stat += (pooledO - pooledE) * (pooledO - pooledE) / pooledE;
        ++df;
    } else if (pooledO > 5.0) {
        stat += 1e9; // many draws where the target has (almost) no mass
    }
    return {stat, df};
}

// True when chi-square is below df + 5 sqrt(2 df) (about 5 standard deviations above its mean).
bool chiSquareAccepts(const std::pair<double, int>& c) { return c.first < c.second + 5.0 * std::sqrt(2.0 * c.second); }

std::string errorOf(const std::function<void()>& f)
{
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

std::string scratch(const std::string& file) { return test::scratchDir("targets").toStdString() + "/" + file; }

std::string loadError(const std::string& file, const std::string& text)
{
    const std::string path = scratch(file);
    test::writeBytes(path, text);
    return errorOf([&] { (void)loadTargetFile(path); });
}

} // namespace

class TestTargets : public QObject {
    Q_OBJECT

private slots:
    void densitiesIntegrateToOne()
    {
        // Tolerance 5e-4: the mass outside a view box (at most 4 sd of padding, 1.3e-4 for a 2D Gaussian)
        // plus the quadrature error of the 200 x 200 2-point rule; a density off by a factor is far outside.
        for (const auto& t : targets()) {
            const double s = integral(*t.target);
            QVERIFY2(std::abs(s - 1.0) < 5e-4, (t.name + ": integral " + std::to_string(s)).c_str());
            // cellProbability on a 40 x 40 grid sums to the same mass.
            const auto b = t.target->viewBox();
            double cells = 0.0;
            for (int r = 0; r < 40; ++r)
                for (int c = 0; c < 40; ++c)
                    cells += t.target->cellProbability(b[0] + (b[1] - b[0]) * c / 40, b[0] + (b[1] - b[0]) * (c + 1) / 40,
                                                      b[2] + (b[3] - b[2]) * r / 40, b[2] + (b[3] - b[2]) * (r + 1) / 40);
            QVERIFY2(std::abs(cells - s) < 1e-3, (t.name + ": cells " + std::to_string(cells) + " vs " + std::to_string(s)).c_str());
        }
    }

    void scoreMatchesFiniteDifferences()
    {
        // Central differences of the float log-density, h = 1e-2: truncation error below 3e-3 for sd >= 0.2,
        // rounding below 1e-3; tolerance 0.02 + 0.01 |g|. Points: 30 exact draws of each target.
        for (const auto& t : targets()) {
            const Matrix x = t.target->sample(30, 3);
            const Matrix g = t.target->gradLogDensity(x);
            QCOMPARE(g.rows(), x.rows());
            if (!t.smooth) {
                QVERIFY2(g.isZero(0.0f), t.name.c_str()); // piecewise constant: score 0 (documented)
                continue;
            }
            const float h = 1e-2f;
            for (int c = 0; c < 2; ++c) {
                Matrix xp = x, xm = x;
                xp.col(c).array() += h;
                xm.col(c).array() -= h;
                const Vector fd = (t.target->logDensity(xp) - t.target->logDensity(xm)) / (2.0f * h);
                for (Eigen::Index i = 0; i < x.rows(); ++i)
                    QVERIFY2(std::abs(fd(i) - g(i, c)) < 0.02 + 0.01 * std::abs(g(i, c)),
                             (t.name + ": d/dx" + std::to_string(c) + " " + std::to_string(g(i, c)) + " vs " + std::to_string(fd(i))).c_str());
            }
        }
    }

    void exactSamplerMatchesCellProbabilities()
    {
        // 20000 draws (seed 11) on a 16 x 16 grid: chi-square below df + 5 sqrt(2 df).
        for (const auto& t : targets()) {
            const Matrix x = t.target->sample(20000, 11);
            QVERIFY(x.allFinite());
            const auto c = chiSquare(*t.target, x);
            QVERIFY2(chiSquareAccepts(c), (t.name + ": chi-square " + std::to_string(c.first) + " df " + std::to_string(c.second)).c_str());
        }
        // The test can fail: ring draws against a ring of wider modes, checkerboard against another board,
        // the tempered ring against the untempered one.
        const auto wide = createTarget({{"kind", "ring"}, {"modes", 8}, {"radius", 4.0}, {"sd", 0.3}});
        QVERIFY(!chiSquareAccepts(chiSquare(*wide, targets()[0].target->sample(20000, 11))));
        const auto board = createTarget({{"kind", "checkerboard"}, {"squares", 2}, {"half_width", 4.0}});
        QVERIFY(!chiSquareAccepts(chiSquare(*board, targets()[6].target->sample(20000, 11))));
        QVERIFY(!chiSquareAccepts(chiSquare(*targets()[0].target, targets()[10].target->sample(20000, 11))));
    }

    void modeWeightsMatchTheSampler()
    {
        // Mode frequencies of 20000 draws within 4.5 binomial sd (+1e-3 for the quadrature of tempered weights).
        for (const auto& t : targets()) {
            const std::vector<double> w = t.target->modeWeights();
            QCOMPARE(static_cast<int>(w.size()), t.target->modeCount());
            double sum = 0.0;
            for (const double v : w)
                sum += v;
            QVERIFY2(std::abs(sum - 1.0) < 1e-9, t.name.c_str());
            const int n = 20000;
            const std::vector<int> m = t.target->modeOf(t.target->sample(n, 5));
            std::vector<double> freq(w.size(), 0.0);
            for (const int v : m) {
                QVERIFY2(v >= -1 && v < static_cast<int>(w.size()), t.name.c_str());
                if (v >= 0)
                    freq[static_cast<std::size_t>(v)] += 1.0 / n;
            }
            for (std::size_t j = 0; j < w.size(); ++j)
                QVERIFY2(std::abs(freq[j] - w[j]) < 4.5 * std::sqrt(w[j] * (1 - w[j]) / n) + 1e-3,
                         (t.name + ": mode " + std::to_string(j) + " " + std::to_string(freq[j]) + " vs " + std::to_string(w[j])).c_str());
        }
    }

    void modeCountsAndKnownWeights()
    {
        QCOMPARE(targets()[0].target->modeCount(), 8);
        QCOMPARE(targets()[1].target->modeCount(), 9);
        QCOMPARE(targets()[3].target->modeCount(), 2);  // the moons, not their 120 components
        QCOMPARE(targets()[4].target->modeCount(), 3);  // the arms
        QCOMPARE(targets()[6].target->modeCount(), 8);  // black squares of a 4 x 4 board
        QCOMPARE(targets()[8].target->modeCount(), 2);  // painted blobs
        QCOMPARE(targets()[9].target->modeCount(), 2);
        const auto iso = targets()[2].target->modeWeights();
        QVERIFY(std::abs(iso[0] - 0.7) < 1e-6 && std::abs(iso[1] - 0.3) < 1e-6);
        // Painted blobs: masses 2 * (1 + 2 + 3) = 12 and 5.
        const auto pw = targets()[8].target->modeWeights();
        QVERIFY(std::abs(pw[0] - 12.0 / 17.0) < 1e-12 && std::abs(pw[1] - 5.0 / 17.0) < 1e-12);
        // Points: the mode map follows the curves and the squares; -1 off the support.
        Matrix p(3, 2);
        p << -3.0f, -3.0f, -1.0f, -3.0f, 100.0f, 0.0f;
        const auto cm = targets()[6].target->modeOf(p);
        QVERIFY(cm[0] == 0 && cm[1] == -1 && cm[2] == -1);
        Matrix nan(1, 2);
        nan << std::nanf(""), 0.0f;
        for (const auto& t : targets())
            QVERIFY2(t.target->modeOf(nan)[0] == -1, t.name.c_str());
    }

    void temperingHasTheClosedFormWhereThereIsOne()
    {
        // Two far Gaussians of equal sd s: Z_beta = sum_j w_j^beta (2 pi s^2)^(1 - beta) / beta (overlap below
        // 1e-30), mode weights proportional to w_j^beta. Quadrature accuracy stated: 1e-4 relative.
        for (const double beta : {0.5, 2.0, 5.0}) {
            const auto t = createTarget({{"kind", "isolated-modes"}, {"beta", beta}});
            const auto& tt = dynamic_cast<const TemperedTarget&>(*t);
            const double s2 = 0.25, z = (std::pow(0.7, beta) + std::pow(0.3, beta)) * std::pow(2 * std::numbers::pi * s2, 1 - beta) / beta;
            QVERIFY2(std::abs(tt.logNormaliser() - std::log(z)) < 1e-4, std::to_string(tt.logNormaliser() - std::log(z)).c_str());
            const auto w = t->modeWeights();
            const double w0 = std::pow(0.7, beta) / (std::pow(0.7, beta) + std::pow(0.3, beta));
            QVERIFY2(std::abs(w[0] - w0) < 1e-4, std::to_string(w[0] - w0).c_str());
        }
        // A single Gaussian of sd s tempered is the Gaussian of sd s / sqrt(beta): compare densities.
        const auto one = createTarget({{"kind", "gaussian-mixture"}, {"means", {{0.5, -0.5}}}, {"weights", {1}}, {"sds", {0.5}}, {"beta", 4.0}});
        const auto exact = createTarget({{"kind", "gaussian-mixture"}, {"means", {{0.5, -0.5}}}, {"weights", {1}}, {"sds", {0.25}}});
        const Matrix x = exact->sample(50, 1);
        QVERIFY(((one->logDensity(x) - exact->logDensity(x)).array().abs() < 1e-4f).all());
        QVERIFY(((one->gradLogDensity(x) - exact->gradLogDensity(x)).array().abs() < 1e-3f).all());
        // Exact tempering of piecewise-constant bases.
        const auto board = createTarget({{"kind", "checkerboard"}, {"beta", 3.0}});
        QCOMPARE(board->logDensity(x), createTarget({{"kind", "checkerboard"}})->logDensity(x));
        const auto pw = targets()[13].target->modeWeights(); // painted, beta 2: 2 (1 + 4 + 9) = 28 and 25
        QVERIFY(std::abs(pw[0] - 28.0 / 53.0) < 1e-12);
        // Too sharp for the grid: refused, naming beta.
        const std::string e = errorOf([] {
            (void)createTarget({{"kind", "ring"}, {"modes", 8}, {"radius", 4.0}, {"sd", 0.02}, {"beta", 20.0}, {"quadrature_cells", 16}});
        });
        QVERIFY2(e.find("beta") != std::string::npos && e.find("quadrature_cells") != std::string::npos, e.c_str());
    }

    void samplesDoNotDependOnCountOrThreads()
    {
        for (const std::size_t i : {std::size_t{0}, std::size_t{10}, std::size_t{13}}) {
            const auto& t = *targets()[i].target;
            setEngineThreads(1);
            const Matrix a = t.sample(300, 4);
            setEngineThreads(2);
            const Matrix b = t.sample(300, 4);
            const Matrix c = t.sample(100, 4);
            QCOMPARE(a, b);
            QVERIFY(a.topRows(100) == c);
            QVERIFY(a != t.sample(300, 5));
        }
    }

    void configsRoundTrip()
    {
        for (const auto& t : targets()) {
            const json c = t.target->config();
            const auto back = createTarget(c);
            QVERIFY2(back->config() == c, t.name.c_str());
            const Matrix x = t.target->sample(40, 2);
            QVERIFY2(back->logDensity(x) == t.target->logDensity(x), t.name.c_str());
            QVERIFY2(back->modeOf(x) == t.target->modeOf(x), t.name.c_str());
            // Through a file, saved atomically (no temp file left beside it).
            const std::string path = scratch("roundtrip.json");
            saveTargetFile(path, *t.target);
            QVERIFY2(loadTargetFile(path)->config() == c, t.name.c_str());
            int files = 0;
            for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(path).parent_path()))
                files += e.path().filename().string().rfind("roundtrip.json", 0) == 0;
            QCOMPARE(files, 1);
        }
    }

    void daePaperToys()
    {
        // Discrete: with the exact Bayes reconstruction the chain's stationary distribution is p itself.
        const Eigen::VectorXd p = daeToyDiscrete();
        QCOMPARE(p.size(), 10);
        QVERIFY(std::abs(p.sum() - 1.0) < 1e-15 && std::abs(p(7) - 7.0 / 32.0) < 1e-15);
        DiscreteNpDae dae(DiscreteNpDae::ringCorruption(10, 0.5, 2));
        dae.setReconstruction(DiscreteNpDae::bayesReconstruction(p, dae.corruption()));
        QVERIFY((dae.stationaryDistribution() - p).cwiseAbs().maxCoeff() < 1e-10);

        // Continuous, 10-D: the density against the mixture written out, the score against finite
        // differences, and the draws' moments: E x = 0 and Var x_k = 1/2 + sd^2 (the curve averages
        // cos^2 over whole periods), each within 5 standard errors of 20000 draws (seed 8).
        const auto t = createTarget({{"kind", "dae-toy-10d"}, {"components", 200}, {"sd", 0.15}});
        QCOMPARE(t->dimension(), 10);
        QCOMPARE(t->modeCount(), 1);
        const Matrix x = t->sample(20000, 8);
        Matrix probe = x.topRows(5);
        const Vector lp = t->logDensity(probe);
        for (int i = 0; i < 5; ++i) {
            double s = 0.0;
            for (int j = 0; j < 200; ++j) {
                double d2 = 0.0;
                for (int k = 0; k < 10; ++k) {
                    const int m = k / 2;
                    const double a = 2.0 * std::numbers::pi * (m + 1) * j / 200.0;
                    const double f = k % 2 == 0 ? std::cos(a) : std::sin(a);
                    d2 += (probe(i, k) - f) * (probe(i, k) - f);
                }
                s += std::exp(-d2 / (2 * 0.0225)) / 200.0;
            }
            const double exact = std::log(s) - 5.0 * std::log(2 * std::numbers::pi * 0.0225);
            QVERIFY2(std::abs(lp(i) - exact) < 1e-3, std::to_string(lp(i) - exact).c_str());
        }
        const Matrix g = t->gradLogDensity(probe);
        for (int k = 0; k < 10; ++k) {
            Matrix xp = probe, xm = probe;
            xp.col(k).array() += 1e-2f;
            xm.col(k).array() -= 1e-2f;
            const Vector fd = (t->logDensity(xp) - t->logDensity(xm)) / 2e-2f;
            for (int i = 0; i < 5; ++i)
                QVERIFY2(std::abs(fd(i) - g(i, k)) < 0.05 + 0.01 * std::abs(g(i, k)), std::to_string(fd(i) - g(i, k)).c_str());
        }
        const Eigen::MatrixXd xd = x.cast<double>();
        const Eigen::RowVectorXd mean = xd.colwise().mean();
        const Eigen::RowVectorXd var = (xd.rowwise() - mean).array().square().colwise().mean();
        const double se = std::sqrt(0.5225 / 20000.0);
        for (int k = 0; k < 10; ++k) {
            QVERIFY2(std::abs(mean(k)) < 5 * se, std::to_string(mean(k)).c_str());
            // Var of x_k^2 is about 1/8 + O(sd^2): standard error of the variance sqrt(0.15 / n).
            QVERIFY2(std::abs(var(k) - 0.5225) < 5 * std::sqrt(0.15 / 20000.0), std::to_string(var(k)).c_str());
        }
        QVERIFY(createTarget(t->config())->config() == t->config());
    }

    void badInputIsRefusedNamingFileAndField()
    {
        const std::string mix = R"({"kind": "gaussian-mixture", "means": [[0, 0], [3, 0]], "sds": [1, 1], "weights": )";
        const auto expect = [](const std::string& e, const std::string& file, const std::string& field) {
            QVERIFY2(e.find(file) != std::string::npos && e.find(field) != std::string::npos, (e + " [" + field + "]").c_str());
        };
        expect(loadError("negative.json", mix + "[0.5, -0.1]}"), "negative.json", "weights");
        expect(loadError("nanweight.json", mix + R"([0.5, "NaN"]})"), "nanweight.json", "weights");
        expect(loadError("zeroweights.json", mix + "[0, 0]}"), "zeroweights.json", "weights");
        expect(loadError("overflow.json", mix + "[0.5, 1e999]}"), "overflow.json", "");
        expect(loadError("count.json", mix + "[0.5]}"), "count.json", "weights");
        expect(loadError("dims.json", R"({"kind": "gaussian-mixture", "means": [[0, 0], [3]], "sds": [1, 1], "weights": [1, 1]})"),
               "dims.json", "means");
        const std::string cov = R"({"kind": "gaussian-mixture", "means": [[0, 0]], "weights": [1], "covariances": )";
        expect(loadError("singular.json", cov + "[[[1, 1], [1, 1]]]}"), "singular.json", "covariances[0]");
        expect(loadError("nonsym.json", cov + "[[[1, 0.5], [0, 1]]]}"), "nonsym.json", "covariances[0]");
        expect(loadError("covdims.json", cov + "[[[1, 0, 0], [0, 1, 0], [0, 0, 1]]]}"), "covdims.json", "covariances[0]");
        const std::string painted = R"({"kind": "painted", "box": [0, 1, 0, 1], "values": )";
        expect(loadError("empty.json", painted + "[[0, 0], [0, 0]]}"), "empty.json", "values");
        expect(loadError("ragged.json", painted + "[[0, 1], [1]]}"), "ragged.json", "values[1]");
        expect(loadError("negcell.json", painted + "[[0, 1], [-1, 1]]}"), "negcell.json", "values");
        expect(loadError("badbox.json", R"({"kind": "painted", "box": [1, 0, 0, 1], "values": [[1]]})"), "badbox.json", "box");
        expect(loadError("kind.json", R"({"kind": "volcano"})"), "kind.json", "kind");
        expect(loadError("beta.json", R"({"kind": "banana", "beta": -1})"), "beta.json", "beta");
        expect(loadError("notjson.json", "{\"kind\": "), "notjson.json", "");
        expect(loadError("array.json", "[1, 2]"), "array.json", "");
        expect(loadError("deep.json", std::string(100, '[') + std::string(100, ']')), "deep.json", "");
        expect(errorOf([] { (void)loadTargetFile(scratch("missing.json")); }), "missing.json", "");
        // The API refuses NaN that no JSON can hold.
        Vector w(2);
        w << 0.5f, std::nanf("");
        expect(errorOf([&] { (void)GaussianMixtureTarget(Matrix::Zero(2, 2), w, Vector::Ones(2)); }), "gaussian mixture", "weights");
        expect(errorOf([] { (void)PaintedTarget({0, 1, 0, 1}, 2, 1, {0.0, std::nan("")}); }), "painted", "values");
        // A failed save leaves nothing behind.
        expect(errorOf([] { saveTargetFile(scratch("no/such/folder/t.json"), *targets()[0].target); }), "t.json", "");
    }
};

QTEST_GUILESS_MAIN(TestTargets)
#include "tst_targets.moc"
