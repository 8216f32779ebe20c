#pragma once
// What the libFuzzer harnesses share: the input as a file (most parsers read a path), and the rule that a
// parser may refuse an input only with gsn::Error. Any other exception escapes LLVMFuzzerTestOneInput,
// which libFuzzer reports as a crash, as it does for ASan/UBSan reports, timeouts and running out of memory.

#include "error.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace gsn::fuzz {

// A file of this process (so parallel fuzzing jobs do not share one), rewritten for every input and
// removed at exit. `suffix` is the extension the parser sees (".npy", ".mat", ...).
class InputFile {
public:
    explicit InputFile(const std::string& suffix)
        : m_path((std::filesystem::temp_directory_path() / ("gsn-fuzz-" + std::to_string(::getpid()) + suffix)).string())
    {
    }
    ~InputFile() { std::remove(m_path.c_str()); }

    // Writes the bytes and returns the path. Aborts when the file cannot be written: a harness that
    // silently tests nothing is worse than one that stops.
    const std::string& write(const std::uint8_t* data, std::size_t size) const
    {
        std::FILE* f = std::fopen(m_path.c_str(), "wb");
        if (!f || (size > 0 && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) {
            std::perror(m_path.c_str());
            std::abort();
        }
        return m_path;
    }
    const std::string& path() const { return m_path; }

private:
    std::string m_path;
};

// Runs `parse`; a gsn::Error (the parser refusing the input with a message) is an expected outcome.
// An empty message is not: every refusal must say what was wrong.
template <typename F>
void refusalsAllowed(F&& parse)
{
    try {
        parse();
    } catch (const gsn::Error& e) {
        if (e.what()[0] == '\0')
            std::abort();
    }
}

} // namespace gsn::fuzz
