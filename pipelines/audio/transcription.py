"""Speech to text for a whole clip: voice activity first, then Whisper on windows under 30 s."""

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from inference.vad import VadOptions, load_vad, speech_spans
from inference.whisper import (DEFAULT_MODEL, TranscribeOptions, Transcript, TranscriptEvent,
                               load_whisper, transcribe_windows)
from pipelines.audio.clip import AudioClip
from pipelines.audio.files import load_audio
from pipelines.audio.preprocess import resample_mono

log = logging.getLogger(__name__)

MAX_WINDOW_S = 28.0  # below Whisper's 30 s so padding around speech still fits


@dataclass(frozen=True)
class TranscriptionOptions:
    """model: a speech-recognition model name; the rest is passed to the engines."""

    model: str = DEFAULT_MODEL
    decoding: TranscribeOptions = field(default_factory=TranscribeOptions)
    vad: VadOptions = field(default_factory=VadOptions)
    max_window_s: float = MAX_WINDOW_S


def plan_windows(spans, max_window_s: float = MAX_WINDOW_S) -> list[tuple[float, float]]:
    """Group speech spans into windows no longer than max_window_s, cutting only at pauses.

    A single span longer than that stays whole; the decoder then moves through it 30 s at a
    time, continuing from the last complete timestamp.
    """
    windows: list[tuple[float, float]] = []
    for span in spans:
        if windows and span.end_s - windows[-1][0] <= max_window_s:
            windows[-1] = (windows[-1][0], span.end_s)
        else:
            windows.append((span.start_s, span.end_s))
    return windows


def audio_for_whisper(clip: AudioClip) -> np.ndarray:
    """Mono 16 kHz float32 with NaN and infinite samples replaced by 0."""
    mono = np.nan_to_num(clip.mono(), nan=0.0, posinf=1.0, neginf=-1.0)
    return resample_mono(mono, clip.sample_rate_hz, 16000)


def transcribe_stream(clip: AudioClip, options: TranscriptionOptions = TranscriptionOptions(),
                      cancel: threading.Event | None = None) -> Iterator[TranscriptEvent]:
    """Progress and segment events as they happen, then one "done" event with the Transcript.

    No speech found by the VAD means no Whisper call at all: Whisper invents text for silence
    and noise, so the transcript is then empty with no_speech true.
    """
    # Models load (once) before the clock starts: the real-time factor measures the work.
    yield TranscriptEvent("progress", fraction=0.0, message="Loading models")
    model = load_whisper(options.model)
    # Checked before any work, so a wrong language fails even on audio without speech.
    model.check_language(options.decoding.language)
    load_vad()
    started = time.perf_counter()
    audio = audio_for_whisper(clip)
    yield TranscriptEvent("progress", fraction=0.01, message="Finding speech")
    spans = speech_spans(audio, options.vad)
    windows = plan_windows(spans, options.max_window_s)
    log.info("%d speech spans -> %d windows", len(spans), len(windows))

    segments = []
    if windows:
        yield TranscriptEvent("progress", fraction=0.02, message="Transcribing")
        for event in transcribe_windows(model, audio, windows, options.decoding, cancel):
            if event.kind == "segment":
                segments.append(event.segment)
            yield event

    elapsed = time.perf_counter() - started
    transcript = Transcript(
        text=" ".join(s.text for s in segments).strip(), segments=segments,
        duration_s=clip.duration_s, no_speech=not segments,
        real_time_factor=elapsed / clip.duration_s if clip.duration_s else 0.0,
        model=options.model, seconds=elapsed)
    yield TranscriptEvent("done", fraction=1.0, transcript=transcript,
                          message="No speech detected" if transcript.no_speech else "Done")


def transcribe_clip(clip: AudioClip, options: TranscriptionOptions = TranscriptionOptions(),
                    cancel: threading.Event | None = None) -> Transcript:
    """The finished transcript of a clip."""
    for event in transcribe_stream(clip, options, cancel):
        if event.kind == "done":
            return event.transcript
    raise RuntimeError("transcribe_stream ended without a done event")


def transcribe_file(path: str | Path,
                    options: TranscriptionOptions = TranscriptionOptions()) -> Transcript:
    return transcribe_clip(load_audio(path), options)
