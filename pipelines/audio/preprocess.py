"""Preprocessing steps, each optional: mono, resampling, normalization, trimming, noise gate."""

import logging
from dataclasses import dataclass, field

import numpy as np

from inference.errors import InvalidSettingError
from pipelines.audio.clip import AudioClip, amplitude_db, frame_rms, rms

log = logging.getLogger(__name__)

NORMALIZE_MODES = ("none", "peak", "rms")
TRIM_MODES = ("energy", "vad")
FRAME_S = 0.02


@dataclass(frozen=True)
class PreprocessOptions:
    """Which steps run, in this order: repair, mono, resample, gate, trim, pauses, normalize.

    resample_hz: target rate, 1000-384000 Hz (e.g. 16000 for speech models); 0 keeps the rate.
    normalize: "peak" scales the loudest sample to target_peak_dbfs; "rms" scales the average
        level to target_rms_dbfs (then limits peaks below full scale).
    trim: cut silence at both ends, found by "energy" (frames top_db below the loudest) or by
        voice activity ("vad").
    max_pause_s: inner pauses longer than this are shortened to it (0 is off).
    gate_dbfs: a noise gate mutes 20 ms frames quieter than this (None disables it).
    """

    mono: bool = False
    resample_hz: int = 0
    normalize: str = "none"
    target_peak_dbfs: float = -1.0
    target_rms_dbfs: float = -20.0
    trim: bool = False
    trim_mode: str = "energy"
    top_db: float = 40.0
    max_pause_s: float = 0.0
    gate_dbfs: float | None = None

    def __post_init__(self):
        if self.normalize not in NORMALIZE_MODES:
            raise InvalidSettingError(f"normalize '{self.normalize}' is not one of "
                                      f"{', '.join(NORMALIZE_MODES)}.")
        if self.trim_mode not in TRIM_MODES:
            raise InvalidSettingError(f"trim mode '{self.trim_mode}' is not one of "
                                      f"{', '.join(TRIM_MODES)}.")
        if self.resample_hz and not 1000 <= self.resample_hz <= 384000:
            raise InvalidSettingError(f"Resample rate {self.resample_hz} Hz is outside "
                                      "1000-384000 Hz; use e.g. 16000 for speech models.")
        if not -60.0 <= self.target_peak_dbfs <= 0.0 or not -60.0 <= self.target_rms_dbfs <= 0:
            raise InvalidSettingError("Normalization targets must be between -60 and 0 dBFS "
                                      f"(got peak {self.target_peak_dbfs}, rms "
                                      f"{self.target_rms_dbfs}).")
        if self.max_pause_s < 0:
            raise InvalidSettingError(f"Max pause must be 0 s (off) or more seconds; got "
                                      f"{self.max_pause_s:g}.")
        if self.top_db <= 0:
            raise InvalidSettingError(f"The silence threshold must be more than 0 dB below the "
                                      f"loudest frame; got {self.top_db:g} (40 is typical).")
        if self.gate_dbfs is not None and not -120.0 <= self.gate_dbfs <= 0.0:
            raise InvalidSettingError(f"Noise gate threshold {self.gate_dbfs:g} dBFS is outside "
                                      "-120 to 0 dBFS; -50 suits most recordings.")


@dataclass
class PreprocessResult:
    clip: AudioClip
    notes: list[str] = field(default_factory=list)


def preprocess(clip: AudioClip, options: PreprocessOptions) -> PreprocessResult:
    """Run the chosen steps; every step that is skipped or limited says why in notes."""
    notes: list[str] = []
    clip = repair(clip, notes)
    if options.mono:
        clip = mix_to_mono(clip, notes)
    if options.resample_hz:
        clip = resample_step(clip, options.resample_hz, notes)
    if options.gate_dbfs is not None:
        clip = noise_gate(clip, options.gate_dbfs, notes)
    if options.trim:
        clip = trim_silence(clip, options, notes)
    if options.max_pause_s > 0:
        clip = shorten_pauses(clip, options.max_pause_s, options.top_db, notes)
    if options.normalize == "peak":
        clip = peak_normalize(clip, options.target_peak_dbfs, notes)
    elif options.normalize == "rms":
        clip = rms_normalize(clip, options.target_rms_dbfs, notes)
    return PreprocessResult(clip, notes)


