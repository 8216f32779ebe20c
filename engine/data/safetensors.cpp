#include "safetensors.h"

#include "error.h"
#include "jsonlimits.h"
#include "sizecheck.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

namespace gsn {

using nlohmann::json;

namespace {

void appendLittleEndian(std::string& out, const Matrix& m)
{
    const std::size_t bytes = static_cast<std::size_t>(m.size()) * sizeof(float);
    const std::size_t at = out.size();
    out.resize(at + bytes);
    std::memcpy(out.data() + at, m.data(), bytes);
    if constexpr (std::endian::native == std::endian::big) {
        for (std::size_t i = at; i < out.size(); i += 4)
            std::reverse(out.begin() + static_cast<std::ptrdiff_t>(i), out.begin() + static_cast<std::ptrdiff_t>(i + 4));
    }
}

std::string errnoText()
{
    return std::strerror(errno);
}

void readData(const std::string& path, std::ifstream& in, std::uint64_t dataStart, std::uint64_t begin, std::uint64_t end,
              const std::string& name, Matrix& out)
{
    in.seekg(static_cast<std::streamoff>(dataStart + begin));
    in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(end - begin));
    if (!in)
        fail(path, name, "expected " + std::to_string(end - begin) + " bytes of data, the file ended early");
    if constexpr (std::endian::native == std::endian::big) {
        auto* bytes = reinterpret_cast<unsigned char*>(out.data());
        for (std::uint64_t i = 0; i < end - begin; i += 4)
            std::reverse(bytes + i, bytes + i + 4);
    }
    for (Eigen::Index i = 0; i < out.size(); ++i) {
        if (!std::isfinite(out.data()[i]))
            fail(path, name,
                 "expected finite values, got " + std::to_string(out.data()[i]) + " at element " + std::to_string(i));
    }
}

} // namespace

std::string shapeText(long long rows, long long cols)
{
    std::ostringstream out;
    out << '[' << rows << ", " << cols << ']';
    return out.str();
}

// The temp file of a save: "<path>.tmp.<pid>", next to `path` so the rename stays on one file system.
std::string tempFileFor(const std::string& path, long pid)
{
    return path + ".tmp." + std::to_string(pid);
}

namespace {

// For tests only: GSN_TEST_SAVE_PAUSE_MS=N makes every atomic save sleep N ms after writing the first half
// of the temp file, so a test can kill the process deterministically while a half-written temp file
// exists (tests/tst_crashsafe.cpp). Unset (always, outside tests) it costs one getenv per save.
void testPauseMidWrite()
{
    const char* value = std::getenv("GSN_TEST_SAVE_PAUSE_MS");
    if (!value || !*value)
        return;
    const long ms = std::strtol(value, nullptr, 10);
    if (ms > 0 && ms <= 60000)
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

// Removes "<path>.tmp.<pid>" files left by saves that were killed (SIGKILL, power loss): those whose
// process no longer exists. Without this every killed save would leave one more stray file. A temp file
// whose pid is alive (another process saving the same path, or a reused pid) is left alone.
void removeStaleTempFiles(const std::string& path)
{
    namespace fs = std::filesystem;
    const fs::path target(path);
    const std::string prefix = target.filename().string() + ".tmp.";
    fs::path dir = target.parent_path();
    if (dir.empty())
        dir = ".";
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0)
            continue;
        const std::string digits = name.substr(prefix.size());
        if (digits.size() > 9 || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
            continue;
        const long pid = std::stol(digits);
        if (pid == ::getpid() || pid <= 0 || (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)) {
            std::error_code ignored;
            fs::remove(it->path(), ignored);
        }
    }
}

// What a failed write means for the user: a full disk or a file-size limit gets said in words.
std::string writeFailure(int error, const std::string& path)
{
    std::string why = std::strerror(error);
    if (error == ENOSPC || error == EFBIG || error == EDQUOT)
        why += ": the disk is full or a file-size limit was hit";
    std::error_code ec;
    const bool existed = std::filesystem::exists(path, ec);
    return why + "; " + (existed ? path + " was not changed (the previous version is intact)" : "nothing was written");
}

} // namespace

