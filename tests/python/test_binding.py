"""Tests of the ctypes binding examples/python/mistralrs.py (stdlib unittest only).

Environment: MISTRALRS_LIBRARY (path of the shared library), MISTRALRS_DEMO_MODEL (path of
examples/models/demo-q8_0.gguf); ctest sets both. Without them the defaults below are tried.
"""
import ctypes
import os
import re
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO_ROOT, "examples", "python"))

import mistralrs  # noqa: E402

MODEL_PATH = os.environ.get("MISTRALRS_DEMO_MODEL",
                            os.path.join(REPO_ROOT, "examples", "models", "demo-q8_0.gguf"))
THREADS = 2


def setUpModule():
    global LIB
    LIB = mistralrs.load(os.environ.get("MISTRALRS_LIBRARY"))


class VersionTest(unittest.TestCase):
    def test_version_matches_header_macros(self):
        with open(os.path.join(REPO_ROOT, "include", "mistralrs.h")) as f:
            header = f.read()
        nums = []
        for part in ("MAJOR", "MINOR", "PATCH"):
            m = re.search(r"#define MISTRALRS_API_VERSION_%s (\d+)" % part, header)
            self.assertIsNotNone(m, part)
            nums.append(int(m.group(1)))
        self.assertEqual(LIB.version(), "%d.%d.%d" % tuple(nums))
        self.assertEqual(LIB.version_numbers(), tuple(nums))
        self.assertEqual((mistralrs.MISTRALRS_API_VERSION_MAJOR, mistralrs.MISTRALRS_API_VERSION_MINOR,
                          mistralrs.MISTRALRS_API_VERSION_PATCH), tuple(nums))

    def test_every_exported_symbol_is_bound(self):
        with open(os.path.join(REPO_ROOT, "tests", "abi", "exported_symbols.txt")) as f:
            names = [l.strip() for l in f if l.strip() and not l.startswith("#")]
        self.assertTrue(names)
        for name in names:
            fn = getattr(LIB, name, None)
            self.assertIsNotNone(fn, name)
            self.assertIsNotNone(fn.argtypes, name)

    def test_status_string(self):
        self.assertEqual(LIB.status_string(mistralrs.MISTRALRS_OK), "ok")
        self.assertTrue(LIB.status_string(mistralrs.MISTRALRS_ERR_CANCELLED))


class LogRoutingTest(unittest.TestCase):
    def test_user_data_routes_each_runtime_to_its_own_object(self):
        class Collector:
            def __init__(self):
                self.messages = []
                self.lock = threading.Lock()

            def __call__(self, level, message):
                with self.lock:
                    self.messages.append((level, message))

        a, b = Collector(), Collector()
        with mistralrs.Runtime(threads=1, log=a, lib=LIB) as ra, \
                mistralrs.Runtime(threads=2, log=b, lib=LIB) as rb:
            with mistralrs.Model(rb, MODEL_PATH):
                pass
            self.assertEqual(ra.threads, 1)
            self.assertEqual(rb.threads, 2)
        a_text = [m for _, m in a.messages]
        b_text = [m for _, m in b.messages]
        self.assertTrue(any("1 CPU thread" in m for m in a_text), a_text)
        self.assertFalse(any("2 CPU thread" in m for m in a_text), a_text)
        self.assertTrue(any("2 CPU thread" in m for m in b_text), b_text)
        self.assertFalse(any("1 CPU thread" in m for m in b_text), b_text)
        # Only the runtime that loaded the model hears about it.
        self.assertTrue(any("demo-q8_0.gguf" in m for m in b_text), b_text)
        self.assertFalse(any("demo-q8_0.gguf" in m for m in a_text), a_text)
        for level, _ in a.messages + b.messages:
            self.assertGreaterEqual(level, mistralrs.MISTRALRS_LOG_INFO)


class ModelTestBase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.runtime = mistralrs.Runtime(threads=THREADS, lib=LIB)
        cls.model = mistralrs.Model(cls.runtime, MODEL_PATH)

    @classmethod
    def tearDownClass(cls):
        cls.model.close()
        cls.runtime.close()


