#include "gsnk.h"

#include "error.h"
#include "modelmath.h"
#include "parallel.h"

#include <cmath>
#include <utility>

namespace gsn {
namespace {

constexpr const char* kWhere = "model config";

using PairList = std::vector<std::pair<const Matrix*, const Matrix*>>;

// sum_k left_k^T right_k as one product over the stacked rows: one large GEMM instead of one
// small GEMM per update (the weight gradients do not feed anything, so they can wait).
void accumulateStacked(const PairList& pairs, Matrix& out)
{
    if (pairs.empty())
        return;
    Eigen::Index rows = 0;
    for (const auto& [l, r] : pairs)
        rows += l->rows();
    Matrix left(rows, pairs.front().first->cols());
    Matrix right(rows, pairs.front().second->cols());
    Eigen::Index at = 0;
    for (const auto& [l, r] : pairs) {
        left.middleRows(at, l->rows()) = *l;
        right.middleRows(at, r->rows()) = *r;
        at += l->rows();
    }
    out.noalias() += left.transpose() * right;
}

} // namespace

GsnK::GsnK(const nlohmann::json& config, std::uint64_t seed)
{
    const std::string kind = config.value("kind", std::string());
    if (kind == "gsn2")
        m_K = 2;
    else if (kind == "gsn3")
        m_K = 3;
    else
        fail(kWhere, "kind", "expected gsn2 or gsn3, got '" + kind + "'");
    m_sizes.assign(static_cast<std::size_t>(m_K + 1), 1500);
    m_sizes[0] = 784;
    if (config.contains("sizes")) {
        const auto& s = config["sizes"];
        if (!s.is_array() || s.size() != static_cast<std::size_t>(m_K + 1))
            fail(kWhere, "sizes", "expected " + std::to_string(m_K + 1) + " layer sizes [n_visible, h1, ...]");
        for (std::size_t i = 0; i < s.size(); ++i) {
            if (!s[i].is_number_integer() || s[i].get<long long>() < 1 || s[i].get<long long>() > 100000)
                fail(kWhere, "sizes", "expected positive integers up to 100000");
            m_sizes[i] = s[i].get<int>();
        }
    }
    if (config.contains("hidden_noise")) {
        const auto& v = config["hidden_noise"];
        if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < 0.0)
            fail(kWhere, "hidden_noise", "expected a standard deviation >= 0");
        m_noise = v.get<float>();
    }
    for (auto [field, target] : {std::pair{"noiseless_h1", &m_noiselessH1}, std::pair{"input_sampling", &m_inputSampling}}) {
        if (!config.contains(field))
            continue;
        if (!config[field].is_boolean())
            fail(kWhere, field, "expected true or false");
        *target = config[field].get<bool>();
    }
    if (config.contains("corruption"))
        m_corruption = Corruption::fromJson(config["corruption"], kWhere);
    m_walkback = 2 * m_K;
    if (config.contains("walkback")) {
        const auto& v = config["walkback"];
        if (!v.is_number_integer() || v.get<long long>() < 1 || v.get<long long>() > 100)
            fail(kWhere, "walkback", "expected a number of updates in [1, 100]");
        m_walkback = v.get<int>();
    }

    m_W.resize(static_cast<std::size_t>(m_K));
    m_b.resize(static_cast<std::size_t>(m_K + 1));
    for (int i = 0; i < m_K; ++i) {
        m_W[i].resize(m_sizes[i], m_sizes[i + 1]);
        modelmath::initUniform(m_W[i], seed, modelmath::kInitStream + static_cast<std::uint64_t>(i));
    }
    for (int i = 0; i <= m_K; ++i)
        m_b[i] = Matrix::Zero(1, m_sizes[i]);
}

nlohmann::json GsnK::config() const
{
    return {
        {"kind", kind()},
        {"sizes", m_sizes},
        {"hidden_activation", "tanh"},
        {"visible_activation", "sigmoid"},
        {"hidden_noise", m_noise},
        {"hidden_noise_placement", "before and after tanh"},
        {"noiseless_h1", m_noiselessH1},
        {"input_sampling", m_inputSampling},
        {"corruption", m_corruption.toJson()},
        {"walkback", m_walkback},
        {"loss", "binary cross-entropy mean over pixels, summed over updates"},
        {"tied_weights", true},
    };
}

std::vector<ParamRef> GsnK::parameters()
{
    std::vector<ParamRef> out;
    for (int i = 0; i < m_K; ++i)
        out.push_back({"W" + std::to_string(i), &m_W[i]});
    for (int i = 0; i <= m_K; ++i)
        out.push_back({"b" + std::to_string(i), &m_b[i]});
    return out;
}

