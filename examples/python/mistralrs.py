"""ctypes binding of libmistralrs (include/mistralrs.h), with thin Pythonic wrappers.

Usage:
    import mistralrs
    with mistralrs.Runtime(threads=2) as rt, mistralrs.Model(rt, "model.gguf") as m, \
            mistralrs.Session(m) as s:
        text, reason = s.generate(m.tokenize("Hello"), max_tokens=32)

The library is found from load(path), else $MISTRALRS_LIBRARY, else ctypes.util.find_library.
"""
import ctypes
import ctypes.util
import itertools
import json
import os
import threading
import weakref

from ctypes import (CFUNCTYPE, POINTER, c_char, c_char_p, c_double, c_float, c_int32, c_int64,
                    c_size_t, c_uint32, c_uint64, c_void_p)

# ---- macros --------------------------------------------------------------------------
MISTRALRS_API_VERSION_MAJOR = 0
MISTRALRS_API_VERSION_MINOR = 1
MISTRALRS_API_VERSION_PATCH = 0

MISTRALRS_OK = 0
MISTRALRS_ERR_INVALID_ARGUMENT = 1
MISTRALRS_ERR_OUT_OF_MEMORY = 2
MISTRALRS_ERR_IO = 3
MISTRALRS_ERR_UNSUPPORTED = 4
MISTRALRS_ERR_BUFFER_TOO_SMALL = 5
MISTRALRS_ERR_CANCELLED = 6
MISTRALRS_ERR_CUDA = 7
MISTRALRS_ERR_INTERNAL = 8

MISTRALRS_LOG_TRACE = 0
MISTRALRS_LOG_DEBUG = 1
MISTRALRS_LOG_INFO = 2
MISTRALRS_LOG_WARN = 3
MISTRALRS_LOG_ERROR = 4

MISTRALRS_CACHE_KV = 0
MISTRALRS_CACHE_NONE = 1
MISTRALRS_CACHE_PREFIX = 2

MISTRALRS_TOKENIZE_ADD_SPECIAL = 1
MISTRALRS_TOKENIZE_PARSE_SPECIAL = 2
MISTRALRS_DETOKENIZE_RENDER_SPECIAL = 1

MISTRALRS_FINISH_EOS = 0
MISTRALRS_FINISH_MAX_TOKENS = 1
MISTRALRS_FINISH_STOP_STRING = 2
MISTRALRS_FINISH_CONTEXT_FULL = 3
MISTRALRS_FINISH_CANCELLED = 4
MISTRALRS_FINISH_CALLBACK = 5

MISTRALRS_SAMPLER_STAGE_LOGIT_BIAS = 0
MISTRALRS_SAMPLER_STAGE_PENALTIES = 1
MISTRALRS_SAMPLER_STAGE_DRY = 2
MISTRALRS_SAMPLER_STAGE_TOP_N_SIGMA = 3
MISTRALRS_SAMPLER_STAGE_TOP_K = 4
MISTRALRS_SAMPLER_STAGE_TYPICAL = 5
MISTRALRS_SAMPLER_STAGE_TOP_P = 6
MISTRALRS_SAMPLER_STAGE_MIN_P = 7
MISTRALRS_SAMPLER_STAGE_XTC = 8
MISTRALRS_SAMPLER_STAGE_TEMPERATURE = 9

MISTRALRS_SEEK_SET = 0
MISTRALRS_SEEK_CUR = 1
MISTRALRS_SEEK_END = 2

MISTRALRS_EVENT_NONE = 0
MISTRALRS_EVENT_TOKEN = 1
MISTRALRS_EVENT_FINISH = 2
MISTRALRS_EVENT_ERROR = 3

FINISH_REASONS = {
    MISTRALRS_FINISH_EOS: "eos",
    MISTRALRS_FINISH_MAX_TOKENS: "max_tokens",
    MISTRALRS_FINISH_STOP_STRING: "stop_string",
    MISTRALRS_FINISH_CONTEXT_FULL: "context_full",
    MISTRALRS_FINISH_CANCELLED: "cancelled",
    MISTRALRS_FINISH_CALLBACK: "callback",
}

# ---- callback types ------------------------------------------------------------------
# void (*)(int32_t level, const char* message, void* user_data)
mistralrs_log_callback = CFUNCTYPE(None, c_int32, c_char_p, c_void_p)
# int32_t (*)(int32_t token, const char* text, size_t text_len, void* user_data)
# text is not NUL-terminated: take it as a raw pointer and read text_len bytes.
mistralrs_token_callback = CFUNCTYPE(c_int32, c_int32, POINTER(c_char), c_size_t, c_void_p)

