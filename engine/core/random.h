#pragma once
// Counter-based random numbers (Random123 Philox4x32-10).
//
// Every random draw in the engine comes from a stream keyed by (seed, stream, step): a chain
// uses (seed, chain index, step number); training uses (seed, example index in the epoch's order,
// epoch * batches + batch). Streams are independent of which thread runs them, so results do not
// depend on the thread count. Which keys each purpose uses is listed in one table: randomstreams.h.

#include <Random123/philox.h>

#include <cstddef>
#include <cstdint>

namespace gsn {

class Philox {
public:
    // seed: the user's seed; stream: chain or example index; step: chain step or training batch.
    Philox(std::uint64_t seed, std::uint64_t stream, std::uint64_t step);

    // Uniform in (0, 1): never exactly 0 or 1.
    float uniform();
    // Standard normal (Box-Muller on two uniforms).
    float normal();
    // Raw 32-bit word.
    std::uint32_t next32();
    // The next n words of next32(), the same words in the same order, with whole counter blocks
    // computed kLanes at a time in AVX-512 or AVX2 registers (Philox4x32-10 written out, random.cpp).
    void words(std::uint32_t* out, std::size_t n);

    void uniform(float* out, std::size_t n);
    void normal(float* out, std::size_t n);

private:
    void refill();
    static constexpr std::size_t kLanes = 16;

    using Engine = r123::Philox4x32;
    Engine m_engine;
    Engine::key_type m_key{};
    Engine::ctr_type m_ctr{};
    Engine::ctr_type m_out{};
    int m_used = 4;
    float m_spareNormal = 0.0f;
    bool m_haveSpare = false;
};

} // namespace gsn
