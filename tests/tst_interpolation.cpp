// Interpolation between two test digits in x, h1 and h2 (issue 15 item 3; engine/eval/interpolation.h) on
// the shipped models: the deterministic passes against the formulas of docs/mixing.md computed here from
// the model's parameters (noise left on anywhere would fail), the rows' endpoints against the
// reconstructions of A and B (and the x row's against A's and B's pixels, exactly), linearity of the
// codes, the x row's figures against their closed forms, and bad input refused naming the field.

#include "checkpoint.h"
#include "classifier.h"
#include "classmixing.h"
#include "error.h"
#include "interpolation.h"
#include "testsupport.h"

#include <QTest>

#include <cmath>

using namespace gsn;
using namespace gsn::mixing;

namespace {

std::string resource(const char* name)
{
    return std::string(GSN_SOURCE_DIR) + "/resources/" + name;
}

// The named parameter of a copy of the model (parameters() is not const).
Matrix parameter(const Model& model, const std::string& name)
{
    std::unique_ptr<Model> copy = model.clone();
    for (const ParamRef& p : copy->parameters())
        if (p.name == name)
            return *p.value;
    throw std::runtime_error("no parameter " + name);
}

Matrix sigmoid(const Matrix& a)
{
    return (1.0f / (1.0f + (-a.array()).exp())).matrix();
}

Matrix withBias(Matrix a, const Matrix& bias)
{
    a.rowwise() += bias.row(0);
    return a;
}

// The formulas of docs/mixing.md, straight from the parameters: encode to `layer`, and decode from it.
// GSN-K: h_i = tanh(h_{i-1} W_{i-1} + b_i); down: h_{i-1} = tanh(h_i W_{i-1}^T + b_{i-1}), p =
// sigmoid(h1 W0^T + b0). DAE and RBM: h = sigmoid(x W0 + b1), p = sigmoid(h W0^T + b0).
Matrix referenceEncode(const Model& model, const Matrix& x, int layer)
{
    Matrix h = x;
    const bool gsn = model.kind().rfind("gsn", 0) == 0;
    for (int i = 1; i <= layer; ++i) {
        const Matrix pre = withBias(h * parameter(model, "W" + std::to_string(i - 1)), parameter(model, "b" + std::to_string(i)));
        h = gsn ? Matrix(pre.array().tanh().matrix()) : sigmoid(pre);
    }
    return h;
}

Matrix referenceDecode(const Model& model, const Matrix& code, int layer)
{
    Matrix h = code;
    for (int i = layer - 1; i >= 1; --i)
        h = withBias(h * parameter(model, "W" + std::to_string(i)).transpose(), parameter(model, "b" + std::to_string(i)))
                .array()
                .tanh()
                .matrix();
    return layer == 0 ? h : sigmoid(withBias(h * parameter(model, "W0").transpose(), parameter(model, "b0")));
}

float maxDiff(const Matrix& a, const Matrix& b)
{
    return (a - b).cwiseAbs().maxCoeff();
}

} // namespace

