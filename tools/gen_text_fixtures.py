#!/usr/bin/env python3
"""Generate the tiny text-model fixtures under tests/fixtures/text/.

Usage (from the repository root):

    python -m venv /tmp/fx && /tmp/fx/bin/pip install -r tools/requirements.txt
    /tmp/fx/bin/python tools/gen_text_fixtures.py [--out tests/fixtures/text] [--skip-checks]

What it writes, per model (llama_gqa, mistral_swa, llama_tied_llama3):

  <model>/hf_f32/      config.json, generation_config.json, model.safetensors (float32),
                       expected.json, logits.f32
  <model>/hf_bf16/     the same with the weights rounded to bfloat16 (config dtype bfloat16)
  <model>/gguf_<v>.gguf              v in f32, f16, q8_0, q4_0
  <model>/gguf_<v>.expected.json     expectations for that file
  <model>/gguf_<v>.logits.f32

expected.json = {"prompt": [40 ids], "greedy": [32 ids], "greedy_top2_margin": [32 floats],
                 "logits_file": <file name, relative to the JSON's directory>,
                 "logits_shape": [40, vocab]}
The logits file is raw little-endian float32, row-major [position][vocab], for the prompt
(one forward pass over all 40 prompt tokens).  "greedy" are the 32 tokens produced by argmax
decoding after the prompt (EOS is not special: always exactly 32 tokens), and
greedy_top2_margin[k] is logit(top1) - logit(top2) at decoding step k (the tie-breaking slack
a test has at that step).

All expectations come from transformers in float32 on the CPU (attn_implementation="eager",
model.eval(), torch.no_grad(), one thread, deterministic algorithms):
  * hf_f32  : the saved float32 checkpoint, re-loaded with from_pretrained.
  * hf_bf16 : the saved bfloat16 checkpoint, re-loaded with dtype=float32 (weights upcast,
              activations in f32).
  * gguf_*  : the GGUF file is read back with gguf.GGUFReader, every tensor is dequantized with
              gguf.quants.dequantize, the q/k permutation is undone, and the result is loaded
              into the HF model in float32.  So each reference is "the exact model the file
              describes"; an engine only adds its own activation rounding.

GGUF layout (as real llama GGUFs are made):
  * general.architecture = "llama" (also for the Mistral model: that is what Mistral GGUFs use).
  * llama.* hyper-parameters; llama.attention.sliding_window for mistral_swa (NOT read by
    llama.cpp's "llama" architecture; written so the file is self-describing).
  * Tensor names token_embd / blk.N.{attn_norm,attn_q,attn_k,attn_v,attn_output,ffn_norm,
    ffn_gate,ffn_up,ffn_down} / output_norm / output (absent when embeddings are tied).
  * Q/K PERMUTATION.  HF llama applies RoPE in the "rotate-half" convention: within a head of
    size D, dimension i is rotated together with dimension i + D/2.  GGML's default ("normal")
    RoPE rotates adjacent pairs (2i, 2i+1).  Converters therefore reorder the output rows of
    the q and k projections: for W of shape [n_head*D, hidden] (n_kv_head for k),
        W.reshape(n_head, 2, D/2, hidden).swapaxes(1, 2).reshape(n_head*D, hidden)
    so that new row 2i+j of a head is old row j*D/2 + i.  Interleaved RoPE on the permuted
    q/k then equals rotate-half RoPE on the original ones (q.k dot products are unchanged
    because q and k are permuted the same way).  The script checks this with an independent
    numpy forward pass (interleaved RoPE on the file's tensors) against transformers.
  * llama3 RoPE scaling (llama_tied_llama3): no llama.rope.scaling.* keys are written (a
    reader that defaulted to linear scaling would then scale twice); instead, as real Llama-3.1
    GGUFs do, an F32 tensor rope_freqs.weight [D/2] holds per-frequency factors f_i with
    inv_freq_scaled_i = inv_freq_i / f_i.
  * 1-D tensors (norm weights, rope_freqs) stay F32; every 2-D matrix, token_embd included,
    gets the variant's type (F32 / F16 / Q8_0 / Q4_0; like llama-quantize --pure: no
    per-tensor type mixing).
  * Minimal self-describing tokenizer: tokenizer.ggml.model "llama", tokens "<tok_i>",
    scores 0, token types (id 0 UNKNOWN, 1 and 2 CONTROL, others NORMAL), unk 0, bos 1, eos 2,
    add_bos_token true.

Semantics worth knowing when matching these references:
  * sliding window (mistral_swa, W = 16): query position i sees key position j iff
    0 <= i - j < W (W keys including itself), as transformers' sliding_window_overlay does.
  * llama3 RoPE: wavelen_i = 2*pi/inv_freq_i, L = original_max_position_embeddings (64):
    wavelen < L/high_freq_factor (16) -> unchanged; wavelen > L/low_freq_factor (64) ->
    inv_freq / factor; in between -> smooth interpolation.  For this config the 16 frequencies
    fall 2 / 3 / 11 into the high / medium / low bands.
  * HF config.json files are what transformers 5.x writes: RoPE settings live in
    "rope_parameters" (incl. "rope_theta"), the dtype key is "dtype" (older files use top-level
    "rope_theta"/"rope_scaling" and "torch_dtype").

Checks run by default (the script fails if one does not hold): the re-loaded HF f32 weights and
the f32 GGUF's weights equal the generated ones bit for bit and give identical logits; every
GGUF is read back with GGUFReader (keys, tensor names/order/types/shapes, quantization error
bounds); a numpy float64 forward pass built only from each GGUF file (interleaved RoPE on the
permuted q/k, rope_freqs, sliding window) matches transformers to < 1e-4; the sliding window
really changes transformers' logits (exactly at positions >= W only); the llama3 factors match
transformers' inv_freq and populate all three bands; model.generate() (KV-cache path) gives the
same greedy tokens as the no-cache loop (--skip-checks skips only this one); every variant's smallest greedy top-2 margin is > MIN_MARGIN.

The script is deterministic: weights come from numpy's PCG64 generator with fixed seeds
(platform independent), the GGUF writer has fixed options, and torch runs single-threaded
with deterministic algorithms.  Rerunning it reproduces byte-identical files on the same
machine/software (the logits could differ in the last ulp on a different CPU/BLAS).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
from pathlib import Path

import numpy as np
import torch

import gguf
import transformers
from transformers import LlamaConfig, LlamaForCausalLM, MistralConfig, MistralForCausalLM

PROMPT_LEN = 40
N_GEN = 32
PROMPT_SEED = 20240601
BOS_ID = 1
EOS_ID = 2
MIN_MARGIN = 1e-2  # guard: every variant's greedy steps must be decided by at least this much

GGUF_VARIANTS = {
    # name: (tensor type for 2-D matrices, general.file_type)
    "f32": (gguf.GGMLQuantizationType.F32, gguf.LlamaFileType.ALL_F32),
    "f16": (gguf.GGMLQuantizationType.F16, gguf.LlamaFileType.MOSTLY_F16),
    "q8_0": (gguf.GGMLQuantizationType.Q8_0, gguf.LlamaFileType.MOSTLY_Q8_0),
    "q4_0": (gguf.GGMLQuantizationType.Q4_0, gguf.LlamaFileType.MOSTLY_Q4_0),
}

# Common sizes of the three models.
BASE = dict(
    vocab_size=320,
    hidden_size=64,
    intermediate_size=128,
    num_hidden_layers=2,
    max_position_embeddings=256,
    rms_norm_eps=1e-5,
    bos_token_id=BOS_ID,
    eos_token_id=EOS_ID,
)

MODELS = [
    dict(
        name="llama_gqa",
        arch="llama",
        seed=1003,
        std_embed=0.5,
        config=dict(BASE, num_attention_heads=4, num_key_value_heads=2, head_dim=16,
                    tie_word_embeddings=False,
                    rope_parameters={"rope_type": "default", "rope_theta": 10000.0}),
    ),
    dict(
        name="mistral_swa",
        arch="mistral",
        seed=2005,
        std_embed=0.5,
        config=dict(BASE, num_attention_heads=4, num_key_value_heads=2, head_dim=16,
                    tie_word_embeddings=False, sliding_window=16,
                    rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}),
    ),
    dict(
        name="llama_tied_llama3",
        arch="llama",
        seed=3015,
        std_embed=0.4,
        config=dict(BASE, num_attention_heads=2, num_key_value_heads=1, head_dim=32,
                    tie_word_embeddings=True,
                    rope_parameters={"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0,
                                     "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                     "original_max_position_embeddings": 64}),
    ),
]

# Standard deviations of the random weights.  Projections are much larger than the usual
# 0.02 init so that attention is far from uniform and the logits are well separated.  The
# embedding std is per model (std_embed above): with tied embeddings a large one makes greedy
# decoding repeat one token forever.  The seeds were picked by a small manual search so that
# greedy decoding varies and the smallest top-2 margin of every variant is >= ~0.015.
STD_PROJ = 0.15
STD_LM_HEAD = 0.3
NORM_LO, NORM_HI = 0.5, 1.5  # norm weights ~ U(0.5, 1.5): a bug that drops them shows


def log(msg: str) -> None:
    print(msg, flush=True)


def setup_torch() -> None:
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(0)  # nothing below should draw from torch's RNG, but be safe


# ----------------------------------------------------------------------------- models

def make_config(spec: dict, **overrides):
    cfg_cls = MistralConfig if spec["arch"] == "mistral" else LlamaConfig
    kw = dict(spec["config"])
    kw.update(overrides)
    cfg = cfg_cls(**kw)
    cfg._attn_implementation = "eager"
    return cfg


def model_class(spec: dict):
    return MistralForCausalLM if spec["arch"] == "mistral" else LlamaForCausalLM


def random_state_dict(spec: dict, model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Deterministic, platform-independent random weights (numpy PCG64, float64 -> float32)."""
    rng = np.random.Generator(np.random.PCG64(spec["seed"]))
    sd = {}
    for name, p in sorted(model.state_dict().items()):
        shape = tuple(p.shape)
        if name == "lm_head.weight" and spec["config"]["tie_word_embeddings"]:
            continue
        if name.endswith("norm.weight") or name.endswith("layernorm.weight"):
            arr = rng.uniform(NORM_LO, NORM_HI, size=shape)
        elif name == "model.embed_tokens.weight":
            arr = rng.standard_normal(size=shape) * spec["std_embed"]
        elif name == "lm_head.weight":
            arr = rng.standard_normal(size=shape) * STD_LM_HEAD
        elif len(shape) == 2:
            arr = rng.standard_normal(size=shape) * STD_PROJ
        else:
            raise RuntimeError(f"unexpected parameter {name} {shape}")
        sd[name] = torch.from_numpy(arr.astype(np.float32))
    if spec["config"]["tie_word_embeddings"]:
        sd["lm_head.weight"] = sd["model.embed_tokens.weight"]
    return sd


