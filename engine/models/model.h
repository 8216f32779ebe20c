#pragma once
// The common interface of every trainable model (DAE/GSN-1, GSN-K, RBM, Gaussian DAE).
// A model is what is trained; what advances chains is a gsn::Sampler (sampler.h), and the model's own
// transition operator (stepChains below) is run by ModelChainsSampler.
//
// A model owns its parameters (named matrices), computes loss and gradient for a minibatch, and
// steps a batch of Markov chains. All randomness comes from Philox streams keyed by the caller
// (see random.h), so a model's output never depends on the thread count.

#include "random.h"
#include "samplerstate.h"
#include "tensor.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gsn {

// The most weights a model may have (800 MB of float32): model constructors refuse more, and
// loadCheckpoint refuses a file whose layer sizes claim more before building anything.
inline constexpr long long kMaxModelWeights = 200'000'000;

// Identifies the noise of one minibatch: row r of the batch uses Philox(seed, rowStream[r], step).
struct NoiseKey {
    std::uint64_t seed = 0;
    std::uint64_t step = 0;                 // e.g. global batch counter
    std::vector<std::uint64_t> rowStream;   // one stream id per batch row (the example's index)
};

// State of C chains of one model (the state of ModelChainsSampler, sampler.h). Row c belongs to chain c.
//   x:    shape = [C, n_visible]: the fed-back (sampled, corrupted as the model defines) state
//   mean: shape = [C, n_visible]: the displayed mean of P(X | ...), values in [0, 1]
// Work buffers a model's stepChains keeps between steps so that a step allocates nothing once the
// buffers have their size. Their content means nothing between steps. Copying a state does not copy
// them (the copy starts with empty buffers; assigning keeps the target's), so a copy of a state, e.g.
// a snapshot for display, costs no more than before and steps independently of the original.
struct ChainScratch {
    std::vector<Matrix> matrices;
    std::vector<RowVector> rows;
    std::vector<int> indices;
    std::vector<Eigen::Index> offsets;
    std::vector<Philox> rng;

    ChainScratch() = default;
    ChainScratch(const ChainScratch&) {}
    ChainScratch(ChainScratch&&) = default;
    ChainScratch& operator=(const ChainScratch&) { return *this; }
    ChainScratch& operator=(ChainScratch&&) = default;
};

struct ChainState : SamplerState {
    std::vector<Matrix> h;     // hidden layers, h[i] shape = [C, layer i+1 size] (empty for models without state)
    ChainScratch scratch;      // the step's work buffers (see ChainScratch)

    const Matrix* top() const override { return h.empty() ? nullptr : &h.back(); }
};

class Model {
public:
    virtual ~Model() = default;

    // The name of the row of its kind in the registry (modelregistry.h), e.g. "gsn2".
    virtual std::string kind() const = 0;
    // [n_visible, h1, h2, ...]
    virtual std::vector<int> layerSizes() const = 0;
    int visibleSize() const { return layerSizes().front(); }
    // Everything needed to rebuild the model besides its parameters: sizes, activations, noise
    // levels, corruption, walkback. Stored in the checkpoint's __metadata__.
    virtual nlohmann::json config() const = 0;
    // Parameters in a fixed order with stable names ("W0", "b0", ...).
    virtual std::vector<ParamRef> parameters() = 0;
    virtual std::unique_ptr<Model> clone() const = 0;

    // Loss of a minibatch (shape = [B, n_visible], values in [0, 1]) and its gradient, one matrix
    // per parameter in parameters() order (resized by the callee). Returns the mean loss per
    // example. Noise for row r comes from Philox(key.seed, key.rowStream[r], key.step).
    virtual double lossAndGradient(const Matrix& batch, const NoiseKey& key, std::vector<Matrix>& grads) = 0;

    // Starts C chains at x0 (shape = [C, n_visible]); hidden layers start at their rest value.
    virtual ChainState startChains(const Matrix& x0) const = 0;
    // Advances every chain by one step. Chain c draws its noise from Philox(seed, c, state.step);
    // increments state.step. Fills state.mean (what is displayed) and state.x (what is fed back).
    virtual void stepChains(ChainState& state, std::uint64_t seed) const = 0;
};

} // namespace gsn

namespace gsn {

// Builds a model (parameters initialised as SPEC 2.2 says, from `seed`) from a config as returned
// by Model::config(); config["kind"] selects the registry row (modelregistry.h) whose factory builds
// it. Throws gsn::Error naming the bad field (an unknown kind: the registered ones).
std::unique_ptr<Model> createModel(const nlohmann::json& config, std::uint64_t seed);

} // namespace gsn