class TestInterpolation : public QObject {
    Q_OBJECT

private slots:
    void rowsOfTheShippedModels_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("spaces");
        QTest::newRow("default GSN-2") << "default-gsn2.safetensors" << 3;
        QTest::newRow("DAE") << "baseline-dae.safetensors" << 2;
        QTest::newRow("RBM") << "baseline-rbm.safetensors" << 2;
    }

    void rowsOfTheShippedModels()
    {
        QFETCH(QString, file);
        QFETCH(int, spaces);
        const Checkpoint ck = loadCheckpoint(resource(file.toUtf8().constData()));
        const Model& model = *ck.model;
        const Classifier classifier = loadClassifier(resource("mnist-classifier.safetensors"));
        const Dataset& test = test::cachedDataset("mnist-test");
        const Matrix a = test.pixels.row(0), b = test.pixels.row(1); // a 7 and a 2
        QCOMPARE(test.labels[0], 7);
        QCOMPARE(test.labels[1], 2);
        QCOMPARE(interpolationSpaces(model), spaces);

        constexpr int kSteps = 9; // odd: the middle image is t = 1/2 exactly
        const Interpolation r = interpolate(model, &classifier, a, b, kSteps, 7, 2);
        QCOMPARE(r.steps, kSteps);
        QCOMPARE(int(r.rows.size()), spaces);
        QCOMPARE(r.classA, 7);
        QCOMPARE(r.classB, 2);
        Matrix ends(2, a.cols());
        ends.row(0) = a;
        ends.row(1) = b;
        for (const InterpolationRow& row : r.rows) {
            const QByteArray what = QByteArray::fromStdString(row.space);
            QCOMPARE(row.space, spaceName(row.layer));
            QCOMPARE(row.images.rows(), Eigen::Index(kSteps));
            QCOMPARE(row.images.cols(), a.cols());
            QVERIFY2(row.images.minCoeff() >= 0.0f && row.images.maxCoeff() <= 1.0f, what);
            // The codes: A's and B's deterministic codes at the ends, linear in between.
            const Matrix codes = encodeDeterministic(model, ends, row.layer);
            QCOMPARE(row.codes.rows(), Eigen::Index(kSteps));
            QVERIFY2(row.codes.row(0) == codes.row(0), what);
            QVERIFY2(row.codes.row(kSteps - 1) == codes.row(1), what);
            const Matrix mid = 0.5f * (codes.row(0) + codes.row(1));
            QVERIFY2(maxDiff(row.codes.row(kSteps / 2), mid) < 1e-6f, what);
            for (int t = 0; t < kSteps; ++t) {
                const float w = float(t) / (kSteps - 1);
                QVERIFY2(maxDiff(row.codes.row(t), (1 - w) * codes.row(0) + w * codes.row(1)) < 1e-6f, what);
            }
            // The encoder and the decoder are the formulas (noise off), computed here from the parameters.
            // Tolerance: BLAS sums the products in another order than Eigen's products here.
            QVERIFY2(maxDiff(codes, referenceEncode(model, ends, row.layer)) < 1e-4f, what);
            QVERIFY2(maxDiff(row.images, referenceDecode(model, row.codes, row.layer)) < 1e-4f, what);
            if (row.layer == 0) {
                // x-space: the row is the pixel interpolation, its ends A and B exactly.
                QVERIFY(row.images.row(0) == a);
                QVERIFY(row.images.row(kSteps - 1) == b);
                QVERIFY(row.images == row.codes);
                const double span = (b - a).norm();
                QVERIFY(std::abs(row.meanStep - span / (kSteps - 1)) < 1e-4 * span);
                QVERIFY(std::abs(row.maxStep - row.meanStep) < 1e-4 * span);
                QVERIFY(std::abs(row.pathRatio - 1.0) < 1e-4);
            } else {
                // Deeper: the ends are the deterministic reconstructions of A and B through the layer
                // (a batch of 2 rows against one of kSteps: the same arithmetic up to the products' order).
                const Matrix rec = decodeDeterministic(model, codes, row.layer);
                QVERIFY2(maxDiff(row.images.row(0), rec.row(0)) < 1e-5f, what);
                QVERIFY2(maxDiff(row.images.row(kSteps - 1), rec.row(1)) < 1e-5f, what);
                QVERIFY2(row.pathRatio >= 1.0 - 1e-6, what); // a path is never shorter than its chord
            }
            QVERIFY2(row.maxStep >= row.meanStep - 1e-9, what);
            // The class figures: recounted from the classifier's probabilities of the decoded images.
            const Matrix p = classifier.probabilities(row.images);
            int off = 0, unsure = 0;
            for (int t = 0; t < kSteps; ++t) {
                Eigen::Index best = 0;
                const float conf = p.row(t).maxCoeff(&best);
                QCOMPARE(row.classes[std::size_t(t)], int(best));
                QVERIFY(std::abs(row.confidence[std::size_t(t)] - conf) < 1e-6f);
                if (t == 0 || t == kSteps - 1)
                    continue;
                unsure += conf < kUnsureBelow;
                off += conf < kUnsureBelow || (best != 7 && best != 2);
            }
            QCOMPARE(row.offFraction, double(off) / (kSteps - 2));
            QCOMPARE(row.unsureFraction, double(unsure) / (kSteps - 2));
            QVERIFY(row.greyFraction >= 0.0 && row.greyFraction <= 1.0);
        }
        // Deterministic: the same call gives the same images.
        const Interpolation again = interpolate(model, &classifier, a, b, kSteps, 7, 2);
        for (std::size_t i = 0; i < r.rows.size(); ++i)
            QVERIFY(again.rows[i].images == r.rows[i].images);
        // The JSON carries every row's figures.
        const nlohmann::json j = interpolationJson(r);
        QCOMPARE(j["spaces"].size(), std::size_t(spaces));
        QCOMPARE(j["spaces"][0]["space"].get<std::string>(), std::string("x"));
        QCOMPARE(j["spaces"][0]["classes"].size(), std::size_t(kSteps));
    }

    // GSN-2's hidden layer 2 is noisy when sampling (sigma 2): the deterministic pass must not be.
    void gsnPassesAreNoiseFree()
    {
        const Checkpoint ck = loadCheckpoint(resource("default-gsn2.safetensors"));
        QVERIFY(ck.model->config().value("hidden_noise", 0.0) > 0.0);
        const Dataset& test = test::cachedDataset("mnist-test");
        const Matrix x = test.pixels.topRows(5);
        const Matrix h2 = encodeDeterministic(*ck.model, x, 2);
        QVERIFY(maxDiff(h2, referenceEncode(*ck.model, x, 2)) < 1e-4f);
        QVERIFY(h2.cwiseAbs().maxCoeff() <= 1.0f); // tanh, no post-activation noise added
        // Without a classifier the class figures are NaN and the classes -1.
        const Interpolation r = interpolate(*ck.model, nullptr, x.row(0), x.row(1), 4);
        QVERIFY(std::isnan(r.rows[2].offFraction));
        QCOMPARE(r.rows[2].classes, std::vector<int>(4, -1));
    }

    // The graph decoding (--graph-updates U): U noise-free updates with h2 clamped, h1 hearing x and h2,
    // x fed back as the mean, from the top-down decoding; computed here from the parameters.
    void graphDecodingOfTheGsn2()
    {
        const Checkpoint ck = loadCheckpoint(resource("default-gsn2.safetensors"));
        const Model& model = *ck.model;
        const Dataset& test = test::cachedDataset("mnist-test");
        const Matrix x = test.pixels.topRows(3);
        const Matrix h2 = encodeDeterministic(model, x, 2);
        constexpr int kUpdates = 3;
        Matrix p = referenceDecode(model, h2, 2);
        const Matrix W0 = parameter(model, "W0"), W1 = parameter(model, "W1");
        for (int t = 0; t < kUpdates; ++t) {
            const Matrix h1 = withBias(p * W0 + h2 * W1.transpose(), parameter(model, "b1")).array().tanh().matrix();
            p = sigmoid(withBias(h1 * W0.transpose(), parameter(model, "b0")));
        }
        const Matrix graph = decodeDeterministic(model, h2, 2, kUpdates);
        QVERIFY(maxDiff(graph, p) < 1e-4f);
        QVERIFY(maxDiff(graph, decodeDeterministic(model, h2, 2)) > 1e-2f); // it is another decoding
        // In a strip only the rows of h2 and above change; their ends are the graph reconstructions.
        const Interpolation top = interpolate(model, nullptr, x.row(0), x.row(1), 5);
        const Interpolation r = interpolate(model, nullptr, x.row(0), x.row(1), 5, -1, -1, {}, "interpolation", kUpdates);
        QCOMPARE(r.graphUpdates, kUpdates);
        QVERIFY(r.rows[0].images == top.rows[0].images);
        QVERIFY(r.rows[1].images == top.rows[1].images);
        QVERIFY(maxDiff(r.rows[2].images.row(0), graph.row(0)) < 1e-5f);
        QVERIFY(maxDiff(r.rows[2].images.row(4), graph.row(1)) < 1e-5f);
        QCOMPARE(interpolationJson(r)["decode"].get<std::string>(), std::string("graph, 3 updates"));
        QCOMPARE(interpolationJson(top)["decode"].get<std::string>(), std::string("top-down"));
        try {
            interpolate(model, nullptr, x.row(0), x.row(1), 5, -1, -1, {}, "interpolation", kMaxGraphUpdates + 1);
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("graph updates"), e.what());
        }
    }

    void badInputIsRefused_data()
    {
        QTest::addColumn<int>("steps");
        QTest::addColumn<int>("pixels");
        QTest::addColumn<int>("layer");
        QTest::addColumn<QString>("field");
        QTest::newRow("one step") << 1 << 784 << 0 << "steps";
        QTest::newRow("too many steps") << 65 << 784 << 0 << "steps";
        QTest::newRow("image size") << 10 << 783 << 0 << "from";
        QTest::newRow("layer above the top") << 10 << 784 << 3 << "layer";
        QTest::newRow("negative layer") << 10 << 784 << -1 << "layer";
    }

    void badInputIsRefused()
    {
        QFETCH(int, steps);
        QFETCH(int, pixels);
        QFETCH(int, layer);
        QFETCH(QString, field);
        const Checkpoint ck = loadCheckpoint(resource("default-gsn2.safetensors"));
        const Matrix a = Matrix::Constant(1, pixels, 0.5f);
        try {
            interpolate(*ck.model, nullptr, a, Matrix::Zero(1, 784), steps, -1, -1, {layer});
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains(field), e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestInterpolation)
#include "tst_interpolation.moc"
