#include "gsnk.h"

#include "error.h"
#include "gemmkernel.h"
#include "modelmath.h"
#include "parallel.h"
#include "randomstreams.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>
#if defined(__F16C__)
#include <immintrin.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#endif

namespace gsn {
namespace {

constexpr const char* kWhere = "model config";
// Up to this many rows (chains), x W0 is summed over the non-zero pixels instead of a BLAS product.
constexpr Eigen::Index kSparseRows = 4;

using PairList = std::vector<std::pair<const Matrix*, const Matrix*>>;

// The columns of x W0 computed together by sparseBinaryProduct: a panel of W0 (n_visible x kPanel
// floats, 400 KB at 784 x 128) stays in L2 while every chain's sums are made, and a chain's sums of
// the panel stay in registers (8 zmm with AVX-512 at 128 columns; 8 ymm without, at 64 columns).
using Lanes = float __attribute__((vector_size(64))); // 16 floats: one zmm, or two ymm without AVX-512
constexpr Eigen::Index kLanes = 16;
#if defined(__AVX512F__)
constexpr Eigen::Index kPanelVectors = 8;
#else
constexpr Eigen::Index kPanelVectors = 4;
#endif
constexpr Eigen::Index kPanel = kPanelVectors * kLanes;

#if defined(__F16C__) && defined(__FMA__) && defined(__AVX2__)
constexpr bool kHaveF16 = true;
// AVX-512 (F, BW, VL) converts and multiplies 16 halves per instruction where AVX2 + F16C does 8.
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
#define GSN_HALF_AVX512 1
#else
#define GSN_HALF_AVX512 0
#endif

std::vector<std::uint16_t> toHalf(const Matrix& w)
{
    const Eigen::Index n = w.size();
    std::vector<std::uint16_t> out(static_cast<std::size_t>(n));
    Eigen::Index i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out.data() + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(w.data() + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; ++i)
        out[static_cast<std::size_t>(i)] = _cvtss_sh(w.data()[i], _MM_FROUND_TO_NEAREST_INT);
    return out;
}

inline __m256 load8(const std::uint16_t* p)
{
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

#if GSN_HALF_AVX512
inline __m512 load16(const std::uint16_t* p)
{
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}
#endif

inline float hsum(__m256 v)
{
    const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(t, _mm_movehdup_ps(t)));
}

// out(r, j) (+)= sum_k a(r, k) W(j, k), W = half [nOut, depth] row-major: a W^T by dot products, rows j
// in parallel blocks.
void halfTimesTransposed(const Matrix& a, const std::uint16_t* W, Eigen::Index nOut, Matrix& out, bool accumulate)
{
    const Eigen::Index R = a.rows(), depth = a.cols();
    if (!accumulate)
        out.resize(R, nOut);
    parallelFor(static_cast<std::size_t>(nOut), 128, [&](std::size_t begin, std::size_t end) {
        for (auto j = static_cast<Eigen::Index>(begin); j < static_cast<Eigen::Index>(end); ++j) {
            const std::uint16_t* w = W + j * depth;
            for (Eigen::Index r = 0; r < R; ++r) {
                const float* x = a.data() + r * depth;
                __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
                Eigen::Index k = 0;
#if GSN_HALF_AVX512
                // The same 32 partial sums as the 8-wide loop below (lanes 0-15 = acc0, acc1; 16-31 = acc2,
                // acc3), with half the conversions and loads: the result is bit-identical on both kinds.
                __m512 lo = _mm512_setzero_ps(), hi = lo;
                for (; k + 32 <= depth; k += 32) {
                    lo = _mm512_fmadd_ps(_mm512_loadu_ps(x + k), load16(w + k), lo);
                    hi = _mm512_fmadd_ps(_mm512_loadu_ps(x + k + 16), load16(w + k + 16), hi);
                }
                acc0 = _mm512_castps512_ps256(lo);
                acc1 = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(lo), 1));
                acc2 = _mm512_castps512_ps256(hi);
                acc3 = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(hi), 1));
#endif
                for (; k + 32 <= depth; k += 32) {
                    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + k), load8(w + k), acc0);
                    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + k + 8), load8(w + k + 8), acc1);
                    acc2 = _mm256_fmadd_ps(_mm256_loadu_ps(x + k + 16), load8(w + k + 16), acc2);
                    acc3 = _mm256_fmadd_ps(_mm256_loadu_ps(x + k + 24), load8(w + k + 24), acc3);
                }
                for (; k + 8 <= depth; k += 8)
                    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + k), load8(w + k), acc0);
                float sum = hsum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
                for (; k < depth; ++k)
                    sum += x[k] * _cvtsh_ss(w[k]);
                float& o = out(r, j);
                o = accumulate ? o + sum : sum;
            }
        }
    });
}

