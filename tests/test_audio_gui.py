"""The Audio tab with real files, real models and (under .ci/with-audio-device) a real device."""

import os

import numpy as np
import pytest
import soundfile

from pipelines.audio.wer import word_error_rate
from tests.audio_fixtures import SENTENCE, hibari_speech  # noqa: F401

WAIT_MS = 60_000


@pytest.fixture
def errors(monkeypatch):
    """Errors the tab would show in a dialog, collected instead (a modal dialog would block)."""
    shown = []
    monkeypatch.setattr("gui.audio_tab.show_error",
                        lambda parent, title, error: shown.append((title, str(error))))
    return shown


@pytest.fixture
def tab(qtbot, errors):
    from gui.audio_tab import AudioTab

    widget = AudioTab()
    qtbot.addWidget(widget)
    yield widget
    widget.shutdown()


@pytest.fixture
def speech_file(tmp_path, hibari_speech):
    path = tmp_path / "speech.flac"
    stereo = np.repeat(hibari_speech.samples, 2, axis=1)
    soundfile.write(str(path), stereo, hibari_speech.sample_rate_hz)
    return path


def test_open_file_preprocess_and_see_a_b(qtbot, tab, speech_file):
    tab.preprocess.mono.setChecked(True)
    tab.preprocess.resample.setCurrentIndex(2)  # 16 kHz
    assert tab.load_file(speech_file)
    qtbot.waitUntil(lambda: tab.analysis is not None and tab.analysis.processed.channels == 1,
                    timeout=WAIT_MS)
    tab.wait_idle()

    assert tab.stats.item(1, 0).text() == "24000 Hz"
    assert tab.stats.item(1, 1).text() == "16000 Hz"
    assert tab.stats.item(2, 0).text() == "2"
    assert "Mixed the 2 channels down to mono." in tab.notes.text()
    for index in range(tab.view.count()):
        tab.view.setCurrentIndex(index)  # every view draws without error
    assert tab.analysis.features[1].mel_db.shape[0] == 64


def test_skipped_steps_are_explained(qtbot, tab, hibari_speech, tmp_path):
    path = tmp_path / "mono.wav"
    soundfile.write(str(path), hibari_speech.mono(), hibari_speech.sample_rate_hz)
    tab.preprocess.mono.setChecked(True)
    tab.load_file(path)
    qtbot.waitUntil(lambda: tab.analysis is not None, timeout=WAIT_MS)
    tab.wait_idle()

    assert "Mix to mono skipped: the audio is already mono" in tab.notes.text()


def test_max_pause_has_a_checkbox_and_zero_reads_off(qtbot, tab):
    form = tab.preprocess
    assert not form.pause_on.isChecked() and not form.max_pause.isEnabled()
    assert form.max_pause.text() == "0 s (off)"
    assert form.options().max_pause_s == 0.0

    form.pause_on.setChecked(True)
    assert form.max_pause.isEnabled() and form.max_pause.value() == 0.5
    assert form.options().max_pause_s == 0.5

    form.max_pause.setValue(0.0)  # back to 0 is off, and the box says so
    assert not form.pause_on.isChecked()
    form.max_pause.setValue(1.2)
    assert form.options().max_pause_s == 0.0  # a value with the box unticked changes nothing

    form.restore({**form.state(), "pause_on": True, "max_pause": 0.8})
    assert form.pause_on.isChecked() and form.options().max_pause_s == pytest.approx(0.8)
    assert not form.gate.isEnabled()
    form.gate_on.setChecked(True)
    assert form.gate.isEnabled()


def test_every_statistics_row_is_visible_at_the_default_window_size(qtbot, errors,
                                                                    speech_file):
    from gui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    tab = window.tab_named("Audio")
    window.tabs.setCurrentWidget(tab)
    window.show()
    qtbot.waitExposed(window)
    assert (window.width(), window.height()) == (1280, 820)
    tab.load_file(speech_file)
    qtbot.waitUntil(lambda: tab.analysis is not None, timeout=WAIT_MS)
    tab.wait_idle()

    table = tab.stats
    last = table.model().index(table.rowCount() - 1, 1)
    assert table.item(table.rowCount() - 1, 1).text().endswith("s")  # speech segments
    assert table.visualRect(last).bottom() < table.viewport().height()
    assert not table.verticalScrollBar().isVisible()
    # Nothing clips the table itself: the column around it has room for all of it.
    assert table.visibleRegion().boundingRect().height() == table.height()
    window.close()


def test_transcription_streams_segments_and_exports(qtbot, tab, speech_file, tmp_path):
    tab.load_file(speech_file)
    qtbot.waitUntil(lambda: tab.analysis is not None, timeout=WAIT_MS)
    tab.wait_idle()

    tab.transcribe()
    assert not tab.transcribe_button.isEnabled()
    qtbot.waitUntil(lambda: tab.transcript is not None, timeout=WAIT_MS)
    tab.wait_idle()

    assert word_error_rate(SENTENCE, tab.transcript.text).wer <= 0.10
    assert "dentist" in tab.transcript_view.toPlainText()
    assert tab.progress.value() == 100
    assert tab.transcribe_button.isEnabled()
    tab.export_transcript(tmp_path / "t.vtt", "vtt")
    assert (tmp_path / "t.vtt").read_text().startswith("WEBVTT")


def test_silence_shows_no_speech(qtbot, tab, tmp_path):
    path = tmp_path / "silence.wav"
    soundfile.write(str(path), np.zeros(48000), 16000)
    tab.load_file(path)
    qtbot.waitUntil(lambda: tab.analysis is not None, timeout=WAIT_MS)
    tab.wait_idle()
    assert "silent" in tab.status.text()
    tab.transcribe()
    qtbot.waitUntil(lambda: tab.transcript is not None, timeout=WAIT_MS)
    assert tab.transcript.no_speech
    assert tab.transcript_view.toPlainText() == "No speech detected."


