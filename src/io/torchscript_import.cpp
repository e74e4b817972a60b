#include "mipp/io/torchscript_import.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/ir/constants.h>
#include <torch/csrc/jit/api/module.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/serialization/import.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/isfinite.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/sin.h>
#include <ATen/ops/zeros.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <numeric>
#include <memory>
#include <set>
#include <unordered_map>
#include <fmt/ranges.h>

#include "io/storage_records.h"
#include "mipp/graph/forward.h"
#include "mipp/util/error.h"
#include "mipp/util/version.h"

namespace mipp::io {

namespace {

namespace jit = torch::jit;
using graph::Pair;
using graph::Shape;

// What a TorchScript value stands for during the symbolic walk of `forward`.
struct Sym {
  enum class Kind {
    kConst,   // a value known now: numbers, lists, None, strings, and tensors read from attributes
    kModule,  // a (sub)module object
    kTensor,  // an activation: the output of a network node
    kList,    // a list or tuple that holds activations (lists are shared: `append` mutates them)
    kBatch,   // the batch size, x.size(0): unknown until run time
    kOpaque,  // anything else; using it is an error that says what it was
  };
  Kind kind = Kind::kOpaque;
  c10::IValue value;  // kConst; kModule: the module object
  std::string path;   // kModule: "layer1.0"; kConst tensor read from an attribute: "layer1.0.conv1.weight"
  int node = -1;      // kTensor: network node id
  // kTensor: which tensors share memory (views, in-place results) and which in-place version of
  // them this value is, so a read of a stale alias is caught rather than silently misread.
  int alias = -1;
  int version = 0;
  std::shared_ptr<std::vector<Sym>> items;  // kList
  std::string why;                           // kOpaque
  bool transposed = false;                   // kConst parameter read as weight.t() (addmm, matmul)

  bool is(Kind k) const { return kind == k; }
};

Sym make_const(c10::IValue v, std::string path = "") {
  Sym s;
  s.kind = Sym::Kind::kConst;
  s.value = std::move(v);
  s.path = std::move(path);
  return s;
}

Sym make_opaque(std::string why) {
  Sym s;
  s.why = std::move(why);
  return s;
}

Sym make_batch() {
  Sym s;
  s.kind = Sym::Kind::kBatch;
  return s;
}

Sym make_list(std::vector<Sym> items) {
  Sym s;
  s.kind = Sym::Kind::kList;
  s.items = std::make_shared<std::vector<Sym>>(std::move(items));
  return s;
}

// Where a node comes from in the user's code: "model.py:12 `x = x.view(-1, 400)`" (the whole
// source line, trimmed; traced graphs record only a file and line).
std::string location(const jit::Node* n) {
  jit::SourceRange r = n->sourceRange();
  if (auto original = r.findSourceRangeThatGenerated()) r = *original;
  const std::shared_ptr<jit::Source>& src = r.source();
  if (!src) return "an unknown source line";
  std::string where = "an unknown source line";
  if (auto flc = r.file_line_col()) where = fmt::format("{}:{}", std::get<0>(*flc), std::get<1>(*flc));
  std::string text = src->get_line(src->lineno_for_offset(r.start())).str();
  text = text.substr(0, text.find('\n'));
  text.erase(0, text.find_first_not_of(" \t"));
  // Traced graphs record a Python stack ("model.py(53): forward") rather than the code itself.
  if (src->filename() && text.rfind(*src->filename(), 0) == 0) return where;
  if (text.size() > 70) text = text.substr(0, 67) + "...";
  return text.empty() ? where : fmt::format("{} `{}`", where, text);
}

// PyTorch's own words for why a forward failed: "mat1 and mat2 shapes cannot be multiplied ...".
std::string torch_message(const std::exception& e) {
  const auto* c10 = dynamic_cast<const c10::Error*>(&e);
  std::string text = c10 != nullptr ? c10->what_without_backtrace() : e.what();
  const size_t last = text.rfind("Error: ");  // the interpreter ends with "RuntimeError: ..."
  if (last != std::string::npos && last + 7 < text.size()) text = text.substr(last + 7);
  const size_t start = std::min(text.find_first_not_of(" \n"), text.size());  // the compiler's start blank
  return text.substr(start, text.find('\n', start) - start);
}

// Modules of torch.nn run one op each; their ops take the module's name ("layer1.0.relu").
bool is_torch_nn_leaf(const c10::ClassTypePtr& type) {
  const std::string name = type->name() ? type->name()->qualifiedName() : "";
  return name.rfind("__torch__.torch.nn.modules.", 0) == 0 && name.find(".container.") == std::string::npos;
}

std::string join(const std::string& a, const std::string& b) { return a.empty() ? b : a + "." + b; }

// Node names allow letters, digits, '_', '.', '-'; ModuleDict keys may hold anything else.
std::string clean_name(const std::string& s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ? c : '_';
  return out.empty() ? "node" : out;
}

struct Frame {
  std::string path;   // the module whose code runs: "layer1.0"
  bool leaf = false;  // a torch.nn module other than a container
  int depth = 0;
};

class Importer {
 public:
  Importer(std::string file, Shape input_shape) : file_(std::move(file)), net_(std::move(input_shape)) {
    alias_version_.push_back(0);  // alias class 0: the network input
  }

  graph::Network run(const jit::Module& module) {
    const jit::Function& fn = module.type()->getMethod("forward");
    const std::shared_ptr<jit::Graph> g = jit::toGraphFunction(fn).graph();
    MIPP_CHECK(g->inputs().size() == 2, kNotSupported,
               "{}: forward takes {} inputs; mipp imports models with one input tensor", file_, g->inputs().size() - 1);
    Sym self;
    self.kind = Sym::Kind::kModule;
    self.value = module._ivalue();
    Sym x;
    x.kind = Sym::Kind::kTensor;
    x.node = 0;
    x.alias = 0;
    const std::vector<Sym> out = call(*g, {self, x}, Frame{});
    MIPP_CHECK(out.size() == 1 && out[0].is(Sym::Kind::kTensor), kNotSupported,
               "{}: forward returns {}; mipp imports models that return one tensor", file_,
               out.size() == 1 ? describe(out[0]) : fmt::format("{} values", out.size()));
    net_.set_output(out[0].node);
    return live_part();
  }

  const std::vector<std::string>& notes() const { return notes_; }

 private:
  using Env = std::unordered_map<const jit::Value*, Sym>;

