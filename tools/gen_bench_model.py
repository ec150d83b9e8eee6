#!/usr/bin/env python3
"""Writes random-weight Llama models for speed measurements, streaming: tensor by tensor, in
chunks of about 64 MB, so a 7B model never sits in memory. Needs only numpy (no gguf
package, no torch): the GGUF and safetensors writers below follow the two formats' specs.

Presets (the weights are random, so the files are only for `mistralrs bench`):
  110m   hidden 768, 12 layers, 12 heads (12 KV), ffn 2048, vocab 32000, LM head tied
         (the CPU comparison in ../shared/guide/performance.md)
  7b     hidden 4096, 32 layers, 32 heads, 8 KV heads, ffn 14336, vocab 32000, untied LM head
         (Mistral-7B-shaped; Q4_0 3.9 GB, Q8_0 7.7 GB, F16 14.5 GB, bf16 HF 14.5 GB)
  smoke  hidden 256, 2 layers, 4 heads, 2 KV heads, ffn 512, vocab 512 (checks the tool)

Types: f32, f16, q8_0, q4_0 (GGUF, llama layout: llama.* keys, blk.N.* names, 1-D norms
in F32, every matrix including token_embd in the file's type) and hf_bf16 (an HF directory:
config.json + model.safetensors, every tensor bf16).

Quantized blocks are generated directly: random bytes for the codes and small random f16
scales chosen so that weights have a standard deviation of about 0.02 (q8_0: codes uniform
in [-128, 127], std 74, scale 0.02/74; q4_0: codes 0..15 minus 8, std 4.6, scale 0.02/4.6,
each scale times a random factor in [0.5, 1.5]); f32/f16/bf16 values are normal(0, 0.02).
Each tensor is written from a 64 MB pool of such values or blocks, starting at a random
offset and wrapping around, so writing is disk-bound (about 15 s per 7B file on a fast
disk) and memory stays under 200 MB whatever the model size.

usage: python tools/gen_bench_model.py OUT_DIR [--preset 110m|7b|smoke] [--types f16,q8_0,...]
Files: OUT_DIR/bench-<preset>-<type>.gguf and OUT_DIR/bench-<preset>-hf_bf16/.
"""
import argparse
import json
import os
import struct
import time

import numpy as np

PRESETS = {
    # hidden, layers, heads, kv_heads, ffn, vocab, context, tied
    "110m": (768, 12, 12, 12, 2048, 32000, 2048, True),
    "7b": (4096, 32, 32, 8, 14336, 32000, 8192, False),
    "smoke": (256, 2, 4, 2, 512, 512, 1024, False),
}
DEFAULT_TYPES = {"110m": "f32,f16,q8_0,q4_0", "7b": "q4_0,q8_0,f16,hf_bf16", "smoke": "f32,f16,q8_0,q4_0,hf_bf16"}

# ggml type number, block elements, block bytes; llama file type number.
GGML = {"f32": (0, 1, 4), "f16": (1, 1, 2), "q4_0": (2, 32, 18), "q8_0": (8, 32, 34)}
FILE_TYPE = {"f32": 0, "f16": 1, "q4_0": 2, "q8_0": 7}
ALIGN = 32
POOL_BYTES = 64 << 20
WEIGHT_STD = 0.02


