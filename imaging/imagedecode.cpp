#include "imagedecode.h"

#include "error.h"
#include "sizecheck.h"

#include <QFile>
#include <QFileInfo>
#include <QImageReader>
#include <QMessageLogContext>
#include <QtGlobal>

#include <zlib.h>

#include <cctype>
#include <cstring>
#include <mutex>
#include <thread>

namespace gsn {

namespace {

// Qt's message handler is process-wide: while one decode captures, messages from other threads go on to
// the handler that was installed before (decodes themselves are serialised by g_lock).
std::mutex g_lock;
std::thread::id g_capturingThread;
QtMessageHandler g_previous = nullptr;
std::string* g_captured = nullptr;

void captureHandler(QtMsgType type, const QMessageLogContext& context, const QString& message)
{
    if (std::this_thread::get_id() == g_capturingThread && g_captured) {
        if (g_captured->size() < 4096)
            *g_captured += (g_captured->empty() ? "" : "; ") + message.toStdString();
        return;
    }
    if (g_previous)
        g_previous(type, context, message);
}

// Installs captureHandler for its lifetime (the caller holds g_lock).
class ScopedCapture {
public:
    explicit ScopedCapture(std::string& into)
    {
        g_captured = &into;
        g_capturingThread = std::this_thread::get_id();
        g_previous = qInstallMessageHandler(captureHandler);
    }
    ~ScopedCapture()
    {
        qInstallMessageHandler(g_previous);
        g_captured = nullptr;
        g_capturingThread = std::thread::id();
    }
    ScopedCapture(const ScopedCapture&) = delete;
    ScopedCapture& operator=(const ScopedCapture&) = delete;
};

// libpng prints its errors to stderr itself (Qt installs no error function), so a message handler cannot
// keep them from the terminal: a PNG's chunk structure is checked here first, and a file that fails is
// refused before libpng sees it. Checks: the signature, each chunk's length inside the file, its type
// (four ASCII letters), its CRC, and an IEND chunk. Returns "" when the structure is sound.
std::string pngStructureProblem(const QByteArray& bytes)
{
    static const unsigned char kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.constData());
    const std::size_t n = std::size_t(bytes.size());
    if (n < 8 || std::memcmp(p, kSignature, 8) != 0)
        return {}; // not a PNG: the decoder says what it is not
    std::size_t at = 8;
    while (true) {
        if (n - at < 12)
            return "the file ends inside a chunk header after " + std::to_string(at) + " bytes (truncated)";
        const std::uint32_t length = (std::uint32_t(p[at]) << 24) | (std::uint32_t(p[at + 1]) << 16) |
                                     (std::uint32_t(p[at + 2]) << 8) | std::uint32_t(p[at + 3]);
        const unsigned char* type = p + at + 4;
        for (int i = 0; i < 4; ++i)
            if (!std::isalpha(type[i]))
                return "invalid chunk type " + quoteValue(std::string(reinterpret_cast<const char*>(type), 4)) + " at byte " +
                       std::to_string(at + 4);
        const std::string name(reinterpret_cast<const char*>(type), 4);
        if (length > n - at - 12)
            return "chunk " + name + " at byte " + std::to_string(at) + " claims " + std::to_string(length) +
                   " bytes, more than the file holds (truncated)";
        const unsigned char* c = p + at + 8 + length;
        const std::uint32_t stored = (std::uint32_t(c[0]) << 24) | (std::uint32_t(c[1]) << 16) |
                                     (std::uint32_t(c[2]) << 8) | std::uint32_t(c[3]);
        if (std::uint32_t(crc32(crc32(0L, Z_NULL, 0), type, 4 + length)) != stored)
            return "chunk " + name + " at byte " + std::to_string(at) + " has a wrong CRC (corrupt)";
        at += 12 + length;
        if (name == "IEND")
            return {};
    }
}

} // namespace

QImage decodeImageFile(const QString& path, const std::string& field, const std::string& expected)
{
    const std::string where = path.toStdString();
    if (!QFileInfo::exists(path))
        fail(where, field, "expected an existing file (" + expected + "), found nothing there");
    {
        QFile file(path);
        if (file.open(QIODevice::ReadOnly) && file.size() <= (qint64(1) << 30)) {
            const std::string problem = pngStructureProblem(file.readAll());
            if (!problem.empty())
                fail(where, field, "expected " + expected + ", but the file is not an image (PNG: " + problem + ")");
        }
    }
    std::lock_guard<std::mutex> lock(g_lock);
    std::string warnings;
    QImage image;
    QString readerError;
    {
        const ScopedCapture capture(warnings);
        QImageReader reader(path);
        reader.setDecideFormatFromContent(true);
        // The header's size first: a corrupt or hostile header must not decide what is allocated.
        const QSize size = reader.size();
        if (size.isValid())
            checkedProduct({std::uint64_t(std::max(size.width(), 0)), std::uint64_t(std::max(size.height(), 0))},
                           kMaxDecodedPixels, where, field, "pixels (" + std::to_string(size.width()) + "x" +
                                                                std::to_string(size.height()) + " in its header)");
        image = reader.read();
        readerError = reader.errorString();
    }
    if (image.isNull()) {
        std::string detail = readerError.toStdString();
        if (!warnings.empty())
            detail += "; the decoder said: " + quoteValue(warnings, 200);
        fail(where, field, "expected " + expected + ", but the file is not an image (" + detail + ")");
    }
    return image;
}

} // namespace gsn
