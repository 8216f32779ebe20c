#pragma once
// Small RBMs whose distribution is known exactly by enumeration (Rbm::exactLogProbabilities), and
// what comparing a chain's histogram with it needs: shared by tst_rbm and tst_conformance.

#include "random.h"
#include "randomstreams.h"
#include "rbm.h"
#include "tensor.h"

#include <cmath>
#include <cstddef>
#include <memory>
#include <vector>

namespace gsn::test {

// An RBM with N(0, wScale^2) weights and N(0, (wScale/2)^2) biases from Philox(seed, ...).
inline std::unique_ptr<Rbm> randomRbm(int nv, int nh, float wScale, std::uint64_t seed)
{
    Rbm::Options o;
    o.visible = nv;
    o.hidden = nh;
    auto rbm = std::make_unique<Rbm>(o, seed);
    Philox rng(seed, 7, 7);
    for (int i = 0; i < nv; ++i)
        for (int j = 0; j < nh; ++j)
            rbm->weights()(i, j) = wScale * rng.normal();
    for (int i = 0; i < nv; ++i)
        rbm->visibleBias()(0, i) = 0.5f * wScale * rng.normal();
    for (int j = 0; j < nh; ++j)
        rbm->hiddenBias()(0, j) = 0.5f * wScale * rng.normal();
    return rbm;
}

// C start states, each pixel Bernoulli(1/2) from chain c's start-noise key (randomstreams.h).
inline Matrix noiseStart(int chains, int nv, std::uint64_t seed)
{
    Matrix x(chains, nv);
    for (int c = 0; c < chains; ++c) {
        Philox rng(seed, streams::chainStream(static_cast<std::uint64_t>(c)), streams::kChainStartStep);
        for (int i = 0; i < nv; ++i)
            x(c, i) = rng.uniform() < 0.5f ? 1.0f : 0.0f;
    }
    return x;
}

// P(v) of every visible state, indexed by Rbm::indexOf.
inline std::vector<double> exactProbabilities(const Rbm& rbm)
{
    std::vector<double> p = rbm.exactLogProbabilities();
    for (double& x : p)
        x = std::exp(x);
    return p;
}

// KL(q || p) = sum q log(q / p): finite whenever p > 0 where q > 0 (true for any RBM).
inline double klDivergence(const std::vector<double>& q, const std::vector<double>& p)
{
    double kl = 0.0;
    for (std::size_t i = 0; i < q.size(); ++i) {
        if (q[i] > 0.0)
            kl += q[i] * std::log(q[i] / p[i]);
    }
    return kl;
}

} // namespace gsn::test