// Writes `bytes` to `path` through a temp file in the same folder: write (every result checked), fsync,
// close, rename, fsync of the folder. A crash or a full disk leaves the previous file untouched; a temp
// file left by a killed save is removed by the next save of the same path.
void writeFileAtomically(const std::string& path, const std::string& bytes)
{
    removeStaleTempFiles(path);
    const std::string temp = tempFileFor(path, ::getpid());
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        fail(path, "write", "expected a writable folder, could not create " + temp + " (" + errnoText() + ")");
    std::size_t done = 0;
    bool paused = false;
    while (done < bytes.size()) {
        if (!paused && done >= bytes.size() / 2) {
            paused = true;
            testPauseMidWrite();
        }
        const std::size_t chunk = paused ? bytes.size() - done : bytes.size() / 2 - done;
        const ssize_t n = ::write(fd, bytes.data() + done, std::max<std::size_t>(chunk, 1));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            const int error = n < 0 ? errno : ENOSPC; // write() returning 0 for a regular file: no space
            ::close(fd);
            ::unlink(temp.c_str());
            fail(path, "write",
                 "expected to write " + std::to_string(bytes.size()) + " bytes, wrote " + std::to_string(done) +
                     " to " + temp + " (" + writeFailure(error, path) + ")");
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) {
        const int error = errno;
        ::close(fd);
        ::unlink(temp.c_str());
        fail(path, "write", "expected fsync of " + temp + " to succeed (" + writeFailure(error, path) + ")");
    }
    if (::close(fd) != 0) {
        const int error = errno;
        ::unlink(temp.c_str());
        fail(path, "write", "expected close of " + temp + " to succeed (" + writeFailure(error, path) + ")");
    }
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        const int error = errno;
        ::unlink(temp.c_str());
        fail(path, "write", "expected to rename " + temp + " over it (" + writeFailure(error, path) + ")");
    }
    // Make the rename itself durable; failure here does not lose data, so it is not an error.
    std::filesystem::path dir = std::filesystem::path(path).parent_path();
    if (dir.empty())
        dir = ".";
    if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
}

void writeSafetensors(const std::string& path, const std::vector<NamedTensor>& tensors, const json& metadata)
{
    for (const NamedTensor& t : tensors) {
        if (!t.value->allFinite())
            fail(path, t.name, "expected finite values; refusing to write a file with NaN or Inf");
    }
    json header = json::object();
    std::string data;
    for (const NamedTensor& t : tensors) {
        const std::uint64_t begin = data.size();
        appendLittleEndian(data, *t.value);
        header[t.name] = {{"dtype", "F32"},
                          {"shape", {t.value->rows(), t.value->cols()}},
                          {"data_offsets", {begin, static_cast<std::uint64_t>(data.size())}}};
    }
    header["__metadata__"] = metadata;

    std::string headerText = header.dump();
    // Pad with spaces to a multiple of 8 so the data section is 8-byte aligned (as safetensors does).
    headerText.append((8 - headerText.size() % 8) % 8, ' ');
    std::string bytes;
    bytes.reserve(8 + headerText.size() + data.size());
    const std::uint64_t n = headerText.size();
    for (int i = 0; i < 8; ++i)
        bytes.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
    bytes += headerText;
    bytes += data;
    writeFileAtomically(path, bytes);
}

// ---- reading -------------------------------------------------------------------------------------------

