#pragma once
// Parsing JSON from untrusted files without a stack overflow, and quoting JSON in messages without
// echoing megabytes back.

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace gsn {

// The deepest nesting of arrays/objects accepted in any JSON read from a file (the project writes at most 3).
inline constexpr int kMaxJsonDepth = 64;

// Parses `text`, refusing nesting deeper than `maxDepth` levels while parsing (before any recursive structure
// exists: nlohmann's copy, dump and comparison recurse). Throws gsn::Error "<path>: <field>: ..." when the
// text is not valid JSON, or "<path>: <field>.<keys to the value>: JSON nested deeper than 64 levels"
// (just the keys when `field` is empty). Also refuses a key given twice in one object (gsn::Error naming it)
// and, as not JSON, text starting with a UTF-8 byte-order mark.
nlohmann::json parseJsonLimited(const std::string& text, const std::string& path, const std::string& field,
                                int maxDepth = kMaxJsonDepth);

// As parseJsonLimited, but returns nothing when `text` is not valid JSON (nesting too deep still throws).
std::optional<nlohmann::json> tryParseJsonLimited(const std::string& text, const std::string& path,
                                                  const std::string& field, int maxDepth = kMaxJsonDepth);

// `value` as escaped JSON text for an error message: as it is when at most `maxChars` characters, else its
// type and a prefix, e.g. `an array [[1,2],[3,... (5000 characters)`. Recurses as deep as the value does
// (values from parseJsonLimited are at most kMaxJsonDepth deep).
std::string describeJson(const nlohmann::json& value, std::size_t maxChars = 60);

} // namespace gsn