def tensor_list(preset):
    """(gguf name, hf name, rows, cols) in file order; cols = 0 for a 1-D norm of `rows`."""
    h, layers, heads, kv, ffn, vocab, _, tied = PRESETS[preset]
    hd = h // heads
    out = [("token_embd.weight", "model.embed_tokens.weight", vocab, h)]
    for i in range(layers):
        g, f = f"blk.{i}.", f"model.layers.{i}."
        out += [
            (g + "attn_norm.weight", f + "input_layernorm.weight", h, 0),
            (g + "attn_q.weight", f + "self_attn.q_proj.weight", heads * hd, h),
            (g + "attn_k.weight", f + "self_attn.k_proj.weight", kv * hd, h),
            (g + "attn_v.weight", f + "self_attn.v_proj.weight", kv * hd, h),
            (g + "attn_output.weight", f + "self_attn.o_proj.weight", h, heads * hd),
            (g + "ffn_norm.weight", f + "post_attention_layernorm.weight", h, 0),
            (g + "ffn_gate.weight", f + "mlp.gate_proj.weight", ffn, h),
            (g + "ffn_up.weight", f + "mlp.up_proj.weight", ffn, h),
            (g + "ffn_down.weight", f + "mlp.down_proj.weight", h, ffn),
        ]
    out.append(("output_norm.weight", "model.norm.weight", h, 0))
    if not tied:
        out.append(("output.weight", "lm_head.weight", vocab, h))
    return out


