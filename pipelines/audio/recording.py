"""Recording from an input device with sounddevice (PortAudio): devices, levels, clips."""

import logging
import threading
from collections import deque
from dataclasses import dataclass

import numpy as np

from inference.errors import GlassboxError
from pipelines.audio.clip import AudioClip, to_dbfs

log = logging.getLogger(__name__)

BLOCK_FRAMES = 1024
MAX_RECORDING_S = 15 * 60


class RecordingError(GlassboxError):
    """No input device, a busy or unsupported device, or PortAudio missing."""


@dataclass(frozen=True)
class InputDevice:
    index: int
    name: str
    max_channels: int
    default_rate_hz: int
    is_default: bool

    @property
    def label(self) -> str:
        star = " (default)" if self.is_default else ""
        return f"{self.name}{star} - {self.max_channels} ch, {self.default_rate_hz} Hz"


def _sounddevice():
    try:
        import sounddevice
    except OSError as error:
        raise RecordingError("PortAudio is not installed, so Glassbox cannot record; install "
                             "the libportaudio2 package (./setup.sh does it).") from error
    return sounddevice


def list_input_devices(*, rescan: bool = False) -> list[InputDevice]:
    """Every device that can record, the system default first.

    PortAudio reads the device list once; rescan=True restarts it so a microphone plugged in
    since then appears (only while no stream is open).
    """
    sd = _sounddevice()
    try:
        if rescan:
            sd._terminate()  # the documented way to make PortAudio look again
            sd._initialize()
        devices = sd.query_devices()
        default_in = sd.default.device[0]
    except sd.PortAudioError as error:
        raise RecordingError(f"Could not list audio devices: {error}.") from error
    found = [InputDevice(i, d["name"], int(d["max_input_channels"]),
                         int(d["default_samplerate"]), i == default_in)
             for i, d in enumerate(devices) if d["max_input_channels"] > 0]
    return sorted(found, key=lambda d: not d.is_default)


def resolve_device(device: int | str | None) -> InputDevice:
    """The input device by index or (part of its) name; None is the system default."""
    devices = list_input_devices()
    if not devices:
        raise RecordingError("No audio input device was found; plug in a microphone (or start "
                             "the sound server) and refresh the device list.")
    if device is None:
        return devices[0]
    for candidate in devices:
        if candidate.index == device or (isinstance(device, str)
                                         and device.lower() in candidate.name.lower()):
            return candidate
    names = "; ".join(f"{d.index}: {d.name}" for d in devices)
    raise RecordingError(f"There is no input device '{device}'. Input devices: {names}.")


class Recorder:
    """Records blocks from one device on PortAudio's thread; safe to poll from another."""

    def __init__(self, device: int | str | None = None, *, sample_rate_hz: int | None = None,
                 channels: int = 1):
        self.device = resolve_device(device)
        self.sample_rate_hz = int(sample_rate_hz or self.device.default_rate_hz)
        self.channels = max(1, min(channels, self.device.max_channels))
        self._blocks: list[np.ndarray] = []
        self._recent: deque[np.ndarray] = deque(maxlen=64)
        self._lock = threading.Lock()
        self._frames = 0
        self._level = 0.0
        self._stream = None
        self._status_problems = 0
        self.enough = threading.Event()
        self._target_frames = int(MAX_RECORDING_S * self.sample_rate_hz)

    def start(self, *, seconds: float | None = None) -> None:
        """Open the device and start recording (for `seconds`, or until stop())."""
        sd = _sounddevice()
        if seconds is not None:
            self._target_frames = int(seconds * self.sample_rate_hz)
        try:
            self._stream = sd.InputStream(device=self.device.index, channels=self.channels,
                                          samplerate=self.sample_rate_hz, dtype="float32",
                                          blocksize=BLOCK_FRAMES, callback=self._on_block)
            self._stream.start()
        except sd.PortAudioError as error:
            self._stream = None
            raise RecordingError(_explain(error, self.device, self.sample_rate_hz)) from error
        log.info("Recording from %s at %d Hz, %d channel(s)", self.device.name,
                 self.sample_rate_hz, self.channels)

    def _on_block(self, block, frames, time_info, status) -> None:
        if status:
            self._status_problems += 1
        data = block.copy()
        with self._lock:
            room = self._target_frames - self._frames
            if room > 0:
                self._blocks.append(data[:room])
                self._frames += min(room, len(data))
            self._recent.append(data)
            self._level = float(np.abs(data).max()) if data.size else 0.0
        if self._frames >= self._target_frames:
            self.enough.set()

    @property
    def level_dbfs(self) -> float | None:
        """Peak level of the latest block (None for digital silence)."""
        return to_dbfs(self._level)

    @property
    def recorded_s(self) -> float:
        return self._frames / self.sample_rate_hz

    def recent(self, seconds: float = 2.0) -> np.ndarray:
        """The latest audio (mono), for a live waveform."""
        with self._lock:
            blocks = list(self._recent)
        if not blocks:
            return np.zeros(0, np.float32)
        mono = np.concatenate(blocks).mean(axis=1)
        return mono[-int(seconds * self.sample_rate_hz):]

    def stop(self) -> AudioClip:
        """Close the device and return everything recorded."""
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
            self._stream = None
        if self._status_problems:
            log.warning("%d blocks reported input overflow or underflow", self._status_problems)
        with self._lock:
            samples = (np.concatenate(self._blocks) if self._blocks
                       else np.zeros((0, self.channels), np.float32))
        return AudioClip(samples, self.sample_rate_hz, f"recording from {self.device.name}")


def _explain(error: Exception, device: InputDevice, rate_hz: int) -> str:
    text = str(error)
    if "Device unavailable" in text or "busy" in text.lower():
        return (f"Input device '{device.name}' is busy (another program is using it); close "
                "that program or choose another device.")
    if "Invalid sample rate" in text:
        return (f"Input device '{device.name}' does not support {rate_hz} Hz; choose its "
                f"default rate, {device.default_rate_hz} Hz.")
    return f"Could not open input device '{device.name}': {text}."


def record(seconds: float, *, device: int | str | None = None,
           sample_rate_hz: int | None = None, channels: int = 1,
           cancel: threading.Event | None = None) -> AudioClip:
    """Record a fixed duration (returns early, with what it has, if cancel is set)."""
    if not 0 < seconds <= MAX_RECORDING_S:
        raise RecordingError(f"Recording length {seconds} s is outside 0-{MAX_RECORDING_S} s.")
    recorder = Recorder(device, sample_rate_hz=sample_rate_hz, channels=channels)
    recorder.start(seconds=seconds)
    try:
        deadline_s = seconds + 5.0  # a stalled device must not hang the caller
        waited = 0.0
        while not recorder.enough.wait(0.1) and waited < deadline_s:
            waited += 0.1
            if cancel is not None and cancel.is_set():
                break
    finally:
        clip = recorder.stop()
    if clip.frames == 0:
        raise RecordingError(f"Input device '{recorder.device.name}' delivered no audio; check "
                             "that it is connected and not muted.")
    return clip
