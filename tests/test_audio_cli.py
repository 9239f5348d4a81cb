"""`glassbox transcribe`, `speak` and `audio` exactly as the issue's must-show list runs them."""

import json
import warnings

import numpy as np
import pytest
import soundfile

from main import main
from pipelines.audio.wer import word_error_rate
from tests.audio_fixtures import SENTENCE


def run_json(capsys, *argv) -> dict:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def spoken_wav(tmp_path_factory):
    path = tmp_path_factory.mktemp("speak") / "s.wav"
    assert main(["speak", "--text", SENTENCE, "--out", str(path)]) == 0
    return path


def test_speak_then_transcribe_within_ten_percent(spoken_wav, capsys, tmp_path):
    srt = tmp_path / "s.srt"
    data = run_json(capsys, "transcribe", str(spoken_wav), "--srt", str(srt))
    assert set(data) >= {"text", "segments", "duration", "no_speech", "real_time_factor"}
    assert data["no_speech"] is False
    assert word_error_rate(SENTENCE, data["text"]).wer <= 0.10
    assert all(set(s) == {"start", "end", "text"} for s in data["segments"])
    assert srt.read_text().startswith("1\n00:00:0")


def test_48k_stereo_copy_transcribes_the_same(spoken_wav, capsys, tmp_path):
    resampled = tmp_path / "s48.wav"
    run_json(capsys, "audio", str(spoken_wav), "--resample", "48000", "--out", str(resampled))
    samples, rate = soundfile.read(str(resampled), always_2d=True)
    stereo = tmp_path / "s48_stereo.wav"
    soundfile.write(str(stereo), np.repeat(samples, 2, axis=1), rate)

    data = run_json(capsys, "transcribe", str(stereo))
    assert word_error_rate(SENTENCE, data["text"]).wer <= 0.10


@pytest.mark.parametrize("kind", ["silence", "noise"])
def test_silence_and_white_noise_report_no_speech(capsys, tmp_path, kind):
    rng = np.random.default_rng(0)
    samples = np.zeros(48000) if kind == "silence" else rng.uniform(-0.5, 0.5, 48000)
    path = tmp_path / f"{kind}.wav"
    soundfile.write(str(path), samples, 16000)
    data = run_json(capsys, "transcribe", str(path))
    assert data["no_speech"] is True
    assert data["text"] == ""


def test_audio_on_silence_reports_silent_without_numpy_warnings(capsys, tmp_path):
    path = tmp_path / "silence.wav"
    soundfile.write(str(path), np.zeros(48000), 16000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = run_json(capsys, "audio", str(path), "--normalize", "rms", "--trim")
    assert data["before"]["silent"] is True
    assert data["after"]["silent"] is True
    assert data["before"]["rms_dbfs"] is None


def test_audio_prints_stats_before_and_after(spoken_wav, capsys):
    assert main(["audio", str(spoken_wav), "--mono", "--resample", "16000", "--normalize",
                 "peak", "--trim", "--speech"]) == 0
    out = capsys.readouterr().out
    assert "before:" in out and "after:" in out
    assert "24000 Hz" in out and "16000 Hz" in out
    assert "Peak-normalized to -1.0 dBFS" in out
    assert "speech 0." in out


@pytest.mark.parametrize("argv,message", [
    (["transcribe", "{tmp}/missing.wav"], "does not exist"),
    (["transcribe", "{tmp}/bad.mp3"], "Could not decode bad.mp3 as MP3"),
    (["transcribe", "{tmp}/bad.mp3", "--srt", "{tmp}/out.txt"], "should end in .srt"),
    (["speak", "--text", "  ", "--out", "{tmp}/x.wav"], "empty"),
    (["speak", "--text", "Hi.", "--out", "{tmp}/x.mp3"], "must end in .wav"),
    (["speak", "--text", "Hi.", "--out", "{tmp}/x.wav", "--speed", "9"], "speed 9.0"),
    (["audio", "{tmp}/bad.mp3"], "Could not decode"),
    (["audio", "{tmp}/missing.wav", "--resample", "5"], "Resample rate 5 Hz"),
])
def test_bad_input_gives_one_line_and_exit_2(capsys, tmp_path, argv, message):
    (tmp_path / "bad.mp3").write_bytes(b"not an mp3" * 50)
    argv = [part.format(tmp=tmp_path) for part in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert message in err
