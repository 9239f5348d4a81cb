"""Audio pipelines without models: files, preprocessing, statistics, features, WER, export."""

import os
import warnings

import numpy as np
import pytest
import soundfile

from inference.errors import InputFileError, InvalidSettingError
from pipelines.audio.clip import AudioClip
from pipelines.audio.export import export_transcript, to_srt, to_vtt
from pipelines.audio.features import compute_features
from pipelines.audio.files import load_audio, save_wav
from pipelines.audio.preprocess import PreprocessOptions, preprocess, standardize
from pipelines.audio.stats import compute_stats
from pipelines.audio.wer import normalize_text, number_to_words, word_error_rate
from tests.audio_fixtures import silence, white_noise


def tone(seconds=1.0, rate_hz=16000, freq=440.0, level=0.5, channels=1) -> AudioClip:
    t = np.arange(int(seconds * rate_hz)) / rate_hz
    mono = (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return AudioClip(np.repeat(mono[:, None], channels, axis=1), rate_hz)


# ------------------------------------------------------------------------------ files


@pytest.mark.parametrize("suffix,subtype", [(".wav", "PCM_16"), (".flac", "PCM_16"),
                                            (".ogg", "VORBIS"), (".mp3", "MPEG_LAYER_III")])
@pytest.mark.parametrize("rate_hz,channels", [(8000, 1), (44100, 2), (48000, 2)])
def test_every_format_rate_and_channel_count_loads(tmp_path, suffix, subtype, rate_hz,
                                                   channels):
    clip = tone(rate_hz=rate_hz, channels=channels)
    path = tmp_path / f"tone{suffix}"
    soundfile.write(str(path), clip.samples, rate_hz, subtype=subtype)

    loaded = load_audio(path)

    assert loaded.sample_rate_hz == rate_hz
    assert loaded.channels == channels
    # Lossy codecs add padding; the duration stays within a few frames of a second.
    assert abs(loaded.duration_s - 1.0) < 0.1
    assert 0.3 < np.abs(loaded.samples).max() < 0.7


@pytest.mark.parametrize("name,content,expected", [
    ("missing.wav", None, "does not exist"),
    ("empty.wav", b"", "is empty"),
    ("garbage.mp3", b"this is not audio at all" * 40, "garbage.mp3 is not valid MP3 audio"),
    ("noise.wav", b"RIFF0000WAVEjunk" * 10,
     r"noise.wav is not valid WAV audio \(the file is damaged or is not audio\); export"),
    ("notes.xyz", b"RIFF0000WAVEjunk" * 10, "Could not decode notes.xyz as XYZ"),
    ("recordings", "folder", "recordings is a folder, not an audio file"),
])
def test_undecodable_files_give_one_clear_sentence(tmp_path, name, content, expected):
    path = tmp_path / name
    if content == "folder":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(InputFileError, match=expected):
        load_audio(path)


def test_corrupt_mp3_is_named_and_the_decoder_prints_nothing(tmp_path, capfd):
    path = tmp_path / "garbage.mp3"
    path.write_bytes(np.random.default_rng(0).bytes(20000))  # libmpg123 tries to resync this

    with pytest.raises(InputFileError, match="garbage.mp3 is not valid MP3 audio") as error:
        load_audio(path)
    os.write(2, b"stderr works again\n")

    assert "exist" not in str(error.value)
    assert capfd.readouterr().err == "stderr works again\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may read any file")
def test_unreadable_file_says_permission_denied(tmp_path):
    path = tmp_path / "locked.wav"
    soundfile.write(str(path), np.zeros(1600), 16000)
    path.chmod(0)
    with pytest.raises(InputFileError, match="permission denied"):
        load_audio(path)


def test_a_wav_without_frames_is_reported(tmp_path):
    path = tmp_path / "none.wav"
    soundfile.write(str(path), np.zeros((0, 1), np.float32), 16000)
    with pytest.raises(InputFileError, match="holds no audio frames"):
        load_audio(path)


