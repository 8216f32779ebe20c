// Gradients of every model (DAE, Gaussian DAE, GSN-2, GSN-3) against central finite differences of
// the loss with the noise held fixed (the same NoiseKey, so every corruption and Gaussian draw repeats).
//
// The analytic gradient runs in float, as in training. Per parameter tensor, the check compares the
// directional derivative a = g . d along a random unit direction d (restricted to that tensor) with
// fd = (L(theta + eps d) - L(theta - eps d)) / (2 eps), eps = 1e-3, and the same for the tensor's
// three largest gradient entries one at a time. Pass: |fd - a| <= 1e-2 |a| + 1e-4. The absolute
// term covers float rounding of the loss (~1e-7 on a loss of order 1, divided by 2 eps: ~5e-5);
// the O(eps^2) truncation error is far below 1e-2 relative.
// Sampled units (Bernoulli input sampling, walkback samples) are piecewise constant in the
// parameters, so their gradient is 0 except where a sample flips between theta -+ eps; with these
// seeds and eps no sample flips (a flip would show as a large error and fail the test). The
// walkback pairs of a DAE are training data (Algorithm 2), so a Gaussian DAE's walkback samples
// r + s z are not differentiated; it is checked with walkback 1, where that question does not arise.
// Each test also scales one gradient tensor by 1.1 and requires the check to reject it.

#include "model.h"
#include "random.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace gsn;

namespace {

constexpr double kEps = 1e-3;
constexpr double kRelTolerance = 1e-2;
constexpr double kAbsTolerance = 1e-4;

Matrix randomBatch(int rows, int cols, bool gaussian, std::uint64_t seed)
{
    Matrix m(rows, cols);
    Philox rng(seed, 1, 1);
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c)
            m(r, c) = gaussian ? rng.normal() : rng.uniform();
    return m;
}

NoiseKey keyFor(int rows)
{
    NoiseKey key;
    key.seed = 99;
    key.step = 3;
    for (int r = 0; r < rows; ++r)
        key.rowStream.push_back(static_cast<std::uint64_t>(100 + r));
    return key;
}

// Biases start at 0; give them (and the weights) generic values so no term is trivially zero.
void randomiseParameters(Model& model, std::uint64_t seed)
{
    Philox rng(seed, 5, 5);
    for (auto& p : model.parameters())
        for (Eigen::Index i = 0; i < p.value->size(); ++i)
            p.value->data()[i] += 0.3f * rng.normal();
}

struct CheckResult {
    double worst = 0.0; // largest |fd - a| / (rel |a| + abs): > 1 fails
    QString where;
};

// Worst relative error between `grads` and finite differences of model's loss.
CheckResult checkGradients(Model& model, const Matrix& batch, const NoiseKey& key, const std::vector<Matrix>& grads)
{
    CheckResult result;
    auto params = model.parameters();
    Matrix scratchGrad;
    std::vector<Matrix> unused;
    auto lossAt = [&](Matrix& p, const Matrix& direction, double step) {
        const Matrix saved = p;
        p += static_cast<float>(step) * direction;
        const double loss = model.lossAndGradient(batch, key, unused);
        p = saved;
        return loss;
    };
    auto compare = [&](Matrix& p, const Matrix& direction, double analytic, const QString& what) {
        const double fd = (lossAt(p, direction, kEps) - lossAt(p, direction, -kEps)) / (2.0 * kEps);
        // > 1 means outside the tolerance.
        const double err = std::abs(fd - analytic) / (kRelTolerance * std::abs(analytic) + kAbsTolerance);
        if (err > result.worst) {
            result.worst = err;
            result.where = QStringLiteral("%1: analytic %2, finite difference %3").arg(what).arg(analytic).arg(fd);
        }
    };
    for (std::size_t k = 0; k < params.size(); ++k) {
        Matrix& p = *params[k].value;
        const Matrix& g = grads[k];
        // Random unit direction within this tensor.
        Matrix d(p.rows(), p.cols());
        Philox rng(7, k, 0);
        for (Eigen::Index i = 0; i < d.size(); ++i)
            d.data()[i] = rng.normal();
        d /= d.norm();
        compare(p, d, static_cast<double>((g.array() * d.array()).sum()),
                QString::fromStdString(params[k].name) + " (random direction)");
        // The three largest entries, one at a time.
        std::vector<Eigen::Index> order(static_cast<std::size_t>(g.size()));
        std::iota(order.begin(), order.end(), Eigen::Index{0});
        std::partial_sort(order.begin(), order.begin() + std::min<std::size_t>(3, order.size()), order.end(),
                          [&](auto a, auto b) { return std::abs(g.data()[a]) > std::abs(g.data()[b]); });
        for (std::size_t j = 0; j < std::min<std::size_t>(3, order.size()); ++j) {
            Matrix e = Matrix::Zero(p.rows(), p.cols());
            e.data()[order[j]] = 1.0f;
            compare(p, e, static_cast<double>(g.data()[order[j]]),
                    QStringLiteral("%1[%2]").arg(QString::fromStdString(params[k].name)).arg(order[j]));
        }
    }
    return result;
}

} // namespace

