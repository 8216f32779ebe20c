#include "commandsupport.h"

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

std::unique_ptr<QGuiApplication> ensureGuiApp()
{
    if (QCoreApplication::instance())
        return nullptr;
    // A command-line render needs no display.
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    static int argc = 1;
    static char name[] = "gsn";
    static char* argv[] = {name, nullptr};
    return std::make_unique<QGuiApplication>(argc, argv);
}

} // namespace gsn::commands