def build_model(spec: dict, sd: dict[str, torch.Tensor], **cfg_overrides) -> torch.nn.Module:
    cfg = make_config(spec, **cfg_overrides)
    model = model_class(spec)(cfg)
    model.to(torch.float32)
    sd = dict(sd)
    if cfg.tie_word_embeddings:
        sd["lm_head.weight"] = sd["model.embed_tokens.weight"]
    missing, unexpected = model.load_state_dict(sd, strict=False)
    assert not missing and not unexpected, (missing, unexpected)
    if cfg.tie_word_embeddings:
        assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()
    model.eval()
    return model


def load_saved(spec: dict, path: Path) -> torch.nn.Module:
    model = model_class(spec).from_pretrained(str(path), dtype=torch.float32, attn_implementation="eager")
    assert model.config._attn_implementation == "eager"
    for p in model.parameters():
        assert p.dtype == torch.float32
    model.eval()
    return model


# ----------------------------------------------------------------------------- expectations

def make_prompt(vocab: int) -> list[int]:
    rng = np.random.Generator(np.random.PCG64(PROMPT_SEED))
    rest = rng.integers(3, vocab, size=PROMPT_LEN - 1)
    return [BOS_ID] + [int(t) for t in rest]


@torch.no_grad()
def compute_expectations(model: torch.nn.Module, prompt: list[int]) -> dict:
    ids = torch.tensor([prompt], dtype=torch.long)
    logits = model(input_ids=ids, use_cache=False).logits[0].to(torch.float32).contiguous()
    greedy, margins = [], []
    seq = list(prompt)
    last = logits[-1]
    for step in range(N_GEN):
        if step > 0:
            # Full recomputation (no KV cache): the plainest definition of the reference.
            out = model(input_ids=torch.tensor([seq], dtype=torch.long), use_cache=False).logits
            last = out[0, -1].to(torch.float32)
        top = torch.topk(last, 2)
        tok = int(torch.argmax(last))
        assert tok == int(top.indices[0])
        greedy.append(tok)
        margins.append(float(top.values[0] - top.values[1]))
        seq.append(tok)
    return {"logits": logits.numpy().astype("<f4"), "greedy": greedy, "margins": margins}


