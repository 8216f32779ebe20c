#include "defaultmodel.h"

#include "error.h"

#include <QDir>
#include <QFile>
#include <QTemporaryFile>

// The resource lives in the static `ui` library; referencing its initialiser makes the linker keep it.
static void initModelResources()
{
    Q_INIT_RESOURCE(gsn_models);
}

namespace gsn {

QString defaultModelResource()
{
    return QStringLiteral(":/resources/default-gsn2.safetensors");
}

bool hasDefaultModel()
{
    initModelResources();
    return QFile::exists(defaultModelResource());
}

Checkpoint loadCheckpointResource(const QString& resource)
{
    initModelResources();
    const std::string where = resource.toStdString();
    QFile in(resource);
    if (!in.open(QIODevice::ReadOnly))
        fail(where, "resource", "expected an embedded checkpoint (" + in.errorString().toStdString() + ")");
    // loadCheckpoint reads files; the resource is memory-mapped data, so a temp copy (~15-30 MB, a few ms)
    // keeps one validated reader for files and resources alike.
    QTemporaryFile temp(QDir::tempPath() + QStringLiteral("/gsn-default-XXXXXX.safetensors"));
    if (!temp.open())
        fail(where, "temporary file", "expected a writable temp folder (" + temp.errorString().toStdString() + ")");
    const QByteArray bytes = in.readAll();
    if (temp.write(bytes) != bytes.size() || !temp.flush())
        fail(where, "temporary file", "expected to write " + std::to_string(bytes.size()) + " bytes (" +
                                          temp.errorString().toStdString() + ")");
    Checkpoint checkpoint = loadCheckpoint(temp.fileName().toStdString());
    return checkpoint;
}

Checkpoint loadDefaultModel()
{
    return loadCheckpointResource(defaultModelResource());
}

} // namespace gsn