SafetensorsFile::SafetensorsFile(const std::string& path, const std::string& whatItIs)
    : m_path(path), m_in(path, std::ios::binary)
{
    if (!m_in)
        fail(path, "open", "expected a readable file (" + errnoText() + ")");
    m_in.seekg(0, std::ios::end);
    const auto fileSize = static_cast<std::uint64_t>(m_in.tellg());
    m_in.seekg(0);
    if (fileSize < 8)
        fail(path, "header length", "expected at least 8 bytes, the file has " + std::to_string(fileSize));
    unsigned char lenBytes[8];
    m_in.read(reinterpret_cast<char*>(lenBytes), 8);
    std::uint64_t headerLen = 0;
    for (int i = 0; i < 8; ++i)
        headerLen |= std::uint64_t(lenBytes[i]) << (8 * i);
    if (headerLen > fileSize - 8)
        fail(path, "header length",
             "expected at most " + std::to_string(fileSize - 8) + " (the bytes after it), got " + std::to_string(headerLen));
    if (headerLen > kMaxSafetensorsHeaderBytes)
        fail(path, "header length",
             "expected at most " + std::to_string(kMaxSafetensorsHeaderBytes) + ", got " + std::to_string(headerLen));
    if (headerLen < 2)
        fail(path, "header length", "expected a JSON object, got " + std::to_string(headerLen) + " bytes");
    std::string headerText(headerLen, '\0');
    m_in.read(headerText.data(), static_cast<std::streamsize>(headerLen));
    if (!m_in)
        fail(path, "header", "expected " + std::to_string(headerLen) + " bytes, the file ended early");
    // Depth-limited: a deeply nested header would otherwise overflow the stack in the copies and messages below.
    std::optional<json> header = tryParseJsonLimited(headerText, path, "");
    if (!header)
        parseJsonLimited(headerText, path, "header"); // throws, wording the syntax error
    m_header = *std::move(header);
    if (!m_header.is_object())
        fail(path, "header", "expected a JSON object");
    m_dataStart = 8 + headerLen;
    m_dataSize = fileSize - m_dataStart;

    auto metaIt = m_header.find("__metadata__");
    if (metaIt == m_header.end() || !metaIt->is_object())
        fail(path, "__metadata__", "expected an object of strings (this is not " + whatItIs + ")");
    m_metadata = *metaIt;
    for (auto it = m_metadata.begin(); it != m_metadata.end(); ++it) {
        if (!it.value().is_string())
            fail(path, "__metadata__." + fieldName(it.key()), "expected a string, got " + describeJson(it.value()));
    }
}

json SafetensorsFile::decodedMetadata() const
{
    json decoded = json::object();
    for (auto it = m_metadata.begin(); it != m_metadata.end(); ++it) {
        // A string that is not JSON stays a string; one that nests too deep is refused (copying it would recurse).
        std::optional<json> value = tryParseJsonLimited(it.value().get<std::string>(), m_path,
                                                         "__metadata__." + fieldName(it.key()));
        decoded[it.key()] = value ? *std::move(value) : it.value();
    }
    return decoded;
}

std::string SafetensorsFile::metaString(const std::string& key) const
{
    auto it = m_metadata.find(key);
    if (it == m_metadata.end())
        fail(m_path, "__metadata__." + key, "expected the key to be present");
    return it->get<std::string>(); // every value was checked to be a string
}

void SafetensorsFile::parseTensors()
{
    m_entries.clear();
    for (auto it = m_header.begin(); it != m_header.end(); ++it) {
        if (it.key() == "__metadata__")
            continue;
        m_entries.push_back(parseEntry(it.key(), it.value()));
    }
    std::vector<const Entry*> byOffset;
    for (const Entry& t : m_entries)
        byOffset.push_back(&t);
    std::sort(byOffset.begin(), byOffset.end(), [](const Entry* a, const Entry* b) {
        return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
    });
    std::uint64_t expectedBegin = 0;
    for (const Entry* t : byOffset) {
        if (t->begin != expectedBegin)
            fail(m_path, fieldName(t->name) + ".data_offsets",
                 "expected to begin at " + std::to_string(expectedBegin) + " (tensors contiguous, not overlapping), got " +
                     std::to_string(t->begin));
        expectedBegin = t->end;
    }
    if (expectedBegin != m_dataSize)
        fail(m_path, "data section",
             "expected " + std::to_string(expectedBegin) + " bytes (the end of the last tensor), got " +
                 std::to_string(m_dataSize));
}

std::vector<std::string> SafetensorsFile::tensorNames() const
{
    std::vector<std::string> names;
    for (const Entry& t : m_entries)
        names.push_back(t.name);
    return names;
}