# int64_t (*)(void* buffer, size_t size, void* user_data)
mistralrs_read_callback = CFUNCTYPE(c_int64, c_void_p, c_size_t, c_void_p)
# int64_t (*)(int64_t offset, int32_t whence, void* user_data)
mistralrs_seek_callback = CFUNCTYPE(c_int64, c_int64, c_int32, c_void_p)


class mistralrs_request_event(ctypes.Structure):
    """The event struct; size must be set to ctypes.sizeof(mistralrs_request_event)."""
    _fields_ = [("size", c_uint32), ("type", c_int32), ("token", c_int32), ("finish_reason", c_int32),
                ("status", c_int32), ("text_len", c_uint32), ("text", POINTER(c_char))]


# Opaque handles are plain void pointers.
_H = c_void_p
_PH = POINTER(c_void_p)
_PI32 = POINTER(c_int32)
_PI64 = POINTER(c_int64)
_PSZ = POINTER(c_size_t)
_PF = POINTER(c_float)
_PD = POINTER(c_double)

# name: (restype, [argtypes])
_SIGNATURES = {
    "mistralrs_version": (c_char_p, []),
    "mistralrs_version_numbers": (None, [_PI32, _PI32, _PI32]),
    "mistralrs_status_string": (c_char_p, [c_int32]),
    "mistralrs_last_error": (c_char_p, []),
    "mistralrs_string_free": (None, [c_void_p]),
    # runtime
    "mistralrs_runtime_options_create": (c_int32, [_PH]),
    "mistralrs_runtime_options_free": (None, [_H]),
    "mistralrs_runtime_options_set_threads": (c_int32, [_H, c_int32]),
    "mistralrs_runtime_options_set_log_callback": (c_int32, [_H, mistralrs_log_callback, c_void_p, c_int32]),
    "mistralrs_runtime_create": (c_int32, [_H, _PH]),
    "mistralrs_runtime_free": (None, [_H]),
    "mistralrs_runtime_threads": (c_int32, [_H]),
    "mistralrs_runtime_cuda_devices": (c_int32, [_H]),
    # models
    "mistralrs_model_options_create": (c_int32, [_PH]),
    "mistralrs_model_options_free": (None, [_H]),
    "mistralrs_model_load": (c_int32, [_H, c_char_p, _H, _PH]),
    "mistralrs_model_free": (None, [_H]),
    "mistralrs_model_vocab_size": (c_int32, [_H]),
    "mistralrs_model_context_length": (c_int32, [_H]),
    "mistralrs_model_tokenizer": (c_void_p, [_H]),
    "mistralrs_model_options_set_kv_budget": (c_int32, [_H, c_int64]),
    "mistralrs_model_options_set_device": (c_int32, [_H, c_char_p]),
    "mistralrs_model_options_set_prefix_cache": (c_int32, [_H, c_int32]),
    "mistralrs_model_cache_strategy": (c_int32, [_H]),
    "mistralrs_prefix_cache_stats": (c_int32, [_H, _PI64, _PI64, _PI64, _PI64, _PI64]),
    "mistralrs_model_kv_usage": (c_int32, [_H, _PI64, _PI64]),
    # tokenizers
    "mistralrs_tokenize": (c_int32, [_H, c_char_p, c_size_t, c_uint32, _PI32, c_size_t, _PSZ]),
    "mistralrs_detokenize": (c_int32, [_H, _PI32, c_size_t, c_uint32, c_char_p, c_size_t, _PSZ]),
    "mistralrs_tokenizer_load": (c_int32, [c_char_p, _PH]),
    "mistralrs_tokenizer_load_from_memory": (c_int32, [c_void_p, c_size_t, c_char_p, _PH]),
    "mistralrs_tokenizer_free": (None, [_H]),
    # chat templates
    "mistralrs_chat_template_render": (c_int32, [c_char_p, c_char_p, c_int64, _PH]),
    "mistralrs_tokenizer_apply_chat_template": (c_int32, [_H, c_char_p, c_int32, _PH]),
    # sessions
    "mistralrs_session_options_create": (c_int32, [_PH]),
    "mistralrs_session_options_free": (None, [_H]),
    "mistralrs_session_options_set_context_length": (c_int32, [_H, c_int32]),
    "mistralrs_session_options_set_prefill_chunk": (c_int32, [_H, c_int32]),
    "mistralrs_session_options_set_exact_quantized": (c_int32, [_H, c_int32]),
    "mistralrs_session_create": (c_int32, [_H, _H, _PH]),
    "mistralrs_session_free": (None, [_H]),
    "mistralrs_session_cancel": (c_int32, [_H]),
    "mistralrs_session_reset": (c_int32, [_H]),
    "mistralrs_session_n_past": (c_int32, [_H]),
    "mistralrs_session_eval": (c_int32, [_H, _PI32, c_size_t, _PF]),
    # generation
    "mistralrs_generate_options_create": (c_int32, [_PH]),
    "mistralrs_generate_options_free": (None, [_H]),
    "mistralrs_generate_options_set_max_tokens": (c_int32, [_H, c_int32]),
    "mistralrs_generate_options_set_temperature": (c_int32, [_H, c_float]),
    "mistralrs_generate_options_set_top_k": (c_int32, [_H, c_int32]),
    "mistralrs_generate_options_set_top_p": (c_int32, [_H, c_float]),
    "mistralrs_generate_options_set_seed": (c_int32, [_H, c_uint64]),
    "mistralrs_generate_options_add_stop_string": (c_int32, [_H, c_char_p]),
    "mistralrs_generate_options_set_ignore_eos": (c_int32, [_H, c_int32]),
    "mistralrs_session_generate": (c_int32, [_H, _PI32, c_size_t, _H, mistralrs_token_callback, c_void_p, _PI32]),
    "mistralrs_session_generation_stats": (c_int32, [_H, _PI32, _PD, _PI32, _PD]),
    # sampler
    "mistralrs_sampler_params_create": (c_void_p, []),
    "mistralrs_sampler_params_free": (None, [_H]),
    "mistralrs_sampler_params_set_order": (c_int32, [_H, _PI32, c_size_t]),
    "mistralrs_sampler_params_set_seed": (c_int32, [_H, c_uint64]),
    "mistralrs_sampler_params_set_greedy": (c_int32, [_H, c_int32]),
    "mistralrs_sampler_params_set_temperature": (c_int32, [_H, c_float]),
    "mistralrs_sampler_params_set_dynamic_temperature": (c_int32, [_H, c_float, c_float]),
    "mistralrs_sampler_params_set_top_k": (c_int32, [_H, c_int32]),
    "mistralrs_sampler_params_set_top_p": (c_int32, [_H, c_float]),
    "mistralrs_sampler_params_set_min_p": (c_int32, [_H, c_float]),
    "mistralrs_sampler_params_set_typical_p": (c_int32, [_H, c_float]),
    "mistralrs_sampler_params_set_top_n_sigma": (c_int32, [_H, c_float]),
    "mistralrs_sampler_params_set_xtc": (c_int32, [_H, c_float, c_float]),
    "mistralrs_sampler_params_set_min_keep": (c_int32, [_H, c_int32]),
    "mistralrs_sampler_params_set_mirostat": (c_int32, [_H, c_int32, c_float, c_float]),
    "mistralrs_sampler_params_set_penalties": (c_int32, [_H, c_int32, c_float, c_float, c_float]),
    "mistralrs_sampler_params_add_logit_bias": (c_int32, [_H, c_int32, c_float]),
    "mistralrs_sampler_params_clear_logit_bias": (c_int32, [_H]),
    "mistralrs_sampler_params_set_dry": (c_int32, [_H, c_float, c_float, c_int32, c_int32]),
    "mistralrs_sampler_params_add_dry_breaker": (c_int32, [_H, c_char_p]),
    "mistralrs_sampler_params_add_dry_breaker_tokens": (c_int32, [_H, _PI32, c_size_t]),
    "mistralrs_sampler_params_clear_dry_breakers": (c_int32, [_H]),
    "mistralrs_sampler_create": (c_int32, [_H, _H, c_int32, _PH]),
    "mistralrs_sampler_free": (None, [_H]),
    "mistralrs_sampler_reset": (c_int32, [_H]),
    "mistralrs_sampler_accept": (c_int32, [_H, c_int32]),
    "mistralrs_sampler_apply": (c_int32, [_H, _PF, c_size_t]),
    "mistralrs_sampler_sample": (c_int32, [_H, _PF, c_size_t, _PI32]),
    "mistralrs_generate_options_set_sampler": (c_int32, [_H, _H]),
    # loading from memory and through reader callbacks
    "mistralrs_model_load_from_memory": (c_int32, [_H, c_void_p, c_size_t, _H, _PH]),
    "mistralrs_model_load_from_reader": (c_int32, [_H, mistralrs_read_callback, mistralrs_seek_callback,
                                                   c_void_p, _H, _PH]),
    # requests
    "mistralrs_request_options_create": (c_int32, [_PH]),
    "mistralrs_request_options_free": (None, [_H]),
    "mistralrs_request_options_set_prompt_tokens": (c_int32, [_H, _PI32, c_size_t]),
    "mistralrs_request_options_set_prompt_text": (c_int32, [_H, c_char_p, c_size_t, c_uint32]),
    "mistralrs_request_options_set_messages_json": (c_int32, [_H, c_char_p, c_int32]),
    "mistralrs_request_options_set_generate_options": (c_int32, [_H, _H]),
    "mistralrs_request_options_set_callback": (c_int32, [_H, mistralrs_token_callback, c_void_p]),
    "mistralrs_request_start": (c_int32, [_H, _H, _PH]),
    "mistralrs_request_poll": (c_int32, [_H, POINTER(mistralrs_request_event)]),
    "mistralrs_request_wait": (c_int32, [_H, c_int32, POINTER(mistralrs_request_event)]),
    "mistralrs_request_cancel": (c_int32, [_H]),
    "mistralrs_request_free": (None, [_H]),
}


