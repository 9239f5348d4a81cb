"""Whisper speech recognition in onnxruntime: log-mel features, encoder, cached greedy decoding.

Reads the standard ONNX Whisper export layout (encoder_model.onnx, decoder_model_merged.onnx,
tokenizer.json, config.json), which is what set-up builds from the tiny.en weights and what
common exporters write for larger Whisper models.
"""

import gzip
import json
import logging
import os
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import numpy as np

from inference.errors import CancelledError, InvalidSettingError, ModelUnavailableError
from inference.manifest import all_models, require_model

log = logging.getLogger(__name__)

DEFAULT_MODEL = "whisper-tiny-en"
SAMPLE_RATE_HZ = 16000
N_FFT = 400
HOP = 160
WINDOW_S = 30
WINDOW_SAMPLES = WINDOW_S * SAMPLE_RATE_HZ
FRAMES = WINDOW_SAMPLES // HOP  # 3000 mel frames per window
SECONDS_PER_TIMESTAMP = 0.02
MAX_INITIAL_TIMESTAMP_S = 1.0
# The language codes Whisper was trained on, in the order of its language tokens.
LANGUAGES = (
    "en zh de es ru ko fr ja pt tr pl ca nl ar sv it id hi fi vi he uk el ms cs ro da hu ta no "
    "th ur hr bg lt la mi ml cy sk te fa lv bn sr az sl kn et mk br eu is hy ne mn bs kk sq sw "
    "gl mr pa si km sn yo so af oc ka be tg sd gu am yi lo uz fo ht ps tk nn mt sa lb my bo tl "
    "mg as tt haw ln ha ba jw su yue").split()


@dataclass(frozen=True)
class TranscribeOptions:
    """Settings of one transcription.

    language: the spoken language as a Whisper code (en, de, fr, ...); English-only (.en)
        models accept only "en".
    temperatures: greedy first (0.0); a window whose text repeats itself or has a low average
        log-probability is decoded again at the next temperature, sampling with `seed`.
    no_speech_threshold, logprob_threshold: a window is dropped as silence when Whisper's
        no-speech probability is above the first and its average log-probability below the second.
    max_new_tokens: tokens per 30 s window at most.
    """

    language: str = "en"
    temperatures: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    compression_ratio_threshold: float = 2.4
    logprob_threshold: float = -1.0
    no_speech_threshold: float = 0.6
    max_new_tokens: int = 224
    seed: int = 0

    def __post_init__(self):
        if self.language not in LANGUAGES:
            raise InvalidSettingError(f"Language '{self.language}' is not a Whisper language "
                                      "code; use a code such as en, de, fr, es or zh.")
        if not 1 <= self.max_new_tokens <= 440:
            raise InvalidSettingError(f"max_new_tokens {self.max_new_tokens} is outside 1-440; "
                                      "Whisper's decoder holds 448 positions.")
        if not self.temperatures or any(t < 0 for t in self.temperatures):
            raise InvalidSettingError(f"temperatures {self.temperatures} must be a non-empty "
                                      "list of values >= 0, e.g. (0.0, 0.2, 0.4).")


@dataclass
class Segment:
    """A piece of the transcript with its times in seconds from the start of the audio."""

    start_s: float
    end_s: float
    text: str
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    temperature: float = 0.0

    def as_dict(self) -> dict:
        return {"start": round(self.start_s, 2), "end": round(self.end_s, 2),
                "text": self.text}


@dataclass
class WindowResult:
    """What decoding one 30 s window gave."""

    tokens: list[int]
    text: str
    avg_logprob: float
    no_speech_prob: float
    temperature: float
    compression_ratio: float
    token_logprobs: list[float] = field(default_factory=list)


@dataclass
class Transcript:
    """The finished transcription."""

    text: str
    segments: list[Segment]
    duration_s: float
    no_speech: bool
    real_time_factor: float
    model: str
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {"text": self.text, "segments": [s.as_dict() for s in self.segments],
                "duration": round(self.duration_s, 3), "no_speech": self.no_speech,
                "real_time_factor": round(self.real_time_factor, 4), "model": self.model}


@dataclass
class TranscriptEvent:
    """One step of a streamed transcription: kind is "progress", "segment" or "done"."""

    kind: str
    fraction: float = 0.0
    segment: Segment | None = None
    transcript: Transcript | None = None
    message: str = ""


# ------------------------------------------------------------------------------ features


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    # Slaney's scale: linear below 1 kHz, logarithmic above.
    hz = np.asarray(hz, np.float64)
    linear = hz / (200.0 / 3)
    log_part = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(hz >= 1000.0, log_part, linear)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, np.float64)
    linear = mel * (200.0 / 3)
    log_part = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0))
    return np.where(mel >= 15.0, log_part, linear)


