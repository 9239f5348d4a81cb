"""The Library tab when a library cannot be opened or written, its clean-up and its layout."""

import logging
import subprocess

from PySide6.QtCore import Qt

from gui.library_tab import LibraryTab
from gui.settings import Key, settings
from pipelines.library.library import Library, library_folder
from pipelines.library.store import DB_NAME
from tests.fixtures.documents import ASTRONOMY
from tests.test_library_robustness import _bind_read_only

WAIT_MS = 120_000


def _damaged(folder):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / DB_NAME).write_bytes(b"this is not a database" * 100)
    return folder


def test_a_damaged_library_falls_back_to_the_default_without_a_dialog(qtbot, tmp_path,
                                                                       caplog):
    broken = _damaged(tmp_path / "broken")
    settings().setValue(Key.LIBRARY_FOLDER.value, str(broken))

    with caplog.at_level(logging.WARNING):
        tab = LibraryTab()
    qtbot.addWidget(tab)

    assert tab.library is not None and tab.library.folder == library_folder()
    assert not tab.banner.isHidden()
    assert str(broken) in tab.banner.text() and "is damaged" in tab.banner.text()
    assert tab.banner.text().endswith("The default library is open instead.")
    # show_error (the modal box outside offscreen) logs at ERROR; the banner only warns.
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert tab.search_button.isEnabled() and tab.ask_button.isEnabled()
    tab.shutdown()


def test_search_and_ask_without_any_library_say_so(qtbot, tmp_path):
    broken = _damaged(tmp_path / "broken")
    _damaged(library_folder())
    settings().setValue(Key.LIBRARY_FOLDER.value, str(broken))

    tab = LibraryTab()
    qtbot.addWidget(tab)
    tab.query.setText("Who is commander in chief?")
    tab.search()
    searched = tab.answer_view.toPlainText()
    tab.ask()
    asked = tab.answer_view.toPlainText()
    tab.add_paths([tmp_path])

    assert tab.library is None and tab._query is None and tab._ingest is None
    assert not tab.search_button.isEnabled() and not tab.ask_button.isEnabled()
    assert searched.startswith("No library is open.") and asked == searched
    assert tab.progress_label.text().startswith("Nothing was added: no library is open")
    assert tab.stats.text() == "No library is open."
    tab.shutdown()


def test_shutdown_removes_the_screenshot_sample(qtbot, tmp_path):
    tab = LibraryTab()
    qtbot.addWidget(tab)
    tab.open_library(tmp_path / "library")
    sample = tab.make_sample_folder()
    (sample / "documents").mkdir()
    (sample / "documents" / "note.md").write_text(ASTRONOMY, encoding="utf-8")

    tab.shutdown()

    assert sample.name.startswith("glassbox-library-sample-") and not sample.exists()
    assert tab.library is None


def test_report_tooltips_previews_and_filter_width(qtbot, tmp_path):
    tab = LibraryTab()
    qtbot.addWidget(tab)
    tab.open_library(tmp_path / "library")
    (tmp_path / "a rather long file name about the moon and its tides.md").write_text(
        ASTRONOMY, encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    tab.add_paths([tmp_path / "a rather long file name about the moon and its tides.md",
                   tmp_path / "empty.txt"])
    with qtbot.waitSignal(tab._ingest.finished, timeout=WAIT_MS):
        pass
    tab.query.setText("what raises the tides of the oceans")
    tab.search()
    with qtbot.waitSignal(tab._query.finished, timeout=WAIT_MS):
        pass

    message = tab.report.item(1, 3)
    hit = tab._hits[0]
    width = tab.filter.fontMetrics().horizontalAdvance("All documents")
    assert message.text().startswith("empty.txt is empty") and message.text() in \
        message.toolTip()
    assert tab.report.textElideMode() == Qt.TextElideMode.ElideMiddle
    assert tab.results.item(0, 6).text() == hit.preview
    assert "raises the tides of the oceans" in hit.preview
    assert tab.filter.sizeHint().width() > width
    tab.shutdown()


def test_a_read_only_library_opens_for_search_with_adding_disabled(qtbot, tmp_path):
    note = tmp_path / "moon.md"
    note.write_text(ASTRONOMY, encoding="utf-8")
    folder = tmp_path / "ro"
    library = Library(folder)
    library.add_all([note])
    library.close()
    _bind_read_only(folder)
    try:
        tab = LibraryTab()
        qtbot.addWidget(tab)
        tab.open_library(folder)
        tab.add_paths([note])
        banner, label = tab.banner.text(), tab.progress_label.text()
        buttons = [button.isEnabled() for button in tab._write_buttons]
        documents = tab.documents.rowCount()
        tab.shutdown()
    finally:
        subprocess.run(["umount", str(folder)], check=True)

    assert banner.startswith("This library's folder is read-only")
    assert buttons == [False, False, False] and documents == 1
    assert "is read-only (your documents are untouched)" in label
