#pragma once
// Bernoulli-Bernoulli restricted Boltzmann machine (SPEC 2.3): trained by CD-k or PCD, sampled by
// block Gibbs chains h ~ P(h|v), v ~ P(v|h), displaying P(v|h).
//
// Energy: E(v, h) = -v.b0 - h.b1 - v W0 h, with v in {0,1}^n_visible and h in {0,1}^n_hidden.
// Parameters: "W0" shape = [n_visible, n_hidden], "b0" shape = [1, n_visible] (visible bias),
// "b1" shape = [1, n_hidden] (hidden bias); with PCD also "pcd_v" shape = [pcd_chains, n_visible],
// the persistent negative chains (values in {0,1}). "pcd_v" is state, not a trained weight: its
// gradient is always zero, so theta -= lr * m leaves it alone, and it travels in checkpoints so
// that a resumed PCD run continues bit-identically.
//
// Config json: {"kind":"rbm","sizes":[nv,nh],"cd_k":1,"persistent":false,"pcd_chains":100}
// ("pcd_chains" is optional, default 100, used only when persistent).

#include "model.h"
#include "randomstreams.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace gsn {

class Rbm : public Model {
public:
    struct Options {
        int visible = 0;       // n_visible
        int hidden = 0;        // n_hidden
        int cdK = 1;           // Gibbs steps of the negative phase per update
        bool persistent = false; // PCD (chains kept across updates) instead of CD (chains start at the data)
        int pcdChains = 100;   // number of persistent chains
    };

    // Weights uniform in +-4*sqrt(6/(nv+nh)) (the sigmoid-unit rule of the Theano RBM tutorial that
    // accompanies these papers), biases 0, persistent chains Bernoulli(1/2). Keys (randomstreams.h):
    // weight row i from (kRbmInitStream + i, kModelInitStep), persistent chain j from (pcdStream(j), kChainStartStep).
    Rbm(const Options& options, std::uint64_t seed);
    // Validates and reads a config json (see top of file); throws gsn::Error naming the bad field.
    static std::unique_ptr<Rbm> fromConfig(const nlohmann::json& config, std::uint64_t seed);

    std::string kind() const override { return "rbm"; }
    std::vector<int> layerSizes() const override { return {m_options.visible, m_options.hidden}; }
    nlohmann::json config() const override;
    std::vector<ParamRef> parameters() override;
    std::unique_ptr<Model> clone() const override;

    // batch: shape = [B, n_visible], values in [0, 1] (grey levels are used as probabilities in the
    // positive phase). Returns the mean over examples of the reconstruction cross-entropy, summed over
    // pixels, of the one-step reconstruction P(v | h0), h0 ~ P(h | batch row). grads (in parameters()
    // order) are the CD-k / PCD estimate of the gradient of the mean negative log-likelihood, so
    // theta -= lr * grad is the usual update. Row r's noise: Philox(key.seed, key.rowStream[r], key.step);
    // persistent chain j's noise: Philox(key.seed, pcdStream(j), key.step). With PCD the persistent
    // chains advance cd_k steps per call.
    double lossAndGradient(const Matrix& batch, const NoiseKey& key, std::vector<Matrix>& grads) override;

    // x = x0, mean = x0, h = {zeros [C, n_hidden]}.
    ChainState startChains(const Matrix& x0) const override;
    // One Gibbs step per chain: h ~ P(h|x), x ~ P(v|h); mean = P(v|h); h[0] = h.
    // Chain c's noise: Philox(seed, c, state.step).
    void stepChains(ChainState& state, std::uint64_t seed) const override;

    // One block-Gibbs sweep over n rows at per-row inverse temperature beta (energy scaled by beta):
    // h ~ sigmoid(beta (v W0 + b1)), v ~ sigmoid(beta (h W0^T + b0)).
    //   v:      shape = [n, n_visible]; in: current state, out: new sample (clamped entries restored)
    //   h:      shape = [n, n_hidden]; out: the hidden sample used to draw v
    //   mean:   shape = [n, n_visible]; out: P_beta(v | h), clamped entries set to the clamped values
    //   beta:   empty (all 1) or n values
    //   streams: n stream ids; row i's noise is Philox(seed, streams[i], step)
    //   clampMask / clampValues: optional, shape = [m, n_visible], row i uses row i % m;
    //            mask 1 = clamped (after sampling, v and mean take the clamped value), 0 = free
    //   energy: optional, out, n values: E(v_new, h) (unscaled by beta)
    // Rows are processed in parallel in fixed blocks: results do not depend on the thread count.
    void gibbsSweep(Matrix& v, Matrix& h, Matrix& mean, const std::vector<float>& beta,
                    const std::vector<std::uint64_t>& streams, std::uint64_t seed, std::uint64_t step,
                    const Matrix* clampMask = nullptr, const Matrix* clampValues = nullptr,
                    std::vector<double>* energy = nullptr) const;

    // E(v, h) per row. v: shape = [n, n_visible], h: shape = [n, n_hidden]. Returns n values.
    std::vector<double> energy(const Matrix& v, const Matrix& h) const;
    // Free energy F(v) = -v.b0 - sum_j softplus(b1_j + (v W0)_j) per row; P(v) = exp(-F(v)) / Z.
    std::vector<double> freeEnergy(const Matrix& v) const;

    // Exact log Z by enumerating the smaller layer (tests and tiny models only): throws gsn::Error
    // when min(n_visible, n_hidden) > 24.
    double logPartition() const;
    // Exact log P(v) of every visible configuration, index = sum_i v_i 2^i (n_visible <= 20).
    std::vector<double> exactLogProbabilities() const;
    // Exact mean log-likelihood of the rows of data (binary, shape = [N, n_visible]).
    double exactLogLikelihood(const Matrix& data) const;
    // Exact gradient of the mean NEGATIVE log-likelihood of data (shape = [N, n_visible], values in
    // [0,1]) w.r.t. W0, b0, b1 (in that order), by enumeration (n_visible <= 20).
    std::vector<Matrix> exactGradient(const Matrix& data) const;

    // Visible configuration index -> row vector (bit i = v_i); and back (v must be binary).
    static RowVector stateOf(std::uint64_t index, int visible);
    static std::uint64_t indexOf(const float* v, int visible);

    // The stream of persistent chain j (streams::pcdStream): distinct from every example stream.
    static std::uint64_t pcdStream(std::uint64_t j) { return streams::pcdStream(j); }

    const Options& options() const { return m_options; }
    const Matrix& weights() const { return m_w; }       // shape = [n_visible, n_hidden]
    const Matrix& visibleBias() const { return m_b0; }  // shape = [1, n_visible]
    const Matrix& hiddenBias() const { return m_b1; }   // shape = [1, n_hidden]
    Matrix& weights() { return m_w; }
    Matrix& visibleBias() { return m_b0; }
    Matrix& hiddenBias() { return m_b1; }
    const Matrix& persistentChains() const { return m_pcd; } // shape = [pcd_chains, n_visible] (empty for CD)

private:
    Options m_options;
    Matrix m_w;
    Matrix m_b0;
    Matrix m_b1;
    Matrix m_pcd;
};

} // namespace gsn
