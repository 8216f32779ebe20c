#pragma once
// Test support for GUI tests (links QtWidgets; engine tests use testsupport.h only).

#include <QAbstractButton>
#include <QApplication>
#include <QMessageBox>
#include <QObject>
#include <QString>
#include <QTimer>

namespace gsn::test {

// While it lives, answers every visible message box named `name` with `button`, as a user clicking it
// would: a timer on the GUI thread looks for the box every 10 ms (a modal box's exec() keeps the event
// loop, and so this timer, running). answered() counts the boxes answered.
class BoxAnswerer {
public:
    BoxAnswerer(const QString& name, QMessageBox::StandardButton button) : m_name(name), m_button(button)
    {
        QObject::connect(&m_timer, &QTimer::timeout, [this] { poll(); });
        m_timer.start(10);
    }
    int answered() const { return m_answered; }
    QString lastText() const { return m_lastText; }

private:
    void poll()
    {
        for (QWidget* window : QApplication::topLevelWidgets()) {
            auto* box = qobject_cast<QMessageBox*>(window);
            if (!box)
                box = window->findChild<QMessageBox*>(m_name);
            if (!box || box->objectName() != m_name || !box->isVisible() || !box->button(m_button))
                continue;
            m_lastText = box->text() + QLatin1Char('\n') + box->informativeText();
            ++m_answered;
            box->button(m_button)->click();
            return;
        }
    }

    QString m_name;
    QMessageBox::StandardButton m_button;
    QTimer m_timer;
    int m_answered = 0;
    QString m_lastText;
};

} // namespace gsn::test