class MistralrsError(Exception):
    """A failed call: status is a MISTRALRS_ERR_* code, message the library's text."""

    def __init__(self, status, message):
        super().__init__(status, message)
        self.status = status
        self.message = message

    def __str__(self):
        return "mistralrs error %d: %s" % (self.status, self.message)


class Library:
    """The loaded shared library with every function's prototype set (as attributes)."""

    def __init__(self, path):
        self.path = path
        self.dll = ctypes.CDLL(path)
        for name, (restype, argtypes) in _SIGNATURES.items():
            fn = getattr(self.dll, name)
            fn.restype = restype
            fn.argtypes = argtypes
            setattr(self, name, fn)

    def last_error(self):
        msg = self.mistralrs_last_error()
        return msg.decode("utf-8", "replace") if msg else ""

    def status_string(self, status):
        s = self.mistralrs_status_string(status)
        return s.decode("utf-8", "replace") if s else ""

    def check(self, status):
        """Raises MistralrsError for a non-zero status (negative counts map to their code)."""
        if status != MISTRALRS_OK:
            code = -status if status < 0 else status
            message = self.last_error() or self.status_string(code)
            raise MistralrsError(code, message)
        return status

    def version(self):
        return self.mistralrs_version().decode("ascii")

    def version_numbers(self):
        a, b, c = c_int32(), c_int32(), c_int32()
        self.mistralrs_version_numbers(ctypes.byref(a), ctypes.byref(b), ctypes.byref(c))
        return a.value, b.value, c.value


