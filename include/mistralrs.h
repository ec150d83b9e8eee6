/*
 * mistralrs.h: the public C API of libmistralrs.
 *
 * C99, stable ABI. Every function is prefixed mistralrs_. Conventions:
 *  - Fallible calls return an int32_t status (MISTRALRS_OK = 0); on failure
 *    mistralrs_last_error() gives the calling thread's message for its last failure.
 *  - Objects are opaque handles with create/free pairs; every free accepts NULL.
 *  - Options are opaque handles with typed setters; only fixed-width integer types,
 *    floats and pointers cross the boundary (no bool, no enums, no structs by value).
 *  - No function throws, aborts or exits; bad input is an ordinary error status.
 *
 * Threading:
 *  - a runtime is thread-safe;
 *  - a loaded model is immutable and may be shared by any number of sessions and threads;
 *  - a session is used by one thread at a time (mistralrs_session_cancel and
 *    mistralrs_request_cancel excepted: any thread, any time);
 *  - options handles are configured on one thread, then may be shared read-only;
 *  - callbacks (log, token) never run while an internal lock is held, so they may call
 *    back into the library (cancel, poll, ...). Log callbacks run on whichever thread
 *    logged, behind only the runtime's log sink.
 */
#ifndef MISTRALRS_H
#define MISTRALRS_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#if defined(MISTRALRS_BUILDING_LIBRARY)
#define MISTRALRS_API __declspec(dllexport)
#else
#define MISTRALRS_API __declspec(dllimport)
#endif
#else
#define MISTRALRS_API __attribute__((visibility("default")))
#endif

/* Marks a declaration that a later major version removes: MISTRALRS_DEPRECATED("use x")
 * before the declaration's return type. Empty on compilers without the attribute. */
#if defined(__GNUC__) || defined(__clang__)
#define MISTRALRS_DEPRECATED(msg) __attribute__((deprecated(msg)))
#elif defined(_MSC_VER)
#define MISTRALRS_DEPRECATED(msg) __declspec(deprecated(msg))
#else
#define MISTRALRS_DEPRECATED(msg)
#endif

#define MISTRALRS_API_VERSION_MAJOR 0
#define MISTRALRS_API_VERSION_MINOR 1
#define MISTRALRS_API_VERSION_PATCH 0

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status codes: never renumbered, new ones only appended ---------------------- */
#define MISTRALRS_OK 0
#define MISTRALRS_ERR_INVALID_ARGUMENT 1
#define MISTRALRS_ERR_OUT_OF_MEMORY 2
#define MISTRALRS_ERR_IO 3
#define MISTRALRS_ERR_UNSUPPORTED 4
#define MISTRALRS_ERR_BUFFER_TOO_SMALL 5
#define MISTRALRS_ERR_CANCELLED 6
#define MISTRALRS_ERR_CUDA 7
#define MISTRALRS_ERR_INTERNAL 8

/* ---- log levels -------------------------------------------------------------------- */
#define MISTRALRS_LOG_TRACE 0
#define MISTRALRS_LOG_DEBUG 1
#define MISTRALRS_LOG_INFO 2
#define MISTRALRS_LOG_WARN 3
#define MISTRALRS_LOG_ERROR 4

/* The library's version as "MAJOR.MINOR.PATCH"; static storage, never freed. */
MISTRALRS_API const char* mistralrs_version(void);

/* The version numbers the library was built with (compare with the macros above). */
MISTRALRS_API void mistralrs_version_numbers(int32_t* major, int32_t* minor, int32_t* patch);

/* A short constant English name of a status code ("ok", "invalid argument", ...). */
MISTRALRS_API const char* mistralrs_status_string(int32_t status);

/* The calling thread's message for its most recent failed call; "" when none. The pointer
 * stays valid until the next failing call on the same thread. */
MISTRALRS_API const char* mistralrs_last_error(void);

/* Frees a string the library returned through a char** out-parameter. NULL is fine. */
MISTRALRS_API void mistralrs_string_free(char* s);

/* ---- runtime ----------------------------------------------------------------------- */
typedef struct mistralrs_runtime mistralrs_runtime;
typedef struct mistralrs_runtime_options mistralrs_runtime_options;

/* Called with a level, a NUL-terminated message and the user_data given with it. */
typedef void (*mistralrs_log_callback)(int32_t level, const char* message, void* user_data);

MISTRALRS_API int32_t mistralrs_runtime_options_create(mistralrs_runtime_options** out);
MISTRALRS_API void mistralrs_runtime_options_free(mistralrs_runtime_options* options);
/* Worker threads for CPU work, counting the calling thread; 0 = all hardware threads. */
MISTRALRS_API int32_t mistralrs_runtime_options_set_threads(mistralrs_runtime_options* options,
                                                            int32_t n_threads);
