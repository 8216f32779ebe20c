#pragma once
// The part of a chain state every sampler shares; each sampler extends it with its own typed state
// (hidden layers, replicas, counters). See sampler.h.

#include "tensor.h"

#include <cstdint>

namespace gsn {

struct SamplerState {
    Matrix x;               // shape = [C, dimension]: the fed-back state of every chain (row c = chain c)
    Matrix mean;            // shape = [C, dimension]: what is displayed (images: values in [0, 1])
    std::uint64_t step = 0; // number of steps taken

    SamplerState() = default;
    SamplerState(const SamplerState&) = default;
    SamplerState(SamplerState&&) = default;
    SamplerState& operator=(const SamplerState&) = default;
    SamplerState& operator=(SamplerState&&) = default;
    virtual ~SamplerState() = default;

    int chains() const { return static_cast<int>(x.rows()); }
    // The top hidden layer (shape = [C, n_top]) of samplers that have one, else nullptr.
    virtual const Matrix* top() const { return nullptr; }
};

} // namespace gsn