_default_lock = threading.Lock()
_default = None


def load(path=None):
    """Loads libmistralrs: path, else $MISTRALRS_LIBRARY, else ctypes.util.find_library."""
    if path is None:
        path = os.environ.get("MISTRALRS_LIBRARY") or ctypes.util.find_library("mistralrs")
    if not path:
        raise OSError("libmistralrs not found: pass a path or set MISTRALRS_LIBRARY")
    return Library(path)


def default_library():
    """The library load() finds, loaded once and shared."""
    global _default
    with _default_lock:
        if _default is None:
            _default = load()
        return _default


# ---- log routing through user_data --------------------------------------------------
_log_targets = {}
_log_keys = itertools.count(1)


def _register_log(fn):
    key = next(_log_keys)
    _log_targets[key] = fn
    return key


def _log_dispatch(level, message, user_data):
    fn = _log_targets.get(user_data or 0)
    if fn is None:
        return
    try:
        fn(level, message.decode("utf-8", "replace") if message else "")
    except Exception:
        pass  # never let an exception unwind through C


# Module-level, so it lives as long as any runtime can call it.
_log_trampoline = mistralrs_log_callback(_log_dispatch)


def _closed(what):
    return MistralrsError(MISTRALRS_ERR_INVALID_ARGUMENT, "%s is closed" % what)


class _Handle:
    _free_name = None

    def __init__(self, lib):
        self._lib = lib if lib is not None else default_library()
        self._h = None
        self._children = weakref.WeakSet()  # objects that borrow this one: closed first

    @property
    def handle(self):
        if not self._h:
            raise _closed(type(self).__name__)
        return self._h

    def close(self):
        for child in list(self._children):
            child.close()
        h, self._h = self._h, None
        if h:
            getattr(self._lib, self._free_name)(h)

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class Runtime(_Handle):
    """A runtime: thread pool and log sink. log: callable(level, message) or None."""

    _free_name = "mistralrs_runtime_free"

    def __init__(self, threads=0, log=None, log_level=MISTRALRS_LOG_INFO, lib=None):
        super().__init__(lib)
        lib = self._lib
        self._log = log
        self._log_key = None
        opts = c_void_p()
        lib.check(lib.mistralrs_runtime_options_create(ctypes.byref(opts)))
        try:
            lib.check(lib.mistralrs_runtime_options_set_threads(opts, threads))
            if log is not None:
                # One C trampoline for all runtimes; user_data carries a key that routes
                # each message to this runtime's callable.
                self._log_key = _register_log(log)
                lib.check(lib.mistralrs_runtime_options_set_log_callback(
                    opts, _log_trampoline, c_void_p(self._log_key), log_level))
            out = c_void_p()
            lib.check(lib.mistralrs_runtime_create(opts, ctypes.byref(out)))
            self._h = out.value
        finally:
            lib.mistralrs_runtime_options_free(opts)

    def close(self):
        super().close()
        key, self._log_key = self._log_key, None
        if key is not None:
            _log_targets.pop(key, None)

    @property
    def threads(self):
        n = self._lib.mistralrs_runtime_threads(self.handle)
        if n < 0:
            self._lib.check(n)
        return n

    @property
    def cuda_devices(self):
        return self._lib.mistralrs_runtime_cuda_devices(self.handle)