// out(r, j) = sum_k a(r, k) W(k, j), W = half [depth, nOut] row-major: the rows of W scaled by a(r, k) and
// summed per panel of 64 columns (8 ymm accumulators); rows where a(r, k) = 0 are skipped, so a binary
// x reads only its active rows. Panels in parallel.
void halfTimes(const Matrix& a, const std::uint16_t* W, Eigen::Index nOut, Matrix& out)
{
#if GSN_HALF_AVX512
    // 128 columns in 8 zmm: every column's sum is made in the same order as with 8 ymm (bit-identical).
    constexpr Eigen::Index kHalfPanel = 128;
#else
    constexpr Eigen::Index kHalfPanel = 64;
#endif
    const Eigen::Index R = a.rows(), depth = a.cols();
    out.resize(R, nOut);
    const auto panels = static_cast<std::size_t>((nOut + kHalfPanel - 1) / kHalfPanel);
    parallelFor(panels, 1, [&](std::size_t begin, std::size_t end) {
        for (auto p = static_cast<Eigen::Index>(begin); p < static_cast<Eigen::Index>(end); ++p) {
            const Eigen::Index j0 = p * kHalfPanel;
            const Eigen::Index width = std::min(kHalfPanel, nOut - j0);
            for (Eigen::Index r = 0; r < R; ++r) {
                const float* x = a.data() + r * depth;
                float* o = out.data() + r * nOut + j0;
                if (width == kHalfPanel) {
#if GSN_HALF_AVX512
                    __m512 acc[8];
                    for (auto& v : acc)
                        v = _mm512_setzero_ps();
                    for (Eigen::Index k = 0; k < depth; ++k) {
                        if (x[k] == 0.0f)
                            continue;
                        const __m512 v = _mm512_set1_ps(x[k]);
                        const std::uint16_t* w = W + k * nOut + j0;
#pragma GCC unroll 8
                        for (int q = 0; q < 8; ++q)
                            acc[q] = _mm512_fmadd_ps(v, load16(w + 16 * q), acc[q]);
                    }
                    for (int q = 0; q < 8; ++q)
                        _mm512_storeu_ps(o + 16 * q, acc[q]);
#else
                    __m256 acc[8];
                    for (auto& v : acc)
                        v = _mm256_setzero_ps();
                    for (Eigen::Index k = 0; k < depth; ++k) {
                        if (x[k] == 0.0f)
                            continue;
                        const __m256 v = _mm256_set1_ps(x[k]);
                        const std::uint16_t* w = W + k * nOut + j0;
#pragma GCC unroll 8
                        for (int q = 0; q < 8; ++q)
                            acc[q] = _mm256_fmadd_ps(v, load8(w + 8 * q), acc[q]);
                    }
                    for (int q = 0; q < 8; ++q)
                        _mm256_storeu_ps(o + 8 * q, acc[q]);
#endif
                } else {
#if GSN_HALF_AVX512
                    // The last, narrower panel: masked loads and stores of the columns past its end.
                    const int vectors = static_cast<int>((width + 15) / 16);
                    const auto tail = static_cast<__mmask16>(width % 16 == 0 ? 0xFFFFu : (1u << (width % 16)) - 1u);
                    __m512 acc[8];
                    for (auto& v : acc)
                        v = _mm512_setzero_ps();
                    for (Eigen::Index k = 0; k < depth; ++k) {
                        if (x[k] == 0.0f)
                            continue;
                        const __m512 v = _mm512_set1_ps(x[k]);
                        const std::uint16_t* w = W + k * nOut + j0;
                        for (int q = 0; q < vectors; ++q) {
                            const __mmask16 m = q + 1 == vectors ? tail : static_cast<__mmask16>(0xFFFFu);
                            acc[q] = _mm512_fmadd_ps(v, _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, w + 16 * q)), acc[q]);
                        }
                    }
                    for (int q = 0; q < vectors; ++q)
                        _mm512_mask_storeu_ps(o + 16 * q, q + 1 == vectors ? tail : static_cast<__mmask16>(0xFFFFu), acc[q]);
#else
                    std::fill(o, o + width, 0.0f);
                    for (Eigen::Index k = 0; k < depth; ++k) {
                        if (x[k] == 0.0f)
                            continue;
                        const std::uint16_t* w = W + k * nOut + j0;
                        for (Eigen::Index j = 0; j < width; ++j)
                            o[j] += x[k] * _cvtsh_ss(w[j]);
                    }
#endif
                }
            }
        }
    });
}
#else
constexpr bool kHaveF16 = false;
#endif