/* Messages at min_level and above go to callback (NULL: logging off, the default). */
MISTRALRS_API int32_t mistralrs_runtime_options_set_log_callback(
    mistralrs_runtime_options* options, mistralrs_log_callback callback, void* user_data,
    int32_t min_level);

/* options may be NULL (defaults). The options are copied; free them any time after. */
MISTRALRS_API int32_t mistralrs_runtime_create(const mistralrs_runtime_options* options,
                                               mistralrs_runtime** out);
MISTRALRS_API void mistralrs_runtime_free(mistralrs_runtime* runtime);
/* The number of CPU threads the runtime uses (>= 1), or a negative status on error. */
MISTRALRS_API int32_t mistralrs_runtime_threads(const mistralrs_runtime* runtime);
/* The number of CUDA devices usable by this build (0 without CUDA support). */
MISTRALRS_API int32_t mistralrs_runtime_cuda_devices(const mistralrs_runtime* runtime);

/* ---- models -------------------------------------------------------------------------
 * A loaded model is immutable: any number of sessions on any threads may share it. It
 * borrows its runtime (thread pool, log sink): free every model before its runtime. */
typedef struct mistralrs_model mistralrs_model;
typedef struct mistralrs_model_options mistralrs_model_options;
typedef struct mistralrs_tokenizer mistralrs_tokenizer;

MISTRALRS_API int32_t mistralrs_model_options_create(mistralrs_model_options** out);
MISTRALRS_API void mistralrs_model_options_free(mistralrs_model_options* options);
/* The device the model runs on: "cpu" (default), "cuda" (= "cuda:0") or "cuda:N". On a CUDA
 * device the weights (in their file dtype, quantized ones included) and every session's KV
 * cache (f16, or bf16 for bf16 weights) live in device memory, and each step runs there;
 * greedy sampling happens on the device too, other sampler chains read the logits back.
 * Checked now: MISTRALRS_ERR_INVALID_ARGUMENT for another string or N not below the device
 * count, MISTRALRS_ERR_UNSUPPORTED when the library was built without CUDA or the machine has
 * no CUDA device. Loading then fails with MISTRALRS_ERR_OUT_OF_MEMORY (naming the tensor)
 * when the weights do not fit, and mistralrs_session_create likewise for the KV cache;
 * nothing is left allocated and other models and sessions are unaffected. Prefix caching is
 * CPU-only for now (loading with both is MISTRALRS_ERR_UNSUPPORTED). */
MISTRALRS_API int32_t mistralrs_model_options_set_device(mistralrs_model_options* options, const char* device);

/* path: a Hugging Face model directory (config.json + model.safetensors or sharded with
 * model.safetensors.index.json) or a .gguf file. options may be NULL (defaults). */
MISTRALRS_API int32_t mistralrs_model_load(mistralrs_runtime* runtime, const char* path,
                                           const mistralrs_model_options* options,
                                           mistralrs_model** out);
MISTRALRS_API void mistralrs_model_free(mistralrs_model* model);

/* Loads a GGUF model from memory, e.g. an asset inside a game package. The bytes are
 * copied (into 64-byte aligned memory, so the model costs the buffer's size in RAM): data
 * may be freed as soon as the call returns. A truncated or malformed buffer is an error
 * status, never a crash. options may be NULL. */
MISTRALRS_API int32_t mistralrs_model_load_from_memory(mistralrs_runtime* runtime, const void* data,
                                                       size_t size, const mistralrs_model_options* options,
                                                       mistralrs_model** out);

/* Reader callbacks over a GGUF stream; user_data is the pointer given with them. */
#define MISTRALRS_SEEK_SET 0
#define MISTRALRS_SEEK_CUR 1
#define MISTRALRS_SEEK_END 2
/* Reads up to size bytes into buffer: returns the count read (0 at the end of the stream)
 * or a negative value on error. */
typedef int64_t (*mistralrs_read_callback)(void* buffer, size_t size, void* user_data);
/* Moves to offset from whence (MISTRALRS_SEEK_*): returns the new position from the start
 * or a negative value on error. */
typedef int64_t (*mistralrs_seek_callback)(int64_t offset, int32_t whence, void* user_data);

/* Loads a GGUF model through callbacks. The GGUF starts at position 0 of the stream. With a
 * seek callback the size is found by seeking to the end, then the stream is read from 0 in
 * one pass; seek_fn may be NULL for a stream that is read once to its end. The callbacks run
 * on the calling thread during this call only and the bytes are copied, as for
 * mistralrs_model_load_from_memory. A failing callback or a short stream is an error. */
MISTRALRS_API int32_t mistralrs_model_load_from_reader(mistralrs_runtime* runtime, mistralrs_read_callback read_fn,
                                                       mistralrs_seek_callback seek_fn, void* user_data,
                                                       const mistralrs_model_options* options,
                                                       mistralrs_model** out);
