#pragma once
// Helpers shared by the `gsn` subcommands that render with Qt (sample, inpaint).

#include <nlohmann/json.hpp>

#include <QGuiApplication>

#include <memory>
#include <string>

namespace gsn::commands {

// The test split that goes with a checkpoint's training data ("mnist-train" -> "mnist-test"),
// from its decoded __metadata__; empty when the dataset is not a known one.
std::string testSetFor(const nlohmann::json& metadata);

// A QGuiApplication for rendering (offscreen unless QT_QPA_PLATFORM says otherwise), or null when
// one exists already. Keep the returned object alive while rendering.
std::unique_ptr<QGuiApplication> ensureGuiApp();

} // namespace gsn::commands