  static std::string describe(const Sym& s) {
    switch (s.kind) {
      case Sym::Kind::kConst: return "a constant";
      case Sym::Kind::kModule: return "a module";
      case Sym::Kind::kTensor: return "a tensor";
      case Sym::Kind::kList: return "a list of tensors";
      case Sym::Kind::kBatch: return "the batch size";
      case Sym::Kind::kOpaque: return s.why;
    }
    return "a value";
  }

  // kTensor when every item of a list is an activation (a torch.cat operand).
  static Sym::Kind kind_of_items(const Sym& list) {
    const bool tensors = !list.items->empty() && std::all_of(list.items->begin(), list.items->end(), [](const Sym& s) {
      return s.is(Sym::Kind::kTensor);
    });
    return tensors ? Sym::Kind::kTensor : Sym::Kind::kOpaque;
  }

  [[noreturn]] void fail(const jit::Node* n, const Frame& f, const std::string& why) const {
    MIPP_FAIL(kNotSupported, "{}: cannot import {} at {}{}: {}", file_, n->kind().toQualString(), location(n),
              f.path.empty() ? "" : fmt::format(" (module {})", f.path), why);
  }

  std::vector<Sym> call(const jit::Graph& g, const std::vector<Sym>& args, const Frame& f) {
    MIPP_CHECK(f.depth < 200, kNotSupported, "{}: calls nest deeper than 200 (recursion?)", file_);
    Env env;
    for (size_t i = 0; i < g.inputs().size() && i < args.size(); ++i) env[g.inputs()[i]] = args[i];
    run_block(g.block(), env, f);
    std::vector<Sym> out;
    for (const jit::Value* v : g.outputs()) out.push_back(env.at(v));
    return out;
  }

  void run_block(const jit::Block* b, Env& env, const Frame& f) {
    for (const jit::Node* n : b->nodes()) run_node(n, env, f);
  }

  Sym lookup(const Env& env, const jit::Value* v, const jit::Node* n, const Frame& f) const {
    auto it = env.find(v);
    if (it == env.end()) fail(n, f, fmt::format("value %{} has no definition mipp followed", v->debugName()));
    return it->second;
  }

  // --- reading inputs ------------------------------------------------------------------------

  int tensor_in(const Sym& s, const jit::Node* n, const Frame& f) const {
    if (!s.is(Sym::Kind::kTensor)) fail(n, f, fmt::format("expected an activation, got {}", describe(s)));
    if (s.version != alias_version_[s.alias]) {
      fail(n, f, "reads a tensor after an in-place op changed it under another name; mipp cannot follow such aliasing");
    }
    return s.node;
  }

  const c10::IValue& const_in(const Sym& s, const jit::Node* n, const Frame& f, const char* what) const {
    if (!s.is(Sym::Kind::kConst)) fail(n, f, fmt::format("{} must be a constant, got {}", what, describe(s)));
    return s.value;
  }

  int64_t int_in(const Sym& s, const jit::Node* n, const Frame& f, const char* what) const {
    const c10::IValue& v = const_in(s, n, f, what);
    if (!v.isInt()) fail(n, f, fmt::format("{} must be an integer", what));
    return v.toInt();
  }

  double double_in(const Sym& s, const jit::Node* n, const Frame& f, const char* what) const {
    const c10::IValue& v = const_in(s, n, f, what);
    if (v.isDouble()) return v.toDouble();
    if (v.isInt()) return static_cast<double>(v.toInt());
    fail(n, f, fmt::format("{} must be a number", what));
  }

  bool bool_in(const Sym& s, const jit::Node* n, const Frame& f, const char* what) const {
    const c10::IValue& v = const_in(s, n, f, what);
    if (!v.isBool()) fail(n, f, fmt::format("{} must be a boolean", what));
    return v.toBool();
  }

  std::vector<int64_t> ints_in(const Sym& s, const jit::Node* n, const Frame& f, const char* what) const {
    const c10::IValue& v = const_in(s, n, f, what);
    if (v.isInt()) return {v.toInt()};
    if (!v.isIntList()) fail(n, f, fmt::format("{} must be a list of integers", what));
    return v.toIntVector();
  }

  // A kernel, stride, padding or dilation: one number for both sides, or [height, width].
  Pair pair_in(const Sym& s, const jit::Node* n, const Frame& f, const char* what) const {
    const std::vector<int64_t> v = ints_in(s, n, f, what);
    if (v.size() == 1) return {v[0], v[0]};
    if (v.size() != 2) fail(n, f, fmt::format("{} has {} entries; 2-D ops take 1 or 2", what, v.size()));
    return {v[0], v[1]};
  }

  // A tensor read from a module attribute (a parameter or buffer), float32, used by one op only.
  at::Tensor param_in(const Sym& s, const jit::Node* n, const Frame& f, const char* what) {
    if (!s.is(Sym::Kind::kConst) || !s.value.isTensor() || s.path.empty()) {
      fail(n, f, fmt::format("{} must be a module parameter, got {}", what, describe(s)));
    }
    if (s.transposed) fail(n, f, fmt::format("{} is a transposed parameter ({}.t()) where mipp expects it as stored", what, s.path));
    const at::Tensor t = s.value.toTensor();
    if (t.scalar_type() != at::kFloat) {
      fail(n, f, fmt::format("tensor {} is {}; mipp reads float32", s.path, c10::toString(t.scalar_type())));
    }
    if (!used_params_.insert(s.path).second) {
      fail(n, f, fmt::format("tensor {} is used by more than one op; pruning one would change the others", s.path));
    }
    return t.detach().clone();
  }

  bool is_none(const Sym& s) const { return s.is(Sym::Kind::kConst) && s.value.isNone(); }

  // --- building the network ------------------------------------------------------------------

  const Shape& shape_of(int node) const { return net_.node(node).out_shape; }

  std::string unique_name(const std::string& base) {
    std::string name = clean_name(base);
    for (int k = 2; names_.count(name) > 0; ++k) name = fmt::format("{}_{}", clean_name(base), k);
    names_.insert(name);
    return name;
  }

  // Name of a node without parameters: a torch.nn module's own name ("layer1.0.relu"), else the
  // module's name and the op ("layer1.0.add").
  std::string op_node_name(const Frame& f, const std::string& op) {
    if (f.leaf && !f.path.empty()) return unique_name(f.path);
    return unique_name(join(f.path, op));
  }

  // Name of a node with parameters: the module that owns its weight ("layer1.0.conv1").
  std::string param_node_name(const Sym& weight, const Frame& f, const std::string& op) {
    const size_t dot = weight.path.rfind('.');
    if (dot == std::string::npos) return op_node_name(f, op);
    return unique_name(weight.path.substr(0, dot));
  }

