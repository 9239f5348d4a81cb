"""Widgets of the Audio tab: device chooser, level meter, plots, stats table, preprocessing form."""

import logging

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout,
                               QHeaderView, QLabel, QProgressBar, QPushButton, QTableWidget,
                               QTableWidgetItem, QWidget)

from pipelines.audio.preprocess import PreprocessOptions

log = logging.getLogger(__name__)

METER_FLOOR_DBFS = -60
DEFAULT_MAX_PAUSE_S = 0.5
RESAMPLE_CHOICES = [("keep", 0), ("8 kHz", 8000), ("16 kHz (speech models)", 16000),
                    ("22.05 kHz", 22050), ("44.1 kHz", 44100), ("48 kHz", 48000)]


class DeviceChooser(QWidget):
    """Input devices in a combo box, with a refresh button (devices come and go)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.combo = QComboBox()
        self.combo.setMinimumContentsLength(24)
        self.combo.setToolTip("The microphone (input device) to record from.")
        refresh = QPushButton("⟳")
        refresh.setToolTip("List the input devices again (after plugging one in).")
        refresh.setFixedWidth(32)
        refresh.clicked.connect(lambda: self.refresh(rescan=self.may_rescan()))
        self.may_rescan = lambda: True  # the tab says no while it records or plays
        layout.addWidget(self.combo, 1)
        layout.addWidget(refresh)
        self.problem = ""

    def refresh(self, *, rescan: bool = False) -> None:
        from pipelines.audio.recording import RecordingError, list_input_devices

        current = self.combo.currentData()
        self.combo.clear()
        try:
            devices = list_input_devices(rescan=rescan)
            self.problem = "" if devices else "No input device found."
        except RecordingError as error:
            devices, self.problem = [], str(error)
        for device in devices:
            self.combo.addItem(device.label, device.index)
        if not devices:
            self.combo.addItem("(no input device)", None)
        index = self.combo.findData(current)
        if index >= 0:
            self.combo.setCurrentIndex(index)

    def device_index(self) -> int | None:
        return self.combo.currentData()


class LevelMeter(QProgressBar):
    """The input's peak level in dBFS, from -60 to 0; red near full scale."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setRange(METER_FLOOR_DBFS, 0)
        self.setTextVisible(True)
        self.setFixedWidth(160)
        self.setToolTip("Peak input level in dBFS (0 is full scale; keep peaks below -3).")
        self.set_level(None)

    def set_level(self, dbfs: float | None) -> None:
        value = METER_FLOOR_DBFS if dbfs is None else max(METER_FLOOR_DBFS, min(0, dbfs))
        self.setValue(int(value))
        self.setFormat("-inf dBFS" if dbfs is None else f"{dbfs:.0f} dBFS")
        colour = "#d33" if value > -3 else "#e0a000" if value > -12 else "#3a3"
        self.setStyleSheet("QProgressBar { border: 1px solid #999; border-radius: 3px; "
                           "text-align: center; } "
                           f"QProgressBar::chunk {{ background: {colour}; }}")