@torch.no_grad()
def check_generate_matches(model: torch.nn.Module, prompt: list[int], exp: dict, what: str) -> None:
    """Cross-check the no-cache greedy loop against model.generate (KV-cache path)."""
    ids = torch.tensor([prompt], dtype=torch.long)
    out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=False,
                         max_new_tokens=N_GEN, min_new_tokens=N_GEN, eos_token_id=None,
                         pad_token_id=0, num_beams=1)
    gen = [int(t) for t in out[0, len(prompt):]]
    assert len(gen) == N_GEN, (what, len(gen))
    if gen != exp["greedy"]:
        k = next(i for i in range(N_GEN) if gen[i] != exp["greedy"][i])
        if exp["margins"][k] > 1e-4:
            raise AssertionError(f"{what}: generate() diverges from the no-cache loop at step {k} "
                                 f"(margin {exp['margins'][k]})")
        log(f"  note: {what}: generate() differs at step {k} where the margin is only {exp['margins'][k]}")


def write_expectations(json_path: Path, logits_name: str, prompt: list[int], exp: dict) -> None:
    logits = exp["logits"]
    (json_path.parent / logits_name).write_bytes(np.ascontiguousarray(logits, dtype="<f4").tobytes())
    doc = {
        "prompt": prompt,
        "greedy": exp["greedy"],
        "greedy_top2_margin": exp["margins"],
        "logits_file": logits_name,
        "logits_shape": list(logits.shape),
    }
    # One key per line, lists inline; floats in repr (shortest round-trip) form, nothing rounded.
    json_path.write_text("{\n" + ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in doc.items()) + "\n}\n")


