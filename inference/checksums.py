"""SHA-256 of files and folders, the way the model manifest records them."""

import hashlib
from pathlib import Path

_CHUNK_BYTES = 1 << 20


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of one file, read in chunks so large models need little memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_tree(folder: Path) -> str:
    """Hex SHA-256 over every file below a folder: its relative path and its own checksum."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        digest.update(f"{relative}\0{sha256_file(path)}\n".encode())
    return digest.hexdigest()


def sha256_path(path: Path) -> str:
    """Checksum of a file, or of a folder's tree."""
    return sha256_tree(path) if path.is_dir() else sha256_file(path)


def size_bytes(path: Path) -> int:
    """Size of a file, or of every file below a folder."""
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size
