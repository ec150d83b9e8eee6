#!/usr/bin/env python3
"""Train the built-in demo model examples/models/demo-q8_0.gguf (a tiny Llama) from scratch.

Usage (from the repository root; a few minutes on one CPU core):

    /path/to/venv/bin/python tools/train_demo_model.py [--out examples/models/demo-q8_0.gguf]

Steps, all deterministic:
  1. Corpus: tools/demo_corpus.py generates ~600 KB of simple English (stories, facts, Q/A,
     counting, days, colours) from a small grammar with a seeded random.Random.  Nothing is
     downloaded.
  2. Tokenizer: a SentencePiece BPE model (byte fallback, split digits, identity normalization,
     <unk>=0 <s>=1 </s>=2) trained on the corpus, single-threaded.
  3. Model: transformers LlamaForCausalLM (hidden 128, 4 layers, 4 heads / 2 KV heads, MLP 352,
     untied embeddings) trained with AdamW on 128-token sequences.  Every sequence starts at a
     document start; documents are packed as <s> doc </s> <s> doc </s> ... (predicting <s> is
     not trained).  One CPU thread, torch.use_deterministic_algorithms(True), fixed seeds, a
     fixed number of steps (not a time budget).
  4. Export: a llama-layout GGUF with every 2-D matrix in Q8_0 and 1-D norms in F32, q/k rows
     permuted for GGML's interleaved RoPE (the conventions of tools/gen_text_fixtures.py, whose
     gguf_tensors_from_hf / unpermute_qk / read_gguf this script imports), plus the SentencePiece
     vocabulary as a "llama" tokenizer.
  5. Checks: the GGUF is read back (keys, tokenizer, tensors); its dequantized weights are loaded
     into transformers; greedy continuations of a few prompts are printed for the float32 model
     and for the dequantized Q8_0 model, with the held-out loss of both.

Pinned versions: tools/requirements.txt plus sentencepiece==0.2.3.  A rerun with the same
versions on the same machine writes a byte-identical file.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import io
import math
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch

import gguf
import sentencepiece as spm
import transformers
from transformers import LlamaConfig, LlamaForCausalLM

sys.path.insert(0, str(Path(__file__).resolve().parent))
import demo_corpus  # noqa: E402
from gen_text_fixtures import gguf_tensors_from_hf, read_gguf, unpermute_qk  # noqa: E402

UNK_ID, BOS_ID, EOS_ID = 0, 1, 2
CORPUS_SEED = 1234
CORPUS_CHARS = 600_000
VALID_SEED = 4321  # held-out documents from the same grammar
VALID_CHARS = 30_000
VOCAB_SIZE = 768

MODEL = dict(
    hidden_size=128,
    intermediate_size=352,
    num_hidden_layers=4,
    num_attention_heads=4,
    num_key_value_heads=2,
    head_dim=32,
    max_position_embeddings=256,
    rms_norm_eps=1e-5,
    rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
    tie_word_embeddings=False,
    bos_token_id=BOS_ID,
    eos_token_id=EOS_ID,
    initializer_range=0.02,
)

# Training schedule (fixed step count: the result does not depend on the machine's speed).
SEQ_LEN = 128
BATCH = 8
STEPS = 1600
LR = 5e-3
LR_MIN = 1e-4
WARMUP = 40
WEIGHT_DECAY = 0.05
TRAIN_SEED = 7

PROMPTS = ["The little cat", "Q: What colour is the sky? A:", "Tom has", "Once upon a time",
           "Q: What does a cow say? A:", "On Monday, Anna and Ben", "Let us count:"]
N_SAMPLE_TOKENS = 64


def log(msg: str) -> None:
    print(msg, flush=True)


# ----------------------------------------------------------------------------- tokenizer

def train_tokenizer(docs: list[str], vocab_size: int) -> spm.SentencePieceProcessor:
    proto = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(docs), model_writer=proto,
        vocab_size=vocab_size, model_type="bpe", byte_fallback=True, character_coverage=1.0,
        add_dummy_prefix=True, split_digits=True, normalization_rule_name="identity",
        remove_extra_whitespaces=False,  # what llama.cpp-style SPM tokenizers do
        unk_id=UNK_ID, bos_id=BOS_ID, eos_id=EOS_ID, pad_id=-1,
        # determinism: one thread, every sentence used, no sampling/shuffling
        num_threads=1, input_sentence_size=0, shuffle_input_sentence=False,
        minloglevel=2)
    sp = spm.SentencePieceProcessor(model_proto=proto.getvalue())
    assert sp.get_piece_size() == vocab_size
    assert (sp.unk_id(), sp.bos_id(), sp.eos_id()) == (UNK_ID, BOS_ID, EOS_ID)
    return sp


def token_types(sp: spm.SentencePieceProcessor) -> list[int]:
    out = []
    for i in range(sp.get_piece_size()):
        if sp.is_unknown(i):
            out.append(int(gguf.TokenType.UNKNOWN))
        elif sp.is_control(i):
            out.append(int(gguf.TokenType.CONTROL))
        elif sp.is_byte(i):
            out.append(int(gguf.TokenType.BYTE))
        elif sp.is_unused(i):
            out.append(int(gguf.TokenType.UNUSED))
        else:
            out.append(int(gguf.TokenType.NORMAL))
    return out


def encode_prompt(sp: spm.SentencePieceProcessor, text: str) -> list[int]:
    """What a llama GGUF tokenizer gives with add_bos_token / add_space_prefix."""
    return [BOS_ID] + sp.encode(text)


# ----------------------------------------------------------------------------- data

def make_batches(doc_ids: list[list[int]], rng: random.Random):
    """Endless stream of [BATCH, SEQ_LEN] batches.  Each epoch shuffles the documents, then packs
    <s> doc </s> <s> doc </s> ...; every row starts at a document start (a document cut at the
    row's end starts the next row, so every document is seen whole)."""
    while True:
        order = list(range(len(doc_ids)))
        rng.shuffle(order)
        rows, row, k = [], [], 0
        while k < len(order):
            d = [BOS_ID] + doc_ids[order[k]] + [EOS_ID]
            assert len(d) <= SEQ_LEN
            if len(row) + len(d) <= SEQ_LEN:
                row += d
                k += 1
                if len(row) < SEQ_LEN:
                    continue
            else:
                row += d[:SEQ_LEN - len(row)]  # partial: the same document opens the next row
            rows.append(row)
            row = []
            if len(rows) == BATCH:
                yield torch.tensor(rows, dtype=torch.long)
                rows = []


def labels_for(ids: torch.Tensor) -> torch.Tensor:
    lab = ids.clone()
    lab[ids == BOS_ID] = -100  # do not train "</s> -> <s>"
    return lab


# ----------------------------------------------------------------------------- model

def make_config(vocab: int) -> LlamaConfig:
    cfg = LlamaConfig(vocab_size=vocab, **MODEL)
    cfg._attn_implementation = "eager"
    return cfg


def lr_at(step: int) -> float:
    if step < WARMUP:
        return LR * (step + 1) / WARMUP
    t = (step - WARMUP) / max(1, STEPS - WARMUP)
    return LR_MIN + 0.5 * (LR - LR_MIN) * (1.0 + math.cos(math.pi * t))


def train(model: LlamaForCausalLM, batches) -> tuple[float, float]:
    decay = [p for n, p in model.named_parameters() if p.ndim == 2]
    no_decay = [p for n, p in model.named_parameters() if p.ndim < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": WEIGHT_DECAY},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=LR, betas=(0.9, 0.95), eps=1e-8)
    model.train()
    t0 = time.time()
    recent = []
    for step in range(STEPS):
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        ids = next(batches)
        loss = model(input_ids=ids, labels=labels_for(ids), use_cache=False).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        recent.append(loss.item())
        if step % 50 == 0 or step == STEPS - 1:
            log(f"  step {step:4d}  loss {loss.item():.4f}  lr {lr_at(step):.2e}  {time.time() - t0:6.1f} s")
    model.eval()
    return recent[-1], float(np.mean(recent[-50:]))


@torch.no_grad()
def eval_loss(model: LlamaForCausalLM, doc_ids: list[list[int]]) -> float:
    """Mean next-token loss over held-out documents, each as <s> doc </s>."""
    tot, n = 0.0, 0
    for d in doc_ids:
        ids = torch.tensor([[BOS_ID] + d + [EOS_ID]])
        out = model(input_ids=ids, labels=ids, use_cache=False)
        k = ids.shape[1] - 1
        tot += float(out.loss) * k
        n += k
    return tot / n


@torch.no_grad()
def greedy(model: LlamaForCausalLM, prompt_ids: list[int], n: int) -> list[int]:
    ids = torch.tensor([prompt_ids])
    out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=False,
                         max_new_tokens=n, eos_token_id=EOS_ID, pad_token_id=EOS_ID, num_beams=1)
    return [int(t) for t in out[0, len(prompt_ids):]]


# ----------------------------------------------------------------------------- GGUF

def gguf_tensors(cfg: LlamaConfig, sd: dict[str, torch.Tensor]) -> list[tuple[str, np.ndarray]]:
    """GGUF names and float32 arrays, q/k permuted: the fixture generator's conversion."""
    return gguf_tensors_from_hf({"config": cfg.to_dict()}, sd)


def write_gguf(path: Path, cfg: LlamaConfig, sd: dict[str, torch.Tensor], sp: spm.SentencePieceProcessor) -> None:
    w = gguf.GGUFWriter(str(path), "llama", use_temp_file=False, endianess=gguf.GGUFEndian.LITTLE)
    w.add_name("libmistralrs-demo")
    w.add_description("libmistralrs demo model: a tiny Llama trained on a synthetic children's-English "
                      "corpus, see tools/train_demo_model.py and examples/models/README.md")
    w.add_file_type(int(gguf.LlamaFileType.MOSTLY_Q8_0))
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    w.add_vocab_size(cfg.vocab_size)
    w.add_context_length(cfg.max_position_embeddings)
    w.add_embedding_length(cfg.hidden_size)
    w.add_block_count(cfg.num_hidden_layers)
    w.add_feed_forward_length(cfg.intermediate_size)
    w.add_head_count(cfg.num_attention_heads)
    w.add_head_count_kv(cfg.num_key_value_heads)
    w.add_layer_norm_rms_eps(cfg.rms_norm_eps)
    w.add_rope_freq_base(cfg.rope_parameters["rope_theta"])
    w.add_rope_dimension_count(cfg.head_dim)

    n = sp.get_piece_size()
    w.add_tokenizer_model("llama")
    w.add_token_list([sp.id_to_piece(i) for i in range(n)])
    w.add_token_scores([float(sp.get_score(i)) for i in range(n)])
    w.add_token_types(token_types(sp))
    w.add_bos_token_id(BOS_ID)
    w.add_eos_token_id(EOS_ID)
    w.add_unk_token_id(UNK_ID)
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    w.add_add_space_prefix(True)

    for name, arr in gguf_tensors(cfg, sd):
        if arr.ndim == 2:
            assert arr.shape[1] % 32 == 0, (name, arr.shape)
            w.add_tensor(name, gguf.quants.quantize(np.ascontiguousarray(arr), gguf.GGMLQuantizationType.Q8_0),
                         raw_dtype=gguf.GGMLQuantizationType.Q8_0)
        else:
            w.add_tensor(name, np.ascontiguousarray(arr, dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file(progress=False)
    w.close()


def field(r: gguf.GGUFReader, key: str):
    f = r.get_field(key)
    assert f is not None, f"missing GGUF key {key}"
    return f.contents()


def check_gguf(path: Path, cfg: LlamaConfig, sd: dict[str, torch.Tensor], sp: spm.SentencePieceProcessor) -> dict[str, torch.Tensor]:
    """Reads the file back; returns the dequantized weights as an HF state dict."""
    r, t = read_gguf(path)
    n = sp.get_piece_size()
    assert field(r, "general.architecture") == "llama"
    assert field(r, "general.name") == "libmistralrs-demo"
    assert field(r, "general.file_type") == int(gguf.LlamaFileType.MOSTLY_Q8_0)
    assert field(r, "llama.embedding_length") == cfg.hidden_size
    assert field(r, "llama.block_count") == cfg.num_hidden_layers
    assert field(r, "llama.feed_forward_length") == cfg.intermediate_size
    assert field(r, "llama.attention.head_count") == cfg.num_attention_heads
    assert field(r, "llama.attention.head_count_kv") == cfg.num_key_value_heads
    assert field(r, "llama.rope.dimension_count") == cfg.head_dim
    assert field(r, "llama.context_length") == cfg.max_position_embeddings
    assert field(r, "tokenizer.ggml.model") == "llama"
    assert field(r, "tokenizer.ggml.tokens") == [sp.id_to_piece(i) for i in range(n)]
    assert np.array_equal(np.array(field(r, "tokenizer.ggml.scores"), dtype=np.float32),
                          np.array([sp.get_score(i) for i in range(n)], dtype=np.float32))
    assert field(r, "tokenizer.ggml.token_type") == token_types(sp)
    assert (field(r, "tokenizer.ggml.bos_token_id"), field(r, "tokenizer.ggml.eos_token_id"),
            field(r, "tokenizer.ggml.unknown_token_id")) == (BOS_ID, EOS_ID, UNK_ID)
    assert field(r, "tokenizer.ggml.add_bos_token") is True
    assert field(r, "tokenizer.ggml.add_eos_token") is False
    assert field(r, "tokenizer.ggml.add_space_prefix") is True
    expected = gguf_tensors(cfg, sd)
    assert [k for k, _ in expected] == [x.name for x in r.tensors]
    for name, ref in expected:
        tt, deq = t[name]
        assert tt == (gguf.GGMLQuantizationType.Q8_0 if ref.ndim == 2 else gguf.GGMLQuantizationType.F32), (name, tt)
        assert deq.shape == ref.shape, (name, deq.shape, ref.shape)
        err = float(np.max(np.abs(deq - ref)))
        assert err <= (0.01 * float(np.abs(ref).max()) if ref.ndim == 2 else 0.0), (name, err)
    nh, nkv = cfg.num_attention_heads, cfg.num_key_value_heads
    g = lambda k: t[k][1]
    out = {"model.embed_tokens.weight": g("token_embd.weight"), "model.norm.weight": g("output_norm.weight"),
           "lm_head.weight": g("output.weight")}
    for i in range(cfg.num_hidden_layers):
        p, b = f"model.layers.{i}.", f"blk.{i}."
        out[p + "input_layernorm.weight"] = g(b + "attn_norm.weight")
        out[p + "self_attn.q_proj.weight"] = unpermute_qk(g(b + "attn_q.weight"), nh)
        out[p + "self_attn.k_proj.weight"] = unpermute_qk(g(b + "attn_k.weight"), nkv)
        out[p + "self_attn.v_proj.weight"] = g(b + "attn_v.weight")
        out[p + "self_attn.o_proj.weight"] = g(b + "attn_output.weight")
        out[p + "post_attention_layernorm.weight"] = g(b + "ffn_norm.weight")
        out[p + "mlp.gate_proj.weight"] = g(b + "ffn_gate.weight")
        out[p + "mlp.up_proj.weight"] = g(b + "ffn_up.weight")
        out[p + "mlp.down_proj.weight"] = g(b + "ffn_down.weight")
    return {k: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32)) for k, v in out.items()}


# ----------------------------------------------------------------------------- main

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    repo = Path(__file__).resolve().parent.parent
    ap.add_argument("--out", type=Path, default=repo / "examples" / "models" / "demo-q8_0.gguf")
    ap.add_argument("--save-hf", type=Path, default=None,
                    help="also save the float32 transformers checkpoint and tokenizer.model here")
    # For experiments only: the committed file uses the defaults.
    ap.add_argument("--lr", type=float, default=LR, help=f"peak learning rate (default {LR})")
    ap.add_argument("--steps", type=int, default=STEPS, help=f"training steps (default {STEPS})")
    ap.add_argument("--batch", type=int, default=BATCH, help=f"sequences per step (default {BATCH})")
    args = ap.parse_args()
    globals().update(LR=args.lr, STEPS=args.steps, BATCH=args.batch)

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(TRAIN_SEED)
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    log(f"torch {torch.__version__}, transformers {transformers.__version__}, sentencepiece {spm.__version__}, "
        f"gguf {importlib.metadata.version('gguf')}, numpy {np.__version__}")
    cpu0, wall0 = time.process_time(), time.time()

    docs = demo_corpus.generate(CORPUS_SEED, CORPUS_CHARS)
    valid = demo_corpus.generate(VALID_SEED, VALID_CHARS)
    corpus = ("\n".join(docs) + "\n").encode()
    corpus_bytes = len(corpus)
    log(f"corpus: {len(docs)} documents, {corpus_bytes} bytes, sha256 {hashlib.sha256(corpus).hexdigest()[:16]}")

    sp = train_tokenizer(docs, VOCAB_SIZE)
    doc_ids = [sp.encode(d) for d in docs]
    valid_ids = [sp.encode(d) for d in valid]
    n_tok = sum(len(d) + 2 for d in doc_ids)
    log(f"tokenizer: {sp.get_piece_size()} pieces; corpus = {n_tok} tokens "
        f"({corpus_bytes / n_tok:.2f} bytes/token)")

    cfg = make_config(sp.get_piece_size())
    model = LlamaForCausalLM(cfg).to(torch.float32)
    n_params = sum(p.numel() for p in model.parameters())
    log(f"model: {n_params} parameters; training {STEPS} steps x {BATCH} x {SEQ_LEN} tokens "
        f"(~{STEPS * BATCH * SEQ_LEN / n_tok:.1f} epochs)")
    t_train = time.process_time()
    last, last50 = train(model, make_batches(doc_ids, random.Random(TRAIN_SEED)))
    t_train = time.process_time() - t_train
    log(f"final training loss {last:.4f} (mean of the last 50 steps {last50:.4f}); "
        f"training took {t_train:.1f} s CPU")

    sd = {k: v.detach().clone() for k, v in model.state_dict().items()}
    if args.save_hf:
        model.save_pretrained(str(args.save_hf), safe_serialization=True)
        (args.save_hf / "tokenizer.model").write_bytes(sp.serialized_model_proto())

    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_gguf(args.out, cfg, sd, sp)
    q_sd = check_gguf(args.out, cfg, sd, sp)
    qmodel = LlamaForCausalLM(make_config(sp.get_piece_size())).to(torch.float32)
    missing, unexpected = qmodel.load_state_dict(q_sd, strict=False)
    assert not missing and not unexpected, (missing, unexpected)
    qmodel.eval()

    v32, vq = eval_loss(model, valid_ids), eval_loss(qmodel, valid_ids)
    log(f"held-out loss: float32 {v32:.4f}, q8_0 {vq:.4f}")
    for p in PROMPTS:
        ids = encode_prompt(sp, p)
        g32, gq = greedy(model, ids, N_SAMPLE_TOKENS), greedy(qmodel, ids, N_SAMPLE_TOKENS)
        text = lambda g: sp.decode(ids[1:] + g) + (" </s>" if g and g[-1] == EOS_ID else " ...")
        log(f"\nprompt {p!r} ({len(ids)} tokens)\n  f32 : {text(g32)}"
            + ("\n  q8_0: (same tokens)" if gq == g32 else f"\n  q8_0: {text(gq)}"))

    data = args.out.read_bytes()
    log(f"\nwrote {args.out} ({len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()})")
    log(f"total: {time.process_time() - cpu0:.1f} s CPU, {time.time() - wall0:.1f} s wall")
    return 0


if __name__ == "__main__":
    sys.exit(main())