/* The vocabulary size (logits per position), or a negative status on error. */
MISTRALRS_API int32_t mistralrs_model_vocab_size(const mistralrs_model* model);
/* The model's maximum context length in tokens, or a negative status on error. */
MISTRALRS_API int32_t mistralrs_model_context_length(const mistralrs_model* model);
/* The model's own tokenizer (borrowed: valid while the model is), or NULL when the model
 * files carry none or model is NULL. */
MISTRALRS_API const mistralrs_tokenizer* mistralrs_model_tokenizer(const mistralrs_model* model);

/* ---- KV memory and prefix caching ----------------------------------------------------
 * Every session of a model takes its KV buffer (context length x layers x K and V) from one
 * byte budget; with prefix caching on, full 16-token blocks of earlier prompts are kept in
 * the same budget and copied into a new request that starts with the same tokens, so only
 * the rest of its prompt is computed. Unused blocks are evicted least recently used first.
 * When the budget cannot hold a new session, mistralrs_session_create fails with
 * MISTRALRS_ERR_OUT_OF_MEMORY; existing sessions keep their tokens. */
#define MISTRALRS_CACHE_KV 0     /* a KV cache per session */
#define MISTRALRS_CACHE_NONE 1   /* nothing kept between steps (diffusion, speech) */
#define MISTRALRS_CACHE_PREFIX 2 /* KV cache whose prompt blocks are shared between requests */

/* Bytes of KV memory for all sessions and cached blocks; 0 (default) = unlimited. */
MISTRALRS_API int32_t mistralrs_model_options_set_kv_budget(mistralrs_model_options* options,
                                                            int64_t bytes);
/* Non-zero turns prefix caching on (default off). */
MISTRALRS_API int32_t mistralrs_model_options_set_prefix_cache(mistralrs_model_options* options,
                                                               int32_t enabled);
/* MISTRALRS_CACHE_*, or a negative status on error. */
MISTRALRS_API int32_t mistralrs_model_cache_strategy(const mistralrs_model* model);
/* Prefix cache counters since load (each out parameter may be NULL): lookups (requests that
 * searched the cache), hit_blocks (blocks copied out), tokens_reused, evictions and
 * cached_blocks (held now). All zero when prefix caching is off. */
MISTRALRS_API int32_t mistralrs_prefix_cache_stats(const mistralrs_model* model, int64_t* lookups,
                                                   int64_t* hit_blocks, int64_t* tokens_reused,
                                                   int64_t* evictions, int64_t* cached_blocks);
/* Bytes of the KV budget in use (session buffers + cached blocks) and the budget (INT64_MAX
 * when unlimited); either may be NULL. */
MISTRALRS_API int32_t mistralrs_model_kv_usage(const mistralrs_model* model, int64_t* used_bytes,
                                               int64_t* budget_bytes);

/* ---- tokenizers ---------------------------------------------------------------------- */
#define MISTRALRS_TOKENIZE_ADD_SPECIAL 1u   /* BOS/EOS as the vocabulary says */
#define MISTRALRS_TOKENIZE_PARSE_SPECIAL 2u /* special-token text becomes special tokens */
#define MISTRALRS_DETOKENIZE_RENDER_SPECIAL 1u /* control tokens as their text */

/* Writes up to capacity ids; *n_ids receives the full count. When capacity is too small
 * the status is MISTRALRS_ERR_BUFFER_TOO_SMALL and *n_ids the count needed. */
MISTRALRS_API int32_t mistralrs_tokenize(const mistralrs_tokenizer* tokenizer, const char* text,
                                         size_t text_len, uint32_t flags, int32_t* ids,
                                         size_t capacity, size_t* n_ids);
/* Writes the text (not NUL-terminated) into text[0..capacity); *text_len receives its full
 * length; MISTRALRS_ERR_BUFFER_TOO_SMALL when it does not fit. */
MISTRALRS_API int32_t mistralrs_detokenize(const mistralrs_tokenizer* tokenizer, const int32_t* ids,
                                           size_t n_ids, uint32_t flags, char* text,
                                           size_t capacity, size_t* text_len);

/* Loads a tokenizer on its own (no weights): a tokenizer.json, a SentencePiece
 * tokenizer.model, a tekken.json, a .gguf file (vocabulary-only or a whole model; only its
 * metadata is read) or a Hugging Face model directory (tokenizer.json, else tekken.json,
 * else tokenizer.model; tokenizer_config.json or chat_template.jinja give the chat template).
 * The tokenizer is immutable: any threads may use it at once. Free it with
 * mistralrs_tokenizer_free (never free the borrowed one of mistralrs_model_tokenizer). */