def repair(clip: AudioClip, notes: list[str]) -> AudioClip:
    """Replace NaN and infinite samples with 0 so later steps never see them."""
    bad = ~np.isfinite(clip.samples)
    if not bad.any():
        return clip
    notes.append(f"Replaced {int(bad.sum())} NaN/infinite samples with 0.")
    return clip.with_samples(np.where(bad, 0.0, clip.samples))


def mix_to_mono(clip: AudioClip, notes: list[str]) -> AudioClip:
    if clip.channels == 1:
        notes.append("Mix to mono skipped: the audio is already mono (one channel).")
        return clip
    notes.append(f"Mixed the {clip.channels} channels down to mono.")
    return clip.with_samples(clip.mono())


def resample_step(clip: AudioClip, target_hz: int, notes: list[str]) -> AudioClip:
    if target_hz == clip.sample_rate_hz:
        notes.append(f"Resampling skipped: the audio is already at {target_hz} Hz.")
        return clip
    notes.append(f"Resampled {clip.sample_rate_hz} Hz -> {target_hz} Hz.")
    return resample(clip, target_hz)


def resample_mono(mono: np.ndarray, rate_hz: int, target_hz: int) -> np.ndarray:
    """One channel to another rate with soxr's high-quality resampler."""
    import soxr

    if rate_hz == target_hz:
        return np.asarray(mono, np.float32)
    return soxr.resample(np.asarray(mono, np.float32), rate_hz, target_hz).astype(np.float32)


def resample(clip: AudioClip, target_hz: int) -> AudioClip:
    import soxr

    samples = soxr.resample(clip.samples, clip.sample_rate_hz, target_hz)
    return clip.with_samples(samples.reshape(-1, clip.channels), target_hz)


def peak_normalize(clip: AudioClip, target_dbfs: float, notes: list[str]) -> AudioClip:
    peak = float(np.abs(clip.samples).max()) if clip.frames else 0.0
    if peak <= 1e-6:
        notes.append("Peak normalization skipped: the audio is silent (no peak to scale).")
        return clip
    gain = 10 ** (target_dbfs / 20) / peak
    notes.append(f"Peak-normalized to {target_dbfs:.1f} dBFS (gain {20 * np.log10(gain):+.1f}"
                 " dB).")
    return clip.with_samples(clip.samples * gain)


def rms_normalize(clip: AudioClip, target_dbfs: float, notes: list[str]) -> AudioClip:
    level = rms(clip.samples)
    if level <= 1e-6:
        notes.append("Loudness normalization skipped: the audio is silent (RMS is 0).")
        return clip
    gain = 10 ** (target_dbfs / 20) / level
    samples = clip.samples * gain
    peak = float(np.abs(samples).max())
    if peak > 0.999:
        # A limiter would change the sound; a plain ceiling keeps the shape and says so.
        samples = samples * (0.999 / peak)
        notes.append(f"RMS-normalized toward {target_dbfs:.1f} dBFS but limited so peaks stay "
                     "below full scale.")
    else:
        notes.append(f"RMS-normalized to {target_dbfs:.1f} dBFS (gain {20 * np.log10(gain):+.1f}"
                     " dB).")
    return clip.with_samples(samples)


def standardize(values: np.ndarray, axis: int = -1) -> np.ndarray:
    """Zero mean and unit variance along an axis (features such as MFCCs); constant rows -> 0."""
    values = np.asarray(values, np.float32)
    mean = values.mean(axis=axis, keepdims=True)
    std = values.std(axis=axis, keepdims=True)
    return (values - mean) / np.where(std > 1e-8, std, 1.0)