  Sym add_node(const std::string& name, graph::Op op, std::vector<int> inputs, const jit::Node* n, const Frame& f,
               const std::map<std::string, at::Tensor>& tensors = {}) {
    int id = -1;
    try {
      id = net_.add(name, std::move(op), std::move(inputs));
      for (const auto& [key, t] : tensors) net_.set_tensor(id, key, t);
    } catch (const Error& e) {
      fail(n, f, e.what());
    }
    Sym s;
    s.kind = Sym::Kind::kTensor;
    s.node = id;
    s.alias = static_cast<int>(alias_version_.size());
    alias_version_.push_back(0);
    return s;
  }

  // A result that shares memory with `of` (a view): same alias class and version.
  static Sym as_alias(Sym result, const Sym& of) {
    result.alias = of.alias;
    result.version = of.version;
    return result;
  }

  // --- the walk ------------------------------------------------------------------------------

  void run_node(const jit::Node* n, Env& env, const Frame& f) {
    const std::string kind = n->kind().toQualString();
    std::vector<Sym> in;
    for (const jit::Value* v : n->inputs()) in.push_back(lookup(env, v, n, f));
    auto set_out = [&](size_t i, Sym s) { env[n->outputs().at(i)] = std::move(s); };

    if (kind == "prim::Constant") {
      if (n->output()->type()->kind() == c10::TypeKind::FunctionType) return set_out(0, make_opaque("a function"));
      auto v = jit::toIValue(n->output());
      return set_out(0, v ? make_const(*v) : make_opaque("a constant mipp cannot read"));
    }
    if (kind == "prim::GetAttr") return set_out(0, get_attr(in.at(0), n->s(jit::attr::name), n, f));
    if (kind == "prim::SetAttr") fail(n, f, "assigns a module attribute in forward");
    if (kind == "prim::CallMethod") {
      if (!in.at(0).is(Sym::Kind::kModule)) fail(n, f, "calls a method of something that is not a module");
      const c10::ClassTypePtr type = in[0].value.toObject()->type();
      const jit::Function& fn = type->getMethod(n->s(jit::attr::name));
      const std::vector<Sym> out =
          call(*jit::toGraphFunction(fn).graph(), in, Frame{in[0].path, is_torch_nn_leaf(type), f.depth + 1});
      for (size_t i = 0; i < out.size(); ++i) set_out(i, out[i]);
      return;
    }
    if (kind == "prim::CallFunction") {
      const auto type = n->input(0)->type()->cast<c10::FunctionType>();
      if (!type) fail(n, f, "calls something that is not a TorchScript function");
      const std::vector<Sym> args(in.begin() + 1, in.end());
      const std::vector<Sym> out =
          call(*jit::toGraphFunction(*type->function()).graph(), args, Frame{f.path, f.leaf, f.depth + 1});
      for (size_t i = 0; i < out.size(); ++i) set_out(i, out[i]);
      return;
    }
    if (kind == "prim::If") {
      if (!in.at(0).is(Sym::Kind::kConst) || !in[0].value.isBool()) {
        fail(n, f, fmt::format("branches on {}: data-dependent control flow", describe(in[0])));
      }
      const jit::Block* b = n->blocks()[in[0].value.toBool() ? 0 : 1];
      run_block(b, env, f);
      for (size_t i = 0; i < n->outputs().size(); ++i) set_out(i, lookup(env, b->outputs()[i], n, f));
      return;
    }
    if (kind == "prim::Loop") return run_loop(n, in, env, f);
    if (kind == "prim::RaiseException") {
      const std::string msg = in.at(0).is(Sym::Kind::kConst) && in[0].value.isString() ? in[0].value.toStringRef() : "";
      fail(n, f, fmt::format("the model raises an exception on this path{}", msg.empty() ? "" : ": " + msg));
    }
    if (kind == "prim::ListConstruct" || kind == "prim::TupleConstruct") return set_out(0, construct(n, in));
    if ((kind == "prim::ListUnpack" || kind == "prim::TupleUnpack") && in.at(0).is(Sym::Kind::kList)) {
      if (in[0].items->size() != n->outputs().size()) fail(n, f, "unpacks a list of another length");
      for (size_t i = 0; i < n->outputs().size(); ++i) set_out(i, (*in[0].items)[i]);
      return;
    }
    if ((kind == "aten::__getitem__" || kind == "prim::TupleIndex") && in.at(0).is(Sym::Kind::kList)) {
      int64_t i = int_in(in.at(1), n, f, "the index");
      const int64_t size = static_cast<int64_t>(in[0].items->size());
      if (i < 0) i += size;
      if (i < 0 || i >= size) fail(n, f, "index out of range");
      return set_out(0, (*in[0].items)[i]);
    }
    if (kind == "aten::len" && in.at(0).is(Sym::Kind::kList)) {
      return set_out(0, make_const(static_cast<int64_t>(in[0].items->size())));
    }
    if (kind == "aten::append" && in.at(0).is(Sym::Kind::kList)) {
      in[0].items->push_back(in.at(1));
      return set_out(0, in[0]);
    }
    if (kind == "aten::warn" || kind == "prim::Print") return;
    if (kind == "prim::unchecked_cast") return set_out(0, in.at(0));  // a refinement of Optional[T] to T

    const bool has_tensor = std::any_of(in.begin(), in.end(), [](const Sym& s) {
      return s.is(Sym::Kind::kTensor) || (s.is(Sym::Kind::kList) && kind_of_items(s) == Sym::Kind::kTensor);
    });
    const bool has_batch = std::any_of(in.begin(), in.end(), [](const Sym& s) { return s.is(Sym::Kind::kBatch); });
    if (has_tensor) return tensor_op(kind, n, in, env, f);
    if (has_batch && (kind == "prim::NumToTensor" || kind == "aten::Int" || kind == "aten::ScalarImplicit" ||
                      kind == "prim::ImplicitTensorToNum")) {
      return set_out(0, make_batch());
    }
    const bool all_const = std::all_of(in.begin(), in.end(), [](const Sym& s) { return s.is(Sym::Kind::kConst); });
    if (!all_const) {
      if (kind == "aten::__is__" || kind == "aten::__isnot__") {  // a module or list is never None
        const bool none = is_none(in[0]) || is_none(in.at(1));
        return set_out(0, make_const(none ? kind == "aten::__isnot__" : false));
      }
      for (size_t i = 0; i < n->outputs().size(); ++i) {
        set_out(i, make_opaque(fmt::format("the result of {} at {} on {}", kind, location(n), describe(in[0]))));
      }
      return;
    }
    if ((kind == "aten::t" || kind == "aten::numpy_T") && in.at(0).value.isTensor() && !in[0].path.empty() &&
        in[0].value.toTensor().dim() == 2) {
      Sym t = in[0];  // keeps the parameter's name: addmm(b, x, w.t()) is a linear layer
      t.value = in[0].value.toTensor().t();
      t.transposed = !t.transposed;
      return set_out(0, t);
    }
    const bool reads_tensor = std::any_of(in.begin(), in.end(), [](const Sym& s) { return s.value.isTensor(); });
    static const std::set<std::string> kPureOnTensors = {"aten::__is__", "aten::__isnot__", "aten::dim",
                                                         "aten::len", "prim::unchecked_cast", "aten::size"};
    if (reads_tensor && kPureOnTensors.count(kind) == 0) {
      // Computing on a parameter (`self.weight * 2`) would bake a derived tensor in; say so if used.
      for (size_t i = 0; i < n->outputs().size(); ++i) {
        set_out(i, make_opaque(fmt::format("a tensor computed from parameters by {} at {}", kind, location(n))));
      }
      return;
    }
    evaluate(n, in, env, f);
  }

