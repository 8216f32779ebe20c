#include "rbm.h"

#include "error.h"
#include "jsonlimits.h"
#include "parallel.h"
#include "random.h"
#include "randomstreams.h"

#include <algorithm>
#include <cmath>

namespace gsn {
namespace {

// Rows per parallel block. Fixed (never derived from the thread count) so that every row's result,
// and the order of every reduction, is the same on any number of threads.
constexpr std::size_t kRowBlock = 16;
// Columns of W per parallel block when forming the weight gradient.
constexpr std::size_t kColBlock = 32;

const char* kWhere = "rbm config";

template <typename Derived>
void sigmoidInPlace(Eigen::MatrixBase<Derived>& x)
{
    x.array() = (1.0f + (-x.array()).exp()).inverse();
}

double softplus(double a)
{
    return std::max(a, 0.0) + std::log1p(std::exp(-std::abs(a)));
}

// out(r, j) = 1 with probability p(r, j), drawing row r's uniforms from rng[r] in column order.
template <typename P, typename O>
void sampleBernoulli(const P& p, O&& out, std::vector<Philox>& rng)
{
    for (Eigen::Index r = 0; r < p.rows(); ++r) {
        Philox& g = rng[static_cast<std::size_t>(r)];
        for (Eigen::Index j = 0; j < p.cols(); ++j)
            out(r, j) = g.uniform() < p(r, j) ? 1.0f : 0.0f;
    }
}

// One generator per row of [begin, end): row r draws from Philox(seed, streamOf(r), step).
template <typename StreamOf>
std::vector<Philox> rowGenerators(std::uint64_t seed, std::uint64_t step, std::size_t begin, std::size_t end,
                                  StreamOf streamOf)
{
    std::vector<Philox> rng;
    rng.reserve(end - begin);
    for (std::size_t r = begin; r < end; ++r)
        rng.emplace_back(seed, streamOf(r), step);
    return rng;
}

// The RBM's parameters as the Gibbs helpers below use them: W [nv, nh], b0 [1, nv], b1 [1, nh].
struct RbmWeights {
    const Matrix& w;
    const Matrix& b0;
    const Matrix& b1;
};

// k Gibbs sweeps h ~ p(h | v), v ~ p(v | h) over the rows of v, in place; row r draws h, then v, from
// rng[r]. CD enters with its first hidden sample drawn and that sample's visible logits in `a`
// (firstHiddenDrawn), so its first sweep begins at the visible draw. shapes: v [n, nv], h [n, nh], a [n, nv]
void gibbsSweeps(Matrix& v, Matrix& h, Matrix& a, int k, bool firstHiddenDrawn, const RbmWeights& rbm,
                 std::vector<Philox>& rng)
{
    Matrix ph(v.rows(), rbm.w.cols());
    for (int step = 0; step < k; ++step) {
        if (step > 0 || !firstHiddenDrawn) {
            ph.noalias() = v * rbm.w;
            ph.rowwise() += rbm.b1.row(0);
            sigmoidInPlace(ph);
            sampleBernoulli(ph, h, rng);
            a.noalias() = h * rbm.w.transpose();
            a.rowwise() += rbm.b0.row(0);
        }
        sigmoidInPlace(a);
        sampleBernoulli(a, v, rng);
    }
}

// The negative phase's statistics for rows [b, b + v.rows()): the visible sample and p(h | v).
void storeNegative(const Matrix& v, Eigen::Index b, const RbmWeights& rbm, Matrix& negV, Matrix& negPh)
{
    auto nph = negPh.middleRows(b, v.rows());
    nph.noalias() = v * rbm.w;
    nph.rowwise() += rbm.b1.row(0);
    sigmoidInPlace(nph);
    negV.middleRows(b, v.rows()) = v;
}

int readInt(const nlohmann::json& config, const char* field, int fallback, int min, int max, bool required)
{
    if (!config.contains(field)) {
        if (required)
            fail(kWhere, field, "missing (expected an integer)");
        return fallback;
    }
    const auto& value = config[field];
    if (!value.is_number_integer())
        fail(kWhere, field, "expected an integer, got " + describeJson(value));
    const auto n = value.get<long long>();
    if (n < min || n > max)
        fail(kWhere, field, "expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "], got "
                                + std::to_string(n));
    return static_cast<int>(n);
}

} // namespace

