#include "random.h"

#include <algorithm>
#include <cstddef>

#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif
#include <cmath>
#include <numbers>

namespace gsn {

Philox::Philox(std::uint64_t seed, std::uint64_t stream, std::uint64_t step)
{
    // key = (seed low, seed high ^ stream-mix); counter = (0, step low, step high, stream low):
    // distinct (seed, stream, step) triples never share a counter block.
    m_key[0] = static_cast<std::uint32_t>(seed);
    m_key[1] = static_cast<std::uint32_t>(seed >> 32) ^ static_cast<std::uint32_t>(stream >> 32) * 0x9E3779B9u;
    m_ctr[0] = 0;
    m_ctr[1] = static_cast<std::uint32_t>(step);
    m_ctr[2] = static_cast<std::uint32_t>(step >> 32);
    m_ctr[3] = static_cast<std::uint32_t>(stream);
}

void Philox::refill()
{
    m_out = m_engine(m_ctr, m_key);
    ++m_ctr[0];
    m_used = 0;
}

std::uint32_t Philox::next32()
{
    if (m_used == 4)
        refill();
    return m_out[m_used++];
}

namespace {

// kLanes Philox4x32-10 blocks at once: c0..c3[l] hold the counter words of block l on entry and its
// output words on return; the rounds of Random123's philox4x32_R(10, ctr, key) written out. With
// AVX-512 or AVX2 the 32 x 32 -> 64-bit products are vpmuludq on the even and odd lanes (the high
// halves merged by a blend) and the low halves vpmulld; without them, the same arithmetic per lane.
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12's AVX-512 shift and multiply intrinsics pass _mm512_undefined_epi32(), which it then reports
// as used uninitialised (a false positive of the header, not of this code).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
template <std::size_t kLanes>
void philoxRounds(std::uint32_t* c0, std::uint32_t* c1, std::uint32_t* c2, std::uint32_t* c3, std::uint32_t k0,
                  std::uint32_t k1)
{
    constexpr std::uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;  // PHILOX_M4x32_0, _1
    constexpr std::uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;  // PHILOX_W32_0, _1
#if defined(__AVX512F__)
    static_assert(kLanes % 16 == 0);
    const __m512i m0 = _mm512_set1_epi32(static_cast<int>(kM0)), m1 = _mm512_set1_epi32(static_cast<int>(kM1));
    const auto mulhi = [](__m512i a, __m512i m) {
        const __m512i even = _mm512_srli_epi64(_mm512_mul_epu32(a, m), 32);
        const __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m);
        return _mm512_mask_blend_epi32(0xAAAA, even, odd);
    };
    for (std::size_t l = 0; l < kLanes; l += 16) {
        __m512i x0 = _mm512_loadu_si512(c0 + l), x1 = _mm512_loadu_si512(c1 + l);
        __m512i x2 = _mm512_loadu_si512(c2 + l), x3 = _mm512_loadu_si512(c3 + l);
        std::uint32_t a = k0, b = k1;
        for (int round = 0; round < 10; ++round, a += kW0, b += kW1) {
            const __m512i n0 = _mm512_xor_si512(_mm512_xor_si512(mulhi(x2, m1), x1), _mm512_set1_epi32(static_cast<int>(a)));
            const __m512i n2 = _mm512_xor_si512(_mm512_xor_si512(mulhi(x0, m0), x3), _mm512_set1_epi32(static_cast<int>(b)));
            x1 = _mm512_mullo_epi32(x2, m1);
            x3 = _mm512_mullo_epi32(x0, m0);
            x0 = n0;
            x2 = n2;
        }
        _mm512_storeu_si512(c0 + l, x0);
        _mm512_storeu_si512(c1 + l, x1);
        _mm512_storeu_si512(c2 + l, x2);
        _mm512_storeu_si512(c3 + l, x3);
    }
#elif defined(__AVX2__)
    static_assert(kLanes % 8 == 0);
    const __m256i m0 = _mm256_set1_epi32(static_cast<int>(kM0)), m1 = _mm256_set1_epi32(static_cast<int>(kM1));
    const auto mulhi = [](__m256i a, __m256i m) {
        const __m256i even = _mm256_srli_epi64(_mm256_mul_epu32(a, m), 32);
        const __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m);
        return _mm256_blend_epi32(even, odd, 0xAA);
    };
    const auto load = [](const std::uint32_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); };
    const auto store = [](std::uint32_t* p, __m256i v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); };
    for (std::size_t l = 0; l < kLanes; l += 8) {
        __m256i x0 = load(c0 + l), x1 = load(c1 + l), x2 = load(c2 + l), x3 = load(c3 + l);
        std::uint32_t a = k0, b = k1;
        for (int round = 0; round < 10; ++round, a += kW0, b += kW1) {
            const __m256i n0 = _mm256_xor_si256(_mm256_xor_si256(mulhi(x2, m1), x1), _mm256_set1_epi32(static_cast<int>(a)));
            const __m256i n2 = _mm256_xor_si256(_mm256_xor_si256(mulhi(x0, m0), x3), _mm256_set1_epi32(static_cast<int>(b)));
            x1 = _mm256_mullo_epi32(x2, m1);
            x3 = _mm256_mullo_epi32(x0, m0);
            x0 = n0;
            x2 = n2;
        }
        store(c0 + l, x0);
        store(c1 + l, x1);
        store(c2 + l, x2);
        store(c3 + l, x3);
    }