MISTRALRS_API int32_t mistralrs_tokenizer_load(const char* path, mistralrs_tokenizer** out);
/* The same from size bytes in memory (the content of a tokenizer.json, tekken.json,
 * SentencePiece .model or .gguf file, told apart by content; copied, so data may be freed
 * after the call). tokenizer_config_json: the text of a tokenizer_config.json (NUL-terminated;
 * chat template, add_bos_token/add_eos_token of a .model) or NULL. */
MISTRALRS_API int32_t mistralrs_tokenizer_load_from_memory(const void* data, size_t size,
                                                           const char* tokenizer_config_json,
                                                           mistralrs_tokenizer** out);
/* NULL and borrowed model tokenizers are ignored. */
MISTRALRS_API void mistralrs_tokenizer_free(mistralrs_tokenizer* tokenizer);

/* ---- chat templates -----------------------------------------------------------------
 * Jinja chat templates rendered as Hugging Face transformers renders them (jinja2 sandbox,
 * trim_blocks, lstrip_blocks, loop controls, tojson, raise_exception, strftime_now).
 * Template errors (syntax, undefined calls, raise_exception) give
 * MISTRALRS_ERR_INVALID_ARGUMENT with the template's message and location in
 * mistralrs_last_error. Thread-safe; the result is freed with mistralrs_string_free. */

/* context_json: a JSON object of the template's variables (messages, tools,
 * add_generation_prompt, bos_token, eos_token, ...). now_unix_utc: the time strftime_now
 * sees, or -1 for the system clock. */
MISTRALRS_API int32_t mistralrs_chat_template_render(const char* template_source, const char* context_json,
                                                     int64_t now_unix_utc, char** out_text);
/* Renders the tokenizer's own chat template with its BOS/EOS token text. messages_json: a
 * JSON array of messages, or a JSON object of variables holding "messages" (and "tools",
 * ...). MISTRALRS_ERR_INVALID_ARGUMENT when the tokenizer has no template. */
MISTRALRS_API int32_t mistralrs_tokenizer_apply_chat_template(const mistralrs_tokenizer* tokenizer,
                                                              const char* messages_json,
                                                              int32_t add_generation_prompt, char** out_text);

/* ---- sessions ------------------------------------------------------------------------
 * A session is one conversation: its KV cache and the tokens evaluated so far. Use a
 * session from one thread at a time; free sessions before their model. */
typedef struct mistralrs_session mistralrs_session;
typedef struct mistralrs_session_options mistralrs_session_options;

MISTRALRS_API int32_t mistralrs_session_options_create(mistralrs_session_options** out);
MISTRALRS_API void mistralrs_session_options_free(mistralrs_session_options* options);
/* Tokens the session can hold; 0 (default) = the model's context length. */
MISTRALRS_API int32_t mistralrs_session_options_set_context_length(mistralrs_session_options* options,
                                                                   int32_t n_tokens);
/* Prompt tokens evaluated per forward pass during prefill; 0 (default) = 256. */
MISTRALRS_API int32_t mistralrs_session_options_set_prefill_chunk(mistralrs_session_options* options,
                                                                  int32_t n_tokens);

/* Quantized (block-type) weights: 0 (default) rounds activations to 8-bit blocks and uses
 * integer dot products, as llama.cpp does; non-zero dequantizes the weights and multiplies
 * in f32, slower but equal to the dequantized model's results up to summation order. */
MISTRALRS_API int32_t mistralrs_session_options_set_exact_quantized(mistralrs_session_options* options,
                                                                   int32_t exact);

MISTRALRS_API int32_t mistralrs_session_create(mistralrs_model* model,
                                               const mistralrs_session_options* options,
                                               mistralrs_session** out);
/* A request still running on the session is cancelled and joined first. Called from that
 * request's own callback it frees nothing and sets the last error (free it afterwards). */
MISTRALRS_API void mistralrs_session_free(mistralrs_session* session);
/* Asks the eval, generate or request running on this session to stop; callable from any
 * thread, including from inside a generation callback. Prefill checks between layers,
 * decode between layers and tokens: eval then returns MISTRALRS_ERR_CANCELLED with nothing
 * appended, generate returns MISTRALRS_OK with finish reason MISTRALRS_FINISH_CANCELLED and
 * keeps what it generated. Each eval / generate call starts with no cancel pending, so a
 * cancel while no call runs does nothing. */
MISTRALRS_API int32_t mistralrs_session_cancel(mistralrs_session* session);
/* Forgets every evaluated token (the cache is reused). */
MISTRALRS_API int32_t mistralrs_session_reset(mistralrs_session* session);
/* Tokens evaluated so far, or a negative status on error. */
MISTRALRS_API int32_t mistralrs_session_n_past(const mistralrs_session* session);
/* Appends tokens to the session's context and evaluates them. logits: NULL, or room for
 * vocab_size floats, filled with the last position's logits. On error nothing is appended. */
