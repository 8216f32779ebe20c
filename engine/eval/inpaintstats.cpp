#include "inpaintstats.h"

#include "error.h"

#include <algorithm>
#include <cmath>

namespace gsn {

InpaintStats::InpaintStats(int nPixels)
{
    if (nPixels < 1)
        fail("inpaint statistics", "pixels", "expected at least 1, got " + std::to_string(nPixels));
    m_mean.assign(static_cast<std::size_t>(nPixels), 0.0);
    m_m2.assign(static_cast<std::size_t>(nPixels), 0.0);
}

void InpaintStats::add(const Matrix& cells)
{
    if (cells.cols() != pixels())
        fail("inpaint statistics", "frame", "expected " + std::to_string(pixels()) + " pixels per chain, got " +
                                                std::to_string(cells.cols()));
    for (Eigen::Index r = 0; r < cells.rows(); ++r)
        addImage(cells.row(r).data());
}

void InpaintStats::addImage(const float* pixelsIn)
{
    ++m_count;
    const double n = static_cast<double>(m_count);
    const std::size_t size = m_mean.size();
    for (std::size_t i = 0; i < size; ++i) {
        const double x = pixelsIn[i];
        const double d = x - m_mean[i];
        m_mean[i] += d / n;
        m_m2[i] += d * (x - m_mean[i]);
    }
}

void InpaintStats::clear()
{
    m_count = 0;
    std::fill(m_mean.begin(), m_mean.end(), 0.0);
    std::fill(m_m2.begin(), m_m2.end(), 0.0);
}

std::vector<float> InpaintStats::mean() const
{
    return std::vector<float>(m_mean.begin(), m_mean.end());
}

std::vector<float> InpaintStats::variance() const
{
    std::vector<float> out(m_mean.size(), 0.0f);
    if (m_count < 2)
        return out;
    for (std::size_t i = 0; i < out.size(); ++i)
        out[i] = static_cast<float>(std::max(0.0, m_m2[i] / static_cast<double>(m_count)));
    return out;
}

std::vector<float> InpaintStats::spread() const
{
    std::vector<float> v = variance();
    for (float& x : v)
        x = std::sqrt(x);
    return v;
}

std::vector<float> InpaintStats::spreadImage() const
{
    std::vector<float> s = spread();
    for (float& x : s)
        x = std::min(1.0f, 2.0f * x);
    return s;
}

double InpaintStats::meanSpread(const std::vector<int>& indices) const
{
    if (indices.empty() || m_count < 2)
        return 0.0;
    double sum = 0.0;
    for (int i : indices)
        sum += std::sqrt(std::max(0.0, m_m2[static_cast<std::size_t>(i)] / static_cast<double>(m_count)));
    return sum / static_cast<double>(indices.size());
}

} // namespace gsn