@lru_cache(maxsize=4)
def mel_filters(n_mels: int) -> np.ndarray:
    """Slaney-style mel filterbank [n_mels, 201] (area-normalized triangles), the one Whisper
    was trained with; computed here so the first transcription need not import librosa."""
    fft_hz = np.linspace(0, SAMPLE_RATE_HZ / 2, N_FFT // 2 + 1)
    edges_hz = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(SAMPLE_RATE_HZ / 2),
                                      n_mels + 2))
    widths = np.diff(edges_hz)
    ramps = edges_hz[:, None] - fft_hz[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights *= (2.0 / (edges_hz[2:] - edges_hz[:-2]))[:, None]
    return weights.astype(np.float32)


def log_mel(audio_16k: np.ndarray, n_mels: int = 80) -> np.ndarray:
    """Whisper's log-mel features [n_mels, 3000] of at most 30 s of audio (zero-padded).

    Steps: pad to 30 s, centered STFT (400-point periodic Hann, hop 160), power, mel, log10,
    clamp to 8 decades below the peak, then scale to roughly [-1, 1].
    """
    audio = np.zeros(WINDOW_SAMPLES, np.float32)
    clip = np.asarray(audio_16k, np.float32)[:WINDOW_SAMPLES]
    audio[:clip.size] = clip

    padded = np.pad(audio, N_FFT // 2, mode="reflect")
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP][:FRAMES]
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)
    power = np.abs(np.fft.rfft(frames * window, axis=-1)) ** 2  # [3000, 201]

    mel = mel_filters(n_mels) @ power.T.astype(np.float32)  # [n_mels, 3000]
    log_spec = np.log10(np.maximum(mel, 1e-10))
    log_spec = np.maximum(log_spec, log_spec.max() - 8.0)
    return ((log_spec + 4.0) / 4.0).astype(np.float32)


# -------------------------------------------------------------------------------- model


@dataclass
class _Tokens:
    """The special token ids decoding needs."""

    eot: int
    sot: int
    no_timestamps: int
    timestamp_begin: int
    no_speech: int | None
    sot_sequence: list[int]
    suppress: list[int]
    suppress_begin: list[int]


