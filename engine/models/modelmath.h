#pragma once
// Small numeric helpers shared by the DAE and GSN models (not part of the public model interface).

#include "random.h"
#include "tensor.h"

#include <Eigen/Core>

#include <cmath>
#include <cstdint>
#include <string>

namespace gsn::modelmath {

// Rows per parallel block in training and chain stepping. Fixed (never derived from the thread
// count) so every block does the same arithmetic on 1 or N threads.
constexpr std::size_t kRowBlock = 50;

// C = op(A) op(B), or C += op(A) op(B) with `accumulate` (C then already has its shape). C's columns
// are cut into about eight fixed blocks (a multiple of 16 columns, from C's width only) computed in
// parallel: every thread keeps the full row count of A, so each BLAS call sees all the rows and
// each thread packs only its share of B. Small products run as one block.
void product(Matrix& C, const Matrix& A, bool transposeA, const Matrix& B, bool transposeB, bool accumulate);

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