class Model(_Handle):
    """A loaded model (Hugging Face directory or .gguf file)."""

    _free_name = "mistralrs_model_free"

    def __init__(self, runtime, path=None, kv_budget=0, prefix_cache=False, data=None, stream=None, device="cpu"):
        """Loads from path, from data (GGUF bytes, copied) or from stream (a binary file
        object: read(n), and seek/tell when it has them). device: "cpu", "cuda" or "cuda:N"."""
        super().__init__(runtime._lib)
        lib = self._lib
        self._runtime = runtime  # the model borrows the runtime
        runtime_handle = runtime.handle
        if sum(x is not None for x in (path, data, stream)) != 1:
            raise ValueError("give exactly one of path, data, stream")
        opts = c_void_p()
        lib.check(lib.mistralrs_model_options_create(ctypes.byref(opts)))
        try:
            lib.check(lib.mistralrs_model_options_set_kv_budget(opts, kv_budget))
            lib.check(lib.mistralrs_model_options_set_prefix_cache(opts, 1 if prefix_cache else 0))
            lib.check(lib.mistralrs_model_options_set_device(opts, device.encode()))
            out = c_void_p()
            if path is not None:
                st = lib.mistralrs_model_load(runtime_handle, os.fsencode(path), opts, ctypes.byref(out))
            elif data is not None:
                buf = (c_char * len(data)).from_buffer_copy(data) if data else None
                st = lib.mistralrs_model_load_from_memory(runtime_handle, buf, len(data), opts, ctypes.byref(out))
            else:
                st = _load_from_stream(lib, runtime_handle, stream, opts, out)
            lib.check(st)
            self._h = out.value
            runtime._children.add(self)
        finally:
            lib.mistralrs_model_options_free(opts)

    def _count(self, n):
        if n < 0:
            self._lib.check(n)
        return n

    @property
    def vocab_size(self):
        return self._count(self._lib.mistralrs_model_vocab_size(self.handle))

    @property
    def context_length(self):
        return self._count(self._lib.mistralrs_model_context_length(self.handle))

    @property
    def cache_strategy(self):
        return self._count(self._lib.mistralrs_model_cache_strategy(self.handle))

    def kv_usage(self):
        used, budget = c_int64(), c_int64()
        self._lib.check(self._lib.mistralrs_model_kv_usage(self.handle, ctypes.byref(used), ctypes.byref(budget)))
        return used.value, budget.value

    def prefix_cache_stats(self):
        vals = [c_int64() for _ in range(5)]
        self._lib.check(self._lib.mistralrs_prefix_cache_stats(self.handle, *[ctypes.byref(v) for v in vals]))
        keys = ("lookups", "hit_blocks", "tokens_reused", "evictions", "cached_blocks")
        return dict(zip(keys, (v.value for v in vals)))

    def _tokenizer(self):
        tok = self._lib.mistralrs_model_tokenizer(self.handle)
        if not tok:
            raise MistralrsError(MISTRALRS_ERR_UNSUPPORTED, "the model has no tokenizer")
        return tok

    def tokenize(self, text, add_special=True, parse_special=False):
        return _tokenize(self._lib, self._tokenizer(), text, add_special, parse_special)

    def detokenize(self, ids, render_special=False):
        return _detokenize(self._lib, self._tokenizer(), ids, render_special)

    def apply_chat_template(self, messages, add_generation_prompt=True):
        """The model's chat template rendered for messages (a list of dicts)."""
        return _apply_chat_template(self._lib, self._tokenizer(), messages, add_generation_prompt)


def _tokenize(lib, tok, text, add_special, parse_special):
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    flags = (MISTRALRS_TOKENIZE_ADD_SPECIAL if add_special else 0) | \
            (MISTRALRS_TOKENIZE_PARSE_SPECIAL if parse_special else 0)
    cap = len(data) + 8
    while True:
        ids = (c_int32 * cap)()
        n = c_size_t()
        st = lib.mistralrs_tokenize(tok, data, len(data), flags, ids, cap, ctypes.byref(n))
        if st == MISTRALRS_ERR_BUFFER_TOO_SMALL and n.value > cap:
            cap = n.value
            continue
        lib.check(st)
        return list(ids[:n.value])