Rbm::Rbm(const Options& options, std::uint64_t seed)
    : m_options(options)
{
    if (options.visible <= 0 || options.hidden <= 0)
        fail(kWhere, "sizes", "expected two positive layer sizes");
    if (options.cdK <= 0)
        fail(kWhere, "cd_k", "expected a positive integer");
    if (options.persistent && options.pcdChains <= 0)
        fail(kWhere, "pcd_chains", "expected a positive integer");
    const int nv = options.visible;
    const int nh = options.hidden;
    m_w.resize(nv, nh);
    const float bound = 4.0f * std::sqrt(6.0f / static_cast<float>(nv + nh));
    for (int i = 0; i < nv; ++i) {
        // Its own range (issue 11): the key (i, kChainStartStep) used before is chain i's start noise.
        Philox rng(seed, streams::kRbmInitStream + static_cast<std::uint64_t>(i), streams::kModelInitStep);
        for (int j = 0; j < nh; ++j)
            m_w(i, j) = (2.0f * rng.uniform() - 1.0f) * bound;
    }
    m_b0 = Matrix::Zero(1, nv);
    m_b1 = Matrix::Zero(1, nh);
    if (options.persistent) {
        m_pcd.resize(options.pcdChains, nv);
        for (int c = 0; c < options.pcdChains; ++c) {
            Philox rng(seed, pcdStream(static_cast<std::uint64_t>(c)), streams::kChainStartStep);
            for (int i = 0; i < nv; ++i)
                m_pcd(c, i) = rng.uniform() < 0.5f ? 1.0f : 0.0f;
        }
    }
}

std::unique_ptr<Rbm> Rbm::fromConfig(const nlohmann::json& config, std::uint64_t seed)
{
    if (!config.is_object())
        fail(kWhere, "", "expected a JSON object");
    if (!config.contains("kind") || config["kind"] != "rbm")
        fail(kWhere, "kind", "expected \"rbm\"");
    if (!config.contains("sizes") || !config["sizes"].is_array() || config["sizes"].size() != 2)
        fail(kWhere, "sizes", "expected [n_visible, n_hidden]");
    Options options;
    const auto& sizes = config["sizes"];
    for (int i = 0; i < 2; ++i) {
        if (!sizes[i].is_number_integer() || sizes[i].get<long long>() < 1 || sizes[i].get<long long>() > 100000)
            fail(kWhere, "sizes", "expected integers in [1, 100000], got " + describeJson(sizes));
    }
    options.visible = sizes[0].get<int>();
    options.hidden = sizes[1].get<int>();
    if (static_cast<long long>(options.visible) * options.hidden > kMaxModelWeights)
        fail(kWhere, "sizes", "expected at most " + std::to_string(kMaxModelWeights) + " weights, got " + describeJson(sizes));
    options.cdK = readInt(config, "cd_k", 1, 1, 10000, false);
    if (config.contains("persistent")) {
        if (!config["persistent"].is_boolean())
            fail(kWhere, "persistent", "expected true or false, got " + describeJson(config["persistent"]));
        options.persistent = config["persistent"].get<bool>();
    }
    options.pcdChains = readInt(config, "pcd_chains", 100, 1, 100000, false);
    if (options.persistent && static_cast<long long>(options.pcdChains) * options.visible > kMaxModelWeights)
        fail(kWhere, "pcd_chains", "expected pcd_chains x n_visible <= " + std::to_string(kMaxModelWeights) + ", got " +
                                       std::to_string(options.pcdChains) + " x " + std::to_string(options.visible));
    return std::make_unique<Rbm>(options, seed);
}

nlohmann::json Rbm::config() const
{
    nlohmann::json j;
    j["kind"] = "rbm";
    j["sizes"] = {m_options.visible, m_options.hidden};
    j["cd_k"] = m_options.cdK;
    j["persistent"] = m_options.persistent;
    j["pcd_chains"] = m_options.pcdChains;
    return j;
}

std::vector<ParamRef> Rbm::parameters()
{
    std::vector<ParamRef> params{{"W0", &m_w}, {"b0", &m_b0}, {"b1", &m_b1}};
    if (m_options.persistent)
        params.push_back({"pcd_v", &m_pcd});
    return params;
}

