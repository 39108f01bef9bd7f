"""The shipped embedder's first embedding of 1,500 distinct texts, MiniLM run by numpy or by onnxruntime.

    .venv/bin/python benchmarks/embedding.py --runtime onnx           # the graph cached by `make deps`
    .venv/bin/python benchmarks/embedding.py --runtime onnx --cold    # converted now, in a fresh folder
    .venv/bin/python benchmarks/embedding.py --runtime numpy          # the numpy transformer (before)

    farm-bench -n 5 --timeout 900 --vs '.venv/bin/python benchmarks/embedding.py --runtime numpy' \\
        -- .venv/bin/python benchmarks/embedding.py --runtime onnx     (docs/benchmarks.md)

One process: load both models (MiniLM as asked, USE multilingual as shipped), embed the 1,500 distinct
pain/opportunity texts of benchmarks/backlog.py's synthetic discovery (nothing cached: the first
aggregation of a 20-workshop discovery), then embed them again (warm) and MiniLM's part alone.
Prints one JSON line: seconds wall and CPU of each step.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.backlog import synthetic  # noqa: E402
from workshop.aggregation import embedding  # noqa: E402


def texts(count: int = 1500) -> list[str]:
    frame = synthetic(60, seed=7)
    return list(dict.fromkeys(frame.loc[frame["kind"].isin(["pain", "opportunity"]), "text"]))[:count]


def _timed(step):
    start, cpu = time.perf_counter(), time.process_time()
    result = step()
    return result, round(time.perf_counter() - start, 2), round(time.process_time() - cpu, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runtime", choices=("onnx", "numpy"), default="onnx")
    parser.add_argument("--cold", action="store_true", help="onnx: convert the graph now, into a fresh folder")
    parser.add_argument("--threads", type=int, default=None, help="onnx: intra-op threads (default: the app's)")
    parser.add_argument("--texts", type=int, default=1500)
    args = parser.parse_args()
    sample = texts(args.texts)
    cold = tempfile.TemporaryDirectory(prefix="storming-onnx-")  # removed at exit (90 MB)
    folder = embedding._minilm_folder()

    def load():
        if args.runtime == "numpy":
            minilm = embedding.BertSentenceEncoder(folder)
        else:
            cache = Path(cold.name) if args.cold else None
            minilm = embedding.OnnxBertEncoder(folder, cache_dir=cache, threads=args.threads)
        use = embedding.OnnxStringEncoder(embedding._default_model_path())
        return minilm, embedding.Embedder(embedding.DEFAULT_MODEL_ID, [minilm, use])

    (minilm, embedder), load_s, load_cpu = _timed(load)
    _, first_s, first_cpu = _timed(lambda: embedder.embed(sample))
    _, warm_s, warm_cpu = _timed(lambda: embedder.embed(sample))
    _, minilm_s, minilm_cpu = _timed(lambda: minilm([embedding.clean_text(t) for t in sample]))
    print(json.dumps({"runtime": args.runtime, "cold": args.cold, "texts": len(sample),
                      "converted": bool(getattr(minilm, "converted", False)),
                      "load_s": load_s, "load_cpu": load_cpu, "first_s": first_s, "first_cpu": first_cpu,
                      "load_and_first_s": round(load_s + first_s, 2), "warm_s": warm_s, "warm_cpu": warm_cpu,
                      "minilm_warm_s": minilm_s, "minilm_warm_cpu": minilm_cpu}))


if __name__ == "__main__":
    main()