class ModelTest(ModelTestBase):
    def test_properties(self):
        self.assertGreater(self.model.vocab_size, 0)
        self.assertGreater(self.model.context_length, 0)

    def test_tokenize_detokenize_round_trip(self):
        ids = self.model.tokenize("The little cat")
        self.assertTrue(ids)
        self.assertTrue(all(isinstance(i, int) and 0 <= i < self.model.vocab_size for i in ids))
        self.assertEqual(self.model.detokenize(ids), "The little cat")
        plain = self.model.tokenize("The little cat", add_special=False)
        self.assertLessEqual(len(plain), len(ids))
        self.assertEqual(self.model.detokenize(plain), "The little cat")

    def test_greedy_generation(self):
        streamed = []
        with mistralrs.Session(self.model) as s:
            text, reason = s.generate(self.model.tokenize("The little cat"), max_tokens=100,
                                      temperature=0.0, on_text=streamed.append)
            stats = s.generation_stats()
        self.assertTrue(text.startswith(" sat"), repr(text))
        self.assertEqual(reason, mistralrs.MISTRALRS_FINISH_EOS)
        self.assertEqual("".join(streamed), text)
        self.assertGreater(stats["generated_tokens"], 0)

    def test_stop_string_and_callback_stop(self):
        with mistralrs.Session(self.model) as s:
            text, reason = s.generate(self.model.tokenize("The little cat"), max_tokens=100, stop=["bed"])
            self.assertEqual(reason, mistralrs.MISTRALRS_FINISH_STOP_STRING)
            self.assertNotIn("bed", text)
            s.reset()
            text, reason = s.generate(self.model.tokenize("The little cat"), max_tokens=100,
                                      on_text=lambda t: True)
            self.assertEqual(reason, mistralrs.MISTRALRS_FINISH_CALLBACK)

    def test_generate_options_with_several_setters(self):
        lib = LIB
        opts = mistralrs.GenerateOptions(lib)
        lib.check(lib.mistralrs_generate_options_set_max_tokens(opts.handle, 12))
        lib.check(lib.mistralrs_generate_options_set_temperature(opts.handle, 0.8))
        lib.check(lib.mistralrs_generate_options_set_top_k(opts.handle, 40))
        lib.check(lib.mistralrs_generate_options_set_top_p(opts.handle, 0.95))
        lib.check(lib.mistralrs_generate_options_set_seed(opts.handle, 1234))
        lib.check(lib.mistralrs_generate_options_set_ignore_eos(opts.handle, 1))
        lib.check(lib.mistralrs_generate_options_add_stop_string(opts.handle, b"@@never@@"))
        prompt = self.model.tokenize("The little cat")
        with opts, mistralrs.Session(self.model) as s:
            text1, reason = s.generate(prompt, options=opts)
            self.assertEqual(reason, mistralrs.MISTRALRS_FINISH_MAX_TOKENS)
            self.assertEqual(s.generation_stats()["generated_tokens"], 12)
            s.reset()
            text2, _ = s.generate(prompt, options=opts)
            self.assertEqual(text1, text2)  # same seed, same text
            # A sampler chain replaces the simple settings: greedy again.
            params = lib.mistralrs_sampler_params_create()
            self.assertTrue(params)
            try:
                lib.check(lib.mistralrs_sampler_params_set_greedy(params, 1))
                lib.check(lib.mistralrs_sampler_params_set_top_k(params, 40))
                lib.check(lib.mistralrs_generate_options_set_sampler(opts.handle, params))
            finally:
                lib.mistralrs_sampler_params_free(params)
            s.reset()
            text3, _ = s.generate(prompt, options=opts)
            self.assertTrue(text3.startswith(" sat"), repr(text3))


