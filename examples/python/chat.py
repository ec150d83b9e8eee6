#!/usr/bin/env python3
"""Streams completions from a model through the ctypes binding (mistralrs.py).

    python3 chat.py [MODEL] [-p PROMPT] [-n MAX_TOKENS] [-t THREADS] [--temperature T] [--seed S]

Without -p, each line read from stdin is a prompt. The library is found through
$MISTRALRS_LIBRARY or the system's library path.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mistralrs  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_MODEL = os.path.join(REPO_ROOT, "examples", "models", "demo-q8_0.gguf")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", nargs="?", default=DEFAULT_MODEL)
    ap.add_argument("-p", "--prompt")
    ap.add_argument("-n", "--max-tokens", type=int, default=128)
    ap.add_argument("-t", "--threads", type=int, default=0)
    ap.add_argument("--temperature", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--library", default=None, help="path of libmistralrs (default: $MISTRALRS_LIBRARY)")
    args = ap.parse_args(argv)

    lib = mistralrs.load(args.library)
    try:
        with mistralrs.Runtime(threads=args.threads, lib=lib) as rt, \
                mistralrs.Model(rt, args.model) as model:
            prompts = [args.prompt] if args.prompt is not None else (l.rstrip("\n") for l in sys.stdin)
            for prompt in prompts:
                if not prompt:
                    continue
                # A fresh session per prompt: each line is its own completion.
                with mistralrs.Session(model) as session:
                    sys.stdout.write(prompt)
                    sys.stdout.flush()

                    def on_text(text):
                        sys.stdout.write(text)
                        sys.stdout.flush()

                    _, reason = session.generate(model.tokenize(prompt), max_tokens=args.max_tokens,
                                                 temperature=args.temperature, seed=args.seed,
                                                 on_text=on_text)
                    sys.stdout.write("\n[%s]\n" % mistralrs.FINISH_REASONS.get(reason, reason))
                    sys.stdout.flush()
    except mistralrs.MistralrsError as e:
        print("error: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