MISTRALRS_API int32_t mistralrs_session_eval(mistralrs_session* session, const int32_t* tokens,
                                             size_t n_tokens, float* logits);

/* ---- generation ---------------------------------------------------------------------- */
typedef struct mistralrs_generate_options mistralrs_generate_options;

#define MISTRALRS_FINISH_EOS 0
#define MISTRALRS_FINISH_MAX_TOKENS 1
#define MISTRALRS_FINISH_STOP_STRING 2
#define MISTRALRS_FINISH_CONTEXT_FULL 3
#define MISTRALRS_FINISH_CANCELLED 4
#define MISTRALRS_FINISH_CALLBACK 5

/* Defaults: 128 tokens, greedy, seed 0, no stop strings. The setters below adjust the
 * sampler chain (see mistralrs_generate_options_set_sampler for all of it). */
MISTRALRS_API int32_t mistralrs_generate_options_create(mistralrs_generate_options** out);
MISTRALRS_API void mistralrs_generate_options_free(mistralrs_generate_options* options);
MISTRALRS_API int32_t mistralrs_generate_options_set_max_tokens(mistralrs_generate_options* options,
                                                                int32_t max_tokens);
/* 0 = greedy; otherwise softmax(logits / temperature) and a seeded draw. */
MISTRALRS_API int32_t mistralrs_generate_options_set_temperature(mistralrs_generate_options* options,
                                                                 float temperature);
MISTRALRS_API int32_t mistralrs_generate_options_set_top_k(mistralrs_generate_options* options,
                                                           int32_t top_k);
MISTRALRS_API int32_t mistralrs_generate_options_set_top_p(mistralrs_generate_options* options,
                                                           float top_p);
MISTRALRS_API int32_t mistralrs_generate_options_set_seed(mistralrs_generate_options* options,
                                                          uint64_t seed);
/* Generation ends before the first occurrence of any stop string (needs a tokenizer). */
MISTRALRS_API int32_t mistralrs_generate_options_add_stop_string(mistralrs_generate_options* options,
                                                                 const char* text);
MISTRALRS_API int32_t mistralrs_generate_options_set_ignore_eos(mistralrs_generate_options* options,
                                                                int32_t ignore_eos);

/* Called for each generated token with the text it completes: always whole UTF-8 (text_len
 * may be 0 while a character or a possible stop string is pending; at the end any text
 * still held arrives with token -1). text is valid only during the call. Return non-zero
 * to stop generating. The callback runs on the calling thread, with no library lock held. */
typedef int32_t (*mistralrs_token_callback)(int32_t token, const char* text, size_t text_len,
                                            void* user_data);

/* Evaluates prompt (after what the session already holds), then generates. callback may be
 * NULL. *finish_reason (may be NULL) receives a MISTRALRS_FINISH_* value. */
MISTRALRS_API int32_t mistralrs_session_generate(mistralrs_session* session, const int32_t* prompt,
                                                 size_t n_prompt,
                                                 const mistralrs_generate_options* options,
                                                 mistralrs_token_callback callback, void* user_data,
                                                 int32_t* finish_reason);

/* Figures of the session's most recent generate call (each pointer may be NULL): prompt
 * tokens and the seconds their evaluation took, generated tokens and the seconds spent
 * generating them. */
MISTRALRS_API int32_t mistralrs_session_generation_stats(const mistralrs_session* session,
                                                         int32_t* prompt_tokens, double* prompt_seconds,
                                                         int32_t* generated_tokens,
                                                         double* generate_seconds);

/* ---- requests: generation in the background --------------------------------------------
 * A request runs one generation on a session on a worker thread of its own, so the caller's
 * thread never blocks: a game loop drains its events once per frame with
 * mistralrs_request_poll, other programs block in mistralrs_request_wait or take tokens in
 * a callback. The session is busy until the request's last event (FINISH or ERROR) is
 * queued: eval, generate, reset, n_past, generation_stats and another request on it fail
 * with MISTRALRS_ERR_INVALID_ARGUMENT meanwhile. Afterwards the session holds the prompt
 * and the generated tokens, as after mistralrs_session_generate.
 *
 * Threading: start, poll, wait and free a request from one thread at a time (any one);
 * mistralrs_request_cancel from any thread at any time, including from the callback.
 * Callbacks run on the request's worker thread with no library lock held. */
typedef struct mistralrs_request mistralrs_request;
typedef struct mistralrs_request_options mistralrs_request_options;

#define MISTRALRS_EVENT_NONE 0
/* A generated token and the text it completes: whole UTF-8, possibly empty while a
 * character or a possible stop string is pending. token -1: text held back until the end. */