void GsnK::hiddenLayer(int i, const Matrix* below, const Matrix* above, std::vector<Philox>& rng, Matrix& T,
                       Matrix& L) const
{
    const auto R = static_cast<Eigen::Index>(rng.size());
    const Eigen::Index n = m_sizes[i];
    L.resize(R, n);
    if (below)
        L.noalias() = *below * m_W[i - 1];
    else
        L.setZero();
    if (above)
        L.noalias() += *above * m_W[i].transpose();
    L.rowwise() += m_b[i].row(0);
    if (!noisy(i)) {
        T = L.array().tanh();
        L = T;
        return;
    }
    RowVector noise(n);
    for (Eigen::Index r = 0; r < R; ++r) {
        normalFill(noise.data(), static_cast<std::size_t>(n), rng[static_cast<std::size_t>(r)]);
        L.row(r) += m_noise * noise;
    }
    T = L.array().tanh();
    for (Eigen::Index r = 0; r < R; ++r) {
        normalFill(noise.data(), static_cast<std::size_t>(n), rng[static_cast<std::size_t>(r)]);
        L.row(r) = T.row(r) + m_noise * noise;
    }
}

void GsnK::visibleLogits(const Matrix& h1, Matrix& logits) const
{
    logits.noalias() = h1 * m_W[0].transpose();
    logits.rowwise() += m_b[0].row(0);
}

void GsnK::resampleVisible(const Matrix& p, Matrix& x, std::vector<Philox>& rng, Matrix* keep) const
{
    x.resize(p.rows(), p.cols());
    if (keep)
        keep->resize(p.rows(), p.cols());
    const auto n = static_cast<std::size_t>(p.cols());
    for (Eigen::Index r = 0; r < p.rows(); ++r) {
        Philox& g = rng[static_cast<std::size_t>(r)];
        if (m_inputSampling)
            bernoulliRow(p.row(r).data(), x.row(r).data(), n, g);
        else
            x.row(r) = p.row(r);
        corruptRow(m_corruption, x.row(r).data(), n, g, keep ? keep->row(r).data() : nullptr);
    }
}

