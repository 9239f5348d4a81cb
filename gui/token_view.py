"""Generated text with each token shaded by its probability; hover shows the alternatives."""

import html

from PySide6.QtCore import QEvent, Signal
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QTextEdit, QToolTip

from gui.distribution_chart import visible_token

TOKEN_INDEX = QTextCharFormat.Property.UserProperty + 1


def probability_colour(prob: float) -> QColor:
    """A pastel from red (the model gave the token little chance) to green (it was sure)."""
    prob = max(0.0, min(1.0, prob))
    return QColor.fromHsvF(0.33 * prob, 0.38, 1.0)


class TokenView(QTextEdit):
    """Read-only text built token by token; clicking a token emits its index."""

    token_clicked = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setReadOnly(True)
        self.setAcceptRichText(False)
        self.setPlaceholderText("Generated text appears here, token by token, shaded from "
                                "green (the model was sure) to red (it took a long shot). "
                                "Hover a token for the alternatives; click it for its chart.")
        self.viewport().installEventFilter(self)
        self._tooltips: list[str] = []

    def clear_tokens(self, prompt: str = "") -> None:
        self.clear()
        self._tooltips.clear()
        if prompt:
            prompt_format = QTextCharFormat()
            prompt_format.setForeground(QColor(110, 110, 110))
            self._append(prompt, prompt_format)

    def add_token(self, text: str, prob: float, alternatives: list[tuple[str, float]]) -> None:
        """Append one token's text, shaded, remembering what else the model considered."""
        index = len(self._tooltips)
        self._tooltips.append(_tooltip(text, prob, alternatives))
        token_format = QTextCharFormat()
        token_format.setBackground(probability_colour(prob))
        token_format.setProperty(TOKEN_INDEX, index)
        self._append(text, token_format)

    def add_text(self, text: str) -> None:
        """Append text that belongs to no single token (held-back text at the end)."""
        self._append(text, QTextCharFormat())

    def _append(self, text: str, text_format: QTextCharFormat) -> None:
        cursor = self.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text, text_format)
        self.setTextCursor(cursor)
        self.ensureCursorVisible()

    def token_at(self, position) -> int | None:
        value = self.cursorForPosition(position).charFormat().property(TOKEN_INDEX)
        return value if isinstance(value, int) and value < len(self._tooltips) else None

    def eventFilter(self, watched, event) -> bool:
        if watched is self.viewport():
            if event.type() == QEvent.Type.ToolTip:
                index = self.token_at(event.pos())
                if index is None:
                    QToolTip.hideText()
                else:
                    QToolTip.showText(event.globalPos(), self._tooltips[index], self)
                return True
            if event.type() == QEvent.Type.MouseButtonRelease:
                index = self.token_at(event.pos())
                if index is not None:
                    self.token_clicked.emit(index)
        return super().eventFilter(watched, event)


def _tooltip(text: str, prob: float, alternatives: list[tuple[str, float]]) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(visible_token(token))}</td>"
        f"<td align='right'>{100 * p:.2f}%</td></tr>" for token, p in alternatives[:10])
    return (f"<b>{html.escape(visible_token(text))}</b>: {100 * prob:.2f}%"
            f"<br>What the model weighed at this step:<table>{rows}</table>")
