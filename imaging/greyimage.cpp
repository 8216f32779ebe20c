#include "greyimage.h"

#include "colormap.h"

namespace gsn {

QImage greyImage(const float* pixels, int width, int height)
{
    QImage image(width, height, QImage::Format_Grayscale8);
    for (int y = 0; y < height; ++y) {
        uchar* line = image.scanLine(y);
        for (int x = 0; x < width; ++x)
            line[x] = greyLevel(pixels[y * width + x]);
    }
    return image;
}

} // namespace gsn
