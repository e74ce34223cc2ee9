// Models as TorchScript modules built in C++: parameters registered on a
// torch::jit::Module and forward() defined in TorchScript source. Such a module trains
// from C++ (autograd runs through it), saves with Module::save, and loads in PyTorch with
// torch.jit.load, which a C++ torch::nn::Module could not offer.
//
// A layer is addressed by name: "conv2" in the zoo's models (parameters "conv2_weight",
// "conv2_bias"), or a qualified name such as "features.3" in a module saved from PyTorch
// (parameters "features.3.weight", ...). Zoo models take images scaled to [0, 1] and
// normalise them with their own per-channel buffers input_mean and input_std, so a
// delivered model needs no preprocessing recipe.
#pragma once

#include <string>
#include <vector>

#include <torch/script.h>

#include "securemark/status.h"

namespace securemark::models {

// "deepmarks_cnn": DeepMarks' MNIST network, 32C3-32C3-MP2-64C3-64C3-512FC-classes FC.
// "fc900": SecureMark-DL's fully connected net, four hidden layers of 900 units.
// "lfw_conv": a face-recognition conv net, 32C3-MP2-64C3-MP2-128C3-MP2-256FC-classes FC.
// "vgg19_bn": VGG-19 with batch norm for 32x32 inputs, one linear classifier.
// "wrn16_4": wide ResNet, depth 16, widening 4 (pre-activation blocks), 32x32 inputs.
std::vector<std::string> ModelNames();

StatusOr<torch::jit::Module> BuildModel(const std::string& name, int64_t channels, int64_t height,
                                        int64_t width, int64_t classes, uint64_t seed);

// Layers that carry a weight matrix or kernel (conv and linear, not batch norm), in
// registration order, by qualified name.
std::vector<std::string> LayerNames(const torch::jit::Module& model);

// The weight of `layer`; NotFound lists the model's layers.
StatusOr<torch::Tensor> LayerWeight(const torch::jit::Module& model, const std::string& layer);

// Sets the per-channel normalisation of a zoo model (one value, or one per channel).
Status SetInputNormalization(torch::jit::Module& model, const std::vector<double>& mean,
                             const std::vector<double>& std);

// TorchScript archives (zoo models or anything torch.jit.save wrote).
StatusOr<torch::jit::Module> LoadModel(const std::string& bytes);
std::string SaveModel(const torch::jit::Module& model);

// A torch.save checkpoint loaded into a copy of `architecture`, read without Python or
// LibTorch's unpickler (state_dict_reader.h says which forms are accepted). Every
// parameter must be present with the architecture's shape, under its name, with '.'
// for '_', or behind a "module." prefix; buffers are taken when present; float16,
// bfloat16 and float64 tensors are converted to the architecture's types.
StatusOr<torch::jit::Module> LoadCheckpoint(const std::string& bytes,
                                            const torch::jit::Module& architecture);

// InvalidArgument naming the first parameter that holds NaN or infinite values.
Status CheckFinite(const torch::jit::Module& model);

}  // namespace securemark::models
