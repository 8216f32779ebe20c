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

namespace {

// The safetensors readers read files; a resource is memory-mapped data, so a temp copy (~1-30 MB, a few
// ms) keeps one validated reader for files and resources alike.
void copyResource(const QString& resource, QTemporaryFile& temp)
{
    initModelResources();
    const std::string where = resource.toStdString();
    QFile in(resource);
    if (!in.open(QIODevice::ReadOnly))
        fail(where, "resource", "expected an embedded file (" + in.errorString().toStdString() + ")");
    temp.setFileTemplate(QDir::tempPath() + QStringLiteral("/gsn-resource-XXXXXX.safetensors"));
    if (!temp.open())
        fail(where, "temporary file", "expected a writable temp folder (" + temp.errorString().toStdString() + ")");
    const QByteArray bytes = in.readAll();
    if (temp.write(bytes) != bytes.size() || !temp.flush())
        fail(where, "temporary file", "expected to write " + std::to_string(bytes.size()) + " bytes (" +
                                          temp.errorString().toStdString() + ")");
}

} // namespace

Checkpoint loadCheckpointResource(const QString& resource)
{
    QTemporaryFile temp;
    copyResource(resource, temp);
    return loadCheckpoint(temp.fileName().toStdString());
}

QString defaultClassifierResource()
{
    return QStringLiteral(":/resources/mnist-classifier.safetensors");
}

std::shared_ptr<const Classifier> loadDefaultClassifier()
{
    initModelResources();
    if (!QFile::exists(defaultClassifierResource()))
        return nullptr;
    QTemporaryFile temp;
    copyResource(defaultClassifierResource(), temp);
    return std::make_shared<const Classifier>(loadClassifier(temp.fileName().toStdString()));
}

std::shared_ptr<const Classifier> classifierFor(const Dataset& data)
{
    static const std::shared_ptr<const Classifier> mnist = []() -> std::shared_ptr<const Classifier> {
        try {
            return loadDefaultClassifier();
        } catch (const std::exception&) {
            return nullptr; // tst_classifier checks the file; the studio then shows no classes
        }
    }();
    if (!mnist || data.name.rfind("mnist", 0) != 0 || data.width != mnist->width() || data.height != mnist->height())
        return nullptr;
    return mnist;
}

Checkpoint loadDefaultModel()
{
    return loadCheckpointResource(defaultModelResource());
}

} // namespace gsn
