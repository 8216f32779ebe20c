#pragma once
// The Chains dock: number of chains (1-1000), start/pause, single step, reset, seed, how chains start
// (noise, a chosen test image, random test images), steps per second or as fast as possible, mean or
// sampled state, and for GSNs the noise used while sampling. A view onto a ChainController.

#include <QDockWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QSpinBox;

namespace gsn {

class ChainController;

class ChainsDock : public QDockWidget {
    Q_OBJECT
public:
    ChainsDock(ChainController* chains, QWidget* parent = nullptr);

    // Refreshes the sampling-noise controls for the current model (GSN or not, its own values).
    void modelChanged();
    // Which data the model was trained on and whether it fits the loaded dataset (the main window's
    // words); `mismatch` shows it as a warning with a "New model for this dataset" button.
    void setModelDataNote(const QString& text, bool mismatch);
    QPushButton* startButton() const { return m_start; }

signals:
    // The user asked for a new model sized for the loaded dataset.
    void newModelForDataRequested();

public:
    QSpinBox* chainCountBox() const { return m_count; }

private:
    void applyStart();
    void applyRate();
    void applyNoise();
    void updateStatus();

    ChainController* m_chains;
    QSpinBox* m_count = nullptr;
    QPushButton* m_start = nullptr;
    QPushButton* m_step = nullptr;
    QPushButton* m_reset = nullptr;
    QSpinBox* m_seed = nullptr;
    QComboBox* m_init = nullptr;
    QSpinBox* m_image = nullptr;
    QDoubleSpinBox* m_rate = nullptr;
    QCheckBox* m_fastest = nullptr;
    QComboBox* m_show = nullptr;
    QCheckBox* m_ownNoise = nullptr;
    QDoubleSpinBox* m_hiddenNoise = nullptr;
    QDoubleSpinBox* m_corruption = nullptr;
    QLabel* m_status = nullptr;
    QLabel* m_dataNote = nullptr;
    QPushButton* m_newForData = nullptr;
};

} // namespace gsn
