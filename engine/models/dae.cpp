#include "dae.h"

#include "error.h"
#include "jsonlimits.h"
#include "modelmath.h"
#include "parallel.h"
#include "randomstreams.h"

#include <cmath>
#include <numeric>

namespace gsn {
namespace {

constexpr const char* kWhere = "model config";

int positiveInt(const nlohmann::json& j, const std::string& field, int fallback, int max)
{
    if (!j.contains(field))
        return fallback;
    const auto& v = j[field];
    if (!v.is_number_integer() || v.get<long long>() < 1 || v.get<long long>() > max)
        fail(kWhere, field, "expected an integer in [1, " + std::to_string(max) + "]");
    return v.get<int>();
}

} // namespace

Dae::Dae(const nlohmann::json& config, std::uint64_t seed)
{
    const std::string kind = config.value("kind", std::string());
    if (kind != "dae" && kind != "dae-gauss")
        fail(kWhere, "kind", "expected dae or dae-gauss, got '" + kind + "'");
    m_gaussian = kind == "dae-gauss";
    if (!config.contains("sizes") || !config["sizes"].is_array() || config["sizes"].size() != 2)
        fail(kWhere, "sizes", "expected [n_visible, n_hidden]");
    for (const auto& s : config["sizes"])
        if (!s.is_number_integer() || s.get<long long>() < 1 || s.get<long long>() > 100000)
            fail(kWhere, "sizes", "expected positive integers up to 100000");
    m_visible = config["sizes"][0].get<int>();
    m_hidden = config["sizes"][1].get<int>();
    if (static_cast<long long>(m_visible) * m_hidden > kMaxModelWeights)
        fail(kWhere, "sizes", "expected at most " + std::to_string(kMaxModelWeights) + " weights, got " +
                                  describeJson(config["sizes"]));
    if (config.contains("corruption"))
        m_corruption = Corruption::fromJson(config["corruption"], kWhere);
    else
        m_corruption = m_gaussian ? Corruption{CorruptionKind::Gaussian, 0.1f} : Corruption{};
    m_walkback = positiveInt(config, "walkback", 1, kMaxGeometricWalkback);
    if (config.contains("walkback_mode") && !config["walkback_mode"].is_string())
        fail(kWhere, "walkback_mode", "expected \"fixed\" or \"geometric\", got " + describeJson(config["walkback_mode"]));
    const std::string mode = config.value("walkback_mode", std::string("fixed"));
    if (mode != "fixed" && mode != "geometric")
        fail(kWhere, "walkback_mode", "expected fixed or geometric, got " + quoteValue(mode));
    m_geometric = mode == "geometric";
    m_outputSigma = m_corruption.kind == CorruptionKind::Gaussian ? m_corruption.level : 0.1f;
    if (config.contains("output_sigma")) {
        const auto& v = config["output_sigma"];
        if (!v.is_number() || !(v.get<double>() > 0.0) || !std::isfinite(v.get<double>()))
            fail(kWhere, "output_sigma", "expected a number > 0");
        m_outputSigma = v.get<float>();
    }
    if (m_gaussian && !(m_outputSigma > 0.0f))
        fail(kWhere, "output_sigma", "expected a number > 0 (needed when the corruption level is 0)");

    m_W0.resize(m_visible, m_hidden);
    modelmath::initUniform(m_W0, seed, streams::kModelInitStream);
    m_b0 = Matrix::Zero(1, m_visible);
    m_b1 = Matrix::Zero(1, m_hidden);
}

nlohmann::json Dae::config() const
{
    nlohmann::json j = {
        {"kind", kind()},
        {"sizes", {m_visible, m_hidden}},
        {"hidden_activation", "sigmoid"},
        {"visible_activation", m_gaussian ? "linear" : "sigmoid"},
        {"reconstruction", m_gaussian ? "gaussian" : "bernoulli"},
        {"loss", m_gaussian ? "squared-error mean over dimensions, summed over walkback pairs"
                            : "binary cross-entropy mean over pixels, summed over walkback pairs"},
        {"tied_weights", true},
        {"corruption", m_corruption.toJson()},
        {"walkback", m_walkback},
        {"walkback_mode", m_geometric ? "geometric" : "fixed"},
    };
    if (m_gaussian)
        j["output_sigma"] = m_outputSigma;
    return j;
}

std::vector<ParamRef> Dae::parameters()
{
    return {{"W0", &m_W0}, {"b0", &m_b0}, {"b1", &m_b1}};
}

void Dae::encodeInto(const Eigen::Ref<const Matrix>& x, Matrix& h) const
{
    h.noalias() = x * m_W0;
    h.rowwise() += m_b1.row(0);
    modelmath::sigmoidInPlace(h);
}

void Dae::decodeInto(const Matrix& h, Matrix& a) const
{
    a.noalias() = h * m_W0.transpose();
    a.rowwise() += m_b0.row(0);
}

void Dae::reconstruct(const Eigen::Ref<const Matrix>& corrupted, Matrix& h, Matrix& a) const
{
    encodeInto(corrupted, h);
    decodeInto(h, a);
}

Matrix Dae::hiddenCode(const Matrix& x) const
{
    if (x.cols() != m_visible)
        fail(kind(), "images", "expected " + std::to_string(m_visible) + " columns, got " + std::to_string(x.cols()));
    Matrix h;
    encodeInto(x, h);
    return h;
}

Matrix Dae::decodeMean(const Matrix& h) const
{
    if (h.cols() != m_hidden)
        fail(kind(), "codes", "expected " + std::to_string(m_hidden) + " columns, got " + std::to_string(h.cols()));
    Matrix a;
    decodeInto(h, a);
    if (!m_gaussian)
        modelmath::sigmoidInPlace(a);
    return a;
}

Matrix Dae::reconstruction(const Matrix& corrupted) const
{
    if (corrupted.cols() != m_visible)
        fail(kind(), "points", "expected " + std::to_string(m_visible) + " columns, got " + std::to_string(corrupted.cols()));
    Matrix h, a;
    reconstruct(corrupted, h, a);
    if (!m_gaussian)
        modelmath::sigmoidInPlace(a);
    return a;
}

Eigen::VectorXd Dae::potential(const Matrix& x, double s) const
{
    if (!m_gaussian)
        fail(kind(), "implied density", "expected a dae-gauss (only its linear reconstruction has a potential here)");
    if (!(s > 0.0) || !std::isfinite(s))
        fail(kind(), "implied density", "expected a score scale s > 0");
    if (x.cols() != m_visible)
        fail(kind(), "points", "expected " + std::to_string(m_visible) + " columns, got " + std::to_string(x.cols()));
    Matrix pre = x * m_W0;
    pre.rowwise() += m_b1.row(0);
    Eigen::VectorXd out(x.rows());
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
        double f = 0.0;
        for (Eigen::Index j = 0; j < pre.cols(); ++j) {
            const double a = pre(i, j);
            f += std::max(a, 0.0) + std::log1p(std::exp(-std::abs(a))); // softplus, without overflow
        }
        for (Eigen::Index k = 0; k < x.cols(); ++k)
            f += double(x(i, k)) * double(m_b0(0, k)) - 0.5 * double(x(i, k)) * double(x(i, k));
        out(i) = f / (s * s);
    }
    return out;
}

