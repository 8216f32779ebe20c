#pragma once
// The dataset registry: names and file paths -> gsn::Dataset.
//
// Names (files under dataDir()):
//   mnist-train      MNIST train[0:50000]       mnist/train-{images-idx3,labels-idx1}-ubyte
//   mnist-valid      MNIST train[50000:60000]
//   mnist-trainfull  MNIST train[0:60000]
//   mnist-test       MNIST t10k (10000)         mnist/t10k-{images-idx3,labels-idx1}-ubyte
//   fashion-train    Fashion-MNIST train (60000, gzip IDX)   fashion-mnist/train-*-ubyte.gz
//   fashion-test     Fashion-MNIST t10k (10000)
//   faces            LFW subset, first 100 images (the faces), 25 x 25   lfw/lfw_subset.npy
// Anything else is a file path:
//   *.npy            uint8 or float array [N, H, W] (or [H, W] for one image); floats in [0, 1] or [0, 255]
//   IDX (raw/.gz)    images [N, H, W]; a sibling labels file (…-labels-idx1-ubyte[.gz]) is paired
//                    automatically; a 1-D IDX file is rejected here (it holds labels, not images)
//   *.mat            TFD (`images` N x 48 x 48), Olivetti (`faces` 4096 x 400), Frey (`ff` 560 x 1965);
//                    "TFD_48x48.mat:train" (or valid, test, unlabeled; "train3" = fold 3) selects a
//                    TFD fold split. See matfile.h.

#include "dataset.h"

#include <string>
#include <vector>

namespace gsn {

// The data folder: $GSN_DATA_DIR if set and non-empty, else <source dir>/data.
std::string dataDir();

// The registry names above, in display order.
std::vector<std::string> datasetNames();

// True when spec is one of datasetNames().
bool isDatasetName(const std::string& spec);

// Loads a dataset by registry name or file path. Throws gsn::Error (one line naming the file, the
// field and what was expected) for a missing file (with a hint to run ./setup.sh for registry
// data), a corrupt or truncated file, or values that are not finite pixels.
Dataset loadDataset(const std::string& spec);

// Loads IDX images and, if labelsPath is non-empty, their labels (counts must match).
// pixels = bytes / 255; labelCount = largest label + 1.
Dataset loadIdxDataset(const std::string& imagesPath, const std::string& labelsPath, const std::string& name);

// Loads a .npy image array: [N, H, W] (or [H, W]); uint8 divided by 255, floats checked and scaled
// (see PixelScale::Detect). firstRows > 0 keeps only the first rows (e.g. the 100 LFW faces).
Dataset loadNpyDataset(const std::string& path, const std::string& name, int firstRows = 0);

// The labels file that goes with an IDX images file ("train-images-idx3-ubyte" ->
// "train-labels-idx1-ubyte", ".gz" kept), or "" when there is no such file.
std::string idxLabelsFor(const std::string& imagesPath);

} // namespace gsn
