// LlamaModel::load: detects the format (HF directory or GGUF file), reads the config and
// binds the weights.
#include <filesystem>

#include "formats/gguf.h"
#include "formats/safetensors.h"
#include "models/llama/llama_model.h"

namespace mistralrs {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

Expected<std::unique_ptr<LlamaModel>> LlamaModel::load(const std::string& path, Device device) {
  std::error_code ec;
  auto model = std::unique_ptr<LlamaModel>(new LlamaModel());
  WeightLayout layout;
  if (std::filesystem::is_directory(path, ec)) {
    auto cfg = load_hf_config((std::filesystem::path(path) / "config.json").string());
    if (!cfg) return cfg.status();
    model->config_ = std::move(cfg.value());
    auto src = open_safetensors_dir(path);
    if (!src) return src.status();
    model->source_ = std::move(src.value());
    layout = WeightLayout::kHuggingFace;
  } else if (std::filesystem::is_regular_file(path, ec)) {
    if (!ends_with(path, ".gguf"))
      return unsupported("'" + path + "': expected an HF model directory or a .gguf file");
    auto g = GgufFile::open(path);
    if (!g) return g.status();
    return from_gguf(std::move(g.value()), device);
  } else {
    return io_error("'" + path + "' does not exist");
  }
  MISTRALRS_RETURN_IF_ERROR(model->config_.validate(path));
  auto w = load_llama_weights(*model->source_, model->config_, layout);
  if (!w) return w.status();
  model->weights_ = std::move(w.value());
  if (!device.is_cpu()) MISTRALRS_RETURN_IF_ERROR(model->move_to(device));
  return model;
}

Expected<std::unique_ptr<LlamaModel>> LlamaModel::from_gguf(std::unique_ptr<GgufFile> gguf, Device device) {
  if (!gguf) return invalid_argument("from_gguf: no GGUF");
  auto model = std::unique_ptr<LlamaModel>(new LlamaModel());
  auto cfg = model_config_from_gguf(*gguf);
  if (!cfg) return cfg.status();
  model->config_ = std::move(cfg.value());
  const std::string origin = gguf->origin();
  model->source_ = std::move(gguf);
  MISTRALRS_RETURN_IF_ERROR(model->config_.validate(origin));
  auto w = load_llama_weights(*model->source_, model->config_, WeightLayout::kGguf);
  if (!w) return w.status();
  model->weights_ = std::move(w.value());
  if (!device.is_cpu()) MISTRALRS_RETURN_IF_ERROR(model->move_to(device));
  return model;
}

}  // namespace mistralrs
