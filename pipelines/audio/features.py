"""Time-frequency features for plots and models: spectrogram, mel spectrogram, MFCC (librosa)."""

import warnings
from dataclasses import dataclass, field

import numpy as np

from pipelines.audio.preprocess import standardize


@dataclass(frozen=True)
class FeatureOptions:
    """n_fft and hop_length in samples; n_mels mel bands; n_mfcc coefficients."""

    n_fft: int = 512
    hop_length: int = 160
    n_mels: int = 64
    n_mfcc: int = 13
    standardize_mfcc: bool = False


@dataclass
class Features:
    """Each matrix is [bins, frames]; times_s gives each frame's centre."""

    spectrogram_db: np.ndarray
    mel_db: np.ndarray
    mfcc: np.ndarray
    times_s: np.ndarray
    max_freq_hz: float
    notes: list[str] = field(default_factory=list)


def compute_features(mono: np.ndarray, sample_rate_hz: int,
                     options: FeatureOptions = FeatureOptions()) -> Features:
    """All three views of one channel; a clip shorter than n_fft is zero-padded (noted)."""
    import librosa

    notes = []
    audio = np.nan_to_num(np.asarray(mono, np.float32))
    if audio.size < options.n_fft:
        notes.append(f"The clip ({audio.size} samples) is shorter than one {options.n_fft}-sample "
                     "analysis window; it was padded with silence.")
        audio = np.pad(audio, (0, options.n_fft - audio.size))

    power = np.abs(librosa.stft(audio, n_fft=options.n_fft, hop_length=options.hop_length)) ** 2
    # ref=1.0 with an amin floor: silence gives a flat -100 dB picture, never log(0).
    spectrogram_db = librosa.power_to_db(power, ref=1.0, amin=1e-10, top_db=None)
    with warnings.catch_warnings():
        # librosa warns that high mel bands are empty at low sample rates (e.g. 8 kHz).
        warnings.simplefilter("ignore", UserWarning)
        mel = librosa.feature.melspectrogram(S=power, sr=sample_rate_hz, n_mels=options.n_mels)
    mel_db = librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=None)
    mfcc = librosa.feature.mfcc(S=mel_db, n_mfcc=options.n_mfcc)
    if options.standardize_mfcc:
        mfcc = standardize(mfcc, axis=1)
    times = librosa.frames_to_time(np.arange(power.shape[1]), sr=sample_rate_hz,
                                   hop_length=options.hop_length)
    return Features(spectrogram_db.astype(np.float32), mel_db.astype(np.float32),
                    mfcc.astype(np.float32), times, sample_rate_hz / 2, notes)