double GsnK::lossAndGradient(const Matrix& batch, const NoiseKey& key, std::vector<Matrix>& grads)
{
    const Eigen::Index B = batch.rows();
    if (B == 0 || batch.cols() != m_sizes[0])
        fail(kind(), "batch", "expected shape [B > 0, " + std::to_string(m_sizes[0]) + "]");
    if (key.rowStream.size() != static_cast<std::size_t>(B))
        fail(kind(), "noise key", "expected one stream id per batch row");

    const int K = m_K;
    const int N = m_walkback;
    const float invN = 1.0f / static_cast<float>(m_sizes[0]);
    struct BlockResult {
        double loss = 0.0;
        std::vector<Matrix> gW, gb;
    };
    const std::size_t blocks = (static_cast<std::size_t>(B) + modelmath::kRowBlock - 1) / modelmath::kRowBlock;
    std::vector<BlockResult> results(blocks);

    parallelFor(static_cast<std::size_t>(B), modelmath::kRowBlock, [&](std::size_t begin, std::size_t end) {
        BlockResult& out = results[begin / modelmath::kRowBlock];
        const Eigen::Index R = static_cast<Eigen::Index>(end - begin);
        const Matrix X = batch.middleRows(static_cast<Eigen::Index>(begin), R);
        std::vector<Philox> rng;
        rng.reserve(static_cast<std::size_t>(R));
        for (Eigen::Index r = 0; r < R; ++r)
            rng.emplace_back(key.seed, key.rowStream[begin + static_cast<std::size_t>(r)], key.step);

        // Forward through the unrolled graph, keeping what the backward pass needs.
        // L[t][i]: layer i after update t (L[0][0] = C(X), L[0][i > 0] = 0 and never read);
        // T[t][i]: tanh output of hidden layer i at update t; dLogit[t]: gradient at p's logits.
        std::vector<std::vector<Matrix>> L(N + 1, std::vector<Matrix>(K + 1));
        std::vector<std::vector<Matrix>> T(N + 1, std::vector<Matrix>(K + 1));
        std::vector<Matrix> dLogit(N + 1);
        // Without input sampling x[t] = C(p[t]) carries gradient back into p[t]: dx/dlogit = keep p (1 - p).
        const bool xPath = !m_inputSampling;
        std::vector<Matrix> dxdLogit(xPath ? N + 1 : 0);
        L[0][0] = X;
        for (Eigen::Index r = 0; r < R; ++r)
            corruptRow(m_corruption, L[0][0].row(r).data(), static_cast<std::size_t>(m_sizes[0]),
                       rng[static_cast<std::size_t>(r)]);
        Matrix logits;
        for (int t = 1; t <= N; ++t) {
            const bool last = t == N;
            for (int i = 1; i <= K; i += 2) {
                if (last && i > 1)
                    continue;
                // Hidden layers are zero before the first update.
                const Matrix* below = (i == 1 || t > 1) ? &L[t - 1][i - 1] : nullptr;
                const Matrix* above = (i < K && t > 1) ? &L[t - 1][i + 1] : nullptr;
                hiddenLayer(i, below, above, rng, T[t][i], L[t][i]);
            }
            visibleLogits(L[t][1], logits);
            out.loss += modelmath::bceFromLogitsSum(logits, X) * invN;
            Matrix p = logits.array().logistic();
            dLogit[t] = (p - X) * invN;
            if (last)
                break;
            resampleVisible(p, L[t][0], rng, xPath ? &dxdLogit[t] : nullptr);
            if (xPath)
                dxdLogit[t].array() *= p.array() * (1.0f - p.array());
            for (int i = 2; i <= K; i += 2)
                hiddenLayer(i, &L[t][i - 1], i < K ? &L[t][i + 1] : nullptr, rng, T[t][i], L[t][i]);
        }

        // Backward. G[i] accumulates d loss / d L[t][i] for the update being undone: an even layer
        // at t is read only by the odd layers at t + 1, an odd layer at t only by the even layers at t.
        out.gW.resize(static_cast<std::size_t>(K));
        out.gb.resize(static_cast<std::size_t>(K + 1));
        std::vector<Matrix> G(static_cast<std::size_t>(K + 1));
        for (int i = 0; i <= K; ++i) {
            out.gb[i] = Matrix::Zero(1, m_sizes[i]);
            if (i < K)
                out.gW[i] = Matrix::Zero(m_sizes[i], m_sizes[i + 1]);
            if (i > 0 || xPath)
                G[i] = Matrix::Zero(R, m_sizes[i]);
        }
        std::deque<Matrix> dA;            // pre-activation gradients, kept for the weight products
        std::vector<PairList> pairs(static_cast<std::size_t>(K)); // gW[j] = sum left^T right
        auto preGradient = [&](int t, int i) -> const Matrix& {
            dA.emplace_back(G[i].array() * (1.0f - T[t][i].array().square()));
            G[i].setZero();
            out.gb[i] += dA.back().colwise().sum();
            return dA.back();
        };
        for (int t = N; t >= 1; --t) {
            const bool last = t == N;
            // Even layers of update t.
            if (xPath && !last) { // x[t] was read by h1 at update t + 1 (already undone)
                dLogit[t].array() += G[0].array() * dxdLogit[t].array();
                G[0].setZero();
            }
            out.gb[0] += dLogit[t].colwise().sum();
            pairs[0].push_back({&dLogit[t], &L[t][1]});
            G[1].noalias() += dLogit[t] * m_W[0];
            if (!last) {
                for (int i = 2; i <= K; i += 2) {
                    const Matrix& d = preGradient(t, i);
                    pairs[i - 1].push_back({&L[t][i - 1], &d});
                    G[i - 1].noalias() += d * m_W[i - 1].transpose();
                    if (i < K) {
                        pairs[i].push_back({&d, &L[t][i + 1]});
                        G[i + 1].noalias() += d * m_W[i];
                    }
                }
            }
            // Odd layers of update t (they read the even layers of update t - 1).
            for (int i = 1; i <= K; i += 2) {
                if (last && i > 1)
                    continue;
                const Matrix& d = preGradient(t, i);
                if (i == 1 || t > 1)
                    pairs[i - 1].push_back({&L[t - 1][i - 1], &d});
                if ((i - 1 >= 2 || (i == 1 && xPath)) && t > 1)
                    G[i - 1].noalias() += d * m_W[i - 1].transpose();
                if (i < K && t > 1) {
                    pairs[i].push_back({&d, &L[t - 1][i + 1]});
                    G[i + 1].noalias() += d * m_W[i];
                }
            }
        }
        for (int j = 0; j < K; ++j)
            accumulateStacked(pairs[j], out.gW[j]);
    });

    grads.resize(static_cast<std::size_t>(2 * K + 1));
    double loss = 0.0;
    for (int j = 0; j < K; ++j)
        grads[j] = Matrix::Zero(m_sizes[j], m_sizes[j + 1]);
    for (int i = 0; i <= K; ++i)
        grads[K + i] = Matrix::Zero(1, m_sizes[i]);
    for (const auto& r : results) { // fixed block order: the same sums on any thread count
        loss += r.loss;
        for (int j = 0; j < K; ++j)
            grads[j] += r.gW[j];
        for (int i = 0; i <= K; ++i)
            grads[K + i] += r.gb[i];
    }
    const float invB = 1.0f / static_cast<float>(B);
    for (auto& g : grads)
        g *= invB;
    return loss / static_cast<double>(B);
}

