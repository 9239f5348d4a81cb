"""The Text cleaning tab with real models: live cleaning, diff, meter, options, batch, settings."""


import pytest
from PySide6.QtCore import QMimeData, QUrl

from gui.cleaning_tab import CleaningTab
from gui.settings import Key, settings


@pytest.fixture
def tab(qtbot):
    widget = CleaningTab()
    qtbot.addWidget(widget)
    widget.live.setChecked(False)
    yield widget
    widget.shutdown()


def set_steps(tab, *enabled):
    tab.steps.set_steps(tab.steps.order(), set(enabled))


def test_cleans_and_shows_meter_diff_and_pitfalls(tab):
    set_steps(tab, "stopwords")
    tab.input.setPlainText("This is not good at all.")

    assert tab.wait_until_clean(60_000)
    assert tab.output.toPlainText() == "good."
    before, after, saved = tab.meter.value("tokens")
    assert int(after) < int(before.replace(",", "")) and saved.endswith("%")
    assert any("not" in tab.pitfalls.item(i).text() for i in range(tab.pitfalls.count()))
    assert "line-through" in tab.diff_view.toHtml()
    assert tab.input.extraSelections()  # removed words are marked in the input


def test_keep_negations_and_editable_list(tab):
    set_steps(tab, "stopwords")
    tab.stopword_options.keep_negations.setChecked(True)
    tab.stopword_options.words.setPlainText("this\nis\ngood")
    tab.input.setPlainText("This is not good")

    assert tab.wait_until_clean(60_000)
    assert tab.output.toPlainText() == "not"


def test_negation_warning_in_the_stopword_editor(tab):
    tab.stopword_options.keep_negations.setChecked(False)
    tab.stopword_options.load_default()

    assert "not" in tab.stopword_options.warning.text()


def test_invalid_regex_shows_an_error_and_valid_one_highlights(tab):
    set_steps(tab, "regex")
    tab.input.setPlainText("Room 101, floor 3")
    tab.regex_options.pattern.setText("[0-")
    tab.regex_options.pattern.textEdited.emit("[0-")

    assert "Invalid regex pattern" in tab.regex_options.error.text()
    tab.regex_options.pattern.setText(r"\d+")
    tab.regex_options.pattern.textEdited.emit(r"\d+")
    assert tab.regex_options.error.text() == ""
    assert "2 match" in tab.regex_options.matches.text()
    assert tab.wait_until_clean(60_000)
    assert tab.output.toPlainText() == "Room , floor "


def test_stemmer_table_marks_disagreements(tab):
    set_steps(tab, "stem")
    tab.input.setPlainText("university generalization")

    assert tab.wait_until_clean(60_000)
    words = [tab.stem_table.item(r, 0).text() for r in range(tab.stem_table.rowCount())]
    assert words == ["university", "generalization"]
    assert tab.stem_table.item(0, 1).text() == "univers"


def test_reorder_steps_persists(qtbot, tab):
    tab.steps.move("tidy", 0)

    assert tab.steps.order()[0] == "tidy"
    assert '"tidy"' in settings().value(Key.CLEANING_STEP_ORDER.value)
    again = CleaningTab()
    qtbot.addWidget(again)
    assert again.steps.order()[0] == "tidy"
    again.shutdown()


def test_dropping_a_file_loads_it(tab, tmp_path):
    source = tmp_path / "drop.txt"
    source.write_bytes("Dropped “text” here".encode("cp1252"))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(source))])

    tab.input.insertFromMimeData(mime)
    assert tab.input.toPlainText() == "Dropped “text” here"
    assert "cp1252" in tab.status.text()