  Sym get_attr(const Sym& owner, const std::string& name, const jit::Node* n, const Frame& f) {
    if (!owner.is(Sym::Kind::kModule)) fail(n, f, fmt::format("reads attribute {} of {}", name, describe(owner)));
    // Imported for inference: every module is in eval mode, whatever mode it was saved in.
    if (name == "training") return make_const(false);
    const c10::IValue v = owner.value.toObject()->getAttr(name);
    if (v.isObject() && v.toObject()->type()->is_module()) {
      Sym m;
      m.kind = Sym::Kind::kModule;
      m.value = v;
      m.path = join(owner.path, name);
      return m;
    }
    return make_const(v, v.isTensor() ? join(owner.path, name) : "");
  }

  Sym construct(const jit::Node* n, const std::vector<Sym>& in) {
    const bool all_const = std::all_of(in.begin(), in.end(), [](const Sym& s) { return s.is(Sym::Kind::kConst); });
    if (!all_const) return make_list(in);
    if (n->kind() == c10::prim::TupleConstruct) {
      std::vector<c10::IValue> items;
      for (const Sym& s : in) items.push_back(s.value);
      return make_const(c10::ivalue::Tuple::create(std::move(items)));
    }
    const auto list_type = n->output()->type()->cast<c10::ListType>();
    c10::impl::GenericList list(list_type ? list_type->getElementType() : c10::AnyType::get());
    for (const Sym& s : in) list.push_back(s.value);
    // Typed lists (int[]) must carry their element type for the ops that read them.
    return make_const(c10::IValue(std::move(list)));
  }

  void run_loop(const jit::Node* n, const std::vector<Sym>& in, Env& env, const Frame& f) {
    const int64_t trips = int_in(in.at(0), n, f, "the loop's trip count");
    bool go = bool_in(in.at(1), n, f, "the loop's condition");
    std::vector<Sym> carried(in.begin() + 2, in.end());
    const jit::Block* body = n->blocks()[0];
    constexpr int64_t kMaxTrips = 100000;
    for (int64_t i = 0; go && i < trips; ++i) {
      if (i >= kMaxTrips) fail(n, f, fmt::format("a loop of more than {} iterations", kMaxTrips));
      env[body->inputs()[0]] = make_const(i);
      for (size_t k = 0; k < carried.size(); ++k) env[body->inputs()[k + 1]] = carried[k];
      run_block(body, env, f);
      go = bool_in(lookup(env, body->outputs()[0], n, f), n, f, "the loop's condition");
      for (size_t k = 0; k < carried.size(); ++k) carried[k] = lookup(env, body->outputs()[k + 1], n, f);
    }
    for (size_t k = 0; k < carried.size(); ++k) env[n->outputs()[k]] = carried[k];
  }

  // Runs an op on constants with TorchScript's own implementation (shape arithmetic, comparisons).
  void evaluate(const jit::Node* n, const std::vector<Sym>& in, Env& env, const Frame& f) {
    if (n->maybeOperator() == nullptr) {
      for (const jit::Value* v : n->outputs()) env[v] = make_opaque(fmt::format("the result of {}", n->kind().toQualString()));
      return;
    }
    jit::Stack stack;
    for (const Sym& s : in) stack.push_back(s.value);
    try {
      n->getOperation()(stack);
    } catch (const std::exception& e) {
      fail(n, f, "evaluating it on constants failed: " + torch_message(e));
    }
    if (stack.size() != n->outputs().size()) fail(n, f, "evaluating it on constants gave an unexpected result");
    for (size_t i = 0; i < stack.size(); ++i) env[n->outputs()[i]] = make_const(stack[i]);
  }

  // --- ops on activations --------------------------------------------------------------------

