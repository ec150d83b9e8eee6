// Moving a loaded Llama onto a CUDA device: every tensor copied into device memory in its
// file dtype, each allocation checked so that a model too big for the device fails with an
// out-of-memory status naming the tensor, and frees what it had copied (the partial
// LlamaWeights owns the copies), leaving other models and sessions untouched.
#include <string>

#include "cache/kv_cache.h"
#include "models/llama/llama_model.h"

#ifdef MISTRALRS_HAS_CUDA
#include "cuda_memory.h"
#endif

namespace mistralrs {

namespace {

Expected<Tensor> upload(const Tensor& host, Device device, const std::string& name) {
  if (!host.view().is_contiguous())
    return unsupported("weight '" + name + "' is not contiguous; cannot copy it to " + device.to_string());
  auto t = empty_on_device(host.shape(), host.dtype(), device, "weight '" + name + "'");
  if (!t) return t.status();
#ifdef MISTRALRS_HAS_CUDA
  const int err = kernels::cuda_memcpy_h2d(t.value().as<void>(), host.as<void>(), host.nbytes());
  if (err != 0) {
    kernels::cuda_clear_last_error();  // a non-sticky failure must not fail a later launch
    const std::string msg = "copying weight '" + name + "' (" + std::to_string(host.nbytes()) + " bytes) to " +
                            device.to_string() + ": " + kernels::cuda_error_string(err);
    return kernels::cuda_is_out_of_memory(err) ? out_of_memory(msg) : cuda_error(msg);
  }
#endif
  return t;
}

}  // namespace

Expected<LlamaWeights> upload_llama_weights(const LlamaWeights& host, Device device) {
  if (device.is_cpu()) return invalid_argument("upload_llama_weights: the target is the CPU");
  LlamaWeights w;
  w.layout = host.layout;
  w.inv_freq = host.inv_freq;
  auto emb = upload(host.token_embedding, device, "token_embedding");
  if (!emb) return emb.status();
  w.token_embedding = emb.value();
  for (size_t l = 0; l < host.layers.size(); ++l) {
    const LlamaLayerWeights& h = host.layers[l];
    LlamaLayerWeights d;
    const std::string p = "layer " + std::to_string(l) + " ";
    const std::pair<const Tensor*, Tensor*> items[] = {
        {&h.attn_norm, &d.attn_norm}, {&h.wq, &d.wq},         {&h.wk, &d.wk},
        {&h.wv, &d.wv},               {&h.wo, &d.wo},         {&h.ffn_norm, &d.ffn_norm},
        {&h.w_gate, &d.w_gate},       {&h.w_up, &d.w_up},     {&h.w_down, &d.w_down}};
    static const char* kNames[] = {"attn_norm", "wq", "wk", "wv", "wo", "ffn_norm", "w_gate", "w_up", "w_down"};
    for (size_t i = 0; i < 9; ++i) {
      auto t = upload(*items[i].first, device, p + kNames[i]);
      if (!t) return t.status();
      *items[i].second = t.value();
    }
    w.layers.push_back(std::move(d));
  }
  auto on = upload(host.output_norm, device, "output_norm");
  if (!on) return on.status();
  w.output_norm = on.value();
  if (host.output.view().data == host.token_embedding.view().data) {
    w.output = w.token_embedding;  // tied: one device copy serves both
  } else {
    auto out = upload(host.output, device, "output");
    if (!out) return out.status();
    w.output = out.value();
  }
  return w;
}

Status LlamaModel::move_to(Device device) {
  auto w = upload_llama_weights(weights_, device);
  if (!w) return w.status();
  weights_ = std::move(w.value());
  device_ = device;
  source_.reset();  // the host copies (file mapping or buffer) are no longer read
  return Status::ok();
}

DType LlamaModel::kv_dtype() const {
  if (device_.is_cpu()) return DType::kF32;
  return weights_.layers.empty() || weights_.layers[0].wq.dtype() != DType::kBF16 ? DType::kF16 : DType::kBF16;
}

}  // namespace mistralrs