// CSR lists of the entries equal to 1 in each row of x: row r's are indices[offsets[r] .. offsets[r + 1]),
// ascending. False (lists unusable) as soon as an entry is neither 0 nor 1.
bool binaryActive(const Matrix& x, std::vector<int>& indices, std::vector<Eigen::Index>& offsets)
{
    indices.clear();
    indices.reserve(static_cast<std::size_t>(x.size()));
    offsets.assign(1, 0);
    const auto d = static_cast<int>(x.cols());
    for (Eigen::Index r = 0; r < x.rows(); ++r) {
        const float* row = x.row(r).data();
        for (int k = 0; k < d; ++k) {
            if (row[k] == 1.0f)
                indices.push_back(k);
            else if (row[k] != 0.0f)
                return false;
        }
        offsets.push_back(static_cast<Eigen::Index>(indices.size()));
    }
    return true;
}

// L(r, j) = the float sum, from 0 and in ascending k, of W(k, j) over the k where row r of x is 1: x W
// for a binary x, reading only the active rows of W (about a third after salt-and-pepper). Each
// element is the same sum in the same order as adding the active rows one by one (the per-row loop
// used for up to 4 chains before), so it is bit-identical to that loop; it differs from a GEMM only
// in the summation order (last bits). Panels of columns run in parallel; each element is made by
// one task, so the result does not depend on the thread count.
void sparseBinaryProduct(const Matrix& W, const std::vector<int>& indices, const std::vector<Eigen::Index>& offsets,
                         Matrix& L)
{
    const auto R = static_cast<Eigen::Index>(offsets.size()) - 1;
    const Eigen::Index n = W.cols();
    L.resize(R, n);
    const auto panels = static_cast<std::size_t>((n + kPanel - 1) / kPanel);
    parallelFor(panels, 1, [&](std::size_t begin, std::size_t end) {
        for (auto p = static_cast<Eigen::Index>(begin); p < static_cast<Eigen::Index>(end); ++p) {
            const Eigen::Index j0 = p * kPanel;
            const Eigen::Index w = std::min(kPanel, n - j0);
            for (Eigen::Index r = 0; r < R; ++r) {
                const int* active = indices.data() + offsets[r];
                const Eigen::Index count = offsets[r + 1] - offsets[r];
                float* out = L.data() + r * n + j0;
                if (w == kPanel) {
                    Lanes acc[kPanelVectors];
                    for (auto& a : acc)
                        a = Lanes{};
                    for (Eigen::Index t = 0; t < count; ++t) {
                        const float* src = W.data() + static_cast<Eigen::Index>(active[t]) * n + j0;
#pragma GCC unroll 8
                        for (Eigen::Index v = 0; v < kPanelVectors; ++v) {
                            Lanes x;
                            std::memcpy(&x, src + v * kLanes, sizeof x);
                            acc[v] += x;
                        }
                    }
                    for (Eigen::Index v = 0; v < kPanelVectors; ++v)
                        std::memcpy(out + v * kLanes, &acc[v], sizeof acc[v]);
                } else {
                    std::fill(out, out + w, 0.0f);
                    for (Eigen::Index t = 0; t < count; ++t) {
                        const float* src = W.data() + static_cast<Eigen::Index>(active[t]) * n + j0;
                        for (Eigen::Index j = 0; j < w; ++j)
                            out[j] += src[j];
                    }
                }
            }
        }
    });
}

