#pragma once
// The OpenGL surface format the chain view is written for.

namespace gsn {

// Requests an OpenGL 3.3 core profile context as the application default. Call before the
// QApplication is constructed (gsn-studio's main and the GUI tests do).
void setDefaultSurfaceFormat();

} // namespace gsn
