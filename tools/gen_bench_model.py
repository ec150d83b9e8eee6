#!/usr/bin/env python3
"""Writes the ~110M-parameter benchmark Llama (hidden 768, 12 layers, 12 heads, ffn 2048,
vocabulary 32000) with random weights as GGUF files in F32, F16, Q8_0 and Q4_0, the
layout real llama GGUFs have (llama.* keys, blk.N.* tensor names, 1-D norms in F32,
every 2-D matrix including token_embd in the file's type, LM head tied).

The weights are random (numpy, seed 0), so the files are only for speed measurements:
`mistralrs bench -m OUT/bench-110m-q8_0.gguf`. They are large (62-439 MB) and not committed.

usage: python tools/gen_bench_model.py OUT_DIR [--types f32,f16,q8_0,q4_0]
"""
import argparse
import os

import numpy as np
import gguf

HIDDEN, LAYERS, HEADS, FFN, VOCAB, CTX = 768, 12, 12, 2048, 32000, 2048

TYPES = {
    "f32": (gguf.GGMLQuantizationType.F32, gguf.LlamaFileType.ALL_F32),
    "f16": (gguf.GGMLQuantizationType.F16, gguf.LlamaFileType.MOSTLY_F16),
    "q8_0": (gguf.GGMLQuantizationType.Q8_0, gguf.LlamaFileType.MOSTLY_Q8_0),
    "q4_0": (gguf.GGMLQuantizationType.Q4_0, gguf.LlamaFileType.MOSTLY_Q4_0),
}


def tensors(rng: np.random.Generator):
    """(name, float32 array) in GGUF order; q/k permutation is irrelevant for random weights."""
    def mat(rows, cols):
        return (rng.standard_normal((rows, cols), dtype=np.float32) * 0.02).astype(np.float32)

    yield "token_embd.weight", mat(VOCAB, HIDDEN)
    for i in range(LAYERS):
        b = f"blk.{i}."
        yield b + "attn_norm.weight", np.ones(HIDDEN, np.float32)
        yield b + "attn_q.weight", mat(HIDDEN, HIDDEN)
        yield b + "attn_k.weight", mat(HIDDEN, HIDDEN)
        yield b + "attn_v.weight", mat(HIDDEN, HIDDEN)
        yield b + "attn_output.weight", mat(HIDDEN, HIDDEN)
        yield b + "ffn_norm.weight", np.ones(HIDDEN, np.float32)
        yield b + "ffn_gate.weight", mat(FFN, HIDDEN)
        yield b + "ffn_up.weight", mat(FFN, HIDDEN)
        yield b + "ffn_down.weight", mat(HIDDEN, FFN)
    yield "output_norm.weight", np.ones(HIDDEN, np.float32)
    # No output.weight: the LM head is tied to token_embd (110M parameters in all, as in
    # the llama.cpp comparison in ../shared/guide/performance.md).


def write(path: str, type_name: str) -> None:
    qtype, ftype = TYPES[type_name]
    w = gguf.GGUFWriter(path, "llama", use_temp_file=False)
    w.add_name(f"bench-110m-{type_name}")
    w.add_file_type(int(ftype))
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    w.add_vocab_size(VOCAB)
    w.add_context_length(CTX)
    w.add_embedding_length(HIDDEN)
    w.add_block_count(LAYERS)
    w.add_feed_forward_length(FFN)
    w.add_head_count(HEADS)
    w.add_head_count_kv(HEADS)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_freq_base(10000.0)
    w.add_rope_dimension_count(HIDDEN // HEADS)
    rng = np.random.default_rng(0)
    for name, arr in tensors(rng):
        tt = qtype if arr.ndim == 2 else gguf.GGMLQuantizationType.F32
        data = gguf.quants.quantize(arr, tt)
        if tt in (gguf.GGMLQuantizationType.F32, gguf.GGMLQuantizationType.F16):
            w.add_tensor(name, data)
        else:
            w.add_tensor(name, data, raw_dtype=tt)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file(progress=False)
    w.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--types", default="f32,f16,q8_0,q4_0")
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    for t in args.types.split(","):
        path = os.path.join(args.out_dir, f"bench-110m-{t}.gguf")
        write(path, t)
        print(f"{path}: {os.path.getsize(path) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
