#pragma once
// Running per-pixel statistics of inpainting chains (SPEC 3): the mean completion and the spread
// (how much the chains disagree), pooled over every chain and every step added so far.
//
// Welford's algorithm in double precision: for each new observation x of a pixel,
// n += 1; d = x - mean; mean += d / n; m2 += d * (x - mean). Numerically stable for long runs (no
// sum-of-squares cancellation); a pixel that always shows the same value (a clamped one) keeps
// mean == value and spread == 0 exactly.

#include "tensor.h"

#include <cstdint>
#include <vector>

namespace gsn {

class InpaintStats {
public:
    InpaintStats() = default;
    // Statistics of images with nPixels pixels (>= 1). Throws gsn::Error otherwise.
    explicit InpaintStats(int nPixels);

    // Adds every row of `cells` (shape = [C, nPixels], values in [0, 1]) as one observation.
    // Throws gsn::Error for a wrong number of columns.
    void add(const Matrix& cells);
    // Adds one image (shape = [nPixels]).
    void addImage(const float* pixels);
    // Forgets every observation (size kept).
    void clear();

    int pixels() const { return static_cast<int>(m_mean.size()); }
    // Observations per pixel so far (chains x steps added).
    std::int64_t count() const { return m_count; }
    // Per-pixel running mean; shape = [nPixels], all 0 before the first observation.
    std::vector<float> mean() const;
    // Per-pixel population variance (m2 / n); shape = [nPixels], all 0 with fewer than 2 observations.
    std::vector<float> variance() const;
    // Per-pixel standard deviation sqrt(variance); in [0, 0.5] for values in [0, 1].
    std::vector<float> spread() const;
    // The spread scaled for display: spread / 0.5, so 1 = the largest possible disagreement.
    std::vector<float> spreadImage() const;
    // Mean spread over the given pixel indices (0 for an empty list).
    double meanSpread(const std::vector<int>& indices) const;

private:
    std::int64_t m_count = 0;
    std::vector<double> m_mean;   // shape = [nPixels]
    std::vector<double> m_m2;     // shape = [nPixels]: sum of squared deviations
};

} // namespace gsn
