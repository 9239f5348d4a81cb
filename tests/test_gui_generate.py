"""The Generate and Models tabs driven as a user would, offscreen, with the real model."""

import pytest
from PySide6.QtCore import Qt

from gui.generate_tab import GenerateTab
from gui.main_window import MainWindow
from gui.models_tab import ModelsTab

PROMPT = "To date, the cleverest thinker of all time was"


@pytest.fixture()
def tab(qtbot):
    widget = GenerateTab()
    qtbot.addWidget(widget)
    yield widget
    widget.shutdown()


def run_generation(qtbot, tab: GenerateTab) -> None:
    qtbot.mouseClick(tab.generate_button, Qt.MouseButton.LeftButton)
    assert tab._worker is not None
    with qtbot.waitSignal(tab._worker.finished, timeout=120_000):
        pass


def test_greedy_generation_streams_shaded_tokens_and_charts_the_distribution(qtbot, tab):
    tab.prompt.setPlainText(PROMPT)
    tab.strategy.setCurrentText("greedy")
    tab.sliders["max_new_tokens"].set_value(6)
    run_generation(qtbot, tab)

    assert tab.output.toPlainText().startswith(PROMPT + " Albert Einstein")
    assert len(tab._steps) == 6 and tab._steps[0].alternatives[0][0] == " Albert"
    assert "Albert" in tab.output._tooltips[0] and "%" in tab.output._tooltips[0]
    assert tab.chart._bars is not None and len(tab.chart._labels) == 10
    assert "tokens/s" in tab.stats.text()
    assert tab.generate_button.isEnabled() and not tab.stop_button.isEnabled()


def test_stop_keeps_the_text_so_far(qtbot, tab):
    # Counting goes on and on under greedy decoding, so only the stop button can end it.
    tab.prompt.setPlainText("1, 2, 3, 4, 5, 6, 7, 8,")
    tab.sliders["max_new_tokens"].set_value(512)
    qtbot.mouseClick(tab.generate_button, Qt.MouseButton.LeftButton)
    worker = tab._worker
    qtbot.waitUntil(lambda: len(tab._steps) >= 2, timeout=60_000)
    with qtbot.waitSignal(worker.finished, timeout=60_000):
        qtbot.mouseClick(tab.stop_button, Qt.MouseButton.LeftButton)
    assert 2 <= len(tab._steps) < 512
    assert "cancelled" in tab.stats.text()


def test_sliders_follow_the_strategy_and_settings_persist(qtbot, tab):
    tab.strategy.setCurrentText("beam")
    assert tab.sliders["num_beams"].isEnabled() and not tab.sliders["temperature"].isEnabled()
    tab.strategy.setCurrentText("sample")
    assert tab.sliders["temperature"].isEnabled() and not tab.sliders["num_beams"].isEnabled()

    tab.sliders["temperature"].set_value(0.0)
    tab.sliders["top_p"].set_value(0.5)
    tab.prompt.setPlainText("Remember me")
    tab._save(tab.options())

    again = GenerateTab()
    qtbot.addWidget(again)
    assert again.prompt.toPlainText() == "Remember me"
    assert again.strategy.currentText() == "sample"
    assert again.sliders["top_p"].value() == 0.5 and again.options().temperature == 0.0
    again.shutdown()


def test_every_slider_teaches_with_a_tooltip(tab):
    for slider in tab.sliders.values():
        assert len(slider.toolTip()) > 40


def test_models_tab_lists_the_manifest(qtbot):
    models = ModelsTab()
    qtbot.addWidget(models)
    with qtbot.waitSignal(models._worker.finished, timeout=120_000):
        pass
    names = [models.table.item(row, 0).text() for row in range(models.table.rowCount())]
    assert "smollm2-135m-instruct-q4" in names
    row = names.index("smollm2-135m-instruct-q4")
    assert models.table.item(row, 1).text() == "ok"


def test_main_window_has_tabs_in_order_and_shows_memory(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert "Generate" in titles and titles[-1] == "Models"
    assert window.memory_label.text().startswith("Memory:")
    for index in range(window.tabs.count()):
        widget = window.tabs.widget(index)
        if hasattr(widget, "shutdown"):
            widget.shutdown()


def test_a_missing_model_is_reported_in_the_tab_without_blocking(qtbot, tmp_path, monkeypatch):
    from inference.generation import load_generator

    monkeypatch.setenv("GLASSBOX_MODELS_DIR", str(tmp_path))
    load_generator.cache_clear()
    try:
        widget = GenerateTab()
        qtbot.addWidget(widget)
        widget.prepare_screenshot()
        assert "is missing" in widget.stats.text()
        assert "glassbox setup-models --only" in widget.stats.text()
        assert widget.generate_button.isEnabled()
        widget.shutdown()
    finally:
        load_generator.cache_clear()


def _file_drop(path):
    from PySide6.QtCore import QMimeData, QUrl

    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(path))])
    return data


def test_a_dropped_text_file_becomes_the_prompt_whatever_its_encoding(tab, tmp_path):
    story = tmp_path / "histoire.txt"
    story.write_bytes("Il était une fois, à Orléans,".encode("cp1252"))
    tab.prompt.insertFromMimeData(_file_drop(story))
    assert tab.prompt.toPlainText() == "Il était une fois, à Orléans,"

    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"word " * 400_000)
    tab.prompt.insertFromMimeData(_file_drop(huge))
    assert tab.prompt.toPlainText() == "Il était une fois, à Orléans,"
    assert "huge.txt is 2.0 MB" in tab.stats.text()


def test_closing_a_view_while_its_job_runs_stops_the_job_quietly(qtbot):
    import threading

    from PySide6.QtWidgets import QWidget

    from gui.workers import StreamWorker

    started, finished = threading.Event(), threading.Event()

    def job(cancel):
        started.set()
        for step in range(1000):
            if cancel.wait(0.01):
                break
            yield step
        finished.set()

    owner = QWidget()
    worker = StreamWorker(job, owner)
    worker.start()
    assert started.wait(10)
    owner.deleteLater()
    qtbot.waitUntil(finished.is_set, timeout=10_000)
