#pragma once
// TinyDae: a small, complete denoising auto-encoder used as a test double by tst_checkpoint and
// tst_trainer, so that checkpoint and trainer tests do not depend on the product models' internals.
// It is a real model (exact gradient, keyed noise), not a stub:
//   x~ = x with each pixel set to 0 with probability `mask` (Philox(seed, rowStream[r], step))
//   h = sigmoid(x~ W0 + b1);  p = sigmoid(h W0^T + b0);  loss = mean over rows of sum_pixels BCE(p, x)
// Parameters: "W0" shape = [n_visible, n_hidden], "b0" shape = [1, n_visible], "b1" shape = [1, n_hidden].

#include "error.h"
#include "model.h"
#include "random.h"
#include "randomstreams.h"

#include <cmath>
#include <memory>

namespace gsn::test {

class TinyDae : public Model {
public:
    TinyDae(int visible, int hidden, float mask, std::uint64_t seed)
        : m_visible(visible), m_hidden(hidden), m_mask(mask), m_w(visible, hidden), m_b0(Matrix::Zero(1, visible)),
          m_b1(Matrix::Zero(1, hidden))
    {
        const float r = std::sqrt(6.0f / float(visible + hidden));
        for (int i = 0; i < visible; ++i) {
            Philox rng(seed, std::uint64_t(i), 0);
            for (int j = 0; j < hidden; ++j)
                m_w(i, j) = (2.0f * rng.uniform() - 1.0f) * r;
        }
    }

    // The factory passed to loadCheckpoint: {"kind":"tiny-dae","sizes":[nv,nh],"mask":p}.
    static std::unique_ptr<Model> create(const nlohmann::json& config, std::uint64_t seed)
    {
        if (config.value("kind", std::string()) != "tiny-dae")
            fail("model config", "kind", "expected \"tiny-dae\", got " + config.value("kind", std::string("nothing")));
        const auto sizes = config.at("sizes").get<std::vector<int>>();
        if (sizes.size() != 2 || sizes[0] < 1 || sizes[1] < 1)
            fail("model config", "sizes", "expected [n_visible, n_hidden]");
        return std::make_unique<TinyDae>(sizes[0], sizes[1], config.value("mask", 0.25f), seed);
    }

    std::string kind() const override { return "tiny-dae"; }
    std::vector<int> layerSizes() const override { return {m_visible, m_hidden}; }
    nlohmann::json config() const override
    {
        return {{"kind", "tiny-dae"}, {"sizes", {m_visible, m_hidden}}, {"mask", m_mask}};
    }
    std::vector<ParamRef> parameters() override { return {{"W0", &m_w}, {"b0", &m_b0}, {"b1", &m_b1}}; }
    std::unique_ptr<Model> clone() const override { return std::make_unique<TinyDae>(*this); }

    double lossAndGradient(const Matrix& batch, const NoiseKey& key, std::vector<Matrix>& grads) override
    {
        const Eigen::Index n = batch.rows();
        Matrix corrupted = batch;
        for (Eigen::Index r = 0; r < n; ++r) {
            Philox rng(key.seed, key.rowStream[std::size_t(r)], key.step);
            for (int c = 0; c < m_visible; ++c)
                if (rng.uniform() < m_mask)
                    corrupted(r, c) = 0.0f;
        }
        Matrix h = sigmoid((corrupted * m_w).rowwise() + m_b1.row(0));
        Matrix p = sigmoid((h * m_w.transpose()).rowwise() + m_b0.row(0));
        double loss = 0;
        for (Eigen::Index i = 0; i < p.size(); ++i) {
            const double x = batch.data()[i];
            const double q = std::clamp(double(p.data()[i]), 1e-7, 1 - 1e-7);
            loss -= x * std::log(q) + (1 - x) * std::log(1 - q);
        }
        Matrix dOut = (p - batch) / float(n);                                    // [B, nv]
        Matrix dPreH = (dOut * m_w).cwiseProduct(h.cwiseProduct((1.0f - h.array()).matrix())); // [B, nh]
        grads.resize(3);
        grads[0] = dOut.transpose() * h + corrupted.transpose() * dPreH;
        grads[1] = dOut.colwise().sum();
        grads[2] = dPreH.colwise().sum();
        return loss / double(n);
    }

    ChainState startChains(const Matrix& x0) const override
    {
        ChainState s;
        s.x = x0;
        s.mean = x0;
        return s;
    }

    void stepChains(ChainState& state, std::uint64_t seed) const override
    {
        for (Eigen::Index c = 0; c < state.x.rows(); ++c) {
            Philox rng(seed, streams::chainStream(std::uint64_t(c)), state.step);
            Matrix x = state.x.row(c);
            for (int i = 0; i < m_visible; ++i)
                if (rng.uniform() < m_mask)
                    x(0, i) = 0.0f;
            Matrix h = sigmoid(x * m_w + m_b1);
            state.mean.row(c) = sigmoid(h * m_w.transpose() + m_b0);
            for (int i = 0; i < m_visible; ++i)
                state.x(c, i) = rng.uniform() < state.mean(c, i) ? 1.0f : 0.0f;
        }
        ++state.step;
    }

private:
    static Matrix sigmoid(const Matrix& a) { return (1.0f / (1.0f + (-a.array()).exp())).matrix(); }

    int m_visible;
    int m_hidden;
    float m_mask;
    Matrix m_w;
    Matrix m_b0;
    Matrix m_b1;
};

} // namespace gsn::test
