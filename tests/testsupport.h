#pragma once
// Set-up shared by the test executables: scratch folders, cached datasets, raw file bytes, isolated settings for
// GUI tests, and the small models of every kind the inpainting tests clamp.

#include "datasets.h"
#include "model.h"

#include <QCoreApplication>
#include <QDir>
#include <QSettings>
#include <QString>

#if defined(__SANITIZE_ADDRESS__)
#include <dlfcn.h>
#endif

#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>

namespace gsn::test {

// GSN_TEST_TMP/<name> (a temp folder when unset), created.
inline QString scratchDir(const QString& name)
{
    const QString base = qEnvironmentVariable("GSN_TEST_TMP", QDir::tempPath() + "/gsn_test_tmp");
    const QString dir = base + "/" + name;
    QDir().mkpath(dir);
    return dir;
}

// A registry dataset (datasets.h), loaded once per test run; a failure to load throws (setup.sh
// fetches the data, so that is a test failure).
inline const Dataset& cachedDataset(const std::string& name)
{
    static std::map<std::string, Dataset> cache;
    auto it = cache.find(name);
    if (it == cache.end())
        it = cache.emplace(name, loadDataset(name)).first;
    return it->second;
}

// Whole file as bytes (empty when unreadable).
inline std::string readBytes(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void writeBytes(const std::string& path, const std::string& bytes)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), std::streamsize(bytes.size()));
}

// For a GUI test's initMain(): QSettings go to the scratch folder, never to the user's configuration.
inline void isolateSettings(const QString& scratch)
{
    qputenv("XDG_CONFIG_HOME", (scratch + "/config").toLocal8Bit());
}

// For a GUI test's initTestCase(): names the application and starts from empty settings.
inline void clearSettings(const char* application)
{
    QCoreApplication::setOrganizationName(QStringLiteral("gsn-test"));
    QCoreApplication::setApplicationName(QString::fromLatin1(application));
    QSettings().clear();
}

// For a GUI test's initMain() under AddressSanitizer: keeps Mesa's software GL driver mapped until
// exit. Mesa unloads it before LeakSanitizer runs, which leaves the driver's one-time allocations
// with no module name ("<unknown module>"), beyond the reach of .ci/lsan.supp. No effect otherwise.
inline void keepGlDriverForLeakCheck()
{
#if defined(__SANITIZE_ADDRESS__)
    for (const char* path : {"/usr/lib/x86_64-linux-gnu/dri/swrast_dri.so", "/usr/lib/dri/swrast_dri.so"}) {
        if (dlopen(path, RTLD_NOW | RTLD_NODELETE))
            break;
    }
#endif
}

// A small untrained model of `kind` ("dae", "gsn2", "gsn3", otherwise "rbm") on n visible units, seed 3.
inline std::shared_ptr<const Model> makeSmallModel(const QString& kind, int n)
{
    if (kind == "dae")
        return createModel({{"kind", "dae"}, {"sizes", {n, 16}}}, 3);
    if (kind == "gsn2")
        return createModel({{"kind", "gsn2"}, {"sizes", {n, 12, 10}}}, 3);
    if (kind == "gsn3")
        return createModel({{"kind", "gsn3"}, {"sizes", {n, 12, 10, 8}}}, 3);
    return createModel({{"kind", "rbm"}, {"sizes", {n, 14}}}, 3);
}

} // namespace gsn::test