ChainState GsnK::startChains(const Matrix& x0) const
{
    if (x0.cols() != m_sizes[0])
        fail(kind(), "chain start", "expected " + std::to_string(m_sizes[0]) + " columns");
    ChainState s;
    s.x = x0;
    s.mean = x0;
    for (int i = 1; i <= m_K; ++i)
        s.h.push_back(Matrix::Zero(x0.rows(), m_sizes[i]));
    return s;
}

void GsnK::stepChains(ChainState& state, std::uint64_t seed) const
{
    const Eigen::Index C = state.x.rows();
    if (state.x.cols() != m_sizes[0] || state.h.size() != static_cast<std::size_t>(m_K))
        fail(kind(), "chain state", "expected x with " + std::to_string(m_sizes[0]) + " columns and "
                                        + std::to_string(m_K) + " hidden layers");
    for (int i = 1; i <= m_K; ++i)
        if (state.h[i - 1].rows() != C || state.h[i - 1].cols() != m_sizes[i])
            fail(kind(), "chain state", "hidden layer " + std::to_string(i) + " has the wrong shape");
    state.mean.resize(C, m_sizes[0]);

    parallelFor(static_cast<std::size_t>(C), modelmath::kRowBlock, [&](std::size_t begin, std::size_t end) {
        const Eigen::Index R = static_cast<Eigen::Index>(end - begin);
        const Eigen::Index b = static_cast<Eigen::Index>(begin);
        std::vector<Philox> rng;
        rng.reserve(static_cast<std::size_t>(R));
        for (Eigen::Index r = 0; r < R; ++r)
            rng.emplace_back(seed, static_cast<std::uint64_t>(b + r), state.step);
        std::vector<Matrix> L(static_cast<std::size_t>(m_K + 1));
        L[0] = state.x.middleRows(b, R);
        for (int i = 1; i <= m_K; ++i)
            L[i] = state.h[i - 1].middleRows(b, R);
        Matrix T, logits;
        // Odd layers read only even layers and vice versa, so updating in place is exact.
        for (int i = 1; i <= m_K; i += 2)
            hiddenLayer(i, &L[i - 1], i < m_K ? &L[i + 1] : nullptr, rng, T, L[i]);
        visibleLogits(L[1], logits);
        const Matrix p = logits.array().logistic();
        state.mean.middleRows(b, R) = p;
        resampleVisible(p, L[0], rng);
        for (int i = 2; i <= m_K; i += 2)
            hiddenLayer(i, &L[i - 1], i < m_K ? &L[i + 1] : nullptr, rng, T, L[i]);
        state.x.middleRows(b, R) = L[0];
        for (int i = 1; i <= m_K; ++i)
            state.h[i - 1].middleRows(b, R) = L[i];
    });
    ++state.step;
}

double GsnK::trainMacsPerExample() const
{
    const auto s = [&](int i) { return static_cast<double>(m_sizes[i]); };
    double macs = 0.0;
    for (int t = 1; t <= m_walkback; ++t) {
        const bool last = t == m_walkback;
        for (int i = 1; i <= m_K; i += 2) {
            if (last && i > 1)
                continue;
            const bool up = i < m_K && t > 1;
            macs += (i == 1 || t > 1) ? s(i - 1) * s(i) * 2 : 0.0; // forward + weight gradient
            macs += up ? s(i) * s(i + 1) * 3 : 0.0;         // forward + weight gradient + G
            macs += (i - 1 >= 2 && t > 1) ? s(i - 1) * s(i) : 0.0; // G of the even layer below
        }
        macs += s(0) * s(1) * 3; // visible: forward, G[1], weight gradient
        if (last)
            continue;
        for (int i = 2; i <= m_K; i += 2)
            macs += s(i - 1) * s(i) * 3 + (i < m_K ? s(i) * s(i + 1) * 3 : 0.0);
    }
    return macs;
}

double GsnK::chainMacsPerStep() const
{
    double macs = static_cast<double>(m_sizes[0]) * m_sizes[1];
    for (int i = 1; i <= m_K; ++i)
        macs += static_cast<double>(m_sizes[i - 1]) * m_sizes[i] + (i < m_K ? static_cast<double>(m_sizes[i]) * m_sizes[i + 1] : 0.0);
    return macs;
}

} // namespace gsn
