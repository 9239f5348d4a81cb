"""The audio clip type every audio pipeline passes around, and decibel helpers."""

from dataclasses import dataclass, replace

import numpy as np

# Below this a level is reported as digital silence instead of taking log10 of zero.
SILENCE_FLOOR = 1e-10


@dataclass(frozen=True)
class AudioClip:
    """Samples as float32 [frames, channels] in -1..1, with their sample rate."""

    samples: np.ndarray
    sample_rate_hz: int
    source: str = ""

    def __post_init__(self):
        if self.samples.ndim != 2:
            raise ValueError(f"AudioClip samples must be [frames, channels], got shape "
                             f"{self.samples.shape}")

    @classmethod
    def from_mono(cls, mono: np.ndarray, sample_rate_hz: int, source: str = "") -> "AudioClip":
        return cls(np.asarray(mono, np.float32).reshape(-1, 1), int(sample_rate_hz), source)

    @property
    def frames(self) -> int:
        return self.samples.shape[0]

    @property
    def channels(self) -> int:
        return self.samples.shape[1]

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate_hz if self.sample_rate_hz else 0.0

    def mono(self) -> np.ndarray:
        """The channels averaged into one float32 vector."""
        return self.samples.mean(axis=1).astype(np.float32)

    def with_samples(self, samples: np.ndarray, sample_rate_hz: int | None = None) -> "AudioClip":
        samples = np.asarray(samples, np.float32)
        if samples.ndim == 1:
            samples = samples[:, None]
        return replace(self, samples=samples,
                       sample_rate_hz=sample_rate_hz or self.sample_rate_hz)


def to_dbfs(amplitude: float) -> float | None:
    """Amplitude (1.0 = full scale) in dBFS; None for digital silence (log of zero)."""
    if not np.isfinite(amplitude) or amplitude <= SILENCE_FLOOR:
        return None
    return float(20.0 * np.log10(amplitude))


def rms(samples: np.ndarray) -> float:
    """Root mean square of finite samples (0 for an empty array)."""
    finite = samples[np.isfinite(samples)]
    return float(np.sqrt(np.mean(np.square(finite, dtype=np.float64)))) if finite.size else 0.0


def frame_rms(mono: np.ndarray, frame: int, hop: int) -> np.ndarray:
    """RMS of each frame (the last partial frame is zero-padded); at least one frame."""
    if mono.size < frame:
        mono = np.pad(mono, (0, frame - mono.size))
    count = 1 + (mono.size - frame) // hop
    windows = np.lib.stride_tricks.sliding_window_view(mono, frame)[::hop][:count]
    return np.sqrt(np.mean(np.square(windows, dtype=np.float64), axis=1))


def amplitude_db(values: np.ndarray) -> np.ndarray:
    """20 log10 of amplitudes, floored so digital silence gives -200 dB and no warning."""
    return 20.0 * np.log10(np.maximum(values, SILENCE_FLOOR))
