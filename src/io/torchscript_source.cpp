#include "io/torchscript_source.h"

#include <cctype>
#include <set>
#include <fmt/ranges.h>

#include "mipp/util/error.h"
#include "mipp/util/overloaded.h"

namespace mipp::io {

namespace {

using namespace graph;
using util::Overloaded;

std::string identifier(const std::string& text) {
  std::string out;
  for (char c : text) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out.front()))) out = "n_" + out;
  return out;
}

// A float literal TorchScript types as float: 1.0 must not print as the int "1".
std::string float_literal(double v) {
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

std::string int_list(const Pair& p) { return fmt::format("[{}, {}]", p[0], p[1]); }

std::string var(int id) { return id == 0 ? "x" : fmt::format("v{}", id); }

}  // namespace

AttributeNames make_attribute_names(const Network& net) {
  AttributeNames names(net.num_nodes());
  std::set<std::string> used = {"training", "forward"};
  for (int id = 0; id < net.num_nodes(); ++id) {
    const Node& node = net.node(id);
    auto assign = [&](const std::string& key) {
      const std::string base = identifier(node.name + "_" + key);
      std::string name = base;
      for (int k = 2; used.count(name) > 0; ++k) name = fmt::format("{}_{}", base, k);
      used.insert(name);
      names[id][key] = name;
    };
    for (const auto& [key, t] : node.params) assign(key);
    for (const auto& [key, t] : node.buffers) assign(key);
  }
  return names;
}

std::string forward_source(const Network& net, const AttributeNames& names) {
  std::string src = "def forward(self, x):\n";
  for (int id = 1; id < net.num_nodes(); ++id) {
    const Node& node = net.node(id);
    auto attr = [&](const std::string& key) {
      auto it = names[id].find(key);
      return it == names[id].end() ? std::string("None") : "self." + it->second;
    };
    const std::string in = node.inputs.empty() ? "" : var(node.inputs.front());
    const std::string expr = std::visit(
        Overloaded{
            [&](const InputOp&) -> std::string { MIPP_FAIL(kInvalidArgument, "node {}: a second input", node.name); },
            [&](const Conv2dOp& c) {
              return fmt::format("torch.conv2d({}, {}, {}, {}, {}, {}, {})", in, attr("weight"), attr("bias"),
                                 int_list(c.stride), int_list(c.padding), int_list(c.dilation), c.groups);
            },
            [&](const LinearOp&) { return fmt::format("torch.linear({}, {}, {})", in, attr("weight"), attr("bias")); },
            [&](const BatchNormOp& b) {
              return fmt::format("torch.batch_norm({}, {}, {}, {}, {}, self.training, {}, {}, True)", in,
                                 attr("weight"), attr("bias"), attr("running_mean"), attr("running_var"),
                                 float_literal(b.momentum), float_literal(b.eps));
            },
            [&](const ActivationOp& a) {
              switch (a.kind) {
                case ActivationKind::kRelu: return fmt::format("torch.relu({})", in);
                case ActivationKind::kLeakyRelu:
                  return fmt::format("torch.leaky_relu({}, {})", in, float_literal(a.negative_slope));
                case ActivationKind::kGelu: return fmt::format("torch.gelu({})", in);
                case ActivationKind::kSigmoid: return fmt::format("torch.sigmoid({})", in);
                case ActivationKind::kTanh: return fmt::format("torch.tanh({})", in);
                case ActivationKind::kHardtanh:
                  return fmt::format("torch.hardtanh({}, {}, {})", in, float_literal(a.min_val), float_literal(a.max_val));
                case ActivationKind::kSilu: return fmt::format("torch.silu({})", in);
              }
              MIPP_FAIL(kNotSupported, "node {}: unknown activation", node.name);
            },
            [&](const MaxPoolOp& p) {
              return fmt::format("torch.max_pool2d({}, {}, {}, {}, [1, 1], {})", in, int_list(p.kernel),
                                 int_list(p.stride), int_list(p.padding), p.ceil_mode ? "True" : "False");
            },
            [&](const AvgPoolOp& p) {
              return fmt::format("torch.avg_pool2d({}, {}, {}, {})", in, int_list(p.kernel), int_list(p.stride),
                                 int_list(p.padding));
            },
            [&](const AdaptiveAvgPoolOp& p) {
              return fmt::format("torch.adaptive_avg_pool2d({}, {})", in, int_list(p.output_size));
            },
            [&](const FlattenOp&) { return fmt::format("torch.flatten({}, 1)", in); },
            [&](const AddOp&) {
              std::vector<std::string> terms;
              for (int j : node.inputs) terms.push_back(var(j));
              return fmt::format("{}", fmt::join(terms, " + "));
            },
            [&](const ConcatOp&) {
              std::vector<std::string> parts;
              for (int j : node.inputs) parts.push_back(var(j));
              return fmt::format("torch.cat([{}], 1)", fmt::join(parts, ", "));
            },
            [&](const DropoutOp& d) { return fmt::format("torch.dropout({}, {}, self.training)", in, float_literal(d.p)); },
            [&](const IdentityOp&) { return in; },
        },
        node.op);
    src += fmt::format("    {} = {}  # {}\n", var(id), expr, node.name);
  }
  src += fmt::format("    return {}\n", var(net.output()));
  return src;
}

}  // namespace mipp::io