def _detokenize(lib, tok, ids, render_special):
    ids = list(ids)
    arr = (c_int32 * max(1, len(ids)))(*ids)
    flags = MISTRALRS_DETOKENIZE_RENDER_SPECIAL if render_special else 0
    cap = 16 * len(ids) + 16
    while True:
        buf = ctypes.create_string_buffer(cap)
        n = c_size_t()
        st = lib.mistralrs_detokenize(tok, arr, len(ids), flags, buf, cap, ctypes.byref(n))
        if st == MISTRALRS_ERR_BUFFER_TOO_SMALL and n.value > cap:
            cap = n.value
            continue
        lib.check(st)
        return buf.raw[:n.value].decode("utf-8", "replace")


def _take_string(lib, status, out):
    """Checks status, then copies and frees a string returned through char**."""
    lib.check(status)
    try:
        return ctypes.string_at(out.value).decode("utf-8")
    finally:
        lib.mistralrs_string_free(out)


def _apply_chat_template(lib, tok, messages, add_generation_prompt):
    data = (messages if isinstance(messages, str) else json.dumps(messages, ensure_ascii=False)).encode("utf-8")
    out = c_void_p()
    st = lib.mistralrs_tokenizer_apply_chat_template(tok, data, 1 if add_generation_prompt else 0, ctypes.byref(out))
    return _take_string(lib, st, out)


def render_chat_template(template, context, now=-1, lib=None):
    """Renders a Jinja chat template with context (a dict or JSON text); now: the Unix time
    strftime_now sees (-1: the clock)."""
    lib = lib if lib is not None else default_library()
    data = (context if isinstance(context, str) else json.dumps(context, ensure_ascii=False)).encode("utf-8")
    out = c_void_p()
    st = lib.mistralrs_chat_template_render(template.encode("utf-8"), data, now, ctypes.byref(out))
    return _take_string(lib, st, out)


class Tokenizer(_Handle):
    """A tokenizer loaded on its own: tokenizer.json, tokenizer.model, tekken.json, .gguf or
    a Hugging Face directory."""

    _free_name = "mistralrs_tokenizer_free"

    def __init__(self, path=None, lib=None, data=None, config=None):
        """From path, or from data (the bytes of one of those files; copied) with config (a
        tokenizer_config.json dict or text, optional)."""
        super().__init__(lib)
        if (path is None) == (data is None):
            raise ValueError("give exactly one of path, data")
        out = c_void_p()
        if path is not None:
            self._lib.check(self._lib.mistralrs_tokenizer_load(os.fsencode(path), ctypes.byref(out)))
        else:
            cfg = None if config is None else \
                (config if isinstance(config, str) else json.dumps(config, ensure_ascii=False)).encode("utf-8")
            buf = (c_char * len(data)).from_buffer_copy(data) if data else None
            self._lib.check(self._lib.mistralrs_tokenizer_load_from_memory(buf, len(data), cfg, ctypes.byref(out)))
        self._h = out.value

    def tokenize(self, text, add_special=True, parse_special=False):
        return _tokenize(self._lib, self.handle, text, add_special, parse_special)

    def detokenize(self, ids, render_special=False):
        return _detokenize(self._lib, self.handle, ids, render_special)

    def apply_chat_template(self, messages, add_generation_prompt=True):
        return _apply_chat_template(self._lib, self.handle, messages, add_generation_prompt)


class GenerateOptions(_Handle):
    """mistralrs_generate_options: max_tokens, temperature, top_k, top_p, seed, stop, ignore_eos."""

    _free_name = "mistralrs_generate_options_free"

    def __init__(self, lib=None, max_tokens=None, temperature=None, top_k=None, top_p=None,
                 seed=None, stop=(), ignore_eos=None):
        super().__init__(lib)
        out = c_void_p()
        self._lib.check(self._lib.mistralrs_generate_options_create(ctypes.byref(out)))
        self._h = out.value
        L = self._lib
        if max_tokens is not None:
            L.check(L.mistralrs_generate_options_set_max_tokens(self.handle, max_tokens))
        if temperature is not None:
            L.check(L.mistralrs_generate_options_set_temperature(self.handle, temperature))
        if top_k is not None:
            L.check(L.mistralrs_generate_options_set_top_k(self.handle, top_k))
        if top_p is not None:
            L.check(L.mistralrs_generate_options_set_top_p(self.handle, top_p))
        if seed is not None:
            L.check(L.mistralrs_generate_options_set_seed(self.handle, seed))
        for s in stop or ():
            L.check(L.mistralrs_generate_options_add_stop_string(self.handle, s.encode("utf-8")))
        if ignore_eos is not None:
            L.check(L.mistralrs_generate_options_set_ignore_eos(self.handle, 1 if ignore_eos else 0))