def test_undecodable_file_is_one_message_and_keeps_the_current_audio(qtbot, tab, errors,
                                                                     speech_file, tmp_path):
    tab.load_file(speech_file)
    bad = tmp_path / "broken.ogg"
    bad.write_bytes(b"OggS but not really" * 20)
    assert not tab.load_file(bad)
    assert errors and "broken.ogg is not valid OGG audio" in errors[0][1]
    assert tab.original.source == str(speech_file)


def test_round_trip_check_shows_word_error_rate(qtbot, tab):
    tab.tts_text.setPlainText(SENTENCE)
    tab.speak(round_trip=True)
    qtbot.waitUntil(lambda: hasattr(tab, "last_round_trip"), timeout=WAIT_MS)
    tab.wait_idle()
    assert tab.last_round_trip.wer <= 0.10
    assert "Word error rate" in tab.tts_result.text()
    assert tab.save_spoken.isEnabled()
    assert tab.original is tab.spoken


def test_empty_text_to_speak_is_reported(qtbot, tab, errors):
    tab.tts_text.setPlainText("   ")
    tab.speak(round_trip=False)
    qtbot.waitUntil(lambda: tab.speak_button.isEnabled(), timeout=WAIT_MS)
    assert errors and "empty" in errors[0][1]


def test_send_to_text_cleaning_and_library(qtbot, errors, speech_file):
    from gui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    tab = window.tab_named("Audio")
    cleaning = window.tab_named("Text cleaning")
    tab.load_file(speech_file)
    qtbot.waitUntil(lambda: tab.analysis is not None, timeout=WAIT_MS)
    tab.wait_idle()
    tab.transcribe()
    qtbot.waitUntil(lambda: tab.transcript is not None, timeout=WAIT_MS)
    tab.send_to_cleaning()
    if cleaning is not None:
        assert "dentist" in cleaning.input.toPlainText()
        assert window.tabs.currentWidget() is cleaning

    library = window.tab_named("Library")
    tab.send_to_library()
    assert "Saved the transcript as" in tab.status.text()
    if library is not None:
        assert window.tabs.currentWidget() is library
        qtbot.waitUntil(lambda: library._ingest is None, timeout=WAIT_MS)
        statuses = [library.report.item(row, 1).text()
                    for row in range(library.report.rowCount())]
        assert statuses == ["added"]
    window.close()


@pytest.mark.audio_device
@pytest.mark.skipif(not os.environ.get("GLASSBOX_AUDIO_DEVICE"),
                    reason="run under .ci/with-audio-device for a virtual input")
def test_record_button_records_from_the_device_with_a_live_meter(qtbot, tab):
    tab.devices.refresh()
    assert tab.devices.device_index() is not None
    tab.record_button.setChecked(True)
    qtbot.waitUntil(lambda: tab._recorder is not None and tab._recorder.recorded_s > 1.0,
                    timeout=WAIT_MS)
    qtbot.waitUntil(lambda: tab.meter.value() > -60, timeout=WAIT_MS)
    tab.record_button.setChecked(False)
    qtbot.waitUntil(lambda: tab.analysis is not None, timeout=WAIT_MS)
    tab.wait_idle()
    assert tab.original.duration_s > 1.0
    assert "recording" in tab.source_label.text()


def test_dropping_a_file_opens_it(qtbot, tab, speech_file):
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(speech_file))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    tab.dropEvent(event)
    assert tab.original is not None and tab.original.source == str(speech_file)
    qtbot.waitUntil(lambda: tab.analysis is not None, timeout=WAIT_MS)
    tab.wait_idle()


def test_recording_without_a_device_says_so(qtbot, tab, errors):
    tab.devices.combo.clear()
    tab.devices.combo.addItem("(no input device)", None)
    tab.devices.problem = ""
    tab.record_button.setChecked(True)
    assert not tab.record_button.isChecked()
    assert errors and "No input device was found" in errors[0][1]
    assert tab._recorder is None


def test_screenshot_preparation_shows_a_transcribed_sample(qtbot, tab):
    tab.prepare_screenshot()
    assert tab.transcript is not None and "dentist" in tab.transcript.text
    assert tab.view.currentText() == "Mel spectrogram"
    assert tab.analysis.processed.sample_rate_hz == 16000


def test_screenshot_preparation_without_models_says_why(qtbot, tab, monkeypatch, tmp_path):
    monkeypatch.setenv("GLASSBOX_MODELS_DIR", str(tmp_path))
    tab.prepare_screenshot()
    assert "hibari-heart" in tab.status.text() and "glassbox setup-models" in tab.status.text()


@pytest.mark.audio_device
@pytest.mark.skipif(not os.environ.get("GLASSBOX_AUDIO_DEVICE"),
                    reason="run under .ci/with-audio-device for a virtual output")
def test_playback_cursor_follows_and_stops(qtbot, tab, speech_file):
    tab.load_file(speech_file)
    qtbot.waitUntil(lambda: tab.analysis is not None, timeout=WAIT_MS)
    tab.wait_idle()
    tab.play_a.click()
    qtbot.waitUntil(lambda: tab.plot_a.cursor.isVisible() and tab.plot_a.cursor.value() > 0.2,
                    timeout=WAIT_MS)
    assert not tab.plot_b.cursor.isVisible()
    qtbot.waitUntil(lambda: not tab._player.playing and not tab.plot_a.cursor.isVisible(),
                    timeout=WAIT_MS)
    assert tab._player.position_s == pytest.approx(tab.original.duration_s, abs=0.05)