class ErrorTest(ModelTestBase):
    def test_missing_model_path_in_message(self):
        path = os.path.join(REPO_ROOT, "no-such-dir", "missing-model.gguf")
        with self.assertRaises(mistralrs.MistralrsError) as cm:
            mistralrs.Model(self.runtime, path)
        self.assertNotEqual(cm.exception.status, mistralrs.MISTRALRS_OK)
        self.assertIn(path, cm.exception.message)
        self.assertIn(path, str(cm.exception))

    def test_close_twice_and_use_after_close(self):
        rt = mistralrs.Runtime(threads=1, lib=LIB)
        model = mistralrs.Model(rt, MODEL_PATH)
        s = mistralrs.Session(model)
        s.close()
        s.close()
        with self.assertRaises(mistralrs.MistralrsError):
            s.eval([1])
        with self.assertRaises(mistralrs.MistralrsError):
            s.cancel()
        s2 = mistralrs.Session(model)
        rt.close()  # closes the model and its sessions first
        rt.close()
        model.close()
        s2.close()
        with self.assertRaises(mistralrs.MistralrsError):
            model.tokenize("x")
        with self.assertRaises(mistralrs.MistralrsError):
            mistralrs.Session(model)
        with self.assertRaises(mistralrs.MistralrsError):
            mistralrs.Model(rt, MODEL_PATH)

    def test_null_handles_raise(self):
        lib = LIB
        with self.assertRaises(mistralrs.MistralrsError) as cm:
            lib.check(lib.mistralrs_session_eval(None, None, 0, None))
        self.assertEqual(cm.exception.status, mistralrs.MISTRALRS_ERR_INVALID_ARGUMENT)
        with self.assertRaises(mistralrs.MistralrsError):
            lib.check(lib.mistralrs_session_cancel(None))
        with self.assertRaises(mistralrs.MistralrsError):
            lib.check(lib.mistralrs_model_vocab_size(None))
        with self.assertRaises(mistralrs.MistralrsError):
            lib.check(lib.mistralrs_model_load(None, b"x", None, None))
        self.assertFalse(lib.mistralrs_model_tokenizer(None))
        # Every free accepts NULL.
        for name in ("runtime", "model", "session", "generate_options", "session_options",
                     "model_options", "runtime_options", "sampler", "sampler_params"):
            getattr(lib, "mistralrs_%s_free" % name)(None)
        lib.mistralrs_string_free(None)

    def test_bad_arguments_raise(self):
        with mistralrs.Session(self.model) as s:
            with self.assertRaises(mistralrs.MistralrsError):
                s.eval([self.model.vocab_size + 5])
            self.assertEqual(s.n_past, 0)
        with self.assertRaises(mistralrs.MistralrsError):
            mistralrs.Session(self.model, context_length=-3)

    def test_exception_in_callback_propagates(self):
        def boom(text):
            raise ValueError("boom")
        with mistralrs.Session(self.model) as s:
            with self.assertRaises(ValueError):
                s.generate(self.model.tokenize("The little cat"), max_tokens=10, on_text=boom)


class CancelTest(ModelTestBase):
    def test_cancel_long_prefill_from_another_thread(self):
        ids = self.model.tokenize("The little cat sat on the soft bed. It was sleepy.")
        tokens = (ids * (250 // len(ids) + 1))[:250]
        session = mistralrs.Session(self.model, context_length=256, prefill_chunk=1)
        cond = threading.Condition()
        state = {"ok_evals": 0, "done": False, "t_return": None, "error": None, "n_past": None,
                 "started": False}

        def worker():
            try:
                with cond:
                    state["started"] = True
                    cond.notify_all()
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:
                    session.reset()
                    try:
                        session.eval(tokens)
                    except mistralrs.MistralrsError as e:
                        t = time.monotonic()
                        with cond:
                            state["t_return"] = t
                            state["error"] = e
                            state["n_past"] = session.n_past
                            state["done"] = True
                            cond.notify_all()
                        return
                    with cond:
                        state["ok_evals"] += 1
                        cond.notify_all()
            finally:
                with cond:
                    state["done"] = True
                    cond.notify_all()

        th = threading.Thread(target=worker, daemon=True)
        th.start()
        try:
            with cond:
                cond.wait_for(lambda: state["started"], timeout=30)
            time.sleep(0.005)
            t_cancel = None
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with cond:
                    if state["done"]:
                        break
                    before = state["ok_evals"]
                t_cancel = time.monotonic()
                session.cancel()
                with cond:
                    # Either the cancel lands (done), or it fell between two evals or after
                    # the last check of one (another eval completes): then cancel again.
                    cond.wait_for(lambda: state["done"] or state["ok_evals"] > before + 1, timeout=30)
                    if state["done"]:
                        break
            th.join(30)
            self.assertFalse(th.is_alive())
            self.assertIsNotNone(state["error"], "the cancel never landed")
            self.assertEqual(state["error"].status, mistralrs.MISTRALRS_ERR_CANCELLED, state["error"])
            self.assertEqual(state["n_past"], 0)  # nothing appended
            latency = state["t_return"] - t_cancel
            sys.stderr.write("\ncancel latency: %.2f ms after %d complete evals\n"
                             % (latency * 1e3, state["ok_evals"]))
            self.assertGreaterEqual(latency, 0.0)
            self.assertLess(latency, 0.1)
            # The session still works after a cancel.
            session.reset()
            session.eval(tokens[:10])
            self.assertEqual(session.n_past, 10)
        finally:
            session.cancel()
            th.join(30)
            session.close()


if __name__ == "__main__":
    unittest.main()
