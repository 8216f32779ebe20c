#include "commandsupport.h"

#include "datasets.h"
#include "error.h"
#include "jsonnumber.h"

#include <QDir>
#include <QSaveFile>

#include <cerrno>
#include <cmath>
#include <sys/stat.h>
#include <unistd.h>

namespace gsn::commands {

std::string testSetFor(const nlohmann::json& metadata)
{
    std::string name;
    if (metadata.contains("dataset") && metadata["dataset"].is_object())
        name = metadata["dataset"].value("name", std::string());
    if (name.rfind("mnist", 0) == 0)
        return "mnist-test";
    if (name.rfind("fashion", 0) == 0)
        return "fashion-test";
    if (name == "faces")
        return "faces";
    return {};
}

Dataset loadTestImages(const std::string& dataSpec, int visible, const char* option)
{
    if (dataSpec.empty())
        fail("command line", option, "the checkpoint names no dataset with test images: pass --data SPEC");
    Dataset data = loadDataset(dataSpec);
    if (data.dimension() != visible)
        fail(dataSpec, "image size", "expected " + std::to_string(visible) + " pixels like the model, got " +
                                         std::to_string(data.width) + "x" + std::to_string(data.height));
    return data;
}

std::unique_ptr<QGuiApplication> ensureGuiApp()
{
    if (QCoreApplication::instance())
        return nullptr;
    // A command-line render needs no display.
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    // Without XDG_RUNTIME_DIR (root shells, CI, ssh) Qt warns on stderr about choosing one; a command-line
    // tool's output must be its own messages only, so give Qt the private folder it would choose.
    if (qEnvironmentVariableIsEmpty("XDG_RUNTIME_DIR")) {
        const QByteArray dir = QDir::tempPath().toLocal8Bit() + "/runtime-gsn-" + QByteArray::number(uint(::getuid()));
        if (::mkdir(dir.constData(), 0700) == 0 || errno == EEXIST) {
            struct stat st {};
            if (::stat(dir.constData(), &st) == 0 && st.st_uid == ::getuid() && (st.st_mode & 0777) == 0700)
                qputenv("XDG_RUNTIME_DIR", dir);
        }
    }
    static int argc = 1;
    static char name[] = "gsn";
    static char* argv[] = {name, nullptr};
    return std::make_unique<QGuiApplication>(argc, argv);
}

nlohmann::json number(double value)
{
    return jsonNumber(value);
}

nlohmann::json numbers(const std::vector<double>& values)
{
    return jsonNumbers(values);
}

void writeTextAtomically(const std::string& path, const std::string& text, const char* option)
{
    QSaveFile file(QString::fromStdString(path));
    if (!file.open(QIODevice::WriteOnly) || file.write(text.data(), static_cast<qint64>(text.size())) != static_cast<qint64>(text.size()) ||
        !file.commit())
        fail(path, option, "cannot write the file: " + file.errorString().toStdString());
}

} // namespace gsn::commands
