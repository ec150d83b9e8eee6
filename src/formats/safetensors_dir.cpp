// open_safetensors_dir: model.safetensors, or the shards listed in
// model.safetensors.index.json ({"weight_map": {tensor name: shard file name}}).
#include <sys/stat.h>

#include <map>

#include "core/mapped_file.h"
#include "formats/json_util.h"
#include "formats/safetensors.h"

namespace mistralrs {

namespace {

bool is_regular_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Shard names come from the index file: a bare file name inside the model directory,
// never a path that could reach outside it.
bool safe_shard_name(const std::string& name) {
  return !name.empty() && name.find('/') == std::string::npos &&
         name.find('\\') == std::string::npos && name.find("..") == std::string::npos &&
         name.find('\0') == std::string::npos && name != ".";
}

// Tensors of several shards, looked up through the index's name -> shard map.
class ShardedWeights final : public WeightSource {
 public:
  explicit ShardedWeights(std::string origin) : origin_(std::move(origin)) {}

  bool has(const std::string& name) const override { return shard_of_.count(name) != 0; }
  Expected<Tensor> tensor(const std::string& name) const override {
    auto it = shard_of_.find(name);
    if (it == shard_of_.end())
      return invalid_argument(origin_ + ": no tensor named '" + name + "'");
    return shards_[it->second]->tensor(name);
  }
  std::vector<std::string> names() const override {
    std::vector<std::string> out;
    out.reserve(shard_of_.size());
    for (const auto& [name, shard] : shard_of_) out.push_back(name);
    return out;
  }
  const std::string& origin() const override { return origin_; }

  std::vector<std::unique_ptr<SafetensorsFile>> shards_;
  std::map<std::string, size_t> shard_of_;  // sorted, so names() is deterministic

 private:
  std::string origin_;
};

Expected<nlohmann::json> read_json_file(const std::string& path) {
  auto mapped = MappedFile::open(path);
  if (!mapped) return mapped.status();
  const MappedFile& m = *mapped.value();
  nlohmann::json j;
  std::string error;
  const char* text = m.size() ? reinterpret_cast<const char*>(m.bytes()) : "";
  if (!json_parse(text, m.size(), j, error))
    return invalid_argument(path + ": not valid JSON: " + error);
  return j;
}

// Opens each distinct shard once and records which shard holds each indexed name.
Status load_shards(const std::string& dir, const std::string& index_path,
                   const nlohmann::json& weight_map, ShardedWeights& out) {
  std::map<std::string, size_t> shard_index;
  for (auto it = weight_map.begin(); it != weight_map.end(); ++it) {
    if (!it.value().is_string())
      return invalid_argument(index_path + ": weight_map entry '" + it.key() +
                              "' must be a shard file name, got " + json_excerpt(it.value()));
    const std::string shard = it.value().get<std::string>();
    if (!safe_shard_name(shard))
      return invalid_argument(index_path + ": shard name '" + shard + "' for tensor '" + it.key() +
                              "' must be a file name inside the model directory");
    auto [pos, inserted] = shard_index.emplace(shard, out.shards_.size());
    if (inserted) {
      auto file = SafetensorsFile::open(dir + "/" + shard);
      if (!file) return file.status();
      out.shards_.push_back(std::move(file.value()));
    }
    if (!out.shards_[pos->second]->has(it.key()))
      return invalid_argument(index_path + ": tensor '" + it.key() + "' is listed in shard '" +
                              shard + "' but that file does not contain it");
    out.shard_of_.emplace(it.key(), pos->second);
  }
  return Status::ok();
}

Expected<std::unique_ptr<WeightSource>> open_index(const std::string& dir,
                                                   const std::string& index_path) {
  auto index = read_json_file(index_path);
  if (!index) return index.status();
  const nlohmann::json& j = index.value();
  if (!j.is_object())
    return invalid_argument(index_path + ": must be a JSON object, got " + json_type_name(j));
  auto wm = j.find("weight_map");
  if (wm == j.end() || !wm->is_object())
    return invalid_argument(index_path + ": needs a \"weight_map\" object");
  auto out = std::make_unique<ShardedWeights>(dir);
  MISTRALRS_RETURN_IF_ERROR(load_shards(dir, index_path, *wm, *out));
  return std::unique_ptr<WeightSource>(std::move(out));
}

}  // namespace

Expected<std::unique_ptr<WeightSource>> open_safetensors_dir(const std::string& dir) {
  // As transformers does: a single model.safetensors wins over an index.
  const std::string single = dir + "/model.safetensors";
  if (is_regular_file(single)) {
    auto f = SafetensorsFile::open(single);
    if (!f) return f.status();
    return std::unique_ptr<WeightSource>(std::move(f.value()));
  }
  const std::string index = dir + "/model.safetensors.index.json";
  if (is_regular_file(index)) return open_index(dir, index);
  return io_error(dir + ": no model.safetensors or model.safetensors.index.json");
}

}  // namespace mistralrs
