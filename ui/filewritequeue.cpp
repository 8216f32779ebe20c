#include "filewritequeue.h"

#include "error.h"

#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFileInfo>
#include <QSaveFile>
#include <QTimer>

#include <algorithm>

namespace gsn {

FileWriteQueue::FileWriteQueue(QObject* parent) : QObject(parent) {}

FileWriteQueue::~FileWriteQueue()
{
    for (const auto& [path, bytes] : m_pending) {
        try {
            writeNow(path, bytes);
        } catch (const std::exception&) {
            // Nobody is left to tell; the previous file is intact (the write is atomic).
        }
    }
}

void FileWriteQueue::write(const QString& path, QByteArray bytes)
{
    const auto waiting = std::find_if(m_pending.begin(), m_pending.end(), [&](const auto& p) { return p.first == path; });
    if (waiting != m_pending.end())
        waiting->second = std::move(bytes);
    else
        m_pending.emplace_back(path, std::move(bytes));
    startNext();
}

void FileWriteQueue::writeNow(const QString& path, const QByteArray& bytes)
{
    const QString folder = QFileInfo(path).absolutePath();
    if (!QDir().mkpath(folder))
        fail(path.toStdString(), "output", "cannot create the folder " + folder.toStdString());
    QSaveFile file(path); // temp file in the same folder, fdatasync, rename on commit
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit())
        fail(path.toStdString(), "output", "cannot write: " + file.errorString().toStdString());
}

void FileWriteQueue::startNext()
{
    if (m_job.isRunning() || m_pending.empty())
        return;
    auto [path, bytes] = std::move(m_pending.front());
    m_pending.pop_front();
    m_job.start([path, bytes](const JobControl&) { writeNow(path, bytes); },
                [this, path] {
                    emit written(path, QString());
                    startNext();
                },
                [this, path](const QString& error) {
                    emit written(path, error);
                    startNext();
                });
}

bool FileWriteQueue::waitForIdle(int ms)
{
    if (idle())
        return true;
    QEventLoop loop;
    QTimer timeout;
    timeout.setSingleShot(true);
    connect(&timeout, &QTimer::timeout, &loop, &QEventLoop::quit);
    connect(this, &FileWriteQueue::written, &loop, [&] {
        if (idle())
            loop.quit();
    });
    timeout.start(ms);
    loop.exec();
    return idle();
}

} // namespace gsn
