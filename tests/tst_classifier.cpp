// The digit classifier: gradients against finite differences, training on real MNIST reaching a known
// accuracy, deterministic training, exact save/load, the embedded classifier's accuracy on the MNIST
// test set, and broken files refused with a message naming the field.

#include "classifier.h"
#include "datasets.h"
#include "error.h"
#include "random.h"
#include "safetensors.h"
#include "testsupport.h"

#include <QProcess>
#include <QTest>

#include <cmath>

using namespace gsn;

namespace {

std::string scratch(const std::string& file)
{
    return (test::scratchDir("classifier") + "/").toStdString() + file;
}

// Error message of loading `path`, or empty when it loads.
QString loadError(const std::string& path)
{
    try {
        loadClassifier(path);
    } catch (const Error& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

} // namespace

class TestClassifier : public QObject {
    Q_OBJECT
private slots:
    // The analytic gradient of the mean cross-entropy against central differences (in double the
    // float network's differences are noisy, so relative to the largest entry of each gradient).
    void gradientMatchesFiniteDifferences()
    {
        Classifier c(4, 3, 7, 5, 11);
        Philox rng(3, 0, 0);
        Matrix x(9, 12);
        for (Eigen::Index i = 0; i < x.size(); ++i)
            x.data()[i] = rng.uniform();
        std::vector<int> labels(9);
        for (int r = 0; r < 9; ++r)
            labels[std::size_t(r)] = int(rng.next32() % 5);
        // Biases away from zero so ReLU kinks are not crossed by the differences.
        for (Matrix* p : c.parameters())
            for (Eigen::Index i = 0; i < p->size(); ++i)
                p->data()[i] += 0.3f * (rng.uniform() - 0.5f);
        std::array<Matrix, 4> grads;
        c.loss(x, labels, &grads);
        const auto params = c.parameters();
        for (std::size_t k = 0; k < 4; ++k) {
            Matrix& p = *params[k];
            const double scale = std::max(1e-3, double(grads[k].cwiseAbs().maxCoeff()));
            double worst = 0.0;
            for (Eigen::Index i = 0; i < p.size(); ++i) {
                const float saved = p.data()[i];
                const float eps = 1e-3f;
                p.data()[i] = saved + eps;
                const double up = c.loss(x, labels, nullptr);
                p.data()[i] = saved - eps;
                const double down = c.loss(x, labels, nullptr);
                p.data()[i] = saved;
                worst = std::max(worst, std::abs((up - down) / (2.0 * eps) - grads[k].data()[i]) / scale);
            }
            QVERIFY2(worst < 2e-2, qPrintable(QStringLiteral("parameter %1: relative error %2").arg(k).arg(worst)));
        }
    }

    // 10000 MNIST training digits, 3 epochs: a working classifier gets over 90 % of 2000 test digits (91.7 %)
    // (chance is 10 %); the same seed gives bit-identical parameters.
    void trainsOnMnist()
    {
        const Dataset train = test::cachedDataset("mnist-train").slice(0, 10000, "-10k");
        const Dataset test = test::cachedDataset("mnist-test").slice(0, 2000, "-2k");
        ClassifierTraining options;
        options.hidden = 64;
        options.epochs = 3;
        Classifier a(28, 28, options.hidden, 10, options.seed);
        std::vector<double> losses;
        trainClassifier(a, train, options, [&](int, double loss) { losses.push_back(loss); });
        QCOMPARE(int(losses.size()), 3);
        QVERIFY(losses[2] < losses[0]);
        const double accuracy = classifierAccuracy(a, test);
        QVERIFY2(accuracy > 0.9, qPrintable(QString::number(accuracy)));
        Classifier b(28, 28, options.hidden, 10, options.seed);
        trainClassifier(b, train, options);
        for (std::size_t k = 0; k < 4; ++k)
            QVERIFY(*a.parameters()[k] == *b.parameters()[k]);
        // Probabilities are distributions; predict is their argmax.
        const Matrix p = a.probabilities(test.pixels.topRows(20));
        QVERIFY((p.rowwise().sum().array() - 1.0f).abs().maxCoeff() < 1e-5f);
        const std::vector<int> predicted = a.predict(test.pixels.topRows(20));
        for (int r = 0; r < 20; ++r) {
            int best = 0;
            p.row(r).maxCoeff(&best);
            QCOMPARE(predicted[std::size_t(r)], best);
        }
        // Save and load: the same parameters and info, bit for bit.
        a.info = {{"test_accuracy", accuracy}, {"dataset", {{"name", train.name}}}};
        saveClassifier(scratch("small.safetensors"), a);
        const Classifier c = loadClassifier(scratch("small.safetensors"));
        QCOMPARE(c.hidden(), 64);
        QCOMPARE(c.classes(), 10);
        for (std::size_t k = 0; k < 4; ++k)
            QVERIFY(*a.parameters()[k] == *c.parameters()[k]);
        QCOMPARE(c.info.value("test_accuracy", 0.0), accuracy);
        QCOMPARE(c.info["dataset"].value("name", std::string()), train.name);
    }

    // The classifier the studio embeds (resources/mnist-classifier.safetensors, docs/classifier.md).
    void embeddedClassifierAccuracy()
    {
        const Classifier c = loadClassifier(std::string(GSN_SOURCE_DIR) + "/resources/mnist-classifier.safetensors");
        QCOMPARE(c.width(), 28);
        QCOMPARE(c.classes(), 10);
        const double accuracy = classifierAccuracy(c, test::cachedDataset("mnist-test"));
        QVERIFY2(accuracy >= 0.98, qPrintable(QString::number(accuracy)));
        QCOMPARE(c.info.value("test_accuracy", 0.0), accuracy); // what the file says is what it does
    }

    // Issue 12, found item 6: `gsn info` describes the project's own classifier file (it was refused as a
    // checkpoint without __metadata__.kind), and still describes checkpoints.
    void infoDescribesClassifierFiles()
    {
        const std::string path = std::string(GSN_SOURCE_DIR) + "/resources/mnist-classifier.safetensors";
        QVERIFY(isClassifierFile(path));
        const std::string info = classifierInfo(path);
        QVERIFY2(info.find("kind: classifier (safetensors, format 1)\n") != std::string::npos, info.c_str());
        QVERIFY2(info.find("image shape: 28x28\n") != std::string::npos, info.c_str());
        QVERIFY2(info.find("layers: 784-") != std::string::npos, info.c_str());

        // The command itself, when the test runs from a build tree (GSN_BINARY_DIR set by CTest).
        const QByteArray binaryDir = qgetenv("GSN_BINARY_DIR");
        if (binaryDir.isEmpty())
            return;
        QProcess gsn;
        gsn.start(QString::fromLocal8Bit(binaryDir) + "/app/gsn", {"info", QString::fromStdString(path)});
        QVERIFY(gsn.waitForFinished(60000));
        const QString out = QString::fromUtf8(gsn.readAllStandardOutput());
        QVERIFY2(gsn.exitStatus() == QProcess::NormalExit && gsn.exitCode() == 0,
                 qPrintable(QString::fromUtf8(gsn.readAllStandardError())));
        QVERIFY2(out.contains("kind: classifier") && out.contains("layers: 784-"),
                 qPrintable(out));
    }

    void refusesBadInput()
    {
        QVERIFY_THROWS_EXCEPTION(Error, Classifier(28, 28, 0, 10, 1));
        QVERIFY_THROWS_EXCEPTION(Error, Classifier(28, 28, 10, 1, 1));
        Classifier c(28, 28, 8, 10, 1);
        const Dataset& faces = test::cachedDataset("faces");
        QVERIFY_THROWS_EXCEPTION(Error, trainClassifier(c, faces, {})); // unlabelled, 25 x 25
        QVERIFY_THROWS_EXCEPTION(Error, c.probabilities(faces.pixels.topRows(2)));
    }

    void brokenFiles_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("expected");
        QTest::newRow("missing") << "missing" << "open";
        QTest::newRow("truncated") << "truncated" << "header";
        QTest::newRow("a model checkpoint") << "format" << "__metadata__.format: expected \"gsn-studio classifier\"";
        QTest::newRow("future version") << "version" << "__metadata__.format_version";
        QTest::newRow("huge width") << "width" << "__metadata__.width";
        QTest::newRow("b0 shape") << "b0" << "b0.shape";
        QTest::newRow("W0 for another image size") << "w0" << "W0.shape: expected [784, 8]";
        // 32 KB on disk (b0 of 8200 floats) that would build a 2 GB W0 before reading it (seen while writing fuzz_classifier;
        // tests/fuzz/regressions/classifier/ holds the file, where libFuzzer's 2 GB malloc limit catches the allocation).
        QTest::newRow("huge W0 from a small file") << "huge" << "W0.shape: expected [65536, 8200] for a classifier of 256x256";
        QTest::newRow("extra tensor") << "extra" << "extra: expected only the classifier's tensors";
        QTest::newRow("NaN weight") << "nan" << "W1: expected finite values";
    }

    void brokenFiles()
    {
        QFETCH(QString, kind);
        QFETCH(QString, expected);
        const std::string path = scratch(kind.toStdString() + ".safetensors");
        Classifier c(28, 28, 8, 10, 1);
        auto params = c.parameters();
        nlohmann::json meta = {{"format", "gsn-studio classifier"}, {"format_version", "1"}, {"width", "28"},
                               {"height", "28"}, {"classes", "10"}};
        std::vector<NamedTensor> tensors = {{"W0", params[0]}, {"b0", params[1]}, {"W1", params[2]}, {"b1", params[3]}};
        Matrix other = Matrix::Zero(2, 8), wrongW0 = Matrix::Zero(100, 8), extra = Matrix::Zero(1, 1);
        if (kind == "missing") {
            std::remove(path.c_str());
        } else if (kind == "truncated") {
            saveClassifier(path, c);
            test::writeBytes(path, test::readBytes(path).substr(0, 40));
        } else {
            if (kind == "format")
                meta["format"] = "gsn-studio checkpoint";
            if (kind == "version")
                meta["format_version"] = "2";
            if (kind == "width")
                meta["width"] = "99999999999";
            if (kind == "b0")
                tensors[1].value = &other;
            if (kind == "w0")
                tensors[0].value = &wrongW0;
            if (kind == "extra")
                tensors.push_back({"extra", &extra});
            Matrix hugeB0 = Matrix::Zero(1, 8200), smallW = Matrix::Zero(1, 2);
            if (kind == "huge") {
                meta["width"] = meta["height"] = "256";
                meta["classes"] = "2";
                tensors = {{"W0", &extra}, {"b0", &hugeB0}, {"W1", &smallW}, {"b1", &smallW}};
            }
            writeSafetensors(path, tensors, meta);
            if (kind == "nan") {
                // Overwrite W1's first float with a NaN in the written file.
                std::string bytes = test::readBytes(path);
                std::uint64_t headerLen = 0;
                for (int i = 0; i < 8; ++i)
                    headerLen |= std::uint64_t(std::uint8_t(bytes[std::size_t(i)])) << (8 * i);
                const std::size_t w1 = 8 + headerLen + std::size_t(params[0]->size() + params[1]->size()) * 4;
                const float nan = std::nanf("");
                bytes.replace(w1, 4, reinterpret_cast<const char*>(&nan), 4);
                test::writeBytes(path, bytes);
            }
        }
        const QString error = loadError(path);
        QVERIFY2(error.contains(expected) && error.startsWith(QString::fromStdString(path)), qPrintable(error));
    }
};

QTEST_MAIN(TestClassifier)
#include "tst_classifier.moc"
