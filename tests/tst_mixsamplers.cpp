// The mode-mixing lab's samplers on points (issue 13 item 2): random-walk Metropolis, MALA, ULA and
// parallel tempering ("pt") against exact Gaussian-mixture densities on three targets (ring of 8,
// 3 x 3 grid, "isolated modes"), the tempering escape from one mode, the same chains on 1 and 2
// threads over several kernel blocks, and states continued by a sampler with other settings.
// (The conformance table, tst_conformance, runs the registry-wide modes for the same kinds.)

#include "chains.h"
#include "daelab.h"
#include "enumerablerbm.h"
#include "error.h"
#include "langevinsampler.h"
#include "modelregistry.h"
#include "parallel.h"
#include "ptsampler.h"
#include "rwmhsampler.h"
#include "samplerregistry.h"
#include "target.h"

#include <QtTest>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

using namespace gsn;

namespace {

// SPEC 7's presets as mixture configs.
nlohmann::json ring8() { return {{"kind", "ring"}, {"modes", 8}, {"radius", 4.0}, {"sd", 0.25}}; }

nlohmann::json grid3(double sd = 0.25)
{
    nlohmann::json means = nlohmann::json::array();
    for (int i = -1; i <= 1; ++i)
        for (int j = -1; j <= 1; ++j)
            means.push_back({2.5 * i, 2.5 * j});
    return {{"kind", "gaussian-mixture"}, {"means", means}, {"weights", std::vector<double>(9, 1.0)},
            {"sds", std::vector<double>(9, sd)}};
}

nlohmann::json isolated(double sd = 0.5)
{
    return {{"kind", "gaussian-mixture"}, {"means", {{-4.0, 0.0}, {4.0, 0.0}}}, {"weights", {0.7, 0.3}}, {"sds", {sd, sd}}};
}

// The same mixture with every sd scaled (what a wrong sampler would give).
nlohmann::json widened(const nlohmann::json& config, double factor)
{
    const auto t = std::dynamic_pointer_cast<const GaussianMixtureTarget>(createTarget(config));
    nlohmann::json c = t->config();
    for (auto& s : c["sds"])
        s = s.get<double>() * factor;
    return c;
}

// Histogram grid: G x G cells on [-L, L)^2 plus one bin for the outside; exact cell probabilities.
struct Grid {
    int g = 24;
    float lo = -6.0f, w = 0.5f;
    Grid(int cells, float half) : g(cells), lo(-half), w(2.0f * half / cells) {}
    std::size_t bin(const float* x) const
    {
        const int i = static_cast<int>(std::floor((x[0] - lo) / w)), j = static_cast<int>(std::floor((x[1] - lo) / w));
        return i < 0 || j < 0 || i >= g || j >= g ? std::size_t(g * g) : std::size_t(i * g + j);
    }
    std::vector<double> exact(const GaussianMixtureTarget& t) const
    {
        std::vector<double> p(static_cast<std::size_t>(g * g + 1), 0.0);
        double inside = 0.0;
        for (int i = 0; i < g; ++i)
            for (int j = 0; j < g; ++j) {
                Vector a(2), b(2);
                a << lo + i * w, lo + j * w;
                b << lo + (i + 1) * w, lo + (j + 1) * w;
                inside += p[static_cast<std::size_t>(i * g + j)] = t.boxProbability(a, b);
            }
        p.back() = std::max(1.0 - inside, 1e-12);
        return p;
    }
};

Grid gridFor(const std::string& target)
{
    if (target == "ring8")
        return Grid(24, 5.5f);
    if (target == "grid3")
        return Grid(24, 4.0f);
    return Grid(24, 6.0f);
}

nlohmann::json targetNamed(const std::string& name)
{
    return name == "ring8" ? ring8() : name == "grid3" ? grid3() : isolated();
}

// Histogram of the shown chains (state.x) over steps [burnIn, steps) of `set`.
std::vector<double> histogram(ChainSet& set, const Grid& grid, int burnIn, int steps)
{
    std::vector<double> h(static_cast<std::size_t>(grid.g * grid.g + 1), 0.0);
    const int chains = set.state().chains();
    for (int t = 0; t < steps; ++t) {
        set.step();
        if (t < burnIn)
            continue;
        for (int c = 0; c < chains; ++c)
            h[grid.bin(set.state().x.row(c).data())] += 1.0;
    }
    const double n = static_cast<double>(chains) * (steps - burnIn);
    for (double& v : h)
        v /= n;
    return h;
}

std::shared_ptr<const Sampler> make(const nlohmann::json& config)
{
    return std::shared_ptr<const Sampler>(createSampler(config));
}

nlohmann::json samplerConfig(const std::string& kind, const nlohmann::json& target, double step)
{
    if (kind == "pt")
        return {{"kind", "pt"}, {"target", target}, {"base", {{"kind", "rwmh"}, {"step_size", step}}},
                {"replicas", 4}, {"beta_min", 0.25}};
    return {{"kind", kind}, {"step_size", step}, {"target", target}};
}

double fractionRight(const Matrix& x)
{
    return static_cast<double>((x.col(0).array() > 0.0f).count()) / static_cast<double>(x.rows());
}

} // namespace

