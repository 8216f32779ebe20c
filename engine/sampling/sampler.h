#pragma once
// The common interface of every sampler: what advances C Markov chains of a typed state, under a
// model snapshot (a gsn::Model, which is what is trained) or under a target of its own (a
// non-parametric estimator, a density). A ChainSet (chains.h) runs one (snapshot, sampler) pair.
//
// A sampler is immutable and stateless between calls: everything that evolves lives in its
// SamplerState subclass, made by start() and advanced by step(). Chain c draws its noise from Philox
// streams keyed by (seed, c, state.step) (each sampler documents its streams), so a seed gives the
// same chains on any thread count.
//
// Clamping (SPEC 3), when capabilities().clamping: the ChainSet writes the clamped values back into
// x and mean after EVERY step, and also passes the clamp to step() so that samplers with inner state
// (tempering replicas) can clamp that too.

#include "model.h"
#include "samplerstate.h"
#include "tensor.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gsn {

// What a sampler can do; a registry of kinds lists these.
struct SamplerCapabilities {
    bool needsModel = false; // runs under a Model snapshot (ChainSet::setModel installs newer ones)
    bool clamping = false;   // coordinates / pixels of a chain can be clamped (see top of file)
    bool hasEnergy = false;  // energy() returns an EnergySampler: tempering can wrap it
    bool hasHidden = false;  // the state has hidden layers (SamplerState::top() is not null)
};

// Dense clamp of C chains as step() receives it. mask and values shape = [C, dimension]; mask 1 =
// clamped (the coordinate holds values(c, i)), 0 = free. A chain without a clamp has a zero mask row.
struct ChainClamp {
    Matrix mask;
    Matrix values;
};

// Typed diagnostics, counted exactly since the chains started.
struct SamplerDiagnostics {
    std::uint64_t steps = 0;     // steps taken
    std::uint64_t chains = 0;    // C
    // Metropolis-Hastings samplers: proposals made and accepted over all chains (0 for samplers
    // without accept/reject, such as Gibbs).
    std::uint64_t proposals = 0;
    std::uint64_t accepts = 0;
    // Tempering: per neighbouring replica pair (r, r+1), r = 0..R-2, swaps attempted and accepted over
    // all chains (every chain attempts every pair once per step: attempts[r] = steps * C). Empty otherwise.
    std::vector<std::uint64_t> swapAttempts;
    std::vector<std::uint64_t> swapAccepts;

    // accepts / proposals, 0 before any proposal.
    double acceptanceRate() const { return proposals ? static_cast<double>(accepts) / static_cast<double>(proposals) : 0.0; }
    // swapAccepts[r] / swapAttempts[r] per pair, 0 before any attempt.
    std::vector<double> swapRates() const;
};

// Implemented by samplers whose chains target p(state) ∝ exp(-E(state)): what tempering around a
// sampler needs besides the sampler itself.
class EnergySampler {
public:
    virtual ~EnergySampler() = default;
    // E of every chain's current state (C values, unscaled by any temperature).
    virtual std::vector<double> energies(const Model* model, const SamplerState& state) const = 0;
    // True when stepTempered() works: what parallel tempering around the sampler ("pt", ptsampler.h) needs.
    virtual bool tempers() const { return false; }
    // One step of every chain c on the tempered target p^betas[c] (betas.size() = C, each in (0, 1]),
    // otherwise exactly step(): the same noise keys, so betas all 1 give step()'s chains. Default: gsn::Error.
    virtual void stepTempered(const Model* model, SamplerState& state, std::uint64_t seed, const ChainClamp* clamp,
                              const std::vector<float>& betas) const;
};

class Sampler {
public:
    virtual ~Sampler() = default;

    // The kind name a registry lists ("model-chain", "rbm-pt", "npdae-parzen", "npdae-discrete").
    virtual std::string kind() const = 0;
    // Everything needed to rebuild the sampler with its factory (kind included).
    virtual nlohmann::json config() const = 0;
    virtual SamplerCapabilities capabilities() const = 0;
    // Values per chain (columns of x and mean) under `model` (null for samplers without a model).
    virtual int dimension(const Model* model) const = 0;
    // Throws gsn::Error unless `model` fits this sampler (null when it needs none; the right class).
    virtual void checkModel(const Model* model) const = 0;

    // Starts C = x0.rows() chains at x0 (shape = [C, dimension]); step 0. Throws gsn::Error for a
    // start the sampler cannot take (wrong shape, values outside its state space).
    virtual std::unique_ptr<SamplerState> start(const Model* model, const Matrix& x0) const = 0;
    // Advances every chain of `state` (made by this sampler's start()) by one step; increments
    // state.step. `clamp` is null when no chain is clamped. Values written into state.x between steps
    // (clamped values, edits) are the chains' current state.
    virtual void step(const Model* model, SamplerState& state, std::uint64_t seed, const ChainClamp* clamp) const = 0;
    // Diagnostics of a state made by this sampler.
    virtual SamplerDiagnostics diagnostics(const SamplerState& state) const;
    // The energy interface, or null (capabilities().hasEnergy says which).
    virtual const EnergySampler* energy() const { return nullptr; }
};

// What a sampler factory gets besides its config: training points for samplers estimated from
// data (shape = [n, d]; may be null for samplers that need none) and the seed of any estimation noise.
struct SamplerInputs {
    const Matrix* data = nullptr;
    std::uint64_t seed = 0;
};
// The signature of every sampler kind's factory (a registry calls these); throws gsn::Error naming
// the bad config field.
using SamplerFactory = std::unique_ptr<Sampler> (*)(const nlohmann::json& config, const SamplerInputs& inputs);

// The model's own chains (GSN, DAE, RBM Gibbs): each step is Model::stepChains, the model's
// transition operator; the state is the model's ChainState. Kind "model-chain"; clamping by write-back.
class ModelChainsSampler : public Sampler {
public:
    static constexpr const char* kKind = "model-chain";
    std::string kind() const override { return kKind; }
    nlohmann::json config() const override { return {{"kind", kKind}}; }
    SamplerCapabilities capabilities() const override { return {true, true, false, true}; }
    int dimension(const Model* model) const override;
    void checkModel(const Model* model) const override;
    // state = model->startChains(x0) (a ChainState).
    std::unique_ptr<SamplerState> start(const Model* model, const Matrix& x0) const override;
    // model->stepChains(state, seed): chain c's noise is Philox(seed, c, state.step). The clamp is left
    // to the ChainSet's write-back.
    void step(const Model* model, SamplerState& state, std::uint64_t seed, const ChainClamp* clamp) const override;
};

// Factory of ModelChainsSampler (config {"kind": "model-chain"}).
std::unique_ptr<Sampler> createModelChainsSampler(const nlohmann::json& config, const SamplerInputs& inputs);
// The one shared instance (stateless).
std::shared_ptr<const Sampler> modelChainsSampler();

} // namespace gsn
