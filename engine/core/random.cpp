#include "random.h"

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
