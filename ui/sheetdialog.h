#pragma once
// File > Export sheet...: choose chains, first step, every k-th step, rows x columns, padding, scale and
// colour map, see a live preview, save as PNG, PDF or SVG (sheetwriter.h). A failed save shows the
// message and keeps the dialog open; nothing half-written is left behind.

#include "sheet.h"
#include "sheetwriter.h"

#include <QDialog>

#include <memory>
#include <vector>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace gsn {

class SheetDialog : public QDialog {
    Q_OBJECT

public:
    // frames: the recorded steps to choose from (views, see sheetFramesOf); keepAlive owns what they
    // point into (e.g. a shared vector of FramePtr). provenance: model hash, kind, epoch, seed, clamp;
    // the dialog fills in steps and chains.
    SheetDialog(std::vector<SheetFrame> frames, std::shared_ptr<const void> keepAlive, SheetProvenance provenance,
                QWidget* parent = nullptr);

    SheetOptions options() const;
    void setOptions(const SheetOptions& options);
    // The sheet as currently previewed (null image when the options match nothing; see errorText()).
    const Sheet& sheet() const { return m_sheet; }
    QString errorText() const;
    // The provenance written with the current sheet.
    SheetProvenance provenance() const;
    // Saves the current sheet; returns false and shows the reason when it cannot be written.
    bool saveTo(const QString& path, QString* error = nullptr);

private slots:
    void updatePreview();
    void chooseFileAndSave();

private:
    std::vector<SheetFrame> m_frames;
    std::shared_ptr<const void> m_keepAlive;
    SheetProvenance m_provenance;
    Sheet m_sheet;
    int m_chainCount = 0;

    QLineEdit* m_chains = nullptr;
    QSpinBox* m_first = nullptr;
    QSpinBox* m_every = nullptr;
    QSpinBox* m_maxSteps = nullptr;
    QSpinBox* m_rows = nullptr;
    QSpinBox* m_columns = nullptr;
    QSpinBox* m_padding = nullptr;
    QSpinBox* m_scale = nullptr;
    QDoubleSpinBox* m_padValue = nullptr;
    QComboBox* m_colorMap = nullptr;
    QLabel* m_preview = nullptr;
    QLabel* m_status = nullptr;
};

} // namespace gsn