# ----------------------------------------------------------------------------- HF export

def save_hf(model: torch.nn.Module, out_dir: Path) -> None:
    if out_dir.exists():
        shutil.rmtree(out_dir)
    model.save_pretrained(str(out_dir), safe_serialization=True)
    keep = {"config.json", "model.safetensors", "generation_config.json"}
    for f in out_dir.iterdir():
        if f.name not in keep:
            f.unlink()
    assert (out_dir / "config.json").exists() and (out_dir / "model.safetensors").exists()


# ----------------------------------------------------------------------------- GGUF export

def permute_qk(w: np.ndarray, n_head: int) -> np.ndarray:
    """HF rotate-half row order -> GGML interleaved-pair row order (see module docstring)."""
    rows, cols = w.shape
    d = rows // n_head
    return w.reshape(n_head, 2, d // 2, cols).swapaxes(1, 2).reshape(rows, cols)


def unpermute_qk(w: np.ndarray, n_head: int) -> np.ndarray:
    """Inverse of permute_qk."""
    rows, cols = w.shape
    d = rows // n_head
    return w.reshape(n_head, d // 2, 2, cols).swapaxes(1, 2).reshape(rows, cols)


def llama3_rope_factors(head_dim: int, theta: float, rp: dict) -> tuple[np.ndarray, np.ndarray]:
    """Per-frequency factors f_i (inv_freq_scaled = inv_freq / f_i) for llama3 scaling, and the
    band of each frequency (0 = high freq, unchanged; 1 = smoothed; 2 = low freq, / factor)."""
    factor = rp["factor"]
    lo, hi = rp["low_freq_factor"], rp["high_freq_factor"]
    old_ctx = rp["original_max_position_embeddings"]
    inv_freq = 1.0 / theta ** (np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)
    wavelen = 2.0 * math.pi / inv_freq
    factors = np.empty_like(inv_freq)
    bands = np.empty(inv_freq.shape, dtype=np.int64)
    for i, wl in enumerate(wavelen):
        if wl < old_ctx / hi:
            factors[i], bands[i] = 1.0, 0
        elif wl > old_ctx / lo:
            factors[i], bands[i] = factor, 2
        else:
            smooth = (old_ctx / wl - lo) / (hi - lo)
            # scaled = (1 - s) * f/factor + s * f  =>  f_i = 1 / ((1 - s) / factor + s)
            factors[i], bands[i] = 1.0 / ((1.0 - smooth) / factor + smooth), 1
    return factors, bands


def gguf_tensors_from_hf(spec: dict, sd: dict[str, torch.Tensor]) -> list[tuple[str, np.ndarray]]:
    """(GGUF name, float32 numpy array in HF [out, in] layout, q/k already permuted)."""
    c = spec["config"]
    nh, nkv = c["num_attention_heads"], c["num_key_value_heads"]
    t = lambda k: sd[k].detach().to(torch.float32).numpy().copy()
    out = [("token_embd.weight", t("model.embed_tokens.weight"))]
    rp = c["rope_parameters"]
    if rp.get("rope_type") == "llama3":
        f, _ = llama3_rope_factors(c["head_dim"], rp["rope_theta"], rp)
        out.append(("rope_freqs.weight", f.astype(np.float32)))
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        out += [
            (f"blk.{i}.attn_norm.weight", t(p + "input_layernorm.weight")),
            (f"blk.{i}.attn_q.weight", permute_qk(t(p + "self_attn.q_proj.weight"), nh)),
            (f"blk.{i}.attn_k.weight", permute_qk(t(p + "self_attn.k_proj.weight"), nkv)),
            (f"blk.{i}.attn_v.weight", t(p + "self_attn.v_proj.weight")),
            (f"blk.{i}.attn_output.weight", t(p + "self_attn.o_proj.weight")),
            (f"blk.{i}.ffn_norm.weight", t(p + "post_attention_layernorm.weight")),
            (f"blk.{i}.ffn_gate.weight", t(p + "mlp.gate_proj.weight")),
            (f"blk.{i}.ffn_up.weight", t(p + "mlp.up_proj.weight")),
            (f"blk.{i}.ffn_down.weight", t(p + "mlp.down_proj.weight")),
        ]
    out.append(("output_norm.weight", t("model.norm.weight")))
    if not c["tie_word_embeddings"]:
        out.append(("output.weight", t("lm_head.weight")))
    return out


def tensor_type_for(name: str, arr: np.ndarray, qtype: gguf.GGMLQuantizationType) -> gguf.GGMLQuantizationType:
    return qtype if arr.ndim == 2 else gguf.GGMLQuantizationType.F32


def write_gguf(spec: dict, sd: dict[str, torch.Tensor], variant: str, path: Path) -> None:
    qtype, ftype = GGUF_VARIANTS[variant]
    c = spec["config"]
    arch = "llama"
    w = gguf.GGUFWriter(str(path), arch, use_temp_file=False, endianess=gguf.GGUFEndian.LITTLE)
    w.add_name(f"{spec['name']}-{variant}")
    w.add_description("libmistralrs test fixture: tiny random weights, see tools/gen_text_fixtures.py")
    w.add_file_type(int(ftype))
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    w.add_vocab_size(c["vocab_size"])
    w.add_context_length(c["max_position_embeddings"])
    w.add_embedding_length(c["hidden_size"])
    w.add_block_count(c["num_hidden_layers"])
    w.add_feed_forward_length(c["intermediate_size"])
    w.add_head_count(c["num_attention_heads"])
    w.add_head_count_kv(c["num_key_value_heads"])
    w.add_layer_norm_rms_eps(c["rms_norm_eps"])
    w.add_rope_freq_base(c["rope_parameters"]["rope_theta"])
    w.add_rope_dimension_count(c["head_dim"])
    if c["head_dim"] != c["hidden_size"] // c["num_attention_heads"]:
        w.add_key_length(c["head_dim"])
        w.add_value_length(c["head_dim"])
    if c.get("sliding_window"):
        # Not read by llama.cpp's "llama" architecture; written so the file is self-describing.
        w.add_sliding_window(c["sliding_window"])
    # llama3 rope scaling: represented by the rope_freqs.weight tensor only (no scaling keys).

    vocab = c["vocab_size"]
    tokens = [f"<tok_{i}>" for i in range(vocab)]
    types = [int(gguf.TokenType.NORMAL)] * vocab
    types[0] = int(gguf.TokenType.UNKNOWN)
    types[BOS_ID] = int(gguf.TokenType.CONTROL)
    types[EOS_ID] = int(gguf.TokenType.CONTROL)
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores([0.0] * vocab)
    w.add_token_types(types)
    w.add_bos_token_id(BOS_ID)
    w.add_eos_token_id(EOS_ID)
    w.add_unk_token_id(0)
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)

    for name, arr in gguf_tensors_from_hf(spec, sd):
        tt = tensor_type_for(name, arr, qtype)
        data = gguf.quants.quantize(np.ascontiguousarray(arr, dtype=np.float32), tt)
        if tt in (gguf.GGMLQuantizationType.F32, gguf.GGMLQuantizationType.F16):
            w.add_tensor(name, data)
        else:
            w.add_tensor(name, data, raw_dtype=tt)

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file(progress=False)
    w.close()


def read_gguf(path: Path) -> tuple[gguf.GGUFReader, dict[str, tuple[gguf.GGMLQuantizationType, np.ndarray]]]:
    """Returns the reader and {name: (type, dequantized float32 array in [rows, cols] layout)}."""
    r = gguf.GGUFReader(str(path))
    out = {}
    for t in r.tensors:
        tt = gguf.GGMLQuantizationType(t.tensor_type)
        deq = gguf.quants.dequantize(np.asarray(t.data), tt).astype(np.float32)
        # t.shape is GGML order (ne0 = row length first); numpy order is reversed.
        np_shape = tuple(int(x) for x in reversed(t.shape.tolist()))
        deq = deq.reshape(np_shape)
        out[t.name] = (tt, deq)
    return r, out


def gguf_field(r: gguf.GGUFReader, key: str):
    f = r.get_field(key)
    assert f is not None, f"missing GGUF key {key}"
    return f.contents()


def check_gguf(spec: dict, variant: str, path: Path, sd: dict[str, torch.Tensor]) -> dict[str, np.ndarray]:
    """Self-check of a written GGUF file; returns {name: dequantized float32 array}."""
    qtype, ftype = GGUF_VARIANTS[variant]
    c = spec["config"]
    r, tensors = read_gguf(path)
    assert gguf_field(r, "general.architecture") == "llama"
    assert gguf_field(r, "general.file_type") == int(ftype)
    assert gguf_field(r, "llama.context_length") == c["max_position_embeddings"]
    assert gguf_field(r, "llama.embedding_length") == c["hidden_size"]
    assert gguf_field(r, "llama.block_count") == c["num_hidden_layers"]
    assert gguf_field(r, "llama.feed_forward_length") == c["intermediate_size"]
    assert gguf_field(r, "llama.attention.head_count") == c["num_attention_heads"]
    assert gguf_field(r, "llama.attention.head_count_kv") == c["num_key_value_heads"]
    assert abs(gguf_field(r, "llama.attention.layer_norm_rms_epsilon") - c["rms_norm_eps"]) < 1e-12
    assert gguf_field(r, "llama.rope.freq_base") == np.float32(c["rope_parameters"]["rope_theta"])
    assert gguf_field(r, "llama.rope.dimension_count") == c["head_dim"]
    if c.get("sliding_window"):
        assert gguf_field(r, "llama.attention.sliding_window") == c["sliding_window"]
    else:
        assert r.get_field("llama.attention.sliding_window") is None
    assert gguf_field(r, "tokenizer.ggml.model") == "llama"
    assert len(gguf_field(r, "tokenizer.ggml.tokens")) == c["vocab_size"]
    assert gguf_field(r, "tokenizer.ggml.bos_token_id") == BOS_ID
    assert gguf_field(r, "tokenizer.ggml.eos_token_id") == EOS_ID
    assert not any(k.startswith("llama.rope.scaling") for k in r.fields)

    expected = gguf_tensors_from_hf(spec, sd)
    assert [n for n, _ in expected] == [t.name for t in r.tensors], "tensor names/order"
    for name, ref in expected:
        tt, deq = tensors[name]
        assert tt == tensor_type_for(name, ref, qtype), (name, tt)
        assert deq.shape == ref.shape, (name, deq.shape, ref.shape)
        err = float(np.max(np.abs(deq - ref)))
        if tt == gguf.GGMLQuantizationType.F32:
            assert err == 0.0, (name, err)
        else:
            bound = {gguf.GGMLQuantizationType.F16: 1e-3 * np.abs(ref).max(), gguf.GGMLQuantizationType.Q8_0: 0.01 * np.abs(ref).max(),
                     gguf.GGMLQuantizationType.Q4_0: 0.2 * np.abs(ref).max()}[tt]
            assert err <= bound, (name, tt, err)
    has_output = "output.weight" in tensors
    assert has_output == (not c["tie_word_embeddings"])
    return {n: d for n, (_, d) in tensors.items()}


def hf_state_dict_from_gguf(spec: dict, t: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    c = spec["config"]
    nh, nkv = c["num_attention_heads"], c["num_key_value_heads"]
    T = lambda a: torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))
    sd = {"model.embed_tokens.weight": T(t["token_embd.weight"]), "model.norm.weight": T(t["output_norm.weight"])}
    for i in range(c["num_hidden_layers"]):
        p, b = f"model.layers.{i}.", f"blk.{i}."
        sd[p + "input_layernorm.weight"] = T(t[b + "attn_norm.weight"])
        sd[p + "self_attn.q_proj.weight"] = T(unpermute_qk(t[b + "attn_q.weight"], nh))
        sd[p + "self_attn.k_proj.weight"] = T(unpermute_qk(t[b + "attn_k.weight"], nkv))
        sd[p + "self_attn.v_proj.weight"] = T(t[b + "attn_v.weight"])
        sd[p + "self_attn.o_proj.weight"] = T(t[b + "attn_output.weight"])
        sd[p + "post_attention_layernorm.weight"] = T(t[b + "ffn_norm.weight"])
        sd[p + "mlp.gate_proj.weight"] = T(t[b + "ffn_gate.weight"])
        sd[p + "mlp.up_proj.weight"] = T(t[b + "ffn_up.weight"])
        sd[p + "mlp.down_proj.weight"] = T(t[b + "ffn_down.weight"])
    if "output.weight" in t:
        sd["lm_head.weight"] = T(t["output.weight"])
    return sd