#define MISTRALRS_EVENT_TOKEN 1
/* The last event of a request that ended normally: finish_reason is MISTRALRS_FINISH_*. */
#define MISTRALRS_EVENT_FINISH 2
/* The last event of a request that failed: status is MISTRALRS_ERR_*, text the message. */
#define MISTRALRS_EVENT_ERROR 3

/* One event. The caller sets size = sizeof(mistralrs_request_event) (at least 8); the
 * library writes only the first size bytes, so a program built against an older, smaller
 * struct keeps working when fields are appended. text is NUL-terminated as well and stays
 * valid until the next poll, wait or free on the same request. */
typedef struct mistralrs_request_event {
  uint32_t size;         /* set by the caller */
  int32_t type;          /* MISTRALRS_EVENT_* */
  int32_t token;         /* TOKEN: the token id (-1: held-back text); otherwise -1 */
  int32_t finish_reason; /* FINISH: MISTRALRS_FINISH_*; otherwise -1 */
  int32_t status;        /* ERROR: the status; otherwise MISTRALRS_OK */
  uint32_t text_len;     /* bytes at text, not counting the NUL */
  const char* text;      /* TOKEN: the text delta; ERROR: the message; otherwise "" */
} mistralrs_request_event;

MISTRALRS_API int32_t mistralrs_request_options_create(mistralrs_request_options** out);
MISTRALRS_API void mistralrs_request_options_free(mistralrs_request_options* options);
/* The prompt as token ids (copied). Each prompt setter replaces the prompt set before. */
MISTRALRS_API int32_t mistralrs_request_options_set_prompt_tokens(mistralrs_request_options* options,
                                                                  const int32_t* tokens, size_t n_tokens);
/* The prompt as text (copied), tokenized with the model's tokenizer when the request starts
 * with MISTRALRS_TOKENIZE_* flags. */
MISTRALRS_API int32_t mistralrs_request_options_set_prompt_text(mistralrs_request_options* options,
                                                                const char* text, size_t text_len,
                                                                uint32_t tokenize_flags);
/* The prompt as chat messages (JSON, copied; as for mistralrs_tokenizer_apply_chat_template),
 * rendered with the model's chat template when the request starts and tokenized with special
 * tokens parsed and none added, as transformers' apply_chat_template(tokenize=True) does. */
MISTRALRS_API int32_t mistralrs_request_options_set_messages_json(mistralrs_request_options* options,
                                                                  const char* messages_json,
                                                                  int32_t add_generation_prompt);
/* Copies max tokens, the sampler chain, seed, stop strings and ignore-EOS (default: the
 * defaults of mistralrs_generate_options_create). */
MISTRALRS_API int32_t mistralrs_request_options_set_generate_options(mistralrs_request_options* options,
                                                                     const mistralrs_generate_options* generate);
/* Tokens go to callback on the worker thread instead of becoming TOKEN events (FINISH and
 * ERROR are still queued); it returns non-zero to stop. NULL (default): TOKEN events. */
MISTRALRS_API int32_t mistralrs_request_options_set_callback(mistralrs_request_options* options,
                                                             mistralrs_token_callback callback,
                                                             void* user_data);

/* Validates the options, tokenizes a text prompt and starts the worker. The options are
 * copied. Errors found before the start are returned here; later ones arrive as an ERROR
 * event. */
MISTRALRS_API int32_t mistralrs_request_start(mistralrs_session* session,
                                              const mistralrs_request_options* options,
                                              mistralrs_request** out);
/* Takes the next event without blocking: returns 1 and fills *event, 0 when none is queued
 * now (nothing more ever comes once FINISH or ERROR was taken), or a negative status. */
MISTRALRS_API int32_t mistralrs_request_poll(mistralrs_request* request, mistralrs_request_event* event);
/* As poll, but blocks up to timeout_ms milliseconds (negative: no limit) for an event;
 * returns 0 at once when the last event was already taken. */
MISTRALRS_API int32_t mistralrs_request_wait(mistralrs_request* request, int32_t timeout_ms,
                                             mistralrs_request_event* event);
/* Asks the request to stop; honoured between layers of the forward pass and between
 * tokens. It then finishes with MISTRALRS_FINISH_CANCELLED, keeping what it generated.
 * mistralrs_session_cancel on its session does the same. */
MISTRALRS_API int32_t mistralrs_request_cancel(mistralrs_request* request);
/* Cancels a running request, waits for its worker to stop and frees it. NULL is fine. Not
 * from the request's own callback (the worker is then left to finish on its own). Free
 * requests before their session; freeing the session first cancels and joins them too. */
MISTRALRS_API void mistralrs_request_free(mistralrs_request* request);

