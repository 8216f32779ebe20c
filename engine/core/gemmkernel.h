#pragma once
// Our own register-blocked product kernel, shared by the Parzen pass (engine/eval/parzen.cpp, AVX-512
// builds) and the chains' products with pre-packed weights (modelmath::PackedMatrix, AVX-512 and
// AVX2 + FMA builds): a block of C = A B (8 x 48 in 24 zmm accumulators; AVX2: 4 x 24 in 12 ymm) held in
// registers over the whole depth. B comes packed into panels of 48 columns
// stored depth-major; A's 8 rows are read where they are (row pointers) or from a packed panel.
// Every entry of the block is one chain of fused multiply-adds in k order starting from zero, so a
// result does not depend on how the work around the kernel is split, nor on the thread count.
// On AVX-512 it runs at the speed of OpenBLAS's sgemm kernel (docs/benchmarks.md, "Parzen").

#include "tensor.h"

#include <vector>

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

namespace gsn::gemm {

// Defined where the kernel is compiled (AVX-512, or AVX2 with FMA).
#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#define GSN_GEMM_KERNEL 1
#endif

// One vector register's worth of floats and the instructions the kernel uses, per instruction set.
#if defined(__AVX512F__)
struct Zmm {
    using V = __m512;
    static constexpr int kLanes = 16;
    static V zero() { return _mm512_setzero_ps(); }
    static V load(const float* p) { return _mm512_loadu_ps(p); }
    static V broadcast(float x) { return _mm512_set1_ps(x); }
    static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
    static V add(V a, V b) { return _mm512_add_ps(a, b); }
    static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
};
#endif
#if defined(__AVX2__) && defined(__FMA__)
struct Ymm {
    using V = __m256;
    static constexpr int kLanes = 8;
    static V zero() { return _mm256_setzero_ps(); }
    static V load(const float* p) { return _mm256_loadu_ps(p); }
    static V broadcast(float x) { return _mm256_set1_ps(x); }
    static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
    static V add(V a, V b) { return _mm256_add_ps(a, b); }
    static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
};
#endif

// The block: Rows rows of A x (Vecs x lanes) columns of B, Rows x Vecs accumulators. AVX-512: 8 x 48
// (24 of the 32 zmm registers); AVX2: 4 x 24 (12 of the 16 ymm registers, 3 for B, 1 for A).
#if defined(__AVX512F__)
using Isa = Zmm;
inline constexpr bool kAvailable = true;
inline constexpr Eigen::Index kRows = 8;  // rows of A per block
inline constexpr int kVecs = 3;
#elif defined(__AVX2__) && defined(__FMA__)
using Isa = Ymm;
inline constexpr bool kAvailable = true;
inline constexpr Eigen::Index kRows = 4;
inline constexpr int kVecs = 3;
#else
inline constexpr bool kAvailable = false;
inline constexpr Eigen::Index kRows = 8;
inline constexpr int kVecs = 3;
#endif
#if defined(GSN_GEMM_KERNEL)
inline constexpr Eigen::Index kCols = kVecs * Isa::kLanes; // columns of B per block
#else
inline constexpr Eigen::Index kCols = 48;
#endif

// Panels of `width` rows of a (any Eigen expression, shape = [n, depth]), each stored depth-major
// ([depth][width]), the last padded with zeros. Pass a transposed matrix to pack panels of columns.
template <class Expr>
std::vector<float> packRows(const Expr& a, Eigen::Index width)
{
    const Eigen::Index d = a.cols();
    const Eigen::Index panels = (a.rows() + width - 1) / width;
    std::vector<float> out(static_cast<std::size_t>(panels * width * d), 0.0f);
    for (Eigen::Index r = 0; r < a.rows(); ++r) {
        float* dst = out.data() + (r / width) * width * d + r % width;
        for (Eigen::Index k = 0; k < d; ++k)
            dst[k * width] = a(r, k);
    }
    return out;
}

#if defined(GSN_GEMM_KERNEL)
// acc = sum over k < depth of A's kRows rows times the kCols-column panel bp ([depth][kCols]); then g
// (row stride ldg) = acc, or g += acc with `accumulate`. A's row i, depth k is a[i][k * Step]:
// unpacked rows have Step 1 (one pointer per row), a packed panel ([depth][kRows]) has a[i] = panel + i
// and Step kRows.
template <Eigen::Index Step>
inline void kernel(const float* const (&a)[kRows], const float* bp, Eigen::Index depth, float* g, Eigen::Index ldg,
                   bool accumulate)
{
    using V = Isa::V;
    constexpr int L = Isa::kLanes;
    V acc[kRows][kVecs];
#pragma GCC unroll 8
    for (int i = 0; i < kRows; ++i)
#pragma GCC unroll 3
        for (int v = 0; v < kVecs; ++v)
            acc[i][v] = Isa::zero();
    for (Eigen::Index k = 0; k < depth; ++k) {
        V b[kVecs];
#pragma GCC unroll 3
        for (int v = 0; v < kVecs; ++v)
            b[v] = Isa::load(bp + k * kCols + v * L);
#pragma GCC unroll 8
        for (int i = 0; i < kRows; ++i) {
            const V x = Isa::broadcast(a[i][k * Step]);
#pragma GCC unroll 3
            for (int v = 0; v < kVecs; ++v)
                acc[i][v] = Isa::fma(x, b[v], acc[i][v]);
        }
    }
#pragma GCC unroll 8
    for (int i = 0; i < kRows; ++i) {
        float* row = g + i * ldg;
#pragma GCC unroll 3
        for (int v = 0; v < kVecs; ++v) {
            if (accumulate)
                acc[i][v] = Isa::add(Isa::load(row + v * L), acc[i][v]);
            Isa::store(row + v * L, acc[i][v]);
        }
    }
}
#endif

} // namespace gsn::gemm
