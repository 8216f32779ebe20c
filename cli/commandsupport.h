#pragma once
// Helpers shared by the `gsn` subcommands that render with Qt (sample, inpaint).

#include "dataset.h"

#include <nlohmann/json.hpp>

#include <QGuiApplication>

#include <memory>
#include <string>
#include <vector>

namespace gsn::commands {

// The test split that goes with a checkpoint's training data ("mnist-train" -> "mnist-test"),
// from its decoded __metadata__; empty when the dataset is not a known one.
std::string testSetFor(const nlohmann::json& metadata);

// A QGuiApplication for rendering (offscreen unless QT_QPA_PLATFORM says otherwise), or null when
// one exists already. Keep the returned object alive while rendering.
std::unique_ptr<QGuiApplication> ensureGuiApp();

// Loads the test images `option` asked for (the dataset `dataSpec`: --data, else testSetFor the
// checkpoint) and checks they have `visible` pixels like the model. Throws gsn::Error.
Dataset loadTestImages(const std::string& dataSpec, int visible, const char* option);

// A figure for a metrics JSON: the number, or null when it is NaN or infinite (JSON has neither).
nlohmann::json number(double value);
nlohmann::json numbers(const std::vector<double>& values);

// Writes text to path atomically (QSaveFile: a temp file renamed over the target). Throws gsn::Error
// naming the path and the option (e.g. "--out") when it cannot be written; the target is then unchanged.
void writeTextAtomically(const std::string& path, const std::string& text, const char* option);

} // namespace gsn::commands