class SignalPlot(pg.PlotWidget):
    """A waveform or a time-frequency image, with a playback cursor and speech spans."""

    def __init__(self, title: str, parent=None):
        super().__init__(parent)
        self.setBackground("w")
        self.setTitle(title, color="#333", size="9pt")
        self.getPlotItem().setLabel("bottom", "time", units="s")
        self.showGrid(x=True, y=True, alpha=0.2)
        self._curve = self.plot(pen=pg.mkPen("#2060c0", width=1))
        self._image = pg.ImageItem()
        self._image.setColorMap(pg.colormap.get("viridis"))
        self.addItem(self._image)
        self.cursor = pg.InfiniteLine(pos=0, angle=90, pen=pg.mkPen("#d02020", width=2))
        self.cursor.setVisible(False)
        self.addItem(self.cursor)
        self._regions: list = []

    def show_waveform(self, mono: np.ndarray, rate_hz: int, *, max_points: int = 20000) -> None:
        self._image.setVisible(False)
        self._curve.setVisible(True)
        step = max(1, mono.size // max_points)
        # Min/max decimation keeps peaks visible when a long clip has more samples than pixels.
        if step > 1:
            usable = mono[:mono.size // step * step].reshape(-1, step)
            values = np.column_stack([usable.min(axis=1), usable.max(axis=1)]).reshape(-1)
            times = np.repeat(np.arange(usable.shape[0]) * step / rate_hz, 2)
        else:
            values, times = mono, np.arange(mono.size) / rate_hz
        self._curve.setData(times, np.nan_to_num(values))
        self.getPlotItem().setLabel("left", "amplitude")
        self.setYRange(-1.0, 1.0)
        self.setXRange(0, max(mono.size / rate_hz, 1e-3), padding=0.01)

    def show_image(self, matrix: np.ndarray, duration_s: float, top: float, label: str,
                   levels: tuple[float, float] | None = None) -> None:
        self._curve.setVisible(False)
        self._image.setVisible(True)
        self._image.setImage(matrix.T, autoLevels=levels is None, levels=levels)
        frames = max(matrix.shape[1], 1)
        self._image.setRect(0, 0, max(duration_s, frames * 1e-3), top)
        self.getPlotItem().setLabel("left", label)
        self.setYRange(0, top, padding=0)
        self.setXRange(0, max(duration_s, 1e-3), padding=0.01)

    def mark_spans(self, spans: list[dict]) -> None:
        for region in self._regions:
            self.removeItem(region)
        self._regions = []
        for span in spans:
            region = pg.LinearRegionItem((span["start"], span["end"]), movable=False,
                                         brush=pg.mkBrush(60, 180, 80, 40))
            self.addItem(region)
            self._regions.append(region)

    def set_cursor(self, seconds: float | None) -> None:
        self.cursor.setVisible(seconds is not None)
        if seconds is not None:
            self.cursor.setValue(seconds)


STAT_ROWS = [("duration_s", "Duration", "{:.2f} s"), ("sample_rate_hz", "Sample rate", "{} Hz"),
             ("channels", "Channels", "{}"), ("peak_dbfs", "Peak", "{:.1f} dBFS"),
             ("rms_dbfs", "RMS level", "{:.1f} dBFS"), ("clipped_samples", "Clipped samples",
                                                       "{}"),
             ("nan_samples", "NaN samples", "{}"), ("silence_fraction", "Silence", "{:.0%}"),
             ("speech_segments", "Speech segments", "{}")]


class StatsTable(QTableWidget):
    """Original and processed statistics side by side, every row visible without scrolling."""

    def __init__(self, parent=None):
        super().__init__(len(STAT_ROWS), 2, parent)
        self.setHorizontalHeaderLabels(["Original (A)", "Processed (B)"])
        self.setVerticalHeaderLabels([label for _, label, _ in STAT_ROWS])
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.setWordWrap(False)
        # Compact rows, and a height that holds all of them, so no row hides behind a scrollbar.
        rows = self.verticalHeader()
        rows.setMinimumSectionSize(1)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 6)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFixedHeight(self.rows_height())

    def rows_height(self) -> int:
        """Pixels needed to show the header and every row."""
        header = self.horizontalHeader().sizeHint().height()
        rows = self.verticalHeader().defaultSectionSize() * self.rowCount()
        return header + rows + 2 * self.frameWidth() + 2

    def show_stats(self, column: int, stats: dict | None) -> None:
        for row, (key, _, fmt) in enumerate(STAT_ROWS):
            item = QTableWidgetItem(_format(stats, key, fmt))
            item.setToolTip(item.text())  # rows do not wrap; a long segment list is cut
            self.setItem(row, column, item)


def _format(stats: dict | None, key: str, fmt: str) -> str:
    if stats is None:
        return ""
    value = stats[key]
    if key == "speech_segments":
        return ", ".join(f"{s['start']:.1f}-{s['end']:.1f}s" for s in value) or "none"
    if value is None:
        return "-inf (silence)"
    text = fmt.format(value)
    if key == "rms_dbfs" and stats.get("silent"):
        text += " (silent)"
    return text


class PreprocessForm(QWidget):
    """Every preprocessing step as a control; `changed` fires on any edit."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        form = QFormLayout(self)
        self.mono = QCheckBox("Mix to mono")
        self.resample = QComboBox()
        for label, rate in RESAMPLE_CHOICES:
            self.resample.addItem(label, rate)
        self.normalize = QComboBox()
        self.normalize.addItems(["none", "peak", "rms"])
        self.normalize.setToolTip("peak: loudest sample to the target. rms: average loudness "
                                  "to the target (peaks are kept below full scale).")
        self.target = _spin(-60, 0, -20, " dBFS")
        self.trim = QCheckBox("Trim silence at the ends")
        self.trim_mode = QComboBox()
        self.trim_mode.addItems(["energy", "vad"])
        self.trim_mode.setToolTip("energy: frames 40 dB below the loudest count as silence. "
                                  "vad: the voice activity model decides.")
        self.pause_on = QCheckBox("Max pause")
        self.pause_on.setToolTip("Shorten inner pauses that are longer than the limit.")
        self.max_pause = _spin(0, 10, 0, " s", step=0.1)
        self.max_pause.setSpecialValueText("0 s (off)")
        self.max_pause.setToolTip("Inner pauses longer than this are shortened to it. "
                                  "0 s = off (pauses are kept).")
        self.gate_on = QCheckBox("Noise gate")
        self.gate = _spin(-90, 0, -50, " dBFS")
        self.gate.setToolTip("Frames quieter than this are muted.")
        self.pause_on.toggled.connect(self._pause_toggled)
        self.max_pause.valueChanged.connect(self._pause_value_changed)
        self.gate_on.toggled.connect(self.gate.setEnabled)
        self.max_pause.setEnabled(False)
        self.gate.setEnabled(False)
        form.addRow(self.mono)
        form.addRow("Resample", self.resample)
        form.addRow("Normalize", self.normalize)
        form.addRow("Target", self.target)
        form.addRow(self.trim)
        form.addRow("Trim by", self.trim_mode)
        form.addRow(self.pause_on, self.max_pause)
        form.addRow(self.gate_on, self.gate)
        for widget in (self.mono, self.trim, self.pause_on, self.gate_on):
            widget.toggled.connect(self.changed)
        for widget in (self.resample, self.normalize, self.trim_mode):
            widget.currentIndexChanged.connect(self.changed)
        for widget in (self.target, self.max_pause, self.gate):
            widget.valueChanged.connect(self.changed)

    def options(self) -> PreprocessOptions:
        mode = self.normalize.currentText()
        return PreprocessOptions(
            mono=self.mono.isChecked(), resample_hz=int(self.resample.currentData()),
            normalize=mode, target_peak_dbfs=self.target.value() if mode == "peak" else -1.0,
            target_rms_dbfs=self.target.value() if mode == "rms" else -20.0,
            trim=self.trim.isChecked(), trim_mode=self.trim_mode.currentText(),
            max_pause_s=self.max_pause.value() if self.pause_on.isChecked() else 0.0,
            gate_dbfs=self.gate.value() if self.gate_on.isChecked() else None)

    def state(self) -> dict:
        return {"mono": self.mono.isChecked(), "resample": self.resample.currentIndex(),
                "normalize": self.normalize.currentIndex(), "target": self.target.value(),
                "trim": self.trim.isChecked(), "trim_mode": self.trim_mode.currentIndex(),
                "pause_on": self.pause_on.isChecked(), "max_pause": self.max_pause.value(),
                "gate_on": self.gate_on.isChecked(),
                "gate": self.gate.value()}

    def restore(self, state: dict) -> None:
        try:
            self.mono.setChecked(bool(state["mono"]))
            self.resample.setCurrentIndex(int(state["resample"]))
            self.normalize.setCurrentIndex(int(state["normalize"]))
            self.target.setValue(float(state["target"]))
            self.trim.setChecked(bool(state["trim"]))
            self.trim_mode.setCurrentIndex(int(state["trim_mode"]))
            self.max_pause.setValue(float(state["max_pause"]))
            # Settings saved before the checkbox existed meant "on" by a value above 0.
            self.pause_on.setChecked(bool(state.get("pause_on", float(state["max_pause"]) > 0)))
            self.gate_on.setChecked(bool(state["gate_on"]))
            self.gate.setValue(float(state["gate"]))
        except (KeyError, TypeError, ValueError):
            log.info("Ignoring saved preprocessing settings that do not fit this version")


    def _pause_toggled(self, on: bool) -> None:
        # Ticking with the limit at 0 would change nothing; start from a typical half second.
        if on and self.max_pause.value() == 0:
            self.max_pause.setValue(DEFAULT_MAX_PAUSE_S)
        self.max_pause.setEnabled(on)

    def _pause_value_changed(self, value: float) -> None:
        if value == 0 and self.pause_on.isChecked():
            self.pause_on.setChecked(False)  # the box and "0 s (off)" always agree


def _spin(low: float, high: float, value: float, suffix: str, step: float = 1.0):
    spin = QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setSingleStep(step)
    spin.setDecimals(1)
    spin.setValue(value)
    spin.setSuffix(suffix)
    return spin


def wrap_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label
