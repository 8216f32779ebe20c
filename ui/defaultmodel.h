#pragma once
// The embedded default model: a GSN-2 trained on MNIST by `gsn train`, compiled into the binary as the
// Qt resource ":/resources/default-gsn2.safetensors" (a big resource, see ui/CMakeLists.txt), loaded
// when gsn-studio starts without a file.

#include "checkpoint.h"

#include <QString>

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

} // namespace gsn
