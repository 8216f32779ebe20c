#pragma once
// A classifier that names what a chain shows: one ReLU hidden layer and a softmax output, trained by
// minibatch SGD with momentum on the mean cross-entropy of a labelled dataset (the embedded MNIST
// classifier gets ~98 % of the test digits right; docs/classifier.md). The studio shows its class and
// probability when the mouse is over a chain; `gsn classify` trains and scores one.
//
// File: safetensors (safetensors.h) with W0 [n, h], b0 [1, h], W1 [h, k], b1 [1, k] and __metadata__
// format "gsn-studio classifier", format_version "1", width, height, classes, dataset (JSON: name,
// hash), test_accuracy, training (JSON: the options and the final loss).

#include "dataset.h"
#include "tensor.h"

#include <nlohmann/json.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace gsn {

inline constexpr int kClassifierFormatVersion = 1;

struct ClassifierTraining {
    int hidden = 256;
    int epochs = 10;
    int batchSize = 100;
    double learningRate = 0.1;
    double momentum = 0.9;
    std::uint64_t seed = 1;
};

class Classifier {
public:
    // Glorot-uniform weights from Philox(seed), zero biases. Sizes must be positive.
    Classifier(int width, int height, int hidden, int classes, std::uint64_t seed);

    int width() const { return m_width; }
    int height() const { return m_height; }
    int inputs() const { return m_width * m_height; }
    int hidden() const { return static_cast<int>(m_w0.cols()); }
    int classes() const { return static_cast<int>(m_w1.cols()); }

    // Class probabilities of each image; x shape = [N, inputs], result shape = [N, classes].
    Matrix probabilities(const Matrix& x) const;
    // The most probable class of each image.
    std::vector<int> predict(const Matrix& x) const;
    // Mean cross-entropy of the images' labels and, when `gradients` is not null, its gradient with
    // respect to W0, b0, W1, b1 (in that order).
    double loss(const Matrix& x, const std::vector<int>& labels, std::array<Matrix, 4>* gradients) const;

    // W0, b0, W1, b1.
    std::array<Matrix*, 4> parameters() { return {&m_w0, &m_b0, &m_w1, &m_b1}; }
    std::array<const Matrix*, 4> parameters() const { return {&m_w0, &m_b0, &m_w1, &m_b1}; }

    // What it was trained on and how well it does (stored with it): dataset name and hash, test accuracy, training.
    nlohmann::json info = nlohmann::json::object();

private:
    int m_width;
    int m_height;
    Matrix m_w0, m_b0, m_w1, m_b1;
};

// Trains on `train` (labels required) for training.epochs epochs, each in a Philox-shuffled order;
// `progress(epoch, meanLoss)` after each. Stops after the current batch when *cancel turns true.
// Returns the last epoch's mean loss. Throws gsn::Error for an unlabelled dataset or another image size.
double trainClassifier(Classifier& classifier, const Dataset& train, const ClassifierTraining& training,
                       const std::function<void(int, double)>& progress = {}, const std::atomic<bool>* cancel = nullptr);

// Fraction of the dataset's images whose label is the predicted class.
double classifierAccuracy(const Classifier& classifier, const Dataset& data);

// Atomic write (nothing is written for non-finite parameters).
void saveClassifier(const std::string& path, const Classifier& classifier);
// Reads and validates a classifier file; every failure is a gsn::Error "<path>: <field>: expected ...".
Classifier loadClassifier(const std::string& path);

// Whether the safetensors file at `path` says it is a classifier (__metadata__.format is "gsn-studio
// classifier"); reads only the header. gsn::Error when it is not a safetensors file with __metadata__.
bool isClassifierFile(const std::string& path);

// Human-readable summary for `gsn info FILE.safetensors` of a classifier file: image size, layers,
// parameters, and what it was trained on (the stored info, each value cut to a sane length).
std::string classifierInfo(const std::string& path);

} // namespace gsn
