// Where a pipeline's images come from, as plain parameters: a directory and its format.
// One loader for the dataset.load plugin and for data owners, so that `--set data_dir=...
// format=image_folder` points every shipped pipeline at a vendor's own data.
//   idx           MNIST-style files: {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]
//   cifar         CIFAR-10 (data_batch_1..5.bin, test_batch.bin) or CIFAR-100 (train.bin,
//                 test.bin), told apart by which files the directory holds
//   image_folder  one sub-directory per class; with train/ and test/ sub-directories
//                 those are the splits, otherwise a fixed `holdout` share of every class
//                 is the test split (the same images whichever step asks)
#pragma once

#include <string>

#include "securemark/status.h"
#include "securemark/values.h"

namespace securemark::data {

struct DatasetSource {
  std::string format = "idx";
  std::string dir;
  std::string split = "train";  // train | test
  int64_t limit = 0;            // at most this many examples (0: all)
  // Conform the images to this shape (0: as stored). Grey and RGB convert into each
  // other; sizes change by nearest neighbour. Models fix their input shape, so a vendor's
  // folder of photos can feed a 28x28 grey model.
  int64_t channels = 0, height = 0, width = 0;
  double holdout = 0.2;
};

inline constexpr const char* kDatasetFormats = "idx|cifar|image_folder";

StatusOr<Dataset> LoadDataset(const DatasetSource& source);

// uint8 images [N, C, H, W] or [N, H, W] to [N, channels, height, width] (0 keeps that
// dimension). Returns the images unchanged when they already have the shape.
StatusOr<Tensor> ConformImages(const Tensor& images, int64_t channels, int64_t height,
                               int64_t width);

}  // namespace securemark::data
