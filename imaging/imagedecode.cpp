#include "imagedecode.h"

#include "error.h"
#include "sizecheck.h"

#include <QFileInfo>
#include <QImageReader>
#include <QMessageLogContext>
#include <QtGlobal>

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

} // namespace

QImage decodeImageFile(const QString& path, const std::string& field, const std::string& expected)
{
    const std::string where = path.toStdString();
    if (!QFileInfo::exists(path))
        fail(where, field, "expected an existing file (" + expected + "), found nothing there");
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