// out = sum_k left_k^T right_k as one product over the stacked rows: one large GEMM instead of one
// small GEMM per update (the weight gradients do not feed anything, so they can wait).
void stackedProduct(const PairList& pairs, Matrix& out)
{
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
    modelmath::product(out, left, true, right, false, false);
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
    long long weights = 0;
    for (int i = 0; i < m_K; ++i)
        weights += static_cast<long long>(m_sizes[i]) * m_sizes[i + 1];
    if (weights > kMaxModelWeights)
        fail(kWhere, "sizes", "expected at most " + std::to_string(kMaxModelWeights) + " weights, got " +
                                  std::to_string(weights) + " (" + nlohmann::json(m_sizes).dump() + ")");
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
        modelmath::initUniform(m_W[i], seed, streams::kModelInitStream + static_cast<std::uint64_t>(i));
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

bool GsnK::setHalfPrecisionSampling(bool on)
{
    m_half.reset();
    if (!on || !kHaveF16)
        return false;
#if defined(__F16C__) && defined(__FMA__) && defined(__AVX2__)
    // CPUID leaf 1, ECX: bit 12 FMA, bit 29 F16C (clang 14's __builtin_cpu_supports knows no "f16c").
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 12)) || !(ecx & (1u << 29)))
        return false;
    auto half = std::make_shared<std::vector<std::vector<std::uint16_t>>>();
    for (const Matrix& w : m_W)
        half->push_back(toHalf(w));
    m_half = std::move(half);
#endif
    return true;
}

struct GsnK::PackedWeights {
    std::vector<modelmath::PackedMatrix> plain;      // plain[i]: op(B) = W_i (for h_i W_i)
    std::vector<modelmath::PackedMatrix> transposed; // transposed[i]: op(B) = W_i^T (for h_{i+1} W_i^T)
};

std::shared_ptr<const GsnK::PackedWeights> GsnK::packedWeights(Eigen::Index rows) const
{
    if (!gemm::kAvailable || !m_packedOn || rows < kPackedChains || useHalf(rows))
        return nullptr; // the half-precision copies, where switched on, keep their chains (up to kHalfChains)
    std::lock_guard lock(m_packed.mutex);
    if (!m_packed.weights) {
        auto packed = std::make_shared<PackedWeights>();
        for (const Matrix& w : m_W) {
            packed->plain.push_back(modelmath::packForProduct(w, false));
            packed->transposed.push_back(modelmath::packForProduct(w, true));
        }
        m_packed.weights = std::move(packed);
    }
    return m_packed.weights;
}

std::vector<ParamRef> GsnK::parameters()
{
    m_half.reset(); // the caller may change the weights: the half and packed copies would be stale
    {
        std::lock_guard lock(m_packed.mutex);
        m_packed.weights.reset();
    }
    std::vector<ParamRef> out;
    for (int i = 0; i < m_K; ++i)
        out.push_back({"W" + std::to_string(i), &m_W[i]});
    for (int i = 0; i <= m_K; ++i)
        out.push_back({"b" + std::to_string(i), &m_b[i]});
    return out;
}

