#include "classifier.h"

#include "error.h"
#include "jsonlimits.h"
#include "modelmath.h"
#include "parallel.h"
#include "random.h"
#include "randomstreams.h"
#include "safetensors.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

namespace gsn {

using nlohmann::json;

namespace {

constexpr const char* kFormat = "gsn-studio classifier";
constexpr int kMaxLayerSize = 1 << 16;

void glorot(Matrix& w, Philox& rng)
{
    const float a = std::sqrt(6.0f / float(w.rows() + w.cols()));
    for (Eigen::Index i = 0; i < w.size(); ++i)
        w.data()[i] = (2.0f * rng.uniform() - 1.0f) * a;
}

// Row-wise softmax of logits, in place (shifted by each row's maximum).
void softmaxRows(Matrix& logits)
{
    for (Eigen::Index r = 0; r < logits.rows(); ++r) {
        auto row = logits.row(r);
        row.array() -= row.maxCoeff();
        row = row.array().exp().matrix();
        row /= row.sum();
    }
}

void checkImages(const Classifier& c, const Matrix& x)
{
    if (x.cols() != c.inputs())
        fail("classifier", "images", "expected " + std::to_string(c.inputs()) + " pixels per image, got " +
                                         std::to_string(x.cols()));
}

// Hidden activations and class probabilities of the images (shape = [N, inputs]).
void forward(const Matrix& x, const Matrix& w0, const Matrix& b0, const Matrix& w1, const Matrix& b1, Matrix& h,
             Matrix& p)
{
    h = ((x * w0).rowwise() + b0.row(0)).cwiseMax(0.0f);
    p = (h * w1).rowwise() + b1.row(0);
    softmaxRows(p);
}

// A dataset the classifier can learn from or be scored on: labelled, the classifier's image size.
void checkLabelled(const Classifier& c, const Dataset& data, const char* purpose)
{
    if (data.labels.size() != std::size_t(data.count()) || data.count() == 0)
        fail(data.name, "labels", std::string("expected a labelled dataset to ") + purpose);
    if (data.width != c.width() || data.height != c.height())
        fail(data.name, "image size",
             "expected " + std::to_string(c.width()) + "x" + std::to_string(c.height()) + " like the classifier, got " +
                 std::to_string(data.width) + "x" + std::to_string(data.height));
}

} // namespace

Classifier::Classifier(int width, int height, int hidden, int classes, std::uint64_t seed)
    : m_width(width), m_height(height)
{
    if (width <= 0 || height <= 0 || hidden <= 0 || classes < 2 || hidden > kMaxLayerSize || classes > kMaxLayerSize)
        fail("classifier", "sizes",
             "expected a positive image size, hidden units and at least 2 classes (at most " +
                 std::to_string(kMaxLayerSize) + " each)");
    Philox rng(seed, streams::kClassifierInitStream, 0);
    m_w0.resize(inputs(), hidden);
    m_w1.resize(hidden, classes);
    glorot(m_w0, rng);
    glorot(m_w1, rng);
    m_b0 = Matrix::Zero(1, hidden);
    m_b1 = Matrix::Zero(1, classes);
}

Matrix Classifier::probabilities(const Matrix& x) const
{
    checkImages(*this, x);
    // In fixed blocks of rows on every core: the class mixing views label 100 chains' frames after
    // every step, and one single-threaded forward pass left a core idle for 6 % of each step
    // (docs/benchmarks.md). Each block's rows get the arithmetic of a forward pass on that block alone.
    Matrix p(x.rows(), classes());
    parallelFor(static_cast<std::size_t>(x.rows()), modelmath::kRowBlock, [&](std::size_t begin, std::size_t end) {
        const auto r0 = static_cast<Eigen::Index>(begin), n = static_cast<Eigen::Index>(end - begin);
        Matrix h, q;
        forward(x.middleRows(r0, n), m_w0, m_b0, m_w1, m_b1, h, q);
        p.middleRows(r0, n) = q;
    });
    return p;
}

std::vector<int> Classifier::predict(const Matrix& x) const
{
    const Matrix p = probabilities(x);
    std::vector<int> out(std::size_t(p.rows()));
    for (Eigen::Index r = 0; r < p.rows(); ++r)
        p.row(r).maxCoeff(&out[std::size_t(r)]);
    return out;
}

double Classifier::loss(const Matrix& x, const std::vector<int>& labels, std::array<Matrix, 4>* gradients) const
{
    checkImages(*this, x);
    if (labels.size() != std::size_t(x.rows()) || x.rows() == 0)
        fail("classifier", "labels", "expected one label per image");
    Matrix h, p;
    forward(x, m_w0, m_b0, m_w1, m_b1, h, p);
    const double n = double(x.rows());
    double sum = 0.0;
    for (Eigen::Index r = 0; r < p.rows(); ++r) {
        const int label = labels[std::size_t(r)];
        if (label < 0 || label >= classes())
            fail("classifier", "labels", "expected labels in [0, " + std::to_string(classes()) + ")");
        sum -= std::log(std::max(double(p(r, label)), 1e-30));
    }
    if (gradients) {
        Matrix& d = p; // dLoss/dlogits = (p - onehot) / N
        for (Eigen::Index r = 0; r < d.rows(); ++r)
            d(r, labels[std::size_t(r)]) -= 1.0f;
        d /= float(n);
        auto& [gw0, gb0, gw1, gb1] = *gradients;
        gw1.noalias() = h.transpose() * d;
        gb1 = d.colwise().sum();
        Matrix dh = d * m_w1.transpose();
        dh = dh.cwiseProduct((h.array() > 0.0f).cast<float>().matrix());
        gw0.noalias() = x.transpose() * dh;
        gb0 = dh.colwise().sum();
    }
    return sum / n;
}

double trainClassifier(Classifier& classifier, const Dataset& train, const ClassifierTraining& training,
                       const std::function<void(int, double)>& progress, const std::atomic<bool>* cancel)
{
    checkLabelled(classifier, train, "train a classifier on");
    if (training.epochs < 1 || training.batchSize < 1 || !(training.learningRate > 0) || training.momentum < 0 ||
        training.momentum >= 1)
        fail("classifier training", "options", "expected epochs >= 1, batch >= 1, learning rate > 0, momentum in [0, 1)");
    // The same BLAS threading whether or not chains ran before in this process.
    useEngineThreading();
    std::array<Matrix*, 4> params = classifier.parameters();
    std::array<Matrix, 4> velocity, grads;
    for (std::size_t i = 0; i < 4; ++i)
        velocity[i] = Matrix::Zero(params[i]->rows(), params[i]->cols());
    const int n = train.count();
    std::vector<int> order(static_cast<std::size_t>(n));
    double meanLoss = 0.0;
    Matrix x;
    std::vector<int> labels;
    for (int epoch = 0; epoch < training.epochs; ++epoch) {
        std::iota(order.begin(), order.end(), 0);
        Philox shuffle(training.seed, streams::kClassifierShuffleStream, std::uint64_t(epoch));
        for (int i = n - 1; i > 0; --i)
            std::swap(order[std::size_t(i)], order[std::size_t(shuffle.next32() % std::uint32_t(i + 1))]);
        double lossSum = 0.0;
        int batches = 0;
        for (int begin = 0; begin < n; begin += training.batchSize) {
            if (cancel && cancel->load())
                return batches ? lossSum / batches : meanLoss;
            const int rows = std::min(training.batchSize, n - begin);
            x.resize(rows, train.dimension());
            labels.resize(std::size_t(rows));
            for (int r = 0; r < rows; ++r) {
                const int idx = order[std::size_t(begin + r)];
                x.row(r) = train.pixels.row(idx);
                labels[std::size_t(r)] = train.labels[std::size_t(idx)];
            }
            lossSum += classifier.loss(x, labels, &grads);
            ++batches;
            for (std::size_t i = 0; i < 4; ++i) {
                velocity[i] = float(training.momentum) * velocity[i] - float(training.learningRate) * grads[i];
                *params[i] += velocity[i];
            }
        }
        meanLoss = lossSum / batches;
        if (!std::isfinite(meanLoss))
            fail("classifier training", "loss", "expected a finite loss; lower the learning rate");
        if (progress)
            progress(epoch + 1, meanLoss);
    }
    return meanLoss;
}

double classifierAccuracy(const Classifier& classifier, const Dataset& data)
{
    checkLabelled(classifier, data, "score the classifier on");
    long long right = 0;
    constexpr int kBlock = 1000;
    for (int begin = 0; begin < data.count(); begin += kBlock) {
        const int rows = std::min(kBlock, data.count() - begin);
        const std::vector<int> predicted = classifier.predict(data.pixels.middleRows(begin, rows));
        for (int r = 0; r < rows; ++r)
            right += predicted[std::size_t(r)] == data.labels[std::size_t(begin + r)];
    }
    return double(right) / data.count();
}

void saveClassifier(const std::string& path, const Classifier& classifier)
{
    const auto params = classifier.parameters();
    const std::vector<NamedTensor> tensors = {{"W0", params[0]}, {"b0", params[1]}, {"W1", params[2]}, {"b1", params[3]}};
    json meta = json::object();
    meta["format"] = kFormat;
    meta["format_version"] = std::to_string(kClassifierFormatVersion);
    meta["width"] = std::to_string(classifier.width());
    meta["height"] = std::to_string(classifier.height());
    meta["classes"] = std::to_string(classifier.classes());
    for (auto it = classifier.info.begin(); it != classifier.info.end(); ++it)
        meta[it.key()] = it.value().is_string() ? it.value().get<std::string>() : it.value().dump();
    writeSafetensors(path, tensors, meta);
}

Classifier loadClassifier(const std::string& path)
{
    SafetensorsFile file(path, "a gsn-studio classifier");
    const json& meta = file.metadata();
    auto format = meta.find("format");
    if (format == meta.end() || format->get<std::string>() != kFormat)
        fail(path, "__metadata__.format", std::string("expected \"") + kFormat + "\"");
    const int version = file.metaInteger<int>("format_version", 0);
    if (version != kClassifierFormatVersion)
        fail(path, "__metadata__.format_version",
             "expected \"" + std::to_string(kClassifierFormatVersion) + "\", got \"" + std::to_string(version) + "\"");
    const int width = file.metaInteger<int>("width", 1, kMaxLayerSize);
    const int height = file.metaInteger<int>("height", 1, kMaxLayerSize);
    const int classes = file.metaInteger<int>("classes", 2, kMaxLayerSize);
    if (std::int64_t(width) * height > kMaxLayerSize)
        fail(path, "__metadata__.width", "expected width x height <= " + std::to_string(kMaxLayerSize));
    file.parseTensors();
    for (const std::string& name : file.tensorNames())
        if (name != "W0" && name != "b0" && name != "W1" && name != "b1")
            fail(path, name, "expected only the classifier's tensors (W0, b0, W1, b1)");
    // The hidden size is b0's length (its shape was checked against the file by parseTensors).
    const std::vector<std::uint64_t> b0 = file.shape("b0");
    if (b0.size() != 2 || b0[0] != 1 || b0[1] < 1 || b0[1] > std::uint64_t(kMaxLayerSize))
        fail(path, "b0.shape", "expected [1, hidden] with 1 <= hidden <= " + std::to_string(kMaxLayerSize) + ", got " +
                                   describeJson(json(b0)));
    const int hidden = int(b0[1]);
    const std::string owner = "a classifier of " + std::to_string(width) + "x" + std::to_string(height) + " images, " +
                              std::to_string(hidden) + " hidden units and " + std::to_string(classes) + " classes";
    // Every stored shape against the metadata before the classifier is built: its constructor allocates and
    // initialises W0 (width x height x hidden floats), which a 32 KB file could otherwise make 2 GB.
    const std::pair<const char*, std::vector<std::uint64_t>> stored[] = {
        {"W0", {std::uint64_t(width) * std::uint64_t(height), std::uint64_t(hidden)}},
        {"W1", {std::uint64_t(hidden), std::uint64_t(classes)}},
        {"b1", {1, std::uint64_t(classes)}}};
    for (const auto& [name, shape] : stored) {
        const std::string expected = shapeText(static_cast<long long>(shape[0]), static_cast<long long>(shape[1]));
        if (!file.contains(name))
            fail(path, name, "expected the tensor to be present (shape " + expected + ")");
        if (file.shape(name) != shape)
            fail(path, std::string(name) + ".shape",
                 "expected " + expected + " for " + owner + ", got " + describeJson(json(file.shape(name))));
    }
    Classifier c(width, height, hidden, classes, 0);
    const auto params = c.parameters();
    file.read("W0", *params[0], width * height, hidden, owner);
    file.read("b0", *params[1], 1, hidden, owner);
    file.read("W1", *params[2], hidden, classes, owner);
    file.read("b1", *params[3], 1, classes, owner);
    c.info = file.decodedMetadata();
    for (const char* key : {"format", "format_version", "width", "height", "classes"})
        c.info.erase(key); // the file's own fields, not what it was trained on
    return c;
}

bool isClassifierFile(const std::string& path)
{
    const SafetensorsFile file(path, "a gsn-studio checkpoint or classifier");
    const auto format = file.metadata().find("format");
    return format != file.metadata().end() && format->get<std::string>() == kFormat;
}

std::string classifierInfo(const std::string& path)
{
    const Classifier c = loadClassifier(path);
    std::ostringstream out;
    out << "file: " << path << "\n";
    out << "kind: classifier (safetensors, format " << kClassifierFormatVersion << ")\n";
    out << "image shape: " << c.width() << "x" << c.height() << "\n";
    out << "layers: " << c.inputs() << "-" << c.hidden() << "-" << c.classes() << " (inputs, ReLU hidden, softmax classes)\n";
    long long floats = 0;
    for (const Matrix* p : c.parameters())
        floats += p->size();
    out << "parameters: " << floats << " floats (W0 " << shapeText(c.inputs(), c.hidden()) << ", b0 "
        << shapeText(1, c.hidden()) << ", W1 " << shapeText(c.hidden(), c.classes()) << ", b1 " << shapeText(1, c.classes())
        << ")\n";
    // The stored info as the file has it: strings without quotes, anything else as (cut) JSON.
    for (auto it = c.info.begin(); it != c.info.end(); ++it)
        out << fieldName(it.key()) << ": "
            << (it.value().is_string() ? quoteValue(it.value().get<std::string>(), 200) : describeJson(it.value(), 200))
            << "\n";
    return out.str();
}

} // namespace gsn
