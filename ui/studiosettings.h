#pragma once
// One setting of the studio's QSettings, written only when it changes. QSettings rewrites its whole file
// for every change and QSaveFile fdatasyncs it, on the calling thread (the GUI thread); when a checkpoint
// is being written beside it, that fdatasync waits for the checkpoint's data too. Most of the studio's
// settings (the folder last saved into, the recent files) are set again and again to the value they have.

#include <QString>
#include <QVariant>

namespace gsn {

// Sets `key` to `value` unless it already holds exactly that; true when it wrote.
bool storeSetting(const QString& key, const QVariant& value);

} // namespace gsn
