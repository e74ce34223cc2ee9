// Models as TorchScript modules built in C++: parameters registered on a
// torch::jit::Module and forward() defined in TorchScript source. Such a module trains
// from C++ (autograd runs through it), saves with Module::save, and loads in PyTorch with
// torch.jit.load, which a C++ torch::nn::Module could not offer.
//
// Layers are named; each layer's parameters are "<layer>_weight" and "<layer>_bias".
#pragma once

#include <string>
#include <vector>

#include <torch/script.h>

#include "securemark/status.h"

namespace securemark::models {

// "deepmarks_cnn": DeepMarks' MNIST network, 32C3-32C3-MP2-64C3-64C3-512FC-classes FC.
// "fc900": SecureMark-DL's fully connected net, four hidden layers of 900 units.
std::vector<std::string> ModelNames();

StatusOr<torch::jit::Module> BuildModel(const std::string& name, int64_t channels, int64_t height,
                                        int64_t width, int64_t classes, uint64_t seed);

// Names of the layers, in order of registration.
std::vector<std::string> LayerNames(const torch::jit::Module& model);

}  // namespace securemark::models
