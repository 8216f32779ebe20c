#pragma once
// Small files the GUI writes (the evaluation history, PNG exports of the inpainting window) go through a
// FileWriteQueue: the bytes are made on the GUI thread (cheap), the write happens on a worker, one file
// after another, each atomically (QSaveFile: temp file, fdatasync, rename). The fdatasync is why: on the
// GUI thread it waited for the disk, and with a checkpoint being written beside it, for that file's data
// too (the soak's blocked stalls, docs/robustness.md "Soak").
//
// A write still waiting for the same path is replaced by a newer one (the newest content wins), so a
// history saved after every evaluation never queues up. Writes still waiting when the queue is destroyed
// are done then, on the spot (quitting must not lose them); a write in progress finishes on its worker.

#include "backgroundjob.h"

#include <QByteArray>
#include <QObject>
#include <QString>

#include <deque>
#include <utility>

namespace gsn {

class FileWriteQueue : public QObject {
    Q_OBJECT
public:
    explicit FileWriteQueue(QObject* parent = nullptr);
    ~FileWriteQueue() override;

    // Queues `bytes` for `path`; `written` tells the outcome later (GUI thread).
    void write(const QString& path, QByteArray bytes);
    // Nothing is waiting or being written.
    bool idle() const { return !m_job.isRunning() && m_pending.empty(); }
    // Runs the event loop until idle (tests, quitting); false if `ms` passed first.
    bool waitForIdle(int ms = 30000);

    // Writes `bytes` to `path` atomically on the calling thread; throws gsn::Error naming the file.
    static void writeNow(const QString& path, const QByteArray& bytes);

signals:
    // After each write: `error` is empty on success, else the message (file named).
    void written(const QString& path, const QString& error);

private:
    void startNext();

    BackgroundJob m_job{this};
    std::deque<std::pair<QString, QByteArray>> m_pending;
};

} // namespace gsn
