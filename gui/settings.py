"""Every persisted setting's key, in one place, and the QSettings they live in."""

from enum import Enum

from PySide6.QtCore import QSettings


class Key(str, Enum):
    """QSettings keys as "group/key"; tabs add theirs here."""

    WINDOW_GEOMETRY = "window/geometry"
    WINDOW_TAB = "window/current_tab"

    GENERATE_MODEL = "generate/model"
    GENERATE_PROMPT = "generate/prompt"
    GENERATE_OPTIONS = "generate/options"

    LIBRARY_FOLDER = "library/folder"
    LIBRARY_HNSW = "library/hnsw"
    LIBRARY_K = "library/k"
    LIBRARY_MMR = "library/mmr"

    AUDIO_PREPROCESS = "audio/preprocess"
    AUDIO_TTS_TEXT = "audio/tts_text"
    AUDIO_MODEL = "audio/model"
    AUDIO_VIEW = "audio/view"

    CLEANING_STEP_ORDER = "cleaning/step_order"
    CLEANING_STEPS_ENABLED = "cleaning/steps_enabled"
    CLEANING_STEMMER = "cleaning/stemmer"
    CLEANING_PRESET = "cleaning/regex_preset"
    CLEANING_PATTERN = "cleaning/regex_pattern"
    CLEANING_REPLACEMENT = "cleaning/regex_replacement"
    CLEANING_STOPWORDS = "cleaning/stopwords"
    CLEANING_KEEP_NEGATIONS = "cleaning/keep_negations"
    CLEANING_INPUT = "cleaning/input_text"
    CLEANING_SPLITTER = "cleaning/splitter_state"
    CLEANING_BATCH_OUT = "cleaning/batch_out"
    CLEANING_CSV_COLUMN = "cleaning/csv_column"
    CLEANING_JSONL_FIELD = "cleaning/jsonl_field"
    CLEANING_LIVE = "cleaning/live"


def settings() -> QSettings:
    """The app's settings store (an INI file, so it is easy to read and to reset)."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "glassbox", "glassbox")
