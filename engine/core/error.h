#pragma once
// Errors the engine reports to users: one line naming the file, the field and what was expected.

#include <stdexcept>
#include <string>

namespace gsn {

// A problem with user input (a file, a flag, a value). what() is one line:
//   "<file>: <field>: expected <what>, got <what>"
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Builds the one-line message "<where>: <field>: <detail>" (empty parts are skipped).
std::string errorMessage(const std::string& where, const std::string& field, const std::string& detail);

[[noreturn]] inline void fail(const std::string& where, const std::string& field, const std::string& detail)
{
    throw Error(errorMessage(where, field, detail));
}

} // namespace gsn