#else
    for (std::size_t l = 0; l < kLanes; ++l) {
        std::uint32_t a = k0, b = k1;
        for (int round = 0; round < 10; ++round, a += kW0, b += kW1) {
            const std::uint64_t p0 = std::uint64_t{kM0} * c0[l];
            const std::uint64_t p1 = std::uint64_t{kM1} * c2[l];
            const auto n0 = static_cast<std::uint32_t>(p1 >> 32) ^ c1[l] ^ a;
            const auto n2 = static_cast<std::uint32_t>(p0 >> 32) ^ c3[l] ^ b;
            c1[l] = static_cast<std::uint32_t>(p1);
            c3[l] = static_cast<std::uint32_t>(p0);
            c0[l] = n0;
            c2[l] = n2;
        }
    }
#endif
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

} // namespace

void Philox::words(std::uint32_t* out, std::size_t n)
{
    std::size_t i = 0;
    while (i < n && m_used < 4)
        out[i++] = m_out[m_used++];
    // Whole blocks: counters m_ctr[0] + lane (refill() increments word 0 alone, wrapping).
    while (n - i >= 4) {
        const std::size_t blocks = std::min(kLanes, (n - i) / 4);
        alignas(64) std::uint32_t c0[kLanes], c1[kLanes], c2[kLanes], c3[kLanes];
        for (std::size_t l = 0; l < kLanes; ++l) {
            c0[l] = m_ctr[0] + static_cast<std::uint32_t>(l);
            c1[l] = m_ctr[1];
            c2[l] = m_ctr[2];
            c3[l] = m_ctr[3];
        }
        philoxRounds<kLanes>(c0, c1, c2, c3, m_key[0], m_key[1]);
        for (std::size_t b = 0; b < blocks; ++b) {
            out[i++] = c0[b];
            out[i++] = c1[b];
            out[i++] = c2[b];
            out[i++] = c3[b];
        }
        m_ctr[0] += static_cast<std::uint32_t>(blocks);
    }
    while (i < n)
        out[i++] = next32();
}

float Philox::uniform()
{
    // 24 random bits, centred in their bin: values in (0, 1) exclusive.
    return (static_cast<float>(next32() >> 8) + 0.5f) * (1.0f / 16777216.0f);
}

float Philox::normal()
{
    if (m_haveSpare) {
        m_haveSpare = false;
        return m_spareNormal;
    }
    const float u1 = uniform();
    const float u2 = uniform();
    const float r = std::sqrt(-2.0f * std::log(u1));
    const float t = 2.0f * std::numbers::pi_v<float> * u2;
    m_spareNormal = r * std::sin(t);
    m_haveSpare = true;
    return r * std::cos(t);
}

void Philox::uniform(float* out, std::size_t n)
{
    for (std::size_t i = 0; i < n; ++i)
        out[i] = uniform();
}

void Philox::normal(float* out, std::size_t n)
{
    for (std::size_t i = 0; i < n; ++i)
        out[i] = normal();
}

} // namespace gsn