class WhisperModel:
    """One Whisper model folder in the standard ONNX layout, with its tokenizer."""

    def __init__(self, folder: Path, *, name: str = "", threads: int = 0):
        self.folder = Path(folder)
        self.name = name or self.folder.name
        self.config = self._read_config()
        self._encoder, self._decoder = self._sessions(threads)
        self._read_shapes()
        self.tokenizer = self._tokenizer()
        self.multilingual = self.vocab_size >= 51865
        self._lock = threading.Lock()

    def _read_config(self) -> dict:
        path = self.folder / "config.json"
        config = json.loads(path.read_text()) if path.exists() else {}
        generation = self.folder / "generation_config.json"
        if generation.exists():
            for key, value in json.loads(generation.read_text()).items():
                config.setdefault(key, value)
        return config

    def _find(self, name: str) -> Path:
        for candidate in (self.folder / name, self.folder / "onnx" / name):
            if candidate.exists():
                return candidate
        raise ModelUnavailableError(f"Whisper model folder {self.folder} has no {name}; a "
                                    "Whisper model needs encoder_model.onnx, "
                                    "decoder_model_merged.onnx and tokenizer.json.")

    def _sessions(self, threads: int):
        from inference.onnx_session import open_session

        threads = threads or min(os.cpu_count() or 1, 4)
        encoder = open_session(self._find("encoder_model.onnx"), threads=threads,
                               what="Whisper encoder")
        decoder = open_session(self._find("decoder_model_merged.onnx"), threads=threads,
                               what="Whisper decoder")
        return encoder, decoder

    def _read_shapes(self) -> None:
        features = self._encoder.get_inputs()[0]
        self.n_mels = int(features.shape[1]) if isinstance(features.shape[1], int) else int(
            self.config.get("num_mel_bins", 80))
        inputs = {i.name: i for i in self._decoder.get_inputs()}
        if "use_cache_branch" not in inputs:
            raise ModelUnavailableError(f"{self.folder}/decoder_model_merged.onnx has no "
                                        "use_cache_branch input; export Whisper with a merged "
                                        "decoder (decoder_model_merged.onnx).")
        self.layers = sum(1 for n in inputs if n.endswith(".decoder.key"))
        key = inputs["past_key_values.0.decoder.key"]
        self.heads = int(key.shape[1]) if isinstance(key.shape[1], int) else int(
            self.config["decoder_attention_heads"])
        self.head_dim = int(key.shape[3]) if isinstance(key.shape[3], int) else int(
            self.config["d_model"]) // self.heads
        logits = self._decoder.get_outputs()[0]
        self.vocab_size = int(logits.shape[2]) if isinstance(logits.shape[2], int) else int(
            self.config["vocab_size"])
        self.max_positions = int(self.config.get("max_target_positions", 448))
        self._past_names = [n for n in inputs if n.startswith("past_key_values.")]

    def _tokenizer(self):
        from tokenizers import Tokenizer

        return Tokenizer.from_file(str(self._find("tokenizer.json")))

    def token_id(self, token: str) -> int | None:
        return self.tokenizer.token_to_id(token)

    def check_language(self, language: str) -> None:
        """Raise a clear error unless this model can transcribe that language."""
        if not self.multilingual and language != "en":
            raise InvalidSettingError(f"{self.name} is an English-only (.en) model and only "
                                      f"transcribes English, not '{language}'; use language "
                                      "en, or add a multilingual Whisper (see docs/audio.md).")
        if self.multilingual and self.token_id(f"<|{language}|>") is None:
            raise InvalidSettingError(f"Language '{language}' is unknown to {self.name}; "
                                      "use a code such as en, de, fr or es.")

    def special_tokens(self, language: str) -> _Tokens:
        """The ids of Whisper's control tokens, found by name in the tokenizer."""
        eot = self.token_id("<|endoftext|>")
        sot = self.token_id("<|startoftranscript|>")
        no_ts = self.token_id("<|notimestamps|>")
        if None in (eot, sot, no_ts):
            raise ModelUnavailableError(f"{self.folder}/tokenizer.json lacks Whisper's control "
                                        "tokens; use the tokenizer exported with the model.")
        self.check_language(language)
        sequence = [sot]
        if self.multilingual:
            lang = self.token_id(f"<|{language}|>")
            sequence += [lang, self.token_id("<|transcribe|>")]
        no_speech = self.token_id("<|nospeech|>") or self.token_id("<|nocaptions|>")
        space = self.tokenizer.encode(" ", add_special_tokens=False).ids
        suppress = [t for t in self.config.get("suppress_tokens", []) if 0 <= t < self.vocab_size]
        begin = self.config.get("begin_suppress_tokens") or (space + [eot])
        return _Tokens(eot=eot, sot=sot, no_timestamps=no_ts, timestamp_begin=no_ts + 1,
                       no_speech=no_speech, sot_sequence=sequence,
                       suppress=sorted(set(suppress + [sot, no_ts] + sequence[1:])),
                       suppress_begin=list(begin))

    # ---------------------------------------------------------------------- running

    def encode(self, features: np.ndarray) -> np.ndarray:
        """[n_mels, 3000] -> encoder states [1, 1500, d_model]."""
        name = self._encoder.get_inputs()[0].name
        with self._lock:
            return self._encoder.run(None, {name: features[None].astype(np.float32)})[0]

    def empty_past(self) -> dict[str, np.ndarray]:
        shape = (1, self.heads, 0, self.head_dim)
        return {name: np.zeros(shape, np.float32) for name in self._past_names}

    def decode_step(self, ids: list[int], states: np.ndarray, past: dict[str, np.ndarray],
                    first: bool) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Run the decoder on new ids; returns logits [seq, vocab] and the next cache."""
        feeds = dict(past)
        feeds["input_ids"] = np.asarray([ids], np.int64)
        feeds["encoder_hidden_states"] = states
        feeds["use_cache_branch"] = np.array([not first])
        with self._lock:
            outputs = self._decoder.run(None, feeds)
        names = [o.name for o in self._decoder.get_outputs()]
        present = {}
        for name, value in zip(names[1:], outputs[1:]):
            key = name.replace("present.", "past_key_values.")
            # The cross-attention cache is made on the first step only; later steps return
            # placeholders for it, so keep the first step's tensors.
            present[key] = value if first or ".decoder." in key else past[key]
        return outputs[0][0], present


def available_models() -> list[str]:
    """Names of the speech-recognition models set up or dropped into the models folder."""
    return [m.name for m in all_models() if m.kind == "speech-recognition"]


@lru_cache(maxsize=2)
def load_whisper(name: str = DEFAULT_MODEL) -> WhisperModel:
    """The named Whisper model, loaded once (a clear error when it is missing or corrupt)."""
    entry = require_model(name)
    if entry.kind != "speech-recognition":
        raise InvalidSettingError(f"Model '{name}' is a {entry.kind} model, not speech "
                                  f"recognition; choose one of: {', '.join(available_models())}.")
    log.info("Loading Whisper model %s from %s", name, entry.folder)
    return WhisperModel(entry.folder, name=name)


# ---------------------------------------------------------------------------- decoding


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max()
    return shifted - np.log(np.exp(shifted).sum())


def _apply_rules(logits: np.ndarray, generated: list[int], tokens: _Tokens,
                 max_initial: int) -> np.ndarray:
    """Whisper's decoding rules: suppression and well-formed, non-decreasing timestamps."""
    logits = logits.copy()
    ts = tokens.timestamp_begin
    logits[tokens.suppress] = -np.inf
    if not generated:
        logits[tokens.suppress_begin] = -np.inf
        # Start with a timestamp no later than max_initial.
        logits[:ts] = -np.inf
        logits[ts + max_initial + 1:] = -np.inf
        return logits

    last_ts = generated[-1] >= ts
    penultimate_ts = len(generated) < 2 or generated[-2] >= ts
    if last_ts:
        if penultimate_ts:
            logits[ts:] = -np.inf  # a pair just closed: text (or the end) must follow
        else:
            logits[:tokens.eot] = -np.inf  # an open timestamp: another, or the end
    stamps = [t for t in generated if t >= ts]
    if stamps:
        floor = stamps[-1] if last_ts and not penultimate_ts else stamps[-1] + 1
        logits[ts:floor] = -np.inf

    # If timestamps together are likelier than any text token, take a timestamp.
    logprobs = _log_softmax(logits)
    stamp_mass = np.logaddexp.reduce(logprobs[ts:])
    if stamp_mass > logprobs[:ts].max():
        logits[:ts] = -np.inf
    return logits


