#!/usr/bin/env python3
"""Encode throughput of Hugging Face tokenizers (the reference for bench/bench_tokenizer.cpp),
single-threaded, on the same text and tokenizer.json files.

The text is tests/fixtures/tokenizer/train_text.txt repeated in whole copies until it reaches
1,000,000 bytes (the rule bench_tokenizer.cpp uses). Two granularities: the whole text in one
encode call, and one encode call per line (a Python loop; encode_batch would go through the
same Rust code but its parallelism is switched off here). Reports the best of --repeats runs
in MB/s (10^6 bytes per CPU second); it only times (tests/test_tokenizer_hf.cpp checks the ids).

Usage: python tools/bench_hf_tokenizers.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ["RAYON_NUM_THREADS"] = "1"  # set before tokenizers starts its thread pool
os.environ["TOKENIZERS_PARALLELISM"] = "false"

from tokenizers import Tokenizer  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "tokenizer")
TARGET_BYTES = 1_000_000
NAMES = ["gpt2_bytelevel", "llama3_split", "bytefallback_always"]


def bench_text() -> bytes:
    with open(os.path.join(ROOT, "train_text.txt"), "rb") as f:
        once = f.read()
    out = b""
    while len(out) < TARGET_BYTES:
        out += once
    return out


def best_time(fn, repeats: int) -> float:
    """Best CPU time (process_time: the machine may be shared, and Google Benchmark's
    bytes_per_second in bench_tokenizer.cpp is per CPU second too)."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    raw = bench_text()
    text = raw.decode("utf-8")
    lines = text.splitlines(keepends=True)
    print(f"text: {len(raw)} bytes, {len(lines)} lines")
    for name in NAMES:
        tok = Tokenizer.from_file(os.path.join(ROOT, name, "tokenizer.json"))
        n = len(tok.encode(text, add_special_tokens=False).ids)
        whole = best_time(lambda: tok.encode(text, add_special_tokens=False), args.repeats)
        per_line = best_time(lambda: [tok.encode(line, add_special_tokens=False) for line in lines], args.repeats)
        print(f"{name}: {n} tokens; whole text {len(raw) / whole / 1e6:.2f} MB/s; "
              f"per line {len(raw) / per_line / 1e6:.2f} MB/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
