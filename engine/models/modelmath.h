#pragma once
// Small numeric helpers shared by the DAE and GSN models (not part of the public model interface).

#include "random.h"
#include "tensor.h"

#include <Eigen/Core>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace gsn::modelmath {

// Rows per parallel block in training and chain stepping. Fixed (never derived from the thread
// count) so every block does the same arithmetic on 1 or N threads.
constexpr std::size_t kRowBlock = 50;

// C = op(A) op(B), or C += op(A) op(B) with `accumulate` (C then already has its shape). C's columns
// are cut into about eight fixed blocks (a multiple of 16 columns, from C's width only) computed in
// parallel: every thread keeps the full row count of A, so each BLAS call sees all the rows and
// each thread packs only its share of B. Small products run as one block.
void product(Matrix& C, const Matrix& A, bool transposeA, const Matrix& B, bool transposeB, bool accumulate);

// op(B) of products C = A op(B) that reuse the same B many times (a chain's weights at every step),
// packed once into the column panels of our kernel (gemmkernel.h: AVX-512, or AVX2 with FMA). OpenBLAS re-packs B at
// every call, about a fifth of a 100-chain step (docs/benchmarks.md); a packed copy is read as it is.
struct PackedMatrix {
    Eigen::Index depth = 0; // rows of op(B)
    Eigen::Index cols = 0;  // columns of op(B)
    std::vector<float> panels;
};
// Empty (no panels) where the kernel is not compiled (gemm::kAvailable false).
PackedMatrix packForProduct(const Matrix& B, bool transposeB);
// C = A op(B), or C += A op(B) with `accumulate` (C then already has its shape). B.depth == A.cols().
// Column panels run in parallel; each entry is one multiply-add chain in k order (then added to C), so
// the result does not depend on the thread count. It differs from product()'s (OpenBLAS blocks k) in
// the last bits. Requires gemm::kAvailable and a packed B.
void packedProduct(Matrix& C, const Matrix& A, const PackedMatrix& B, bool accumulate);

// Fills w (shape = [n_in, n_out]) uniformly in +-sqrt(6 / (n_in + n_out)) from Philox(seed, stream,
// streams::kModelInitStep); stream = streams::kModelInitStream + i for weight matrix i (randomstreams.h).
void initUniform(Matrix& w, std::uint64_t seed, std::uint64_t stream);

// Sum over all entries of the binary cross-entropy of sigmoid(logit) against target, computed from
// the logits so that saturated units give finite values:
// BCE = max(a, 0) - x a + log(1 + exp(-|a|)).
double bceFromLogitsSum(const Eigen::Ref<const Matrix>& logit, const Eigen::Ref<const Matrix>& target);

// In place: m <- 1 / (1 + exp(-m)).
void sigmoidInPlace(Eigen::Ref<Matrix> m);

// Selects OpenBLAS's AVX-512 kernels on CPUs that OpenBLAS 0.3.21 does not recognise (AMD Zen 4/5
// fall back to the Haswell AVX2 kernels, half the sgemm speed). No-op when OPENBLAS_CORETYPE is
// set, when the CPU lacks AVX-512, or without OpenBLAS. Runs once; call it before the first product.
void ensureFastBlas();
// OpenBLAS's kernel name ("SkylakeX", "Haswell", ...) or "eigen" without OpenBLAS.
std::string blasKernelName();

} // namespace gsn::modelmath
