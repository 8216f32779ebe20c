#include "jsonfields.h"

#include "jsonlimits.h"

#include <cmath>
#include <limits>

namespace gsn {

using nlohmann::json;

namespace {

std::string rangeText(long long min, long long max)
{
    if (max == std::numeric_limits<long long>::max())
        return ">= " + std::to_string(min);
    return "in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
}

std::string numberText(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

// Whether `value` is a JSON integer in [min, max], compared without a conversion that could overflow.
bool integerInRange(const json& value, long long min, long long max)
{
    if (value.is_number_unsigned()) {
        const auto u = value.get<std::uint64_t>();
        return max >= 0 && u <= static_cast<std::uint64_t>(max) && (min <= 0 || u >= static_cast<std::uint64_t>(min));
    }
    if (value.is_number_integer()) {
        const auto v = value.get<std::int64_t>();
        return v >= min && v <= max;
    }
    return false;
}

} // namespace

long long checkedJsonInteger(const json& value, long long min, long long max, const std::string& where,
                             const std::string& field)
{
    if (!integerInRange(value, min, max))
        fail(where, field, "expected an integer " + rangeText(min, max) + ", got " + describeJson(value));
    return value.is_number_unsigned() ? static_cast<long long>(value.get<std::uint64_t>()) : value.get<std::int64_t>();
}

JsonFields::JsonFields(const json& object, std::string where, std::string prefix)
    : m_object(&object), m_where(std::move(where)), m_prefix(std::move(prefix))
{
    if (!object.is_object())
        fail(m_where, m_prefix, "expected a JSON object, got " + describeJson(object));
}

bool JsonFields::has(const std::string& key) const
{
    return find(key) != nullptr;
}

std::string JsonFields::field(const std::string& key) const
{
    return m_prefix.empty() ? key : m_prefix + "." + key;
}

const json* JsonFields::find(const std::string& key) const
{
    const auto it = m_object->find(key);
    return it == m_object->end() ? nullptr : &*it;
}

void JsonFields::refuse(const std::string& key, const std::string& expected, const json& got) const
{
    fail(m_where, field(key), "expected " + expected + ", got " + describeJson(got));
}

std::optional<std::string> JsonFields::optionalString(const std::string& key) const
{
    const json* v = find(key);
    if (!v)
        return std::nullopt;
    if (!v->is_string())
        refuse(key, "a string", *v);
    return v->get<std::string>();
}

std::string JsonFields::requiredString(const std::string& key) const
{
    if (std::optional<std::string> s = optionalString(key))
        return *std::move(s);
    fail(m_where, field(key), "expected the key to be present (a string)");
}

std::optional<long long> JsonFields::optionalInteger(const std::string& key, long long min, long long max) const
{
    const json* v = find(key);
    if (!v)
        return std::nullopt;
    return checkedJsonInteger(*v, min, max, m_where, field(key));
}

long long JsonFields::requiredInteger(const std::string& key, long long min, long long max) const
{
    if (std::optional<long long> n = optionalInteger(key, min, max))
        return *n;
    fail(m_where, field(key), "expected the key to be present (an integer " + rangeText(min, max) + ")");
}

std::optional<double> JsonFields::optionalNumber(const std::string& key, double min, double max) const
{
    const json* v = find(key);
    if (!v)
        return std::nullopt;
    const std::string expected = "a finite number in [" + numberText(min) + ", " + numberText(max) + "]";
    if (!v->is_number())
        refuse(key, expected, *v);
    const double d = v->get<double>();
    if (!std::isfinite(d) || d < min || d > max)
        refuse(key, expected, *v);
    return d;
}

double JsonFields::requiredNumber(const std::string& key, double min, double max) const
{
    if (std::optional<double> d = optionalNumber(key, min, max))
        return *d;
    fail(m_where, field(key), "expected the key to be present (a finite number)");
}

std::optional<bool> JsonFields::optionalBool(const std::string& key) const
{
    const json* v = find(key);
    if (!v)
        return std::nullopt;
    if (!v->is_boolean())
        refuse(key, "true or false", *v);
    return v->get<bool>();
}

std::vector<long long> JsonFields::requiredIntegers(const std::string& key, std::size_t minCount, std::size_t maxCount,
                                                    long long min, long long max) const
{
    const json* v = find(key);
    const std::string expected = (minCount == maxCount ? std::to_string(minCount)
                                                       : std::to_string(minCount) + " to " + std::to_string(maxCount)) +
                                 " integers " + rangeText(min, max) + " in a JSON array";
    if (!v)
        fail(m_where, field(key), "expected the key to be present (" + expected + ")");
    if (!v->is_array() || v->size() < minCount || v->size() > maxCount)
        refuse(key, expected, *v);
    std::vector<long long> out;
    for (const json& e : *v) {
        if (!integerInRange(e, min, max))
            refuse(key, expected, *v);
        out.push_back(e.is_number_unsigned() ? static_cast<long long>(e.get<std::uint64_t>()) : e.get<std::int64_t>());
    }
    return out;
}

std::optional<JsonFields> JsonFields::optionalObject(const std::string& key) const
{
    const json* v = find(key);
    if (!v)
        return std::nullopt;
    return JsonFields(*v, m_where, field(key));
}

} // namespace gsn
