"""A horizontal bar chart of the next-token distribution: which tokens, how likely."""

import pyqtgraph as pg

CHOSEN_BRUSH = pg.mkBrush(230, 126, 34)
OTHER_BRUSH = pg.mkBrush(52, 152, 219)


def visible_token(text: str) -> str:
    """A token as a label: spaces and newlines made visible so ' the' and 'the' differ."""
    return text.replace(" ", "␣").replace("\n", "⏎").replace("\t", "⇥") or "∅"


class DistributionChart(pg.PlotWidget):
    """Shows (token, probability) pairs, most likely on top; the chosen token in orange."""

    def __init__(self, parent=None):
        super().__init__(parent, background="w")
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.getPlotItem().setLabel("bottom", "probability (%)")
        self.getPlotItem().showGrid(x=True, alpha=0.3)
        self.setToolTip("The model's probabilities for the next token: live while text is "
                        "generated, then the first step; click a generated token to see its "
                        "step. Orange marks the token that was picked.")
        self._bars = None
        self._labels: list[pg.TextItem] = []
        self.setTitle("Next-token distribution")

    def show_distribution(self, pairs: list[tuple[str, float]], *, chosen: str | None = None,
                          title: str = "Next-token distribution") -> None:
        plot = self.getPlotItem()
        self._clear()
        self.setTitle(title)
        if not pairs:
            return

        count = len(pairs)
        percents = [100 * prob for _, prob in pairs]
        positions = list(range(count - 1, -1, -1))
        brushes = [CHOSEN_BRUSH if token == chosen else OTHER_BRUSH for token, _ in pairs]
        self._bars = pg.BarGraphItem(x0=0, y=positions, height=0.7, width=percents,
                                     brushes=brushes)
        plot.addItem(self._bars)

        ticks = [(pos, visible_token(token)) for pos, (token, _) in zip(positions, pairs)]
        plot.getAxis("left").setTicks([ticks])
        for pos, percent in zip(positions, percents):
            label = pg.TextItem(f"{percent:.2f}%", color=(40, 40, 40), anchor=(0, 0.5))
            label.setPos(percent, pos)
            plot.addItem(label)
            self._labels.append(label)
        plot.setXRange(0, max(percents) * 1.3, padding=0)
        plot.setYRange(-0.6, count - 0.4, padding=0)

    def _clear(self) -> None:
        plot = self.getPlotItem()
        if self._bars is not None:
            plot.removeItem(self._bars)
            self._bars = None
        for label in self._labels:
            plot.removeItem(label)
        self._labels.clear()
        plot.getAxis("left").setTicks(None)

    def sizeHint(self):
        hint = super().sizeHint()
        hint.setWidth(380)
        return hint

    def minimumSizeHint(self):
        hint = super().minimumSizeHint()
        hint.setWidth(260)
        return hint

