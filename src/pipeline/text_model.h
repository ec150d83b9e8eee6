// A loaded text model: the decoder plus its tokenizer (when the files carry one), and the KV
// memory its sessions share: a block pool under one byte budget and, when turned on, the
// prefix cache. Immutable after loading apart from that memory, which is thread-safe; any
// number of sessions and threads may share the model. Free sessions before the model.
#pragma once
#include <memory>
#include <string>

#include "cache/kv_block_pool.h"
#include "cache/prefix_cache.h"
#include "models/llama/llama_model.h"
#include "pipeline/pipeline.h"
#include "tokenizer/tokenizer.h"

namespace mistralrs {

struct CacheOptions {
  int64_t budget_bytes = KvBlockPool::kUnlimited;  // sessions' KV buffers + cached blocks
  bool prefix_cache = false;
  int64_t block_size = KvBlockPool::kDefaultBlockSize;
};

struct TextModel final : Pipeline {
  std::unique_ptr<LlamaModel> model;
  std::unique_ptr<Tokenizer> tokenizer;  // null when the model files have no vocabulary
  // Declared before prefix_cache, which returns its blocks to the pool when destroyed.
  std::unique_ptr<KvBlockPool> kv_pool;
  std::unique_ptr<PrefixBlockCache> prefix_cache;  // null when prefix caching is off

  // Loads the decoder and, from the same path, the tokenizer if there is one. On a CUDA
  // `device` the weights and every session's KV cache live in device memory (the device is
  // checked first: unsupported / invalid-argument when it is not there); prefix caching is
  // CPU-only for now (unsupported with a CUDA device).
  static Expected<std::unique_ptr<TextModel>> load(const std::string& path, const CacheOptions& cache = {},
                                                   Device device = Device::cpu());
  // From a parsed GGUF held in memory (copied buffer, bytes read through callbacks): the
  // decoder and the tokenizer in its metadata.
  static Expected<std::unique_ptr<TextModel>> from_gguf(std::unique_ptr<GgufFile> gguf,
                                                        const CacheOptions& cache = {},
                                                        Device device = Device::cpu());
  Device device() const { return model->device(); }

  // KvCache, or PrefixCache when prefix caching is on.
  CacheStrategy cache_strategy() const;

  // Pipeline
  PipelineKind kind() const override { return PipelineKind::kText; }
  // The decoder's metadata with the strategy above.
  ModelConfigMetadata metadata() const override;

 private:
  // Checks the tokenizer against the decoder and sets up the KV pool and prefix cache.
  Status finish_load(const std::string& origin, const CacheOptions& cache);
};

}  // namespace mistralrs