class Session(_Handle):
    """One conversation on a model: its KV cache and the tokens evaluated so far."""

    _free_name = "mistralrs_session_free"

    def __init__(self, model, context_length=0, prefill_chunk=0, exact_quantized=False):
        super().__init__(model._lib)
        lib = self._lib
        self._model = model  # the session borrows the model
        opts = c_void_p()
        lib.check(lib.mistralrs_session_options_create(ctypes.byref(opts)))
        try:
            lib.check(lib.mistralrs_session_options_set_context_length(opts, context_length))
            lib.check(lib.mistralrs_session_options_set_prefill_chunk(opts, prefill_chunk))
            lib.check(lib.mistralrs_session_options_set_exact_quantized(opts, 1 if exact_quantized else 0))
            out = c_void_p()
            lib.check(lib.mistralrs_session_create(model.handle, opts, ctypes.byref(out)))
            self._h = out.value
            model._children.add(self)
        finally:
            lib.mistralrs_session_options_free(opts)

    @property
    def n_past(self):
        n = self._lib.mistralrs_session_n_past(self.handle)
        if n < 0:
            self._lib.check(n)
        return n

    def reset(self):
        self._lib.check(self._lib.mistralrs_session_reset(self.handle))

    def cancel(self):
        """Asks the running eval/generate to stop (any thread)."""
        self._lib.check(self._lib.mistralrs_session_cancel(self.handle))

    def eval(self, tokens, want_logits=False):
        """Evaluates tokens; returns the last position's logits (a list) if want_logits."""
        tokens = list(tokens)
        arr = (c_int32 * max(1, len(tokens)))(*tokens)
        logits = (c_float * self._model.vocab_size)() if want_logits else None
        # ctypes releases the GIL during the call, so other threads may cancel.
        self._lib.check(self._lib.mistralrs_session_eval(self.handle, arr, len(tokens), logits))
        return list(logits) if want_logits else None

    def generate(self, prompt_tokens, max_tokens=128, temperature=0.0, seed=0, stop=(),
                 on_text=None, top_k=None, top_p=None, ignore_eos=False, options=None):
        """Generates after prompt_tokens; returns (text, finish_reason).

        on_text(text) is called with each piece of text as it completes; returning True
        stops generation. options: a GenerateOptions to use instead of the keywords.
        """
        lib = self._lib
        pieces = []
        errors = []

        def _on_token(token, text, text_len, user_data):
            try:
                s = ctypes.string_at(text, text_len).decode("utf-8", "replace") if text_len else ""
                if s:
                    pieces.append(s)
                    if on_text is not None and on_text(s):
                        return 1
                return 0
            except BaseException as e:  # never let an exception unwind through C
                errors.append(e)
                return 1

        cb = mistralrs_token_callback(_on_token)  # alive for the whole call
        own = options is None
        if own:
            options = GenerateOptions(lib, max_tokens=max_tokens, temperature=temperature, top_k=top_k,
                                      top_p=top_p, seed=seed, stop=stop, ignore_eos=ignore_eos)
        try:
            prompt_tokens = list(prompt_tokens)
            arr = (c_int32 * max(1, len(prompt_tokens)))(*prompt_tokens)
            reason = c_int32(-1)
            st = lib.mistralrs_session_generate(self.handle, arr, len(prompt_tokens), options.handle,
                                                cb, None, ctypes.byref(reason))
            if errors:
                raise errors[0]
            lib.check(st)
            return "".join(pieces), reason.value
        finally:
            if own:
                options.close()

    def generation_stats(self):
        pt, ps, gt, gs = c_int32(), c_double(), c_int32(), c_double()
        self._lib.check(self._lib.mistralrs_session_generation_stats(
            self.handle, ctypes.byref(pt), ctypes.byref(ps), ctypes.byref(gt), ctypes.byref(gs)))
        return {"prompt_tokens": pt.value, "prompt_seconds": ps.value,
                "generated_tokens": gt.value, "generate_seconds": gs.value}


def _load_from_stream(lib, runtime_handle, stream, opts, out):
    """mistralrs_model_load_from_reader over a Python file object (exceptions are read errors)."""
    def _read(buffer, size, user_data):
        try:
            chunk = stream.read(size)
            ctypes.memmove(buffer, chunk, len(chunk))
            return len(chunk)
        except BaseException:
            return -1

    def _seek(offset, whence, user_data):
        try:
            return stream.seek(offset, whence)  # MISTRALRS_SEEK_* equal io's SEEK_*
        except BaseException:
            return -1

    read_cb = mistralrs_read_callback(_read)
    seek_cb = mistralrs_seek_callback(_seek) if hasattr(stream, "seek") else mistralrs_seek_callback()
    return lib.mistralrs_model_load_from_reader(runtime_handle, read_cb, seek_cb, None, opts, ctypes.byref(out))


