"""Text to speech with the hibari "heart" voice: text -> phonemes -> ONNX acoustic model -> audio.

The acoustic model and phoneme vocabulary come from models_onnx/hibari-heart (checked against
the manifest). Text-to-phoneme conversion and the final signal synthesis use the pinned
hibari-tts package as a library; it is never asked for other voices, which it would download.
"""

import json
import logging
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from typing import Iterator

import numpy as np

from inference.errors import CancelledError, InvalidSettingError, ModelUnavailableError
from inference.manifest import require_model

log = logging.getLogger(__name__)

VOICE_MODEL = "hibari-heart"
HIBARI_VERSION = "0.2.1"
SAMPLE_RATE_HZ = 24000
MAX_PHONEMES = 400  # the model's comfortable input length; longer sentences split at clauses
MAX_TEXT_CHARS = 20000
MAX_SEED = 2**32 - 1
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[A-Z0-9\"'(])")
_CLAUSE_BREAK = re.compile(r"(?<=[,;:—])\s+")


@dataclass(frozen=True)
class SpeechOptions:
    """speed: 1.0 is the voice's natural pace (0.5 slow to 2.0 fast); seed fixes the noise
    part of the signal (0 to 2**32 - 1), so the same text and seed give the same samples."""

    speed: float = 1.0
    seed: int = 0

    def __post_init__(self):
        if not 0.5 <= self.speed <= 2.0:
            raise InvalidSettingError(f"Speech speed {self.speed} is outside 0.5-2.0; use 1.0 "
                                      "for the natural pace.")
        if not 0 <= self.seed <= MAX_SEED:
            raise InvalidSettingError(f"Voice seed {self.seed} is outside 0-{MAX_SEED}; any "
                                      "whole number in that range works (0 is the default).")


class HibariVoice:
    """The heart voice: one onnxruntime session plus the phonemizer, loaded once."""

    sample_rate_hz = SAMPLE_RATE_HZ

    def __init__(self, folder):
        from inference.onnx_session import open_session

        _check_hibari_package()
        self._session = open_session(folder / "hibari.onnx", threads=1, what="voice")
        self._vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
        self._g2p = None
        self._lock = threading.Lock()

    def _phonemizer(self):
        if self._g2p is None:
            from hibari.g2p import G2P

            self._g2p = G2P(british=False)
        return self._g2p

    def phonemes(self, text: str) -> list[str]:
        """Phoneme strings the model reads, one per sentence or clause group."""
        chunks = []
        with self._lock:
            g2p = self._phonemizer()
            for sentence in split_sentences(text):
                chunks += _limit_length(g2p(sentence))
        return [chunk for chunk in chunks if chunk.strip()]

    def ids(self, phonemes: str) -> list[int]:
        # Symbols outside the model's alphabet are dropped; 0 pads both ends.
        return [0, *(self._vocab[c] for c in phonemes if c in self._vocab), 0]

    def synthesize_phonemes(self, phonemes: str, *, speed: float,
                            rng: np.random.Generator) -> np.ndarray:
        """One phoneme string -> float32 samples at 24 kHz."""
        from hibari import dsp

        ids = self.ids(phonemes)
        if len(ids) < 3:
            return np.zeros(0, np.float32)
        feeds = {"ids": np.asarray([ids], np.int64), "speed": np.asarray([speed], np.float32)}
        with self._lock:
            outputs = self._session.run(None, feeds)
        # Harmonic, phase, noise and residual spectra plus pitch; dsp turns them into a wave.
        return dsp.synth(*(output[0] for output in outputs), rng).astype(np.float32)

    def stream(self, text: str, options: SpeechOptions = SpeechOptions(),
               cancel: threading.Event | None = None) -> Iterator[np.ndarray]:
        """Yield audio per sentence as soon as it is made."""
        chunks = self.phonemes(_checked_text(text))
        if not chunks:
            raise InvalidSettingError(f"Nothing speakable in the text {text[:40]!r}; type "
                                      "words or numbers.")
        rng = np.random.default_rng(options.seed)
        for chunk in chunks:
            if cancel is not None and cancel.is_set():
                raise CancelledError("Speech synthesis cancelled.")
            yield self.synthesize_phonemes(chunk, speed=options.speed, rng=rng)

    def synthesize(self, text: str, options: SpeechOptions = SpeechOptions(),
                   cancel: threading.Event | None = None) -> np.ndarray:
        """The whole text as one float32 array at 24 kHz (a short pause between sentences)."""
        pause = np.zeros(int(0.15 * SAMPLE_RATE_HZ), np.float32)
        parts = []
        for audio in self.stream(text, options, cancel):
            parts += [audio, pause]
        return np.concatenate(parts[:-1]) if parts else np.zeros(0, np.float32)


def _check_hibari_package() -> None:
    try:
        version = metadata.version("hibari-tts")
    except metadata.PackageNotFoundError as error:
        raise ModelUnavailableError("The hibari-tts package (text to phonemes) is not "
                                    "installed; run ./setup.sh to install the pinned "
                                    f"hibari-tts=={HIBARI_VERSION}.") from error
    if version != HIBARI_VERSION:
        log.warning("hibari-tts %s is installed; Glassbox was tested with %s", version,
                    HIBARI_VERSION)


def _checked_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidSettingError("The text to speak is empty; type a sentence first.")
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidSettingError(f"The text has {len(text):,} characters; speak at most "
                                  f"{MAX_TEXT_CHARS:,} at a time (split it into parts).")
    return text


def split_sentences(text: str) -> list[str]:
    """Sentences by line breaks and end punctuation followed by a capital or digit."""
    sentences = []
    for line in text.splitlines():
        sentences += [part.strip() for part in _SENTENCE_END.split(line.strip())]
    return [s for s in sentences if s]


def _limit_length(phonemes: str) -> list[str]:
    if len(phonemes) <= MAX_PHONEMES:
        return [phonemes]
    chunks, current = [], ""
    for part in _CLAUSE_BREAK.split(phonemes):
        if current and len(current) + len(part) + 1 > MAX_PHONEMES:
            chunks.append(current)
            current = part
        else:
            current = f"{current} {part}" if current else part
    if current:
        chunks.append(current)
    # A clause longer than the limit is cut at spaces as a last resort.
    return [piece for chunk in chunks for piece in _cut_at_spaces(chunk)]


def _cut_at_spaces(chunk: str) -> list[str]:
    if len(chunk) <= MAX_PHONEMES:
        return [chunk]
    words, pieces, current = chunk.split(" "), [], ""
    for word in words:
        if current and len(current) + len(word) + 1 > MAX_PHONEMES:
            pieces.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    return pieces + ([current] if current else [])


@lru_cache(maxsize=1)
def load_voice() -> HibariVoice:
    """The bundled voice, loaded on first use (a clear error when it was not set up)."""
    return HibariVoice(require_model(VOICE_MODEL).folder)
