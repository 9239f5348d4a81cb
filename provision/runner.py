"""Provision every model in the manifest: reuse what is built, build what is not."""

import hashlib
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from inference import paths
from inference.checksums import sha256_path, size_bytes
from inference.errors import GlassboxError
from inference.manifest import (RECORD_NAME, ModelEntry, Source, check_files, load_build_record,
                                load_manifest)
from provision.builders import BUILDERS
from provision.fetch import extract_source

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    name: str
    action: str  # "up to date", "copied from cache" or "built"
    seconds: float


def provision(names: list[str] | None = None, *, force: bool = False) -> list[Outcome]:
    """Make every named model (all by default) present and intact under models_onnx/."""
    sources, models = load_manifest()
    chosen = _choose(models, names)
    outcomes = []
    for step, model in enumerate(chosen, start=1):
        started = time.perf_counter()
        action = _provision_one(model, sources, force)
        outcomes.append(Outcome(model.name, action, time.perf_counter() - started))
        log.info("[%d/%d] %s: %s (%.1f s)", step, len(chosen), model.name, action,
                 outcomes[-1].seconds)
    return outcomes


def _choose(models: list[ModelEntry], names: list[str] | None) -> list[ModelEntry]:
    if not names:
        return models
    unknown = set(names) - {model.name for model in models}
    if unknown:
        known = ", ".join(model.name for model in models)
        raise GlassboxError(f"Unknown model(s) {', '.join(sorted(unknown))}; known: {known}.")
    return [model for model in models if model.name in names]


def _provision_one(model: ModelEntry, sources: dict[str, Source], force: bool) -> str:
    key = cache_key(model, sources)
    recorded_key = load_build_record().get(model.name, {}).get("key")
    if not force and recorded_key == key and all(s.ok for s in check_files(model)):
        return "up to date"

    cached = paths.cache_dir() / "built" / key
    if force or not _cache_intact(cached):
        _build_into_cache(model, sources, cached)
        action = "built"
    else:
        action = "copied from cache"
    _install(model, cached, key)
    return action


def cache_key(model: ModelEntry, sources: dict[str, Source]) -> str:
    """Names a build by everything that decides its output."""
    builder = BUILDERS[model.builder]
    inputs = {
        "builder": model.builder,
        "version": builder.version,
        "options": model.options,
        "sources": {name: sources[name].files for name in model.sources},
        "files": model.files,
    }
    digest = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()
    return f"{model.name}-{digest[:16]}"


def _cache_intact(cached: Path) -> bool:
    record_path = cached / "record.json"
    if not record_path.exists():
        return False
    files = json.loads(record_path.read_text())["files"]
    return all((cached / name).exists() and sha256_path(cached / name) == info["sha256"]
               for name, info in files.items())


def _build_into_cache(model: ModelEntry, sources: dict[str, Source], cached: Path) -> None:
    folders = {name: extract_source(sources[name]) for name in model.sources}
    staging = cached.with_name(cached.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)

    log.info("Building %s with the %s builder", model.name, model.builder)
    BUILDERS[model.builder].run(folders, staging, **model.options)

    missing = [name for name in model.files if not (staging / name).exists()]
    if missing:
        raise GlassboxError(f"Building {model.name} did not produce {', '.join(missing)}.")
    record = {"files": {name: _file_record(staging / name) for name in model.files}}
    (staging / "record.json").write_text(json.dumps(record, indent=2))

    # Rename last, so an interrupted build never looks finished.
    shutil.rmtree(cached, ignore_errors=True)
    staging.rename(cached)


def _file_record(path: Path) -> dict:
    return {"sha256": sha256_path(path), "size_bytes": size_bytes(path)}


def _install(model: ModelEntry, cached: Path, key: str) -> None:
    model.folder.mkdir(parents=True, exist_ok=True)
    for name in model.files:
        target = model.folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        _copy_atomically(cached / name, target)

    files = json.loads((cached / "record.json").read_text())["files"]
    _update_build_record(model.name, {"key": key, "files": files})


def _copy_atomically(source: Path, target: Path) -> None:
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    if source.is_dir():
        shutil.copytree(source, partial)
        shutil.rmtree(target, ignore_errors=True)
        partial.rename(target)
    else:
        shutil.copyfile(source, partial)
        os.replace(partial, target)


def _update_build_record(name: str, entry: dict) -> None:
    record = load_build_record()
    record[name] = entry
    record_path = paths.models_dir() / RECORD_NAME
    partial = record_path.with_name(RECORD_NAME + ".partial")
    partial.write_text(json.dumps(record, indent=2, sort_keys=True))
    os.replace(partial, record_path)
