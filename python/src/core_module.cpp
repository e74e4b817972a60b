// mipp._core: the C++ engine as Python sees it. The Python package (python/mipp/) turns a user's
// nn.Module into TorchScript, hands the ScriptModule to import_module() (its tensors are shared, not
// copied), runs prune / scores here, and writes the pruned tensors back into the user's modules.
// Options travel as JSON text, reports come back as JSON text: the same fields as the CLI's.
// Errors: mipp::Error caused by input becomes ValueError (OSError for the environment,
// KeyboardInterrupt for a cancelled run), with the CLI's message.
#include <optional>
#include <string>
#include <vector>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <torch/csrc/jit/python/module_python.h>
#include <torch/csrc/utils/pybind.h>
#include <ATen/ops/full.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "mipp/data/dataset.h"
#include "mipp/graph/analyze.h"
#include "mipp/info/estimator_registry.h"
#include "mipp/io/model_file.h"
#include "mipp/io/torchscript_import.h"
#include "mipp/pipeline/prepare_data.h"
#include "mipp/pipeline/prune_model.h"
#include "mipp/prune/method.h"
#include "mipp/report/prune_summary.h"
#include "mipp/util/device.h"
#include "mipp/util/error.h"
#include "mipp/util/seed.h"
#include "mipp/util/version.h"
#include "python_sink.h"

