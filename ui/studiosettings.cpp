#include "studiosettings.h"

#include <QSettings>

namespace gsn {

bool storeSetting(const QString& key, const QVariant& value)
{
    QSettings settings;
    if (settings.contains(key) && settings.value(key) == value)
        return false;
    settings.setValue(key, value);
    return true; // written when `settings` goes out of scope
}

} // namespace gsn