class Source:
    """Random tensor bytes of one type, written from a 64 MB pool of random values (or
    blocks) at a random offset: the disk is the limit (numpy generating 7 billion values
    would take minutes; the speed of a step does not depend on them)."""

    def __init__(self, type_name, seed):
        rng = np.random.default_rng(seed)
        self.rng = rng
        if type_name in ("q8_0", "q4_0"):
            code_bytes, code_std = (32, 74.0) if type_name == "q8_0" else (16, 4.6)
            n_blocks = POOL_BYTES // (2 + code_bytes)
            blocks = np.empty((n_blocks, 2 + code_bytes), np.uint8)
            scale = (WEIGHT_STD / code_std) * rng.uniform(0.5, 1.5, n_blocks)
            blocks[:, :2] = scale.astype(np.float16).view(np.uint8).reshape(n_blocks, 2)
            blocks[:, 2:] = np.frombuffer(rng.bytes(n_blocks * code_bytes), np.uint8).reshape(n_blocks, code_bytes)
            self.unit = 2 + code_bytes
        else:
            vals = rng.standard_normal(POOL_BYTES // 4, dtype=np.float32) * np.float32(WEIGHT_STD)
            if type_name == "f16":
                blocks = vals.astype(np.float16)
            elif type_name == "bf16":
                blocks = (vals.view(np.uint32) >> 16).astype(np.uint16)
            else:
                blocks = vals
            self.unit = blocks.itemsize
        self.pool = memoryview(blocks.tobytes())

    def write(self, f, nbytes):
        """nbytes (a whole number of units) from the pool, starting at a random unit."""
        pos = int(self.rng.integers(0, len(self.pool) // self.unit)) * self.unit
        while nbytes > 0:
            n = min(nbytes, len(self.pool) - pos)
            f.write(self.pool[pos:pos + n])
            nbytes -= n
            pos = 0


def gguf_string(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def gguf_kv(key, kind, value):
    # Metadata value types: 4 = u32, 6 = f32, 8 = string.
    body = {4: lambda v: struct.pack("<I", v), 6: lambda v: struct.pack("<f", v), 8: gguf_string}[kind](value)
    return gguf_string(key) + struct.pack("<I", kind) + body


def write_gguf(path, preset, type_name):
    h, layers, heads, kv, ffn, vocab, ctx, _ = PRESETS[preset]
    kvs = [
        gguf_kv("general.architecture", 8, "llama"),
        gguf_kv("general.name", 8, f"bench-{preset}-{type_name}"),
        gguf_kv("general.file_type", 4, FILE_TYPE[type_name]),
        gguf_kv("general.quantization_version", 4, 2),
        gguf_kv("llama.vocab_size", 4, vocab),
        gguf_kv("llama.context_length", 4, ctx),
        gguf_kv("llama.embedding_length", 4, h),
        gguf_kv("llama.block_count", 4, layers),
        gguf_kv("llama.feed_forward_length", 4, ffn),
        gguf_kv("llama.attention.head_count", 4, heads),
        gguf_kv("llama.attention.head_count_kv", 4, kv),
        gguf_kv("llama.attention.layer_norm_rms_epsilon", 6, 1e-5),
        gguf_kv("llama.rope.freq_base", 6, 10000.0),
        gguf_kv("llama.rope.dimension_count", 4, h // heads),
    ]
    tensors, infos, offset = [], [], 0
    for name, _, rows, cols in tensor_list(preset):
        t = type_name if cols else "f32"
        ggml_type, block_elems, block_bytes = GGML[t]
        row_bytes = (cols or rows) // block_elems * block_bytes
        nbytes = row_bytes * (rows if cols else 1)
        ne = [cols, rows] if cols else [rows]  # ne[0] is the contiguous dimension
        infos.append(gguf_string(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", d) for d in ne) +
                     struct.pack("<IQ", ggml_type, offset))
        tensors.append((t, rows, cols, row_bytes, nbytes))
        offset += (nbytes + ALIGN - 1) // ALIGN * ALIGN
    src = Source(type_name, seed=0)
    with open(path, "wb") as f:
        f.write(b"GGUF" + struct.pack("<IQQ", 3, len(infos), len(kvs)))
        for b in kvs + infos:
            f.write(b)
        f.write(b"\0" * (-f.tell() % ALIGN))
        for t, rows, cols, row_bytes, nbytes in tensors:
            start = f.tell()
            if cols:
                src.write(f, nbytes)
            else:  # a norm: ones, as a fresh model has
                f.write(np.ones(rows, np.float32).tobytes())
            assert f.tell() - start == nbytes
            f.write(b"\0" * (-f.tell() % ALIGN))


def write_hf_bf16(out_dir, preset):
    h, layers, heads, kv, ffn, vocab, ctx, tied = PRESETS[preset]
    os.makedirs(out_dir, exist_ok=True)
    config = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": h,
        "intermediate_size": ffn, "num_hidden_layers": layers, "num_attention_heads": heads,
        "num_key_value_heads": kv, "head_dim": h // heads, "vocab_size": vocab, "max_position_embeddings": ctx,
        "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "tie_word_embeddings": tied, "hidden_act": "silu",
        "torch_dtype": "bfloat16", "bos_token_id": 1, "eos_token_id": 2,
    }
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    header, offset, items = {"__metadata__": {"format": "pt"}}, 0, []
    for _, name, rows, cols in tensor_list(preset):
        nbytes = rows * (cols or 1) * 2
        header[name] = {"dtype": "BF16", "shape": [rows, cols] if cols else [rows], "data_offsets": [offset, offset + nbytes]}
        items.append((rows, cols))
        offset += nbytes
    hb = json.dumps(header, separators=(",", ":")).encode()
    hb += b" " * (-len(hb) % 8)
    src = Source("bf16", seed=0)
    with open(os.path.join(out_dir, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(hb)) + hb)
        for rows, cols in items:
            if cols == 0:
                f.write(np.full(rows, 0x3F80, np.uint16).tobytes())  # 1.0 in bf16
            else:
                src.write(f, rows * cols * 2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--preset", default="110m", choices=sorted(PRESETS))
    ap.add_argument("--types", default=None, help="comma-separated: f32,f16,q8_0,q4_0,hf_bf16")
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    for t in (args.types or DEFAULT_TYPES[args.preset]).split(","):
        t0 = time.time()
        if t == "hf_bf16":
            path = os.path.join(args.out_dir, f"bench-{args.preset}-hf_bf16")
            write_hf_bf16(path, args.preset)
            size = os.path.getsize(os.path.join(path, "model.safetensors"))
        elif t in GGML:
            path = os.path.join(args.out_dir, f"bench-{args.preset}-{t}.gguf")
            write_gguf(path, args.preset, t)
            size = os.path.getsize(path)
        else:
            raise SystemExit(f"unknown type '{t}'")
        print(f"{path}: {size / 1e6:.1f} MB in {time.time() - t0:.1f} s", flush=True)


if __name__ == "__main__":
    main()
