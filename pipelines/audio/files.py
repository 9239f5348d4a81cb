"""Reading and writing audio files: WAV, FLAC, OGG and MP3 at any rate and channel count."""

import logging
from pathlib import Path

import numpy as np

from inference.errors import InputFileError
from pipelines.audio.clip import AudioClip

log = logging.getLogger(__name__)

SUPPORTED = {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG", ".oga": "OGG", ".opus": "OGG/Opus",
             ".mp3": "MP3"}
FILE_FILTER = "Audio files (*.wav *.flac *.ogg *.oga *.opus *.mp3)"


def format_name(path: Path) -> str:
    return SUPPORTED.get(path.suffix.lower(), path.suffix.lstrip(".").upper() or "unknown")


def load_audio(path: str | Path) -> AudioClip:
    """Decode a file into float32 [frames, channels]; one clear InputFileError on failure."""
    import soundfile

    path = Path(path)
    fmt = format_name(path)
    if not path.is_file():
        raise InputFileError(f"Audio file {path} does not exist; check the path.")
    if path.stat().st_size == 0:
        raise InputFileError(f"Audio file {path} is empty (0 bytes); record or export it again.")
    try:
        samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as error:
        raise InputFileError(
            f"Could not decode {path.name} as {fmt}: {_reason(error)}. Glassbox reads WAV, "
            "FLAC, OGG and MP3 files; convert others first (e.g. sox in.aiff out.wav).") from error
    if samples.shape[0] == 0:
        raise InputFileError(f"{path.name} ({fmt}) holds no audio frames; nothing to analyse.")
    log.info("Loaded %s: %d frames, %d Hz, %d channels", path, samples.shape[0], rate,
             samples.shape[1])
    return AudioClip(np.ascontiguousarray(samples), int(rate), str(path))


def _reason(error: Exception) -> str:
    text = str(error).strip().rstrip(".")
    # libsndfile prefixes the path, which the sentence already names.
    return text.split(": ", 1)[-1] if "Error opening" in text else text


def save_wav(path: str | Path, clip: AudioClip) -> Path:
    """Write 16-bit PCM WAV (values clipped to full scale, NaN written as 0)."""
    import soundfile

    path = Path(path)
    if path.suffix.lower() != ".wav":
        raise InputFileError(f"Output file {path.name} must end in .wav; Glassbox writes WAV.")
    if not path.parent.exists():
        raise InputFileError(f"Folder {path.parent} does not exist; create it or choose "
                             "another output path.")
    samples = np.nan_to_num(clip.samples, nan=0.0, posinf=1.0, neginf=-1.0)
    soundfile.write(str(path), np.clip(samples, -1.0, 1.0), clip.sample_rate_hz,
                    subtype="PCM_16")
    return path