/* ---- sampler ---------------------------------------------------------------------------
 * A standalone sampler chain over a logits row: logit bias, repetition/frequency/presence
 * penalties, DRY, top-n-sigma, top-k, typical, top-p, min-p, XTC, (dynamic) temperature,
 * then the draw (argmax, a seeded draw, or mirostat v1/v2). It needs no model, unless DRY
 * sequence breakers are given as text (they are matched against the vocabulary).
 *
 * A fresh params object has every stage off: temperature 1, no truncation, no penalty,
 * no bias, DRY off, seed 0, a seeded draw. Each setter validates its arguments (NaN, a
 * negative top-k other than -1 = off, a window below -1, ... are MISTRALRS_ERR_INVALID_ARGUMENT)
 * and leaves the params unchanged on error. Windows ("last_n"): 0 = off, -1 = the
 * context length given to mistralrs_sampler_create, N = the last N accepted tokens.
 *
 * Random draws use xoshiro256** seeded through SplitMix64: a seed gives the same tokens
 * on every platform and thread count. A sampler is used by one thread at a time. */
typedef struct mistralrs_sampler_params mistralrs_sampler_params;
typedef struct mistralrs_sampler mistralrs_sampler;

/* Stage ids for mistralrs_sampler_params_set_order. */
#define MISTRALRS_SAMPLER_STAGE_LOGIT_BIAS 0
#define MISTRALRS_SAMPLER_STAGE_PENALTIES 1
#define MISTRALRS_SAMPLER_STAGE_DRY 2
#define MISTRALRS_SAMPLER_STAGE_TOP_N_SIGMA 3
#define MISTRALRS_SAMPLER_STAGE_TOP_K 4
#define MISTRALRS_SAMPLER_STAGE_TYPICAL 5
#define MISTRALRS_SAMPLER_STAGE_TOP_P 6
#define MISTRALRS_SAMPLER_STAGE_MIN_P 7
#define MISTRALRS_SAMPLER_STAGE_XTC 8
#define MISTRALRS_SAMPLER_STAGE_TEMPERATURE 9

/* NULL when out of memory. */
MISTRALRS_API mistralrs_sampler_params* mistralrs_sampler_params_create(void);
MISTRALRS_API void mistralrs_sampler_params_free(mistralrs_sampler_params* params);

/* The order in which the stages run, before the draw (default: logit bias, penalties, DRY,
 * top-n-sigma, top-k, typical, top-p, min-p, XTC, temperature). Each stage at most once;
 * stages left out do not run. */
MISTRALRS_API int32_t mistralrs_sampler_params_set_order(mistralrs_sampler_params* params,
                                                         const int32_t* stages, size_t n_stages);
MISTRALRS_API int32_t mistralrs_sampler_params_set_seed(mistralrs_sampler_params* params, uint64_t seed);
/* Non-zero: the draw takes the most likely remaining token instead of a seeded draw. */
MISTRALRS_API int32_t mistralrs_sampler_params_set_greedy(mistralrs_sampler_params* params, int32_t greedy);
/* logit / temperature; 0 keeps only the most likely token. Default 1. */
MISTRALRS_API int32_t mistralrs_sampler_params_set_temperature(mistralrs_sampler_params* params,
                                                               float temperature);
/* Entropy-scaled temperature in [max(0, T - range), T + range]; range 0 = off. */
MISTRALRS_API int32_t mistralrs_sampler_params_set_dynamic_temperature(mistralrs_sampler_params* params,
                                                                       float range, float exponent);
/* 0 or -1 = off. */
MISTRALRS_API int32_t mistralrs_sampler_params_set_top_k(mistralrs_sampler_params* params, int32_t top_k);
/* In [0, 1]; 1 = off. */
MISTRALRS_API int32_t mistralrs_sampler_params_set_top_p(mistralrs_sampler_params* params, float top_p);
/* In [0, 1]; 0 = off. Keeps tokens with probability >= min_p x the largest. */
MISTRALRS_API int32_t mistralrs_sampler_params_set_min_p(mistralrs_sampler_params* params, float min_p);
/* Locally typical sampling, in [0, 1]; 1 = off. */
MISTRALRS_API int32_t mistralrs_sampler_params_set_typical_p(mistralrs_sampler_params* params, float typical_p);
/* Keeps logits >= max - n x their standard deviation; 0 or -1 = off. */
MISTRALRS_API int32_t mistralrs_sampler_params_set_top_n_sigma(mistralrs_sampler_params* params, float n);
/* Exclude top choices: with this probability, of the tokens with probability >= threshold
 * all but the least likely are removed. Probability 0 or threshold > 0.5 = off. */
MISTRALRS_API int32_t mistralrs_sampler_params_set_xtc(mistralrs_sampler_params* params, float probability,
                                                       float threshold);
