#pragma once
// Typed, range-checked reads of fields of a JSON object that came from a file (checkpoint metadata, model
// configs): the one way such fields are read, so no field reaches nlohmann's throwing get<>/value() with
// an unchecked type (issue 12, found item 3). Every failure is a gsn::Error
//   "<where>: <prefix>.<key>: expected <type and range>, got <the value, cut to a sane length>".
//
// Rules (docs/robustness.md, "What the parsers accept"):
// - integers must be JSON integers: 60000 is accepted, 60000.0 and 1e300 are refused (a float that is
//   converted to an integer would silently round, or be undefined behaviour when out of range);
// - numbers must be finite (JSON has no NaN/Inf, but 1e400 parses to infinity);
// - strings are strings: 5 is not "5" here (metadata values that are strings by format are read with
//   SafetensorsFile::metaInteger).

#include "error.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gsn {

class JsonFields {
public:
    // `object` must outlive this reader. Refuses a value that is not an object, naming `prefix`.
    JsonFields(const nlohmann::json& object, std::string where, std::string prefix);

    bool has(const std::string& key) const;
    // "<prefix>.<key>" as messages name it.
    std::string field(const std::string& key) const;

    std::string requiredString(const std::string& key) const;
    std::optional<std::string> optionalString(const std::string& key) const;
    // A JSON integer in [min, max].
    long long requiredInteger(const std::string& key, long long min, long long max) const;
    std::optional<long long> optionalInteger(const std::string& key, long long min, long long max) const;
    // A finite JSON number (integer or not) in [min, max].
    double requiredNumber(const std::string& key, double min, double max) const;
    std::optional<double> optionalNumber(const std::string& key, double min, double max) const;
    std::optional<bool> optionalBool(const std::string& key) const;
    // An array of between minCount and maxCount JSON integers, each in [min, max].
    std::vector<long long> requiredIntegers(const std::string& key, std::size_t minCount, std::size_t maxCount,
                                            long long min, long long max) const;
    // A nested object (a reader for it).
    std::optional<JsonFields> optionalObject(const std::string& key) const;

private:
    const nlohmann::json* find(const std::string& key) const;
    [[noreturn]] void refuse(const std::string& key, const std::string& expected, const nlohmann::json& got) const;

    const nlohmann::json* m_object;
    std::string m_where;
    std::string m_prefix;
};

// Checks `value` is a JSON integer in [min, max] without converting it first; `what` names it in the message.
long long checkedJsonInteger(const nlohmann::json& value, long long min, long long max, const std::string& where,
                             const std::string& field);

} // namespace gsn
