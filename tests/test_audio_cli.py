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
    (["transcribe", "{tmp}"], "is a folder, not an audio file"),
    (["transcribe", "{tmp}/bad.mp3"], "bad.mp3 is not valid MP3 audio"),
    (["transcribe", "{tmp}/bad.mp3", "--srt", "{tmp}/out.txt"], "should end in .srt"),
    (["transcribe", "{tmp}/bad.mp3", "--language", "xx"],
     "--language 'xx' is not a Whisper language code"),
    (["speak", "--text", "  ", "--out", "{tmp}/x.wav"], "empty"),
    (["speak", "--text", "Hi.", "--out", "{tmp}/x.mp3"], "must end in .wav"),
    (["speak", "--text", "Hi.", "--out", "{tmp}/x.wav", "--speed", "9"],
     "--speed must be between 0.5 (slow) and 2.0 (fast); got 9."),
    (["speak", "--text", "Hello", "--out", "{tmp}/x.wav", "--seed", "-5"],
     "--seed must be a whole number from 0 to 4294967295; got -5."),
    (["speak", "--text", "Hello", "--out", "{tmp}/x.wav", "--seed", str(2**32)],
     "--seed must be a whole number from 0 to 4294967295"),
    (["audio", "{tmp}/bad.mp3"], "bad.mp3 is not valid MP3 audio"),
    (["audio", "{tmp}/missing.wav", "--resample", "5"], "--resample must be 1000-384000 Hz"),
    (["audio", "{tmp}/missing.wav", "--resample", "0"],
     "--resample must be 1000-384000 Hz (e.g. 16000 for speech models); got 0."),
    (["audio", "{tmp}/missing.wav", "--max-pause", "-1"],
     "--max-pause must be 0 (off) or more seconds; got -1."),
    (["audio", "{tmp}/missing.wav", "--gate", "5"], "--gate must be between -120 and 0 dBFS"),
    (["audio", "{tmp}/missing.wav", "--target-dbfs", "-3"], "--target-dbfs needs --normalize"),
    (["audio", "{tmp}/missing.wav", "--normalize", "rms", "--target-dbfs", "3"],
     "--target-dbfs must be between -60 and 0 dBFS; got 3.0."),
    (["audio", "{tmp}/missing.wav", "--trim-mode", "vad"], "--trim-mode needs --trim."),
])
def test_bad_input_gives_one_line_and_exit_2(capsys, tmp_path, argv, message):
    (tmp_path / "bad.mp3").write_bytes(b"not an mp3" * 50)
    argv = [part.format(tmp=tmp_path) for part in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert message in err


def test_corrupt_mp3_gives_one_line_and_no_decoder_noise(capfd, tmp_path):
    path = tmp_path / "garbage.mp3"
    path.write_bytes(np.random.default_rng(0).bytes(20000))
    assert main(["transcribe", str(path)]) == 2
    err = capfd.readouterr().err  # file-descriptor level: libmpg123 writes there directly
    assert err == ("glassbox: error: garbage.mp3 is not valid MP3 audio (the file is damaged or "
                   "is not audio); export or download it again, or convert a good copy to "
                   "WAV.\n")


def test_another_language_on_the_english_only_model_is_refused(spoken_wav, capsys):
    assert main(["transcribe", str(spoken_wav), "--language", "de"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "whisper-tiny-en is an English-only (.en) model and only transcribes English" in err
    assert "'de'" in err


def test_language_code_is_case_insensitive(spoken_wav, capsys):
    data = run_json(capsys, "transcribe", str(spoken_wav), "--language", "EN")
    assert word_error_rate(SENTENCE, data["text"]).wer <= 0.10


def test_max_pause_zero_is_off_and_help_says_so(tmp_path, capsys):
    rate = 16000
    tone = 0.5 * np.sin(2 * np.pi * 440 * np.arange(rate // 2) / rate)
    path = tmp_path / "gap.wav"
    soundfile.write(str(path), np.concatenate([tone, np.zeros(2 * rate), tone]), rate)

    data = run_json(capsys, "audio", str(path), "--max-pause", "0")
    assert data["after"]["duration_s"] == data["before"]["duration_s"]
    assert data["steps"] == []
    shortened = run_json(capsys, "audio", str(path), "--max-pause", "0.5")
    assert shortened["after"]["duration_s"] < 2.0

    with pytest.raises(SystemExit):
        main(["audio", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "0 (the default) is off" in help_text
    assert "1000-384000 Hz" in help_text and "leave it out to keep the rate" in help_text


def test_speak_help_gives_the_seed_range(capsys):
    with pytest.raises(SystemExit):
        main(["speak", "--help"])
    assert "0 to 4294967295" in " ".join(capsys.readouterr().out.split())
