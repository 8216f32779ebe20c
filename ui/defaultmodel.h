#pragma once
// The embedded default model: a GSN-2 trained on MNIST by `gsn train`, compiled into the binary as the
// Qt resource ":/resources/default-gsn2.safetensors" (a big resource, see ui/CMakeLists.txt), loaded
// when gsn-studio starts without a file.

#include "checkpoint.h"
#include "classifier.h"

#include <QString>

#include <memory>

namespace gsn {

// Resource path of the embedded default checkpoint.
QString defaultModelResource();

// True when the binary carries the default checkpoint.
bool hasDefaultModel();

// Loads and validates a checkpoint stored in a Qt resource (or any path QFile reads): the bytes go to a
// temporary file that loadCheckpoint reads. Throws gsn::Error naming the resource.
Checkpoint loadCheckpointResource(const QString& resource);

// loadCheckpointResource(defaultModelResource()).
Checkpoint loadDefaultModel();

// The embedded MNIST digit classifier (trained by `gsn classify`, docs/classifier.md), which names a
// chain's class when hovering over MNIST chains.
QString defaultClassifierResource();
// Loads and validates it; null when the binary carries none. Throws gsn::Error for a damaged one.
std::shared_ptr<const Classifier> loadDefaultClassifier();
// The classifier that fits `data`: the embedded one for the MNIST datasets (mnist-*; 28 x 28), else null
// (Fashion-MNIST has the same size but other classes). Loaded once; a damaged one counts as none.
std::shared_ptr<const Classifier> classifierFor(const Dataset& data);

} // namespace gsn
