#include "jsonlimits.h"

#include "error.h"

#include <set>
#include <vector>

namespace gsn {

using nlohmann::json;

namespace {

// Thrown from the parser callback to stop parsing at the first level too deep.
struct TooDeep {};
// Thrown from the parser callback at the second occurrence of a key in one object.
struct DuplicateKey {};

constexpr char kUtf8Bom[] = "\xEF\xBB\xBF";

bool startsWithBom(const std::string& text)
{
    return text.rfind(kUtf8Bom, 0) == 0;
}

// `text` with non-printable and non-ASCII bytes escaped (JSON string escapes), cut to `maxChars`.
std::string escapedPrefix(const std::string& text, std::size_t maxChars)
{
    std::string out = json(text).dump(-1, ' ', true, json::error_handler_t::replace);
    out = out.substr(1, out.size() - 2); // drop the quotes
    if (out.size() <= maxChars)
        return out;
    return out.substr(0, maxChars) + "... (" + std::to_string(out.size()) + " characters)";
}

} // namespace

std::optional<json> tryParseJsonLimited(const std::string& text, const std::string& path, const std::string& field,
                                        int maxDepth)
{
    // The callback sees every array/object start with the depth of its parent (0 for the top level), so
    // refusing depth >= maxDepth admits exactly maxDepth nested levels. Throwing here leaves at most
    // maxDepth levels built, which unwind safely. keys[d] is the key being read at depth d, to name the
    // refused value in the message.
    //
    // Duplicate keys are refused (nlohmann would keep the last silently; other readers keep the first, so
    // the two would disagree about what the file says). seen holds the keys of each open container
    // (arrays have an empty set that is never used).
    //
    // A leading UTF-8 byte-order mark is not JSON here (nlohmann would skip it): RFC 8259 forbids adding
    // one, and the safetensors reference refuses a header that does not start with '{'.
    if (startsWithBom(text))
        return std::nullopt;
    std::vector<std::string> keys;
    std::vector<std::set<std::string>> seen;
    const json::parser_callback_t limit = [maxDepth, &keys, &seen](int depth, json::parse_event_t event, json& parsed) {
        const auto d = static_cast<std::size_t>(depth);
        if (event == json::parse_event_t::key) {
            keys.resize(d + 1);
            keys[d] = parsed.get<std::string>();
            if (!seen.empty() && !seen.back().insert(keys[d]).second)
                throw DuplicateKey{};
        } else if (event == json::parse_event_t::array_start || event == json::parse_event_t::object_start) {
            if (depth >= maxDepth)
                throw TooDeep{};
            keys.resize(d + 1);
            keys.push_back(std::string()); // the new container's slot, empty until a key is read
            seen.emplace_back();
        } else if (event == json::parse_event_t::array_end || event == json::parse_event_t::object_end) {
            if (!seen.empty())
                seen.pop_back();
        }
        return true;
    };
    auto keyPath = [&] {
        std::string name = field;
        for (const std::string& key : keys) {
            if (!key.empty())
                name += (name.empty() ? "" : ".") + escapedPrefix(key, 60);
        }
        return name;
    };
    try {
        json value = json::parse(text, limit, false);
        if (value.is_discarded())
            return std::nullopt;
        return value;
    } catch (const json::out_of_range&) {
        // A number too large for a double ("1e999") throws even with allow_exceptions = false.
        return std::nullopt;
    } catch (const TooDeep&) {
        fail(path, keyPath(), "JSON nested deeper than " + std::to_string(maxDepth) + " levels");
    } catch (const DuplicateKey&) {
        fail(path, keyPath(), "expected each key once in its object, got it twice (which one counts is ambiguous)");
    }
}

json parseJsonLimited(const std::string& text, const std::string& path, const std::string& field, int maxDepth)
{
    std::optional<json> value = tryParseJsonLimited(text, path, field, maxDepth);
    if (value)
        return *std::move(value);
    if (startsWithBom(text))
        fail(path, field, "expected JSON starting with '{' or another JSON value, got a UTF-8 byte-order mark (EF BB BF) first");
    // Parse again only to word the syntax error (the depth is known to be fine now).
    try {
        const json unused = json::parse(text);
        (void)unused;
    } catch (const json::exception& e) {
        // A syntax error (parse_error) or a number too large for a double (out_of_range 406, e.g. 1e400: found by
        // fuzz_json). nlohmann's message quotes raw input bytes; describe the position and escape the rest.
        fail(path, field, "expected valid JSON (" + escapedPrefix(e.what(), 200) + ")");
    }
    fail(path, field, "expected valid JSON");
}

std::string describeJson(const json& value, std::size_t maxChars)
{
    // JSON text shows its own type, so a short value is quoted as it is (strings escaped, quotes kept).
    std::string text = value.dump(-1, ' ', true, json::error_handler_t::replace);
    if (text.size() <= maxChars)
        return text;
    const char* type = "a value";
    switch (value.type()) {
    case json::value_t::string: type = "a string"; break;
    case json::value_t::array: type = "an array"; break;
    case json::value_t::object: type = "an object"; break;
    case json::value_t::binary: type = "binary data"; break;
    default: type = "a number"; break; // null and booleans are always short
    }
    return std::string(type) + " " + text.substr(0, maxChars) + "... (" + std::to_string(text.size()) + " characters)";
}

} // namespace gsn