class TestGradients : public QObject {
    Q_OBJECT
private slots:
    void finiteDifferences_data();
    void finiteDifferences();
};

void TestGradients::finiteDifferences_data()
{
    QTest::addColumn<QString>("config");
    QTest::addColumn<bool>("gaussianData");
    // Rows: 61 (two 50-row blocks, so the block reduction is covered) where nothing is sampled
    // inside the graph; 13 where Bernoulli samples are (fewer samples that could flip).
    QTest::addColumn<int>("rows");
    QTest::newRow("dae, salt-and-pepper, no walkback")
        << R"({"kind":"dae","sizes":[12,7],"corruption":{"type":"salt-and-pepper","level":0.3}})" << false << 61;
    QTest::newRow("dae, masking, fixed walkback 3")
        << R"({"kind":"dae","sizes":[12,7],"corruption":{"type":"masking","level":0.3},"walkback":3})" << false << 13;
    QTest::newRow("dae, geometric walkback")
        << R"({"kind":"dae","sizes":[12,7],"walkback_mode":"geometric"})" << false << 13;
    QTest::newRow("dae-gauss")
        << R"({"kind":"dae-gauss","sizes":[3,9],"corruption":{"type":"gaussian","level":0.3}})" << true << 61;
    QTest::newRow("gsn2, h1 noiseless")
        << R"({"kind":"gsn2","sizes":[10,8,6],"hidden_noise":0.5})" << false << 13;
    QTest::newRow("gsn2, noisy h1, walkback 5")
        << R"({"kind":"gsn2","sizes":[10,8,6],"hidden_noise":0.5,"noiseless_h1":false,"walkback":5})" << false << 13;
    QTest::newRow("gsn2, no input sampling (gradient through x)")
        << R"({"kind":"gsn2","sizes":[10,8,6],"hidden_noise":0.5,"input_sampling":false})" << false << 61;
    QTest::newRow("gsn2, no input sampling, gaussian corruption")
        << R"({"kind":"gsn2","sizes":[10,8,6],"hidden_noise":0.5,"input_sampling":false,"corruption":{"type":"gaussian","level":0.2}})" << false << 61;
    QTest::newRow("gsn3") << R"({"kind":"gsn3","sizes":[10,8,6,5],"hidden_noise":0.5})" << false << 13;
    QTest::newRow("gsn3, noisy h1, no input sampling")
        << R"({"kind":"gsn3","sizes":[10,8,6,5],"hidden_noise":0.5,"noiseless_h1":false,"input_sampling":false})" << false << 61;
}

void TestGradients::finiteDifferences()
{
    QFETCH(QString, config);
    QFETCH(bool, gaussianData);
    QFETCH(int, rows);
    auto model = createModel(nlohmann::json::parse(config.toStdString()), 11);
    randomiseParameters(*model, 12);
    const Matrix batch = randomBatch(rows, model->visibleSize(), gaussianData, 13);
    const NoiseKey key = keyFor(rows);
    std::vector<Matrix> grads;
    const double loss = model->lossAndGradient(batch, key, grads);
    QVERIFY(std::isfinite(loss));
    QCOMPARE(grads.size(), model->parameters().size());

    const CheckResult good = checkGradients(*model, batch, key, grads);
    qInfo("worst error %.3f x tolerance (%s)", good.worst, qPrintable(good.where));
    QVERIFY2(good.worst <= 1.0, qPrintable(QStringLiteral("worst error %1 x tolerance at %2")
                                                     .arg(good.worst).arg(good.where)));

    // The check must reject a gradient that is 10 % off in any one tensor.
    for (std::size_t k = 0; k < grads.size(); ++k) {
        std::vector<Matrix> bad = grads;
        bad[k] *= 1.1f;
        const CheckResult r = checkGradients(*model, batch, key, bad);
        QVERIFY2(r.worst > 1.0, qPrintable(QStringLiteral("perturbed tensor %1 not detected (%2)")
                                                      .arg(k).arg(r.worst)));
    }
}

QTEST_GUILESS_MAIN(TestGradients)
#include "tst_gradients.moc"
