"""Tokenizers and chat templates through the ctypes binding. Oracles: the ids Hugging Face
tokenizers recorded in tests/fixtures/tokenizer/gpt2_bytelevel/cases.json, and templates whose
output is derived by hand.

Environment as in test_binding.py (MISTRALRS_LIBRARY).
"""
import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO_ROOT, "examples", "python"))

import mistralrs  # noqa: E402

FIXTURE = os.path.join(REPO_ROOT, "tests", "fixtures", "tokenizer", "gpt2_bytelevel")


class TokenizerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lib = mistralrs.load(os.environ.get("MISTRALRS_LIBRARY"))

    def test_reference_ids_and_round_trip(self):
        with open(os.path.join(FIXTURE, "cases.json"), encoding="utf-8") as f:
            cases = json.load(f)
        with mistralrs.Tokenizer(os.path.join(FIXTURE, "tokenizer.json"), lib=self.lib) as tok:
            for case in cases:
                text = bytes.fromhex(case["text_hex"])
                self.assertEqual(tok.tokenize(text, add_special=False, parse_special=True), case["ids"])
                if isinstance(case["decoded"], str):
                    self.assertEqual(tok.detokenize(case["ids"]), case["decoded"])

    def test_from_memory_equals_from_file(self):
        path = os.path.join(FIXTURE, "tokenizer.json")
        with open(path, "rb") as f:
            data = f.read()
        template = "{% for m in messages %}{{ m.content }};{% endfor %}"
        with mistralrs.Tokenizer(path, lib=self.lib) as a, \
                mistralrs.Tokenizer(data=data, config={"chat_template": template}, lib=self.lib) as b:
            for text in ("Hello, world!", "caf\u00e9 \U0001F469\u200D\U0001F4BB\r\n\t42"):
                self.assertEqual(a.tokenize(text), b.tokenize(text))
            self.assertEqual(b.apply_chat_template([{"role": "user", "content": "x"}, {"role": "a", "content": "y"}]),
                             "x;y;")
        with self.assertRaises(mistralrs.MistralrsError):
            mistralrs.Tokenizer(data=data[:100], lib=self.lib)

    def test_errors_and_close(self):
        with self.assertRaises(mistralrs.MistralrsError) as err:
            mistralrs.Tokenizer(os.path.join(FIXTURE, "missing.json"), lib=self.lib)
        self.assertIn("missing.json", str(err.exception))
        tok = mistralrs.Tokenizer(os.path.join(FIXTURE, "tokenizer.json"), lib=self.lib)
        with self.assertRaises(mistralrs.MistralrsError):
            tok.apply_chat_template([{"role": "user", "content": "hi"}])  # no template here
        tok.close()
        tok.close()
        with self.assertRaises(Exception):
            tok.tokenize("x")

    def test_render_chat_template(self):
        template = ("{% for m in messages %}{{ m.role | upper }}: {{ m.content }}\n{% endfor %}"
                    "{{ strftime_now('%d %b %Y') }}")
        context = {"messages": [{"role": "user", "content": "héllo"}]}
        # 1795694400 is 2026-11-26 12:00:00 UTC.
        self.assertEqual(mistralrs.render_chat_template(template, context, now=1795694400, lib=self.lib),
                         "USER: héllo\n26 Nov 2026")
        with self.assertRaises(mistralrs.MistralrsError) as err:
            mistralrs.render_chat_template("{{ raise_exception('bad role') }}", {}, lib=self.lib)
        self.assertIn("bad role", str(err.exception))


if __name__ == "__main__":
    unittest.main()
