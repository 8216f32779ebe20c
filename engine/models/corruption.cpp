#include "corruption.h"

#include "error.h"
#include "jsonlimits.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace gsn {
namespace {

// 24 random bits centred in their bin: (0, 1) exclusive, like Philox::uniform().
inline float toUniform(std::uint32_t w)
{
    return (static_cast<float>(w >> 8) + 0.5f) * (1.0f / 16777216.0f);
}

// Words drawn per Philox::words call: a row of up to 256 pixels at a time, from the stack.
constexpr std::size_t kWordChunk = 256;

// f(i, w) for i in [0, n) with w the stream's next word: one word per pixel, drawn in chunks.
template <typename F>
void forEachWord(std::size_t n, Philox& rng, F f)
{
    std::uint32_t w[kWordChunk];
    for (std::size_t start = 0; start < n; start += kWordChunk) {
        const std::size_t m = std::min(kWordChunk, n - start);
        rng.words(w, m);
        for (std::size_t k = 0; k < m; ++k)
            f(start + k, w[k]);
    }
}

} // namespace

Corruption Corruption::fromJson(const nlohmann::json& j, const std::string& where)
{
    if (!j.is_object())
        fail(where, "corruption", "expected an object {\"type\": ..., \"level\": ...}");
    Corruption c;
    if (j.contains("type") && !j["type"].is_string())
        fail(where, "corruption.type", "expected salt-and-pepper, gaussian, masking or none, got " + describeJson(j["type"]));
    const std::string type = j.value("type", std::string());
    if (type == "salt-and-pepper")
        c.kind = CorruptionKind::SaltAndPepper;
    else if (type == "gaussian")
        c.kind = CorruptionKind::Gaussian;
    else if (type == "masking")
        c.kind = CorruptionKind::Masking;
    else if (type == "none")
        c.kind = CorruptionKind::None;
    else
        fail(where, "corruption.type", "expected salt-and-pepper, gaussian, masking or none, got " + quoteValue(type));
    if (c.kind == CorruptionKind::None) {
        c.level = 0.0f;
        return c;
    }
    if (!j.contains("level") || !j["level"].is_number())
        fail(where, "corruption.level", "expected a number");
    const double level = j["level"].get<double>();
    if (!std::isfinite(level) || level < 0.0 || (c.kind != CorruptionKind::Gaussian && level > 1.0))
        fail(where, "corruption.level",
             c.kind == CorruptionKind::Gaussian ? "expected a finite s >= 0" : "expected a probability in [0, 1]");
    c.level = static_cast<float>(level);
    return c;
}

nlohmann::json Corruption::toJson() const
{
    switch (kind) {
    case CorruptionKind::SaltAndPepper:
        return {{"type", "salt-and-pepper"}, {"level", level}};
    case CorruptionKind::Gaussian:
        return {{"type", "gaussian"}, {"level", level}};
    case CorruptionKind::Masking:
        return {{"type", "masking"}, {"level", level}};
    case CorruptionKind::None:
        break;
    }
    return {{"type", "none"}, {"level", 0.0}};
}

std::string Corruption::describe() const
{
    const auto j = toJson();
    if (kind == CorruptionKind::None)
        return "none";
    char buf[32];
    std::snprintf(buf, sizeof buf, "(%g)", static_cast<double>(level));
    return j["type"].get<std::string>() + buf;
}

void corruptRow(const Corruption& c, float* row, std::size_t n, Philox& rng, float* keep)
{
    switch (c.kind) {
    case CorruptionKind::SaltAndPepper:
        saltAndPepperRow(row, n, c.level, rng, keep);
        return;
    case CorruptionKind::Masking:
        maskingRow(row, n, c.level, rng, keep);
        return;
    case CorruptionKind::Gaussian:
        gaussianRow(row, n, c.level, rng);
        break;
    case CorruptionKind::None:
        break;
    }
    if (keep)
        std::fill(keep, keep + n, 1.0f);
}

void saltAndPepperRow(float* row, std::size_t n, float p, Philox& rng, float* keep)
{
    forEachWord(n, rng, [&](std::size_t i, std::uint32_t w) {
        // Bits 8..31 decide whether to replace, bit 0 picks salt or pepper: independent bits of one word.
        const bool replace = toUniform(w) < p;
        if (replace)
            row[i] = static_cast<float>(w & 1u);
        if (keep)
            keep[i] = replace ? 0.0f : 1.0f;
    });
}

void maskingRow(float* row, std::size_t n, float p, Philox& rng, float* keep)
{
    forEachWord(n, rng, [&](std::size_t i, std::uint32_t w) {
        const bool replace = toUniform(w) < p;
        if (replace)
            row[i] = 0.0f;
        if (keep)
            keep[i] = replace ? 0.0f : 1.0f;
    });
}

void gaussianRow(float* row, std::size_t n, float s, Philox& rng)
{
    constexpr std::size_t chunk = 256;
    float noise[chunk];
    for (std::size_t start = 0; start < n; start += chunk) {
        const std::size_t m = std::min(chunk, n - start);
        normalFill(noise, m, rng);
        for (std::size_t i = 0; i < m; ++i)
            row[start + i] += s * noise[i];
    }
}

void bernoulliRow(const float* prob, float* out, std::size_t n, Philox& rng)
{
    forEachWord(n, rng, [&](std::size_t i, std::uint32_t w) { out[i] = toUniform(w) < prob[i] ? 1.0f : 0.0f; });
}

void normalFill(float* out, std::size_t n, Philox& rng)
{
    // Box-Muller over chunks of uniform pairs; Eigen vectorises log, sqrt, sin and cos, which the
    // scalar Philox::normal() cannot. Pair k gives out[2k] = r cos t and out[2k+1] = r sin t.
    constexpr Eigen::Index half = 128;
    Eigen::Array<float, half, 1> u1, u2, r, t;
    // Lanes past `pairs` in the last chunk are computed and discarded; keep them finite.
    u1.setConstant(0.5f);
    u2.setConstant(0.5f);
    std::uint32_t w[2 * half];
    std::size_t done = 0;
    while (done < n) {
        const std::size_t pairs = std::min<std::size_t>(half, (n - done + 1) / 2);
        rng.words(w, 2 * pairs);
        for (std::size_t k = 0; k < pairs; ++k) {
            u1[k] = toUniform(w[2 * k]);
            u2[k] = toUniform(w[2 * k + 1]);
        }
        r = (-2.0f * u1.log()).sqrt();
        t = (2.0f * std::numbers::pi_v<float>) * u2;
        const auto c = (r * t.cos()).eval();
        const auto s = (r * t.sin()).eval();
        for (std::size_t k = 0; k < pairs; ++k) {
            out[done++] = c[k];
            if (done < n)
                out[done++] = s[k];
        }
    }
}

} // namespace gsn