void GsnK::hiddenLayer(int i, const Matrix* below, const Matrix* above, std::vector<Philox>& rng, Matrix& T,
                       Matrix& L, ChainScratch* scratch, bool noiseOff, const PackedWeights* packed) const
{
    const auto R = static_cast<Eigen::Index>(rng.size());
    const Eigen::Index n = m_sizes[i];
    const bool rowSums = m_chainInput == ChainInput::Sparse || (m_chainInput == ChainInput::Auto && R <= kSparseChains);
#if defined(__F16C__) && defined(__FMA__) && defined(__AVX2__)
    const bool half = scratch && useHalf(R);
#else
    const bool half = false;
#endif
    if (half) {
#if defined(__F16C__) && defined(__FMA__) && defined(__AVX2__)
        if (below)
            halfTimes(*below, (*m_half)[static_cast<std::size_t>(i - 1)].data(), n, L);
        else
            L.setZero(R, n);
        if (above)
            halfTimesTransposed(*above, (*m_half)[static_cast<std::size_t>(i)].data(), n, L, true);
#endif
    } else if (below && i == 1 && scratch && rowSums && binaryActive(*below, scratch->indices, scratch->offsets)) {
        sparseBinaryProduct(m_W[0], scratch->indices, scratch->offsets, L);
    } else if (below && i == 1 && R <= kSparseRows) {
        // A few chains: x is mostly 0 (salt-and-pepper of a Bernoulli sample), so x W0 is a sum of
        // the rows of W0 where x is non-zero, about a third of W0 instead of all of it.
        L.setZero(R, n);
        for (Eigen::Index r = 0; r < R; ++r)
            for (Eigen::Index k = 0; k < below->cols(); ++k)
                if (const float v = (*below)(r, k); v != 0.0f)
                    L.row(r) += v * m_W[0].row(k);
    } else if (below && packed) {
        modelmath::packedProduct(L, *below, packed->plain[static_cast<std::size_t>(i - 1)], false);
    } else if (below) {
        modelmath::product(L, *below, false, m_W[i - 1], false, false);
    } else {
        L.setZero(R, n);
    }
    if (above && !half && packed)
        modelmath::packedProduct(L, *above, packed->transposed[static_cast<std::size_t>(i)], true);
    else if (above && !half)
        modelmath::product(L, *above, false, m_W[i], true, true);
    T.resize(R, n);
    const bool withNoise = noisy(i) && !noiseOff;
    // Element-wise part per fixed row block; row r's noise comes from rng[r] (pre-activation noise,
    // then post-activation noise).
    if (scratch && withNoise)
        scratch->rows.resize(std::max(scratch->rows.size(), (static_cast<std::size_t>(R) + modelmath::kRowBlock - 1) / modelmath::kRowBlock));
    parallelFor(static_cast<std::size_t>(R), modelmath::kRowBlock, [&](std::size_t begin, std::size_t end) {
        RowVector local;
        RowVector& noise = scratch && withNoise ? scratch->rows[begin / modelmath::kRowBlock] : local;
        if (withNoise)
            noise.resize(n);
        for (auto r = static_cast<Eigen::Index>(begin); r < static_cast<Eigen::Index>(end); ++r) {
            auto l = L.row(r);
            l += m_b[i].row(0);
            if (!withNoise) {
                T.row(r) = l.array().tanh();
                l = T.row(r);
                continue;
            }
            Philox& g = rng[static_cast<std::size_t>(r)];
            normalFill(noise.data(), static_cast<std::size_t>(n), g);
            l += m_noise * noise;
            T.row(r) = l.array().tanh();
            normalFill(noise.data(), static_cast<std::size_t>(n), g);
            l = T.row(r) + m_noise * noise;
        }
    });
}

void GsnK::visibleLogits(const Matrix& h1, Matrix& logits, bool sampling, const PackedWeights* packed) const
{
    if (packed) {
        modelmath::packedProduct(logits, h1, packed->transposed[0], false);
        return;
    }
#if defined(__F16C__) && defined(__FMA__) && defined(__AVX2__)
    if (sampling && useHalf(h1.rows())) {
        halfTimesTransposed(h1, m_half->front().data(), m_sizes[0], logits, false);
        return;
    }
#endif
    (void)sampling;
    modelmath::product(logits, h1, false, m_W[0], true, false);
}

