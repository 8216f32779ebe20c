#pragma once
// Errors the engine reports to users: one line naming the file, the field and what was expected.

#include <stdexcept>
#include <string>
#include <string_view>

namespace gsn {

// A problem with user input (a file, a flag, a value). what() is one line:
//   "<file>: <field>: expected <what>, got <what>"
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// A mistake in how a command was called: an unknown, missing or malformed option (`gsn` exits with 2;
// failures of the work itself exit with 1). fail() throws it for where == kCommandLine.
class UsageError : public Error {
public:
    using Error::Error;
};
inline constexpr const char* kCommandLine = "command line";

// Builds the one-line message "<where>: <field>: <detail>" (empty parts are skipped).
std::string errorMessage(const std::string& where, const std::string& field, const std::string& detail);

// The longest user value quoted in a message (characters before escaping).
inline constexpr std::size_t kMaxQuotedChars = 64;

// `value` (a name, a dtype, a kind... read from a file or typed by the user) for a message, so a message
// never echoes megabytes or raw bytes: in single quotes, bytes outside printable ASCII escaped as \xFF
// (and \n, \t, \\, \'), cut after `maxChars` bytes with "... (N bytes)" appended.
//   quoteValue("F32") == "'F32'"    quoteValue(std::string(5000000, 'x')) == "'xxx...x'... (5000000 bytes)"
std::string quoteValue(std::string_view value, std::size_t maxChars = kMaxQuotedChars);

// A name from a file used as a message's field (a tensor name, a metadata key): as it is when it is at most
// kMaxQuotedChars printable ASCII characters, else quoteValue(name).
std::string fieldName(std::string_view name);

[[noreturn]] inline void fail(const std::string& where, const std::string& field, const std::string& detail)
{
    if (where == kCommandLine)
        throw UsageError(errorMessage(where, field, detail));
    throw Error(errorMessage(where, field, detail));
}

} // namespace gsn