std::unique_ptr<Model> Rbm::clone() const
{
    return std::make_unique<Rbm>(*this);
}

double Rbm::lossAndGradient(const Matrix& batch, const NoiseKey& key, std::vector<Matrix>& grads)
{
    const Eigen::Index rows = batch.rows();
    const int nv = m_options.visible;
    const int nh = m_options.hidden;
    if (rows == 0)
        fail("rbm", "batch", "expected at least one row");
    if (batch.cols() != nv)
        fail("rbm", "batch", "expected " + std::to_string(nv) + " columns, got " + std::to_string(batch.cols()));
    if (key.rowStream.size() != static_cast<std::size_t>(rows))
        fail("rbm", "noise key", "expected one stream per batch row");

    const int k = m_options.cdK;
    const bool persistent = m_options.persistent;
    const RbmWeights rbm{m_w, m_b0, m_b1};
    Matrix ph0(rows, nh);
    std::vector<double> rowLoss(static_cast<std::size_t>(rows));
    Matrix negV;
    Matrix negPh;
    if (!persistent) {
        negV.resize(rows, nv);
        negPh.resize(rows, nh);
    }

    // Positive phase, reconstruction loss and (for CD) the negative chain started at the data.
    // Row r draws, in order: h0, v1, h1, ..., v_k from Philox(seed, rowStream[r], step).
    parallelFor(static_cast<std::size_t>(rows), kRowBlock, [&](std::size_t begin, std::size_t end) {
        const auto n = static_cast<Eigen::Index>(end - begin);
        const auto b = static_cast<Eigen::Index>(begin);
        std::vector<Philox> rng =
            rowGenerators(key.seed, key.step, begin, end, [&](std::size_t r) { return key.rowStream[r]; });
        const auto v0 = batch.middleRows(b, n);
        auto p = ph0.middleRows(b, n);
        p.noalias() = v0 * m_w;
        p.rowwise() += m_b1.row(0);
        sigmoidInPlace(p);
        Matrix h(n, nh);
        sampleBernoulli(p, h, rng);
        Matrix a(n, nv);
        a.noalias() = h * m_w.transpose();
        a.rowwise() += m_b0.row(0);
        // Cross-entropy with logits: -[v log s(a) + (1-v) log(1-s(a))] = softplus(a) - v a.
        for (Eigen::Index r = 0; r < n; ++r) {
            double l = 0.0;
            for (Eigen::Index i = 0; i < nv; ++i)
                l += softplus(a(r, i)) - static_cast<double>(v0(r, i)) * a(r, i);
            rowLoss[begin + static_cast<std::size_t>(r)] = l;
        }
        if (persistent)
            return;
        Matrix v(n, nv);
        gibbsSweeps(v, h, a, k, true, rbm, rng);
        storeNegative(v, b, rbm, negV, negPh);
    });

    if (persistent) {
        // PCD: the persistent chains advance k Gibbs steps; chain j draws h, v, h, v, ... from
        // Philox(seed, pcdStream(j), step).
        const Eigen::Index chains = m_pcd.rows();
        negV.resize(chains, nv);
        negPh.resize(chains, nh);
        parallelFor(static_cast<std::size_t>(chains), kRowBlock, [&](std::size_t begin, std::size_t end) {
            const auto n = static_cast<Eigen::Index>(end - begin);
            const auto b = static_cast<Eigen::Index>(begin);
            std::vector<Philox> rng =
                rowGenerators(key.seed, key.step, begin, end, [&](std::size_t c) { return pcdStream(c); });
            Matrix v = m_pcd.middleRows(b, n);
            Matrix h(n, nh);
            Matrix a(n, nv);
            gibbsSweeps(v, h, a, k, false, rbm, rng);
            storeNegative(v, b, rbm, negV, negPh);
            m_pcd.middleRows(b, n) = v;
        });
    }

    // Gradient of the mean NLL: -(<v h>_data - <v h>_model), split over column blocks of W so each
    // block is one deterministic product.
    grads.resize(persistent ? 4 : 3);
    grads[0].resize(nv, nh);
    const float posScale = 1.0f / static_cast<float>(rows);
    const float negScale = 1.0f / static_cast<float>(negV.rows());
    parallelFor(static_cast<std::size_t>(nh), kColBlock, [&](std::size_t begin, std::size_t end) {
        const auto n = static_cast<Eigen::Index>(end - begin);
        const auto b = static_cast<Eigen::Index>(begin);
        auto g = grads[0].middleCols(b, n);
        g.noalias() = (negScale * negV.transpose()) * negPh.middleCols(b, n);
        g.noalias() -= (posScale * batch.transpose()) * ph0.middleCols(b, n);
    });
    grads[1] = negV.colwise().mean() - batch.colwise().mean();
    grads[2] = negPh.colwise().mean() - ph0.colwise().mean();
    if (persistent)
        grads[3] = Matrix::Zero(m_pcd.rows(), nv);

    double total = 0.0;
    for (double l : rowLoss)
        total += l;
    return total / static_cast<double>(rows);
}

