#!/usr/bin/env python3
"""Trains small tokenizer.json files of every kind with Hugging Face `tokenizers` and records
the reference ids for the C++ engine (src/tokenizer/hf/, tests/test_tokenizer_hf.cpp).

Writes, under tests/fixtures/tokenizer/:
  train_text.txt            the training text: tools/demo_corpus.py documents plus the
                            multilingual lines below (also the base of the benchmark text)
  <name>/tokenizer.json     a trained tokenizer (vocabulary of a few hundred to ~1000); trained
                            only when missing or with --retrain, because tokenizers' trainers
                            do not give the same vocabulary twice
  <name>/cases.json         for every string of CASES: the ids with and without special tokens,
                            with special-token parsing off, and the decoded text

Inputs are bytes (hex in cases.json) so that invalid UTF-8 can be tested: the reference sees
`raw.decode("utf-8", "replace")`, which is what the C++ engine does with invalid input (each
maximal invalid subsequence becomes U+FFFD).

Versions are pinned in tools/requirements.txt (tokenizers 0.23.3); rerunning the script with
them rewrites every file byte for byte (the tokenizer.json files are kept unless --retrain).

Usage: python tools/gen_tokenizer_fixtures.py [--out tests/fixtures/tokenizer]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys

# Training is only reproducible single-threaded; set before tokenizers starts its thread pool.
os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo_corpus  # noqa: E402

# Hand-written lines in several scripts (written for this project).
MULTILINGUAL = [
    "Le chat dort sur la chaise près de la fenêtre, et il rêve de poissons.",
    "Der Hund läuft schnell über die Straße und bellt laut.",
    "El niño come una manzana roja en el jardín de su abuela.",
    "Быстрая лиса прыгает через ленивую собаку каждый день.",
    "Η γάτα κοιμάται στον καναπέ όλο το απόγευμα.",
    "القطة تنام على الكرسي بجانب النافذة.",
    "बिल्ली खिड़की के पास कुर्सी पर सोती है।",
    "แมวนอนบนเก้าอี้ข้างหน้าต่าง",
    "猫は窓のそばの椅子で寝ています。",
    "我的猫喜欢在窗户旁边的椅子上睡觉。",
    "고양이가 창문 옆 의자에서 잔다.",
    "Emoji: 😀 👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 ❤️ and symbols ± × ÷ € £ ¥ ©.",
    "Code: def add(a, b):\n    return a + b  # sum\n\tif x >= 10 and y != 3: print(x)",
    "Numbers 1234567890, 3.14159, 2026-11-29, +49 30 1234 and ٣٤٥ and १२३.",
    "Ligatures and widths: ﬁnance ﬂow ＡＢＣ １２３ ｶﾀｶﾅ Å Å é é.",
]

# Strings every tokenizer is tested on (bytes; invalid UTF-8 on purpose in a few).
CASES = [
    b"", b" ", b"  ", b"\t", b"\n", b"\r\n", b"a", b"Hello world", b" Hello world", b"Hello  world ",
    b"hello   world\t\ttabs\nnew line\r\nwindows  ",
    b"Tom and Anna went to the park. They saw a little cat named Mimi!",
    b"Q: What day comes after Monday? A: Tuesday.",
    b"I'm sure you'll see it's what we've done, isn't it? We'd ALL say I'M DONE.",
    b"12345 + 678 = 13023; 3.14159 and 1,000,000 and 0x1F",
    "Le chat dort près de la fenêtre. Über 100 Straßen.".encode(),
    "Быстрая лиса и ленивая собака".encode(),
    "القطة تنام على الكرسي".encode(),
    "बिल्ली खिड़की के पास".encode(),
    "แมวนอนบนเก้าอี้".encode(),
    "猫は窓のそばで寝ています。我的猫".encode(),
    "고양이가 잔다".encode(),
    "😀 👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 ❤️".encode(),
    "ﬁnance ＡＢＣ １２３ Å é é İstanbul ΣΑΣ".encode(),
    b"def f(x):\n    return x ** 2  # square\n\n\tpass",
    b"<s>Hello</s>", b"<|begin_of_text|>Hi<|eot_id|>", b"[CLS] text [SEP] [MASK]",
    b"a <tool> b", b"a<tool>b", b"x  <tool>  y", b"mytool <tool>tool", b"The special_word here",
    b"special_word", b"nospecial_wordhere", b"<|eot_id|><|eot_id|>", b"<unk> <pad>",
    b"\xff\xfe bad bytes \xc3\x28 and \xe2\x82 end", b"trailing \xf0\x9f\x98",
    "   leading and trailing   ".encode(), b"MiXeD CaSe WoRdS", b"a" * 120, b"!!!???...,,,",
    "Ω≈ç√∫˜µ≤≥÷ ÅÍÎÏ˝ÓÔÒÚÆ☃".encode(), "\u00a0nbsp\u2003em\u3000ideo".encode(),
]

# Fragments for the seeded random strings (random_cases) that follow CASES.
FRAGMENTS = ["the", "The", " cat", "dog", " ", "  ", "\t", "\n", "\r\n", "   ", "'s", "'LL", "n't", "123", "4",
             "0.5", "!", "?", "...", ",", "-", "_", "#", "(", ")", "\"", "é", "e\u0301", "Ä", "ß", "ﬁ", "Ⅻ", "²",
             "猫", "窓", "고양이", "مرحبا", "नमस्ते", "สวัสดี", "Привет", "😀", "👍🏽", "‍", "🏳️‍🌈", "\u00a0",
             "\u3000", "<s>", "</s>", "<tool>", "[MASK]", "[CLS]", "<|eot_id|>", "special_word", "<unk>", "▁",
             "<0x41>", "Ġ", "##ing", "</w>", "İ", "Σ", "\x00", "\u200b", "\ufeff", "x" * 30]


def random_cases(n: int = 40) -> list[bytes]:
    rng = random.Random(20261129)
    out = []
    for _ in range(n):
        out.append("".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 14))).encode())
    return out


LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                  r"|\s*[\r\n]+|\s+(?!\S)|\s+")
BYTE_TOKENS = [f"<0x{b:02X}>" for b in range(256)]


def training_lines() -> list[str]:
    docs = demo_corpus.generate(seed=1234, n_chars=150_000)
    return docs + MULTILINGUAL * 8


def train_bpe(tok: Tokenizer, lines, vocab_size, **kw) -> None:
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, show_progress=False, **kw)
    tok.train_from_iterator(lines, trainer=trainer)


def with_byte_fallback(trained: Tokenizer, specials: list[str]) -> models.BPE:
    """Rebuilds a trained BPE with <0xXX> tokens in its vocabulary and byte_fallback on."""
    model = json.loads(trained.to_str())["model"]
    vocab = {}
    for t in specials + BYTE_TOKENS:
        vocab[t] = len(vocab)
    for t, _ in sorted(model["vocab"].items(), key=lambda kv: kv[1]):
        if t not in vocab:
            vocab[t] = len(vocab)
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in model["merges"]]
    return models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", fuse_unk=True, byte_fallback=True)


def gpt2_bytelevel(lines):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    train_bpe(tok, lines, 700, special_tokens=["<|endoftext|>"],
              initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tok.add_tokens([AddedToken("<tool>", lstrip=True, rstrip=True),
                    AddedToken("special_word", single_word=True, normalized=False)])
    return tok


def gpt2_prefix_space(lines):
    tok = gpt2_bytelevel(lines)
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    return tok


def llama3_split(lines):
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    train_bpe(tok, lines, 800, special_tokens=["<|begin_of_text|>", "<|eot_id|>"],
              initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.TemplateProcessing(
        single="<|begin_of_text|> $A", special_tokens=[("<|begin_of_text|>", tok.token_to_id("<|begin_of_text|>"))])
    tok.add_tokens([AddedToken("<tool>", normalized=False)])
    return tok


def sentencepiece_style(lines, legacy: bool, scheme: str, split: bool):
    trained = Tokenizer(models.BPE(unk_token="<unk>"))
    trained.pre_tokenizer = pre_tokenizers.Metaspace(prepend_scheme="always", split=True)
    train_bpe(trained, lines, 500, special_tokens=["<unk>", "<s>", "</s>"], limit_alphabet=90)
    tok = Tokenizer(with_byte_fallback(trained, ["<unk>", "<s>", "</s>"]))
    if legacy:  # the Llama 2 layout: the normalizer adds the prefix marker, no pre-tokenizer
        tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
        tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                         decoders.Strip(" ", 1, 0)])
    else:
        tok.pre_tokenizer = pre_tokenizers.Metaspace(prepend_scheme=scheme, split=split)
        tok.decoder = decoders.Sequence([decoders.ByteFallback(), decoders.Metaspace(prepend_scheme=scheme),
                                         decoders.Fuse()])
    tok.add_special_tokens([AddedToken("<unk>", normalized=False), AddedToken("<s>", normalized=False),
                            AddedToken("</s>", normalized=False)])
    tok.add_tokens([AddedToken("<tool>", normalized=False, rstrip=True)])
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 1)])
    return tok


def unigram_nfkc(lines):
    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace(prepend_scheme="always")
    trainer = trainers.UnigramTrainer(vocab_size=600, show_progress=False, special_tokens=["<unk>", "<s>", "</s>"],
                                      unk_token="<unk>", max_piece_length=12)
    tok.train_from_iterator(lines, trainer=trainer)
    tok.decoder = decoders.Metaspace(prepend_scheme="always")
    tok.post_processor = processors.TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", 1), ("</s>", 2)])
    return tok


def unigram_byte_fallback(lines):
    base = json.loads(unigram_nfkc(lines).to_str())
    vocab = base["model"]["vocab"][:3] + [[b, 0.0] for b in BYTE_TOKENS] + base["model"]["vocab"][3:]
    tok = Tokenizer(models.Unigram(vocab=[tuple(v) for v in vocab], unk_id=0, byte_fallback=True))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace(Regex(r" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(prepend_scheme="first", split=False)
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                     decoders.Strip(" ", 1, 0)])
    tok.add_special_tokens(["<s>", "</s>"])
    return tok


def wordpiece_bert(lines):
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=40))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(vocab_size=900, show_progress=False,
                                        special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    tok.train_from_iterator(lines, trainer=trainer)
    tok.decoder = decoders.WordPiece(prefix="##", cleanup=True)
    tok.post_processor = processors.BertProcessing(("[SEP]", tok.token_to_id("[SEP]")),
                                                   ("[CLS]", tok.token_to_id("[CLS]")))
    tok.add_special_tokens(["[PAD]", "[UNK]", "[CLS]", "[SEP]", AddedToken("[MASK]", lstrip=True)])
    return tok


def wordpiece_accents(lines):
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.Sequence([normalizers.NFD(), normalizers.StripAccents(), normalizers.Lowercase(),
                                           normalizers.Strip()])
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(),
                                                 pre_tokenizers.Punctuation(behavior="isolated"),
                                                 pre_tokenizers.Digits(individual_digits=True)])
    trainer = trainers.WordPieceTrainer(vocab_size=700, show_progress=False, special_tokens=["[UNK]", "[CLS]", "[SEP]"])
    tok.train_from_iterator(lines, trainer=trainer)
    tok.decoder = decoders.WordPiece(cleanup=False)
    tok.post_processor = processors.RobertaProcessing(("[SEP]", 2), ("[CLS]", 1))
    tok.add_tokens([AddedToken("special_word", normalized=True)])
    return tok


def bpe_suffix_mix(lines):
    tok = Tokenizer(models.BPE(unk_token="[UNK]", end_of_word_suffix="</w>", continuing_subword_prefix="##"))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase(),
                                           normalizers.Replace(Regex(r"\s+"), " "), normalizers.Strip(left=True, right=False)])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Whitespace(), pre_tokenizers.Digits(individual_digits=False),
        pre_tokenizers.Split("'", behavior="merged_with_next"),
        pre_tokenizers.Split(Regex(r"[.,!?]"), behavior="merged_with_previous"),
        pre_tokenizers.Split(Regex(r"[aeiou]"), behavior="contiguous", invert=True)])
    train_bpe(tok, lines, 600, special_tokens=["[UNK]"], end_of_word_suffix="</w>", continuing_subword_prefix="##",
              limit_alphabet=80)
    tok.decoder = decoders.BPEDecoder(suffix="</w>")
    return tok


def bpe_removed_split(lines):
    tok = Tokenizer(models.BPE(unk_token="[UNK]", fuse_unk=False))
    tok.normalizer = normalizers.Sequence([normalizers.NFD(), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(" ", behavior="removed"), pre_tokenizers.Split(Regex(r"\d+"), behavior="isolated"),
        pre_tokenizers.Split(Regex(r"[^\w]"), behavior="merged_with_next")])
    train_bpe(tok, lines, 500, special_tokens=["[UNK]"], limit_alphabet=60)
    tok.decoder = decoders.Sequence([decoders.Replace(Regex(r"(\w)$"), "$1 "), decoders.Fuse(),
                                     decoders.Strip(" ", 0, 1)])
    return tok


BUILDERS = {
    "gpt2_bytelevel": gpt2_bytelevel,
    "gpt2_prefix_space": gpt2_prefix_space,
    "llama3_split": llama3_split,
    "bytefallback_legacy": lambda lines: sentencepiece_style(lines, legacy=True, scheme="always", split=False),
    "bytefallback_first": lambda lines: sentencepiece_style(lines, legacy=False, scheme="first", split=False),
    "bytefallback_always": lambda lines: sentencepiece_style(lines, legacy=False, scheme="always", split=True),
    "unigram_nfkc": unigram_nfkc,
    "unigram_byte_fallback": unigram_byte_fallback,
    "wordpiece_bert": wordpiece_bert,
    "wordpiece_accents": wordpiece_accents,
    "bpe_suffix_mix": bpe_suffix_mix,
    "bpe_removed_split": bpe_removed_split,
}


def safe_decode(tok: Tokenizer, ids: list[int], skip: bool):
    """The decoded text, or None where tokenizers itself fails (its BPEDecoder panics on [])."""
    try:
        return tok.decode(ids, skip_special_tokens=skip)
    except BaseException:  # pyo3's PanicException derives from BaseException
        return None


def record(tok: Tokenizer, raw: bytes) -> dict:
    text = raw.decode("utf-8", "replace")
    tok.encode_special_tokens = False
    plain = tok.encode(text, add_special_tokens=False).ids
    special = tok.encode(text, add_special_tokens=True).ids
    tok.encode_special_tokens = True
    no_parse = tok.encode(text, add_special_tokens=False).ids
    tok.encode_special_tokens = False
    return {
        "text_hex": raw.hex(),
        "ids": plain,
        "ids_add_special": special,
        "ids_no_parse_special": no_parse,
        "decoded": safe_decode(tok, plain, True),
        "decoded_with_special": safe_decode(tok, special, False),
    }


def write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "tokenizer"))
    ap.add_argument("--retrain", action="store_true",
                    help="train the tokenizers again (tokenizers' trainers are not deterministic: their hash "
                         "maps are seeded per process); without it the committed tokenizer.json files are kept "
                         "and only cases.json is rewritten")
    args = ap.parse_args()
    lines = training_lines()
    os.makedirs(args.out, exist_ok=True)
    write(os.path.join(args.out, "train_text.txt"), "\n".join(lines) + "\n")
    for name, build in BUILDERS.items():
        d = os.path.join(args.out, name)
        path = os.path.join(d, "tokenizer.json")
        if args.retrain or not os.path.exists(path):
            tok = build(lines)
            os.makedirs(d, exist_ok=True)
            write(path, tok.to_str(pretty=False) + "\n")
        tok = Tokenizer.from_file(path)
        cases = [record(tok, raw) for raw in CASES + random_cases()]
        body = ",\n".join(json.dumps(c, ensure_ascii=False) for c in cases)
        write(os.path.join(d, "cases.json"), "[\n" + body + "\n]\n")
        print(f"{name}: vocab {tok.get_vocab_size()}, {len(cases)} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