/* The truncation stages keep at least this many tokens (>= 1, default 1). */
MISTRALRS_API int32_t mistralrs_sampler_params_set_min_keep(mistralrs_sampler_params* params, int32_t min_keep);
/* version 0 = off, 1 or 2; target surprise tau, learning rate eta. Mirostat replaces the
 * truncation stages (they are skipped) and the draw. */
MISTRALRS_API int32_t mistralrs_sampler_params_set_mirostat(mistralrs_sampler_params* params, int32_t version,
                                                            float tau, float eta);
/* Over the last_n accepted tokens (default 64): a token seen c times has a positive logit
 * divided by repeat (a negative one multiplied), then c x frequency + presence subtracted.
 * repeat 1, frequency 0, presence 0 = off. */
MISTRALRS_API int32_t mistralrs_sampler_params_set_penalties(mistralrs_sampler_params* params, int32_t last_n,
                                                             float repeat, float frequency, float presence);
/* Adds bias to token's logit (-INFINITY bans it); repeated calls for a token add up. */
MISTRALRS_API int32_t mistralrs_sampler_params_add_logit_bias(mistralrs_sampler_params* params, int32_t token,
                                                              float bias);
MISTRALRS_API int32_t mistralrs_sampler_params_clear_logit_bias(mistralrs_sampler_params* params);
/* DRY: a candidate that would extend a repeat of n >= allowed_length tokens loses
 * multiplier x base^(n - allowed_length) (clamped to stay finite) from its logit.
 * multiplier 0 = off (0.8 is usual); base >= 1 when multiplier != 0 (default 1.75);
 * allowed_length >= 1 (default 2); penalty_last_n as the windows above (default -1). */
MISTRALRS_API int32_t mistralrs_sampler_params_set_dry(mistralrs_sampler_params* params, float multiplier,
                                                       float base, int32_t allowed_length,
                                                       int32_t penalty_last_n);
/* Sequence breakers: repeats never reach back past the most recent one, and single-token
 * breakers are never penalised. The list starts as "\n", ":", "\"", "*"; add_* append to
 * it, clear empties it. A text breaker (at most 40 bytes) needs a tokenizer at create. */
MISTRALRS_API int32_t mistralrs_sampler_params_add_dry_breaker(mistralrs_sampler_params* params,
                                                               const char* text);
/* A breaker as token ids: the head first, then its tail (at most 8 tokens); one id is a
 * single-token breaker. */
MISTRALRS_API int32_t mistralrs_sampler_params_add_dry_breaker_tokens(mistralrs_sampler_params* params,
                                                                      const int32_t* tokens, size_t n_tokens);
MISTRALRS_API int32_t mistralrs_sampler_params_clear_dry_breakers(mistralrs_sampler_params* params);

/* params is copied. tokenizer: NULL unless DRY is on with text breakers (it also bounds
 * token ids when given; borrowed only during the call). context_length resolves windows
 * of -1 (0 = unknown: then a -1 window on an enabled stage is an error). */
MISTRALRS_API int32_t mistralrs_sampler_create(const mistralrs_sampler_params* params,
                                               const mistralrs_tokenizer* tokenizer, int32_t context_length,
                                               mistralrs_sampler** out);
MISTRALRS_API void mistralrs_sampler_free(mistralrs_sampler* sampler);
/* Forgets the accepted tokens and restarts the random streams and mirostat's state. */
MISTRALRS_API int32_t mistralrs_sampler_reset(mistralrs_sampler* sampler);
/* Adds a token (a prompt token or a sampled one) to the history the penalties and DRY read. */
MISTRALRS_API int32_t mistralrs_sampler_accept(mistralrs_sampler* sampler, int32_t token);
/* Applies the logit-changing stages in place: bias, penalties, DRY, temperature, and
 * truncations as -INFINITY. Not mirostat and not the draw; XTC, if on, uses its draw.
 * logits: n_vocab floats, NaN and +INFINITY rejected. */
MISTRALRS_API int32_t mistralrs_sampler_apply(mistralrs_sampler* sampler, float* logits, size_t n_vocab);
/* The whole chain and the draw; *token receives the chosen id. Does not accept it. */
MISTRALRS_API int32_t mistralrs_sampler_sample(mistralrs_sampler* sampler, const float* logits, size_t n_vocab,
                                               int32_t* token);

/* ---- generation with a sampler chain ----------------------------------------------- */
/* Copies params (every stage, order, seed, DRY breakers) into the generation options,
 * replacing the temperature / top-k / top-p / seed set above. Text DRY breakers are
 * resolved against the model's tokenizer when generation starts. */
MISTRALRS_API int32_t mistralrs_generate_options_set_sampler(mistralrs_generate_options* options,
                                                             const mistralrs_sampler_params* params);

#ifdef __cplusplus
}
#endif

#endif /* MISTRALRS_H */
