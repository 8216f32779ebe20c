#pragma once
// Checkpoints as safetensors files (https://github.com/huggingface/safetensors; container in safetensors.h):
//
//   [8 bytes]  N, the header length, unsigned 64-bit little-endian
//   [N bytes]  JSON header: { "<tensor>": {"dtype": "F32", "shape": [rows, cols], "data_offsets": [begin, end)},
//                             ..., "__metadata__": { "<key>": "<string>", ... } }
//   [rest]     the data section: raw little-endian float32 tensors, row-major, offsets relative to its start
//
// Tensors: every model parameter under its own name ("W0", "b0", ...; a bias has shape [1, n]) and, when
// the file carries a training state, its momentum buffer as "momentum.<name>". Metadata values are
// strings (the safetensors rule); structured values are JSON encoded inside the string. The keys are
// listed in docs/checkpoint-format.md, with a numpy snippet that reads a checkpoint without project code.

#include "model.h"
#include "safetensors.h"
#include "trainer.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace gsn {

// The version written into __metadata__.format_version; loading refuses any other.
inline constexpr int kCheckpointFormatVersion = 1;

// Largest JSON header accepted (the safetensors reference implementation uses the same cap).
inline constexpr std::uint64_t kMaxCheckpointHeaderBytes = kMaxSafetensorsHeaderBytes;

// Largest image side and pixel count accepted in __metadata__.width/height (as for classifier files).
inline constexpr int kMaxImageSide = 1 << 16;
// Ranges of checkpoint metadata fields (docs/checkpoint-format.md): layer sizes in sizes and config.sizes,
// dataset.examples and training.epoch_examples, training.target_epochs.
inline constexpr long long kMaxLayerUnits = 100000;
inline constexpr long long kMaxDatasetExamples = 1LL << 40;
inline constexpr long long kMaxTargetEpochs = 1000000;

// The image shape of a model's visible layer (n_visible = width * height pixels, row-major).
struct ImageShape {
    int width = 0;                  // 0 x 0: unknown (not stored and n_visible is not a perfect square)
    int height = 0;
    bool stored = false;            // true: given by the file (or the dataset); false: assumed square
    bool known() const { return width > 0 && height > 0; }
};

// The shape older checkpoints (no width/height stored) are assumed to have: side x side when
// `visible` = side^2, else unknown.
ImageShape assumedImageShape(long long visible);

// "28x28", "28x28 (not stored in the file; assumed square)" or
// "unknown (not stored in the file, and 300 visible units are not a square image)".
std::string imageShapeText(const ImageShape& shape, long long visible);

// What a checkpoint holds once loaded and validated.
struct Checkpoint {
    std::unique_ptr<Model> model;   // rebuilt from the stored config, parameters overwritten by the file's
    bool hasState = false;          // false for a model-only file (no momentum tensors, no training fields)
    TrainState state;               // valid when hasState; state.velocity in model->parameters() order
    nlohmann::json metadata;        // __metadata__ with each JSON-encoded string value decoded
    ImageShape image;               // __metadata__.width/height (stored), else assumedImageShape(n_visible)
};

// Extra metadata the caller knows and the model does not: the dataset and how training was invoked.
struct CheckpointInfo {
    std::string datasetName;        // e.g. "mnist-train"
    std::string datasetHash;        // Dataset::hash (16 hex digits)
    std::string datasetSpec;        // what the user passed to --data, e.g. "mnist" (resume reloads it)
    std::string trainSet;           // "train" or "trainfull" (which MNIST training rows were used)
    long long examples = 0;         // number of training examples used
    int targetEpochs = 0;           // epochs the run was asked for (0 when unknown)
    nlohmann::json trained;         // model-only exports: how the weights were trained (epochs, loss,
                                    // hyper-parameters, source file); written as __metadata__.trained
    int imageWidth = 0;             // the data's image shape, written as __metadata__.width/height;
    int imageHeight = 0;            // 0 = unknown, not written (width * height must equal n_visible)
};

// The image shape of a model with `visible` units described by `info`: its width/height when set,
// else assumedImageShape(visible).
ImageShape imageShapeFor(const CheckpointInfo& info, long long visible);

// Builds a model from its stored config (createModel by default; tests pass a factory for a test model).
using ModelFactory = std::function<std::unique_ptr<Model>(const nlohmann::json& config, std::uint64_t seed)>;

// Writes `model` (and, when `state` is not null, the training state and momentum buffers) to `path`
// atomically: a temp file in the same folder, flushed and fsync'ed, then renamed over `path`.
// Refuses (gsn::Error, nothing written) a parameter or momentum value that is not finite, so a
// diverged run can never overwrite a good checkpoint, and an image shape (info.imageWidth/imageHeight)
// that is set but does not multiply to the model's n_visible.
void saveCheckpoint(const std::string& path, const Model& model, const TrainState* state, const CheckpointInfo& info);

// Reads and validates a checkpoint: file size, header length, JSON, metadata (width and height, when
// present, are integers in [1, kMaxImageSide] with width * height = n_visible), dtype F32, shapes against
// the model kind's parameters, offsets inside the data section (contiguous, non-overlapping, covering
// it), finite values. Every failure is a gsn::Error "<path>: <field>: expected ...".
Checkpoint loadCheckpoint(const std::string& path, const ModelFactory& factory = {});

// Human-readable summary for `gsn info FILE.safetensors`: kind, sizes, image shape, epoch, dataset,
// hyper-parameters.
std::string checkpointInfo(const std::string& path);

} // namespace gsn
