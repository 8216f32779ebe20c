#pragma once
// Corruption processes C(X~ | X) and the per-row samplers the models share (SPEC 1).
//
// Every function works on one row (one example or one chain) and draws from the Philox stream the
// caller keyed for that row, so a row's noise never depends on which thread or block processes it.

#include "random.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>

namespace gsn {

enum class CorruptionKind {
    None,          // x~ = x
    SaltAndPepper, // with probability p a pixel becomes 0 or 1 (each with probability 1/2), else kept
    Gaussian,      // x~ = x + N(0, s^2) per dimension
    Masking,       // with probability p a pixel becomes 0, else kept
};

// A corruption and its level (p for salt-and-pepper and masking, s for gaussian).
struct Corruption {
    CorruptionKind kind = CorruptionKind::SaltAndPepper;
    float level = 0.4f;

    // JSON form: {"type": "salt-and-pepper" | "gaussian" | "masking" | "none", "level": number}.
    // Throws gsn::Error naming `where` and the field when the type is unknown or the level is out of
    // range (p in [0, 1], s >= 0).
    static Corruption fromJson(const nlohmann::json& j, const std::string& where);
    nlohmann::json toJson() const;
    // "salt-and-pepper(0.4)"
    std::string describe() const;
};

// Applies `c` in place to row[0..n). Salt-and-pepper and masking use one 32-bit draw per pixel,
// gaussian one normal per dimension. If `keep` is given, keep[i] = d out[i] / d in[i]: 1 where the
// output still depends on the input, 0 where the pixel was replaced (for backprop through C).
void corruptRow(const Corruption& c, float* row, std::size_t n, Philox& rng, float* keep = nullptr);

// row[i] <- salt-and-pepper(p) of row[i]: one draw per pixel (top 24 bits decide "replace",
// the lowest bit decides 0 or 1). keep as in corruptRow.
void saltAndPepperRow(float* row, std::size_t n, float p, Philox& rng, float* keep = nullptr);
// row[i] <- 0 with probability p. keep as in corruptRow.
void maskingRow(float* row, std::size_t n, float p, Philox& rng, float* keep = nullptr);
// row[i] += s * N(0, 1).
void gaussianRow(float* row, std::size_t n, float s, Philox& rng);

// out[i] <- 1 with probability prob[i], else 0 (prob and out may alias).
void bernoulliRow(const float* prob, float* out, std::size_t n, Philox& rng);
// out[i] <- N(0, 1) for i < n (vectorised Box-Muller on the stream's uniforms).
void normalFill(float* out, std::size_t n, Philox& rng);

} // namespace gsn