# ----------------------------------------------------------------------------- numpy reference

def numpy_forward_gguf(r: gguf.GGUFReader, t: dict[str, np.ndarray], prompt: list[int]) -> np.ndarray:
    """Independent llama forward (float64) straight from a GGUF file's metadata and dequantized
    tensors, with GGML-style INTERLEAVED-pair RoPE on the (permuted) q/k weights."""
    n_layer = int(gguf_field(r, "llama.block_count"))
    nh = int(gguf_field(r, "llama.attention.head_count"))
    nkv = int(gguf_field(r, "llama.attention.head_count_kv"))
    eps = float(gguf_field(r, "llama.attention.layer_norm_rms_epsilon"))
    theta = float(gguf_field(r, "llama.rope.freq_base"))
    sw_field = r.get_field("llama.attention.sliding_window")
    sw = int(sw_field.contents()) if sw_field is not None else 0
    g = {k: v.astype(np.float64) for k, v in t.items()}
    hidden = g["token_embd.weight"].shape[1]
    hd = g["blk.0.attn_q.weight"].shape[0] // nh
    n = len(prompt)

    inv_freq = 1.0 / theta ** (np.arange(0, hd, 2, dtype=np.float64) / hd)
    if "rope_freqs.weight" in g:
        inv_freq = inv_freq / g["rope_freqs.weight"]
    ang = np.arange(n, dtype=np.float64)[:, None] * inv_freq[None, :]  # [n, hd/2]
    cos, sin = np.cos(ang), np.sin(ang)

    def rope_interleaved(x):  # x [n, heads, hd]; rotate pairs (2i, 2i+1)
        x0, x1 = x[..., 0::2], x[..., 1::2]
        c, s = cos[:, None, :], sin[:, None, :]
        y = np.empty_like(x)
        y[..., 0::2] = x0 * c - x1 * s
        y[..., 1::2] = x0 * s + x1 * c
        return y

    def rms(x, wgt):
        return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * wgt

    qpos = np.arange(n)[:, None]
    kpos = np.arange(n)[None, :]
    allowed = kpos <= qpos
    if sw:
        allowed &= (qpos - kpos) < sw  # transformers: kv_idx > q_idx - sliding_window
    x = g["token_embd.weight"][np.array(prompt)]
    for i in range(n_layer):
        b = f"blk.{i}."
        h = rms(x, g[b + "attn_norm.weight"])
        q = (h @ g[b + "attn_q.weight"].T).reshape(n, nh, hd)
        k = (h @ g[b + "attn_k.weight"].T).reshape(n, nkv, hd)
        v = (h @ g[b + "attn_v.weight"].T).reshape(n, nkv, hd)
        q, k = rope_interleaved(q), rope_interleaved(k)
        rep = nh // nkv
        k = np.repeat(k, rep, axis=1)
        v = np.repeat(v, rep, axis=1)
        att = np.einsum("qhd,khd->hqk", q, k) / math.sqrt(hd)
        att = np.where(allowed[None], att, -np.inf)
        att = np.exp(att - att.max(axis=-1, keepdims=True))
        att /= att.sum(axis=-1, keepdims=True)
        o = np.einsum("hqk,khd->qhd", att, v).reshape(n, nh * hd)
        x = x + o @ g[b + "attn_output.weight"].T
        h = rms(x, g[b + "ffn_norm.weight"])
        gate = h @ g[b + "ffn_gate.weight"].T
        up = h @ g[b + "ffn_up.weight"].T
        x = x + ((gate / (1.0 + np.exp(-gate))) * up) @ g[b + "ffn_down.weight"].T
    assert x.shape[1] == hidden
    h = rms(x, g["output_norm.weight"])
    w_out = g["output.weight"] if "output.weight" in g else g["token_embd.weight"]
    return h @ w_out.T