def _frame_levels(clip: AudioClip) -> tuple[np.ndarray, int]:
    frame = max(1, int(FRAME_S * clip.sample_rate_hz))
    return amplitude_db(frame_rms(clip.mono(), frame, frame)), frame


def _loud_frames(clip: AudioClip, top_db: float) -> tuple[np.ndarray, int]:
    levels, frame = _frame_levels(clip)
    return levels > levels.max() - top_db, frame


def trim_silence(clip: AudioClip, options: PreprocessOptions, notes: list[str]) -> AudioClip:
    """Cut leading and trailing silence; never cut everything."""
    if options.trim_mode == "vad":
        span = _vad_span(clip)
    else:
        loud, frame = _loud_frames(clip, options.top_db)
        loud &= _frame_levels(clip)[0] > -70.0  # digital silence is never "loud"
        idx = np.flatnonzero(loud)
        span = (idx[0] * frame, min(clip.frames, (idx[-1] + 1) * frame)) if idx.size else None
    if span is None:
        notes.append("Trim skipped: no sound or speech found, so nothing would be left.")
        return clip
    start, end = span
    notes.append(f"Trimmed {start / clip.sample_rate_hz:.2f} s at the start and "
                 f"{(clip.frames - end) / clip.sample_rate_hz:.2f} s at the end.")
    return clip.with_samples(clip.samples[start:end])


def _vad_span(clip: AudioClip) -> tuple[int, int] | None:
    from inference.vad import speech_spans

    spans = speech_spans(resample_mono(clip.mono(), clip.sample_rate_hz, 16000))
    if not spans:
        return None
    rate = clip.sample_rate_hz
    return int(spans[0].start_s * rate), min(clip.frames, int(spans[-1].end_s * rate))


def shorten_pauses(clip: AudioClip, max_pause_s: float, top_db: float,
                   notes: list[str]) -> AudioClip:
    """Shorten each quiet stretch longer than max_pause_s to max_pause_s."""
    loud, frame = _loud_frames(clip, top_db)
    keep = np.ones(clip.frames, bool)
    max_frames = max(1, int(max_pause_s / FRAME_S))
    removed = 0
    for start, end in _runs(~loud):
        inner = start > 0 and end < loud.size  # silence at the ends is trimming's job
        if inner and end - start > max_frames:
            cut_from, cut_to = (start + max_frames // 2) * frame, (end - max_frames // 2) * frame
            keep[cut_from:min(cut_to, clip.frames)] = False
            removed += max(0, min(cut_to, clip.frames) - cut_from)
    if removed == 0:
        notes.append(f"No inner pause was longer than {max_pause_s:.2f} s.")
        return clip
    notes.append(f"Shortened long pauses, removing {removed / clip.sample_rate_hz:.2f} s.")
    return clip.with_samples(clip.samples[keep])


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) index pairs of each run of True."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2], edges[1::2]))


def noise_gate(clip: AudioClip, threshold_dbfs: float, notes: list[str]) -> AudioClip:
    """Mute 20 ms frames below the threshold, with 5 ms ramps so edges do not click."""
    levels, frame = _frame_levels(clip)
    open_frames = (levels >= threshold_dbfs).astype(np.float32)
    gain = np.repeat(open_frames, frame)[:clip.frames]
    gain = np.pad(gain, (0, clip.frames - gain.size), constant_values=gain[-1] if gain.size else 1)
    ramp = max(1, int(0.005 * clip.sample_rate_hz))
    gain = np.convolve(gain, np.ones(ramp) / ramp, mode="same").astype(np.float32)
    muted = float(1.0 - open_frames.mean())
    notes.append(f"Noise gate at {threshold_dbfs:.0f} dBFS muted {muted:.0%} of the frames.")
    return clip.with_samples(clip.samples * gain[:, None])
