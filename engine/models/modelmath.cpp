#include "modelmath.h"

#include "error.h"
#include "gemmkernel.h"
#include "parallel.h"
#include "randomstreams.h"

#include <algorithm>
#include <cstdlib>
#include <mutex>

#ifdef GSN_HAVE_OPENBLAS
extern "C" {
void gotoblas_dynamic_init(void);
void gotoblas_dynamic_quit(void);
char* openblas_get_corename(void);
}
#endif

namespace gsn::modelmath {

void product(Matrix& C, const Matrix& A, bool transposeA, const Matrix& B, bool transposeB, bool accumulate)
{
    const Eigen::Index rows = transposeA ? A.cols() : A.rows();
    const Eigen::Index inner = transposeA ? A.rows() : A.cols();
    const Eigen::Index cols = transposeB ? B.rows() : B.cols();
    if (!accumulate)
        C.resize(rows, cols);
    auto block = [&](std::size_t begin, std::size_t end) {
        const auto c0 = static_cast<Eigen::Index>(begin);
        const auto w = static_cast<Eigen::Index>(end - begin);
        auto out = C.middleCols(c0, w);
        if (!transposeA && !transposeB) {
            if (accumulate)
                out.noalias() += A * B.middleCols(c0, w);
            else
                out.noalias() = A * B.middleCols(c0, w);
        } else if (!transposeA) {
            if (accumulate)
                out.noalias() += A * B.middleRows(c0, w).transpose();
            else
                out.noalias() = A * B.middleRows(c0, w).transpose();
        } else if (!transposeB) {
            if (accumulate)
                out.noalias() += A.transpose() * B.middleCols(c0, w);
            else
                out.noalias() = A.transpose() * B.middleCols(c0, w);
        } else {
            if (accumulate)
                out.noalias() += A.transpose() * B.middleRows(c0, w).transpose();
            else
                out.noalias() = A.transpose() * B.middleRows(c0, w).transpose();
        }
    };
    // Below ~1e6 multiply-adds a task switch costs more than the product.
    const double macs = static_cast<double>(rows) * static_cast<double>(inner) * static_cast<double>(cols);
    if (macs < 1e6 || cols < 32) {
        block(0, static_cast<std::size_t>(cols));
        return;
    }
    const Eigen::Index width = ((cols + 7) / 8 + 15) / 16 * 16;
    parallelFor(static_cast<std::size_t>(cols), static_cast<std::size_t>(width), block);
}

PackedMatrix packForProduct(const Matrix& B, bool transposeB)
{
    PackedMatrix out;
    out.depth = transposeB ? B.cols() : B.rows();
    out.cols = transposeB ? B.rows() : B.cols();
    if constexpr (gemm::kAvailable) {
        // Panel q holds columns [q kCols, (q + 1) kCols) of op(B), i.e. rows of B^T (transposeB: rows of B).
        if (transposeB)
            out.panels = gemm::packRows(B, gemm::kCols);
        else
            out.panels = gemm::packRows(B.transpose(), gemm::kCols);
    }
    return out;
}

void packedProduct(Matrix& C, const Matrix& A, const PackedMatrix& B, bool accumulate)
{
    if (A.cols() != B.depth || B.panels.empty())
        fail("packed product", "operands", "expected A with " + std::to_string(B.depth) + " columns and a packed B, got "
                                               + std::to_string(A.cols()) + (B.panels.empty() ? " and none" : ""));
    const Eigen::Index R = A.rows();
    const Eigen::Index N = B.cols;
    const Eigen::Index K = B.depth;
    if (!accumulate)
        C.resize(R, N);
    else if (C.rows() != R || C.cols() != N)
        fail("packed product", "accumulator", "expected " + std::to_string(R) + " x " + std::to_string(N) + ", got " +
                                                  std::to_string(C.rows()) + " x " + std::to_string(C.cols()));
    if (R == 0)
        return;
#if defined(GSN_GEMM_KERNEL)
    using gemm::kCols;
    using gemm::kRows;
    const Eigen::Index colPanels = (N + kCols - 1) / kCols;
    const Eigen::Index rowPanels = (R + kRows - 1) / kRows;
    // One B panel (48 x K floats, 288 KB for K = 1500; AVX2: 24 x K) per task stays in L2 while A's row
    // panels pass it.
    parallelFor(static_cast<std::size_t>(colPanels), 1, [&](std::size_t begin, std::size_t end) {
        alignas(64) float tile[static_cast<std::size_t>(kRows * kCols)];
        for (auto q = static_cast<Eigen::Index>(begin); q < static_cast<Eigen::Index>(end); ++q) {
            const float* bp = B.panels.data() + q * kCols * K;
            const Eigen::Index c0 = q * kCols;
            const Eigen::Index nc = std::min(kCols, N - c0);
            for (Eigen::Index p = 0; p < rowPanels; ++p) {
                const Eigen::Index r0 = p * kRows;
                const Eigen::Index nr = std::min(kRows, R - r0);
                const float* rows[kRows];
                for (Eigen::Index i = 0; i < kRows; ++i)
                    rows[i] = A.row(r0 + std::min(i, nr - 1)).data(); // a short panel repeats its last row
                if (nr == kRows && nc == kCols) {
                    gemm::kernel<1>(rows, bp, K, C.data() + r0 * N + c0, N, accumulate);
                    continue;
                }
                gemm::kernel<1>(rows, bp, K, tile, kCols, false);
                for (Eigen::Index i = 0; i < nr; ++i)
                    for (Eigen::Index j = 0; j < nc; ++j) {
                        float& c = C(r0 + i, c0 + j);
                        c = accumulate ? c + tile[i * kCols + j] : tile[i * kCols + j];
                    }
            }
        }
    });
#else
    (void)K;
#endif
}

void initUniform(Matrix& w, std::uint64_t seed, std::uint64_t stream)
{
    const float bound = std::sqrt(6.0f / static_cast<float>(w.rows() + w.cols()));
    Philox rng(seed, stream, streams::kModelInitStep);
    float* d = w.data();
    for (Eigen::Index i = 0; i < w.size(); ++i)
        d[i] = bound * (2.0f * rng.uniform() - 1.0f);
}

double bceFromLogitsSum(const Eigen::Ref<const Matrix>& logit, const Eigen::Ref<const Matrix>& target)
{
    double total = 0.0;
    for (Eigen::Index r = 0; r < logit.rows(); ++r) {
        const auto a = logit.row(r).array();
        const auto x = target.row(r).array();
        total += static_cast<double>((a.max(0.0f) - x * a + (-a.abs()).exp().log1p()).sum());
    }
    return total;
}

void sigmoidInPlace(Eigen::Ref<Matrix> m)
{
    m = m.array().logistic();
}

void ensureFastBlas()
{
#ifdef GSN_HAVE_OPENBLAS
    static std::once_flag once;
    std::call_once(once, [] {
        if (std::getenv("OPENBLAS_CORETYPE"))
            return;
        const std::string core = openblas_get_corename();
        if (core != "Haswell" && core != "Zen")
            return;
        __builtin_cpu_init();
        if (!(__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
              && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")))
            return;
        // OpenBLAS's own mechanism for forcing a kernel set: OPENBLAS_CORETYPE, read by
        // gotoblas_dynamic_init(). Both functions are exported by DYNAMIC_ARCH builds.
        setenv("OPENBLAS_CORETYPE", "SkylakeX", 0);
        gotoblas_dynamic_quit();
        gotoblas_dynamic_init();
    });
#endif
}

std::string blasKernelName()
{
#ifdef GSN_HAVE_OPENBLAS
    return openblas_get_corename();
#else
    return "eigen";
#endif
}

} // namespace gsn::modelmath
