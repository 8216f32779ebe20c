#pragma once
// Size arithmetic on numbers read from file headers: every product of header dimensions goes through
// checkedProduct, so an overflowing or absurd claim is refused with a message naming the file and the
// field before anything is allocated (issue 12, found item 2).

#include "error.h"

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>

namespace gsn {

// The product of `factors` when it is at most `limit`, else nothing. Never overflows: each step checks
// against limit / factor first. A zero factor makes the product 0 whatever the others are (an empty
// array of any shape is valid). Negative factors give nothing.
template <class Range>
std::optional<std::uint64_t> productAtMost(const Range& factors, std::uint64_t limit)
{
    for (const auto f : factors) {
        if constexpr (std::is_signed_v<std::remove_cv_t<decltype(f)>>)
            if (f < 0)
                return std::nullopt;
        if (f == 0)
            return 0;
    }
    std::uint64_t product = 1;
    for (const auto f : factors) {
        const auto u = static_cast<std::uint64_t>(f);
        if (product > limit / u)
            return std::nullopt;
        product *= u;
    }
    return product;
}

// "a x b x c" for messages (at most the first 8 factors, then "... (N dimensions)").
template <class Range>
std::string dimensionsText(const Range& factors)
{
    std::string out;
    std::size_t i = 0;
    for (const auto f : factors) {
        if (i == 8) {
            std::size_t n = 0;
            for ([[maybe_unused]] const auto g : factors)
                ++n;
            return out + " x ... (" + std::to_string(n) + " dimensions)";
        }
        out += (i++ ? " x " : "") + std::to_string(f);
    }
    return out.empty() ? "(no dimensions)" : out;
}

// The product of `factors` (sizes read from `where`'s header field `field`), refused when it exceeds
// `limit` (counted in `unit`, e.g. "bytes" or "values"): gsn::Error
//   "<where>: <field>: expected at most <limit> <unit>, the sizes <a x b x c> need more".
template <class Range>
std::uint64_t checkedProduct(const Range& factors, std::uint64_t limit, const std::string& where, const std::string& field,
                             const std::string& unit = "values")
{
    const std::optional<std::uint64_t> p = productAtMost(factors, limit);
    if (!p)
        fail(where, field,
             "expected at most " + std::to_string(limit) + " " + unit + ", the sizes " + dimensionsText(factors) +
                 " need more (corrupt header?)");
    return *p;
}

inline std::uint64_t checkedProduct(std::initializer_list<std::uint64_t> factors, std::uint64_t limit,
                                    const std::string& where, const std::string& field,
                                    const std::string& unit = "values")
{
    return checkedProduct<std::initializer_list<std::uint64_t>>(factors, limit, where, field, unit);
}

} // namespace gsn
