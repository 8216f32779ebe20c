#pragma once
// Command-line arguments of the `gsn` tool: "--name value" options, "--flag" switches, positionals.
// Parsing is strict: an unknown option or a malformed number is a gsn::Error naming the option.

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace gsn {

class CliArgs {
public:
    // args: everything after the subcommand. valueOptions take a value ("--out FILE");
    // flagOptions do not ("--quiet"). Names are given without the leading dashes.
    CliArgs(const std::vector<std::string>& args, const std::set<std::string>& valueOptions,
            const std::set<std::string>& flagOptions = {});

    bool has(const std::string& name) const;
    std::string get(const std::string& name, const std::string& fallback = {}) const;
    // Required option: throws "missing --name (expected ...)".
    std::string require(const std::string& name, const std::string& expected) const;
    long long getInt(const std::string& name, long long fallback, long long min, long long max) const;
    double getDouble(const std::string& name, double fallback) const;
    // Comma-separated positive integers, e.g. "1500,1500".
    std::vector<int> getIntList(const std::string& name, const std::vector<int>& fallback) const;
    const std::vector<std::string>& positionals() const { return m_positionals; }

private:
    std::map<std::string, std::string> m_values;
    std::set<std::string> m_flags;
    std::vector<std::string> m_positionals;
};

// Writes a progress line "\r<label> 37% [12/32] <detail>" on stderr (newline when done).
void progressLine(const std::string& label, long long done, long long total, const std::string& detail = {});

// A progress line for a loop of chain steps: at most five lines a second plus the last, with the
// steps per second so far as the detail. Silent when `quiet`.
class StepProgress {
public:
    StepProgress(std::string label, long long total, bool quiet);
    // After step `done` (1-based) of total.
    void update(long long done);

private:
    std::string m_label;
    long long m_total;
    bool m_quiet;
    std::chrono::steady_clock::time_point m_started;
    std::chrono::steady_clock::time_point m_last;
};

// INDEX of an option value "test:INDEX" (a test image), checked to lie in [0, count).
// Throws gsn::Error naming `option` ("--init") otherwise.
long long testImageIndex(const std::string& value, long long count, const char* option);

} // namespace gsn