ChainState Rbm::startChains(const Matrix& x0) const
{
    if (x0.cols() != m_options.visible)
        fail("rbm", "chain start", "expected " + std::to_string(m_options.visible) + " columns, got "
                                       + std::to_string(x0.cols()));
    ChainState state;
    state.x = x0;
    state.mean = x0;
    state.h.push_back(Matrix::Zero(x0.rows(), m_options.hidden));
    state.step = 0;
    return state;
}

void Rbm::stepChains(ChainState& state, std::uint64_t seed) const
{
    const auto chains = static_cast<std::size_t>(state.x.rows());
    std::vector<std::uint64_t> streams(chains);
    for (std::size_t c = 0; c < chains; ++c)
        streams[c] = streams::chainStream(c);
    if (state.h.empty())
        state.h.emplace_back();
    gibbsSweep(state.x, state.h[0], state.mean, {}, streams, seed, state.step);
    ++state.step;
}

void Rbm::gibbsSweep(Matrix& v, Matrix& h, Matrix& mean, const std::vector<float>& beta,
                     const std::vector<std::uint64_t>& streams, std::uint64_t seed, std::uint64_t step,
                     const Matrix* clampMask, const Matrix* clampValues, std::vector<double>* energy) const
{
    const Eigen::Index rows = v.rows();
    const int nv = m_options.visible;
    const int nh = m_options.hidden;
    if (v.cols() != nv)
        fail("rbm", "chain state", "expected " + std::to_string(nv) + " columns, got " + std::to_string(v.cols()));
    if (streams.size() != static_cast<std::size_t>(rows) || (!beta.empty() && beta.size() != streams.size()))
        fail("rbm", "gibbs sweep", "expected one stream (and beta) per row");
    const bool clamped = clampMask != nullptr && clampValues != nullptr;
    if (clamped
        && (clampMask->cols() != nv || clampValues->cols() != nv || clampMask->rows() != clampValues->rows()
            || clampMask->rows() == 0))
        fail("rbm", "clamp", "expected mask and values of the same shape [m, " + std::to_string(nv) + "]");
    h.resize(rows, nh);
    mean.resize(rows, nv);
    if (energy)
        energy->assign(static_cast<std::size_t>(rows), 0.0);

    parallelFor(static_cast<std::size_t>(rows), kRowBlock, [&](std::size_t begin, std::size_t end) {
        const auto n = static_cast<Eigen::Index>(end - begin);
        const auto b = static_cast<Eigen::Index>(begin);
        std::vector<Philox> rng = rowGenerators(seed, step, begin, end, [&](std::size_t r) { return streams[r]; });
        auto vb = v.middleRows(b, n);
        auto hb = h.middleRows(b, n);
        auto mb = mean.middleRows(b, n);
        Matrix pre(n, nh);
        pre.noalias() = vb * m_w;
        pre.rowwise() += m_b1.row(0);
        if (!beta.empty()) {
            for (Eigen::Index r = 0; r < n; ++r)
                pre.row(r) *= beta[begin + static_cast<std::size_t>(r)];
        }
        sigmoidInPlace(pre);
        sampleBernoulli(pre, hb, rng);
        Matrix a(n, nv); // h W^T + b0, unscaled: also gives the energy
        a.noalias() = hb * m_w.transpose();
        a.rowwise() += m_b0.row(0);
        mb = a;
        if (!beta.empty()) {
            for (Eigen::Index r = 0; r < n; ++r)
                mb.row(r) *= beta[begin + static_cast<std::size_t>(r)];
        }
        sigmoidInPlace(mb);
        sampleBernoulli(mb, vb, rng);
        if (clamped) {
            const Eigen::Index m = clampMask->rows();
            for (Eigen::Index r = 0; r < n; ++r) {
                const Eigen::Index cr = (b + r) % m;
                for (Eigen::Index i = 0; i < nv; ++i) {
                    if ((*clampMask)(cr, i) > 0.5f) {
                        vb(r, i) = (*clampValues)(cr, i);
                        mb(r, i) = (*clampValues)(cr, i);
                    }
                }
            }
        }
        if (energy) {
            // E(v, h) = -v.(W h + b0) - h.b1
            for (Eigen::Index r = 0; r < n; ++r) {
                double e = 0.0;
                for (Eigen::Index i = 0; i < nv; ++i)
                    e -= static_cast<double>(vb(r, i)) * a(r, i);
                for (Eigen::Index j = 0; j < nh; ++j)
                    e -= static_cast<double>(hb(r, j)) * m_b1(0, j);
                (*energy)[begin + static_cast<std::size_t>(r)] = e;
            }
        }
    });
}