class Event:
    """One request event: kind ("token", "finish" or "error"), token, text, finish_reason, status."""

    KINDS = {MISTRALRS_EVENT_TOKEN: "token", MISTRALRS_EVENT_FINISH: "finish", MISTRALRS_EVENT_ERROR: "error"}

    def __init__(self, ev):
        self.kind = self.KINDS.get(ev.type, "none")
        self.token = ev.token
        self.finish_reason = ev.finish_reason
        self.status = ev.status
        self.text = ctypes.string_at(ev.text, ev.text_len).decode("utf-8") if ev.text_len else ""

    @property
    def last(self):
        return self.kind in ("finish", "error")

    def __repr__(self):
        return "Event(%s, token=%d, text=%r, finish_reason=%d, status=%d)" % (
            self.kind, self.token, self.text, self.finish_reason, self.status)


class Request(_Handle):
    """Generation in the background on a session, consumed by poll()/wait() or on_token.

    prompt: token ids, text (a str, tokenized with the model's tokenizer) or chat messages
    (a list of dicts, rendered with the model's chat template). options: a
    GenerateOptions, or keywords for one (max_tokens, temperature, ...). on_token(token,
    text) runs on the request's worker thread; returning True stops generation.
    """

    _free_name = "mistralrs_request_free"

    def __init__(self, session, prompt, options=None, on_token=None, add_special=True,
                 add_generation_prompt=True, **generate):
        super().__init__(session._lib)
        lib = self._lib
        self._cb = None
        self._callback_errors = []
        own = options is None
        if own:
            options = GenerateOptions(lib, **generate)
        ro = c_void_p()
        lib.check(lib.mistralrs_request_options_create(ctypes.byref(ro)))
        try:
            if isinstance(prompt, (list, tuple)) and prompt and isinstance(prompt[0], dict):
                data = json.dumps(list(prompt), ensure_ascii=False).encode("utf-8")
                lib.check(lib.mistralrs_request_options_set_messages_json(ro, data, 1 if add_generation_prompt else 0))
            elif isinstance(prompt, str):
                data = prompt.encode("utf-8")
                flags = MISTRALRS_TOKENIZE_ADD_SPECIAL if add_special else 0
                lib.check(lib.mistralrs_request_options_set_prompt_text(ro, data, len(data), flags))
            else:
                ids = list(prompt)
                arr = (c_int32 * max(1, len(ids)))(*ids)
                lib.check(lib.mistralrs_request_options_set_prompt_tokens(ro, arr, len(ids)))
            lib.check(lib.mistralrs_request_options_set_generate_options(ro, options.handle))
            if on_token is not None:
                self._cb = mistralrs_token_callback(self._make_callback(on_token))  # lives with the request
                lib.check(lib.mistralrs_request_options_set_callback(ro, self._cb, None))
            out = c_void_p()
            lib.check(lib.mistralrs_request_start(session.handle, ro, ctypes.byref(out)))
            self._h = out.value
            session._children.add(self)  # closing the session frees its requests first
        finally:
            lib.mistralrs_request_options_free(ro)
            if own:
                options.close()

    def _make_callback(self, on_token):
        errors = self._callback_errors

        def _on_token(token, text, text_len, user_data):
            try:
                s = ctypes.string_at(text, text_len).decode("utf-8") if text_len else ""
                return 1 if on_token(token, s) else 0
            except BaseException as e:  # never let an exception unwind through C
                errors.append(e)
                return 1
        return _on_token

    def _take(self, fn, *args):
        ev = mistralrs_request_event()
        ev.size = ctypes.sizeof(ev)
        n = fn(self.handle, *args, ctypes.byref(ev))
        if n < 0:
            self._lib.check(n)
        return Event(ev) if n == 1 else None

    def poll(self):
        """The next event, or None when none is queued now (never blocks)."""
        return self._take(self._lib.mistralrs_request_poll)

    def wait(self, timeout=None):
        """The next event, waiting up to timeout seconds (None: no limit); None on timeout."""
        ms = -1 if timeout is None else max(0, int(timeout * 1000))
        return self._take(self._lib.mistralrs_request_wait, ms)

    def cancel(self):
        """Asks the request to stop (any thread, also from on_token)."""
        self._lib.check(self._lib.mistralrs_request_cancel(self.handle))

    def result(self):
        """Waits for the end; returns (text, finish_reason) or raises the error event's."""
        pieces = []
        while True:
            ev = self.wait()
            if ev is None:
                raise MistralrsError(MISTRALRS_ERR_INVALID_ARGUMENT, "the request's last event was taken already")
            if ev.kind == "token":
                pieces.append(ev.text)
            elif ev.kind == "error":
                raise MistralrsError(ev.status, ev.text)
            else:
                if self._callback_errors:
                    raise self._callback_errors[0]
                return "".join(pieces), ev.finish_reason
