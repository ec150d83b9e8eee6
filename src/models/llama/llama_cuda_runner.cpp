#include "models/llama/llama_cuda_runner.h"

#include <cstring>

#include "models/llama/llama_views.h"

#ifdef MISTRALRS_HAS_CUDA
#include "argmax.h"
#include "cuda_memory.h"
#endif

namespace mistralrs {

#ifdef MISTRALRS_HAS_CUDA

namespace {

using llama_views::as_heads;
using llama_views::rows;

Status cuda_status(const char* what, int err) {
  return cuda_error(std::string(what) + ": " + kernels::cuda_error_string(err));
}

}  // namespace

Expected<std::unique_ptr<LlamaCudaRunner>> LlamaCudaRunner::create(const LlamaModel& model, int64_t max_tokens,
                                                                   bool use_graph) {
  if (!model.device().is_cuda()) return invalid_argument("LlamaCudaRunner: the model is not on a CUDA device");
  if (max_tokens <= 0) return invalid_argument("LlamaCudaRunner: max_tokens must be positive");
  const ModelConfig& c = model.config();
  auto r = std::unique_ptr<LlamaCudaRunner>(new LlamaCudaRunner(model));
  r->device_ = model.device();
  r->max_tokens_ = max_tokens;
  if (!use_graph) r->graph_state_ = GraphState::kOff;
  int err = kernels::cuda_stream_create(&r->stream_, r->device_.index);
  if (err != 0) return cuda_status("creating the session's CUDA stream", err);
  void* pinned = nullptr;
  err = kernels::cuda_host_alloc(&pinned, static_cast<size_t>(max_tokens + 4) * sizeof(int32_t));
  if (err != 0) {
    kernels::cuda_clear_last_error();
    return out_of_memory("pinned host staging of " + std::to_string(max_tokens + 4) + " token ids: " +
                         kernels::cuda_error_string(err));
  }
  r->pinned_ = static_cast<int32_t*>(pinned);
  const int64_t q_width = c.num_attention_heads * c.head_dim, kv_width = c.num_key_value_heads * c.head_dim;
  struct Item {
    Tensor* t;
    Shape s;
    DType d;
    const char* name;
  };
  const Item items[] = {{&r->x_, {max_tokens, c.hidden_size}, DType::kF32, "x"},
                        {&r->h_, {max_tokens, c.hidden_size}, DType::kF32, "h"},
                        {&r->q_, {max_tokens, q_width}, DType::kF32, "q"},
                        {&r->k_, {max_tokens, kv_width}, DType::kF32, "k"},
                        {&r->v_, {max_tokens, kv_width}, DType::kF32, "v"},
                        {&r->q_cache_, {max_tokens, q_width}, model.kv_dtype(), "q_cache"},
                        {&r->attn_, {max_tokens, q_width}, DType::kF32, "attn"},
                        {&r->gate_, {max_tokens, c.intermediate_size}, DType::kF32, "gate"},
                        {&r->up_, {max_tokens, c.intermediate_size}, DType::kF32, "up"},
                        {&r->last_, {1, c.hidden_size}, DType::kF32, "last"},
                        {&r->logits_, {1, c.vocab_size}, DType::kF32, "logits"},
                        {&r->ids_, {max_tokens}, DType::kI32, "ids"},
                        {&r->scalars_, {4}, DType::kI32, "scalars"}};
  for (const Item& it : items) {
    auto t = empty_on_device(it.s, it.d, r->device_, std::string("the session workspace (") + it.name + ")");
    if (!t) return t.status();
    *it.t = std::move(t.value());
  }
  return r;
}

LlamaCudaRunner::~LlamaCudaRunner() {
  kernels::cuda_set_device(device_.index);
  if (stream_) kernels::cuda_synchronize(stream_);
  kernels::cuda_graph_destroy(&graph_);
  kernels::cuda_stream_destroy(stream_);
  kernels::cuda_host_free(pinned_);
}

int64_t LlamaCudaRunner::workspace_bytes() const {
  int64_t b = 0;
  for (const Tensor* t : {&x_, &h_, &q_, &k_, &v_, &q_cache_, &attn_, &gate_, &up_, &last_, &logits_, &ids_, &scalars_})
    b += static_cast<int64_t>(t->nbytes());
  return b;
}

Status LlamaCudaRunner::layer(const OpContext& ctx, size_t l, int64_t n, int64_t pos, const KvStore& kv,
                              bool decode) {
  const LlamaLayerWeights& w = model_.weights().layers[l];
  const ModelConfig& c = model_.config();
  const int64_t heads = c.num_attention_heads, kv_heads = c.num_key_value_heads, hd = c.head_dim;
  const float eps = static_cast<float>(c.rms_norm_eps);
  const int32_t* d_pos = scalars_.as<int32_t>();
  const int32_t* d_n_kv = scalars_.as<int32_t>() + 1;
  const TensorView x = rows(x_, n), h = rows(h_, n), q = rows(q_, n), k = rows(k_, n), v = rows(v_, n);
  MISTRALRS_RETURN_IF_ERROR(rms_norm(ctx, x, w.attn_norm.view(), eps, h));
  MISTRALRS_RETURN_IF_ERROR(matmul(ctx, h, w.wq.view(), q));
  MISTRALRS_RETURN_IF_ERROR(matmul(ctx, h, w.wk.view(), k));
  MISTRALRS_RETURN_IF_ERROR(matmul(ctx, h, w.wv.view(), v));
  RopeParams rp;
  rp.theta = static_cast<float>(c.rope_theta);
  rp.layout = model_.weights().layout == WeightLayout::kGguf ? RopeLayout::kInterleaved : RopeLayout::kNeox;
  rp.position_offset = decode ? 0 : pos;
  rp.inv_freq = model_.weights().inv_freq.data();
  rp.device_position = decode ? d_pos : nullptr;
  const TensorView qh = as_heads(q, heads, hd), kh = as_heads(k, kv_heads, hd), vh = as_heads(v, kv_heads, hd);
  MISTRALRS_RETURN_IF_ERROR(rope(ctx, qh, rp, qh));
  MISTRALRS_RETURN_IF_ERROR(rope(ctx, kh, rp, kh));
  const TensorView qc = rows(q_cache_, n);
  MISTRALRS_RETURN_IF_ERROR(cast(ctx, q, qc));
  // The session's buffer as a one-block pool: [1, capacity, kv_heads, hd].
  const int64_t cap = kv.capacity();
  KvCacheView cache;
  cache.k = TensorView(kv.keys(static_cast<int64_t>(l)).data, kv.keys(0).dtype, Shape{1, cap, kv_heads, hd}, device_);
  cache.v = TensorView(kv.values(static_cast<int64_t>(l)).data, kv.values(0).dtype, Shape{1, cap, kv_heads, hd},
                       device_);
  // Decode: the capacity bounds the grids; the kernels read the key count at run time.
  cache.n_kv = decode ? cap : pos + n;
  cache.device_n_kv = decode ? d_n_kv : nullptr;
  MISTRALRS_RETURN_IF_ERROR(kv_write(ctx, kh, vh, cache, decode ? 0 : pos, decode ? d_pos : nullptr));
  AttentionParams ap;
  ap.sliding_window = c.sliding_window;
  const TensorView attn = rows(attn_, n);
  MISTRALRS_RETURN_IF_ERROR(cached_attention(ctx, as_heads(qc, heads, hd), cache, ap, as_heads(attn, heads, hd)));
  MISTRALRS_RETURN_IF_ERROR(matmul(ctx, attn, w.wo.view(), h));
  MISTRALRS_RETURN_IF_ERROR(add(ctx, x, h, x));
  const TensorView g = rows(gate_, n), u = rows(up_, n);
  MISTRALRS_RETURN_IF_ERROR(rms_norm(ctx, x, w.ffn_norm.view(), eps, h));
  MISTRALRS_RETURN_IF_ERROR(matmul(ctx, h, w.w_gate.view(), g));
  MISTRALRS_RETURN_IF_ERROR(matmul(ctx, h, w.w_up.view(), u));
  MISTRALRS_RETURN_IF_ERROR(silu_mul(ctx, g, u, g));
  MISTRALRS_RETURN_IF_ERROR(matmul(ctx, g, w.w_down.view(), h));
  return add(ctx, x, h, x);
}

Status LlamaCudaRunner::enqueue_step(const OpContext& ctx, int64_t n, int64_t pos, const KvStore& kv, bool decode,
                                     const std::atomic<bool>* cancel) {
  const LlamaWeights& w = model_.weights();
  const ModelConfig& c = model_.config();
  const TensorView ids(ids_.as<void>(), DType::kI32, Shape{n}, device_);
  MISTRALRS_RETURN_IF_ERROR(embedding(ctx, w.token_embedding.view(), ids, rows(x_, n)));
  for (size_t l = 0; l < w.layers.size(); ++l) {
    if (cancel && cancel->load(std::memory_order_relaxed))
      return Status(StatusCode::kCancelled, "cancelled during layer " + std::to_string(l));
    MISTRALRS_RETURN_IF_ERROR(layer(ctx, l, n, pos, kv, decode));
  }
  auto last_x = x_.view().slice(0, n - 1, n);
  if (!last_x) return last_x.status();
  MISTRALRS_RETURN_IF_ERROR(rms_norm(ctx, last_x.value(), w.output_norm.view(), static_cast<float>(c.rms_norm_eps),
                                     last_.view()));
  MISTRALRS_RETURN_IF_ERROR(matmul(ctx, last_.view(), w.output.view(), logits_.view()));
  const int err = kernels::argmax_f32(logits_.as<float>(), 1, c.vocab_size, c.vocab_size, scalars_.as<int32_t>() + 2,
                                      stream_);
  if (err != 0) return cuda_status("argmax of the logits", err);
  return Status::ok();
}

Status LlamaCudaRunner::try_capture(const OpContext& ctx, const KvStore& kv) {
  int err = kernels::cuda_graph_begin_capture(stream_);
  if (err != 0) {
    kernels::cuda_clear_last_error();
    return cuda_status("beginning the capture", err);
  }
  // No cancel check inside a capture: nothing runs until the graph is launched.
  const Status st = enqueue_step(ctx, 1, 0, kv, true, nullptr);
  kernels::CudaGraph g;
  err = kernels::cuda_graph_end_capture(stream_, &g);  // always ends it, even after a failed op
  kernels::cuda_clear_last_error();
  if (!st.is_ok()) {
    kernels::cuda_graph_destroy(&g);  // a host-side refusal leaves a valid, partial graph
    return Status(st.code(), "an op failed during capture: " + st.message());
  }
  if (err != 0) return cuda_status("capturing the decode step (an op may not be capture-safe)", err);
  graph_ = g;
  graph_kv_ = kv.keys(0).data;
  graph_kv_capacity_ = kv.capacity();
  return Status::ok();
}

Status LlamaCudaRunner::decode_step(const OpContext& ctx, const KvStore& kv) {
  if (graph_state_ == GraphState::kReady &&
      (graph_kv_ != kv.keys(0).data || graph_kv_capacity_ != kv.capacity())) {
    kernels::cuda_graph_destroy(&graph_);  // a different buffer: capture again
    graph_state_ = GraphState::kNotTried;
  }
  if (graph_state_ == GraphState::kNotTried && eager_decode_steps_ >= 1) {
    const Status st = try_capture(ctx, kv);
    if (st.is_ok()) {
      graph_state_ = GraphState::kReady;
    } else {
      graph_state_ = GraphState::kFailed;
      graph_note_ = "CUDA graph capture failed, decode steps run eagerly: " + st.message();
    }
  }
  if (graph_state_ == GraphState::kReady) {
    const int err = kernels::cuda_graph_launch(graph_, stream_);
    return err == 0 ? Status::ok() : cuda_status("launching the decode graph", err);
  }
  ++eager_decode_steps_;
  return enqueue_step(ctx, 1, 0, kv, true, nullptr);
}

Status LlamaCudaRunner::forward(const OpContext& base, const int32_t* tokens, int64_t n, int64_t pos,
                                const KvStore& kv, float* logits, int32_t* next_token,
                                const std::atomic<bool>* cancel) {
  if (!tokens || n <= 0 || n > max_tokens_)
    return invalid_argument("LlamaCudaRunner: chunk of " + std::to_string(n) + " tokens (at most " +
                            std::to_string(max_tokens_) + ")");
  if (pos < 0 || pos + n > kv.capacity())
    return invalid_argument("LlamaCudaRunner: positions [" + std::to_string(pos) + ", " + std::to_string(pos + n) +
                            ") exceed the cache of " + std::to_string(kv.capacity()) + " rows");
  if (kv.device() != device_ || kv.n_layers() != static_cast<int64_t>(model_.weights().layers.size()))
    return invalid_argument("LlamaCudaRunner: the KV cache is not the model's (" + kv.device().to_string() + ")");
  if (cancel && cancel->load(std::memory_order_relaxed)) return Status(StatusCode::kCancelled, "cancelled");
  int err = kernels::cuda_set_device(device_.index);
  if (err != 0) return cuda_status("selecting the model's device", err);
  OpContext ctx = base;
  ctx.cuda_stream = stream_;
  // Stage ids, position and key count in pinned memory; the previous step's copies have
  // completed (each step ends with a stream synchronisation), so overwriting is safe.
  std::memcpy(pinned_, tokens, static_cast<size_t>(n) * sizeof(int32_t));
  int32_t* scalars = pinned_ + max_tokens_;
  scalars[0] = static_cast<int32_t>(pos);
  scalars[1] = static_cast<int32_t>(pos + n);
  err = kernels::cuda_memcpy_h2d_async(ids_.as<void>(), pinned_, static_cast<size_t>(n) * sizeof(int32_t), stream_);
  if (err == 0) err = kernels::cuda_memcpy_h2d_async(scalars_.as<void>(), scalars, 2 * sizeof(int32_t), stream_);
  // A decode step is too short to interrupt; prefill chunks check `cancel` between layers.
  // A failed copy still drains the stream below: the other copy may be reading pinned_.
  Status st = err != 0  ? cuda_status("copying token ids to the device", err)
              : n == 1 ? decode_step(ctx, kv)
                       : enqueue_step(ctx, n, pos, kv, false, cancel);
  if (st.is_ok() && next_token)
    if ((err = kernels::cuda_memcpy_d2h_async(scalars + 2, scalars_.as<int32_t>() + 2, sizeof(int32_t), stream_)) != 0)
      st = cuda_status("copying the sampled token to the host", err);
  if (st.is_ok() && logits)
    if ((err = kernels::cuda_memcpy_d2h_async(logits, logits_.as<void>(), logits_.nbytes(), stream_)) != 0)
      st = cuda_status("copying the logits to the host", err);
  // Always drain the stream, also after a failure, so no queued work outlives the call.
  err = kernels::cuda_synchronize(stream_);
  if (st.is_ok() && err != 0) st = cuda_status("running the step", err);
  if (st.is_ok() && next_token) *next_token = scalars[2];
  // A failed allocation or launch leaves a non-sticky error behind that the next step's first
  // launch check would report as its own; a sticky one is not cleared by this.
  if (!st.is_ok()) kernels::cuda_clear_last_error();
  return st;
}

#else  // no CUDA in this build

Expected<std::unique_ptr<LlamaCudaRunner>> LlamaCudaRunner::create(const LlamaModel&, int64_t, bool) {
  return unsupported("this build of libmistralrs has no CUDA support");
}
LlamaCudaRunner::~LlamaCudaRunner() = default;
int64_t LlamaCudaRunner::workspace_bytes() const { return 0; }
Status LlamaCudaRunner::forward(const OpContext&, const int32_t*, int64_t, int64_t, const KvStore&, float*, int32_t*,
                                const std::atomic<bool>*) {
  return unsupported("this build of libmistralrs has no CUDA support");
}

#endif

}  // namespace mistralrs