std::vector<double> Rbm::energy(const Matrix& v, const Matrix& h) const
{
    if (v.cols() != m_options.visible || h.cols() != m_options.hidden || v.rows() != h.rows())
        fail("rbm", "energy", "expected v [n, n_visible] and h [n, n_hidden]");
    const Eigen::MatrixXd vd = v.cast<double>();
    const Eigen::MatrixXd hd = h.cast<double>();
    const Eigen::MatrixXd wd = m_w.cast<double>();
    const Eigen::VectorXd e = -(vd * m_b0.cast<double>().transpose()) - hd * m_b1.cast<double>().transpose()
                              - ((vd * wd).cwiseProduct(hd)).rowwise().sum();
    return {e.data(), e.data() + e.size()};
}

std::vector<double> Rbm::freeEnergy(const Matrix& v) const
{
    if (v.cols() != m_options.visible)
        fail("rbm", "free energy", "expected v [n, n_visible]");
    const Eigen::MatrixXd vd = v.cast<double>();
    Eigen::MatrixXd pre = vd * m_w.cast<double>();
    pre.rowwise() += m_b1.cast<double>().row(0);
    const Eigen::VectorXd vb = vd * m_b0.cast<double>().transpose();
    std::vector<double> f(static_cast<std::size_t>(v.rows()));
    for (Eigen::Index r = 0; r < v.rows(); ++r) {
        double s = 0.0;
        for (Eigen::Index j = 0; j < pre.cols(); ++j)
            s += softplus(pre(r, j));
        f[static_cast<std::size_t>(r)] = -vb(r) - s;
    }
    return f;
}

RowVector Rbm::stateOf(std::uint64_t index, int visible)
{
    RowVector v(visible);
    for (int i = 0; i < visible; ++i)
        v(i) = ((index >> i) & 1u) ? 1.0f : 0.0f;
    return v;
}

std::uint64_t Rbm::indexOf(const float* v, int visible)
{
    std::uint64_t index = 0;
    for (int i = 0; i < visible; ++i) {
        if (v[i] > 0.5f)
            index |= std::uint64_t{1} << i;
    }
    return index;
}

namespace {

// log sum_s exp(s.bias + sum_j softplus(s W + c)_j) over all binary s of length W.rows(): the
// unnormalised log-marginal of one layer, enumerated in chunks. (With W = W0, bias = b0, c = b1 this
// enumerates v; with W = W0^T, bias = b1, c = b0 it enumerates h.)
std::vector<double> layerLogMarginals(const Eigen::MatrixXd& w, const Eigen::VectorXd& bias, const Eigen::VectorXd& c)
{
    const int n = static_cast<int>(w.rows());
    const std::uint64_t states = std::uint64_t{1} << n;
    std::vector<double> out(states);
    constexpr std::uint64_t chunk = 4096;
    for (std::uint64_t start = 0; start < states; start += chunk) {
        const std::uint64_t count = std::min(chunk, states - start);
        Eigen::MatrixXd s(static_cast<Eigen::Index>(count), n);
        for (std::uint64_t r = 0; r < count; ++r)
            for (int i = 0; i < n; ++i)
                s(static_cast<Eigen::Index>(r), i) = (((start + r) >> i) & 1u) ? 1.0 : 0.0;
        Eigen::MatrixXd pre = s * w;
        pre.rowwise() += c.transpose();
        const Eigen::VectorXd lin = s * bias;
        for (std::uint64_t r = 0; r < count; ++r) {
            double l = lin(static_cast<Eigen::Index>(r));
            for (Eigen::Index j = 0; j < pre.cols(); ++j)
                l += softplus(pre(static_cast<Eigen::Index>(r), j));
            out[start + r] = l;
        }
    }
    return out;
}

double logSumExp(const std::vector<double>& x)
{
    const double m = *std::max_element(x.begin(), x.end());
    double s = 0.0;
    for (double v : x)
        s += std::exp(v - m);
    return m + std::log(s);
}

} // namespace