namespace mipp::python {

namespace py = pybind11;
using nlohmann::json;

namespace {

// Tensors the library keeps must not carry the caller's autograd history or requires_grad flags.
void detach_tensors(graph::Network& net) {
  for (int id = 0; id < net.num_nodes(); ++id) {
    graph::Node& node = net.node(id);
    for (auto& [key, t] : node.params) t = t.detach();
    for (auto& [key, t] : node.buffers) t = t.detach();
  }
}

io::Model import_script_module(const py::object& script_module, const graph::Shape& input_shape,
                               const std::string& source) {
  const std::optional<torch::jit::Module> module = torch::jit::as_module(script_module);
  if (!module) throw py::type_error("import_module: expected a torch.jit.ScriptModule");
  io::Model model = [&] {
    py::gil_scoped_release release;
    return io::import_module(*module, source, {input_shape});
  }();
  detach_tensors(model.network);
  return model;
}

// The units of every group by node name, and why the rest is frozen.
json groups_json(const graph::Network& net) {
  const graph::Analysis analysis = graph::analyze(net);
  json groups = json::array();
  const auto names = [&](const std::vector<int>& ids) {
    json out = json::array();
    for (int id : ids) out.push_back(net.node(id).name);
    return out;
  };
  const auto slice_names = [&](const std::vector<graph::ChannelSlice>& slices) {
    json out = json::array();
    for (const graph::ChannelSlice& s : slices) out.push_back(net.node(s.node).name);
    return out;
  };
  for (const graph::Group& g : analysis.groups) {
    groups.push_back({{"id", g.id},
                      {"name", g.name},
                      {"size", g.size},
                      {"producers", names(g.producers)},
                      {"per_channel", slice_names(g.per_channel)},
                      {"consumers", slice_names(g.consumers)}});
  }
  return {{"groups", groups}, {"frozen", analysis.frozen}};
}

// Per node with tensors: its name, op, tensors and the constructor arguments a module needs.
py::list node_tensors(const graph::Network& net) {
  py::list out;
  for (int id = 0; id < net.num_nodes(); ++id) {
    const graph::Node& node = net.node(id);
    if (node.params.empty() && node.buffers.empty()) continue;
    py::dict tensors;
    for (const auto& [key, t] : node.params) tensors[py::str(key)] = t;
    for (const auto& [key, t] : node.buffers) tensors[py::str(key)] = t;
    const int64_t groups = node.is<graph::Conv2dOp>() ? node.as<graph::Conv2dOp>().groups : 1;
    out.append(py::make_tuple(node.name, std::string(graph::op_name(node.op)), tensors, groups));
  }
  return out;
}

// Calibration samples as the CLI draws them: the method's number of samples (or `samples`), chosen
// by the seed from what the caller gave; labels only for methods that read them.
struct Calibration {
  data::Dataset calibration;
  data::Dataset verification;
  bool given = false;
};

Calibration make_calibration(const std::optional<at::Tensor>& inputs, const std::optional<at::Tensor>& labels,
                             const io::Model& model, const prune::Method& method, int64_t samples, uint64_t seed) {
  Calibration c;
  if (!inputs) return c;
  data::Dataset all;
  all.name = "calibration";
  all.inputs = inputs->detach().to(at::kCPU, at::kFloat).contiguous();
  const graph::Shape& out_shape = model.network.node(model.network.output()).out_shape;
  all.num_classes = out_shape.empty() ? 0 : out_shape.front();
  MIPP_CHECK(all.inputs.dim() >= 2 && all.inputs.sizes().slice(1).vec() == model.network.input_shape(),
             kInvalidArgument, "calibration: inputs of shape {} do not match the model's input [N, {}]",
             fmt::format("[{}]", fmt::join(all.inputs.sizes(), ", ")), fmt::join(model.network.input_shape(), ", "));
  if (labels) {
    all.labels = labels->detach().to(at::kCPU, at::kLong).contiguous();
  } else {
    MIPP_CHECK(!method.needs_labels() && method.verification_samples() == 0, kInvalidArgument,
               "method {} needs labelled calibration data: pass (inputs, labels) or a DataLoader that yields both",
               method.name());
    all.labels = at::full({all.size()}, 0, at::kLong);  // validate() wants labels; they are dropped below
  }
  data::validate(all, "calibration");
  if (samples <= 0) samples = method.default_calibration_samples();
  c.calibration = data::calibration_subset(all, samples, util::derive_seed(seed, "calibration"), method.needs_labels());
  if (method.verification_samples() > 0) {
    c.verification = data::calibration_subset(all, method.verification_samples(),
                                              util::derive_seed(seed, "verification"), /*with_labels=*/true);
  }
  c.given = true;
  return c;
}

prune::Budget budget_from_json(const json& j) {
  prune::Budget b;
  b.sparsity = j.value("sparsity", b.sparsity);
  b.target = j.value("target", b.target);
  const json& scope = j.value("scope", json("global"));
  if (scope.is_object()) {
    b.scope = "custom";
    for (const auto& [name, value] : scope.items()) {
      MIPP_CHECK(value.is_number(), kInvalidArgument, "scope: sparsity of {} is not a number", name);
      b.layer_sparsity[name] = value.get<double>();
    }
  } else {
    b.scope = scope.get<std::string>();
    MIPP_CHECK(b.scope == "global" || b.scope == "layer", kInvalidArgument,
               "scope {}: use \"global\", \"layer\", or a dict of group name -> sparsity", b.scope);
  }
  b.max_layer_sparsity = j.value("max_layer_sparsity", b.max_layer_sparsity);
  b.min_width = j.value("min_width", b.min_width);
  b.min_width_fraction = j.value("min_width_fraction", b.min_width_fraction);
  b.round_to = j.value("round_to", b.round_to);
  prune::validate(b);
  return b;
}

json parse_options(const std::string& text) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    MIPP_FAIL(kInvalidArgument, "method options: not valid JSON: {}", e.what());
  }
}

// prune(): one pruning run, as `mipp prune` does it, on the model's copy in the library.
// The options of a pruning run from the package's JSON; a value of the wrong type is named.
pipeline::PruneOptions prune_options(const json& config) {
  pipeline::PruneOptions options;
  try {
    options.method = config.at("method").get<std::string>();
    options.method_options = config.value("method_options", json::object());
    options.budget = budget_from_json(config.value("budget", json::object()));
    options.seed = config.value("seed", uint64_t{0});
    options.rounds = config.value("rounds", 1);
    options.round_schedule = config.value("round_schedule", options.round_schedule);
    options.reweight = config.value("reweight", false);
    options.reweight_options.variant = config.value("reweight_variant", options.reweight_options.variant);
    options.recalibrate_bn = config.value("recalibrate_bn", false);
  } catch (const json::exception& e) {
    MIPP_FAIL(kInvalidArgument, "prune options {}: a value has the wrong type ({})", config.dump(), e.what());
  }
  return options;
}

