"""The Audio tab: record or open sound, preprocess and see it (A/B), transcribe it, speak text."""

import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFileDialog, QFrame, QGroupBox,
                               QHBoxLayout, QLabel, QPlainTextEdit, QProgressBar, QPushButton,
                               QScrollArea, QSplitter, QTabWidget, QVBoxLayout, QWidget)

from gui.audio_widgets import (DeviceChooser, LevelMeter, PreprocessForm, SignalPlot,
                               StatsTable, wrap_label)
from gui.errors import show_error
from gui.settings import Key, settings
from gui.workers import StreamWorker, wait_for
from inference.errors import GlassboxError
from pipelines.audio.clip import AudioClip

log = logging.getLogger(__name__)

SAMPLE_SENTENCE = "Please remind me to call the dentist tomorrow morning at nine."
VIEWS = ["Waveform", "Spectrogram", "Mel spectrogram", "MFCC"]
REFRESH_MS = 40
DEBOUNCE_MS = 250
SCREENSHOT_TIMEOUT_MS = 120_000


@dataclass
class Analysis:
    """Everything the plots and the stats table show for one original/processed pair."""

    run: int
    processed: AudioClip
    notes: list[str]
    stats: tuple[dict, dict]
    features: tuple[object, object]


def _analyse_job(run: int, clip: AudioClip, options):
    def job(cancel: threading.Event):
        from pipelines.audio.features import compute_features
        from pipelines.audio.preprocess import preprocess
        from pipelines.audio.stats import compute_stats

        result = preprocess(clip, options)
        yield None
        stats = (compute_stats(clip, speech=True).as_dict(),
                 compute_stats(result.clip, speech=True).as_dict())
        yield None
        features = tuple(compute_features(c.mono(), c.sample_rate_hz)
                         for c in (clip, result.clip))
        yield Analysis(run, result.clip, result.notes, stats, features)
    return job


