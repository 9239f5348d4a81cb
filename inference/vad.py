"""Voice activity detection with the Silero VAD ONNX model: speech probabilities and spans."""

import logging
import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from inference.errors import InvalidSettingError
from inference.manifest import require_model

log = logging.getLogger(__name__)

VAD_MODEL = "silero-vad"
SAMPLE_RATE_HZ = 16000
WINDOW_SAMPLES = 512  # 32 ms: the only window Silero accepts at 16 kHz
CONTEXT_SAMPLES = 64  # the tail of the previous window the model sees with each new one
STATE_SHAPE = (2, 1, 128)


@dataclass(frozen=True)
class VadOptions:
    """How probabilities become speech spans.

    threshold: a window is speech when its probability reaches this (0-1).
    min_speech_s: shorter bursts are dropped (clicks, breaths).
    min_silence_s: a pause must last this long to end a span.
    pad_s: each span is widened by this much on both sides so word edges are kept.
    """

    threshold: float = 0.5
    min_speech_s: float = 0.25
    min_silence_s: float = 0.3
    pad_s: float = 0.2

    def __post_init__(self):
        if not 0.0 < self.threshold < 1.0:
            raise InvalidSettingError(f"VAD threshold {self.threshold} is outside (0, 1); "
                                      "use a value such as 0.5.")
        for name in ("min_speech_s", "min_silence_s", "pad_s"):
            if getattr(self, name) < 0:
                raise InvalidSettingError(f"VAD {name} {getattr(self, name)} is negative; "
                                          "use 0 or more seconds.")


@dataclass(frozen=True)
class SpeechSpan:
    """One stretch of speech, in seconds from the start of the audio."""

    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


class SileroVad:
    """The Silero model in onnxruntime; one instance is safe to share (calls are serialized)."""

    def __init__(self, model_path: str):
        from inference.onnx_session import open_session

        # The model is tiny and sequential: one thread avoids thread start-up per window.
        self._session = open_session(model_path, threads=1, what="voice-activity model")
        self._lock = threading.Lock()

    def probabilities(self, audio_16k: np.ndarray) -> np.ndarray:
        """Speech probability of each 32 ms window of mono 16 kHz float audio."""
        audio = np.asarray(audio_16k, dtype=np.float32).reshape(-1)
        count = int(np.ceil(audio.size / WINDOW_SAMPLES))
        padded = np.zeros(count * WINDOW_SAMPLES + CONTEXT_SAMPLES, np.float32)
        padded[CONTEXT_SAMPLES:CONTEXT_SAMPLES + audio.size] = audio
        state = np.zeros(STATE_SHAPE, np.float32)
        rate = np.array(SAMPLE_RATE_HZ, np.int64)
        probs = np.empty(count, np.float32)
        with self._lock:
            for index in range(count):
                start = index * WINDOW_SAMPLES
                window = padded[start:start + WINDOW_SAMPLES + CONTEXT_SAMPLES][None, :]
                output, state = self._session.run(None, {"input": window, "state": state,
                                                         "sr": rate})
                probs[index] = output[0, 0]
        return probs


@lru_cache(maxsize=1)
def load_vad() -> SileroVad:
    """The shared VAD engine, loaded on first use."""
    model = require_model(VAD_MODEL)
    return SileroVad(str(model.folder / "silero_vad.onnx"))


def speech_spans(audio_16k: np.ndarray, options: VadOptions = VadOptions(), *,
                 probs: np.ndarray | None = None) -> list[SpeechSpan]:
    """Spans of speech in mono 16 kHz audio (empty when there is none)."""
    if probs is None:
        probs = load_vad().probabilities(audio_16k)
    duration_s = len(audio_16k) / SAMPLE_RATE_HZ
    raw = _spans_from_probs(probs, options)
    kept = [(s, e) for s, e in raw if e - s >= options.min_speech_s]
    padded = [(max(0.0, s - options.pad_s), min(duration_s, e + options.pad_s)) for s, e in kept]
    return [SpeechSpan(round(s, 3), round(e, 3)) for s, e in _merge(padded)]


def _spans_from_probs(probs: np.ndarray, options: VadOptions) -> list[tuple[float, float]]:
    # Hysteresis: speech starts at the threshold and ends only below a lower one, held for
    # min_silence_s, so a dip inside a word does not split it.
    step_s = WINDOW_SAMPLES / SAMPLE_RATE_HZ
    low = max(options.threshold - 0.15, 0.01)
    spans, start, quiet_since = [], None, None
    for index, prob in enumerate(probs):
        time_s = index * step_s
        if prob >= options.threshold:
            quiet_since = None
            start = time_s if start is None else start
        elif start is not None and prob < low:
            quiet_since = time_s if quiet_since is None else quiet_since
            if time_s + step_s - quiet_since >= options.min_silence_s:
                spans.append((start, quiet_since))
                start, quiet_since = None, None
    if start is not None:
        spans.append((start, len(probs) * step_s))
    return spans


def _merge(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
