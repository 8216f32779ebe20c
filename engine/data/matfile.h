#pragma once
// Face datasets stored as MATLAB .mat files (v5, compressed or not, and v7.3), read with libmatio.
//
// Recognised variables (MATLAB arrays are column-major):
//   TFD       `images`  N x H x W (TFD_48x48.mat: N x 48 x 48 uint8); image n's pixel (row r, column c)
//                       is images(n, r, c). Optional `folds` N x 5 (0 unlabeled, 1 train, 2 valid,
//                       3 test) and `labs_ex` N x 1 (expression 1..7, -1 when unknown).
//   Olivetti  `faces`   D x N with D = S*S (olivettifaces.mat: 4096 x 400); column i is an S x S image
//                       stored column-major: pixel (r, c) = faces(r + S*c, i).
//   Frey      `ff`      560 x N (frey_rawface.mat: 560 x 1965); column i is a 28-row x 20-column
//                       image stored row-major: pixel (r, c) = ff(20*r + c, i).
// Values: integer classes are divided by 255; floats are kept in [0, 1] or divided by 255 when in
// [0, 255] (olivettifaces.mat holds 0..255 doubles); NaN, infinities or other ranges are errors.

#include "dataset.h"

#include <string>

namespace gsn {

// Loads the images of a .mat file. selection is "" (all images) or, for TFD only, a fold split:
// "train", "valid", "test" or "unlabeled", optionally followed by the fold 1..5 ("test3"; default 1).
// Labels come from `labs_ex` (0..6) when every selected image has one.
// Throws gsn::Error naming the file and the variable: not a .mat file, truncated, no recognised
// variable (the message lists the ones found), wrong rank, sizes, class or values.
Dataset loadMatDataset(const std::string& path, const std::string& selection);

} // namespace gsn