class AudioTab(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.original: AudioClip | None = None
        self.analysis: Analysis | None = None
        self.transcript = None
        self.spoken: AudioClip | None = None
        self._run = 0
        self._recorder = None
        self._player = None
        self._playing_plot = None
        self._workers: dict[str, StreamWorker] = {}
        self._build()
        self._restore()
        self._timer = QTimer(self, interval=REFRESH_MS)
        self._timer.timeout.connect(self._tick)
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self.analyse)
        self.preprocess.changed.connect(self._debounce.start)
        self.devices.may_rescan = lambda: self._recorder is None and not (
            self._player is not None and self._player.playing)
        self.devices.refresh()

    # ------------------------------------------------------------------------ layout

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.addLayout(self._toolbar())
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self._left_panel())
        splitter.addWidget(self._plots())
        splitter.addWidget(self._right_panel())
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([330, 600, 350])
        layout.addWidget(splitter, 1)
        self.status = QLabel("Open a file (or drop one here), record, or speak some text.")
        layout.addWidget(self.status)

    def _toolbar(self) -> QHBoxLayout:
        row = QHBoxLayout()
        open_button = QPushButton("Open audio…")
        open_button.setToolTip("WAV, FLAC, OGG or MP3 at any sample rate and channel count. "
                               "You can also drop a file onto this tab.")
        open_button.clicked.connect(self._open_dialog)
        self.devices = DeviceChooser()
        self.record_button = QPushButton("● Record")
        self.record_button.setCheckable(True)
        self.record_button.setToolTip("Start recording from the chosen device; press again "
                                      "to stop.")
        self.record_button.toggled.connect(self._toggle_recording)
        self.meter = LevelMeter()
        self.source_label = QLabel("")
        row.addWidget(open_button)
        row.addSpacing(12)
        row.addWidget(QLabel("Input:"))
        row.addWidget(self.devices, 1)
        row.addWidget(self.record_button)
        row.addWidget(self.meter)
        row.addWidget(self.source_label, 1)
        return row

    def _left_panel(self) -> QWidget:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 0)
        self.preprocess = PreprocessForm()
        layout.addWidget(_group("Preprocessing (B = A after these steps)", self.preprocess))
        self.notes = wrap_label()
        self.notes.setStyleSheet("color: #444;")
        layout.addWidget(_group("What the steps did", self.notes))
        self.stats = StatsTable()
        layout.addWidget(_group("Statistics", self.stats))
        layout.addStretch(1)
        # In a small window the whole column scrolls rather than squeezing the table.
        scroll = QScrollArea()
        scroll.setWidget(panel)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        return scroll

    def _plots(self) -> QWidget:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.view = QComboBox()
        self.view.addItems(VIEWS)
        self.view.setToolTip("What both plots show: the samples, the power per frequency over "
                             "time (dB), the same on the mel scale, or the MFCCs computed "
                             "from it.")
        self.view.currentIndexChanged.connect(self._draw)
        self.play_a = QPushButton("▶ Play A")
        self.play_b = QPushButton("▶ Play B")
        self.stop_button = QPushButton("■ Stop")
        self.play_a.clicked.connect(lambda: self._play("a"))
        self.play_b.clicked.connect(lambda: self._play("b"))
        self.stop_button.clicked.connect(self._stop_playback)
        row.addWidget(QLabel("Show:"))
        row.addWidget(self.view)
        row.addStretch(1)
        for button in (self.play_a, self.play_b, self.stop_button):
            row.addWidget(button)
        layout.addLayout(row)
        self.plot_a = SignalPlot("A: original")
        self.plot_b = SignalPlot("B: processed")
        layout.addWidget(self.plot_a, 1)
        layout.addWidget(self.plot_b, 1)
        return panel

    def _right_panel(self) -> QWidget:
        tabs = QTabWidget()
        tabs.addTab(self._transcribe_panel(), "Speech to text")
        tabs.addTab(self._speak_panel(), "Text to speech")
        self.side_tabs = tabs
        return tabs

    def _transcribe_panel(self) -> QWidget:
        from inference.whisper import DEFAULT_MODEL, available_models

        panel = QWidget()
        layout = QVBoxLayout(panel)
        row = QHBoxLayout()
        self.model = QComboBox()
        self.model.addItems(available_models() or [DEFAULT_MODEL])
        self.model.setToolTip("Speech-recognition model. Drop a larger Whisper export "
                              "(encoder_model.onnx, decoder_model_merged.onnx, tokenizer.json) "
                              "into a folder named whisper-… under models_onnx/ to add it.")
        self.transcribe_button = QPushButton("Transcribe B")
        self.transcribe_button.setToolTip("Find speech with voice activity detection, then "
                                          "run Whisper on it (windows under 30 s).")
        self.transcribe_button.clicked.connect(self.transcribe)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(lambda: self._cancel("transcribe"))
        row.addWidget(self.model, 1)
        row.addWidget(self.transcribe_button)
        row.addWidget(self.cancel_button)
        layout.addLayout(row)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        layout.addWidget(self.progress)
        self.transcript_view = QPlainTextEdit()
        self.transcript_view.setReadOnly(True)
        self.transcript_view.setPlaceholderText("Segments appear here as they are recognized.")
        layout.addWidget(self.transcript_view, 1)
        self.transcript_info = wrap_label()
        layout.addWidget(self.transcript_info)
        layout.addLayout(self._export_row())
        return panel

    def _export_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.export_buttons = []
        for fmt in ("TXT", "SRT", "VTT"):
            button = QPushButton(f"Save {fmt}…")
            button.clicked.connect(lambda _=False, f=fmt.lower(): self._export(f))
            row.addWidget(button)
            self.export_buttons.append(button)
        to_cleaning = QPushButton("→ Text cleaning")
        to_cleaning.setToolTip("Put the transcript into the Text cleaning tab's input.")
        to_cleaning.clicked.connect(self.send_to_cleaning)
        to_library = QPushButton("→ Library")
        to_library.setToolTip("Save the transcript as a text file and add it to the Library.")
        to_library.clicked.connect(self.send_to_library)
        self.export_buttons += [to_cleaning, to_library]
        row.addWidget(to_cleaning)
        row.addWidget(to_library)
        for button in self.export_buttons:
            button.setEnabled(False)
        return row

    def _speak_panel(self) -> QWidget:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        self.tts_text = QPlainTextEdit()
        self.tts_text.setPlaceholderText("Type or paste text to speak.")
        layout.addWidget(self.tts_text, 1)
        row = QHBoxLayout()
        self.speed = QDoubleSpinBox()
        self.speed.setRange(0.5, 2.0)
        self.speed.setSingleStep(0.1)
        self.speed.setValue(1.0)
        self.speed.setPrefix("speed ")
        self.speak_button = QPushButton("Speak")
        self.speak_button.setToolTip("Synthesize the text with the bundled hibari voice; the "
                                     "result becomes A so you can see and process it.")
        self.speak_button.clicked.connect(lambda: self.speak(round_trip=False))
        self.round_trip_button = QPushButton("Round-trip check")
        self.round_trip_button.setToolTip("Speak the text, transcribe it back with Whisper and "
                                          "show the word error rate.")
        self.round_trip_button.clicked.connect(lambda: self.speak(round_trip=True))
        row.addWidget(self.speed)
        row.addWidget(self.speak_button)
        row.addWidget(self.round_trip_button)
        layout.addLayout(row)
        row = QHBoxLayout()
        self.play_spoken = QPushButton("▶ Play")
        self.play_spoken.clicked.connect(lambda: self._play("spoken"))
        self.save_spoken = QPushButton("Save WAV…")
        self.save_spoken.clicked.connect(self._save_spoken)
        for button in (self.play_spoken, self.save_spoken):
            button.setEnabled(False)
            row.addWidget(button)
        layout.addLayout(row)
        self.tts_result = wrap_label()
        layout.addWidget(self.tts_result)
        return panel

    # -------------------------------------------------------------------- audio in

    def _open_dialog(self) -> None:
        from pipelines.audio.files import FILE_FILTER

        path, _ = QFileDialog.getOpenFileName(self, "Open audio", "", FILE_FILTER)
        if path:
            self.load_file(Path(path))

    def load_file(self, path: Path) -> bool:
        """Decode a file into A; a file that cannot be decoded gets one clear message."""
        from pipelines.audio.files import load_audio

        try:
            clip = load_audio(path)
        except GlassboxError as error:
            self.status.setText(str(error))
            show_error(self, "Could not open audio", error)
            return False
        self.set_original(clip, Path(path).name)
        return True

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        urls = [url for url in event.mimeData().urls() if url.isLocalFile()]
        if urls:
            self.load_file(Path(urls[0].toLocalFile()))

    def set_original(self, clip: AudioClip, label: str) -> None:
        self.original = clip
        self.source_label.setText(f"A: {label} ({clip.duration_s:.1f} s, "
                                  f"{clip.sample_rate_hz} Hz, {clip.channels} ch)")
        self.analyse()

    def _toggle_recording(self, on: bool) -> None:
        if on:
            self._start_recording()
        else:
            self._stop_recording()

    def _start_recording(self) -> None:
        from pipelines.audio.recording import Recorder, RecordingError

        self._stop_playback()
        try:
            if self.devices.device_index() is None:
                raise RecordingError(self.devices.problem or "No input device was found; "
                                     "plug in a microphone and press ⟳.")
            self._recorder = Recorder(self.devices.device_index())
            self._recorder.start()
        except GlassboxError as error:
            self._recorder = None
            self.record_button.setChecked(False)
            show_error(self, "Could not record", error)
            return
        self.record_button.setText("■ Stop recording")
        self.plot_a.setTitle("A: recording…")
        self._timer.start()

    def _stop_recording(self) -> None:
        if self._recorder is None:
            return
        recorder, self._recorder = self._recorder, None
        clip = recorder.stop()
        self.record_button.setText("● Record")
        self.meter.set_level(None)
        if clip.frames == 0:
            self.status.setText("The device delivered no audio; check that it is not muted.")
            return
        self.set_original(clip, f"recording ({recorder.device.name})")

    # ---------------------------------------------------------------- processing

    def analyse(self) -> None:
        """Preprocess A into B and compute stats and features, off the GUI thread."""
        if self.original is None:
            return
        try:
            options = self.preprocess.options()
        except GlassboxError as error:
            self.notes.setText(str(error))
            return
        self._run += 1
        self.status.setText("Processing…")
        self._start_worker("analyse", _analyse_job(self._run, self.original, options),
                           self._analysis_ready, self._analysis_finished)

    def _analysis_ready(self, analysis: Analysis) -> None:
        if analysis.run != self._run:
            return  # a newer edit already started another run
        self.analysis = analysis
        self.notes.setText("\n".join(f"• {note}" for note in analysis.notes) or
                           "No step is switched on: B is A.")
        for column, stats in enumerate(analysis.stats):
            self.stats.show_stats(column, stats)
        warnings = analysis.stats[0]["warnings"] + [
            n for f in analysis.features for n in f.notes]
        self.status.setText(" ".join(warnings) or "Ready.")
        self._draw()

    def _analysis_finished(self, error) -> None:
        if error is not None:
            self.status.setText(str(error))
            show_error(self, "Could not process the audio", error)

    def _draw(self) -> None:
        if self.analysis is None:
            return
        view = self.view.currentText()
        clips = (self.original, self.analysis.processed)
        for plot, clip, features, stats in zip((self.plot_a, self.plot_b), clips,
                                               self.analysis.features, self.analysis.stats):
            _draw_view(plot, view, clip, features)
            plot.mark_spans(stats["speech_segments"] if view == "Waveform" else [])

    # -------------------------------------------------------------------- playback

    def _play(self, which: str) -> None:
        from pipelines.audio.playback import Player

        clip = {"a": self.original, "spoken": self.spoken,
                "b": self.analysis.processed if self.analysis else None}[which]
        if clip is None:
            return
        self._player = self._player or Player()
        try:
            self._player.play(clip)
        except GlassboxError as error:
            show_error(self, "Could not play audio", error)
            return
        self._playing_plot = {"a": self.plot_a, "b": self.plot_b}.get(which)
        self._timer.start()

    def _stop_playback(self) -> None:
        if self._player is not None:
            self._player.stop()
        for plot in (self.plot_a, self.plot_b):
            plot.set_cursor(None)

    def _tick(self) -> None:
        """Live level and waveform while recording; the cursor while playing."""
        if self._recorder is not None:
            self.meter.set_level(self._recorder.level_dbfs)
            recent = self._recorder.recent(3.0)
            self.plot_a.show_waveform(recent, self._recorder.sample_rate_hz)
            self.source_label.setText(f"recording {self._recorder.recorded_s:.1f} s")
            return
        if self._player is not None and self._player.playing:
            if self._playing_plot is not None:
                self._playing_plot.set_cursor(self._player.position_s)
            return
        self._stop_playback()
        self._timer.stop()

    # ---------------------------------------------------------------- transcription

    def transcribe(self) -> None:
        from pipelines.audio.transcription import TranscriptionOptions, transcribe_stream

        clip = self.analysis.processed if self.analysis else self.original
        if clip is None:
            self.status.setText("Nothing to transcribe yet: open, record or speak something.")
            return
        options = TranscriptionOptions(model=self.model.currentText())
        self.transcript = None
        self.transcript_view.clear()
        self.transcript_info.setText("")
        self.progress.setValue(0)
        self.transcribe_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self._start_worker("transcribe", lambda cancel: transcribe_stream(clip, options, cancel),
                           self._transcript_event, self._transcription_finished)

    def _transcript_event(self, event) -> None:
        if event.kind == "progress":
            self.progress.setValue(int(event.fraction * 100))
            if event.message:
                self.progress.setFormat(f"{event.message} %p%")
        elif event.kind == "segment":
            s = event.segment
            self.transcript_view.appendPlainText(f"[{s.start_s:6.2f} → {s.end_s:6.2f}] {s.text}")
        elif event.kind == "done":
            self._show_transcript(event.transcript)

    def _show_transcript(self, transcript) -> None:
        self.transcript = transcript
        self.progress.setValue(100)
        self.progress.setFormat("Done %p%")
        if transcript.no_speech:
            self.transcript_view.setPlainText("No speech detected.")
        self.transcript_info.setText(
            f"{transcript.duration_s:.1f} s of audio in {transcript.seconds:.2f} s (real-time "
            f"factor {transcript.real_time_factor:.3f}), model {transcript.model}.")
        for button in self.export_buttons:
            button.setEnabled(bool(transcript.segments))

    def _transcription_finished(self, error) -> None:
        self.transcribe_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if error is not None:
            self.progress.setFormat("Stopped")
            if type(error).__name__ == "CancelledError":
                self.transcript_info.setText("Cancelled; the segments above were finished.")
            else:
                show_error(self, "Transcription failed", error)

    def _export(self, fmt: str) -> None:
        if self.transcript is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, f"Save transcript as {fmt.upper()}",
                                              f"transcript.{fmt}", f"*.{fmt}")
        if path:
            self.export_transcript(Path(path), fmt)

    def export_transcript(self, path: Path, fmt: str) -> None:
        from pipelines.audio.export import export_transcript

        try:
            export_transcript(self.transcript.as_dict()["segments"], path, fmt)
            self.status.setText(f"Saved {path}.")
        except GlassboxError as error:
            show_error(self, "Could not save the transcript", error)

    def send_to_cleaning(self) -> None:
        tab = self._tab("Text cleaning")
        if tab is None or not hasattr(tab, "input") or self.transcript is None:
            self.status.setText("The Text cleaning tab is not available.")
            return
        tab.input.setPlainText(self.transcript.text)
        self.window().tabs.setCurrentWidget(tab)

    def send_to_library(self) -> None:
        """Save the transcript under the data folder, then hand the file to the Library tab."""
        from inference import paths

        if self.transcript is None:
            return
        folder = paths.data_dir() / "transcripts"
        folder.mkdir(parents=True, exist_ok=True)
        name = Path(self.original.source).stem if self.original and self.original.source else ""
        path = folder / f"{name or 'transcript'}-{len(list(folder.iterdir())) + 1}.txt"
        path.write_text(self.transcript.text + "\n", encoding="utf-8")
        tab = self._tab("Library")
        adder = getattr(tab, "add_paths", None)
        if adder is not None:
            adder([path])
            self.window().tabs.setCurrentWidget(tab)
        self.status.setText(f"Saved the transcript as {path}"
                            + ("" if adder else "; add it from the Library tab."))

    def _tab(self, title: str):
        finder = getattr(self.window(), "tab_named", None)
        return finder(title) if finder else None

    # -------------------------------------------------------------------- speech

    def speak(self, *, round_trip: bool) -> None:
        from inference.tts import SpeechOptions
        from pipelines.audio.speech import speak
        from pipelines.audio.transcription import TranscriptionOptions, transcribe_clip
        from pipelines.audio.wer import word_error_rate

        text = self.tts_text.toPlainText()
        options = SpeechOptions(speed=self.speed.value())
        model = self.model.currentText()

        def job(cancel):
            clip = speak(text, options, cancel)
            yield ("speech", clip)
            if round_trip:
                transcript = transcribe_clip(clip, TranscriptionOptions(model=model), cancel)
                yield ("round_trip", (transcript, word_error_rate(text, transcript.text)))

        self.speak_button.setEnabled(False)
        self.round_trip_button.setEnabled(False)
        self.tts_result.setText("Speaking…")
        self._start_worker("speak", job, self._speech_item, self._speech_finished)

    def _speech_item(self, item) -> None:
        kind, value = item
        if kind == "speech":
            self.spoken = value
            for button in (self.play_spoken, self.save_spoken):
                button.setEnabled(True)
            self.tts_result.setText(f"Spoke {value.duration_s:.2f} s at {value.sample_rate_hz} "
                                    "Hz (shown as A).")
            self.set_original(value, "speech synthesis")
        else:
            transcript, wer = value
            verdict = "good" if wer.wer <= 0.1 else "check the words"
            self.tts_result.setText(
                f"Heard back: “{transcript.text}”\nWord error rate {wer.wer:.0%} "
                f"({wer.substitutions} substituted, {wer.deletions} missing, {wer.insertions} "
                f"extra of {wer.reference_words} words) – {verdict}.")
            self.last_round_trip = wer

    def _speech_finished(self, error) -> None:
        self.speak_button.setEnabled(True)
        self.round_trip_button.setEnabled(True)
        if error is not None:
            self.tts_result.setText(str(error))
            show_error(self, "Speech synthesis failed", error)

    def _save_spoken(self) -> None:
        from pipelines.audio.files import save_wav

        path, _ = QFileDialog.getSaveFileName(self, "Save speech", "speech.wav", "*.wav")
        if path and self.spoken is not None:
            try:
                save_wav(path, self.spoken)
                self.tts_result.setText(f"Saved {path}.")
            except GlassboxError as error:
                show_error(self, "Could not save the WAV", error)

    # --------------------------------------------------------------------- workers

    def _start_worker(self, name: str, job, on_item, on_finished) -> None:
        previous = self._workers.get(name)
        if previous is not None and previous.is_running():
            previous.cancel()
        worker = StreamWorker(job, self)
        worker.item.connect(on_item)
        worker.finished.connect(on_finished)
        self._workers[name] = worker
        worker.start()

    def _cancel(self, name: str) -> None:
        worker = self._workers.get(name)
        if worker is not None:
            worker.cancel()

    def wait_idle(self, timeout_ms: int = SCREENSHOT_TIMEOUT_MS) -> bool:
        """Process events until every worker ended (screenshots and tests)."""
        from PySide6.QtWidgets import QApplication

        finished = True
        for worker in list(self._workers.values()):
            if worker.is_running():
                finished = wait_for(worker, timeout_ms) and finished
        # Deliver results a just-ended worker queued before its thread stopped.
        QApplication.processEvents()
        return finished

    # ------------------------------------------------------------- settings, life

    def _restore(self) -> None:
        store = settings()
        saved = store.value(Key.AUDIO_PREPROCESS.value)
        if saved:
            try:
                self.preprocess.restore(json.loads(saved))
            except json.JSONDecodeError:
                log.info("Ignoring unreadable saved preprocessing settings")
        self.tts_text.setPlainText(store.value(Key.AUDIO_TTS_TEXT.value, SAMPLE_SENTENCE))
        model = store.value(Key.AUDIO_MODEL.value)
        if model and self.model.findText(model) >= 0:
            self.model.setCurrentText(model)
        self.view.setCurrentIndex(int(store.value(Key.AUDIO_VIEW.value, 0)))

    def _save(self) -> None:
        store = settings()
        store.setValue(Key.AUDIO_PREPROCESS.value, json.dumps(self.preprocess.state()))
        store.setValue(Key.AUDIO_TTS_TEXT.value, self.tts_text.toPlainText())
        store.setValue(Key.AUDIO_MODEL.value, self.model.currentText())
        store.setValue(Key.AUDIO_VIEW.value, self.view.currentIndex())

    def prepare_screenshot(self) -> None:
        """Speak the sample sentence, preprocess it, show the mel view and transcribe it."""
        from inference.manifest import require_model

        try:
            for name in ("hibari-heart", "silero-vad", self.model.currentText()):
                require_model(name)
        except GlassboxError as error:
            # A dialog would block an offscreen screenshot run; say it in the tab instead.
            self.status.setText(str(error))
            return
        self.tts_text.setPlainText(SAMPLE_SENTENCE)
        self.preprocess.restore({"mono": True, "resample": 2, "normalize": 2, "target": -20,
                                 "trim": True, "trim_mode": 0, "pause_on": False,
                                 "max_pause": 0,
                                 "gate_on": False, "gate": -50})
        self.view.setCurrentIndex(VIEWS.index("Mel spectrogram"))
        self.speak(round_trip=True)
        self.wait_idle()
        self._debounce.stop()
        self.wait_idle()
        self.transcribe()
        self.wait_idle()

    def shutdown(self) -> None:
        self._save()
        self._timer.stop()
        if self._recorder is not None:
            self._recorder.stop()
            self._recorder = None
        self._stop_playback()
        for worker in self._workers.values():
            worker.cancel()
        for worker in self._workers.values():
            worker.wait(5000)


def _draw_view(plot: SignalPlot, view: str, clip: AudioClip, features) -> None:
    if view == "Waveform":
        plot.show_waveform(clip.mono(), clip.sample_rate_hz)
    elif view == "Spectrogram":
        plot.show_image(features.spectrogram_db, clip.duration_s, features.max_freq_hz,
                        "frequency (Hz)", levels=(-100, 0))
    elif view == "Mel spectrogram":
        plot.show_image(features.mel_db, clip.duration_s, features.mel_db.shape[0],
                        "mel band", levels=(-100, 0))
    else:
        plot.show_image(features.mfcc, clip.duration_s, features.mfcc.shape[0], "MFCC index")


def _group(title: str, widget: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    layout.addWidget(widget)
    return box