  void tensor_op(const std::string& kind, const jit::Node* n, std::vector<Sym>& in, Env& env, const Frame& f) {
    auto set_out = [&](Sym s) { env[n->output()] = std::move(s); };
    // In-place ops (relu_, add_) change their first input: later reads of it see the new value.
    auto set_inplace = [&](Sym s) {
      s.alias = in[0].alias;
      s.version = ++alias_version_[in[0].alias];
      env[n->input(0)] = s;
      env[n->output()] = s;
    };
    const bool inplace = kind.back() == '_' && kind.rfind("aten::__", 0) != 0;
    auto finish = [&](Sym s) { inplace ? set_inplace(std::move(s)) : set_out(std::move(s)); };
    const std::string op = kind.substr(kind.find("::") + 2, kind.size() - kind.find("::") - 2 - (inplace ? 1 : 0));

    // Values and metadata that need no node.
    if (op == "dim") return set_out(make_const(static_cast<int64_t>(shape_of(tensor_in(in[0], n, f)).size() + 1)));
    if (op == "size") {
      const Shape& s = shape_of(tensor_in(in[0], n, f));
      std::vector<Sym> sizes = {make_batch()};
      for (int64_t d : s) sizes.push_back(make_const(d));
      if (in.size() == 1) return set_out(make_list(std::move(sizes)));
      int64_t d = int_in(in[1], n, f, "the dimension");
      if (d < 0) d += static_cast<int64_t>(sizes.size());
      if (d < 0 || d >= static_cast<int64_t>(sizes.size())) fail(n, f, "dimension out of range");
      return set_out(sizes[d]);
    }
    if (kind == "aten::__is__" || kind == "aten::__isnot__") {
      const bool none = is_none(in[0]) || is_none(in.at(1));
      return set_out(make_const(none ? kind == "aten::__isnot__" : false));
    }
    if (kind == "prim::isinstance") {
      bool match = false;
      for (const c10::TypePtr& t : n->tys(jit::attr::types)) match = match || c10::TensorType::get()->isSubtypeOf(*t);
      return set_out(make_const(match));
    }
    if (kind == "prim::unchecked_cast" || op == "contiguous" || op == "detach") {
      tensor_in(in[0], n, f);
      return set_out(in[0]);
    }
    if (op == "clone") {
      Sym s = in[0];
      tensor_in(s, n, f);
      s.alias = static_cast<int>(alias_version_.size());
      s.version = 0;
      alias_version_.push_back(0);
      return set_out(s);
    }

    if (op == "conv2d" || op == "_convolution") return set_out(conv(op, n, in, f));
    if (op == "linear") {
      const int x = tensor_in(in[0], n, f);
      const at::Tensor w = param_in(in.at(1), n, f, "the weight");
      const bool bias = !is_none(in.at(2));
      std::map<std::string, at::Tensor> t = {{"weight", w}};
      if (bias) t["bias"] = param_in(in[2], n, f, "the bias");
      if (w.dim() != 2) fail(n, f, "a linear weight must be 2-D");
      return set_out(add_node(param_node_name(in[1], f, "linear"), graph::LinearOp{w.size(1), w.size(0), bias}, {x}, n,
                              f, t));
    }
    if (op == "batch_norm") return set_out(batch_norm(n, in, f));
    if (op == "addmm" || op == "matmul" || op == "mm") return set_out(matmul(op, n, in, f));

    if (op == "relu" || op == "sigmoid" || op == "tanh" || op == "silu" || op == "leaky_relu" || op == "gelu" ||
        op == "hardtanh" || op == "relu6") {
      graph::ActivationOp a;
      if (op == "relu") a.kind = graph::ActivationKind::kRelu;
      if (op == "sigmoid") a.kind = graph::ActivationKind::kSigmoid;
      if (op == "tanh") a.kind = graph::ActivationKind::kTanh;
      if (op == "silu") a.kind = graph::ActivationKind::kSilu;
      if (op == "leaky_relu") {
        a.kind = graph::ActivationKind::kLeakyRelu;
        if (in.size() > 1) a.negative_slope = double_in(in[1], n, f, "the negative slope");
      }
      if (op == "gelu") {
        a.kind = graph::ActivationKind::kGelu;
        if (in.size() > 1 && !(in[1].is(Sym::Kind::kConst) && in[1].value.isString() &&
                               in[1].value.toStringRef() == "none")) {
          fail(n, f, "only exact GELU (approximate='none') is supported");
        }
      }
      if (op == "hardtanh" || op == "relu6") {
        a.kind = graph::ActivationKind::kHardtanh;
        a.min_val = op == "relu6" ? 0.0 : double_in(in.at(1), n, f, "min_val");
        a.max_val = op == "relu6" ? 6.0 : double_in(in.at(2), n, f, "max_val");
      }
      const int x = tensor_in(in[0], n, f);
      return finish(add_node(op_node_name(f, graph::op_name(a)), a, {x}, n, f));
    }
    if (op == "max_pool2d") {
      const int x = tensor_in(in[0], n, f);
      graph::MaxPoolOp p;
      p.kernel = pair_in(in.at(1), n, f, "the kernel size");
      p.stride = ints_in(in.at(2), n, f, "the stride").empty() ? p.kernel : pair_in(in[2], n, f, "the stride");
      p.padding = pair_in(in.at(3), n, f, "the padding");
      if (pair_in(in.at(4), n, f, "the dilation") != Pair{1, 1}) fail(n, f, "max-pooling with dilation");
      p.ceil_mode = bool_in(in.at(5), n, f, "ceil_mode");
      return set_out(add_node(op_node_name(f, "max_pool2d"), p, {x}, n, f));
    }
    if (op == "avg_pool2d") {
      const int x = tensor_in(in[0], n, f);
      graph::AvgPoolOp p;
      p.kernel = pair_in(in.at(1), n, f, "the kernel size");
      p.stride = ints_in(in.at(2), n, f, "the stride").empty() ? p.kernel : pair_in(in[2], n, f, "the stride");
      p.padding = pair_in(in.at(3), n, f, "the padding");
      const bool ceil = bool_in(in.at(4), n, f, "ceil_mode");
      const bool count_pad = bool_in(in.at(5), n, f, "count_include_pad");
      if (!is_none(in.at(6))) fail(n, f, "average pooling with divisor_override");
      if (!count_pad && (p.padding[0] > 0 || p.padding[1] > 0)) {
        fail(n, f, "average pooling with padding and count_include_pad=False");
      }
      Sym s = add_node(op_node_name(f, "avg_pool2d"), p, {x}, n, f);
      if (ceil) {  // the same as floor mode when no window would be added; else not representable
        graph::MaxPoolOp probe{p.kernel, p.stride, p.padding, true};
        graph::Network scratch(shape_of(x));
        if (scratch.node(scratch.add("probe", probe, {0})).out_shape != shape_of(s.node)) {
          fail(n, f, "average pooling with ceil_mode=True that adds a window");
        }
      }
      return set_out(s);
    }
    if (op == "adaptive_avg_pool2d") {
      const int x = tensor_in(in[0], n, f);
      const c10::IValue& size = const_in(in.at(1), n, f, "the output size");
      if (size.isList()) {
        for (const c10::IValue& e : size.toListRef()) {
          if (!e.isInt()) fail(n, f, "adaptive pooling with a None output size");
        }
      }
      graph::AdaptiveAvgPoolOp p{pair_in(in[1], n, f, "the output size")};
      return set_out(add_node(op_node_name(f, "adaptive_avg_pool2d"), p, {x}, n, f));
    }
    if (op == "flatten") {
      const int x = tensor_in(in[0], n, f);
      const int64_t rank = static_cast<int64_t>(shape_of(x).size()) + 1;
      int64_t start = in.size() > 1 ? int_in(in[1], n, f, "start_dim") : 0;
      int64_t end = in.size() > 2 ? int_in(in[2], n, f, "end_dim") : -1;
      if (start < 0) start += rank;
      if (end < 0) end += rank;
      if (start != 1 || end != rank - 1) {
        fail(n, f, fmt::format("flattens dimensions {}..{} of a {}-D tensor; mipp supports flatten(x, 1)", start, end, rank));
      }
      if (rank == 2) return set_out(in[0]);  // already [N, F]
      return set_out(as_alias(add_node(op_node_name(f, "flatten"), graph::FlattenOp{}, {x}, n, f), in[0]));
    }
    if (op == "view" || op == "reshape") return set_out(view(op, n, in, f));
    if (op == "mean" && in.size() >= 3) {  // x.mean([2, 3]): global average pooling
      const int x = tensor_in(in[0], n, f);
      std::vector<int64_t> dims = ints_in(in[1], n, f, "the dimensions");
      for (int64_t& d : dims) d = d < 0 ? d + 4 : d;
      std::sort(dims.begin(), dims.end());
      if (shape_of(x).size() != 3 || dims != std::vector<int64_t>{2, 3} || (in.size() > 3 && !is_none(in[3]))) {
        fail(n, f, "a mean other than over the spatial dimensions of a feature map (global average pooling)");
      }
      Sym pooled = add_node(op_node_name(f, "mean"), graph::AdaptiveAvgPoolOp{{1, 1}}, {x}, n, f);
      if (bool_in(in[2], n, f, "keepdim")) return set_out(pooled);
      return set_out(add_node(op_node_name(f, "flatten"), graph::FlattenOp{}, {pooled.node}, n, f));
    }
    if (op == "add" && !inplace && in.at(1).is(Sym::Kind::kConst) && in[1].value.isTensor() && bias_target(n, in[0])) {
      return set_out(add_bias(n, in, f));
    }
    if (op == "add") {
      if (in.size() > 2 && !(in[2].is(Sym::Kind::kConst) && double_in(in[2], n, f, "alpha") == 1.0)) {
        fail(n, f, "an add with alpha other than 1");
      }
      if (!in.at(1).is(Sym::Kind::kTensor)) {
        fail(n, f, fmt::format("adds {} to an activation; mipp adds activations only (residual joins)", describe(in[1])));
      }
      const int a = tensor_in(in[0], n, f), b = tensor_in(in[1], n, f);
      return finish(add_node(op_node_name(f, "add"), graph::AddOp{}, {a, b}, n, f));
    }
    if (op == "cat") {
      if (!in[0].is(Sym::Kind::kList)) fail(n, f, "concatenates something other than a list of activations");
      std::vector<int> parts;
      for (const Sym& s : *in[0].items) parts.push_back(tensor_in(s, n, f));
      int64_t dim = in.size() > 1 ? int_in(in[1], n, f, "the dimension") : 0;
      const int64_t rank = static_cast<int64_t>(shape_of(parts.at(0)).size()) + 1;
      if (dim < 0) dim += rank;
      if (dim != 1) fail(n, f, fmt::format("concatenates along dimension {}; mipp concatenates channels (dimension 1)", dim));
      if (parts.size() == 1) return set_out(in[0].items->front());
      return set_out(add_node(op_node_name(f, "concat"), graph::ConcatOp{}, parts, n, f));
    }
    if (op == "dropout") {
      const int x = tensor_in(in[0], n, f);
      const double p = double_in(in.at(1), n, f, "p");
      Sym s = add_node(op_node_name(f, "dropout"), graph::DropoutOp{p}, {x}, n, f);
      return inplace ? set_inplace(s) : set_out(as_alias(s, in[0]));
    }
    if (op == "feature_dropout" || op == "alpha_dropout" || op == "feature_alpha_dropout") {
      // Identity in eval mode, which is what mipp imports; their training behaviour is not kept.
      const int x = tensor_in(in[0], n, f);
      notes_.push_back(fmt::format("{} at {}: imported as an identity (eval mode); mipp trains it without dropout",
                                   kind, location(n)));
      Sym s = add_node(op_node_name(f, op), graph::IdentityOp{}, {x}, n, f);
      return inplace ? set_inplace(s) : set_out(as_alias(s, in[0]));
    }
    fail(n, f,
         "not an op mipp can represent (it imports conv2d, linear, batch_norm, relu, leaky_relu, gelu, sigmoid, tanh, "
         "hardtanh/relu6, silu, max/avg/adaptive-avg pooling, spatial mean, flatten, view/reshape to (N, -1), add, cat, "
         "dropout); "
         "every op must be known to prune safely");
  }

