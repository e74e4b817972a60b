// Architecture builders behind models::build_model. Each takes a resolved spec (defaults filled in,
// values validated) and returns the network with zero weights; build_model initialises it.
#pragma once

#include "mipp/models/zoo.h"

namespace mipp::models {

graph::Network build_mlp(const ModelSpec& spec);
graph::Network build_lenet5(const ModelSpec& spec);
graph::Network build_vgg(const ModelSpec& spec);            // vgg11, vgg13, vgg16, vgg19
graph::Network build_resnet_cifar(const ModelSpec& spec);   // resnet20, 32, 56, 110
graph::Network build_resnet_imagenet(const ModelSpec& spec);  // resnet18, 34, 50

}  // namespace mipp::models