def test_save_wav_round_trips_and_refuses_bad_paths(tmp_path):
    clip = tone(channels=2)
    path = save_wav(tmp_path / "out.wav", clip)
    assert load_audio(path).channels == 2
    with pytest.raises(InputFileError, match="must end in .wav"):
        save_wav(tmp_path / "out.mp3", clip)
    with pytest.raises(InputFileError, match="does not exist"):
        save_wav(tmp_path / "nowhere" / "out.wav", clip)


# ------------------------------------------------------------------------ preprocessing


def test_mono_resample_and_peak_normalize():
    clip = tone(rate_hz=44100, channels=2, level=0.25)
    result = preprocess(clip, PreprocessOptions(mono=True, resample_hz=16000, normalize="peak",
                                                target_peak_dbfs=-1.0))
    assert result.clip.channels == 1
    assert result.clip.sample_rate_hz == 16000
    assert result.clip.frames == 16000
    assert np.abs(result.clip.samples).max() == pytest.approx(10 ** (-1 / 20), rel=1e-3)
    assert any("Resampled 44100 Hz -> 16000 Hz" in note for note in result.notes)
    assert "Mixed the 2 channels down to mono." in result.notes


def test_ticked_steps_with_nothing_to_do_say_why():
    result = preprocess(tone(rate_hz=16000), PreprocessOptions(mono=True, resample_hz=16000))
    assert result.notes == ["Mix to mono skipped: the audio is already mono (one channel).",
                            "Resampling skipped: the audio is already at 16000 Hz."]
    assert result.clip.frames == 16000


def test_max_pause_zero_is_off():
    rate = 16000
    clip = AudioClip.from_mono(np.concatenate([tone(0.3, rate).mono(), np.zeros(rate),
                                               tone(0.3, rate).mono()]), rate)
    result = preprocess(clip, PreprocessOptions(max_pause_s=0.0))
    assert result.clip.frames == clip.frames
    assert result.notes == []


def test_rms_normalize_hits_target_and_limits_peaks():
    quiet = tone(level=0.05)
    result = preprocess(quiet, PreprocessOptions(normalize="rms", target_rms_dbfs=-20.0))
    assert compute_stats(result.clip).rms_dbfs == pytest.approx(-20.0, abs=0.05)

    loud = preprocess(quiet, PreprocessOptions(normalize="rms", target_rms_dbfs=-1.0))
    assert np.abs(loud.clip.samples).max() < 1.0
    assert "limited" in loud.notes[-1]


