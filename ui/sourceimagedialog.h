#pragma once
// The dialog that picks the source image of an inpainting run (from a dataset, a file or a chain).
// The conversion it applies lives in imaging/sourceimage.h (Qt Gui only, shared with `gsn inpaint`).

#include "dataset.h"
#include "sourceimage.h"

#include <QDialog>
#include <QImage>
#include <QString>

#include <memory>
#include <vector>

class QCheckBox;
class QComboBox;
class QLabel;
class QSpinBox;
class QTabWidget;

namespace gsn {

// Dialog that picks a source image: "Dataset" (index spin box, class combo with Next of class),
// "File" (open or drop a PNG/JPEG, invert check box, preview of the converted result) and, when given,
// "Chain" (the current sample of a running chain). accepted -> source() holds the choice.
class SourceImageDialog : public QDialog {
    Q_OBJECT
public:
    SourceImageDialog(int width, int height, std::shared_ptr<const Dataset> dataset, QWidget* parent = nullptr);

    // Offers the current sample of a chain (shape = [height * width]); empty = no "Chain" page.
    void setChainSample(std::vector<float> pixels, const QString& origin);
    // Loads a file into the "File" page (as Open or a drop does). Returns false and shows why on failure.
    bool openFile(const QString& path);

    SourceImage source() const;
    // The last message shown (error or hint), for tests.
    QString message() const { return m_message; }

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void updatePreview();
    void setMessage(const QString& text);

    int m_width;
    int m_height;
    std::shared_ptr<const Dataset> m_dataset;
    QTabWidget* m_tabs = nullptr;
    QSpinBox* m_index = nullptr;
    QComboBox* m_class = nullptr;
    QCheckBox* m_invert = nullptr;
    QLabel* m_preview = nullptr;
    QLabel* m_messageLabel = nullptr;
    QImage m_fileImage;
    QString m_fileName;
    SourceImage m_chain;
    int m_chainPage = -1;
    QString m_message;
};

} // namespace gsn