def test_batch_panel_runs_and_reports(qtbot, tab, tmp_path):
    (tmp_path / "a.txt").write_text("Alpha text.", encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(b"\x00\x01\x02binary")
    set_steps(tab, "lower")
    tab.batch.files.add_path(tmp_path)
    tab.batch.out_path.setText(str(tmp_path / "out.jsonl"))

    with qtbot.waitSignal(tab.batch.run_button.clicked, timeout=1000):
        tab.batch.run_button.click()
    qtbot.waitUntil(lambda: tab.batch.run_button.isEnabled(), timeout=30_000)
    statuses = [tab.batch.table.item(r, 1).text() for r in range(tab.batch.table.rowCount())]
    assert statuses == ["ok", "skipped"]
    assert (tmp_path / "out.jsonl").read_text(encoding="utf-8").startswith('{"text": "alpha')


def test_prepare_screenshot_shows_a_cleaned_sample(tab):
    tab.prepare_screenshot()

    assert tab.output.toPlainText()
    assert tab.step_table.rowCount() == len(tab.steps.enabled_steps())


def test_live_mode_cleans_after_typing(qtbot, tab):
    set_steps(tab, "lower")
    tab.live.setChecked(True)
    tab.input.setPlainText("SHOUTING Text")

    qtbot.waitUntil(lambda: tab.output.toPlainText() == "shouting text", timeout=30_000)


def test_step_order_changes_the_result(tab):
    set_steps(tab, "contractions", "stopwords")
    tab.stopword_options.keep_negations.setChecked(True)
    tab.input.setPlainText("I don't like it")
    tab.steps.move("stopwords", 0)

    assert tab.wait_until_clean(60_000)
    stopwords_first = tab.output.toPlainText()
    tab.steps.move("contractions", 0)
    assert tab.wait_until_clean(60_000)
    assert (stopwords_first, tab.output.toPlainText()) == ("do not like", "not like")


def test_missing_nltk_data_is_reported_in_the_tab(tab, monkeypatch, tmp_path):
    import nltk

    from pipelines.cleaning.nltk_resources import english_stopwords

    english_stopwords.cache_clear()  # loaded data stays usable; forget it to see it missing
    monkeypatch.setenv("GLASSBOX_MODELS_DIR", str(tmp_path))
    monkeypatch.setattr(nltk.data, "path", [])
    set_steps(tab, "stopwords")
    tab.stopword_options.words.setPlainText("")  # use NLTK's list, which is now missing
    tab.input.setPlainText("This is not good")

    assert tab.wait_until_clean(60_000)
    assert "glassbox setup-models --only nltk-data" in tab.status.text()
    english_stopwords.cache_clear()


def test_cancel_a_running_batch(qtbot, tab, tmp_path):
    prose = "The keepers were counting the ships that had not come home. " * 20_000
    for index in range(3):
        (tmp_path / f"{index}.txt").write_text(prose, encoding="utf-8")
    set_steps(tab, "lemmatize")
    tab.batch.files.add_path(tmp_path)
    tab.batch.out_path.setText(str(tmp_path / "out.jsonl"))

    tab.batch.start()
    qtbot.waitUntil(lambda: tab.batch.progress.value() > 0, timeout=60_000)
    tab.batch.cancel_button.click()
    qtbot.waitUntil(lambda: tab.batch.run_button.isEnabled(), timeout=60_000)
    assert tab.batch.status.text().startswith("Cancelled")
    assert (tmp_path / "out.jsonl").exists()


def test_highlights_land_on_the_right_words_after_emoji(tab):
    set_steps(tab, "stopwords")
    tab.input.setPlainText("🙂🙂 this is 東京 and the 🎉 end")

    assert tab.wait_until_clean(60_000)
    marked = {selection.cursor.selectedText() for selection in tab.input.extraSelections()}
    assert marked == {"this", "is", "and", "the"}


def test_screenshot_mode_leaves_settings_alone(qtbot, tab):
    tab.steps.set_steps(tab.steps.order(), {"lower"})
    before = settings().value(Key.CLEANING_STEPS_ENABLED.value)

    tab.prepare_screenshot()
    assert settings().value(Key.CLEANING_STEPS_ENABLED.value) == before


def test_input_text_is_remembered(qtbot, tab):
    tab.input.setPlainText("Remember me")
    tab.shutdown()

    again = CleaningTab()
    qtbot.addWidget(again)
    assert again.input.toPlainText() == "Remember me"
    again.shutdown()


def test_a_drag_in_the_step_list_reorders_and_saves(qtbot, tab):
    from PySide6.QtCore import QModelIndex

    last = tab.steps.count() - 1
    with qtbot.waitSignal(tab.steps.changed, timeout=1000):
        # What an internal-move drop does to the list's model.
        assert tab.steps.model().moveRow(QModelIndex(), last, QModelIndex(), 0)
    assert tab.steps.order()[0] == "tidy"
    assert settings().value(Key.CLEANING_STEP_ORDER.value).startswith('["tidy"')


def test_an_invalid_pattern_greys_out_the_old_results_until_it_is_fixed(tab):
    set_steps(tab, "regex")
    tab.regex_options.set_values("remove-numbers", "", "")
    tab.input.setPlainText("Room 101, floor 3")
    assert tab.wait_until_clean(60_000)
    assert any("Numbers" in tab.pitfalls.item(i).text() for i in range(tab.pitfalls.count()))

    tab.regex_options.pattern.setText("([")
    tab.regex_options.pattern.textEdited.emit("([")
    assert tab.is_stale()  # marked at once, before the debounced run
    assert tab.wait_until_clean(60_000)
    assert tab.is_stale() and "Invalid regex pattern" in tab.status.text()
    for box in (tab.output_box, tab.meter_box, tab.pitfalls_box):
        assert not box.isEnabled() and "not updated: fix the pattern" in box.title()
    assert not tab.stale_note.isHidden() and "out of date" in tab.stale_note.text()
    assert not tab.diff_view.isEnabled()

    tab.regex_options.pattern.setText(r"\d+")
    tab.regex_options.pattern.textEdited.emit(r"\d+")
    assert tab.wait_until_clean(60_000)
    assert not tab.is_stale() and tab.output.toPlainText() == "Room , floor "
    assert tab.output_box.isEnabled() and tab.output_box.title() == "Output"
    assert tab.stale_note.isHidden()


def test_the_token_saving_is_written_beside_the_bar(tab):
    set_steps(tab, "stopwords")
    tab.input.setPlainText("This is not good at all.")

    assert tab.wait_until_clean(60_000)
    saved = tab.meter.value("tokens")[2]
    assert not tab.meter.bar.isTextVisible()  # no text across the edge of the fill
    assert tab.meter.bar_label.text() == f"tokens saved: {float(saved[:-1]):.0f}%"
    assert tab.meter.bar.value() == round(float(saved[:-1]))


def test_batch_panel_lists_unsupported_files_and_refuses_a_missing_folder(qtbot, tab, tmp_path,
                                                                          caplog):
    (tmp_path / "a.txt").write_text("Alpha text.", encoding="utf-8")
    (tmp_path / "photo.bin").write_bytes(b"\x00\x01")
    set_steps(tab, "lower")
    tab.batch.files.add_path(tmp_path)
    tab.batch.out_path.setText(str(tmp_path / "missing" / "out.jsonl"))

    tab.batch.start()
    assert "the folder" in caplog.text and "does not exist" in caplog.text
    assert tab.batch.run_button.isEnabled() and not (tmp_path / "missing").exists()

    tab.batch.out_path.setText(str(tmp_path / "out.jsonl"))
    tab.batch.start()
    qtbot.waitUntil(lambda: tab.batch.run_button.isEnabled(), timeout=30_000)
    rows = {tab.batch.table.item(r, 0).text(): tab.batch.table.item(r, 6).text()
            for r in range(tab.batch.table.rowCount())}
    assert set(rows) == {"a.txt", "photo.bin"} and "not a supported type" in rows["photo.bin"]