  Sym conv(const std::string& op, const jit::Node* n, const std::vector<Sym>& in, const Frame& f) {
    const int x = tensor_in(in[0], n, f);
    const bool full = op == "_convolution";
    const at::Tensor w = param_in(in.at(1), n, f, "the weight");
    if (w.dim() != 4) fail(n, f, fmt::format("a {}-D convolution; mipp supports 2-D", w.dim() - 2));
    graph::Conv2dOp c;
    c.groups = int_in(in.at(full ? 8 : 6), n, f, "groups");
    if (full && bool_in(in.at(6), n, f, "transposed")) fail(n, f, "a transposed convolution");
    c.out_channels = w.size(0);
    c.in_channels = w.size(1) * c.groups;
    c.kernel = {w.size(2), w.size(3)};
    c.stride = pair_in(in.at(3), n, f, "the stride");
    c.dilation = pair_in(in.at(5), n, f, "the dilation");
    if (in.at(4).is(Sym::Kind::kConst) && in[4].value.isString()) {
      const std::string mode = in[4].value.toStringRef();
      if (mode == "valid") {
        c.padding = {0, 0};
      } else {  // "same": stride 1 only; odd total padding would be asymmetric
        for (int d = 0; d < 2; ++d) {
          const int64_t total = c.dilation[d] * (c.kernel[d] - 1);
          if (total % 2 != 0) fail(n, f, "padding='same' with an even kernel (asymmetric padding)");
          c.padding[d] = total / 2;
        }
      }
    } else {
      c.padding = pair_in(in[4], n, f, "the padding");
    }
    c.bias = !is_none(in.at(2));
    std::map<std::string, at::Tensor> t = {{"weight", w}};
    if (c.bias) t["bias"] = param_in(in[2], n, f, "the bias");
    return add_node(param_node_name(in[1], f, "conv2d"), c, {x}, n, f, t);
  }

