#pragma once
// The registry of kinds: one table row per kind of model, looked up by name. Everything that names
// kinds takes them from here: createModel (model.h), the Model dock's kind list and form, `gsn help`,
// `gsn train --model` and its validation, the benchmark, and the tests (tst_registry builds every row).
//
// Adding a model kind = one class plus one row in modelKinds() (modelregistry.cpp).
//
// RBM training variants are not kinds: CD-k and PCD are the "cd_k" and "persistent" fields of an
// "rbm" config (`gsn train --model rbm --cd-k K --pcd`). Parallel tempering over an RBM is a way of
// sampling, not a model: it is a row of the sampler table (samplerregistry.h).

#include "model.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gsn {

// What the values of one chain state are: grey images (n_visible = width x height pixels in [0, 1])
// or points in R^d (continuous coordinates, e.g. the 2D toys).
enum class DataKind { Images, Points };

// "images" or "points".
const char* dataKindName(DataKind kind);

// What a model kind can do, so that callers decide by capability rather than by name.
struct ModelCapabilities {
    bool trainable = true;        // has parameters and a loss/gradient (the Trainer can fit it)
    bool hasEnergy = false;       // defines an energy E(v, h) (the RBM), so tempering can run over it
    int hiddenLayers = 0;         // hidden layers of every model of the kind: layerSizes().size() - 1
    bool supportsClamping = true; // chains may hold some visible units fixed (inpainting, --clamp)
    DataKind data = DataKind::Images;
};

// One row of the model table.
struct ModelKind {
    std::string name;        // config["kind"] and Model::kind(), e.g. "gsn2"
    std::string label;       // as the Model dock shows it, e.g. "GSN-2"
    std::string description; // one line, for `gsn help`
    ModelCapabilities capabilities;
    // The default config without "kind" and "sizes": the fields a new model of this kind gets when the
    // user does not set them (`gsn train`, the Model dock). Which fields are present also says which
    // options apply to the kind (e.g. "corruption" -> --noise, "cd_k" -> --cd-k).
    nlohmann::json defaults;
    std::vector<int> defaultHidden; // default hidden layer sizes, one per hidden layer
    double defaultLearningRate = 0.25; // what `gsn train` uses without --lr
    // Builds a model of this kind from a config whose "kind" is `name`; throws gsn::Error naming the bad field.
    std::unique_ptr<Model> (*create)(const nlohmann::json& config, std::uint64_t seed) = nullptr;

    // The default config for n_visible = `visible` (and `hidden` sizes, or defaultHidden if empty):
    // {"kind": name, "sizes": [visible, hidden...], ...defaults}.
    nlohmann::json defaultConfig(int visible, const std::vector<int>& hidden = {}) const;
};

// Every model kind, in the order the studio offers them (the default kind first).
const std::vector<ModelKind>& modelKinds();
// The row named `name`, or nullptr.
const ModelKind* findModelKind(std::string_view name);
// The row named `name`; throws gsn::Error(where, field, "expected one of the registered kinds ...").
const ModelKind& modelKind(std::string_view name, const std::string& where = "model config",
                           const std::string& field = "kind");

// The model kinds that fit a filter, in table order.
template <class Predicate>
std::vector<const ModelKind*> modelKindsWhere(Predicate keep)
{
    std::vector<const ModelKind*> out;
    for (const ModelKind& kind : modelKinds())
        if (keep(kind))
            out.push_back(&kind);
    return out;
}

// The kinds `gsn train` offers: trainable kinds on images (the datasets it loads are images).
std::vector<const ModelKind*> trainableImageKinds();

// Names sorted alphabetically and joined for a message: {"dae", "gsn2", "rbm"} -> "dae, gsn2 or rbm"
// (separator ", " and last separator " or "), or "dae|gsn2|rbm" with separator = lastSeparator = "|".
std::string kindList(std::vector<std::string> names, const std::string& separator = ", ",
                     const std::string& lastSeparator = " or ");
// The names of `kinds` (any table's rows: anything with a `name`).
template <class Row>
std::vector<std::string> kindNames(const std::vector<const Row*>& kinds)
{
    std::vector<std::string> names;
    for (const Row* row : kinds)
        names.push_back(row->name);
    return names;
}

// Sampler kinds are the second table, of the same shape: samplerregistry.h.

} // namespace gsn
