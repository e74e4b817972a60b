#include "io/network_json.h"

#include "mipp/util/error.h"
#include "mipp/util/overloaded.h"

namespace mipp::io {

namespace {

using namespace graph;
using nlohmann::json;
using util::Overloaded;

json op_attrs(const Op& op) {
  return std::visit(
      Overloaded{
          [](const InputOp& o) -> json { return {{"shape", o.shape}}; },
          [](const Conv2dOp& o) -> json {
            return {{"in_channels", o.in_channels}, {"out_channels", o.out_channels}, {"kernel", o.kernel},
                    {"stride", o.stride},           {"padding", o.padding},           {"dilation", o.dilation},
                    {"groups", o.groups},           {"bias", o.bias}};
          },
          [](const LinearOp& o) -> json {
            return {{"in_features", o.in_features}, {"out_features", o.out_features}, {"bias", o.bias}};
          },
          [](const BatchNormOp& o) -> json {
            return {{"num_features", o.num_features}, {"eps", o.eps}, {"momentum", o.momentum}};
          },
          [](const ActivationOp& o) -> json {
            if (o.kind == ActivationKind::kLeakyRelu) return {{"negative_slope", o.negative_slope}};
            if (o.kind == ActivationKind::kHardtanh) return {{"min_val", o.min_val}, {"max_val", o.max_val}};
            return json::object();
          },
          [](const MaxPoolOp& o) -> json {
            json j = {{"kernel", o.kernel}, {"stride", o.stride}, {"padding", o.padding}};
            if (o.ceil_mode) j["ceil_mode"] = true;  // written only when set: older files stay as they were
            return j;
          },
          [](const AvgPoolOp& o) -> json { return {{"kernel", o.kernel}, {"stride", o.stride}, {"padding", o.padding}}; },
          [](const AdaptiveAvgPoolOp& o) -> json { return {{"output_size", o.output_size}}; },
          [](const DropoutOp& o) -> json { return {{"p", o.p}}; },
          [](const auto&) -> json { return json::object(); },
      },
      op);
}

Op op_from_json(const std::string& kind, const json& a) {
  auto activation = [&](ActivationKind k) {
    return ActivationOp{k, a.value("negative_slope", 0.01), a.value("min_val", -1.0), a.value("max_val", 1.0)};
  };
  if (kind == "conv2d") {
    Conv2dOp o;
    a.at("in_channels").get_to(o.in_channels);
    a.at("out_channels").get_to(o.out_channels);
    a.at("kernel").get_to(o.kernel);
    a.at("stride").get_to(o.stride);
    a.at("padding").get_to(o.padding);
    a.at("dilation").get_to(o.dilation);
    a.at("groups").get_to(o.groups);
    a.at("bias").get_to(o.bias);
    return o;
  }
  if (kind == "linear") return LinearOp{a.at("in_features").get<int64_t>(), a.at("out_features").get<int64_t>(), a.at("bias").get<bool>()};
  if (kind == "batch_norm") return BatchNormOp{a.at("num_features").get<int64_t>(), a.at("eps").get<double>(),
                                                   a.at("momentum").get<double>()};
  if (kind == "relu") return activation(ActivationKind::kRelu);
  if (kind == "leaky_relu") return activation(ActivationKind::kLeakyRelu);
  if (kind == "gelu") return activation(ActivationKind::kGelu);
  if (kind == "sigmoid") return activation(ActivationKind::kSigmoid);
  if (kind == "tanh") return activation(ActivationKind::kTanh);
  if (kind == "hardtanh") return activation(ActivationKind::kHardtanh);
  if (kind == "silu") return activation(ActivationKind::kSilu);
  if (kind == "max_pool2d") {
    return MaxPoolOp{a.at("kernel").get<Pair>(), a.at("stride").get<Pair>(), a.at("padding").get<Pair>(),
                     a.value("ceil_mode", false)};
  }
  if (kind == "avg_pool2d") return AvgPoolOp{a.at("kernel").get<Pair>(), a.at("stride").get<Pair>(), a.at("padding").get<Pair>()};
  if (kind == "adaptive_avg_pool2d") return AdaptiveAvgPoolOp{a.at("output_size").get<Pair>()};
  if (kind == "flatten") return FlattenOp{};
  if (kind == "add") return AddOp{};
  if (kind == "concat") return ConcatOp{};
  if (kind == "dropout") return DropoutOp{a.at("p").get<double>()};
  if (kind == "identity") return IdentityOp{};
  MIPP_FAIL(kCorruption, "unknown op '{}'", kind);
}

}  // namespace

json network_to_json(const Network& net, const AttributeNames& names) {
  json nodes = json::array();
  for (int id = 0; id < net.num_nodes(); ++id) {
    const Node& n = net.node(id);
    json node = {{"name", n.name},
                 {"op", op_name(n.op)},
                 {"inputs", n.inputs},
                 {"attrs", op_attrs(n.op)},
                 {"out_shape", n.out_shape},
                 {"tensors", names[id]}};
    if (!n.frozen.empty()) node["frozen"] = n.frozen;  // optional: files without it read as before
    nodes.push_back(std::move(node));
  }
  return {{"input_shape", net.input_shape()}, {"output", net.output()}, {"nodes", nodes}};
}

Network network_from_json(const json& j, AttributeNames& names) {
  const json& nodes = j.at("nodes");
  MIPP_CHECK(nodes.is_array() && !nodes.empty() && nodes[0].at("op") == "input", kCorruption,
             "graph: the first node must be the input");
  Network net(nodes[0].at("attrs").at("shape").get<Shape>());
  names.assign(nodes.size(), {});
  names[0] = nodes[0].value("tensors", std::map<std::string, std::string>{});
  for (size_t id = 1; id < nodes.size(); ++id) {
    const json& n = nodes[id];
    const std::string name = n.at("name");
    try {
      net.add(name, op_from_json(n.at("op").get<std::string>(), n.at("attrs")), n.at("inputs").get<std::vector<int>>());
      names[id] = n.at("tensors").get<std::map<std::string, std::string>>();
      if (n.contains("frozen")) net.freeze(static_cast<int>(id), n.at("frozen").get<std::string>());
    } catch (const json::exception& e) {
      MIPP_FAIL(kCorruption, "graph node {}: {}", name, e.what());
    } catch (const Error& e) {
      MIPP_FAIL(kCorruption, "graph node {}: {}", name, e.what());
    }
    MIPP_CHECK(n.at("out_shape").get<Shape>() == net.node(static_cast<int>(id)).out_shape, kCorruption,
               "graph node {}: stored output shape differs from the inferred one", name);
  }
  net.set_output(j.at("output").get<int>());
  return net;
}

}  // namespace mipp::io