double Rbm::logPartition() const
{
    const int nv = m_options.visible;
    const int nh = m_options.hidden;
    if (std::min(nv, nh) > 24)
        fail("rbm", "log partition", "exact enumeration needs a layer of at most 24 units");
    const Eigen::MatrixXd w = m_w.cast<double>();
    const Eigen::VectorXd b0 = m_b0.cast<double>().transpose();
    const Eigen::VectorXd b1 = m_b1.cast<double>().transpose();
    if (nv <= nh)
        return logSumExp(layerLogMarginals(w, b0, b1));
    return logSumExp(layerLogMarginals(w.transpose(), b1, b0));
}

std::vector<double> Rbm::exactLogProbabilities() const
{
    if (m_options.visible > 20)
        fail("rbm", "exact probabilities", "needs at most 20 visible units");
    const Eigen::VectorXd b0 = m_b0.cast<double>().transpose();
    const Eigen::VectorXd b1 = m_b1.cast<double>().transpose();
    std::vector<double> l = layerLogMarginals(m_w.cast<double>(), b0, b1);
    const double z = logSumExp(l);
    for (double& x : l)
        x -= z;
    return l;
}

double Rbm::exactLogLikelihood(const Matrix& data) const
{
    const std::vector<double> f = freeEnergy(data);
    const double z = logPartition();
    double s = 0.0;
    for (double x : f)
        s += -x - z;
    return s / static_cast<double>(data.rows());
}

std::vector<Matrix> Rbm::exactGradient(const Matrix& data) const
{
    const int nv = m_options.visible;
    const int nh = m_options.hidden;
    const std::vector<double> logp = exactLogProbabilities();
    const Eigen::MatrixXd w = m_w.cast<double>();
    const Eigen::RowVectorXd b1 = m_b1.cast<double>().row(0);

    auto hiddenMeans = [&](const Eigen::MatrixXd& v) {
        Eigen::MatrixXd p = v * w;
        p.rowwise() += b1;
        return Eigen::MatrixXd((1.0 + (-p.array()).exp()).inverse());
    };
    // Data term.
    const Eigen::MatrixXd vd = data.cast<double>();
    const Eigen::MatrixXd phd = hiddenMeans(vd);
    const double n = static_cast<double>(data.rows());
    Eigen::MatrixXd gw = -(vd.transpose() * phd) / n;
    Eigen::RowVectorXd gb0 = -vd.colwise().sum() / n;
    Eigen::RowVectorXd gb1 = -phd.colwise().sum() / n;
    // Model term: sum over every visible state weighted by its exact probability.
    const std::uint64_t states = std::uint64_t{1} << nv;
    Eigen::MatrixXd s(static_cast<Eigen::Index>(states), nv);
    Eigen::VectorXd p(static_cast<Eigen::Index>(states));
    for (std::uint64_t r = 0; r < states; ++r) {
        for (int i = 0; i < nv; ++i)
            s(static_cast<Eigen::Index>(r), i) = ((r >> i) & 1u) ? 1.0 : 0.0;
        p(static_cast<Eigen::Index>(r)) = std::exp(logp[r]);
    }
    const Eigen::MatrixXd phs = hiddenMeans(s);
    gw += s.transpose() * p.asDiagonal() * phs;
    gb0 += p.transpose() * s;
    gb1 += p.transpose() * phs;
    std::vector<Matrix> grads(3);
    grads[0] = gw.cast<float>();
    grads[1] = gb0.cast<float>();
    grads[2] = gb1.cast<float>();
    (void)nh;
    return grads;
}

} // namespace gsn
