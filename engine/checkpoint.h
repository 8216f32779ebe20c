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

// What a checkpoint holds once loaded and validated.
struct Checkpoint {
    std::unique_ptr<Model> model;   // rebuilt from the stored config, parameters overwritten by the file's
    bool hasState = false;          // false for a model-only file (no momentum tensors, no training fields)
    TrainState state;               // valid when hasState; state.velocity in model->parameters() order
    nlohmann::json metadata;        // __metadata__ with each JSON-encoded string value decoded
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
};

// Builds a model from its stored config (createModel by default; tests pass a factory for a test model).
using ModelFactory = std::function<std::unique_ptr<Model>(const nlohmann::json& config, std::uint64_t seed)>;

// Writes `model` (and, when `state` is not null, the training state and momentum buffers) to `path`
// atomically: a temp file in the same folder, flushed and fsync'ed, then renamed over `path`.
// Refuses (gsn::Error, nothing written) a parameter or momentum value that is not finite, so a
// diverged run can never overwrite a good checkpoint.
void saveCheckpoint(const std::string& path, const Model& model, const TrainState* state, const CheckpointInfo& info);

// Reads and validates a checkpoint: file size, header length, JSON, metadata, dtype F32, shapes against
// the model kind's parameters, offsets inside the data section (contiguous, non-overlapping, covering
// it), finite values. Every failure is a gsn::Error "<path>: <field>: expected ...".
Checkpoint loadCheckpoint(const std::string& path, const ModelFactory& factory = {});

// Human-readable summary for `gsn info FILE.safetensors`: kind, sizes, epoch, dataset, hyper-parameters.
std::string checkpointInfo(const std::string& path);

} // namespace gsn