class TestMixSamplers : public QObject {
    Q_OBJECT

private slots:
    void cleanup() { setEngineThreads(0); }

    // Each sampler keeps each target's exact density: 2000 chains started from exact draws, 50 burn-in
    // steps, 250 counted, histogram over 24 x 24 cells (+ outside) against the exact cell
    // probabilities. The chains' modes are fixed by their starts on these well-separated targets, so
    // the mode weights carry the noise of 2000 draws, E[KL] ~ (k - 1) / 4000 <= 0.002, plus < 0.003
    // within the modes (N_eff > 2e4 over < 150 occupied cells); bound 0.01 for every row. ULA (biased)
    // at eps = 0.1 on sd 0.25 widens each mode by ~2% (variance s^2 / (1 - eps^2 / (4 s^2))): KL ~ 1e-3,
    // inside the same bound. Power: the same histogram against the mixture with 25% wider modes must be
    // more than 3x the bound away (KL ~ 0.08 for a Gaussian in 2D).
    void keepsTheExactDensity_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("target");
        QTest::addColumn<double>("step");
        for (const char* target : {"ring8", "grid3", "isolated"}) {
            const double scale = std::string(target) == "isolated" ? 2.0 : 1.0; // sd 0.5 there
            QTest::newRow(qPrintable(QString("rwmh/") + target)) << "rwmh" << target << 0.5 * scale;
            QTest::newRow(qPrintable(QString("mala/") + target)) << "mala" << target << 0.25 * scale;
            QTest::newRow(qPrintable(QString("ula/") + target)) << "ula" << target << 0.1 * scale;
            QTest::newRow(qPrintable(QString("pt/") + target)) << "pt" << target << 0.5 * scale;
        }
    }
    void keepsTheExactDensity()
    {
        QFETCH(QString, kind);
        QFETCH(QString, target);
        QFETCH(double, step);
        const nlohmann::json tc = targetNamed(target.toStdString());
        const auto sampler = make(samplerConfig(kind.toStdString(), tc, step));
        const auto mix = std::dynamic_pointer_cast<const GaussianMixtureTarget>(createTarget(tc));
        const Grid grid = gridFor(target.toStdString());
        ChainSet set(nullptr, sampler, FrameLayout::points(2));
        set.resetAt(mix->sample(2000, 41), 42);
        const std::vector<double> h = histogram(set, grid, 50, 300);
        const auto wrong = std::dynamic_pointer_cast<const GaussianMixtureTarget>(createTarget(widened(tc, 1.25)));
        const double k = test::klDivergence(h, grid.exact(*mix)), kWrong = test::klDivergence(h, grid.exact(*wrong));
        const SamplerDiagnostics d = set.diagnostics();
        qInfo("%s on %s: KL(chains || exact) = %.5f (bound 0.01), KL(chains || 25%% wider) = %.4f, acceptance %.3f",
              qPrintable(kind), qPrintable(target), k, kWrong, d.acceptanceRate());
        QVERIFY(k < 0.01);
        QVERIFY(kWrong > 3 * 0.01);
        if (kind == "rwmh" || kind == "mala")
            QVERIFY(d.acceptanceRate() > 0.2 && d.acceptanceRate() < 0.99);
        if (kind == "ula")
            QCOMPARE(d.proposals, std::uint64_t{0});
    }

    // ULA's bias is real and MALA removes it: at eps = 0.3 on the 3 x 3 grid (sd 0.25), ULA's modes are
    // ~40% wider in variance (s^2 / (1 - eps^2 / (4 s^2)) = 1.56 s^2 ... before the curvature of the
    // mixture), KL well above 0.01, while MALA with the same step stays within 0.01 (same set-up as above).
    void ulaIsBiasedMalaIsNot()
    {
        const auto mix = std::dynamic_pointer_cast<const GaussianMixtureTarget>(createTarget(grid3()));
        const Grid grid = gridFor("grid3");
        double kls[2];
        for (int adjusted = 0; adjusted < 2; ++adjusted) {
            ChainSet set(nullptr, make(samplerConfig(adjusted ? "mala" : "ula", grid3(), 0.3)), FrameLayout::points(2));
            set.resetAt(mix->sample(2000, 43), 44);
            kls[adjusted] = test::klDivergence(histogram(set, grid, 50, 300), grid.exact(*mix));
        }
        qInfo("eps 0.3: KL(ula || exact) = %.4f, KL(mala || exact) = %.5f", kls[0], kls[1]);
        QVERIFY(kls[0] > 0.03);
        QVERIFY(kls[1] < 0.01);
    }

    // "Isolated modes" (modes at -4 and +4, sd 0.5, weights 0.7 / 0.3), every chain started in the left
    // mode: random-walk Metropolis (step 1) never reaches the right one in 1500 steps (crossing needs
    // log p to fall by ~32 nats), while tempering around the same sampler (8 replicas, geometric
    // ladder 1 .. 0.01, sd 5 at the hottest) puts the exact 0.3 in the right mode: over steps 500-1500
    // of 400 chains the fraction is within 0.05 of 0.3 (binomial sd of 400 independent chains 0.023,
    // the time average over 1000 steps smaller), and the beta = 1 replica's histogram is within 0.03
    // of the exact density (bound larger than above: 400 chains; measured ~0.01). Swap rates per
    // neighbouring pair: counted C per step, strictly between 0 and 1.
    void temperingEscapesIsolatedModes()
    {
        const auto mix = std::dynamic_pointer_cast<const GaussianMixtureTarget>(createTarget(isolated()));
        const int chains = 400;
        Matrix start = mix->sample(4 * chains, 51);
        Matrix left(chains, 2);
        for (int c = 0, i = 0; c < chains; ++i)
            if (start(i, 0) < 0.0f)
                left.row(c++) = start.row(i);
        const Grid grid = gridFor("isolated");

        ChainSet rw(nullptr, make(samplerConfig("rwmh", isolated(), 1.0)), FrameLayout::points(2));
        rw.resetAt(left, 52);
        double rwRight = 0.0;
        for (int t = 0; t < 1500; ++t) {
            rw.step();
            rwRight = std::max(rwRight, fractionRight(rw.state().x));
        }

        const auto pt = make({{"kind", "pt"}, {"target", isolated()}, {"base", {{"kind", "rwmh"}, {"step_size", 1.0}}},
                              {"replicas", 8}, {"beta_min", 0.01}});
        ChainSet set(nullptr, pt, FrameLayout::points(2));
        set.resetAt(left, 52);
        for (int t = 0; t < 500; ++t)
            set.step();
        std::vector<double> h(static_cast<std::size_t>(grid.g * grid.g + 1), 0.0);
        double right = 0.0;
        for (int t = 0; t < 1000; ++t) {
            set.step();
            right += fractionRight(set.state().x) / 1000.0;
            for (int c = 0; c < chains; ++c)
                h[grid.bin(set.state().x.row(c).data())] += 1.0 / (1000.0 * chains);
        }
        const double k = test::klDivergence(h, grid.exact(*mix));
        const SamplerDiagnostics d = set.diagnostics();
        QString rates;
        for (double r : d.swapRates())
            rates += QString::number(r, 'f', 2) + " ";
        qInfo("isolated modes: rwmh right-mode fraction max %.3f; pt right-mode fraction %.3f (exact 0.3), "
              "KL %.4f (bound 0.03), swap rates %s", rwRight, right, k, qPrintable(rates));
        QCOMPARE(rwRight, 0.0);
        QVERIFY(std::abs(right - 0.3) < 0.05);
        QVERIFY(k < 0.03);
        QCOMPARE(d.swapAttempts.size(), std::size_t{7});
        for (std::size_t r = 0; r < d.swapAttempts.size(); ++r) {
            QCOMPARE(d.swapAttempts[r], std::uint64_t{1500} * chains);
            QVERIFY(d.swapAccepts[r] > 0 && d.swapAccepts[r] < d.swapAttempts[r]);
        }
        // The hot replicas do sample p^beta: the coldest-but-one replica sits in both modes too.
        const Matrix& all = PtSampler::replicaPoints(set.state());
        QCOMPARE(all.rows(), Eigen::Index{8 * chains});
    }

    // Same seed, same chains on 1 and 2 threads, over 1000 chains (4 kernel blocks of 256, the last
    // partial), for every point kind; and tempering with R = 1 is its base sampler exactly.
    void sameChainsOnOneAndTwoThreads_data()
    {
        QTest::addColumn<QString>("kind");
        for (const char* k : {"rwmh", "mala", "ula", "pt"})
            QTest::newRow(k) << k;
    }
    void sameChainsOnOneAndTwoThreads()
    {
        QFETCH(QString, kind);
        const auto sampler = make(samplerConfig(kind.toStdString(), ring8(), 0.3));
        const Matrix x0 = createTarget(ring8())->sample(1000, 61);
        const auto run = [&](int threads) {
            setEngineThreads(threads);
            ChainSet set(nullptr, sampler, FrameLayout::points(2));
            set.resetAt(x0, 62);
            for (int t = 0; t < 20; ++t)
                set.step();
            return std::make_pair(Matrix(set.state().x), set.diagnostics());
        };
        const auto one = run(1), two = run(2);
        QVERIFY(one.first == two.first);
        QVERIFY(one.first != x0);
        QCOMPARE(one.second.accepts, two.second.accepts);
        QVERIFY(one.second.swapAccepts == two.second.swapAccepts);
    }

    void temperingWithOneReplicaIsTheBase()
    {
        const Matrix x0 = createTarget(ring8())->sample(300, 63);
        ChainSet a(nullptr, make(samplerConfig("mala", ring8(), 0.25)), FrameLayout::points(2));
        ChainSet b(nullptr,
                   make({{"kind", "pt"}, {"target", ring8()}, {"base", {{"kind", "mala"}, {"step_size", 0.25}}}, {"betas", {1.0}}}),
                   FrameLayout::points(2));
        a.resetAt(x0, 64);
        b.resetAt(x0, 64);
        for (int t = 0; t < 10; ++t) {
            a.step();
            b.step();
        }
        QVERIFY(a.state().x == b.state().x);
    }

    // The state is separate from the sampler: after 10 steps of rwmh (step 0.5), a sampler with another
    // step size, a MALA sampler and a tempering sampler with another ladder each continue the chains,
    // and give exactly what they give on a fresh state at the same points and step count (no stale cache).
    void newSettingsContinueTheChains()
    {
        const Matrix x0 = createTarget(ring8())->sample(600, 71);
        const auto first = make(samplerConfig("rwmh", ring8(), 0.5));
        for (const nlohmann::json& next : {samplerConfig("rwmh", ring8(), 0.2), samplerConfig("mala", ring8(), 0.3),
                                           samplerConfig("ula", ring8(), 0.1)}) {
            std::unique_ptr<SamplerState> s = first->start(nullptr, x0);
            for (int t = 0; t < 10; ++t)
                first->step(nullptr, *s, 5, nullptr);
            const Matrix mid = s->x;
            const auto second = make(next);
            for (int t = 0; t < 10; ++t)
                second->step(nullptr, *s, 5, nullptr);
            QCOMPARE(s->step, std::uint64_t{20});
            std::unique_ptr<SamplerState> fresh = second->start(nullptr, mid);
            fresh->step = 10;
            for (int t = 0; t < 10; ++t)
                second->step(nullptr, *fresh, 5, nullptr);
            QVERIFY2(fresh->x == s->x, next.at("kind").get<std::string>().c_str());
            QVERIFY(s->x != mid);
        }
        // Tempering: a new ladder of the same R keeps every replica; another R is refused by name.
        const auto pt = make({{"kind", "pt"}, {"target", ring8()}, {"base", {{"kind", "rwmh"}, {"step_size", 0.5}}},
                              {"betas", {1.0, 0.5, 0.2}}});
        const auto ladder = make({{"kind", "pt"}, {"target", ring8()}, {"base", {{"kind", "rwmh"}, {"step_size", 0.4}}},
                                  {"betas", {1.0, 0.3, 0.1}}});
        std::unique_ptr<SamplerState> s = pt->start(nullptr, x0);
        for (int t = 0; t < 5; ++t)
            pt->step(nullptr, *s, 9, nullptr);
        const Matrix replicas = PtSampler::replicaPoints(*s);
        ladder->step(nullptr, *s, 9, nullptr);
        QCOMPARE(s->step, std::uint64_t{6});
        QCOMPARE(PtSampler::replicaPoints(*s).rows(), replicas.rows());
        QVERIFY(PtSampler::replicaPoints(*s) != replicas);
        QCOMPARE(ladder->diagnostics(*s).swapAttempts[0], std::uint64_t{6} * 600);
        const auto four = make({{"kind", "pt"}, {"target", ring8()}, {"base", {{"kind", "rwmh"}, {"step_size", 0.5}}},
                                {"betas", {1.0, 0.5, 0.2, 0.1}}});
        QVERIFY_THROWS_EXCEPTION(Error, four->step(nullptr, *s, 9, nullptr));
    }

    // The DAE learns the score (DAE paper 2.4): a dae-gauss (64 hidden, gaussian corruption s = 0.3,
    // DaeLabOptions' defaults: 200 epochs, lr 0.05, momentum 0.9) trained on 5000 exact draws of two modes at (-2, 0) and (2, 0) (sd 0.5, weights 0.6 / 0.4). At
    // 2000 fresh exact draws (points near the modes) the learned score (r(x) - x) / s^2 points the way
    // of the exact score: mean cosine > 0.8 (measured 0.94; 0.83 after 60 epochs); the untrained DAE's
    // is far lower (0.19: the test's power).
    // Then both of its chains run under the trained snapshot: the DAE's own chain X~ ~ C(.|X),
    // X ~ P(.|X~) and Langevin on the learned score; started from exact draws, 500 chains keep the
    // right-mode fraction over steps 200-600 within 0.1 of the exact 0.4 (the learned density is an
    // estimate: a loose, stated bound; measured 0.40 and 0.42) and stay near the data (the mean
    // distance to the nearest mode below 1: exact draws give 0.63, these chains 0.93 and 0.89, blurred
    // by the corruption as the DAE paper's trade-off says; a diverging chain would exceed it).
    void daeLearnsTheScore()
    {
        const nlohmann::json two = {{"kind", "gaussian-mixture"}, {"means", {{-2.0, 0.0}, {2.0, 0.0}}}, {"weights", {0.6, 0.4}},
                                    {"sds", {0.5, 0.5}}};
        const auto target = createTarget(two);
        DaeLabOptions o;
        std::shared_ptr<Dae> dae = newLabDae(2, o, 7);
        const Matrix probe = target->sample(2000, 99);
        const Matrix exact = target->gradLogDensity(probe);
        const auto meanCosine = [&](const Dae& m) {
            const Matrix g = learnedScore(m, probe);
            double sum = 0.0;
            for (Eigen::Index i = 0; i < probe.rows(); ++i)
                sum += g.row(i).dot(exact.row(i)) / (g.row(i).norm() * exact.row(i).norm() + 1e-12f);
            return sum / static_cast<double>(probe.rows());
        };
        const double before = meanCosine(*dae);
        int epochs = 0;
        const TrainResult r = trainDaeOnTarget(*dae, *target, o, [&](const EpochSummary&) { ++epochs; });
        QVERIFY2(r.status == TrainStatus::Finished, r.message.c_str());
        QCOMPARE(epochs, o.epochs);
        const double after = meanCosine(*dae);
        qInfo("dae score: mean cosine with the exact score %.3f before training, %.3f after (bound 0.8)", before, after);
        QVERIFY(after > 0.8);
        QVERIFY(before < 0.6);

        // The density it implies (learnedLogDensity): its finite-difference gradient is the learned score,
        // and it puts the two modes above the valley between them, the heavier mode higher.
        const Matrix probeFew = target->sample(50, 17);
        const Matrix learned = learnedScore(*dae, probeFew);
        double worst = 0.0;
        for (Eigen::Index i = 0; i < probeFew.rows(); ++i)
            for (int k = 0; k < 2; ++k) {
                Matrix plus = probeFew.row(i), minus = probeFew.row(i);
                const float h = 1e-2f;
                plus(0, k) += h;
                minus(0, k) -= h;
                const double fd = (learnedLogDensity(*dae, plus)(0) - learnedLogDensity(*dae, minus)(0)) / (2.0 * h);
                worst = std::max(worst, std::abs(fd - learned(i, k)) / (1.0 + std::abs(learned(i, k))));
            }
        qInfo("implied log-density: worst |finite difference - learned score| / (1 + |score|) = %.2e", worst);
        QVERIFY(worst < 2e-3);
        Matrix points(3, 2);
        points << -2, 0, 0, 0, 2, 0;
        const Eigen::VectorXd implied = learnedLogDensity(*dae, points);
        qInfo("implied log-density at (-2, 0), (0, 0), (2, 0): %.2f, %.2f, %.2f (exact: %.2f, %.2f, %.2f)", implied(0),
              implied(1), implied(2), target->logDensity(points)(0), target->logDensity(points)(1), target->logDensity(points)(2));
        // (Measured: the modes 1.4 and 0.9 nats above the valley where the exact density has 7.5 and 7.1: the
        // DAE sees no data between the modes, so the barrier it implies is low. That is why its chain crosses.)
        QVERIFY(implied(0) > implied(1) + 0.5 && implied(2) > implied(1) + 0.5);
        QVERIFY(implied(0) > implied(2));
        // A Bernoulli dae has no potential here: refused with a message.
        const Dae bernoulli({{"kind", "dae"}, {"sizes", {4, 3}}}, 1);
        QVERIFY_THROWS_EXCEPTION(Error, bernoulli.potential(Matrix::Zero(1, 4), 0.1));

        const Matrix start = target->sample(500, 5);
        const std::shared_ptr<const Model> snapshot = dae;
        for (const std::shared_ptr<const Sampler>& sampler :
             {modelChainsSampler(), make({{"kind", "dae-score"}, {"step_size", 0.2}})}) {
            ChainSet set(snapshot, sampler, FrameLayout::points(2));
            set.resetAt(start, 5);
            double right = 0.0;
            for (int t = 0; t < 600; ++t) {
                set.step();
                if (t >= 200)
                    right += fractionRight(set.state().x) / 400.0;
            }
            const Matrix& x = set.state().x;
            const double near = ((x.col(0).array().abs() - 2.0f).square() + x.col(1).array().square()).sqrt().mean();
            qInfo("%s under the trained dae: right-mode fraction %.3f (exact 0.4), mean distance to the nearest mode %.3f",
                  sampler->kind().c_str(), right, near);
            QVERIFY(std::abs(right - 0.4) < 0.1);
            QVERIFY(near < 1.0);
        }
    }

    void badConfigsAreRefused()
    {
        const auto refused = [](const nlohmann::json& config, const char* field) {
            try {
                createSampler(config);
            } catch (const Error& e) {
                return QString(e.what()).contains(field);
            }
            return false;
        };
        QVERIFY(refused({{"kind", "mala"}, {"target", ring8()}}, "step_size"));
        QVERIFY(refused({{"kind", "ula"}, {"step_size", 0.1}}, "target"));
        QVERIFY(refused({{"kind", "mala"}, {"step_size", -1.0}, {"target", ring8()}}, "step_size"));
        QVERIFY(refused({{"kind", "pt"}, {"target", ring8()}, {"betas", {1.0}}}, "base"));
        QVERIFY(refused({{"kind", "pt"}, {"target", ring8()}, {"base", {{"kind", "rwmh"}, {"step_size", 0.5}}},
                         {"betas", {0.9, 0.5}}},
                        "betas"));
        QVERIFY(refused({{"kind", "pt"}, {"target", ring8()}, {"base", {{"kind", "rwmh"}, {"step_size", 0.5}}},
                         {"betas", {1.0, 0.2, 0.5}}},
                        "betas"));
        QVERIFY(refused({{"kind", "pt"}, {"target", ring8()}, {"base", {{"kind", "rwmh"}, {"step_size", 0.5}}}},
                        "replicas"));
        // A base without a tempered step (the non-parametric DAE has no energy).
        QVERIFY(refused({{"kind", "pt"}, {"betas", {1.0, 0.5}}, {"base", {{"kind", "model-chain"}}}}, "base"));
        const auto mala = make(samplerConfig("mala", ring8(), 0.25));
        QVERIFY_THROWS_EXCEPTION(Error, mala->start(nullptr, Matrix::Constant(3, 2, NAN)));
        QVERIFY_THROWS_EXCEPTION(Error, mala->start(nullptr, Matrix::Zero(3, 3)));
        // The learned-score sampler needs a dae-gauss with gaussian corruption.
        const auto score = make({{"kind", "dae-score"}, {"step_size", 0.1}});
        QVERIFY_THROWS_EXCEPTION(Error, score->checkModel(nullptr));
        const auto saltDae = createModel({{"kind", "dae"}, {"sizes", {4, 3}}}, 1);
        QVERIFY_THROWS_EXCEPTION(Error, score->checkModel(saltDae.get()));
        QVERIFY(refused({{"kind", "dae-score"}, {"step_size", 0.0}}, "step_size"));
    }
};

QTEST_GUILESS_MAIN(TestMixSamplers)
#include "tst_mixsamplers.moc"
