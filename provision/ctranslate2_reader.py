"""Reads the variables of a CTranslate2 model.bin into numpy arrays, without ctranslate2."""

import logging
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from inference.errors import InputFileError

log = logging.getLogger(__name__)

# CTranslate2's DataType enum, as the binary stores it.
_DTYPES = {
    0: np.dtype("<f4"),
    1: np.dtype("i1"),
    2: np.dtype("<i2"),
    3: np.dtype("<i4"),
    4: np.dtype("<f2"),
}
_BFLOAT16 = 5
_SUPPORTED_VERSIONS = (5, 6)


@dataclass
class CT2Model:
    """A CTranslate2 model: its spec name, revision and named variables (aliases resolved)."""

    name: str
    revision: int
    variables: dict[str, np.ndarray]

    def get(self, name: str) -> np.ndarray:
        """The variable called name as float32 (numbers) or its stored type, or a clear error."""
        if name not in self.variables:
            raise KeyError(f"model.bin has no variable {name!r}")
        return self.variables[name]


class _Cursor:
    """Sequential little-endian reads from a bytes buffer, with bounds checks."""

    def __init__(self, data: memoryview, path: Path):
        self.data = data
        self.offset = 0
        self.path = path

    def take(self, size: int) -> memoryview:
        end = self.offset + size
        if end > len(self.data):
            raise InputFileError(f"{self.path} ends early at byte {len(self.data)} (wanted "
                                 f"{end}); the file is truncated, rebuild or re-download it.")
        chunk = self.data[self.offset:end]
        self.offset = end
        return chunk

    def unpack(self, fmt: str):
        values = struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))
        return values[0] if len(values) == 1 else values

    def string(self) -> str:
        # Length includes the trailing NUL the writer appends.
        length = self.unpack("H")
        return bytes(self.take(length)).rstrip(b"\0").decode("utf-8")


def read_ct2_model(path: Path) -> CT2Model:
    """Parse model.bin: header, variables (name, shape, dtype, bytes), then aliases."""
    data = memoryview(Path(path).read_bytes())
    cursor = _Cursor(data, Path(path))

    version = cursor.unpack("I")
    if version not in _SUPPORTED_VERSIONS:
        raise InputFileError(f"{path} is CTranslate2 binary version {version}; only versions "
                             f"{_SUPPORTED_VERSIONS} can be read. Use a model converted by "
                             "CTranslate2 3.x or 4.x.")
    name = cursor.string()
    revision = cursor.unpack("I")

    variables = {}
    for _ in range(cursor.unpack("I")):
        var_name, array = _read_variable(cursor)
        variables[var_name] = array
    for _ in range(cursor.unpack("I")):
        alias, target = cursor.string(), cursor.string()
        variables[alias] = variables[target]

    log.info("Read %s: spec %s revision %d, %d variables", path, name, revision, len(variables))
    return CT2Model(name=name, revision=revision, variables=variables)


def _read_variable(cursor: _Cursor) -> tuple[str, np.ndarray]:
    name = cursor.string()
    rank = cursor.unpack("B")
    shape = tuple(cursor.unpack("I") for _ in range(rank))
    dtype_id = cursor.unpack("B")
    num_bytes = cursor.unpack("I")
    raw = cursor.take(num_bytes)

    if dtype_id == _BFLOAT16:
        # bfloat16 is the top half of a float32.
        halves = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
        return name, halves.view(np.float32).reshape(shape)
    if dtype_id not in _DTYPES:
        raise InputFileError(f"Variable {name!r} in {cursor.path} has unknown data type id "
                             f"{dtype_id}; this reader knows {sorted(_DTYPES)} and {_BFLOAT16}.")
    array = np.frombuffer(raw, dtype=_DTYPES[dtype_id])
    expected = int(np.prod(shape)) if shape else 1
    if array.size != expected:
        raise InputFileError(f"Variable {name!r} in {cursor.path} holds {array.size} values but "
                             f"its shape {shape} needs {expected}; the file is damaged.")
    return name, array.reshape(shape)
