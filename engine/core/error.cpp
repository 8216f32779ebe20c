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

} // namespace gsn