py::tuple prune_model(const io::Model& model, const std::string& config_text, const std::optional<at::Tensor>& inputs,
                const std::optional<at::Tensor>& labels, const std::string& device, py::object callback) {
  const json config = parse_options(config_text);
  const pipeline::PruneOptions options = prune_options(config);
  const auto method = prune::make_method(options.method, options.method_options);  // fail fast
  const bool needs_data = method->needs_data() || options.reweight || options.recalibrate_bn;
  MIPP_CHECK(!needs_data || inputs, kInvalidArgument,
             "method {}{} needs calibration data: pass calibration=<DataLoader | Tensor | (inputs, labels)>",
             options.method, options.reweight ? " with reweight" : options.recalibrate_bn ? " with recalibrate_bn" : "");
  const Calibration data =
      make_calibration(needs_data ? inputs : std::nullopt, labels, model, *method, config.value("calib_samples", int64_t{0}),
                       options.seed);

  PythonSink sink(std::move(callback));
  std::optional<pipeline::PruneResult> result;
  {
    py::gil_scoped_release release;
    try {
      io::Model on_device = model;
      on_device.network.to(util::resolve_device(device));
      result = pipeline::prune_model(on_device, data.given ? &data.calibration : nullptr, nullptr, options, sink,
                                     data.verification.size() > 0 ? &data.verification : nullptr);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::kCancelled || !sink.has_pending()) throw;
    }
  }
  sink.rethrow_pending();
  return py::make_tuple(std::move(result->pruned), result->report.dump());
}

// scores(): per-unit scores of a scoring method, by group name.
py::list scores(const io::Model& model, const std::string& config_text, const std::optional<at::Tensor>& inputs,
                const std::optional<at::Tensor>& labels, const std::string& device, py::object callback) {
  const json config = parse_options(config_text);
  const std::string name = config.at("method").get<std::string>();
  const auto method = prune::make_method(name, config.value("method_options", json::object()));
  MIPP_CHECK(!method->needs_data() || inputs, kInvalidArgument,
             "method {} needs calibration data: pass calibration=<DataLoader | Tensor | (inputs, labels)>", name);
  const uint64_t seed = config.value("seed", uint64_t{0});
  const Calibration data = make_calibration(method->needs_data() ? inputs : std::nullopt, labels, model, *method,
                                            config.value("calib_samples", int64_t{0}), seed);
  PythonSink sink(std::move(callback));
  std::vector<at::Tensor> values;
  graph::Network net = model.network.deep_copy();
  const graph::Analysis analysis = graph::analyze(net);
  {
    py::gil_scoped_release release;
    try {
      net.to(util::resolve_device(device));
      prune::MethodInputs in{net, analysis, data.given ? &data.calibration : nullptr, seed, sink};
      values = method->score(in);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::kCancelled || !sink.has_pending()) throw;
    }
  }
  sink.rethrow_pending();
  py::list out;
  for (size_t g = 0; g < values.size(); ++g) out.append(py::make_tuple(analysis.groups[g].name, values[g]));
  return out;
}

py::dict mutual_information(const at::Tensor& x, const at::Tensor& y, const std::optional<at::Tensor>& z,
                            const std::string& estimator_name, const std::string& options_text, double confidence) {
  const auto estimator = info::make_estimator(estimator_name, parse_options(options_text));
  const at::Tensor zt = z ? *z : at::Tensor();
  info::Estimate estimate;
  info::TestResult test;
  {
    py::gil_scoped_release release;
    estimate = zt.defined() ? estimator->conditional_mutual_information(x, y, zt) : estimator->mutual_information(x, y);
    if (confidence > 0) test = estimator->test_positive_cmi(x, y, zt, confidence);
  }
  py::dict out(py::arg("value") = estimate.value, py::arg("std_error") = estimate.std_error,
               py::arg("samples") = estimate.samples, py::arg("estimator") = estimator_name);
  if (confidence > 0) {
    out["p_value"] = test.p_value;
    out["statistic"] = test.statistic;
    out["significant"] = test.significant;
  }
  return out;
}