def _compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    return len(data) / max(len(gzip.compress(data)), 1) if data else 0.0


def decode_window(model: WhisperModel, states: np.ndarray, tokens: _Tokens,
                  options: TranscribeOptions, *, temperature: float,
                  rng: np.random.Generator, cancel: threading.Event | None = None
                  ) -> WindowResult:
    """Greedy (temperature 0) or sampled decoding of one encoded window with timestamps."""
    max_initial = int(round(MAX_INITIAL_TIMESTAMP_S / SECONDS_PER_TIMESTAMP))
    budget = min(options.max_new_tokens, model.max_positions - len(tokens.sot_sequence) - 1)
    logits, past = model.decode_step(tokens.sot_sequence, states, model.empty_past(), True)
    no_speech_prob = 0.0
    if tokens.no_speech is not None:
        first = np.exp(_log_softmax(logits[0]))
        no_speech_prob = float(first[tokens.no_speech])

    generated, logprobs = [], []
    step_logits = logits[-1]
    for _ in range(budget):
        if cancel is not None and cancel.is_set():
            raise CancelledError("Transcription cancelled.")
        filtered = _apply_rules(step_logits, generated, tokens, max_initial)
        token = _pick(filtered, temperature, rng)
        logprobs.append(float(_log_softmax(step_logits)[token]))
        if token == tokens.eot:
            break
        generated.append(token)
        step_logits, past = model.decode_step([token], states, past, False)
        step_logits = step_logits[-1]

    text = model.tokenizer.decode([t for t in generated if t < tokens.eot]).strip()
    return WindowResult(tokens=generated, text=text,
                        avg_logprob=sum(logprobs) / (len(generated) + 1),
                        no_speech_prob=no_speech_prob, temperature=temperature,
                        compression_ratio=_compression_ratio(text),
                        token_logprobs=logprobs[:len(generated)])


def _pick(logits: np.ndarray, temperature: float, rng: np.random.Generator) -> int:
    if temperature <= 0:
        return int(np.argmax(logits))
    probs = np.exp(_log_softmax(logits / temperature))
    return int(rng.choice(probs.size, p=probs / probs.sum()))


def decode_with_fallback(model: WhisperModel, states: np.ndarray, tokens: _Tokens,
                         options: TranscribeOptions, rng: np.random.Generator,
                         cancel: threading.Event | None = None) -> WindowResult:
    """Decode greedily; retry hotter when the text loops or the model is unsure."""
    result = None
    for temperature in options.temperatures:
        result = decode_window(model, states, tokens, options, temperature=temperature,
                               rng=rng, cancel=cancel)
        too_repetitive = result.compression_ratio > options.compression_ratio_threshold
        too_unsure = result.avg_logprob < options.logprob_threshold
        silent = result.no_speech_prob > options.no_speech_threshold
        if silent or not (too_repetitive or too_unsure):
            break
        log.info("Window decoded at temperature %.1f looks unreliable (ratio %.2f, logprob "
                 "%.2f); retrying", temperature, result.compression_ratio, result.avg_logprob)
    return result


