#pragma once
// A figure for a metrics JSON file: JSON has neither NaN nor infinity, so an undefined or infinite
// value is written as null (the files of `gsn mix`, `gsn mixing` and the studio's metric exports).

#include <nlohmann/json.hpp>

#include <cmath>
#include <vector>

namespace gsn {

// The number, or null when it is NaN or infinite.
inline nlohmann::json jsonNumber(double value)
{
    return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

// An array of jsonNumber(value).
inline nlohmann::json jsonNumbers(const std::vector<double>& values)
{
    nlohmann::json a = nlohmann::json::array();
    for (double x : values)
        a.push_back(jsonNumber(x));
    return a;
}

} // namespace gsn
