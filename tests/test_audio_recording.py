"""Recording through a real PortAudio input device: the virtual one .ci/with-audio-device makes."""

import os

import pytest

from pipelines.audio.recording import Recorder, RecordingError, list_input_devices, record
from pipelines.audio.stats import compute_stats
from pipelines.audio.transcription import transcribe_clip
from pipelines.audio.wer import normalize_text

needs_device = pytest.mark.skipif(
    not os.environ.get("GLASSBOX_AUDIO_DEVICE"),
    reason="run under .ci/with-audio-device (./setup.sh --test does) for a virtual input")


@pytest.mark.audio_device
@needs_device
def test_recording_from_the_virtual_device_transcribes_the_played_sentence():
    expected = os.environ["GLASSBOX_TEST_SPEECH_TEXT"]
    # The device loops a ~5.4 s file; 10 s always holds one whole sentence.
    clip = record(10.0)

    stats = compute_stats(clip)
    transcript = transcribe_clip(clip)

    assert clip.duration_s == pytest.approx(10.0, abs=0.1)
    assert not stats.silent
    assert not transcript.no_speech
    # The recording starts and ends mid-loop, so the cut sentences at the edges vary; the
    # whole sentence in the middle must come through word for word.
    heard = " ".join(normalize_text(transcript.text))
    assert " ".join(normalize_text(expected)) in heard, transcript.text


@pytest.mark.audio_device
@needs_device
def test_devices_are_listed_and_levels_reported():
    devices = list_input_devices()
    assert devices and devices[0].is_default
    recorder = Recorder(sample_rate_hz=16000, channels=2)
    recorder.start(seconds=1.0)
    assert recorder.enough.wait(10.0)
    clip = recorder.stop()
    assert clip.sample_rate_hz == 16000 and clip.channels == 2
    assert recorder.recent(0.5).size == 8000
    assert recorder.level_dbfs is None or recorder.level_dbfs <= 0.0


def test_unknown_device_names_the_devices_there_are():
    try:
        devices = list_input_devices()
    except RecordingError as error:
        pytest.skip(f"PortAudio unavailable: {error}")
    with pytest.raises(RecordingError) as raised:
        Recorder("no such microphone 42")
    message = str(raised.value)
    if devices:
        assert "There is no input device 'no such microphone 42'" in message
    else:
        assert "No audio input device was found" in message


def test_recording_length_is_checked():
    with pytest.raises(RecordingError, match="outside 0-900 s"):
        record(0.0)


@pytest.mark.audio_device
@needs_device
def test_rescanning_devices_keeps_recording_possible():
    before = [device.name for device in list_input_devices()]
    after = [device.name for device in list_input_devices(rescan=True)]
    assert after == before
    assert record(0.5).frames > 0


@pytest.mark.parametrize("portaudio_text,expected", [
    ("Error opening InputStream: Device unavailable [PaErrorCode -9985]", "is busy"),
    ("Error opening InputStream: Invalid sample rate [PaErrorCode -9997]",
     "does not support 12345 Hz; choose its default rate, 48000 Hz"),
    ("Error opening InputStream: Unanticipated host error", "Could not open input device"),
])
def test_portaudio_errors_become_one_clear_sentence(portaudio_text, expected):
    from pipelines.audio.recording import InputDevice, _explain

    sounddevice = pytest.importorskip("sounddevice")
    device = InputDevice(3, "USB microphone", 1, 48000, False)
    message = _explain(sounddevice.PortAudioError(portaudio_text), device, 12345)
    assert expected in message and "USB microphone" in message