def split_segments(result: WindowResult, tokens: _Tokens, model: WhisperModel, *,
                   offset_s: float, window_s: float) -> tuple[list[Segment], float]:
    """Segments from timestamp pairs, and how far (seconds) this window's text reaches.

    When the window ends inside speech (no closing timestamp pair), the next decode starts at
    the last complete timestamp, the way Whisper seeks through long audio.
    """
    ts = tokens.timestamp_begin
    ids = result.tokens
    is_ts = [t >= ts for t in ids]
    single_ending = len(ids) >= 2 and is_ts[-2:] == [False, True]
    cuts = [i + 1 for i in range(len(ids) - 1) if is_ts[i] and is_ts[i + 1]]

    def segment(part: list[int], start_s: float, end_s: float) -> Segment:
        text = model.tokenizer.decode([t for t in part if t < tokens.eot]).strip()
        return Segment(offset_s + start_s, offset_s + end_s, text, result.avg_logprob,
                       result.no_speech_prob, result.temperature)

    if not cuts:
        stamps = [t for t in ids if t >= ts]
        end_s = (stamps[-1] - ts) * SECONDS_PER_TIMESTAMP if stamps and stamps[-1] != ts \
            else window_s
        start_s = (stamps[0] - ts) * SECONDS_PER_TIMESTAMP if stamps else 0.0
        return [segment(ids, start_s, min(end_s, window_s))], window_s

    if single_ending:
        cuts.append(len(ids))
    segments, last = [], 0
    for cut in cuts:
        part = ids[last:cut]
        start_s = (part[0] - ts) * SECONDS_PER_TIMESTAMP
        end_s = (part[-1] - ts) * SECONDS_PER_TIMESTAMP
        segments.append(segment(part, start_s, min(end_s, window_s)))
        last = cut
    consumed = window_s if single_ending else (ids[last - 1] - ts) * SECONDS_PER_TIMESTAMP
    return segments, consumed


@dataclass
class _Progress:
    total_s: float
    done_s: float = 0.0
    segments: list[Segment] = field(default_factory=list)


def transcribe_windows(model: WhisperModel, audio_16k: np.ndarray,
                       windows: list[tuple[float, float]], options: TranscribeOptions,
                       cancel: threading.Event | None = None) -> Iterator[TranscriptEvent]:
    """Decode each (start_s, end_s) window (< 30 s, e.g. from voice activity), streaming."""
    tokens = model.special_tokens(options.language)
    rng = np.random.default_rng(options.seed)
    progress = _Progress(total_s=sum(end - start for start, end in windows) or 1.0)
    for start_s, end_s in windows:
        yield from _transcribe_span(model, audio_16k, start_s, end_s, tokens, options, rng,
                                    progress, cancel)


def _transcribe_span(model: WhisperModel, audio_16k: np.ndarray, start_s: float,
                     end_s: float, tokens: _Tokens, options: TranscribeOptions,
                     rng: np.random.Generator, progress: _Progress,
                     cancel: threading.Event | None) -> Iterator[TranscriptEvent]:
    """Decode one span 30 s at a time, moving on from where each decode's text ended."""
    seek_s = start_s
    while end_s - seek_s > 0.1:
        if cancel is not None and cancel.is_set():
            raise CancelledError("Transcription cancelled.")
        window_s = min(end_s - seek_s, WINDOW_S)
        clip = audio_16k[int(seek_s * SAMPLE_RATE_HZ):int((seek_s + window_s) * SAMPLE_RATE_HZ)]
        states = model.encode(log_mel(clip, model.n_mels))
        result = decode_with_fallback(model, states, tokens, options, rng, cancel)

        segments, consumed_s = split_segments(result, tokens, model, offset_s=seek_s,
                                              window_s=window_s)
        # Always move at least 1 s, so a decode that ends at its first timestamp cannot loop.
        consumed_s = max(consumed_s, 1.0) if consumed_s < window_s else window_s
        silent = (result.no_speech_prob > options.no_speech_threshold
                  and result.avg_logprob < options.logprob_threshold)
        for segment in segments:
            if segment.text and not silent:
                progress.segments.append(segment)
                yield TranscriptEvent("segment", segment=segment)
        seek_s += consumed_s
        progress.done_s += consumed_s
        yield TranscriptEvent("progress", fraction=min(progress.done_s / progress.total_s, 1.0))