bool SafetensorsFile::contains(const std::string& name) const
{
    return std::any_of(m_entries.begin(), m_entries.end(), [&](const Entry& t) { return t.name == name; });
}

std::vector<std::uint64_t> SafetensorsFile::shape(const std::string& name) const
{
    const auto it = std::find_if(m_entries.begin(), m_entries.end(), [&](const Entry& t) { return t.name == name; });
    if (it == m_entries.end())
        fail(m_path, fieldName(name), "expected the tensor to be present");
    return it->shape;
}

void SafetensorsFile::read(const std::string& name, Matrix& out, long long rows, long long cols, const std::string& owner)
{
    const auto it = std::find_if(m_entries.begin(), m_entries.end(), [&](const Entry& t) { return t.name == name; });
    if (it == m_entries.end())
        fail(m_path, fieldName(name), "expected the tensor to be present (shape " + shapeText(rows, cols) + ")");
    if (it->shape.size() != 2 || it->shape[0] != static_cast<std::uint64_t>(rows) ||
        it->shape[1] != static_cast<std::uint64_t>(cols))
        fail(m_path, fieldName(name) + ".shape",
             "expected " + shapeText(rows, cols) + " for " + owner + ", got " + describeJson(json(it->shape)));
    out.resize(rows, cols);
    readData(m_path, m_in, m_dataStart, it->begin, it->end, fieldName(name), out);
}

SafetensorsFile::Entry SafetensorsFile::parseEntry(const std::string& name, const json& entry) const
{
    const std::string field = fieldName(name); // a tensor name can be megabytes of anything
    if (!entry.is_object())
        fail(m_path, field, "expected an object with dtype, shape and data_offsets");
    auto dtype = entry.find("dtype");
    if (dtype == entry.end() || !dtype->is_string())
        fail(m_path, field + ".dtype", "expected \"F32\"");
    if (dtype->get<std::string>() != "F32")
        fail(m_path, field + ".dtype", "expected \"F32\", got " + quoteValue(dtype->get<std::string>()));
    Entry t;
    t.name = name;
    auto shape = entry.find("shape");
    if (shape == entry.end() || !shape->is_array())
        fail(m_path, field + ".shape", "expected an array of non-negative integers");
    if (shape->size() > kMaxSafetensorsRank)
        fail(m_path, field + ".shape",
             "expected at most " + std::to_string(kMaxSafetensorsRank) + " dimensions, got " + std::to_string(shape->size()));
    for (const json& d : *shape) {
        if (!d.is_number_unsigned())
            fail(m_path, field + ".shape", "expected an array of non-negative integers, got " + describeJson(*shape));
        t.shape.push_back(d.get<std::uint64_t>());
    }
    // The element count, checked for overflow and against what the data section can hold.
    const std::uint64_t elements =
        checkedProduct(t.shape, m_dataSize / sizeof(float), m_path, field + ".shape", "float32 values (the data section)");
    auto offsets = entry.find("data_offsets");
    if (offsets == entry.end() || !offsets->is_array() || offsets->size() != 2 || !(*offsets)[0].is_number_unsigned() ||
        !(*offsets)[1].is_number_unsigned())
        fail(m_path, field + ".data_offsets", "expected [begin, end] as two non-negative integers");
    t.begin = (*offsets)[0].get<std::uint64_t>();
    t.end = (*offsets)[1].get<std::uint64_t>();
    if (t.begin > t.end || t.end > m_dataSize)
        fail(m_path, field + ".data_offsets",
             "expected 0 <= begin <= end <= " + std::to_string(m_dataSize) + " (the data section), got " + describeJson(*offsets));
    if (t.end - t.begin != elements * sizeof(float))
        fail(m_path, field + ".data_offsets",
             "expected " + std::to_string(elements * sizeof(float)) + " bytes for shape " + describeJson(*shape) + ", got " +
                 std::to_string(t.end - t.begin));
    return t;
}

} // namespace gsn
