#include "io/storage_records.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/api/compilation_unit.h>
#include <torch/csrc/jit/serialization/unpickler.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <optional>

#include "mipp/util/error.h"

namespace mipp::io {

namespace {

// One pickle of the archive ("data" or "constants"), unpickled the way torch::jit::load does it
// but with every class an empty stand-in, so that nothing is compiled or built: what matters is
// the storages, which the unpickler makes from the records read_record returns.
class PickleCheck {
 public:
  PickleCheck(caffe2::serialize::PyTorchStreamReader& reader, std::string archive)
      : reader_(reader), archive_(std::move(archive)) {}

  // Finds the first storage larger than its record (problem()). Throws whatever the unpickler
  // throws on other damage; what was found before that stays found.
  void run() {
    const auto record = reader_.getRecord(archive_ + ".pkl");  // C++17 lambdas cannot capture bindings
    const char* bytes = static_cast<const char*>(std::get<0>(record).get());
    const size_t size = std::get<1>(record);
    size_t position = 0;
    auto read = [&](char* out, size_t n) {
      n = std::min(n, size - position);
      std::memcpy(out, bytes + position, n);
      position += n;
      return n;
    };
    auto classes = std::make_shared<torch::jit::CompilationUnit>();
    auto resolve = [&](const c10::QualifiedName& name) {
      c10::ClassTypePtr type = classes->get_class(name);
      if (!type) {
        type = c10::ClassType::create(name, classes);
        classes->register_type(type);
      }
      return c10::StrongTypePtr(classes, type);
    };
    auto load_object = [&](const c10::StrongTypePtr& type, const c10::IValue& state) {
      check_tensors(state);
      return c10::ivalue::Object::create(type, 0);
    };
    auto read_record = [&](const std::string& key) {
      const std::string name = archive_ + "/" + key;
      auto [data, record_size] = reader_.getRecord(name);
      records_[data.get()] = {name, record_size};
      return std::move(data);
    };
    torch::jit::Unpickler unpickler(read, resolve, load_object, read_record, c10::Device(c10::kCPU));
    check_tensors(unpickler.parse_ivalue());
  }

  // "record data/7 holds 40 bytes, but a tensor's storage there is 5120 bytes", or nothing.
  const std::optional<std::string>& problem() const { return problem_; }

 private:
  void check_tensors(const c10::IValue& value) {
    value.visit([&](const c10::IValue& v) {
      if (!v.isTensor() || problem_) return false;
      const at::Tensor& t = v.toTensor();
      if (!t.defined() || !t.has_storage()) return false;
      const auto record = records_.find(t.storage().data());
      if (record != records_.end() && t.storage().nbytes() > record->second.size) {
        problem_ = fmt::format("record {} holds {} bytes, but a tensor's storage there is {} bytes",
                               record->second.name, record->second.size, t.storage().nbytes());
      }
      return false;
    });
  }

  struct Record {
    std::string name;
    size_t size = 0;
  };
  caffe2::serialize::PyTorchStreamReader& reader_;
  std::string archive_;
  std::map<const void*, Record> records_;  // by the buffer the storage lies over
  std::optional<std::string> problem_;
};

}  // namespace

void check_storage_records(const std::string& path) {
  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> reader;
  try {
    reader = std::make_unique<caffe2::serialize::PyTorchStreamReader>(path);
  } catch (const std::exception&) {
    return;  // not a zip archive: torch::jit::load names the problem
  }
  for (const std::string archive : {"data", "constants"}) {
    PickleCheck check(*reader, archive);
    try {
      if (reader->hasRecord(archive + ".pkl")) check.run();
    } catch (const std::exception&) {
      // other damage: torch::jit::load reports it in its own words
    }
    if (check.problem()) {
      MIPP_FAIL(kCorruption, "{}: not a readable TorchScript archive ({}): the file is corrupt", path, *check.problem());
    }
  }
}

}  // namespace mipp::io
