"""Text to speech as clips and files, and the round trip: speak, transcribe back, score."""

import threading
from dataclasses import dataclass
from pathlib import Path

from inference.tts import SAMPLE_RATE_HZ, SpeechOptions, load_voice
from inference.whisper import Transcript
from pipelines.audio.clip import AudioClip
from pipelines.audio.files import save_wav
from pipelines.audio.transcription import TranscriptionOptions, transcribe_clip
from pipelines.audio.wer import WerResult, word_error_rate


def speak(text: str, options: SpeechOptions = SpeechOptions(),
          cancel: threading.Event | None = None) -> AudioClip:
    """The text spoken by the bundled voice, mono 24 kHz."""
    audio = load_voice().synthesize(text, options, cancel)
    return AudioClip.from_mono(audio, SAMPLE_RATE_HZ, source="speech synthesis")


def speak_to_file(text: str, path: str | Path,
                  options: SpeechOptions = SpeechOptions()) -> AudioClip:
    clip = speak(text, options)
    save_wav(path, clip)
    return clip


@dataclass
class RoundTrip:
    """Text -> speech -> text, and how far the words drifted."""

    text: str
    clip: AudioClip
    transcript: Transcript
    wer: WerResult


def round_trip(text: str, *, speech: SpeechOptions = SpeechOptions(),
               transcription: TranscriptionOptions = TranscriptionOptions(),
               cancel: threading.Event | None = None) -> RoundTrip:
    """Speak the text, transcribe the audio, and score the transcript against the text."""
    clip = speak(text, speech, cancel)
    transcript = transcribe_clip(clip, transcription, cancel)
    return RoundTrip(text, clip, transcript, word_error_rate(text, transcript.text))