// A dataset by name, fitted to `input_shape` and normalised as `mipp train` would (or with the
// given normalisation), so Python code sees exactly the samples the CLI sees.
py::dict load_dataset(const std::string& name, const std::string& dir, const graph::Shape& input_shape,
                      const std::string& normalization_text) {
  pipeline::DataOptions options;
  options.dataset = name;
  options.dir = dir;
  data::Normalization normalization;
  data::from_json(parse_options(normalization_text), normalization);
  pipeline::PreparedData d;
  {
    py::gil_scoped_release release;
    d = pipeline::prepare_data(options, input_shape, normalization);
    // Python gets tensors: a streamed image folder is read whole (or refused, naming its size).
    d.train = data::in_memory(d.train);
    d.test = data::in_memory(d.test);
  }
  json applied;
  data::to_json(applied, d.normalization);
  return py::dict(py::arg("train_inputs") = d.train.inputs, py::arg("train_labels") = d.train.labels,
                  py::arg("test_inputs") = d.test.inputs, py::arg("test_labels") = d.test.labels,
                  py::arg("num_classes") = d.train.num_classes, py::arg("normalization") = applied.dump());
}

void translate_errors(std::exception_ptr p) {
  try {
    if (p) std::rethrow_exception(p);
  } catch (const Error& e) {
    switch (e.kind()) {
      case ErrorKind::kIo: PyErr_SetString(PyExc_OSError, e.what()); return;
      case ErrorKind::kCancelled: PyErr_SetString(PyExc_KeyboardInterrupt, e.what()); return;
      default: PyErr_SetString(PyExc_ValueError, e.what()); return;
    }
  }
}

}  // namespace

}  // namespace mipp::python

PYBIND11_MODULE(_core, m) {
  using namespace mipp;
  using namespace mipp::python;
  namespace py = pybind11;
  using nlohmann::json;
  m.doc() = "mipp's C++ engine (use the mipp package, not this module)";
  py::register_exception_translator(&translate_errors);

  py::class_<io::Model>(m, "Model", "a network in mipp's representation, with its metadata")
      .def_property_readonly("input_shape", [](const io::Model& model) { return model.network.input_shape(); })
      .def("metadata", [](const io::Model& model) {
        json j = {{"architecture", model.metadata.architecture},
                  {"dataset", model.metadata.dataset},
                  {"build", model.metadata.build},
                  {"history", model.metadata.history}};
        data::to_json(j["normalization"], model.metadata.normalization);
        return j.dump();
      })
      .def("groups", [](const io::Model& model) { return groups_json(model.network).dump(); })
      .def("node_tensors", [](const io::Model& model) { return node_tensors(model.network); });

  m.def("import_module", &import_script_module, py::arg("script_module"), py::arg("input_shape"), py::arg("source"));
  m.def("prune", &python::prune_model, py::arg("model"), py::arg("config"), py::arg("inputs"), py::arg("labels"), py::arg("device"),
        py::arg("callback"));
  m.def("scores", &scores, py::arg("model"), py::arg("config"), py::arg("inputs"), py::arg("labels"),
        py::arg("device"), py::arg("callback"));
  m.def("mutual_information", &mutual_information, py::arg("x"), py::arg("y"), py::arg("z"), py::arg("estimator"),
        py::arg("options"), py::arg("confidence"));
  m.def("methods", [] {
    py::list out;
    for (const prune::MethodInfo& info : prune::method_list()) {
      const auto method = prune::make_method(info.name);
      out.append(py::dict(py::arg("name") = info.name, py::arg("description") = info.description,
                          py::arg("needs_data") = method->needs_data(), py::arg("needs_labels") = method->needs_labels(),
                          py::arg("calibration_samples") = method->default_calibration_samples(),
                          py::arg("verification_samples") = method->verification_samples()));
    }
    return out;
  });
  m.def("load", [](const std::string& path) { return io::load_model(path); }, py::arg("path"));
  m.def("save", [](const io::Model& model, const std::string& path, const std::string& metadata_text) {
    io::ModelMetadata metadata = model.metadata;
    const json j = parse_options(metadata_text);
    metadata.architecture = j.value("architecture", metadata.architecture);
    metadata.dataset = j.value("dataset", metadata.dataset);
    if (j.contains("normalization")) data::from_json(j.at("normalization"), metadata.normalization);
    graph::Network cpu = model.network.deep_copy();
    cpu.to(at::kCPU);
    io::save_model(path, cpu, metadata);
  }, py::arg("model"), py::arg("path"), py::arg("metadata"));
  m.def("load_dataset", &load_dataset, py::arg("name"), py::arg("dir"), py::arg("input_shape"),
        py::arg("normalization"));
  m.def("summary", [](const std::string& report) { return report::prune_summary(json::parse(report)); });
  m.def("version", [] { return util::mipp_version(); });
}
