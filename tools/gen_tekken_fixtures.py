#!/usr/bin/env python3
"""Generates tests/fixtures/tokenizer/tekken/: two small tekken.json files and mistral-common's ids.

A byte-level BPE is trained with the pinned `tokenizers` on the same text as
gen_spm_fixtures.py (the seeded demo corpus plus its multilingual lines), pre-split with
tekken's own pattern. Its merges, in order, give the ranks: ranks 0-255 are the single bytes,
then each new merged byte string. These ranks are written in the tekken format (config,
vocab entries with rank / base64 token_bytes / token_str, special_tokens):

- tekken.json: version v7 with 20 listed special tokens out of 24 (mistral-common fills ids
  20-23 with <SPECIAL_n>), and default_vocab_size 10 entries below the vocab's length, so the
  vocab is cut.
- tekken_default_specials.json: the same ranks with no special_tokens list (version v3: the
  built-in list of 20 special tokens).

expected.json: for every string of gen_spm_fixtures.HARD_STRINGS, mistral-common's
Tekkenizer.encode(text, bos=False, eos=False) and decode of those ids, plus vocab_size,
num_special_tokens, bos/eos ids. tests/test_tokenizer_tekken.cpp checks the C++ side.

Deterministic: a rerun gives byte-identical files.
Usage: /path/to/venv/bin/python tools/gen_tekken_fixtures.py [--out DIR]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys

import mistral_common
from mistral_common.tokens.tokenizers.base import SpecialTokenPolicy
from mistral_common.tokens.tokenizers.tekken import Tekkenizer
from tokenizers import Regex, Tokenizer, models, pre_tokenizers, trainers

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo_corpus  # noqa: E402
from gen_spm_fixtures import HARD_STRINGS, MULTILINGUAL  # noqa: E402

# The pattern of Mistral's released tekken files.
PATTERN = (r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|"
           r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|"
           r"\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+")

SPECIALS = ["<unk>", "<s>", "</s>", "[INST]", "[/INST]", "[AVAILABLE_TOOLS]", "[/AVAILABLE_TOOLS]",
            "[TOOL_RESULTS]", "[/TOOL_RESULTS]", "[TOOL_CALLS]", "[IMG]", "<pad>", "[IMG_BREAK]",
            "[IMG_END]", "[PREFIX]", "[MIDDLE]", "[SUFFIX]", "[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]",
            "[TOOL_CONTENT]"]
NUM_SPECIAL = 24


def byte_level_decoder() -> dict[str, int]:
    """GPT-2's printable stand-in character for each byte, inverted: char -> byte."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def train_ranks(texts: list[str], vocab_size: int) -> list[bytes]:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(PATTERN), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer)
    merges = json.loads(tok.to_str())["model"]["merges"]
    dec = byte_level_decoder()
    to_bytes = lambda s: bytes(dec[c] for c in s)  # noqa: E731
    ranks = [bytes([b]) for b in range(256)]
    seen = set(ranks)
    for m in merges:
        a, b = m if isinstance(m, list) else m.split(" ")
        piece = to_bytes(a) + to_bytes(b)
        if piece not in seen:
            seen.add(piece)
            ranks.append(piece)
    return ranks


def tekken_json(ranks: list[bytes], version: str, with_specials: bool, num_special: int, cut: int) -> dict:
    vocab = [{"rank": i, "token_bytes": base64.b64encode(b).decode("ascii"),
              "token_str": b.decode("utf-8", errors="replace")} for i, b in enumerate(ranks)]
    out = {"config": {"pattern": PATTERN, "num_vocab_tokens": len(ranks),
                      "default_vocab_size": len(ranks) - cut + num_special,
                      "default_num_special_tokens": num_special, "version": version},
           "vocab": vocab}
    if with_specials:
        out["special_tokens"] = [{"rank": i, "token_str": s, "is_control": True} for i, s in enumerate(SPECIALS)]
    return out


def expected_for(path: str) -> dict:
    tk = Tekkenizer.from_file(path)
    cases = []
    for text in HARD_STRINGS:
        ids = tk.encode(text, bos=False, eos=False)
        cases.append({"text": text, "ids": ids, "decoded": tk.decode(ids, special_token_policy=SpecialTokenPolicy.IGNORE)})
    return {"vocab_size": tk.n_words, "num_special_tokens": tk.num_special_tokens, "bos_id": tk.bos_id,
            "eos_id": tk.eos_id, "specials": [tk.id_to_piece(i) for i in range(tk.num_special_tokens)],
            "cases": cases}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join("tests", "fixtures", "tokenizer", "tekken"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    texts = demo_corpus.generate(seed=1234, n_chars=120_000) + MULTILINGUAL * 20
    ranks = train_ranks(texts, 1200)
    files = {"tekken.json": tekken_json(ranks, "v7", True, NUM_SPECIAL, 10),
             "tekken_default_specials.json": tekken_json(ranks, "v3", False, len(SPECIALS), 0)}
    expected = {"mistral_common_version": mistral_common.__version__, "files": {}}
    for name, data in files.items():
        path = os.path.join(args.out, name)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=1)
            f.write("\n")
        expected["files"][name] = expected_for(path)
    with open(os.path.join(args.out, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(len(ranks), "ranks;", {n: os.path.getsize(os.path.join(args.out, n)) for n in files})
    return 0


if __name__ == "__main__":
    sys.exit(main())