void GsnK::resampleRows(const Matrix& p, Matrix& x, std::vector<Philox>& rng, Matrix* keep, std::size_t begin,
                        std::size_t end) const
{
    const auto n = static_cast<std::size_t>(p.cols());
    for (auto r = static_cast<Eigen::Index>(begin); r < static_cast<Eigen::Index>(end); ++r) {
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
    const auto nVisible = static_cast<std::size_t>(m_sizes[0]);
    const auto rows = static_cast<std::size_t>(B);
    const std::size_t blocks = (rows + modelmath::kRowBlock - 1) / modelmath::kRowBlock;
    // d loss / d logit = (p - X) / (n_visible B): the loss is a mean over pixels and over the batch.
    const float gradScale = 1.0f / (static_cast<float>(m_sizes[0]) * static_cast<float>(B));
    const Matrix& X = batch;
    std::vector<Philox> rng;
    rng.reserve(rows);
    for (std::size_t r = 0; r < rows; ++r)
        rng.emplace_back(key.seed, key.rowStream[r], key.step);

    // Forward through the unrolled graph, keeping what the backward pass needs.
    // L[t][i]: layer i after update t (L[0][0] = C(X); hidden layers are 0 before the first update
    // and L[0][i > 0] is never read); T[t][i]: tanh output of hidden layer i at update t;
    // dLogit[t]: gradient at the logits of p at update t.
    std::vector<std::vector<Matrix>> L(N + 1, std::vector<Matrix>(K + 1));
    std::vector<std::vector<Matrix>> T(N + 1, std::vector<Matrix>(K + 1));
    std::vector<Matrix> dLogit(N + 1);
    // Without input sampling x[t] = C(p[t]) carries gradient back into p[t]: dx/dlogit = keep p (1 - p).
    const bool xPath = !m_inputSampling;
    std::vector<Matrix> dxdLogit(xPath ? N + 1 : 0);
    std::vector<double> blockLoss(blocks, 0.0);

    L[0][0] = X;
    parallelFor(rows, modelmath::kRowBlock, [&](std::size_t begin, std::size_t end) {
        for (std::size_t r = begin; r < end; ++r)
            corruptRow(m_corruption, L[0][0].row(static_cast<Eigen::Index>(r)).data(), nVisible, rng[r]);
    });
    Matrix logits;
    for (int t = 1; t <= N; ++t) {
        const bool last = t == N;
        for (int i = 1; i <= K; i += 2) {
            if (last && i > 1)
                continue; // cannot reach any p any more
            const Matrix* below = (i == 1 || t > 1) ? &L[t - 1][i - 1] : nullptr;
            const Matrix* above = (i < K && t > 1) ? &L[t - 1][i + 1] : nullptr;
            hiddenLayer(i, below, above, rng, T[t][i], L[t][i]);
        }
        visibleLogits(L[t][1], logits);
        dLogit[t].resize(B, m_sizes[0]);
        if (!last) {
            L[t][0].resize(B, m_sizes[0]);
            if (xPath)
                dxdLogit[t].resize(B, m_sizes[0]);
        }
        parallelFor(rows, modelmath::kRowBlock, [&](std::size_t begin, std::size_t end) {
            const auto b = static_cast<Eigen::Index>(begin);
            const auto n = static_cast<Eigen::Index>(end - begin);
            auto a = logits.middleRows(b, n);
            a.rowwise() += m_b[0].row(0);
            blockLoss[begin / modelmath::kRowBlock] += modelmath::bceFromLogitsSum(a, X.middleRows(b, n));
            modelmath::sigmoidInPlace(a); // a now holds p
            dLogit[t].middleRows(b, n) = (a - X.middleRows(b, n)) * gradScale;
            if (last)
                return;
            resampleRows(logits, L[t][0], rng, xPath ? &dxdLogit[t] : nullptr, begin, end);
            if (xPath)
                dxdLogit[t].middleRows(b, n).array() *= a.array() * (1.0f - a.array());
        });
        if (last)
            break;
        for (int i = 2; i <= K; i += 2)
            hiddenLayer(i, &L[t][i - 1], i < K ? &L[t][i + 1] : nullptr, rng, T[t][i], L[t][i]);
    }

    // Backward. G[i] accumulates d loss / d L[t][i] for the update being undone: an even layer at t
    // is read only by the odd layers at t + 1, an odd layer at t only by the even layers at t.
    grads.resize(static_cast<std::size_t>(2 * K + 1));
    for (int i = 0; i <= K; ++i)
        grads[static_cast<std::size_t>(K + i)] = Matrix::Zero(1, m_sizes[i]);
    std::vector<Matrix> G(static_cast<std::size_t>(K + 1));
    for (int i = 0; i <= K; ++i)
        if (i > 0 || xPath)
            G[i] = Matrix::Zero(B, m_sizes[i]);
    std::deque<Matrix> dA;                                     // pre-activation gradients, kept for the weight products
    std::vector<PairList> pairs(static_cast<std::size_t>(K)); // gradient of W_j = sum left^T right
    auto preGradient = [&](int t, int i) -> const Matrix& {
        dA.emplace_back(G[i].array() * (1.0f - T[t][i].array().square()));
        G[i].setZero();
        grads[static_cast<std::size_t>(K + i)] += dA.back().colwise().sum();
        return dA.back();
    };
    for (int t = N; t >= 1; --t) {
        const bool last = t == N;
        // Even layers of update t.
        if (xPath && !last) { // x[t] was read by h1 at update t + 1 (already undone)
            dLogit[t].array() += G[0].array() * dxdLogit[t].array();
            G[0].setZero();
        }
        grads[static_cast<std::size_t>(K)] += dLogit[t].colwise().sum();
        pairs[0].push_back({&dLogit[t], &L[t][1]});
        modelmath::product(G[1], dLogit[t], false, m_W[0], false, true);
        if (!last) {
            for (int i = 2; i <= K; i += 2) {
                const Matrix& d = preGradient(t, i);
                pairs[i - 1].push_back({&L[t][i - 1], &d});
                modelmath::product(G[i - 1], d, false, m_W[i - 1], true, true);
                if (i < K) {
                    pairs[i].push_back({&d, &L[t][i + 1]});
                    modelmath::product(G[i + 1], d, false, m_W[i], false, true);
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
                modelmath::product(G[i - 1], d, false, m_W[i - 1], true, true);
            if (i < K && t > 1) {
                pairs[i].push_back({&d, &L[t - 1][i + 1]});
                modelmath::product(G[i + 1], d, false, m_W[i], false, true);
            }
        }
    }
    for (int j = 0; j < K; ++j) {
        if (pairs[j].empty()) // e.g. walkback 1: only W0 is used
            grads[static_cast<std::size_t>(j)] = Matrix::Zero(m_sizes[j], m_sizes[j + 1]);
        else
            stackedProduct(pairs[j], grads[static_cast<std::size_t>(j)]);
    }

    double loss = 0.0;
    for (double l : blockLoss) // fixed block order: the same sum on any thread count
        loss += l;
    return loss / (static_cast<double>(m_sizes[0]) * static_cast<double>(B));
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
    if (C == 0) {
        ++state.step;
        return;
    }
    const auto rows = static_cast<std::size_t>(C);
    // Work buffers kept in the state: after the first step at this size nothing here allocates
    // (next and logits trade places with the state's h and mean, the noise rows stay per block).
    ChainScratch& scratch = state.scratch;
    std::vector<Philox>& rng = scratch.rng;
    rng.clear();
    rng.reserve(rows);
    for (std::size_t c = 0; c < rows; ++c)
        rng.emplace_back(seed, streams::chainStream(c), state.step);
    // matrices[0]: the logits (trading places with state.mean); per hidden layer i, its tanh output
    // matrices[2i] and its next value matrices[2i + 1] (trading places with state.h[i - 1]): one
    // buffer per layer size, so none is ever resized.
    const auto K = static_cast<std::size_t>(m_K);
    if (scratch.matrices.size() < 2 * K + 2)
        scratch.matrices.resize(2 * K + 2);
    Matrix& logits = scratch.matrices[0];
    const auto T = [&](int i) -> Matrix& { return scratch.matrices[2 * static_cast<std::size_t>(i)]; };
    const auto next = [&](int i) -> Matrix& { return scratch.matrices[2 * static_cast<std::size_t>(i) + 1]; };
    const std::shared_ptr<const PackedWeights> packed = packedWeights(C);
    // Odd layers read only even layers and vice versa, so updating in place is exact.
    for (int i = 1; i <= m_K; i += 2) {
        hiddenLayer(i, i == 1 ? &state.x : &state.h[i - 2], i < m_K ? &state.h[i] : nullptr, rng, T(i), next(i), &scratch,
                    false, packed.get());
        state.h[i - 1].swap(next(i));
    }
    visibleLogits(state.h[0], logits, true, packed.get());
    parallelFor(rows, modelmath::kRowBlock, [&](std::size_t begin, std::size_t end) {
        const auto b = static_cast<Eigen::Index>(begin);
        const auto n = static_cast<Eigen::Index>(end - begin);
        auto a = logits.middleRows(b, n);
        a.rowwise() += m_b[0].row(0);
        modelmath::sigmoidInPlace(a);
        resampleRows(logits, state.x, rng, nullptr, begin, end);
    });
    state.mean.swap(logits);
    for (int i = 2; i <= m_K; i += 2) {
        hiddenLayer(i, &state.h[i - 2], i < m_K ? &state.h[i] : nullptr, rng, T(i), next(i), &scratch, false,
                    packed.get());
        state.h[i - 1].swap(next(i));
    }
    ++state.step;
}

Matrix GsnK::encodeDeterministic(const Matrix& x, int layer) const
{
    if (layer < 0 || layer > m_K)
        fail(kind(), "layer", "expected a layer in [0, " + std::to_string(m_K) + "], got " + std::to_string(layer));
    if (x.cols() != m_sizes[0])
        fail(kind(), "images", "expected " + std::to_string(m_sizes[0]) + " columns, got " + std::to_string(x.cols()));
    // The rows' streams are never read: no noise is drawn with noiseOff.
    std::vector<Philox> rng(static_cast<std::size_t>(x.rows()), Philox(0, 0, 0));
    Matrix h = x, T, next;
    for (int i = 1; i <= layer; ++i) {
        hiddenLayer(i, &h, nullptr, rng, T, next, nullptr, true);
        h.swap(next);
    }
    return h;
}

Matrix GsnK::decodeDeterministic(const Matrix& code, int layer) const
{
    if (layer < 0 || layer > m_K)
        fail(kind(), "layer", "expected a layer in [0, " + std::to_string(m_K) + "], got " + std::to_string(layer));
    if (code.cols() != m_sizes[static_cast<std::size_t>(layer)])
        fail(kind(), "codes", "expected " + std::to_string(m_sizes[static_cast<std::size_t>(layer)]) + " columns (layer " +
                                  std::to_string(layer) + "), got " + std::to_string(code.cols()));
    if (layer == 0)
        return code;
    std::vector<Philox> rng(static_cast<std::size_t>(code.rows()), Philox(0, 0, 0));
    Matrix h = code, T, next;
    for (int i = layer - 1; i >= 1; --i) {
        hiddenLayer(i, nullptr, &h, rng, T, next, nullptr, true);
        h.swap(next);
    }
    Matrix p;
    visibleLogits(h, p);
    p.rowwise() += m_b[0].row(0);
    modelmath::sigmoidInPlace(p);
    return p;
}

Matrix GsnK::decodeClamped(const Matrix& code, int layer, int updates) const
{
    Matrix p = decodeDeterministic(code, layer);
    if (layer <= 1 || updates <= 0)
        return p;
    const Eigen::Index R = code.rows();
    std::vector<Philox> rng(static_cast<std::size_t>(R), Philox(0, 0, 0));
    // h[i]: layer i (h[0] = x); the layers below `layer` from the top-down pass, those above at rest.
    std::vector<Matrix> h(static_cast<std::size_t>(m_K + 1));
    h[static_cast<std::size_t>(layer)] = code;
    Matrix T;
    for (int i = layer - 1; i >= 1; --i)
        hiddenLayer(i, nullptr, &h[static_cast<std::size_t>(i + 1)], rng, T, h[static_cast<std::size_t>(i)], nullptr, true);
    for (int i = layer + 1; i <= m_K; ++i)
        h[static_cast<std::size_t>(i)] = Matrix::Zero(R, m_sizes[static_cast<std::size_t>(i)]);
    h[0] = p;
    Matrix next;
    auto update = [&](int i) {
        if (i == layer)
            return;
        hiddenLayer(i, &h[static_cast<std::size_t>(i - 1)], i < m_K ? &h[static_cast<std::size_t>(i + 1)] : nullptr, rng, T, next,
                    nullptr, true);
        h[static_cast<std::size_t>(i)].swap(next);
    };
    for (int t = 0; t < updates; ++t) {
        for (int i = 1; i <= m_K; i += 2)
            update(i);
        visibleLogits(h[1], p);
        p.rowwise() += m_b[0].row(0);
        modelmath::sigmoidInPlace(p);
        h[0] = p;
        for (int i = 2; i <= m_K; i += 2)
            update(i);
    }
    return p;
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