  // x @ w.t() (matmul, mm) or b + x @ w.t() (addmm): a linear layer whose weight is the parameter
  // w [out, in] as stored. x @ w with w [in, out] stored transposed is read the same way.
  Sym matmul(const std::string& op, const jit::Node* n, const std::vector<Sym>& in, const Frame& f) {
    const bool addmm = op == "addmm";
    const Sym& xs = in.at(addmm ? 1 : 0);
    Sym ws = in.at(addmm ? 2 : 1);
    if (addmm && in.size() > 3) {
      if (double_in(in.at(3), n, f, "beta") != 1.0 || double_in(in.at(4), n, f, "alpha") != 1.0) {
        fail(n, f, "addmm with beta or alpha other than 1");
      }
    }
    const int x = tensor_in(xs, n, f);
    if (!ws.is(Sym::Kind::kConst) || !ws.value.isTensor() || ws.path.empty() || ws.value.toTensor().dim() != 2) {
      fail(n, f, fmt::format("multiplies by {}; mipp reads a matrix product with a 2-D parameter as a linear layer",
                             describe(ws)));
    }
    // x @ m with m [in, out] is a linear layer with weight m.t() [out, in]: the stored parameter
    // itself when the code wrote w.t() (nn.Linear's layout), else its transpose.
    ws.transposed = false;
    const at::Tensor w = param_in(ws, n, f, "the weight").t().contiguous();
    std::map<std::string, at::Tensor> t = {{"weight", w}};
    const bool bias = addmm;
    if (bias) t["bias"] = param_in(in[0], n, f, "the bias");
    if (bias && t["bias"].dim() != 1) fail(n, f, "addmm with a bias that is not a vector");
    return add_node(param_node_name(ws, f, "linear"), graph::LinearOp{w.size(1), w.size(0), bias}, {x}, n, f, t);
  }

  // `y + b` right after a bias-free linear layer whose result nothing else reads: the layer's bias.
  bool bias_target(const jit::Node* n, const Sym& y) const {
    if (!y.is(Sym::Kind::kTensor) || y.node <= 0) return false;
    const graph::Node& node = net_.node(y.node);
    return node.is<graph::LinearOp>() && !node.as<graph::LinearOp>().bias && n->input(0)->uses().size() == 1;
  }

  Sym add_bias(const jit::Node* n, const std::vector<Sym>& in, const Frame& f) {
    if (in.size() > 2 && double_in(in[2], n, f, "alpha") != 1.0) fail(n, f, "an add with alpha other than 1");
    const graph::Node old = net_.node(in[0].node);
    graph::LinearOp l = old.as<graph::LinearOp>();
    const at::Tensor b = param_in(in[1], n, f, "the bias");
    if (b.dim() != 1 || b.size(0) != l.out_features) fail(n, f, "adds a tensor that is not the layer's bias vector");
    l.bias = true;
    // A new node replaces the bias-free one, which nothing reads any more (dropped at the end,
    // when the new node takes its name).
    Sym s = add_node(unique_name(old.name + "_bias"), l, old.inputs, n, f, {{"weight", old.params.at("weight")}, {"bias", b}});
    final_names_[s.node] = old.name;
    return s;
  }

  Sym batch_norm(const jit::Node* n, const std::vector<Sym>& in, const Frame& f) {
    const int x = tensor_in(in[0], n, f);
    if (is_none(in.at(3)) || is_none(in.at(4))) {
      fail(n, f, "batch-norm without running statistics (track_running_stats=False)");
    }
    const int64_t c = shape_of(x).front();
    const Sym& named = is_none(in.at(1)) ? in[3] : in[1];
    std::map<std::string, at::Tensor> t;
    t["weight"] = is_none(in[1]) ? at::ones({c}) : param_in(in[1], n, f, "the weight");
    t["bias"] = is_none(in.at(2)) ? at::zeros({c}) : param_in(in[2], n, f, "the bias");
    t["running_mean"] = param_in(in[3], n, f, "running_mean");
    t["running_var"] = param_in(in[4], n, f, "running_var");
    graph::BatchNormOp b{c, double_in(in.at(7), n, f, "eps"), double_in(in.at(6), n, f, "momentum")};
    if (b.momentum == 0) b.momentum = 0.1;  // momentum=None (cumulative average) is passed as 0 in eval
    return add_node(param_node_name(named, f, "batch_norm"), b, {x}, n, f, t);
  }

  // view / reshape to (N, -1): a flatten. A literal feature count (`view(-1, 400)`) is correct
  // for this model but would be wrong once channels before it are pruned: those are frozen.
  Sym view(const std::string& op, const jit::Node* n, const std::vector<Sym>& in, const Frame& f) {
    const int x = tensor_in(in[0], n, f);
    std::vector<Sym> dims;
    if (in.at(1).is(Sym::Kind::kList)) {
      dims = *in[1].items;
    } else {
      for (int64_t d : ints_in(in[1], n, f, "the shape")) dims.push_back(make_const(d));
    }
    const Shape& s = shape_of(x);
    const int64_t features = std::accumulate(s.begin(), s.end(), int64_t{1}, std::multiplies<>());
    auto literal = [&](const Sym& d, int64_t v) { return d.is(Sym::Kind::kConst) && d.value.isInt() && d.value.toInt() == v; };
    const bool batch_first = dims.size() == 2 && (dims[0].is(Sym::Kind::kBatch) || literal(dims[0], -1));
    const bool rest = batch_first && literal(dims[1], -1) && dims[0].is(Sym::Kind::kBatch);
    const bool fixed = batch_first && literal(dims[1], features);
    if (!rest && !fixed) {
      std::vector<std::string> shown;
      for (const Sym& d : dims) {
        shown.push_back(d.is(Sym::Kind::kBatch) ? "N"
                        : d.is(Sym::Kind::kConst) && d.value.isInt() ? std::to_string(d.value.toInt())
                                                                      : "?");
      }
      fail(n, f, fmt::format("{} of [N, {}] to ({}) is not a flatten to (N, -1); mipp cannot follow channels through it",
                             op, fmt::join(s, ", "), fmt::join(shown, ", ")));
    }
    if (s.size() == 1 && !fixed) return in[0];  // already [N, F]
    const graph::Op flat = s.size() == 1 ? graph::Op{graph::IdentityOp{}} : graph::Op{graph::FlattenOp{}};
    Sym out = as_alias(add_node(op_node_name(f, "flatten"), flat, {x}, n, f), in[0]);
    if (fixed) {
      const std::string why = fmt::format("{} at {} hard-codes {} features; the channels before it cannot be pruned "
                                          "(write torch.flatten(x, 1) or x.view(x.size(0), -1) to prune them)",
                                          op, location(n), features);
      net_.freeze(out.node, why);
      notes_.push_back(net_.node(out.node).name + ": " + why);
    }
    return out;
  }