# ----------------------------------------------------------------------------- main

def model_checks(spec: dict, sd: dict[str, torch.Tensor], prompt: list[int], ref_logits: np.ndarray) -> None:
    c = spec["config"]
    if c.get("sliding_window"):
        # The sliding window must really be applied by transformers for this config.
        m_full = build_model(spec, sd, sliding_window=None)
        with torch.no_grad():
            full = m_full(input_ids=torch.tensor([prompt]), use_cache=False).logits[0].numpy()
        sw = c["sliding_window"]
        d_in = float(np.max(np.abs(full[:sw] - ref_logits[:sw])))
        d_out = float(np.max(np.abs(full[sw:] - ref_logits[sw:])))
        log(f"  sliding window check: max|diff| positions <{sw}: {d_in:.3g}, >= {sw}: {d_out:.3g}")
        assert d_in < 1e-5 and d_out > 1e-2, "sliding window not applied by transformers"
    rp = c["rope_parameters"]
    if rp.get("rope_type") == "llama3":
        f, bands = llama3_rope_factors(c["head_dim"], rp["rope_theta"], rp)
        counts = [int((bands == k).sum()) for k in range(3)]
        log(f"  llama3 bands (high/medium/low freq): {counts}; factors {np.round(f, 4).tolist()}")
        assert all(cnt > 0 for cnt in counts), "llama3 bands do not split the frequencies"
        m = build_model(spec, sd)
        hf_inv = m.model.rotary_emb.inv_freq.to(torch.float64).numpy()
        base = 1.0 / rp["rope_theta"] ** (np.arange(0, c["head_dim"], 2, dtype=np.float64) / c["head_dim"])
        rel = np.max(np.abs(hf_inv - base / f) / (base / f))
        assert rel < 1e-6, f"llama3 factors disagree with transformers' inv_freq ({rel})"