void Dae::sampleRow(const float* mean, float* out, Philox& rng) const
{
    if (m_gaussian) {
        normalFill(out, static_cast<std::size_t>(m_visible), rng);
        for (int i = 0; i < m_visible; ++i)
            out[i] = mean[i] + m_outputSigma * out[i];
    } else {
        bernoulliRow(mean, out, static_cast<std::size_t>(m_visible), rng);
    }
}

double Dae::lossAndGradient(const Matrix& batch, const NoiseKey& key, std::vector<Matrix>& grads)
{
    const Eigen::Index B = batch.rows();
    if (B == 0 || batch.cols() != m_visible)
        fail("dae", "batch", "expected shape [B > 0, " + std::to_string(m_visible) + "]");
    if (key.rowStream.size() != static_cast<std::size_t>(B))
        fail("dae", "noise key", "expected one stream id per batch row");

    struct BlockResult {
        double loss = 0.0;
        Matrix gW, gb0, gb1;
    };
    const std::size_t blocks = (static_cast<std::size_t>(B) + modelmath::kRowBlock - 1) / modelmath::kRowBlock;
    std::vector<BlockResult> results(blocks);
    const float invN = 1.0f / static_cast<float>(m_visible);

    parallelFor(static_cast<std::size_t>(B), modelmath::kRowBlock, [&](std::size_t begin, std::size_t end) {
        BlockResult& out = results[begin / modelmath::kRowBlock];
        const Eigen::Index R = static_cast<Eigen::Index>(end - begin);
        const auto X = batch.middleRows(static_cast<Eigen::Index>(begin), R);
        std::vector<Philox> rng;
        rng.reserve(static_cast<std::size_t>(R));
        for (Eigen::Index r = 0; r < R; ++r)
            rng.emplace_back(key.seed, key.rowStream[begin + static_cast<std::size_t>(r)], key.step);

        out.gW = Matrix::Zero(m_visible, m_hidden);
        out.gb0 = Matrix::Zero(1, m_visible);
        out.gb1 = Matrix::Zero(1, m_hidden);
        Matrix xstar = X;
        std::vector<Eigen::Index> active(static_cast<std::size_t>(R));
        std::iota(active.begin(), active.end(), Eigen::Index{0});
        Matrix xt, target, h, a, da, dh;
        for (int step = 0; !active.empty(); ++step) {
            const auto A = static_cast<Eigen::Index>(active.size());
            xt.resize(A, m_visible);
            target.resize(A, m_visible);
            for (Eigen::Index k = 0; k < A; ++k) {
                const Eigen::Index row = active[static_cast<std::size_t>(k)];
                xt.row(k) = xstar.row(row);
                target.row(k) = X.row(row);
                corruptRow(m_corruption, xt.row(k).data(), static_cast<std::size_t>(m_visible),
                           rng[static_cast<std::size_t>(row)]);
            }
            reconstruct(xt, h, a);
            // Output gradient of the per-pair loss (mean over dimensions).
            if (m_gaussian) {
                da = a - target;
                out.loss += static_cast<double>(da.squaredNorm()) * invN;
                da *= 2.0f * invN;
            } else {
                out.loss += modelmath::bceFromLogitsSum(a, target) * invN;
                modelmath::sigmoidInPlace(a); // a now holds p, the mean used for sampling below
                da = (a - target) * invN;
            }
            out.gb0 += da.colwise().sum();
            out.gW.noalias() += da.transpose() * h;
            dh.noalias() = da * m_W0;
            dh.array() *= h.array() * (1.0f - h.array());
            out.gb1 += dh.colwise().sum();
            out.gW.noalias() += xt.transpose() * dh;

            // Walk on: fixed number of pairs, or stop with probability 1/2 after each pair.
            std::vector<Eigen::Index> next;
            for (Eigen::Index k = 0; k < A; ++k) {
                const Eigen::Index row = active[static_cast<std::size_t>(k)];
                Philox& g = rng[static_cast<std::size_t>(row)];
                const bool more = m_geometric ? (step + 1 < kMaxGeometricWalkback && g.uniform() >= 0.5f)
                                              : step + 1 < m_walkback;
                if (!more)
                    continue;
                sampleRow(a.row(k).data(), xstar.row(row).data(), g);
                next.push_back(row);
            }
            active.swap(next);
        }
    });

    grads.resize(3);
    grads[0] = Matrix::Zero(m_visible, m_hidden);
    grads[1] = Matrix::Zero(1, m_visible);
    grads[2] = Matrix::Zero(1, m_hidden);
    double loss = 0.0;
    for (const auto& r : results) { // fixed block order: identical sums on any thread count
        loss += r.loss;
        grads[0] += r.gW;
        grads[1] += r.gb0;
        grads[2] += r.gb1;
    }
    const float invB = 1.0f / static_cast<float>(B);
    for (auto& g : grads)
        g *= invB;
    return loss / static_cast<double>(B);
}

