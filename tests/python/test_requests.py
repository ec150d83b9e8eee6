"""Background requests (poll, wait, callbacks, cancel) and loading from memory or a stream
through the ctypes binding, on the demo model. The oracle is the binding's synchronous
Session.generate on the same model, itself checked against the C tests' references.

Environment as in test_binding.py (MISTRALRS_LIBRARY, MISTRALRS_DEMO_MODEL).
"""
import io
import os
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
PROMPT = "The little cat"


def setUpModule():
    global LIB, RUNTIME, MODEL, EXPECTED
    LIB = mistralrs.load(os.environ.get("MISTRALRS_LIBRARY"))
    RUNTIME = mistralrs.Runtime(threads=2, lib=LIB)
    MODEL = mistralrs.Model(RUNTIME, MODEL_PATH)
    with mistralrs.Session(MODEL) as s:
        EXPECTED = s.generate(MODEL.tokenize(PROMPT), max_tokens=40, temperature=0.0)


def tearDownModule():
    MODEL.close()
    RUNTIME.close()


class PollTest(unittest.TestCase):
    def test_poll_from_a_frame_loop_gives_the_synchronous_text(self):
        pieces, last, frames = [], None, 0
        with mistralrs.Session(MODEL) as s:
            r = mistralrs.Request(s, MODEL.tokenize(PROMPT), max_tokens=40, temperature=0.0)
            deadline = time.monotonic() + 60
            while last is None and time.monotonic() < deadline:
                ev = r.poll()
                while ev is not None:  # drain what is queued, never block
                    if ev.last:
                        last = ev
                        break
                    self.assertEqual(ev.kind, "token")
                    pieces.append(ev.text)
                    ev = r.poll()
                frames += 1
                time.sleep(1 / 60)
            self.assertIsNotNone(last, "no last event within 60 s")
            self.assertEqual(last.kind, "finish")
            self.assertEqual(("".join(pieces), last.finish_reason), EXPECTED)
            self.assertIsNone(r.poll())
            self.assertIsNone(r.wait(timeout=5))  # returns at once after the last event
            r.close()
            self.assertGreater(s.n_past, 0)

    def test_text_prompt_and_wait(self):
        with mistralrs.Session(MODEL) as s, \
                mistralrs.Request(s, PROMPT, max_tokens=40, temperature=0.0) as r:
            self.assertEqual(r.result(), EXPECTED)

    def test_an_old_options_handle_works_with_the_new_request_setters(self):
        # A GenerateOptions handle configured only with setters that predate requests
        # (the way an older program would) is copied by request_options_set_generate_options.
        opts = mistralrs.GenerateOptions(LIB, max_tokens=12, stop=["bed"])
        with mistralrs.Session(MODEL) as a, mistralrs.Session(MODEL) as b:
            sync = a.generate(MODEL.tokenize(PROMPT), options=opts)
            with mistralrs.Request(b, MODEL.tokenize(PROMPT), options=opts) as r:
                self.assertEqual(r.result(), sync)
        opts.close()


class CallbackAndCancelTest(unittest.TestCase):
    def test_callback_cancels_its_own_request(self):
        seen = []
        holder = {}
        ready = threading.Event()

        def on_token(token, text):
            ready.wait(10)
            seen.append(token)
            if len(seen) == 3:
                holder["r"].cancel()  # from the worker thread, inside the callback
            return False

        with mistralrs.Session(MODEL) as s:
            r = mistralrs.Request(s, MODEL.tokenize(PROMPT), max_tokens=40, on_token=on_token)
            holder["r"] = r
            ready.set()
            text, reason = r.result()
            self.assertEqual(reason, mistralrs.MISTRALRS_FINISH_CANCELLED)
            self.assertEqual(len(seen), 3)
            r.close()

    def test_busy_session_and_cancel_from_this_thread(self):
        release = threading.Event()

        def on_token(token, text):
            release.wait(10)
            return False

        with mistralrs.Session(MODEL) as s:
            r = mistralrs.Request(s, MODEL.tokenize(PROMPT), max_tokens=40, on_token=on_token)
            with self.assertRaises(mistralrs.MistralrsError) as cm:
                s.eval([1])
            self.assertIn("busy", cm.exception.message)
            r.cancel()
            release.set()
            self.assertEqual(r.result()[1], mistralrs.MISTRALRS_FINISH_CANCELLED)
            r.close()
            s.eval([1])  # idle again

    def test_error_event_carries_status_and_message(self):
        with mistralrs.Session(MODEL, context_length=8) as s, \
                mistralrs.Request(s, list(range(3, 20)), max_tokens=4) as r:
            with self.assertRaises(mistralrs.MistralrsError) as cm:
                r.result()
            self.assertEqual(cm.exception.status, mistralrs.MISTRALRS_ERR_INVALID_ARGUMENT)
            self.assertIn("context length", cm.exception.message)

    def test_closing_the_session_first_frees_a_running_request(self):
        s = mistralrs.Session(MODEL)
        r = mistralrs.Request(s, MODEL.tokenize(PROMPT), max_tokens=100000, temperature=0.8)
        s.close()  # closes (cancels and joins) the request first
        with self.assertRaises(mistralrs.MistralrsError):
            r.poll()


class LoadFromMemoryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(MODEL_PATH, "rb") as f:
            cls.data = f.read()

    def generate_with(self, model):
        with mistralrs.Session(model) as s:
            return s.generate(model.tokenize(PROMPT), max_tokens=40, temperature=0.0)

    def test_bytes_and_streams_give_the_same_model(self):
        with mistralrs.Model(RUNTIME, data=self.data) as m:
            self.assertEqual(self.generate_with(m), EXPECTED)
        with mistralrs.Model(RUNTIME, stream=io.BytesIO(self.data)) as m:
            self.assertEqual(self.generate_with(m), EXPECTED)

        class NoSeek:  # a pipe-like stream: read only
            def __init__(self, data):
                self.f = io.BytesIO(data)

            def read(self, n):
                return self.f.read(min(n, 4096))

        with mistralrs.Model(RUNTIME, stream=NoSeek(self.data)) as m:
            self.assertEqual(self.generate_with(m), EXPECTED)

    def test_truncated_bytes_and_failing_streams_raise(self):
        for n in (1, 8, 100, len(self.data) // 2, len(self.data) - 1):
            with self.assertRaises(mistralrs.MistralrsError):
                mistralrs.Model(RUNTIME, data=self.data[:n])

        class Failing(io.BytesIO):
            def read(self, n=-1):
                if self.tell() > 1000:
                    raise OSError("disk gone")
                return super().read(min(n, 512))

        with self.assertRaises(mistralrs.MistralrsError) as cm:
            mistralrs.Model(RUNTIME, stream=Failing(self.data))
        self.assertEqual(cm.exception.status, mistralrs.MISTRALRS_ERR_IO)
        self.assertIn("read callback failed", cm.exception.message)


if __name__ == "__main__":
    unittest.main()