def test_silence_is_reported_not_divided_by_zero():
    clip = silence(3.0, 16000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any numpy divide-by-zero warning fails the test
        stats = compute_stats(clip)
        result = preprocess(clip, PreprocessOptions(normalize="rms", trim=True,
                                                    max_pause_s=0.5, gate_dbfs=-40))
        peak = preprocess(clip, PreprocessOptions(normalize="peak"))
        features = compute_features(clip.mono(), clip.sample_rate_hz)
    assert stats.silent and stats.peak_dbfs is None and stats.rms_dbfs is None
    assert stats.silence_fraction == 1.0
    assert any("silent" in w for w in stats.warnings)
    assert result.clip.frames == clip.frames  # nothing lost
    assert any("Trim skipped" in note for note in result.notes)
    assert any("skipped: the audio is silent" in note for note in result.notes)
    assert any("skipped" in note for note in peak.notes)
    assert np.isfinite(features.mel_db).all()


def test_nan_and_clipped_samples_are_counted_and_repaired():
    samples = tone(level=1.0).samples.copy()
    samples[10:15] = np.nan
    clip = AudioClip(samples, 16000)
    stats = compute_stats(clip)
    assert stats.nan_samples == 5
    assert stats.clipped_samples > 0
    result = preprocess(clip, PreprocessOptions(normalize="peak"))
    assert np.isfinite(result.clip.samples).all()
    assert result.notes[0] == "Replaced 5 NaN/infinite samples with 0."


def test_clip_shorter_than_a_window_is_reported_and_still_analysed():
    clip = AudioClip.from_mono(np.full(100, 0.1, np.float32), 16000)
    stats = compute_stats(clip)
    features = compute_features(clip.mono(), 16000)
    assert stats.too_short
    assert any("fewer than one" in w for w in stats.warnings)
    assert features.notes and features.mfcc.shape[0] == 13


def test_trim_and_pause_shortening_and_gate():
    rate = 16000
    gap = np.zeros(rate, np.float32)
    burst = tone(0.5, rate).mono()
    clip = AudioClip.from_mono(np.concatenate([gap, burst, gap, gap, burst, gap]), rate)

    trimmed = preprocess(clip, PreprocessOptions(trim=True)).clip
    assert trimmed.duration_s == pytest.approx(3.0, abs=0.05)

    shortened = preprocess(clip, PreprocessOptions(max_pause_s=0.4)).clip
    assert shortened.duration_s == pytest.approx(3.4, abs=0.05)  # only the inner pause

    noisy = AudioClip.from_mono(clip.mono() + white_noise(5.0, rate, level=0.001).mono(), rate)
    gated = preprocess(noisy, PreprocessOptions(gate_dbfs=-40.0)).clip
    assert np.abs(gated.samples[: rate // 2]).max() < 1e-4
    assert np.abs(gated.samples[rate + 100: rate + 4000]).max() > 0.3


@pytest.mark.parametrize("options,message", [
    (dict(normalize="loud"), "normalize 'loud'"),
    (dict(resample_hz=10), "Resample rate 10 Hz"),
    (dict(target_peak_dbfs=3.0), "between -60 and 0 dBFS"),
    (dict(trim_mode="magic"), "trim mode 'magic'"),
    (dict(max_pause_s=-1.0), r"Max pause must be 0 s \(off\) or more seconds; got -1\."),
    (dict(top_db=0.0), "silence threshold"),
    (dict(gate_dbfs=5.0), "Noise gate threshold 5 dBFS is outside -120 to 0"),
])
def test_bad_preprocessing_settings_are_refused(options, message):
    with pytest.raises(InvalidSettingError, match=message):
        PreprocessOptions(**options)


def test_standardize_gives_zero_mean_unit_variance_and_handles_constant_rows():
    rng = np.random.default_rng(0)
    values = np.vstack([rng.normal(5, 3, 200), np.full(200, 7.0)])
    out = standardize(values, axis=1)
    assert out[0].mean() == pytest.approx(0, abs=1e-5)
    assert out[0].std() == pytest.approx(1, abs=1e-4)
    assert np.all(out[1] == 0)


def test_features_have_expected_shapes_for_8k_audio():
    features = compute_features(tone(rate_hz=8000).mono(), 8000)
    assert features.spectrogram_db.shape[0] == 257
    assert features.mel_db.shape[0] == 64
    assert features.max_freq_hz == 4000
    # The 440 Hz tone is the loudest bin.
    peak_bin = features.spectrogram_db.mean(axis=1).argmax()
    assert abs(peak_bin * 8000 / 512 - 440) < 16


# ----------------------------------------------------------------------- WER and export


def test_numbers_count_as_words_or_digits():
    assert number_to_words(1250) == "one thousand two hundred fifty"
    assert normalize_text("Call at 9:00, o'clock!") == ["call", "at", "nine"]
    result = word_error_rate("the dentist at nine", "The dentist at 9.")
    assert result.wer == 0.0


def test_wer_counts_substitutions_deletions_insertions():
    result = word_error_rate("a b c d", "a x c d e")
    assert (result.substitutions, result.deletions, result.insertions) == (1, 0, 1)
    assert result.wer == pytest.approx(0.5)
    assert word_error_rate("a b", "").deletions == 2
    assert word_error_rate("", "").wer == 0.0


def test_srt_and_vtt_formats(tmp_path):
    segments = [{"start": 0.0, "end": 1.5, "text": " Hello."},
                {"start": 3661.25, "end": 3662.0, "text": "Later."}]
    assert to_srt(segments).splitlines()[:3] == ["1", "00:00:00,000 --> 00:00:01,500",
                                                 "Hello."]
    assert "01:01:01.250 --> 01:01:02.000" in to_vtt(segments)
    assert to_vtt(segments).startswith("WEBVTT\n\n")
    path = export_transcript(segments, tmp_path / "out.srt")
    assert path.read_text().count("-->") == 2
    with pytest.raises(InputFileError, match="use a .txt, .srt or .vtt"):
        export_transcript(segments, tmp_path / "out.doc")