ChainState Dae::startChains(const Matrix& x0) const
{
    if (x0.cols() != m_visible)
        fail("dae", "chain start", "expected " + std::to_string(m_visible) + " columns");
    ChainState s;
    s.x = x0;
    s.mean = x0;
    return s;
}

void Dae::stepChains(ChainState& state, std::uint64_t seed) const
{
    const Eigen::Index C = state.x.rows();
    if (state.x.cols() != m_visible)
        fail("dae", "chain state", "expected " + std::to_string(m_visible) + " columns");
    state.mean.resize(C, m_visible);
    parallelFor(static_cast<std::size_t>(C), modelmath::kRowBlock, [&](std::size_t begin, std::size_t end) {
        const Eigen::Index R = static_cast<Eigen::Index>(end - begin);
        const Eigen::Index b = static_cast<Eigen::Index>(begin);
        std::vector<Philox> rng;
        rng.reserve(static_cast<std::size_t>(R));
        for (Eigen::Index r = 0; r < R; ++r)
            rng.emplace_back(seed, streams::chainStream(static_cast<std::uint64_t>(b + r)), state.step);
        Matrix xt = state.x.middleRows(b, R);
        for (Eigen::Index r = 0; r < R; ++r)
            corruptRow(m_corruption, xt.row(r).data(), static_cast<std::size_t>(m_visible),
                       rng[static_cast<std::size_t>(r)]);
        Matrix h, a;
        reconstruct(xt, h, a);
        if (!m_gaussian)
            modelmath::sigmoidInPlace(a);
        state.mean.middleRows(b, R) = a;
        for (Eigen::Index r = 0; r < R; ++r)
            sampleRow(a.row(r).data(), state.x.row(b + r).data(), rng[static_cast<std::size_t>(r)]);
    });
    ++state.step;
}

} // namespace gsn
