"""Real test speech shared by the audio tests: the bundled voice and Debian's espeak-ng."""

import shutil
import subprocess

import numpy as np
import pytest

from pipelines.audio.clip import AudioClip

SENTENCE = "Please remind me to call the dentist tomorrow morning at nine."
SECOND_SENTENCE = "The quick brown fox jumps over the lazy dog."


@pytest.fixture(scope="session")
def hibari_speech() -> AudioClip:
    """The sentence spoken by the hibari voice (mono, 24 kHz), seeded."""
    from pipelines.audio.speech import speak

    return speak(SENTENCE)


@pytest.fixture(scope="session")
def espeak_speech(tmp_path_factory) -> AudioClip:
    """The sentence from espeak-ng (22.05 kHz mono), a different, robotic voice."""
    from pipelines.audio.files import load_audio

    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (./setup.sh installs it)")
    path = tmp_path_factory.mktemp("espeak") / "dentist.wav"
    subprocess.run(["espeak-ng", "-s", "140", "-w", str(path), SENTENCE], check=True)
    return load_audio(path)


def white_noise(seconds: float, rate_hz: int, *, level: float = 0.3, seed: int = 0) -> AudioClip:
    rng = np.random.default_rng(seed)
    return AudioClip.from_mono(rng.uniform(-level, level, int(seconds * rate_hz)), rate_hz)


def silence(seconds: float, rate_hz: int) -> AudioClip:
    return AudioClip.from_mono(np.zeros(int(seconds * rate_hz), np.float32), rate_hz)
