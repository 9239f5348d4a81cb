"""A labelled slider for one numeric setting, with its value shown and a tooltip that teaches."""

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QWidget


class ParamSlider(QWidget):
    """A slider over [minimum, maximum] in `steps` even steps, reporting float or int values."""

    value_changed = Signal(float)

    def __init__(self, label: str, minimum: float, maximum: float, *, default: float,
                 steps: int = 100, integer: bool = False, tooltip: str = "",
                 special: dict[float, str] | None = None, parent=None):
        super().__init__(parent)
        self._minimum, self._maximum = minimum, maximum
        self._steps = int(maximum - minimum) if integer else steps
        self._integer = integer
        self._special = special or {}

        self._label = QLabel(label)
        self._label.setMinimumWidth(120)
        self._slider = QSlider(Qt.Orientation.Horizontal)
        self._slider.setRange(0, self._steps)
        self._value = QLabel()
        self._value.setMinimumWidth(64)
        self._value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._label)
        layout.addWidget(self._slider, 1)
        layout.addWidget(self._value)
        for widget in (self, self._label, self._slider, self._value):
            widget.setToolTip(tooltip)

        self._slider.valueChanged.connect(self._on_slider)
        self.set_value(default)
        self._show_value()

    def value(self) -> float | int:
        fraction = self._slider.value() / self._steps
        value = self._minimum + fraction * (self._maximum - self._minimum)
        return int(round(value)) if self._integer else round(value, 4)

    def set_value(self, value: float) -> None:
        value = min(max(float(value), self._minimum), self._maximum)
        fraction = (value - self._minimum) / (self._maximum - self._minimum)
        self._slider.setValue(int(round(fraction * self._steps)))

    def _on_slider(self) -> None:
        self._show_value()
        self.value_changed.emit(float(self.value()))

    def _show_value(self) -> None:
        value = self.value()
        text = self._special.get(value)
        self._value.setText(text if text else (f"{value}" if self._integer else f"{value:.2f}"))
