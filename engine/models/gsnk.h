#pragma once
// GSN-K (K = 2, 3): the unrolled, DBM-like computational graph of SPEC 2.2.
//
// Layers h0 = x, h1..hK; tied weights W_i (shape = [size_i, size_{i+1}]) connect h_i and h_{i+1}.
// One update: odd layers first, then even layers:
//   hidden i:  pre = h_{i-1} W_{i-1} + h_{i+1} W_i^T + b_i   (top layer: no upper term)
//              h = tanh(pre + n_in) + n_out, n_in, n_out ~ N(0, sigma^2)  (h1 noiseless if configured)
//   visible:   p = sigmoid(h1 W_0^T + b_0);  x <- C(Bernoulli(p))  (C = salt-and-pepper by default)
// Training: x starts as C(X), hidden layers at 0; `walkback` updates (default 2K); loss = sum over the
// updates of the binary cross-entropy of p against the clean X, MEAN over pixels (the reference
// code's convention, so its learning rate 0.25 applies); lossAndGradient returns the mean over the
// batch. The gradient is backpropagated through the whole unrolled graph with the noise and the
// sampled x held constant (sampling has no gradient); without input sampling x = C(p) is
// differentiable and the gradient also flows through it into the earlier p.
// Updates whose values cannot reach a later p (the even hidden layers and layers above h1 in the last
// update) are skipped in training: the loss is unchanged.
//
// Parameters in order: "W0".."W{K-1}", then "b0".."bK" (b0 = visible bias, shape = [1, size_i]).

#include "corruption.h"
#include "model.h"

#include <deque>
#include <memory>
#include <mutex>

namespace gsn {

class GsnK : public Model {
public:
    // config: {"kind": "gsn2" | "gsn3", "sizes": [n_visible, h1, ..., hK] (default 1500 per hidden
    //          layer), "hidden_noise": sigma >= 0 (default 2), "noiseless_h1": bool (default true),
    //          "corruption": {...} (default salt-and-pepper(0.4)), "input_sampling": bool (default true:
    //          x is resampled from Bernoulli(p) before the corruption), "walkback": updates (default 2K)}.
    // Weights uniform in +-sqrt(6/(n_in+n_out)) from `seed`, biases 0. Throws gsn::Error naming the
    // bad field.
    GsnK(const nlohmann::json& config, std::uint64_t seed);

    std::string kind() const override { return "gsn" + std::to_string(m_K); }
    std::vector<int> layerSizes() const override { return m_sizes; }
    nlohmann::json config() const override;
    std::vector<ParamRef> parameters() override;
    std::unique_ptr<Model> clone() const override { return std::make_unique<GsnK>(*this); }

    double lossAndGradient(const Matrix& batch, const NoiseKey& key, std::vector<Matrix>& grads) override;

    // state.x = x0 (fed in as is), hidden layers state.h[i] (layer i+1) start at 0. A step is one
    // update of the graph: state.mean = p, state.x = C(Bernoulli(p)), state.h = the new hidden layers
    // (state.h.back() is the top layer).
    ChainState startChains(const Matrix& x0) const override;
    void stepChains(ChainState& state, std::uint64_t seed) const override;

    // How chains compute x W0 when x is binary (every entry 0 or 1). Auto (the default): as a sum of W0's
    // active rows up to kSparseChains chains, a BLAS product above (where an AVX-512 GEMM is faster:
    // measured on a 2-core Xeon with about a third of the pixels on, per CPU second, the row sums are a
    // few per cent faster up to 16-32 chains and 1-19 % slower at 64-100; against OpenBLAS's AVX2 kernel
    // they break even; docs/benchmarks.md, "Intel Xeon AVX-512"). Sparse: row sums
    // for any number of chains; Dense: the paths before the row sums (a BLAS product above 4 chains).
    // For tests and benchmarks; not part of the config, not saved.
    enum class ChainInput { Auto, Sparse, Dense };
    static constexpr int kSparseChains = 32;
    void setChainInput(ChainInput mode) { m_chainInput = mode; }

    // Half precision for sampling (issue 16 item 2): with `on`, chains of up to kHalfChains chains read
    // IEEE half (F16C) copies of the weights made now, half the bytes per step of the float32 weights
    // (one chain is memory-bound); training and more chains keep float32. The copies are a snapshot:
    // parameters() (the only way to change the weights) drops them, and sampling is float32 again
    // until this is called again. Returns false (and stays float32) on CPUs or builds without F16C.
    // Displayed means stay within 2e-3 of float32 for one step from the same state (tst_chains).
    static constexpr int kHalfChains = 4;
    bool setHalfPrecisionSampling(bool on);
    bool halfPrecisionSampling() const { return m_half != nullptr; }