  // The nodes the output depends on, renumbered in order (scripted code computes things it never
  // uses, and the walk may add nodes on paths whose results are dropped).
  graph::Network live_part() const {
    std::vector<bool> live(net_.num_nodes(), false);
    live[0] = true;
    live[net_.output()] = true;
    for (int id = net_.output(); id > 0; --id) {
      if (!live[id]) continue;
      for (int j : net_.node(id).inputs) live[j] = true;
    }
    graph::Network out(net_.input_shape());
    std::vector<int> new_id(net_.num_nodes(), -1);
    new_id[0] = 0;
    for (int id = 1; id < net_.num_nodes(); ++id) {
      if (!live[id]) continue;
      const graph::Node& node = net_.node(id);
      std::vector<int> inputs;
      for (int j : node.inputs) inputs.push_back(new_id[j]);
      const auto renamed = final_names_.find(id);
      const int replaced = renamed == final_names_.end() ? -1 : net_.find(renamed->second);
      const bool rename = replaced > 0 && !live[replaced];
      new_id[id] = out.add(rename ? renamed->second : node.name, node.op, inputs);
      for (const auto& [key, t] : node.params) out.set_tensor(new_id[id], key, t);
      for (const auto& [key, t] : node.buffers) out.set_tensor(new_id[id], key, t);
      if (!node.frozen.empty()) out.freeze(new_id[id], node.frozen);
    }
    out.set_output(new_id[net_.output()]);
    return out;
  }

  std::string file_;
  graph::Network net_;
  std::vector<int> alias_version_;  // per alias class: the current in-place version
  std::set<std::string> names_ = {"input"};
  std::set<std::string> used_params_;
  std::map<int, std::string> final_names_;  // node id -> the name it takes if the node it replaced is dropped
  std::vector<std::string> notes_;
};

// A fixed, varied input: no generator, same numbers everywhere.
at::Tensor probe_input(const Shape& shape) {
  std::vector<int64_t> sizes = {2};
  sizes.insert(sizes.end(), shape.begin(), shape.end());
  const int64_t n = std::accumulate(sizes.begin(), sizes.end(), int64_t{1}, std::multiplies<>());
  return at::sin(at::arange(n, at::kFloat) * 0.37).reshape(sizes);
}

jit::Module load_module(const std::string& path) {
  std::error_code ec;
  MIPP_CHECK(std::filesystem::is_regular_file(path, ec), kNotFound, "{}: no such model file", path);
  check_storage_records(path);
  try {
    return jit::load(path, at::kCPU);
  } catch (const std::exception& e) {  // c10::Error, or the compiler's ErrorReport for code that no longer compiles
    MIPP_FAIL(kCorruption, "{}: not a readable TorchScript archive ({})", path, torch_message(e));
  }
}

// A PyTorch file carries no checksum of its weights: at least they must be numbers.
void check_finite(const graph::Network& net, const std::string& source) {
  for (const graph::Node& node : net.nodes()) {
    for (const auto* tensors : {&node.params, &node.buffers}) {
      for (const auto& [key, t] : *tensors) {
        MIPP_CHECK(at::isfinite(t).all().item<bool>(), kCorruption, "{}: tensor {}.{} holds NaN or infinite values",
                   source, node.name, key);
      }
    }
  }
}

bool has_mipp_metadata(const std::string& path) {
  try {
    caffe2::serialize::PyTorchStreamReader reader(path);
    for (const std::string& record : reader.getAllRecords()) {
      if (record == std::string("extra/") + kMetadataEntry) return true;
    }
  } catch (const c10::Error&) {
    return false;  // not a zip archive: load_model names the problem
  }
  return false;
}

}  // namespace

Model import_torchscript(const std::string& path, const ImportOptions& options) {
  jit::Module module = load_module(path);  // first: a file that is no TorchScript at all is named as such
  MIPP_CHECK(!options.input_shape.empty(), kInvalidArgument,
             "{}: a TorchScript file without mipp metadata needs its per-sample input shape (--input-shape C,H,W)",
             path);
  return import_module(module, path, options);
}

Model import_module(const jit::Module& scripted, const std::string& source, const ImportOptions& options) {
  const Shape& shape = options.input_shape;
  MIPP_CHECK(!shape.empty(), kInvalidArgument, "{}: the per-sample input shape is missing", source);
  // A clone of the module object (its attributes still share their tensors), so that switching it
  // to eval mode leaves the caller's module as it was.
  jit::Module module = scripted.clone(/*inplace=*/true);
  module.eval();
  at::NoGradGuard no_grad;

  // Run PyTorch's own forward first: a wrong input shape is named here, in PyTorch's words. The
  // probe goes where the module's parameters are (a model on a GPU runs there).
  at::Tensor x = probe_input(shape);
  for (const at::Tensor& p : module.parameters()) {
    x = x.to(p.device());
    break;
  }
  c10::IValue y;
  try {
    y = module.forward({x});
  } catch (const std::exception& e) {  // c10::Error, or the interpreter's JITException
    MIPP_FAIL(kInvalidArgument, "{}: the model does not run on inputs of shape [N, {}]: {}", source, fmt::join(shape, ", "),
              torch_message(e));
  }
  MIPP_CHECK(y.isTensor(), kNotSupported, "{}: forward returns {}; mipp imports models that return one tensor", source,
             y.tagKind());
  const at::Tensor expected = y.toTensor();

  Importer importer(source, shape);
  graph::Network net = [&] {
    try {
      return importer.run(module);
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {  // LibTorch refusing something the walk did not foresee
      MIPP_FAIL(kNotSupported, "{}: cannot import this model: {}", source, torch_message(e));
    }
  }();

  check_finite(net, source);
  // Never a silently wrong model: the imported graph must compute what the module computes.
  const at::Tensor got = graph::forward(net, x).output;
  MIPP_CHECK(got.sizes() == expected.sizes(), kNotSupported,
             "{}: the imported graph gives outputs [{}], the TorchScript module [{}]", source, fmt::join(got.sizes(), ", "),
             fmt::join(expected.sizes(), ", "));
  const double diff = (got - expected).abs().max().item<double>();
  const double scale = 1.0 + expected.abs().max().item<double>();
  MIPP_CHECK(diff <= 1e-4 * scale, kNotSupported,
             "{}: the imported graph's output differs from the TorchScript module's by {:.3g}; an op was misread", source,
             diff);

  Model model{std::move(net), {}, {}};
  const auto name = module.type()->name();
  model.metadata.architecture = name ? name->name() : "imported";
  model.metadata.history = nlohmann::json::array({{{"action", "import"},
                                                   {"source", source},
                                                   {"input_shape", shape},
                                                   {"notes", importer.notes()},
                                                   {"mipp_version", util::mipp_version()}}});
  return model;
}

Model load_or_import_model(const std::string& path, const ImportOptions& options,
                           const std::vector<std::string>& extra_entries) {
  std::error_code ec;
  MIPP_CHECK(std::filesystem::is_regular_file(path, ec), kNotFound, "{}: no such model file", path);
  if (has_mipp_metadata(path)) return load_model(path, extra_entries);
  return import_torchscript(path, options);
}

}  // namespace mipp::io
