#include "cliargs.h"

#include "error.h"

#include <charconv>
#include <cstdio>
#include <sstream>
#include <utility>

namespace gsn {

CliArgs::CliArgs(const std::vector<std::string>& args, const std::set<std::string>& valueOptions,
                 const std::set<std::string>& flagOptions)
{
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a.rfind("--", 0) != 0 || a.size() == 2) {
            m_positionals.push_back(a);
            continue;
        }
        std::string name = a.substr(2);
        std::string value;
        bool inlineValue = false;
        if (auto eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
            inlineValue = true;
        }
        if (flagOptions.count(name)) {
            if (inlineValue)
                fail("command line", "--" + name, "takes no value");
            m_flags.insert(name);
        } else if (valueOptions.count(name)) {
            if (!inlineValue) {
                if (i + 1 >= args.size())
                    fail("command line", "--" + name, "expected a value after it");
                value = args[++i];
            }
            m_values[name] = value;
        } else {
            fail("command line", a, "unknown option");
        }
    }
}

bool CliArgs::has(const std::string& name) const
{
    return m_values.count(name) || m_flags.count(name);
}

std::string CliArgs::get(const std::string& name, const std::string& fallback) const
{
    auto it = m_values.find(name);
    return it == m_values.end() ? fallback : it->second;
}

std::string CliArgs::require(const std::string& name, const std::string& expected) const
{
    auto it = m_values.find(name);
    if (it == m_values.end())
        fail("command line", "--" + name, "missing (expected " + expected + ")");
    return it->second;
}

long long CliArgs::getInt(const std::string& name, long long fallback, long long min, long long max) const
{
    auto it = m_values.find(name);
    if (it == m_values.end())
        return fallback;
    long long v = 0;
    const std::string& s = it->second;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size())
        fail("command line", "--" + name, "expected an integer, got '" + s + "'");
    if (v < min || v > max)
        fail("command line", "--" + name,
             "expected a value in [" + std::to_string(min) + ", " + std::to_string(max) + "], got " + s);
    return v;
}

double CliArgs::getDouble(const std::string& name, double fallback) const
{
    auto it = m_values.find(name);
    if (it == m_values.end())
        return fallback;
    const std::string& s = it->second;
    std::istringstream in(s);
    double v = 0;
    in >> v;
    if (!in || !in.eof())
        fail("command line", "--" + name, "expected a number, got '" + s + "'");
    return v;
}

std::vector<int> CliArgs::getIntList(const std::string& name, const std::vector<int>& fallback) const
{
    auto it = m_values.find(name);
    if (it == m_values.end())
        return fallback;
    std::vector<int> out;
    std::stringstream in(it->second);
    std::string item;
    while (std::getline(in, item, ',')) {
        int v = 0;
        auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
        if (ec != std::errc() || p != item.data() + item.size() || v <= 0)
            fail("command line", "--" + name, "expected comma-separated positive integers, got '" + it->second + "'");
        out.push_back(v);
    }
    if (out.empty())
        fail("command line", "--" + name, "expected at least one integer");
    return out;
}

void progressLine(const std::string& label, long long done, long long total, const std::string& detail)
{
    const int pct = total > 0 ? static_cast<int>(100 * done / total) : 0;
    std::fprintf(stderr, "\r%s %3d%% [%lld/%lld] %s\x1b[K", label.c_str(), pct, done, total, detail.c_str());
    if (done >= total)
        std::fputc('\n', stderr);
    std::fflush(stderr);
}

StepProgress::StepProgress(std::string label, long long total, bool quiet)
    : m_label(std::move(label)), m_total(total), m_quiet(quiet), m_started(std::chrono::steady_clock::now()),
      m_last(m_started)
{
}

void StepProgress::update(long long done)
{
    const auto now = std::chrono::steady_clock::now();
    if (m_quiet || (done != m_total && now - m_last <= std::chrono::milliseconds(200)))
        return;
    m_last = now;
    const double secs = std::chrono::duration<double>(now - m_started).count();
    char detail[64];
    std::snprintf(detail, sizeof detail, "%.0f steps/s", secs > 0 ? done / secs : 0.0);
    progressLine(m_label, done, m_total, detail);
}

long long testImageIndex(const std::string& value, long long count, const char* option)
{
    long long index = -1;
    if (value.rfind("test:", 0) == 0) {
        try {
            std::size_t used = 0;
            index = std::stoll(value.substr(5), &used);
            if (used != value.size() - 5)
                index = -1;
        } catch (const std::exception&) {
        }
    }
    if (index < 0 || index >= count)
        fail("command line", option, "expected test:INDEX with INDEX in [0, " + std::to_string(count) + "), got '" +
                                         value + "'");
    return index;
}

} // namespace gsn
