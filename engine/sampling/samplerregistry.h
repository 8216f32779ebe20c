#pragma once
// The table of sampler kinds, beside the table of model kinds (modelregistry.h) and of the same shape:
// one row per kind, looked up by name. It feeds createSampler, `gsn help` and the conformance tests
// (tests/tst_conformance.cpp builds a case for every row and fails for a row without one).
//
// Adding a sampler kind = one class (a Sampler, sampler.h) in its own file plus one row in
// samplerKinds() (samplerregistry.cpp); its noise takes a key range from randomstreams.h. A sampler
// on a target density (needsTarget) then joins the conformance table with no test code; others add
// their set-up (model, data) to tests/tst_conformance.cpp's samplerSetups().

#include "modelregistry.h"
#include "sampler.h"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace gsn {

// What a sampler kind needs and can do, before any sampler of the kind is built (SamplerCapabilities
// is what a built sampler reports; the two agree, and tst_conformance checks it).
struct SamplerKindCapabilities {
    bool images = false;       // runs on images (chains of n_visible pixels in [0, 1])
    bool points = false;       // runs on points in R^d
    bool needsModel = false;   // runs under a Model snapshot (the model's own chains, tempering over a model)
    bool needsEnergy = false;  // the model must have an energy (ModelCapabilities::hasEnergy)
    bool needsData = false;    // its factory fits an estimator on SamplerInputs::data
    bool needsTarget = false;  // its config names a target density in "target" (createTarget, target.h)
    bool clamping = false;     // chains can hold coordinates / pixels fixed
    bool hasEnergy = false;    // the built sampler is an EnergySampler: tempering can wrap it

    bool runsOn(DataKind kind) const { return kind == DataKind::Images ? images : points; }
};

// One row of the sampler table.
struct SamplerKind {
    std::string name;        // Sampler::kind() and config["kind"], e.g. "rwmh"
    std::string label;       // as menus show it, e.g. "Random-walk Metropolis"
    std::string description; // one line, for `gsn help`
    SamplerKindCapabilities capabilities;
    // The default config without "kind": the fields a new sampler of the kind gets when the user sets none.
    nlohmann::json defaults;
    // Builds a sampler of this kind from a config whose "kind" is `name` (throws gsn::Error naming the bad field).
    SamplerFactory create = nullptr;

    // {"kind": name, ...defaults}
    nlohmann::json defaultConfig() const;
};

// Every sampler kind, the model's own chains first.
const std::vector<SamplerKind>& samplerKinds();
// The row named `name`, or nullptr.
const SamplerKind* findSamplerKind(std::string_view name);
// The row named `name`; throws gsn::Error(where, field, "expected one of the registered kinds ...").
const SamplerKind& samplerKind(std::string_view name, const std::string& where = "sampler config",
                               const std::string& field = "kind");
// Builds a sampler from a config with a registered "kind" and its inputs (data for estimators).
std::unique_ptr<Sampler> createSampler(const nlohmann::json& config, const SamplerInputs& inputs = {});

// The sampler kinds that fit a filter, in table order.
template <class Predicate>
std::vector<const SamplerKind*> samplerKindsWhere(Predicate keep)
{
    std::vector<const SamplerKind*> out;
    for (const SamplerKind& kind : samplerKinds())
        if (keep(kind))
            out.push_back(&kind);
    return out;
}

} // namespace gsn
