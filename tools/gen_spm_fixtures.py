#!/usr/bin/env python3
"""Generates tests/fixtures/tokenizer/spm/: two tiny SentencePiece models and their reference ids.

Both are trained with the pinned `sentencepiece` on text this repository ships: the demo corpus
(tools/demo_corpus.py, seeded) plus the multilingual lines below. `bpe.model` is a BPE model
with byte fallback, identity normalization, split digits, one user-defined symbol and one extra
control symbol; `unigram.model` is a unigram model with the default nmt_nfkc normalization and
no byte fallback (unknown characters become <unk>). `expected.json` records, for every string
in HARD_STRINGS, the ids python sentencepiece gives (`encode(text)`, no BOS/EOS) and its
`decode` of them. tests/test_tokenizer_sentencepiece.cpp checks the C++ side against it.

The script is deterministic (single-threaded training, fixed seeds): a rerun gives
byte-identical files. Usage: /path/to/venv/bin/python tools/gen_spm_fixtures.py [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import sentencepiece as spm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo_corpus  # noqa: E402

# Lines in other scripts, so that the models have pieces beyond ASCII. Written for this file.
MULTILINGUAL = [
    "Der Hund läuft über die Straße und die Äpfel fallen vom Baum.",
    "Le chat noir dort près de la fenêtre, où il fait chaud.",
    "Собака бежит по улице, а кошка спит на окне.",
    "Ο σκύλος τρέχει στον δρόμο και η γάτα κοιμάται.",
    "犬が道を走り、猫は窓のそばで寝ています。",
    "狗在街上跑，猫在窗边睡觉。",
    "개가 길을 달리고 고양이는 창가에서 잠을 잔다.",
    "الكلب يجري في الشارع والقطة نائمة عند النافذة.",
    "कुत्ता सड़क पर दौड़ता है और बिल्ली खिड़की के पास सोती है।",
    "def add(a, b):\n    return a + b  # sum of two numbers\n",
    "for (int i = 0; i < 10; ++i) { total += values[i]; }",
    "Tiếng Việt có nhiều dấu: Cửa Việt, người, được.",
]

# Strings the tokenizer tests encode. Both generators use this list.
HARD_STRINGS = [
    "",
    " ",
    "  ",
    "Hello world",
    " Hello world",
    "Hello  world",
    "Tom has a red ball. He gives the ball to Anna.",
    "Q: What colour is the sky? A: The sky is blue.",
    "1 2 3 12 123 1234 3.14159 1,000,000",
    "Äpfel über Straße",
    "нещо на Български",
    "Ο σκύλος τρέχει",
    "犬が道を走り、猫は窓",
    "狗在街上跑",
    "개가 길을 달리고",
    "الكلب يجري في الشارع",
    "कुत्ता सड़क पर दौड़ता है",
    "កាន់តែពិសេសអាចខលចេញ",
    "🚀 (normal) 😶‍🌫️ (multiple emojis concatenated) ✅",
    "👩‍👩‍👧‍👦 family, 👍🏽 thumbs, 🇫🇷 flag",
    "tabs\tand\nnewlines\r\nand CRLF\r\n",
    "   leading and trailing spaces   ",
    "\n\n\n",
    "\t\t x",
    "def add(a, b):\n    return a + b\n",
    "for (int i = 0; i < n; ++i) { x[i] = y[i] * 2; }",
    "<s>Hello</s> world",
    "[INST] Hi [/INST]",
    "<|im_start|>user\nHi<|im_end|>",
    "Hello, y'all! How are you 😁 ?我想在apple工作1314151天～",
    "''''''```````\"\"\"\"......!!!!!!??????",
    "I've been 'told he's there, 'RE you sure? 'M not sure I'll make it",
    "ＦＵＬＬＷＩＤＴＨ ｔｅｘｔ and ligature ﬁ and ① ² ½",
    "e\u0301 vs \u00e9 (combining accent vs precomposed)",
    "zero\u200bwidth\u200cjoiner\u200d and nbsp\u00a0here",
    "\u0000 nul and \u007f del",
    "x" * 300,
]


def train(corpus_path: str, prefix: str, **kwargs) -> None:
    spm.SentencePieceTrainer.train(
        input=corpus_path, model_prefix=prefix, num_threads=1, seed_sentencepiece_size=100000,
        shuffle_input_sentence=False, input_sentence_size=0, character_coverage=1.0,
        minloglevel=2, **kwargs)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join("tests", "fixtures", "tokenizer", "spm"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    corpus = demo_corpus.generate(seed=1234, n_chars=120_000) + MULTILINGUAL * 20
    corpus_path = os.path.join(args.out, "corpus.tmp.txt")
    with open(corpus_path, "w", encoding="utf-8") as f:
        f.write("\n".join(line.replace("\n", " ") for line in corpus) + "\n")
    try:
        train(corpus_path, os.path.join(args.out, "bpe"), model_type="bpe", vocab_size=600,
              byte_fallback=True, split_digits=True, normalization_rule_name="identity",
              user_defined_symbols=["<|im_start|>"], control_symbols=["<ctrl>"])
        train(corpus_path, os.path.join(args.out, "unigram"), model_type="unigram", vocab_size=500)
    finally:
        os.remove(corpus_path)
    expected = {"sentencepiece_version": spm.__version__, "models": {}}
    for name in ("bpe", "unigram"):
        os.remove(os.path.join(args.out, name + ".vocab"))
        sp = spm.SentencePieceProcessor(model_file=os.path.join(args.out, name + ".model"))
        cases = []
        for text in HARD_STRINGS:
            ids = sp.encode(text)
            cases.append({"text": text, "ids": ids, "decoded": sp.decode(ids)})
        expected["models"][name] = {
            "vocab_size": sp.get_piece_size(), "bos_id": sp.bos_id(), "eos_id": sp.eos_id(),
            "unk_id": sp.unk_id(), "cases": cases}
    with open(os.path.join(args.out, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1)
        f.write("\n")
    for name in ("bpe", "unigram"):
        print(name, os.path.getsize(os.path.join(args.out, name + ".model")), "bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
