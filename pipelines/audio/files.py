"""Reading and writing audio files: WAV, FLAC, OGG and MP3 at any rate and channel count."""

import logging
import os
import sys
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from inference.errors import InputFileError
from pipelines.audio.clip import AudioClip

log = logging.getLogger(__name__)

SUPPORTED = {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG", ".oga": "OGG", ".opus": "OGG/Opus",
             ".mp3": "MP3"}
FILE_FILTER = "Audio files (*.wav *.flac *.ogg *.oga *.opus *.mp3)"
_STDERR_LOCK = threading.Lock()  # file descriptor 2 is shared by the whole process


def format_name(path: Path) -> str:
    return SUPPORTED.get(path.suffix.lower(), path.suffix.lstrip(".").upper() or "unknown")


def load_audio(path: str | Path) -> AudioClip:
    """Decode a file into float32 [frames, channels]; one clear InputFileError on failure."""
    path = Path(path)
    fmt = format_name(path)
    _check_readable(path)
    samples, rate = _decode(path, fmt)
    if samples.shape[0] == 0:
        raise InputFileError(f"{path.name} ({fmt}) holds no audio frames; nothing to analyse.")
    log.info("Loaded %s: %d frames, %d Hz, %d channels", path, samples.shape[0], rate,
             samples.shape[1])
    return AudioClip(np.ascontiguousarray(samples), int(rate), str(path))


def _check_readable(path: Path) -> None:
    if path.is_dir():
        raise InputFileError(f"{path} is a folder, not an audio file; give the path of one "
                             "file in it (e.g. a .wav).")
    if not path.exists():
        raise InputFileError(f"Audio file {path} does not exist; check the path.")
    if not path.is_file():
        raise InputFileError(f"{path} is not a regular file (a device or pipe?); save the "
                             "audio to a file first.")
    if not os.access(path, os.R_OK):
        raise InputFileError(f"Audio file {path} cannot be read (permission denied); change "
                             "its permissions or copy it somewhere readable.")
    if path.stat().st_size == 0:
        raise InputFileError(f"Audio file {path} is empty (0 bytes); record or export it again.")


def _decode(path: Path, fmt: str) -> tuple[np.ndarray, int]:
    import soundfile

    try:
        # libmpg123 prints resync notes straight to file descriptor 2 while it decodes MP3.
        with _stderr_to_log(enabled=fmt == "MP3"):
            return soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as error:
        log.info("Decoding %s failed: %s", path, error)
        if path.suffix.lower() not in SUPPORTED:
            raise InputFileError(
                f"Could not decode {path.name} as {fmt}: Glassbox reads WAV, FLAC, OGG and MP3 "
                "files; convert it first (e.g. sox in.aiff out.wav).") from error
        # libsndfile's own reasons mislead here (an existing MP3 "does not exist").
        raise InputFileError(
            f"{path.name} is not valid {fmt} audio (the file is damaged or is not audio); "
            "export or download it again, or convert a good copy to WAV.") from error


@contextmanager
def _stderr_to_log(*, enabled: bool):
    """Send what C libraries write to file descriptor 2 into the log while the block runs."""
    if not enabled:
        yield
        return
    sys.stderr.flush()
    with _STDERR_LOCK, tempfile.TemporaryFile() as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            noise = sink.read().decode("utf-8", "replace").strip()
            if noise:
                log.debug("Decoder messages: %s", noise)


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