    // The deterministic passes (noise off, nothing sampled) that the interpolation of issue 15 item 3
    // decodes with (engine/eval/interpolation.h, docs/mixing.md "Interpolation in x, h1 and h2"). Both run
    // this model's own hidden-layer update (hiddenLayer) with the noise off and the absent side at zero.
    // Upward: h_i = tanh(h_{i-1} W_{i-1} + b_i) for i = 1..layer, the layers above contributing nothing;
    // for GSN-2 h1 and h2 are those of the first update of the graph from x with the hidden layers at
    // rest and no noise. x shape = [N, n_visible]; result shape = [N, size_layer] (layer 0: x itself).
    Matrix encodeDeterministic(const Matrix& x, int layer) const;
    // Downward from `layer`: h_{i-1} = tanh(h_i W_{i-1}^T + b_{i-1}) for i = layer..2 (the layer below
    // contributing nothing), then the visible mean p = sigmoid(h1 W0^T + b0).
    // code shape = [N, size_layer]; result shape = [N, n_visible], values in [0, 1] (layer 0: code itself).
    Matrix decodeDeterministic(const Matrix& code, int layer) const;
    // The graph's own decoding with `layer` clamped to `code`: starting from decodeDeterministic (x = its
    // p, the layers below from its top-down pass, the layers above at rest), `updates` updates of the graph
    // (odd layers, then p and the even layers) with the noise off, x fed back as the mean p (nothing
    // sampled, no corruption) and `layer` held at `code`; so h1 hears x as well as the layer above it, as
    // in the trained graph. Returns the last p (shape = [N, n_visible]). Layers 0 and 1: decodeDeterministic.
    Matrix decodeClamped(const Matrix& code, int layer, int updates) const;

    // Products of chains with the weights (issue 16 item 3): from kPackedChains chains up, stepChains
    // multiplies by copies of the weights packed once into our kernel's panels (gemmkernel.h: AVX-512,
    // or AVX2 with FMA; modelmath::packedProduct) instead of OpenBLAS, which re-packs the weights at
    // every call. Made at the first such step (W0 and W1 both ways: twice the weights' size), shared by
    // clones, dropped by parameters(). Results differ from OpenBLAS's in the last bits only (tst_chains).
    // Where the kernel is not compiled, with setPackedProducts(false) (tests and benchmarks), and for
    // chains on the half-precision copies (setHalfPrecisionSampling), chains use the paths before.
    static constexpr int kPackedChains = 4;
    void setPackedProducts(bool on) { m_packedOn = on; }
    int depth() const { return m_K; }
    int walkback() const { return m_walkback; }
    // Multiply-adds per example of one lossAndGradient and per chain of one stepChains (for GFLOP/s).
    double trainMacsPerExample() const;
    double chainMacsPerStep() const;

private:
    // Hidden layer i (1..K) of one update for a block of rows. below: h_{i-1}; above: h_{i+1}; either
    // is null when it is zero (hidden layers before the first update) or absent (above the top). Writes T = tanh(pre + n_in) and L = T + n_out; draws the noise of row
    // r from rng[r] (pre-activation noise first, then post-activation noise).
    // With `scratch` (chain stepping): the noise buffers are kept there, and when h_{i-1} = x is binary
    // (0/1, as after Bernoulli sampling and salt-and-pepper) x W0 is the sum of W0's rows where x is 1,
    // for any number of rows (sparseBinaryProduct).
    // With `noiseOff` no noise is added on any layer (the deterministic passes).
    // With `packed`: the weight products read the packed copies (see kPackedChains).
    struct PackedWeights;
    void hiddenLayer(int i, const Matrix* below, const Matrix* above, std::vector<Philox>& rng, Matrix& T,
                     Matrix& L, ChainScratch* scratch = nullptr, bool noiseOff = false,
                     const PackedWeights* packed = nullptr) const;
    // Visible layer without its bias: logits = h1 W0^T (shape = [R, n_visible]); callers add b0 per row block.
    void visibleLogits(const Matrix& h1, Matrix& logits, bool sampling = false, const PackedWeights* packed = nullptr) const;
    // The packed copies for a step of `rows` chains (made now if need be), or null where they are not used.
    std::shared_ptr<const PackedWeights> packedWeights(Eigen::Index rows) const;
    // Rows [begin, end): x row r <- C(Bernoulli(p row r)) (or C(p) without input sampling), noise from
    // rng[r]. x (and keep) already have p's shape; keep (optional) receives d x / d C's input.
    void resampleRows(const Matrix& p, Matrix& x, std::vector<Philox>& rng, Matrix* keep, std::size_t begin,
                      std::size_t end) const;
    bool noisy(int layer) const { return m_noise > 0.0f && !(layer == 1 && m_noiselessH1); }

    int m_K = 2;
    std::vector<int> m_sizes;
    float m_noise = 2.0f;
    bool m_noiselessH1 = true;
    bool m_inputSampling = true;
    Corruption m_corruption;
    int m_walkback = 4;
    std::vector<Matrix> m_W; // m_W[i] shape = [size_i, size_{i+1}]
    std::vector<Matrix> m_b; // m_b[i] shape = [1, size_i]
    ChainInput m_chainInput = ChainInput::Auto;
    // Half copies of m_W (same shapes, row-major), shared by clones; null: float32 sampling.
    std::shared_ptr<const std::vector<std::vector<std::uint16_t>>> m_half;
    bool useHalf(Eigen::Index rows) const { return m_half && rows <= kHalfChains; }
    // The packed copies, made on the first step that needs them (stepChains is const and may run on
    // several threads with the same model); a clone shares them (same weights), parameters() drops them.
    struct PackedCache {
        mutable std::mutex mutex;
        std::shared_ptr<const PackedWeights> weights;
        PackedCache() = default;
        PackedCache(const PackedCache& other)
        {
            std::lock_guard lock(other.mutex);
            weights = other.weights;
        }
        PackedCache& operator=(const PackedCache& other)
        {
            if (this != &other) {
                std::scoped_lock lock(mutex, other.mutex);
                weights = other.weights;
            }
            return *this;
        }
    };
    mutable PackedCache m_packed;
    bool m_packedOn = true;
};

} // namespace gsn