def summarize(exp: dict) -> tuple[float, float]:
    return float(np.max(np.abs(exp["logits"]))), float(min(exp["margins"]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    repo = Path(__file__).resolve().parent.parent
    ap.add_argument("--out", type=Path, default=repo / "tests" / "fixtures" / "text")
    ap.add_argument("--skip-checks", action="store_true", help="skip the model.generate() cross-check")
    args = ap.parse_args()
    setup_torch()
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    log(f"torch {torch.__version__}, transformers {transformers.__version__}, numpy {np.__version__}")

    out_root: Path = args.out
    out_root.mkdir(parents=True, exist_ok=True)
    summary = []
    for spec in MODELS:
        name = spec["name"]
        mdir = out_root / name
        if mdir.exists():
            shutil.rmtree(mdir)
        mdir.mkdir(parents=True)
        log(f"== {name}")
        c = spec["config"]
        prompt = make_prompt(c["vocab_size"])

        # Random float32 weights.
        skeleton = model_class(spec)(make_config(spec))
        sd = random_state_dict(spec, skeleton)
        del skeleton
        model = build_model(spec, sd)

        # HF float32 / bfloat16 checkpoints; expectations from the re-loaded files.
        save_hf(model, mdir / "hf_f32")
        model_bf16 = build_model(spec, sd).to(torch.bfloat16)
        model_bf16.config.dtype = torch.bfloat16
        save_hf(model_bf16, mdir / "hf_bf16")
        del model_bf16
        cfg_saved = json.loads((mdir / "hf_bf16" / "config.json").read_text())
        assert cfg_saved.get("dtype") == "bfloat16", cfg_saved.get("dtype")
        for v in ("hf_f32", "hf_bf16"):
            m = load_saved(spec, mdir / v)
            if v == "hf_f32":
                for k, p in m.state_dict().items():
                    assert torch.equal(p, sd[k]), k
            exp = compute_expectations(m, prompt)
            if v == "hf_f32":
                model_checks(spec, sd, prompt, exp["logits"])
            if not args.skip_checks:
                check_generate_matches(m, prompt, exp, f"{name}/{v}")
            write_expectations(mdir / v / "expected.json", "logits.f32", prompt, exp)
            summary.append((f"{name}/{v}",) + summarize(exp))
            assert summary[-1][2] > MIN_MARGIN, f"{name}/{v}: greedy margin {summary[-1][2]} too small"
            log(f"  {v}: max|logit| {summary[-1][1]:.4f}, min top-2 margin {summary[-1][2]:.4g}")

        # GGUF variants.
        for variant in GGUF_VARIANTS:
            stem = f"gguf_{variant}"
            path = mdir / f"{stem}.gguf"
            write_gguf(spec, sd, variant, path)
            deq = check_gguf(spec, variant, path, sd)
            m = build_model(spec, hf_state_dict_from_gguf(spec, deq))
            if variant == "f32":
                for k, p in m.state_dict().items():
                    assert torch.equal(p, sd[k]), k
            exp = compute_expectations(m, prompt)
            if variant == "f32":
                ref = json.loads((mdir / "hf_f32" / "expected.json").read_text())
                same = np.frombuffer((mdir / "hf_f32" / "logits.f32").read_bytes(), dtype="<f4").reshape(exp["logits"].shape)
                assert np.array_equal(same, exp["logits"]) and ref["greedy"] == exp["greedy"]
            # Independent numpy forward with interleaved RoPE on the file's permuted q/k.
            r = gguf.GGUFReader(str(path))
            np_logits = numpy_forward_gguf(r, deq, prompt)
            err = float(np.max(np.abs(np_logits - exp["logits"])))
            log(f"  {stem}: numpy interleaved-RoPE forward vs transformers: max|diff| {err:.3g}")
            assert err < 1e-4, f"{name}/{stem}: numpy reference disagrees ({err})"
            if not args.skip_checks:
                check_generate_matches(m, prompt, exp, f"{name}/{stem}")
            write_expectations(mdir / f"{stem}.expected.json", f"{stem}.logits.f32", prompt, exp)
            summary.append((f"{name}/{stem}",) + summarize(exp))
            assert summary[-1][2] > MIN_MARGIN, f"{name}/{stem}: greedy margin {summary[-1][2]} too small"
            log(f"  {stem}: max|logit| {summary[-1][1]:.4f}, min top-2 margin {summary[-1][2]:.4g}")

    log("\nvariant                                max|logit|  min top-2 margin")
    for what, mx, mn in summary:
        log(f"{what:38s} {mx:10.4f}  {mn:.6g}")
    total = sum(f.stat().st_size for f in out_root.rglob("*") if f.is_file())
    log(f"total size of {out_root}: {total} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
