"""Playing a clip on an output device, with the position a view needs for its cursor."""

import logging
import threading

import numpy as np

from pipelines.audio.clip import AudioClip
from pipelines.audio.recording import RecordingError, _sounddevice

log = logging.getLogger(__name__)


class Player:
    """Plays one clip at a time from PortAudio's thread; position_s is safe to poll."""

    def __init__(self):
        self._stream = None
        self._samples = np.zeros((0, 1), np.float32)
        self._rate = 1
        self._frame = 0
        self._lock = threading.Lock()
        self.done = threading.Event()
        self.done.set()

    def play(self, clip: AudioClip, *, device: int | None = None) -> None:
        """Start playing (stopping whatever played before)."""
        sd = _sounddevice()
        self.stop()
        samples = np.clip(np.nan_to_num(clip.samples), -1.0, 1.0).astype(np.float32)
        with self._lock:
            self._samples, self._rate, self._frame = samples, clip.sample_rate_hz, 0
        self.done.clear()
        try:
            self._stream = sd.OutputStream(device=device, samplerate=clip.sample_rate_hz,
                                           channels=min(clip.channels, 2), dtype="float32",
                                           callback=self._fill,
                                           finished_callback=self.done.set)
            self._stream.start()
        except sd.PortAudioError as error:
            self._stream = None
            self.done.set()
            raise RecordingError(f"Could not play audio: {error}. Check that an output device "
                                 "exists and is not in use by another program.") from error

    def _fill(self, out, frames, time_info, status) -> None:
        with self._lock:
            chunk = self._samples[self._frame:self._frame + frames, :out.shape[1]]
            self._frame += len(chunk)
        out[:len(chunk)] = chunk if chunk.shape[1] == out.shape[1] else chunk[:, :1]
        out[len(chunk):] = 0
        if len(chunk) < frames:
            import sounddevice

            raise sounddevice.CallbackStop

    @property
    def position_s(self) -> float:
        with self._lock:
            return self._frame / self._rate

    @property
    def playing(self) -> bool:
        return not self.done.is_set()

    def stop(self) -> None:
        if self._stream is not None:
            self._stream.abort()
            self._stream.close()
            self._stream = None
        self.done.set()
