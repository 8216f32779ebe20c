#include "error.h"

namespace gsn {

std::string errorMessage(const std::string& where, const std::string& field, const std::string& detail)
{
    std::string out;
    for (const std::string* part : {&where, &field, &detail}) {
        if (part->empty())
            continue;
        if (!out.empty())
            out += ": ";
        out += *part;
    }
    return out;
}

std::string quoteValue(std::string_view value, std::size_t maxChars)
{
    static const char* const kHex = "0123456789ABCDEF";
    std::string out = "'";
    const std::size_t shown = value.size() < maxChars ? value.size() : maxChars;
    for (std::size_t i = 0; i < shown; ++i) {
        const auto c = static_cast<unsigned char>(value[i]);
        if (c == '\\' || c == '\'') {
            out += '\\';
            out += char(c);
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c >= 0x7F) {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 0xF];
        } else {
            out += char(c);
        }
    }
    out += '\'';
    if (shown < value.size())
        out += "... (" + std::to_string(value.size()) + " bytes)";
    return out;
}

std::string fieldName(std::string_view name)
{
    bool plain = !name.empty() && name.size() <= kMaxQuotedChars;
    for (const char c : name)
        plain = plain && static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7F;
    return plain ? std::string(name) : quoteValue(name);
}

} // namespace gsn
