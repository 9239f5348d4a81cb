"""Where Glassbox keeps its models, caches and user data."""

import os
from pathlib import Path

import platformdirs

APP_NAME = "glassbox"
REPO_ROOT = Path(__file__).resolve().parent.parent


def models_dir() -> Path:
    """The folder of built ONNX models (GLASSBOX_MODELS_DIR overrides it, for tests)."""
    override = os.environ.get("GLASSBOX_MODELS_DIR")
    return Path(override) if override else REPO_ROOT / "models_onnx"


def cache_dir() -> Path:
    """Downloads and built models shared by every clone on this machine."""
    override = os.environ.get("GLASSBOX_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir(APP_NAME))


def data_dir() -> Path:
    """The user's own data: document libraries, settings that are files."""
    override = os.environ.get("GLASSBOX_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))


def nltk_data_dir() -> Path:
    """The NLTK data folder that set-up fills from packaged sources."""
    return models_dir() / "nltk-data"
