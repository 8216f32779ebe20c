#pragma once
// File > Export sheet...: choose chains, first step, every k-th step, rows x columns, padding, scale and
// colour map, see a live preview, save as PNG, PDF or SVG (sheetwriter.h). A failed save shows the
// message and keeps the dialog open; nothing half-written is left behind. The sheet is rendered, scaled
// for the preview and encoded on BackgroundJobs: a sheet of thousands of cells never stalls the GUI thread.

#include "backgroundjob.h"
#include "sheet.h"
#include "sheetwriter.h"

#include <QDialog>

#include <memory>
#include <vector>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
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
    // The sheet as last previewed (null image when the options match nothing, see errorText(), or
    // while the first preview is rendering, see isRendering()).
    const Sheet& sheet() const { return m_sheet; }
    QString errorText() const;
    // A preview for the current options is being rendered (previewReady() follows).
    bool isRendering() const { return m_render.isRunning(); }
    // The provenance written with the previewed sheet.
    SheetProvenance provenance() const;
    // Renders the current options' sheet and writes it to path on a worker; saveFinished() follows
    // (error empty on success; on failure the target is left as it was). Returns at once.
    void save(const QString& path);
    bool isSaving() const { return m_save.isRunning(); }

signals:
    void previewReady();
    void saveFinished(const QString& path, const QString& error);

private slots:
    void updatePreview();
    void chooseFileAndSave();

private:
    // The frames (views) and what owns the memory they point into, shared with the workers.
    struct Source {
        std::vector<SheetFrame> frames;
        std::shared_ptr<const void> keepAlive;
    };
    static SheetProvenance provenanceFor(const SheetProvenance& base, const Sheet& sheet, int every);

    std::shared_ptr<const Source> m_source;
    SheetProvenance m_provenance;
    Sheet m_sheet;
    int m_chainCount = 0;
    BackgroundJob m_render{this};
    BackgroundJob m_save{this};
    QPushButton* m_saveButton = nullptr;
    bool m_saveReported = false; // chooseFileAndSave's failure box is connected

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
