"""Level statistics of a clip: peak, RMS, clipping, silence share, speech segments."""

from dataclasses import asdict, dataclass, field

import numpy as np

from pipelines.audio.clip import AudioClip, amplitude_db, frame_rms, rms, to_dbfs

CLIP_LEVEL = 0.999  # |sample| at or above this counts as clipped
SILENT_DBFS = -60.0  # a clip whose RMS is below this is reported as silent
FRAME_S = 0.025  # analysis window for the silence share
SILENCE_FRAME_DBFS = -45.0  # a 25 ms frame below this is silence


@dataclass
class AudioStats:
    """What the stats panel and `glassbox audio` report. Levels in dBFS; None is -inf."""

    duration_s: float
    sample_rate_hz: int
    channels: int
    frames: int
    peak_dbfs: float | None
    rms_dbfs: float | None
    clipped_samples: int
    nan_samples: int
    silence_fraction: float
    silent: bool
    too_short: bool
    speech_segments: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        data = asdict(self)
        for key in ("duration_s", "silence_fraction"):
            data[key] = round(data[key], 4)
        for key in ("peak_dbfs", "rms_dbfs"):
            data[key] = None if data[key] is None else round(data[key], 2)
        return data


def compute_stats(clip: AudioClip, *, speech: bool = False) -> AudioStats:
    """Measure a clip without changing it; speech=True also runs voice activity detection."""
    samples = clip.samples
    nan_count = int(np.count_nonzero(~np.isfinite(samples)))
    finite = np.where(np.isfinite(samples), samples, 0.0)
    peak = float(np.abs(finite).max()) if finite.size else 0.0
    level = rms(finite)
    frame = max(1, int(FRAME_S * clip.sample_rate_hz))
    mono = finite.mean(axis=1)
    frame_levels = amplitude_db(frame_rms(mono, frame, frame))

    stats = AudioStats(
        duration_s=clip.duration_s, sample_rate_hz=clip.sample_rate_hz,
        channels=clip.channels, frames=clip.frames, peak_dbfs=to_dbfs(peak),
        rms_dbfs=to_dbfs(level), clipped_samples=int(np.count_nonzero(
            np.abs(finite) >= CLIP_LEVEL)), nan_samples=nan_count,
        silence_fraction=float(np.mean(frame_levels < SILENCE_FRAME_DBFS)),
        silent=bool(level <= 0 or 20 * np.log10(max(level, 1e-10)) < SILENT_DBFS),
        too_short=bool(clip.frames < frame))
    stats.warnings = _warnings(stats, frame)
    if speech and not stats.silent:
        stats.speech_segments = speech_segments(mono, clip.sample_rate_hz)
    return stats


def _warnings(stats: AudioStats, frame: int) -> list[str]:
    notes = []
    if stats.silent:
        notes.append("The audio is silent or nearly so (RMS below "
                     f"{SILENT_DBFS:.0f} dBFS); levels and normalization are not meaningful.")
    if stats.too_short:
        notes.append(f"The clip has {stats.frames} samples, fewer than one {FRAME_S * 1000:.0f} "
                     f"ms analysis window ({frame}); statistics are rough.")
    if stats.nan_samples:
        notes.append(f"{stats.nan_samples} samples are NaN or infinite; they are counted as 0 "
                     "and preprocessing replaces them with 0.")
    if stats.clipped_samples:
        notes.append(f"{stats.clipped_samples} samples are clipped (at full scale); lower the "
                     "input gain when recording.")
    return notes


def speech_segments(mono: np.ndarray, sample_rate_hz: int) -> list[dict]:
    """Speech spans found by the VAD, as {start, end} in seconds."""
    from inference.vad import speech_spans
    from pipelines.audio.preprocess import resample_mono

    audio_16k = resample_mono(mono, sample_rate_hz, 16000)
    return [{"start": s.start_s, "end": s.end_s} for s in speech_spans(audio_16k)]
