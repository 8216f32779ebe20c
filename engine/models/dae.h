#pragma once
// Denoising auto-encoder = GSN-1 (SPEC 2.1), with tied weights and walkback training.
//
//   x~ = C(x*);  h = sigmoid(x~ W0 + b1);  a = h W0^T + b0
//   "dae":       P(X | x~) = Bernoulli(sigmoid(a)), loss = binary cross-entropy against the clean x
//   "dae-gauss": P(X | x~) = N(a, outputSigma^2 I), loss = squared error against the clean x
//                (continuous data such as the 2D toys; default corruption gaussian(0.1))
//
// Loss convention (both kinds): per training pair the loss is the MEAN over the n_visible
// dimensions (as the authors' code does), summed over the walkback pairs of an example;
// lossAndGradient returns the mean over the batch and the gradient of that mean.
//
// Walkback (Algorithm 2 of the DAE paper): x* = x; repeat { x~ ~ C(x*); keep (x, x~); stop after
// `walkback` pairs (fixed) or with probability 1/2 after each pair (geometric, capped at
// kMaxGeometricWalkback pairs); x* ~ P(X | x~) }.
//
// Parameters: "W0" shape = [n_visible, n_hidden], "b0" shape = [1, n_visible] (visible bias),
// "b1" shape = [1, n_hidden].

#include "corruption.h"
#include "model.h"

namespace gsn {

class Dae : public Model {
public:
    static constexpr int kMaxGeometricWalkback = 32;

    // config: {"kind": "dae" | "dae-gauss", "sizes": [n_visible, n_hidden],
    //          "corruption": {...} (default salt-and-pepper(0.4) / gaussian(0.1)),
    //          "walkback": k >= 1 (default 1), "walkback_mode": "fixed" | "geometric" (default fixed),
    //          "output_sigma": s > 0 (dae-gauss only; default: the corruption level)}.
    // Weights initialised from `seed` (uniform +-sqrt(6/(n_in+n_out))), biases 0.
    // Throws gsn::Error naming the bad field.
    Dae(const nlohmann::json& config, std::uint64_t seed);

    std::string kind() const override { return m_gaussian ? "dae-gauss" : "dae"; }
    std::vector<int> layerSizes() const override { return {m_visible, m_hidden}; }
    nlohmann::json config() const override;
    std::vector<ParamRef> parameters() override;
    std::unique_ptr<Model> clone() const override { return std::make_unique<Dae>(*this); }

    double lossAndGradient(const Matrix& batch, const NoiseKey& key, std::vector<Matrix>& grads) override;

    // state.x is the chain's X_t (an uncorrupted sample); a step draws x~ = C(X_t), shows the mean
    // of P(X | x~) and samples X_{t+1} from it. No hidden state is kept (state.h is empty).
    ChainState startChains(const Matrix& x0) const override;
    void stepChains(ChainState& state, std::uint64_t seed) const override;

    const Corruption& corruption() const { return m_corruption; }
    // r(x~): the mean of P(X | x~) for every row of `corrupted` (shape = [n, n_visible]): the linear
    // output for dae-gauss, the probabilities for dae. For dae-gauss with gaussian(s) corruption,
    // (r(x) - x) / s^2 estimates the score of the (corrupted) data density (DAE paper section 2.4).
    Matrix reconstruction(const Matrix& corrupted) const;
    bool gaussian() const { return m_gaussian; }
    // The potential of the dae-gauss reconstruction field (tied weights, sigmoid hidden, linear output):
    // F(x) = sum_j softplus(x W0_j + b1_j) + x . b0 - |x|^2 / 2 has gradient exactly r(x) - x, so
    // F(x) / s^2 is the log-density (up to a constant) whose score is the learned score (r(x) - x) / s^2
    // (Kamyshanska & Memisevic 2013; the "energy the DAE implies" is -F / s^2). One value per row of x
    // (shape = [n, n_visible]), in double. `s` > 0 is the score's scale (the gaussian corruption level).
    // gsn::Error for a Bernoulli dae, s <= 0 or a wrong column count.
    Eigen::VectorXd potential(const Matrix& x, double s) const;
    // The two halves of r (no corruption, nothing sampled): the hidden code h = sigmoid(x W0 + b1) of
    // `x` (shape = [n, n_visible]; result shape = [n, n_hidden]), and the mean of P(X | h) decoded from
    // codes (shape = [n, n_hidden]; result shape = [n, n_visible]): sigmoid(h W0^T + b0) for dae, the
    // linear output for dae-gauss. reconstruction(x) = decodeMean(hiddenCode(x)).
    Matrix hiddenCode(const Matrix& x) const;
    Matrix decodeMean(const Matrix& h) const;

private:
    // Reconstruction of a block of corrupted rows: fills h (shape = [R, n_hidden]) and the output
    // pre-activation a (shape = [R, n_visible]).
    void reconstruct(const Eigen::Ref<const Matrix>& corrupted, Matrix& h, Matrix& a) const;
    // Its halves: h = sigmoid(x W0 + b1); a = h W0^T + b0 (the output pre-activation).
    void encodeInto(const Eigen::Ref<const Matrix>& x, Matrix& h) const;
    void decodeInto(const Matrix& h, Matrix& a) const;
    // Draws X ~ P(X | x~) for one row given its output pre-activation (mean for dae-gauss,
    // logits for dae, which `mean` holds as probabilities already).
    void sampleRow(const float* mean, float* out, Philox& rng) const;

    bool m_gaussian = false;
    int m_visible = 0;
    int m_hidden = 0;
    Corruption m_corruption;
    int m_walkback = 1;
    bool m_geometric = false;
    float m_outputSigma = 0.1f;
    Matrix m_W0; // shape = [n_visible, n_hidden]
    Matrix m_b0; // shape = [1, n_visible]
    Matrix m_b1; // shape = [1, n_hidden]
};

} // namespace gsn
