"""The Library tab: drop-in ingest with per-file report, search, answers, citations, map, index."""

import pytest

from gui.library_tab import LibraryTab
from tests.fixtures.documents import constitution_text, make_mixed_folder

WAIT_MS = 120_000


@pytest.fixture
def tab(qtbot, tmp_path):
    widget = LibraryTab()
    qtbot.addWidget(widget)
    widget.open_library(tmp_path / "library")
    yield widget
    widget.shutdown()


def _ingest(qtbot, tab, paths):
    with qtbot.waitSignal(_started(tab, paths).finished, timeout=WAIT_MS):
        pass


def _started(tab, paths):
    tab.add_paths(paths)
    return tab._ingest


def _report(tab):
    return {tab.report.item(r, 0).text(): tab.report.item(r, 1).text()
            for r in range(tab.report.rowCount())}


def test_dropped_folder_gets_a_report_per_file_and_search_works(qtbot, tab, tmp_path):
    make_mixed_folder(tmp_path / "inbox")
    (tmp_path / "inbox" / "constitution.txt").write_text(constitution_text(), encoding="ascii")

    _ingest(qtbot, tab, [tmp_path / "inbox"])

    report = _report(tab)
    assert report["empty.txt"] == "skipped" and report["broken.pdf"] == "skipped"
    assert report["constitution.txt"] == "added" and report["recipes [draft].docx"] == "added"
    assert tab.documents.rowCount() == 5
    assert "Done:" in tab.progress_label.text()
    assert "Plan: 7 files: 7 new" in tab.progress_label.text()

    tab.query.setText("commander in chief of the army and navy")
    tab.search()
    qtbot.waitUntil(lambda: tab._query is None, timeout=WAIT_MS)
    assert tab.results.rowCount() == 5
    assert tab.results.item(0, 1).text() == "constitution.txt"
    assert tab.results.item(0, 5).text() != "-"  # the keyword score is shown too


def test_answer_citation_opens_the_highlighted_passage(qtbot, tab, tmp_path):
    source = tmp_path / "constitution.txt"
    source.write_text(constitution_text(), encoding="ascii")
    _ingest(qtbot, tab, [source])
    tab.query.setText("How old must the President be?")
    tab.generate.setChecked(False)  # the generated path is tested in test_library_search

    tab.ask()
    qtbot.waitUntil(lambda: tab._query is None, timeout=WAIT_MS)

    assert "thirty five Years" in tab.answer_view.toPlainText()
    assert tab.context_meter.maximum() >= tab.context_meter.value()
    best = tab._answer.highlights[0]
    tab.open_citation(best.n)
    assert tab.views.currentWidget() is tab.document_view
    assert "thirty five Years" in " ".join(tab.document_view.highlighted_text().split())
    tab.document_view.show_chunks.setChecked(True)
    assert tab.document_view.chunk_table.rowCount() == len(
        tab.library.store.document_chunks(best.document_id))


def test_cancel_stops_the_ingest_and_reports_the_rest(qtbot, tab, tmp_path):
    inbox = tmp_path / "many"
    inbox.mkdir()
    for number in range(6):
        (inbox / f"part {number}.txt").write_text(constitution_text(), encoding="ascii")

    worker = _started(tab, [inbox])
    tab._cancel_ingest()
    with qtbot.waitSignal(worker.finished, timeout=WAIT_MS):
        pass

    statuses = list(_report(tab).values())
    assert len(statuses) == 6 and "skipped" in statuses
    assert len(tab.library.documents()) == statuses.count("added")


def test_map_and_recall_inspector(qtbot, tab, tmp_path):
    source = tmp_path / "constitution.txt"
    source.write_text(constitution_text(), encoding="ascii")
    _ingest(qtbot, tab, [source])

    tab.views.setCurrentWidget(tab.map)
    qtbot.waitUntil(lambda: tab._aux is None, timeout=WAIT_MS)
    assert len(tab.map.points.data) == tab.library.index.count

    tab._measure_recall(5)
    qtbot.waitUntil(lambda: tab._aux is None, timeout=WAIT_MS)
    assert tab.index_panel.table.rowCount() == 5
    assert float(tab.index_panel.table.item(4, 1).text()) >= 0.99


def test_dropping_files_adds_them_and_remove_deletes(qtbot, tab, tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    from tests.fixtures.documents import ASTRONOMY, COOKING

    first, second = tmp_path / "moon (draft).md", tmp_path / "\u0445\u043b\u0435\u0431.txt"
    first.write_text(ASTRONOMY, encoding="utf-8")
    second.write_text(COOKING, encoding="utf-8")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(first)), QUrl.fromLocalFile(str(second))])
    drop = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)

    tab.dropEvent(drop)
    with qtbot.waitSignal(tab._ingest.finished, timeout=WAIT_MS):
        pass

    assert _report(tab) == {first.name: "added", second.name: "added"}
    names = [tab.documents.item(r, 0).text() for r in range(tab.documents.rowCount())]
    assert sorted(names) == sorted([first.name, second.name])

    tab.documents.selectRow(names.index(first.name))
    tab._remove_selected()
    assert [d.name for d in tab.library.documents()] == [second.name]
    assert tab.documents.rowCount() == 1


def test_streamed_answer_fills_the_context_meter(qtbot, tab, tmp_path):
    from inference.errors import ModelUnavailableError
    from inference.manifest import require_model

    try:
        require_model("smollm2-135m-instruct-q4")
    except ModelUnavailableError as error:
        pytest.skip(f"language model not built: {error}")
    source = tmp_path / "constitution.txt"
    source.write_text(constitution_text(), encoding="ascii")
    _ingest(qtbot, tab, [source])
    tokens = []
    tab.query.setText("Who is commander in chief of the army and navy?")

    tab.ask()
    tab._query.item.connect(lambda event: tokens.append(getattr(event, "kind", "")))
    qtbot.waitUntil(lambda: tab._query is None, timeout=WAIT_MS)

    answer = tab._answer
    assert answer.generated and "token" in tokens
    assert tab.context_meter.value() > answer.prompt_tokens
    assert "Model's answer" in tab.answer_view.toPlainText()
    assert all(f"[{n}]" in tab.answer_view.toPlainText() for n in answer.cited)


def test_hnsw_settings_rebuild_the_index(qtbot, tab, tmp_path):
    import json

    note = tmp_path / "moon.md"
    note.write_text("The Moon raises the tides.", encoding="utf-8")
    _ingest(qtbot, tab, [note])
    tab.index_panel.m.setValue(8)
    tab.index_panel.ef.setValue(50)

    tab.index_panel.apply_button.click()
    qtbot.waitUntil(lambda: tab._aux is None, timeout=WAIT_MS)

    info = json.loads((tab.library.folder / "index.json").read_text())
    assert info["m"] == 8 and tab.library.index.params.ef == 50
    assert "rebuilt" in tab.index_panel.status.text()
